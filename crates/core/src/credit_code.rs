//! 统一社会信用代码: the 18-character unified social credit code of GB 32100-2015, the
//! certificate number of an organisation sponsor (company, institution, association…).
//!
//! Layout, over the 31-character alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY` (no I O Z S V):
//! 1 registration authority (登记管理部门), 2 kind of organisation (机构类别), 3–8 the
//! division code of the registering office (GB/T 2260, digits), 9–17 the organisation code
//! (主体标识码, GB 11714: 8 characters and their own check), 18 a check character (MOD 31).
//!
//! Decisions:
//! - Input is trimmed, upper-cased, and spaces and hyphens inside are dropped.
//! - The authority must be one GB 32100 and its amendments define: 1–9, A, N or Y. The kind
//!   is checked only for the three authorities that issue nearly every code and whose lists
//!   are closed: 1 机构编制 (1 2 3 9), 5 民政 (1 2 3 9), 9 工商/市场监管 (1 2 3); for the
//!   others any character of the alphabet is taken.
//! - The division's first two digits must be a mainland province, or `10` for central
//!   bodies registered at national level. 81/82/83 (Hong Kong, Macao, Taiwan) are refused:
//!   no mainland registration office sits there. County digits are not checked.
//! - The organisation code must pass GB 11714 (weights 3 7 9 10 5 8 4 2, mod 11, `X` for
//!   10, `0` for 11); this catches typos the MOD 31 check alone lets through and is stricter
//!   than python-stdnum, which checks only MOD 31.
//!
//! A credit code is a public registry identifier, not personal data; `Debug` shows it.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;
use crate::province::Province;

/// The 31 characters a credit code is written in, in value order.
pub const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";

const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

/// A unified social credit code, normalised (upper case, no separators).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

/// Why a credit code was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    #[error("the credit code is empty")]
    Empty,
    #[error("a credit code has 18 characters, not {length}")]
    BadLength { length: usize },
    #[error("character {position} ({character}) is not allowed")]
    BadCharacter { position: usize, character: char },
    #[error("{code} is not a registration authority")]
    UnknownAuthority { code: char },
    #[error("{kind} is not a kind of organisation of authority {authority}")]
    UnknownKind { authority: char, kind: char },
    #[error("the division code (characters 3-8) must be six digits")]
    BadDivision,
    #[error("{code} is not a province code")]
    UnknownDivision { code: String },
    #[error("the organisation code (characters 9-17) fails its check")]
    BadOrganisationCode,
    #[error("the check character does not match")]
    BadCheckCharacter,
}

impl Localized for CreditCodeError {
    fn message_key(&self) -> &'static str {
        match self {
            CreditCodeError::Empty => "credit_code.empty",
            CreditCodeError::BadLength { .. } => "credit_code.bad_length",
            CreditCodeError::BadCharacter { .. } => "credit_code.bad_character",
            CreditCodeError::UnknownAuthority { .. } => "credit_code.unknown_authority",
            CreditCodeError::UnknownKind { .. } => "credit_code.unknown_kind",
            CreditCodeError::BadDivision => "credit_code.bad_division",
            CreditCodeError::UnknownDivision { .. } => "credit_code.unknown_division",
            CreditCodeError::BadOrganisationCode => "credit_code.bad_organisation_code",
            CreditCodeError::BadCheckCharacter => "credit_code.bad_check_character",
        }
    }
    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            CreditCodeError::BadLength { length } => vec![("length", length.to_string())],
            CreditCodeError::BadCharacter {
                position,
                character,
            } => vec![
                ("position", position.to_string()),
                ("character", character.to_string()),
            ],
            CreditCodeError::UnknownAuthority { code } => vec![("code", code.to_string())],
            CreditCodeError::UnknownKind { authority, kind } => vec![
                ("authority", authority.to_string()),
                ("kind", kind.to_string()),
            ],
            CreditCodeError::UnknownDivision { code } => vec![("code", code.clone())],
            _ => Vec::new(),
        }
    }
}

/// 登记管理部门: who registered the organisation (character 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Authority {
    /// 1 机构编制
    InstitutionalEstablishment,
    /// 2 外交
    ForeignAffairs,
    /// 3 司法行政
    Justice,
    /// 4 文化
    Culture,
    /// 5 民政
    CivilAffairs,
    /// 6 旅游
    Tourism,
    /// 7 宗教
    Religion,
    /// 8 工会
    TradeUnion,
    /// 9 工商 (市场监管): companies, sole traders, farmers' co-operatives.
    MarketRegulation,
    /// A 中央军委改革和编制办公室
    Military,
    /// N 农业
    Agriculture,
    /// Y 其他
    Other,
}

