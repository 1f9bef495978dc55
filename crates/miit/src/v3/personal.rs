//! Wrappers for the personal data and secrets the messages carry (certificate numbers,
//! phones, e-mail addresses, filing passwords), so that `Debug` output — which ends up in
//! logs — shows them masked (`3301**********1234`) or not at all. The value itself is
//! serialised unchanged.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Personal data: shown masked in `Debug`, keeping at most the first and last four characters.
#[derive(Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonalData(String);

impl PersonalData {
    pub fn new(value: impl Into<String>) -> PersonalData {
        PersonalData(value.into())
    }

    /// The unmasked value.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The masked form, e.g. `3301**********1234`.
    pub fn masked(&self) -> String {
        let keep = match self.0.chars().count() {
            0..=4 => 0,
            5..=8 => 1,
            9..=11 => 3,
            _ => 4,
        };
        beian_core::mask::mask(&self.0, keep, keep)
    }
}

impl fmt::Debug for PersonalData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.masked())
    }
}

impl From<&str> for PersonalData {
    fn from(v: &str) -> Self {
        PersonalData(v.to_owned())
    }
}

impl From<String> for PersonalData {
    fn from(v: String) -> Self {
        PersonalData(v)
    }
}

/// A secret (a password, or a hash that stands for one): never shown in `Debug`.
#[derive(Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<&str> for Secret {
    fn from(v: &str) -> Self {
        Secret(v.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_by_length() {
        let cases = [
            ("330106199001011234", "3301**********1234"),
            ("13800138000", "138*****000"),
            ("12345678", "1******8"),
            ("1234", "****"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(PersonalData::from(input).masked(), want, "{input}");
        }
        let shown = format!("{:?}", PersonalData::from("330106199001011234"));
        assert!(!shown.contains("19900101"), "{shown}");
        assert_eq!(format!("{:?}", Secret::from("hunter2")), "Secret(***)");
    }
}
