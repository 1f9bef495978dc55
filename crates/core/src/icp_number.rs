//! 备案号: the ICP filing number the regulator issues. The sponsor number
//! `浙ICP备2021012345号` names the sponsor (主体); each of its websites gets `-N`
//! (`浙ICP备2021012345号-1`), its apps `-NA`, its mini-programs `-NX` and its quick apps `-NK`,
//! all drawn from one sequence per sponsor (website `-1`, then an APP `-2A`, then `-3`).
//! Mini-programs and quick apps are filed through their platforms (WeChat, Douyin, the quick-app
//! alliance), not through a hosting provider; their numbers parse all the same.
//!
//! The prefix is the bureau's abbreviation, one of the 31 of [`crate::province`] (`蜀`, not
//! `川`; `陇`, not `甘`); the everyday abbreviations the bureaus do not use (川 甘 贵 云 秦) are
//! refused with a message naming the right one. The serial is 8 digits (older numbers) or 10
//! (the year and 6 digits); the year of a 10-digit serial is not checked.
//!
//! Parsing tidies messy input: full-width digits, letters and hyphens (`０-９`, `ＩＣＰ`, `－`),
//! other dashes, spaces anywhere, a lower-case `icp` or suffix letter, and a missing `号`
//! before the suffix. It refuses, with a message of its own, an ICP licence (`京ICP证030173号`)
//! or a value-added telecom permit (`浙B2-20080224`), which people often paste instead.
//!
//! A filing number is public (it is shown at the foot of every filed site); `Debug` shows it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;
use crate::province::Province;

/// What a suffix numbers: a website (`-1`), an APP (`-1A`), a mini-program (`-1X`) or a quick
/// app (`-1K`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SuffixKind {
    Website,
    App,
    MiniProgram,
    QuickApp,
}

impl SuffixKind {
    pub const ALL: [SuffixKind; 4] = [
        SuffixKind::Website,
        SuffixKind::App,
        SuffixKind::MiniProgram,
        SuffixKind::QuickApp,
    ];

    /// The letter after the number: none, `A`, `X` or `K`.
    pub fn letter(self) -> &'static str {
        match self {
            SuffixKind::Website => "",
            SuffixKind::App => "A",
            SuffixKind::MiniProgram => "X",
            SuffixKind::QuickApp => "K",
        }
    }

    fn from_letter(letter: char) -> Option<SuffixKind> {
        match letter {
            'A' => Some(SuffixKind::App),
            'X' => Some(SuffixKind::MiniProgram),
            'K' => Some(SuffixKind::QuickApp),
            _ => None,
        }
    }
}

/// The `-N`, `-NA`, `-NX` or `-NK` after a sponsor number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WebsiteSuffix {
    /// N, from 1.
    pub number: u32,
    pub kind: SuffixKind,
}

impl fmt::Display for WebsiteSuffix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "-{}{}", self.number, self.kind.letter())
    }
}

/// A sponsor number or a website (app, mini-program) number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct IcpNumber {
    /// The formatted number; the fields below are its parts.
    text: String,
    province: Province,
    serial: String,
    suffix: Option<WebsiteSuffix>,
}

/// Why a filing number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcpNumberError {
    #[error("the ICP filing number is empty")]
    Empty,
    #[error("this is a licence, not a filing number")]
    Licence,
    #[error("the number does not start with a bureau abbreviation")]
    MissingAbbreviation,
    #[error("{value} is not a bureau abbreviation")]
    UnknownAbbreviation { value: String },
    /// A province's everyday abbreviation that its bureau does not use (`川` for `蜀`).
    #[error("{value} is not a bureau abbreviation; the bureau of that province uses {expected:?}")]
    WrongAbbreviation { value: char, expected: Province },
    #[error("the abbreviation must be followed by ICP备")]
    MissingIcp,
    #[error("the serial has 8 or 10 digits, not {length}")]
    BadSerialLength { length: usize },
    #[error("the serial must be followed by 号")]
    Malformed,
    #[error("the suffix must be -N, -NA, -NX or -NK with N from 1")]
    BadSuffix,
}

