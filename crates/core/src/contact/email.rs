//! The e-mail address of a sponsor or responsible person ([`Email`]).

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ContactError;

/// An e-mail address, checked pragmatically: at most 254 characters, no whitespace, exactly
/// one `@`, a local part of 1–64 characters, and a domain with at least one dot, no empty
/// label and no label starting or ending with `-`. The domain is lower-cased; the local
/// part is kept as typed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Email, ContactError> {
        let value = value.trim();
        if value.is_empty() {
            return Err(ContactError::EmailEmpty);
        }
        if value.chars().count() > 254 {
            return Err(ContactError::EmailTooLong);
        }
        if value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ContactError::EmailHasSpace);
        }
        let mut parts = value.split('@');
        let (Some(local), Some(domain), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ContactError::EmailAtSign);
        };
        if local.is_empty() || local.chars().count() > 64 {
            return Err(ContactError::EmailBadLocalPart);
        }
        let domain = domain.to_lowercase();
        let labels_ok = domain.contains('.')
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !labels_ok {
            return Err(ContactError::EmailBadDomain);
        }
        Ok(Email(format!("{local}@{domain}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The domain part.
    pub fn domain(&self) -> &str {
        self.0.rsplit('@').next().unwrap_or("")
    }

    /// `z***@example.com`: the first character of the local part and the domain.
    pub fn masked(&self) -> String {
        let local = self.0.split('@').next().unwrap_or("");
        let first: String = local.chars().take(1).collect();
        format!("{first}***@{}", self.domain())
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Email({})", self.masked())
    }
}

impl TryFrom<String> for Email {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Email::parse(&value)
    }
}

impl From<Email> for String {
    fn from(e: Email) -> String {
        e.0
    }
}
