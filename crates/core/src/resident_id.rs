//! 居民身份证号码: the 18-character citizen identity number of GB 11643-1999, used as the
//! certificate number of a person (an individual sponsor, a responsible person).
//!
//! Layout: 6-digit address code (GB/T 2260), 8-digit birth date `YYYYMMDD`, 3-digit sequence
//! whose parity is the sex (odd male, even female), and a check character (ISO 7064 MOD 11-2,
//! `0`–`9` or `X`).
//!
//! Decisions:
//! - Only the 18-character form is accepted; the 15-digit form of the first-generation cards
//!   is refused with its own message, because those cards have expired and the registry
//!   only takes 18-character numbers.
//! - The address code is checked at the province level only (the 31 mainland provinces of
//!   [`crate::province`]), plus 81 (Hong Kong), 82 (Macao) and 83 (Taiwan), which the
//!   residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, issued
//!   since 2018 under the same standard) carry. [`ResidentId::region`] tells them apart.
//!   County codes change over time and are not checked.
//! - The birth date must be a real date and not after today in Asia/Shanghai.
//!
//! The number is personal data: `Debug` and [`ResidentId::masked`] show only its first four
//! and last four characters, and errors never carry the number.

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::i18n::Localized;
use crate::mask::mask;
use crate::province::Province;

/// An 18-character resident identity number, normalised (uppercase `X`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);

/// Why a resident identity number was refused. Never carries the number itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("the resident ID number is empty")]
    Empty,
    #[error("15-digit resident ID numbers are no longer accepted")]
    FifteenDigits,
    #[error("a resident ID number has 18 characters, not {length}")]
    BadLength { length: usize },
    #[error("character {position} is not allowed")]
    BadCharacter { position: usize },
    #[error("{code} is not a province code")]
    UnknownRegion { code: String },
    #[error("the birth date is not a real date")]
    BadBirthDate,
    #[error("the birth date is in the future")]
    FutureBirthDate,
    #[error("the check character does not match")]
    BadCheckDigit,
}

impl Localized for ResidentIdError {
    fn message_key(&self) -> &'static str {
        match self {
            ResidentIdError::Empty => "resident_id.empty",
            ResidentIdError::FifteenDigits => "resident_id.fifteen_digits",
            ResidentIdError::BadLength { .. } => "resident_id.bad_length",
            ResidentIdError::BadCharacter { .. } => "resident_id.bad_character",
            ResidentIdError::UnknownRegion { .. } => "resident_id.unknown_region",
            ResidentIdError::BadBirthDate => "resident_id.bad_birth_date",
            ResidentIdError::FutureBirthDate => "resident_id.future_birth_date",
            ResidentIdError::BadCheckDigit => "resident_id.bad_check_digit",
        }
    }
    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ResidentIdError::BadLength { length } => vec![("length", length.to_string())],
            ResidentIdError::BadCharacter { position } => {
                vec![("position", position.to_string())]
            }
            ResidentIdError::UnknownRegion { code } => vec![("code", code.clone())],
            _ => Vec::new(),
        }
    }
}

/// Where the number was issued: a mainland province, or the residence permit of a Hong Kong,
/// Macao or Taiwan resident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Region {
    Mainland(Province),
    /// 81: 港澳台居民居住证 of a Hong Kong resident.
    HongKong,
    /// 82: of a Macao resident.
    Macao,
    /// 83: of a Taiwan resident.
    Taiwan,
}

impl Region {
    fn from_code(code: &str) -> Option<Region> {
        match code {
            "81" => Some(Region::HongKong),
            "82" => Some(Region::Macao),
            "83" => Some(Region::Taiwan),
            _ => Province::parse(code).ok().map(Region::Mainland),
        }
    }
}

/// Sex as encoded by the parity of the 17th digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sex {
    Male,
    Female,
}

/// Weights of GB 11643 (2^(17-i) mod 11 for positions 1..=17).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

/// The check character of the first 17 digits (ISO 7064 MOD 11-2). `body` must be 17 ASCII
/// digits; anything else gives `None`.
pub fn check_character(body: &str) -> Option<char> {
    if body.len() != 17 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    match (12 - sum % 11) % 11 {
        10 => Some('X'),
        n => char::from_digit(n, 10),
    }
}

impl ResidentId {
    /// Parses a resident identity number, taking today's date in Asia/Shanghai to refuse
    /// birth dates in the future.
    pub fn parse(value: &str) -> Result<ResidentId, ResidentIdError> {
        let today = chrono::Utc::now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        ResidentId::parse_at(value, today)
    }

    /// As [`ResidentId::parse`], with "today" given.
    pub fn parse_at(value: &str, today: NaiveDate) -> Result<ResidentId, ResidentIdError> {
        let trimmed = value.trim();
        if trimmed.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        let chars: Vec<char> = trimmed.chars().collect();
        if chars.len() == 15 && chars.iter().all(char::is_ascii_digit) {
            return Err(ResidentIdError::FifteenDigits);
        }
        if chars.len() != 18 {
            return Err(ResidentIdError::BadLength {
                length: chars.len(),
            });
        }
        for (i, c) in chars.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && matches!(c, 'x' | 'X'));
            if !ok {
                return Err(ResidentIdError::BadCharacter { position: i + 1 });
            }
        }
        let normalised = trimmed.to_ascii_uppercase();
        let region_code = &normalised[..2];
        if Region::from_code(region_code).is_none() {
            return Err(ResidentIdError::UnknownRegion {
                code: region_code.to_owned(),
            });
        }
        let birth = birth_date_of(&normalised).ok_or(ResidentIdError::BadBirthDate)?;
        if birth > today {
            return Err(ResidentIdError::FutureBirthDate);
        }
        if check_character(&normalised[..17]) != normalised.chars().nth(17) {
            return Err(ResidentIdError::BadCheckDigit);
        }
        Ok(ResidentId(normalised))
    }

    /// The normalised number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number with all but the first and last four characters hidden.
    pub fn masked(&self) -> String {
        mask(&self.0, 4, 4)
    }

    /// The birth date (characters 7–14).
    pub fn birth_date(&self) -> NaiveDate {
        // Checked by parse; the fallback is never reached for a parsed value.
        birth_date_of(&self.0).unwrap_or_default()
    }

    /// The sex (parity of the 17th digit).
    pub fn sex(&self) -> Sex {
        let digit = self.0.as_bytes().get(16).copied().unwrap_or(b'0');
        if (digit - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Where the number was issued.
    pub fn region(&self) -> Region {
        // Checked by parse; the fallback is never reached for a parsed value.
        Region::from_code(&self.0[..2]).unwrap_or(Region::Taiwan)
    }

    /// The mainland province, or `None` for a Hong Kong, Macao or Taiwan residence permit.
    pub fn province(&self) -> Option<Province> {
        match self.region() {
            Region::Mainland(p) => Some(p),
            _ => None,
        }
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        on.years_since(self.birth_date()).unwrap_or(0)
    }
}

fn birth_date_of(number: &str) -> Option<NaiveDate> {
    let year = number.get(6..10)?.parse().ok()?;
    let month = number.get(10..12)?.parse().ok()?;
    let day = number.get(12..14)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day).filter(|d| d.year() >= 1800)
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

impl TryFrom<String> for ResidentId {
    type Error = ResidentIdError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        ResidentId::parse(&value)
    }
}

impl From<ResidentId> for String {
    fn from(id: ResidentId) -> String {
        id.0
    }
}

#[cfg(test)]
#[path = "resident_id_tests.rs"]
mod tests;