impl Localized for IcpNumberError {
    fn message_key(&self) -> &'static str {
        match self {
            IcpNumberError::Empty => "icp_number.empty",
            IcpNumberError::Licence => "icp_number.licence",
            IcpNumberError::MissingAbbreviation => "icp_number.missing_abbreviation",
            IcpNumberError::UnknownAbbreviation { .. } => "icp_number.unknown_abbreviation",
            IcpNumberError::WrongAbbreviation { .. } => "icp_number.wrong_abbreviation",
            IcpNumberError::MissingIcp => "icp_number.missing_icp",
            IcpNumberError::BadSerialLength { .. } => "icp_number.bad_serial_length",
            IcpNumberError::Malformed => "icp_number.malformed",
            IcpNumberError::BadSuffix => "icp_number.bad_suffix",
        }
    }
    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            IcpNumberError::UnknownAbbreviation { value } => vec![("value", value.clone())],
            IcpNumberError::WrongAbbreviation { value, expected } => vec![
                ("value", value.to_string()),
                ("expected", expected.abbreviation().to_string()),
                ("province", expected.name().to_owned()),
                ("province_en", expected.info().name_en.to_owned()),
            ],
            IcpNumberError::BadSerialLength { length } => vec![("length", length.to_string())],
            _ => Vec::new(),
        }
    }
}

/// Full-width ASCII and the usual dashes to ASCII, whitespace dropped, letters upper-cased.
fn tidy(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
            '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE63}' => '-',
            _ => c,
        })
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Everyday abbreviations of provinces whose bureaus use another one in ICP numbers.
const EVERYDAY_ABBREVIATIONS: [(char, &str); 5] = [
    ('川', "51"),
    ('甘', "62"),
    ('贵', "52"),
    ('云', "53"),
    ('秦', "61"),
];

fn province_of(first: char) -> Result<Province, IcpNumberError> {
    if let Ok(p) = Province::from_abbreviation(first) {
        return Ok(p);
    }
    let everyday = EVERYDAY_ABBREVIATIONS
        .iter()
        .find(|(c, _)| *c == first)
        .and_then(|(_, code)| Province::parse(code).ok());
    Err(match everyday {
        Some(expected) => IcpNumberError::WrongAbbreviation {
            value: first,
            expected,
        },
        None => IcpNumberError::UnknownAbbreviation {
            value: first.to_string(),
        },
    })
}

fn serial_ok(serial: &str) -> Result<(), IcpNumberError> {
    let digits = serial.bytes().all(|b| b.is_ascii_digit());
    if digits && matches!(serial.len(), 8 | 10) {
        Ok(())
    } else {
        Err(IcpNumberError::BadSerialLength {
            length: serial.chars().count(),
        })
    }
}

fn parse_suffix(rest: &str) -> Result<Option<WebsiteSuffix>, IcpNumberError> {
    if rest.is_empty() {
        return Ok(None);
    }
    let body = rest.strip_prefix('-').ok_or(IcpNumberError::Malformed)?;
    let (digits, kind) = match body.chars().last().and_then(SuffixKind::from_letter) {
        // The letters are ASCII: one byte.
        Some(kind) => (&body[..body.len() - 1], kind),
        None => (body, SuffixKind::Website),
    };
    if digits.is_empty() || digits.starts_with('0') || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IcpNumberError::BadSuffix);
    }
    let number = digits.parse().map_err(|_| IcpNumberError::BadSuffix)?;
    Ok(Some(WebsiteSuffix { number, kind }))
}

impl IcpNumber {
    /// Parses a sponsor or website number; see the module documentation.
    pub fn parse(value: &str) -> Result<IcpNumber, IcpNumberError> {
        let text = tidy(value);
        let mut chars = text.chars();
        let Some(first) = chars.next() else {
            return Err(IcpNumberError::Empty);
        };
        let rest = chars.as_str();
        let permit = rest.strip_prefix('B').or_else(|| text.strip_prefix('B'));
        if text.contains("ICP证")
            || text.contains("许可证")
            || permit.is_some_and(|p| p.starts_with('1') || p.starts_with('2'))
        {
            return Err(IcpNumberError::Licence);
        }
        if first.is_ascii() {
            return Err(IcpNumberError::MissingAbbreviation);
        }
        let province = province_of(first)?;
        let after = rest
            .strip_prefix("ICP备")
            .ok_or(IcpNumberError::MissingIcp)?;
        let serial_len = after.bytes().take_while(u8::is_ascii_digit).count();
        let (serial, tail) = after.split_at(serial_len);
        serial_ok(serial)?;
        let tail = tail.strip_prefix('号').unwrap_or(tail);
        let suffix = parse_suffix(tail)?;
        Ok(IcpNumber::from_checked(province, serial.to_owned(), suffix))
    }

