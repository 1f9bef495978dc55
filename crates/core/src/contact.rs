//! Contact details of sponsors and responsible persons: a mainland mobile number
//! ([`Mobile`], 手机号码, which receives the regulator's SMS check), a fixed office line
//! ([`OfficePhone`], 办公电话) and an e-mail address ([`Email`]).
//!
//! All three are personal data: `Debug` and `masked()` hide the middle.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;
use crate::mask::mask;

mod email;
pub use email::Email;

/// Why a contact detail was refused. Never carries the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("the mobile number is empty")]
    MobileEmpty,
    #[error("the mobile number has a character that is not a digit")]
    MobileBadCharacter,
    #[error("the country code is not the mainland's (+86)")]
    MobileNotMainland,
    #[error("a mainland mobile number has 11 digits, not {length}")]
    MobileBadLength { length: usize },
    #[error("{prefix} is not a mobile network prefix")]
    MobileUnknownPrefix { prefix: String },
    #[error("the office phone number is empty")]
    PhoneEmpty,
    #[error("the office phone number has a character that is not allowed")]
    PhoneBadCharacter,
    #[error("this is a mobile number, not an office line")]
    PhoneIsMobile,
    #[error("the office phone number needs an area code starting with 0")]
    PhoneNoAreaCode,
    #[error("the area code is not valid")]
    PhoneBadAreaCode,
    #[error("the local number has 7 or 8 digits, not {length}")]
    PhoneBadLocalLength { length: usize },
    #[error("a local number does not start with 0 or 1")]
    PhoneBadLocalNumber,
    #[error("the extension has 1 to 6 digits")]
    PhoneBadExtension,
    #[error("the e-mail address is empty")]
    EmailEmpty,
    #[error("the e-mail address is longer than 254 characters")]
    EmailTooLong,
    #[error("the e-mail address contains a space")]
    EmailHasSpace,
    #[error("the e-mail address needs exactly one @")]
    EmailAtSign,
    #[error("the part before @ is empty or longer than 64 characters")]
    EmailBadLocalPart,
    #[error("the part after @ is not a domain name")]
    EmailBadDomain,
}

impl Localized for ContactError {
    fn message_key(&self) -> &'static str {
        match self {
            ContactError::MobileEmpty => "contact.mobile_empty",
            ContactError::MobileBadCharacter => "contact.mobile_bad_character",
            ContactError::MobileNotMainland => "contact.mobile_not_mainland",
            ContactError::MobileBadLength { .. } => "contact.mobile_bad_length",
            ContactError::MobileUnknownPrefix { .. } => "contact.mobile_unknown_prefix",
            ContactError::PhoneEmpty => "contact.phone_empty",
            ContactError::PhoneBadCharacter => "contact.phone_bad_character",
            ContactError::PhoneIsMobile => "contact.phone_is_mobile",
            ContactError::PhoneNoAreaCode => "contact.phone_no_area_code",
            ContactError::PhoneBadAreaCode => "contact.phone_bad_area_code",
            ContactError::PhoneBadLocalLength { .. } => "contact.phone_bad_local_length",
            ContactError::PhoneBadLocalNumber => "contact.phone_bad_local_number",
            ContactError::PhoneBadExtension => "contact.phone_bad_extension",
            ContactError::EmailEmpty => "contact.email_empty",
            ContactError::EmailTooLong => "contact.email_too_long",
            ContactError::EmailHasSpace => "contact.email_has_space",
            ContactError::EmailAtSign => "contact.email_at_sign",
            ContactError::EmailBadLocalPart => "contact.email_bad_local_part",
            ContactError::EmailBadDomain => "contact.email_bad_domain",
        }
    }
    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ContactError::MobileBadLength { length }
            | ContactError::PhoneBadLocalLength { length } => {
                vec![("length", length.to_string())]
            }
            ContactError::MobileUnknownPrefix { prefix } => vec![("prefix", prefix.clone())],
            _ => Vec::new(),
        }
    }
}

/// Separators people type inside phone numbers.
fn is_separator(c: char) -> bool {
    matches!(
        c,
        ' ' | '-' | '\u{3000}' | '－' | '(' | ')' | '（' | '）' | '.'
    )
}

/// Full-width digits (`０`–`９`) as ASCII.
fn ascii_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        '＋' => '+',
        _ => c,
    }
}

// ---------------------------------------------------------------------------------------
// Mobile

