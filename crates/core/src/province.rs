//! The 31 provincial-level divisions of the mainland, each with its GB/T 2260 two-digit code,
//! its name, its communications administration (管局) and the abbreviation that bureau puts in
//! ICP numbers (DESIGN.md §6).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::i18n::Localized;

/// One row of the province table.
#[derive(Debug, PartialEq, Eq)]
pub struct ProvinceInfo {
    /// GB/T 2260 two-digit code, e.g. `"33"`.
    pub code: &'static str,
    /// Short name, e.g. `浙江`.
    pub short_name: &'static str,
    /// Full name, e.g. `浙江省`.
    pub name: &'static str,
    /// The bureau, e.g. `浙江省通信管理局`.
    pub bureau: &'static str,
    /// The bureau's abbreviation in ICP numbers, e.g. `浙`.
    pub abbreviation: char,
    /// English name.
    pub name_en: &'static str,
}

const fn row(
    code: &'static str,
    short_name: &'static str,
    name: &'static str,
    bureau: &'static str,
    abbreviation: char,
    name_en: &'static str,
) -> ProvinceInfo {
    ProvinceInfo {
        code,
        short_name,
        name,
        bureau,
        abbreviation,
        name_en,
    }
}

/// The table, in GB/T 2260 order.
pub static PROVINCES: [ProvinceInfo; 31] = [
    row("11", "北京", "北京市", "北京市通信管理局", '京', "Beijing"),
    row("12", "天津", "天津市", "天津市通信管理局", '津', "Tianjin"),
    row("13", "河北", "河北省", "河北省通信管理局", '冀', "Hebei"),
    row("14", "山西", "山西省", "山西省通信管理局", '晋', "Shanxi"),
    row(
        "15",
        "内蒙古",
        "内蒙古自治区",
        "内蒙古自治区通信管理局",
        '蒙',
        "Inner Mongolia",
    ),
    row("21", "辽宁", "辽宁省", "辽宁省通信管理局", '辽', "Liaoning"),
    row("22", "吉林", "吉林省", "吉林省通信管理局", '吉', "Jilin"),
    row(
        "23",
        "黑龙江",
        "黑龙江省",
        "黑龙江省通信管理局",
        '黑',
        "Heilongjiang",
    ),
    row("31", "上海", "上海市", "上海市通信管理局", '沪', "Shanghai"),
    row("32", "江苏", "江苏省", "江苏省通信管理局", '苏', "Jiangsu"),
    row("33", "浙江", "浙江省", "浙江省通信管理局", '浙', "Zhejiang"),
    row("34", "安徽", "安徽省", "安徽省通信管理局", '皖', "Anhui"),
    row("35", "福建", "福建省", "福建省通信管理局", '闽', "Fujian"),
    row("36", "江西", "江西省", "江西省通信管理局", '赣', "Jiangxi"),
    row("37", "山东", "山东省", "山东省通信管理局", '鲁', "Shandong"),
    row("41", "河南", "河南省", "河南省通信管理局", '豫', "Henan"),
    row("42", "湖北", "湖北省", "湖北省通信管理局", '鄂', "Hubei"),
    row("43", "湖南", "湖南省", "湖南省通信管理局", '湘', "Hunan"),
    row(
        "44",
        "广东",
        "广东省",
        "广东省通信管理局",
        '粤',
        "Guangdong",
    ),
    row(
        "45",
        "广西",
        "广西壮族自治区",
        "广西壮族自治区通信管理局",
        '桂',
        "Guangxi",
    ),
    row("46", "海南", "海南省", "海南省通信管理局", '琼', "Hainan"),
    row(
        "50",
        "重庆",
        "重庆市",
        "重庆市通信管理局",
        '渝',
        "Chongqing",
    ),
    row("51", "四川", "四川省", "四川省通信管理局", '蜀', "Sichuan"),
    row("52", "贵州", "贵州省", "贵州省通信管理局", '黔', "Guizhou"),
    row("53", "云南", "云南省", "云南省通信管理局", '滇', "Yunnan"),
    row(
        "54",
        "西藏",
        "西藏自治区",
        "西藏自治区通信管理局",
        '藏',
        "Tibet",
    ),
    row("61", "陕西", "陕西省", "陕西省通信管理局", '陕', "Shaanxi"),
    row("62", "甘肃", "甘肃省", "甘肃省通信管理局", '陇', "Gansu"),
    row("63", "青海", "青海省", "青海省通信管理局", '青', "Qinghai"),
    row(
        "64",
        "宁夏",
        "宁夏回族自治区",
        "宁夏回族自治区通信管理局",
        '宁',
        "Ningxia",
    ),
    row(
        "65",
        "新疆",
        "新疆维吾尔自治区",
        "新疆维吾尔自治区通信管理局",
        '新',
        "Xinjiang",
    ),
];

/// A mainland province, identified by its GB/T 2260 code. Serialised as that code (`"33"`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Province(u8);

/// Why a province could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProvinceError {
    #[error("not a province code: {0}")]
    UnknownCode(String),
    #[error("not a bureau abbreviation: {0}")]
    UnknownAbbreviation(String),
}

impl Localized for ProvinceError {
    fn message_key(&self) -> &'static str {
        match self {
            ProvinceError::UnknownCode(_) => "province.unknown_code",
            ProvinceError::UnknownAbbreviation(_) => "province.unknown_abbreviation",
        }
    }
    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            ProvinceError::UnknownCode(v) | ProvinceError::UnknownAbbreviation(v) => {
                vec![("value", v.clone())]
            }
        }
    }
}