    fn from_checked(province: Province, serial: String, suffix: Option<WebsiteSuffix>) -> Self {
        let mut text = format!("{}ICP备{serial}号", province.abbreviation());
        if let Some(s) = suffix {
            text.push_str(&s.to_string());
        }
        IcpNumber {
            text,
            province,
            serial,
            suffix,
        }
    }

    /// A sponsor number from its parts; `serial` must be 8 or 10 digits.
    pub fn sponsor(province: Province, serial: &str) -> Result<IcpNumber, IcpNumberError> {
        serial_ok(serial)?;
        Ok(IcpNumber::from_checked(province, serial.to_owned(), None))
    }

    /// A new-style sponsor number: the year and a 6-digit sequence (`2021`, `12345` →
    /// `2021012345`). Fails when the year is not four digits or the sequence exceeds 999999.
    pub fn new_sponsor(
        province: Province,
        year: u16,
        sequence: u32,
    ) -> Result<IcpNumber, IcpNumberError> {
        IcpNumber::sponsor(province, &format!("{year:04}{sequence:06}"))
    }

    /// This sponsor's number with a suffix: `number` ≥ 1.
    pub fn with_suffix(&self, number: u32, kind: SuffixKind) -> Result<IcpNumber, IcpNumberError> {
        if number == 0 {
            return Err(IcpNumberError::BadSuffix);
        }
        Ok(IcpNumber::from_checked(
            self.province,
            self.serial.clone(),
            Some(WebsiteSuffix { number, kind }),
        ))
    }

    /// The number of this sponsor's website `n` (`-n`).
    pub fn website(&self, n: u32) -> Result<IcpNumber, IcpNumberError> {
        self.with_suffix(n, SuffixKind::Website)
    }

    /// The number of this sponsor's app `n` (`-nA`).
    pub fn app(&self, n: u32) -> Result<IcpNumber, IcpNumberError> {
        self.with_suffix(n, SuffixKind::App)
    }

    /// The number of this sponsor's mini-program `n` (`-nX`).
    pub fn mini_program(&self, n: u32) -> Result<IcpNumber, IcpNumberError> {
        self.with_suffix(n, SuffixKind::MiniProgram)
    }

    /// The number of this sponsor's quick app `n` (`-nK`).
    pub fn quick_app(&self, n: u32) -> Result<IcpNumber, IcpNumberError> {
        self.with_suffix(n, SuffixKind::QuickApp)
    }

    /// The formatted number.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The province whose bureau issued it.
    pub fn province(&self) -> Province {
        self.province
    }

    /// The 8- or 10-digit serial.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The year of a 10-digit serial; `None` for the older 8-digit ones.
    pub fn year(&self) -> Option<u16> {
        if self.serial.len() == 10 {
            self.serial[..4].parse().ok()
        } else {
            None
        }
    }

    /// The website (app, mini-program) suffix, if this is not a sponsor number.
    pub fn suffix(&self) -> Option<WebsiteSuffix> {
        self.suffix
    }

    /// Whether this is a sponsor number (no suffix).
    pub fn is_sponsor_number(&self) -> bool {
        self.suffix.is_none()
    }

    /// The sponsor number: this number without its suffix.
    pub fn sponsor_number(&self) -> IcpNumber {
        IcpNumber::from_checked(self.province, self.serial.clone(), None)
    }
}

impl fmt::Display for IcpNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl TryFrom<String> for IcpNumber {
    type Error = IcpNumberError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        IcpNumber::parse(&value)
    }
}

impl From<IcpNumber> for String {
    fn from(n: IcpNumber) -> String {
        n.text
    }
}

#[cfg(test)]
#[path = "icp_number_tests.rs"]
mod tests;