/// A mainland mobile number, normalised to its 11 digits (`13812345678`).
///
/// Accepted prefixes (三大运营商, 中国广电 and virtual operators, as numbered by MIIT):
/// 13x, 145–149, 150–153, 155–159, 162, 165–167, 170–178, 18x, 190–193, 195–199. The 140–144
/// ranges are 13-digit IoT numbers and 154/194 are unassigned; none of them can receive the
/// regulator's SMS. A `+86`, `0086` or `86` country prefix, spaces, dashes and full-width
/// digits are accepted and dropped; another country code is refused.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Mobile(String);

fn mobile_prefix_known(digits: &str) -> bool {
    let b = digits.as_bytes();
    if b.len() < 3 || b[0] != b'1' {
        return false;
    }
    let third = b[2];
    match b[1] {
        b'3' | b'8' => true,
        b'4' => (b'5'..=b'9').contains(&third),
        b'5' => third != b'4',
        b'6' => matches!(third, b'2' | b'5' | b'6' | b'7'),
        b'7' => third != b'9',
        b'9' => third != b'4',
        _ => false,
    }
}

impl Mobile {
    pub fn parse(value: &str) -> Result<Mobile, ContactError> {
        let compact: String = value
            .trim()
            .chars()
            .map(ascii_digit)
            .filter(|c| !is_separator(*c))
            .collect();
        if compact.is_empty() {
            return Err(ContactError::MobileEmpty);
        }
        let (had_plus, rest) = match compact.strip_prefix('+') {
            Some(rest) => (true, rest),
            None => (false, compact.as_str()),
        };
        if !rest.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ContactError::MobileBadCharacter);
        }
        let digits = if had_plus || rest.starts_with("00") {
            let international = if had_plus { rest } else { &rest[2..] };
            match international.strip_prefix("86") {
                Some(national) => national,
                None => return Err(ContactError::MobileNotMainland),
            }
        } else if rest.len() == 13 && rest.starts_with("861") {
            &rest[2..]
        } else {
            rest
        };
        if digits.len() != 11 {
            return Err(ContactError::MobileBadLength {
                length: digits.len(),
            });
        }
        if !mobile_prefix_known(digits) {
            return Err(ContactError::MobileUnknownPrefix {
                prefix: digits[..3].to_owned(),
            });
        }
        Ok(Mobile(digits.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678`.
    pub fn masked(&self) -> String {
        mask(&self.0, 3, 4)
    }
}

impl fmt::Display for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile({})", self.masked())
    }
}

impl TryFrom<String> for Mobile {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Mobile::parse(&value)
    }
}

impl From<Mobile> for String {
    fn from(m: Mobile) -> String {
        m.0
    }
}

// ---------------------------------------------------------------------------------------
// Office phone

/// A fixed line: area code, local number and optional extension, normalised to
/// `0571-88888888` or `0571-88888888-123`.
///
/// The area code's length follows the mainland plan, not the separators: `010` and `02x`
/// have three digits, every other (`03xx`–`09xx`) four. The local number has 7 or 8 digits
/// and starts with 2–9. Accepted forms include `0571-88888888`, `010 12345678`,
/// `(0571)88888888`, `057188888888`, `+86 571 8888 8888`, and an extension after `-`, `转`,
/// `ext`, `x` or `#`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OfficePhone {
    text: String,
}

/// Splits off an extension marked by a word (`转`, `ext`, `x`, `#`, `分机`).
fn split_extension(value: &str) -> (&str, Option<&str>) {
    for marker in ["分机", "转", "ext.", "ext", "x", "#"] {
        if let Some(i) = value.find(marker) {
            return (&value[..i], Some(value[i + marker.len()..].trim()));
        }
    }
    (value, None)
}

fn area_code_length(digits: &str) -> Option<usize> {
    let b = digits.as_bytes();
    match (b.first(), b.get(1), b.get(2)) {
        (Some(b'0'), Some(b'1'), Some(b'0')) | (Some(b'0'), Some(b'2'), Some(_)) => Some(3),
        (Some(b'0'), Some(b'3'..=b'9'), Some(_)) => Some(4),
        _ => None,
    }
}

impl OfficePhone {
    pub fn parse(value: &str) -> Result<OfficePhone, ContactError> {
        let text: String = value
            .trim()
            .chars()
            .map(ascii_digit)
            .collect::<String>()
            .to_lowercase();
        if text.is_empty() {
            return Err(ContactError::PhoneEmpty);
        }
        let (number, marked_extension) = split_extension(&text);
        if marked_extension.is_none() && Mobile::parse(number).is_ok() {
            return Err(ContactError::PhoneIsMobile);
        }
        let mut groups: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut plus = false;
        for c in number.chars() {
            if c.is_ascii_digit() {
                current.push(c);
            } else if is_separator(c) {
                if !current.is_empty() {
                    groups.push(std::mem::take(&mut current));
                }
            } else if c == '+' && groups.is_empty() && current.is_empty() && !plus {
                plus = true;
            } else {
                return Err(ContactError::PhoneBadCharacter);
            }
        }
        if !current.is_empty() {
            groups.push(current);
        }
        if groups.is_empty() {
            return Err(ContactError::PhoneEmpty);
        }
        // Country code: +86 / 0086 / 86 as its own group, or glued to the area code.
        let first = groups[0].clone();
        if plus || first.starts_with("0086") {
            let national = if plus {
                first.strip_prefix("86")
            } else {
                first.strip_prefix("0086")
            };
            match national {
                Some("") => {
                    groups.remove(0);
                }
                Some(rest) => groups[0] = rest.to_owned(),
                None => return Err(ContactError::PhoneBadAreaCode),
            }
            match groups.first_mut() {
                Some(g) if !g.starts_with('0') => g.insert(0, '0'),
                Some(_) => {}
                None => return Err(ContactError::PhoneEmpty),
            }
        } else if groups.len() > 1 && first == "86" {
            groups.remove(0);
            if let Some(g) = groups.first_mut().filter(|g| !g.starts_with('0')) {
                g.insert(0, '0');
            }
        }
        let all: String = groups.concat();
        if !all.starts_with('0') {
            return Err(ContactError::PhoneNoAreaCode);
        }
        let area_len = area_code_length(&all).ok_or(ContactError::PhoneBadAreaCode)?;
        // The area code must not be split across groups.
        if groups[0].len() < area_len {
            return Err(ContactError::PhoneBadAreaCode);
        }
        let area = &all[..area_len];
        let mut rest: Vec<&str> = Vec::with_capacity(groups.len());
        rest.push(&groups[0][area_len..]);
        rest.extend(groups[1..].iter().map(String::as_str));
        rest.retain(|g| !g.is_empty());
        // Without a marker, a last group is an extension when the groups before it make a
        // whole local number (`0571-8888888-1`); otherwise all groups are the local number
        // (`0571 8888 8888`).
        let (local, extension) = match marked_extension {
            Some(e) => (rest.concat(), Some(e.to_owned())),
            None => match rest.split_last() {
                Some((last, before))
                    if !before.is_empty() && (7..=8).contains(&before.concat().len()) =>
                {
                    (before.concat(), Some((*last).to_owned()))
                }
                _ => (rest.concat(), None),
            },
        };
        if !(7..=8).contains(&local.len()) {
            return Err(ContactError::PhoneBadLocalLength {
                length: local.len(),
            });
        }
        if local.starts_with('0') || local.starts_with('1') {
            return Err(ContactError::PhoneBadLocalNumber);
        }
        let mut normalised = format!("{area}-{local}");
        if let Some(e) = extension {
            if e.is_empty() || e.len() > 6 || !e.bytes().all(|b| b.is_ascii_digit()) {
                return Err(ContactError::PhoneBadExtension);
            }
            normalised.push('-');
            normalised.push_str(&e);
        }
        Ok(OfficePhone { text: normalised })
    }

    /// `0571-88888888` or `0571-88888888-123`.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The area code, e.g. `0571`.
    pub fn area_code(&self) -> &str {
        self.text.split('-').next().unwrap_or("")
    }

    /// The local number, e.g. `88888888`.
    pub fn local_number(&self) -> &str {
        self.text.split('-').nth(1).unwrap_or("")
    }

    /// The extension, if any.
    pub fn extension(&self) -> Option<&str> {
        self.text.split('-').nth(2)
    }

    /// `0571-****8888`: the area code and the last four digits of the local number.
    pub fn masked(&self) -> String {
        let mut out = format!("{}-{}", self.area_code(), mask(self.local_number(), 0, 4));
        if let Some(e) = self.extension() {
            out.push('-');
            out.push_str(e);
        }
        out
    }
}

impl fmt::Display for OfficePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for OfficePhone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "OfficePhone({})", self.masked())
    }
}

impl TryFrom<String> for OfficePhone {
    type Error = ContactError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        OfficePhone::parse(&value)
    }
}

impl From<OfficePhone> for String {
    fn from(p: OfficePhone) -> String {
        p.text
    }
}

#[cfg(test)]
#[path = "contact_tests.rs"]
mod tests;