impl Province {
    pub const BEIJING: Province = Province(0);
    pub const TIANJIN: Province = Province(1);
    pub const SHANGHAI: Province = Province(8);
    pub const ZHEJIANG: Province = Province(10);
    pub const GUANGDONG: Province = Province(18);
    pub const HAINAN: Province = Province(20);
    pub const TIBET: Province = Province(25);
    pub const GANSU: Province = Province(27);
    pub const QINGHAI: Province = Province(28);
    pub const NINGXIA: Province = Province(29);
    pub const XINJIANG: Province = Province(30);

    /// Parses a GB/T 2260 two-digit code (`"33"`); a six-digit division code (`"330100"`) is
    /// accepted and reduced to its province.
    pub fn parse(code: &str) -> Result<Province, ProvinceError> {
        let trimmed = code.trim();
        let two = match trimmed.len() {
            2 => trimmed,
            6 if trimmed.bytes().all(|b| b.is_ascii_digit()) => &trimmed[..2],
            _ => return Err(ProvinceError::UnknownCode(code.to_owned())),
        };
        PROVINCES
            .iter()
            .position(|p| p.code == two)
            .and_then(|i| u8::try_from(i).ok())
            .map(Province)
            .ok_or_else(|| ProvinceError::UnknownCode(code.to_owned()))
    }

    /// The province whose bureau uses `abbreviation` in ICP numbers (`浙` → Zhejiang).
    pub fn from_abbreviation(abbreviation: char) -> Result<Province, ProvinceError> {
        PROVINCES
            .iter()
            .position(|p| p.abbreviation == abbreviation)
            .and_then(|i| u8::try_from(i).ok())
            .map(Province)
            .ok_or_else(|| ProvinceError::UnknownAbbreviation(abbreviation.to_string()))
    }

    /// Every province, in table order.
    pub fn all() -> impl Iterator<Item = Province> {
        (0..PROVINCES.len())
            .filter_map(|i| u8::try_from(i).ok())
            .map(Province)
    }

    pub fn info(self) -> &'static ProvinceInfo {
        // The index is only ever made from a position in PROVINCES.
        &PROVINCES[usize::from(self.0) % PROVINCES.len()]
    }

    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    pub fn bureau(self) -> &'static str {
        self.info().bureau
    }

    pub fn abbreviation(self) -> char {
        self.info().abbreviation
    }
}

impl fmt::Debug for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Province({} {})", self.code(), self.info().short_name)
    }
}

impl fmt::Display for Province {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl TryFrom<String> for Province {
    type Error = ProvinceError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Province::parse(&value)
    }
}

impl From<Province> for String {
    fn from(p: Province) -> String {
        p.code().to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_31_distinct_codes_and_abbreviations() {
        let mut codes: Vec<_> = PROVINCES.iter().map(|p| p.code).collect();
        let mut abbrs: Vec<_> = PROVINCES.iter().map(|p| p.abbreviation).collect();
        codes.sort_unstable();
        codes.dedup();
        abbrs.sort_unstable();
        abbrs.dedup();
        assert_eq!(codes.len(), 31);
        assert_eq!(abbrs.len(), 31);
        assert!(
            PROVINCES
                .iter()
                .all(|p| p.bureau.ends_with("通信管理局") && p.bureau.starts_with(p.name))
        );
    }

    #[test]
    fn abbreviations_match_design() {
        let design: String =
            "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝蜀黔滇藏陕陇青宁新".into();
        let ours: String = PROVINCES.iter().map(|p| p.abbreviation).collect();
        assert_eq!(ours, design);
    }

    #[test]
    fn named_constants_point_at_the_right_rows() {
        assert_eq!(Province::BEIJING.code(), "11");
        assert_eq!(Province::TIANJIN.code(), "12");
        assert_eq!(Province::SHANGHAI.code(), "31");
        assert_eq!(Province::ZHEJIANG.code(), "33");
        assert_eq!(Province::GUANGDONG.code(), "44");
        assert_eq!(Province::HAINAN.code(), "46");
        assert_eq!(Province::TIBET.code(), "54");
        assert_eq!(Province::GANSU.code(), "62");
        assert_eq!(Province::QINGHAI.code(), "63");
        assert_eq!(Province::NINGXIA.code(), "64");
        assert_eq!(Province::XINJIANG.code(), "65");
    }

    #[test]
    fn parse_codes_and_abbreviations() {
        let cases: &[(&str, Option<&str>)] = &[
            ("33", Some("浙江省")),
            (" 44 ", Some("广东省")),
            ("330106", Some("浙江省")),
            ("71", None), // Taiwan has no mainland bureau
            ("81", None),
            ("3", None),
            ("zj", None),
            ("", None),
        ];
        for (input, want) in cases {
            assert_eq!(
                Province::parse(input).ok().map(Province::name),
                *want,
                "{input:?}"
            );
        }
        assert_eq!(Province::from_abbreviation('陇'), Ok(Province::GANSU));
        assert_eq!(
            Province::from_abbreviation('蜀').map(Province::code),
            Ok("51")
        );
        assert!(Province::from_abbreviation('甘').is_err());
        assert!(Province::from_abbreviation('川').is_err());
    }

    #[test]
    fn serde_uses_the_code() {
        assert_eq!(
            serde_json::to_string(&Province::ZHEJIANG).unwrap(),
            "\"33\""
        );
        let back: Province = serde_json::from_str("\"33\"").unwrap();
        assert_eq!(back, Province::ZHEJIANG);
        assert!(serde_json::from_str::<Province>("\"99\"").is_err());
    }

    #[test]
    fn errors_have_messages() {
        use crate::i18n::{Locale, has_key};
        let err = Province::parse("99").unwrap_err();
        assert!(has_key(err.message_key()));
        assert!(err.localize(Locale::ZhCn).contains("99"));
    }
}
