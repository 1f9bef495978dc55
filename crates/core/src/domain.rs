//! 域名: the domain name of a website. One website has one domain; ICP filings are made per
//! registrable domain (the name bought from a registrar, e.g. `example.com.cn`), and a site
//! may be served on names below it (`www.example.com.cn`).
//!
//! A [`Domain`] is any host name that could be served: normalised to lower-case ASCII
//! (internationalised names in punycode, `例子.中国` → `xn--fsqu00a.xn--fiqs8s`), without a
//! trailing dot, under a suffix of the Public Suffix List (built into the `psl` crate, private
//! section included). [`Domain::registrable`] gives the registrable domain it belongs to and
//! [`Domain::is_registrable`] tells whether it is one; [`Domain::parse_registrable`] refuses
//! names below the registrable level, for the places where a filing's domain is asked for.
//!
//! Refused, each with its own message: IP addresses (v4 and v6), wildcards (`*.`), a bare
//! public suffix (`com.cn`), a top-level domain the list does not know, empty labels, labels
//! with characters other than `a-z 0-9 -` or starting or ending with `-`, labels over 63
//! and names over 253 characters, and internationalised names IDNA cannot convert.

use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

/// A host name, normalised: lower-case ASCII (punycode), no trailing dot.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Domain(String);

/// Why a domain name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    #[error("the domain name is empty")]
    Empty,
    #[error("an IP address is not a domain name")]
    IpAddress,
    #[error("a wildcard is not a domain name")]
    Wildcard,
    #[error("the domain name has an empty label")]
    EmptyLabel,
    #[error("label {label} is longer than 63 characters ({length})")]
    LabelTooLong { label: String, length: usize },
    #[error("label {label} has a character other than a-z, 0-9 and -")]
    BadCharacter { label: String },
    #[error("label {label} starts or ends with a hyphen")]
    HyphenAtEdge { label: String },
    #[error("the internationalised name cannot be converted")]
    BadIdn,
    #[error("label {label} mixes scripts (e.g. Latin with Greek or Cyrillic letters)")]
    MixedScript { label: String },
    #[error("the domain name is longer than 253 characters ({length})")]
    TooLong { length: usize },
    #[error("{suffix} is not a known top-level domain")]
    UnknownSuffix { suffix: String },
    #[error("{suffix} is a public suffix, not a domain one can register")]
    PublicSuffix { suffix: String },
    #[error("a filing is for the registrable domain {registrable}")]
    NotRegistrable { registrable: String },
}

impl Localized for DomainError {
    fn message_key(&self) -> &'static str {
        match self {
            DomainError::Empty => "domain.empty",
            DomainError::IpAddress => "domain.ip_address",
            DomainError::Wildcard => "domain.wildcard",
            DomainError::EmptyLabel => "domain.empty_label",
            DomainError::LabelTooLong { .. } => "domain.label_too_long",
            DomainError::BadCharacter { .. } => "domain.bad_character",
            DomainError::HyphenAtEdge { .. } => "domain.hyphen_at_edge",
            DomainError::BadIdn => "domain.bad_idn",
            DomainError::MixedScript { .. } => "domain.mixed_script",
            DomainError::TooLong { .. } => "domain.too_long",
            DomainError::UnknownSuffix { .. } => "domain.unknown_suffix",
            DomainError::PublicSuffix { .. } => "domain.public_suffix",
            DomainError::NotRegistrable { .. } => "domain.not_registrable",
        }
    }
    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            DomainError::LabelTooLong { label, length } => {
                vec![("label", label.clone()), ("length", length.to_string())]
            }
            DomainError::BadCharacter { label }
            | DomainError::HyphenAtEdge { label }
            | DomainError::MixedScript { label } => {
                vec![("label", label.clone())]
            }
            DomainError::TooLong { length } => vec![("length", length.to_string())],
            DomainError::UnknownSuffix { suffix } | DomainError::PublicSuffix { suffix } => {
                vec![("suffix", suffix.clone())]
            }
            DomainError::NotRegistrable { registrable } => {
                vec![("registrable", registrable.clone())]
            }
            _ => Vec::new(),
        }
    }
}

/// Dots people type: ASCII, ideographic (`。`), full-width (`．`) and half-width (`｡`).
fn is_dot(c: char) -> bool {
    matches!(c, '.' | '。' | '．' | '｡')
}

fn check_label(label: &str) -> Result<(), DomainError> {
    if label.is_empty() {
        return Err(DomainError::EmptyLabel);
    }
    if label.len() > 63 {
        return Err(DomainError::LabelTooLong {
            label: label.to_owned(),
            length: label.len(),
        });
    }
    if !label
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(DomainError::BadCharacter {
            label: label.to_owned(),
        });
    }
    if label.starts_with('-') || label.ends_with('-') {
        return Err(DomainError::HyphenAtEdge {
            label: label.to_owned(),
        });
    }
    Ok(())
}