impl Authority {
    fn from_char(c: char) -> Option<Authority> {
        Some(match c {
            '1' => Authority::InstitutionalEstablishment,
            '2' => Authority::ForeignAffairs,
            '3' => Authority::Justice,
            '4' => Authority::Culture,
            '5' => Authority::CivilAffairs,
            '6' => Authority::Tourism,
            '7' => Authority::Religion,
            '8' => Authority::TradeUnion,
            '9' => Authority::MarketRegulation,
            'A' => Authority::Military,
            'N' => Authority::Agriculture,
            'Y' => Authority::Other,
            _ => return None,
        })
    }

    /// The kinds this authority may give, when its list is closed.
    fn kinds(self) -> Option<&'static str> {
        match self {
            Authority::InstitutionalEstablishment | Authority::CivilAffairs => Some("1239"),
            Authority::MarketRegulation => Some("123"),
            _ => None,
        }
    }
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET
        .chars()
        .position(|a| a == c)
        .and_then(|p| u32::try_from(p).ok())
}

/// The MOD 31 check character of the first 17 characters, or `None` if `body` is not 17
/// characters of the alphabet.
pub fn check_character(body: &str) -> Option<char> {
    if body.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    let value = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(usize::try_from(value).ok()?)
}

/// The GB 11714 check character of an 8-character organisation code body (digits and
/// upper-case letters), or `None` if `body` is not that.
pub fn organisation_check_character(body: &str) -> Option<char> {
    if body.chars().count() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body.chars().zip(ORG_WEIGHTS) {
        let v = match c {
            '0'..='9' | 'A'..='Z' => c.to_digit(36)?,
            _ => return None,
        };
        sum += v * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        n => char::from_digit(n, 10),
    }
}

impl CreditCode {
    /// Parses a credit code; see the module documentation for what is checked.
    pub fn parse(value: &str) -> Result<CreditCode, CreditCodeError> {
        let code: String = value
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if code.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let chars: Vec<char> = code.chars().collect();
        if chars.len() != 18 {
            return Err(CreditCodeError::BadLength {
                length: chars.len(),
            });
        }
        if let Some((i, &c)) = chars
            .iter()
            .enumerate()
            .find(|(_, c)| value_of(**c).is_none())
        {
            return Err(CreditCodeError::BadCharacter {
                position: i + 1,
                character: c,
            });
        }
        let authority = Authority::from_char(chars[0])
            .ok_or(CreditCodeError::UnknownAuthority { code: chars[0] })?;
        if authority.kinds().is_some_and(|k| !k.contains(chars[1])) {
            return Err(CreditCodeError::UnknownKind {
                authority: chars[0],
                kind: chars[1],
            });
        }
        let division = &code[2..8];
        if !division.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CreditCodeError::BadDivision);
        }
        if &division[..2] != "10" && Province::parse(&division[..2]).is_err() {
            return Err(CreditCodeError::UnknownDivision {
                code: division[..2].to_owned(),
            });
        }
        if organisation_check_character(&code[8..16]) != Some(chars[16]) {
            return Err(CreditCodeError::BadOrganisationCode);
        }
        if check_character(&code[..17]) != Some(chars[17]) {
            return Err(CreditCodeError::BadCheckCharacter);
        }
        Ok(CreditCode(code))
    }

    /// Builds a valid code from its first 16 characters (authority, kind, division and the
    /// organisation code body), computing both check characters. For simulators and tests.
    pub fn from_parts(first_16: &str) -> Result<CreditCode, CreditCodeError> {
        let body = first_16.trim().to_ascii_uppercase();
        let org = body
            .get(8..16)
            .and_then(organisation_check_character)
            .ok_or(CreditCodeError::BadLength {
                length: body.chars().count(),
            })?;
        let with_org = format!("{body}{org}");
        let check = check_character(&with_org).ok_or(CreditCodeError::BadLength {
            length: with_org.chars().count(),
        })?;
        CreditCode::parse(&format!("{with_org}{check}"))
    }

    /// The normalised code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The code with the organisation code hidden, for lists where the whole is not needed.
    pub fn masked(&self) -> String {
        crate::mask::mask(&self.0, 8, 2)
    }

    /// Who registered the organisation (character 1).
    pub fn authority(&self) -> Authority {
        self.0
            .chars()
            .next()
            .and_then(Authority::from_char)
            .unwrap_or(Authority::Other)
    }

    /// The kind of organisation within the authority (character 2), e.g. `1` for a company
    /// under authority 9.
    pub fn kind_code(&self) -> char {
        self.0.chars().nth(1).unwrap_or('9')
    }

    /// The division code of the registering office (characters 3–8), e.g. `330100`.
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// The province of the registering office, or `None` for a central (`10`) body.
    pub fn province(&self) -> Option<Province> {
        Province::parse(&self.0[2..4]).ok()
    }

    /// The 9-character organisation code (characters 9–17).
    pub fn organisation_code(&self) -> &str {
        &self.0[8..17]
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        CreditCode::parse(&value)
    }
}

impl From<CreditCode> for String {
    fn from(code: CreditCode) -> String {
        code.0
    }
}

#[cfg(test)]
#[path = "credit_code_tests.rs"]
mod tests;