impl Domain {
    /// Parses a host name; see the module documentation for what is refused.
    pub fn parse(value: &str) -> Result<Domain, DomainError> {
        let trimmed = value.trim();
        let trimmed = trimmed
            .strip_suffix(is_dot)
            .filter(|rest| !rest.is_empty())
            .unwrap_or(trimmed);
        if trimmed.is_empty() {
            return Err(DomainError::Empty);
        }
        if trimmed.contains('*') {
            return Err(DomainError::Wildcard);
        }
        let unbracketed = trimmed
            .strip_prefix('[')
            .and_then(|s| s.strip_suffix(']'))
            .unwrap_or(trimmed);
        if unbracketed.parse::<IpAddr>().is_ok() {
            return Err(DomainError::IpAddress);
        }
        if trimmed.split(is_dot).any(str::is_empty) {
            return Err(DomainError::EmptyLabel);
        }
        if trimmed.is_ascii() {
            // Give ASCII input the precise label messages before IDNA sees it.
            let lower = trimmed.to_ascii_lowercase();
            for label in lower.split('.') {
                check_label(label)?;
            }
        }
        let ascii = idna::domain_to_ascii(trimmed).map_err(|_| DomainError::BadIdn)?;
        for label in ascii.split('.') {
            check_label(label)?;
        }
        if ascii.split('.').any(|l| l.starts_with("xn--")) {
            let (unicode, _) = idna::domain_to_unicode(&ascii);
            if let Some(label) = unicode
                .split('.')
                .find(|l| crate::confusable::mixed_script(l))
            {
                return Err(DomainError::MixedScript {
                    label: label.to_owned(),
                });
            }
        }
        if ascii
            .split('.')
            .all(|l| l.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(DomainError::IpAddress);
        }
        if ascii.len() > 253 {
            return Err(DomainError::TooLong {
                length: ascii.len(),
            });
        }
        let suffix = psl::suffix(ascii.as_bytes()).ok_or(DomainError::UnknownSuffix {
            suffix: ascii.clone(),
        })?;
        let suffix_text = String::from_utf8_lossy(suffix.as_bytes()).into_owned();
        if !suffix.is_known() {
            return Err(DomainError::UnknownSuffix {
                suffix: suffix_text,
            });
        }
        if suffix_text.len() >= ascii.len() {
            return Err(DomainError::PublicSuffix {
                suffix: suffix_text,
            });
        }
        Ok(Domain(ascii))
    }

    /// Parses a name that must itself be a registrable domain (`example.com.cn`, not
    /// `www.example.com.cn`): the name a filing is made for.
    pub fn parse_registrable(value: &str) -> Result<Domain, DomainError> {
        let domain = Domain::parse(value)?;
        if domain.is_registrable() {
            Ok(domain)
        } else {
            Err(DomainError::NotRegistrable {
                registrable: domain.registrable().0,
            })
        }
    }

    /// The registrable domain a request's host belongs to, as an edge sees the host: a
    /// `Host` header or URL authority, possibly with a port (`example.com:8443`), upper case,
    /// a trailing dot, Unicode or punycode, `www.` or deeper names below it. IP literals
    /// (`10.0.0.1:80`, `[::1]:443`, bare `::1`), an empty host and a bare public suffix are
    /// refused like in [`Domain::parse`]. The edge gate (先备案后接入) asks this.
    pub fn registrable_of_host(host: &str) -> Result<Domain, DomainError> {
        let host = host.trim();
        if host.starts_with('[') {
            return Err(DomainError::IpAddress);
        }
        let name = match host.split_once(':') {
            // More than one colon: an IPv6 address without brackets.
            Some((_, rest)) if rest.contains(':') => return Err(DomainError::IpAddress),
            Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
            Some(_) => {
                return Err(DomainError::BadCharacter {
                    label: host.to_owned(),
                });
            }
            None => host,
        };
        Ok(Domain::parse(name)?.registrable())
    }

    /// The normalised ASCII name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The name in Unicode, for display (`xn--fsqu00a.xn--fiqs8s` → `例子.中国`).
    pub fn to_unicode(&self) -> String {
        idna::domain_to_unicode(&self.0).0
    }

    /// The public suffix it is under, e.g. `com.cn`.
    pub fn suffix(&self) -> &str {
        psl::suffix_str(&self.0).unwrap_or("")
    }

    /// The registrable domain: the public suffix and one label before it
    /// (`www.example.com.cn` → `example.com.cn`).
    pub fn registrable(&self) -> Domain {
        match psl::domain_str(&self.0) {
            Some(name) => Domain(name.to_owned()),
            // Parse guarantees a known suffix and at least one label before it.
            None => self.clone(),
        }
    }

    /// Whether this name is itself a registrable domain.
    pub fn is_registrable(&self) -> bool {
        psl::domain_str(&self.0) == Some(self.0.as_str())
    }

    /// Whether this name is `other` or below it (`www.example.com` is within `example.com`).
    pub fn is_within(&self, other: &Domain) -> bool {
        self.0 == other.0
            || self
                .0
                .strip_suffix(other.0.as_str())
                .is_some_and(|head| head.ends_with('.'))
    }
}

impl fmt::Display for Domain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Domain {
    type Error = DomainError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Domain::parse(&value)
    }
}

impl From<Domain> for String {
    fn from(d: Domain) -> String {
        d.0
    }
}

#[cfg(test)]
#[path = "domain_tests.rs"]
mod tests;
