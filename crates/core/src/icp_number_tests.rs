//! Unit tests of [`super::IcpNumber`].

use super::*;
use crate::i18n::{Locale, has_key};
use IcpNumberError as E;

#[test]
fn accepted_and_normalised() {
    let cases: &[(&str, &str)] = &[
        ("浙ICP备2021012345号", "浙ICP备2021012345号"),
        ("浙ICP备2021012345号-1", "浙ICP备2021012345号-1"),
        ("浙ICP备2021012345号-12", "浙ICP备2021012345号-12"),
        ("浙ICP备2021012345号-1A", "浙ICP备2021012345号-1A"),
        ("浙ICP备2021012345号-3X", "浙ICP备2021012345号-3X"),
        ("浙ICP备2021012345号-2a", "浙ICP备2021012345号-2A"),
        ("浙ICP备2021012345号-2x", "浙ICP备2021012345号-2X"),
        // APP, mini-program and quick-app numbers as they appear on the ministry's query.
        ("粤ICP备2023123456号-5A", "粤ICP备2023123456号-5A"),
        ("京ICP备2023012345号-12A", "京ICP备2023012345号-12A"),
        ("沪ICP备2024001234号-3X", "沪ICP备2024001234号-3X"),
        ("浙ICP备2024056789号-2K", "浙ICP备2024056789号-2K"),
        ("浙ICP备2024056789号-2k", "浙ICP备2024056789号-2K"),
        ("浙ICP备2024056789－７Ｋ", "浙ICP备2024056789号-7K"),
        // Older 8-digit serials.
        ("京ICP备05002571号", "京ICP备05002571号"),
        ("粤ICP备12345678号-5", "粤ICP备12345678号-5"),
        // Messy input: spaces, full-width, lower case, other dashes, missing 号.
        (" 浙 ICP 备 2021012345 号 - 1 ", "浙ICP备2021012345号-1"),
        (
            "浙ＩＣＰ备２０２１０１２３４５号－１",
            "浙ICP备2021012345号-1",
        ),
        ("浙icp备2021012345号", "浙ICP备2021012345号"),
        ("浙ICP备2021012345号—1", "浙ICP备2021012345号-1"),
        (
            "浙ICP备2021012345号\u{3000}-\u{3000}1",
            "浙ICP备2021012345号-1",
        ),
        ("浙ICP备2021012345", "浙ICP备2021012345号"),
        ("浙ICP备2021012345-1", "浙ICP备2021012345号-1"),
        // Abbreviations that are not the obvious ones.
        ("蜀ICP备2021012345号", "蜀ICP备2021012345号"),
        ("陇ICP备2021012345号", "陇ICP备2021012345号"),
        ("蒙ICP备2021012345号", "蒙ICP备2021012345号"),
    ];
    for (input, want) in cases {
        match IcpNumber::parse(input) {
            Ok(n) => assert_eq!(n.as_str(), *want, "{input:?}"),
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
}

#[test]
fn every_abbreviation_is_accepted() {
    for p in Province::all() {
        let text = format!("{}ICP备2021012345号-1", p.abbreviation());
        let n = IcpNumber::parse(&text).unwrap();
        assert_eq!(n.province(), p);
        assert_eq!(n.as_str(), text);
    }
}

#[test]
fn refused() {
    let unknown = |v: &str| E::UnknownAbbreviation { value: v.into() };
    let wrong = |v: char, code: &str| E::WrongAbbreviation {
        value: v,
        expected: Province::parse(code).unwrap(),
    };
    let cases: Vec<(&str, E)> = vec![
        ("", E::Empty),
        ("  ", E::Empty),
        // Licences and permits.
        ("京ICP证030173号", E::Licence),
        ("京ICP证030173号-1", E::Licence),
        ("浙B2-20080224", E::Licence),
        ("浙B1-20080224", E::Licence),
        ("B2-20080224", E::Licence),
        ("增值电信业务经营许可证 浙B2-20080224", E::Licence),
        // Not abbreviations: 川 and 甘 are the provinces' common short names, but the
        // bureaus use 蜀 and 陇.
        ("川ICP备2021012345号", wrong('川', "51")),
        ("甘ICP备2021012345号", wrong('甘', "62")),
        ("贵ICP备2021012345号", wrong('贵', "52")),
        ("云ICP备2021012345号", wrong('云', "53")),
        ("秦ICP备2021012345号", wrong('秦', "61")),
        ("港ICP备2021012345号", unknown("港")),
        ("台ICP备2021012345号", unknown("台")),
        ("ICP备2021012345号", E::MissingAbbreviation),
        ("2021012345", E::MissingAbbreviation),
        ("浙备2021012345号", E::MissingIcp),
        ("浙ICP2021012345号", E::MissingIcp),
        ("浙ICP备号", E::BadSerialLength { length: 0 }),
        ("浙ICP备202101234号", E::BadSerialLength { length: 9 }),
        ("浙ICP备1234567号", E::BadSerialLength { length: 7 }),
        ("浙ICP备20210123456号", E::BadSerialLength { length: 11 }),
        ("浙ICP备2021012345号1", E::Malformed),
        ("浙ICP备2021012345号号", E::Malformed),
        ("浙ICP备2021012345号-0", E::BadSuffix),
        ("浙ICP备2021012345号-01", E::BadSuffix),
        ("浙ICP备2021012345号-", E::BadSuffix),
        ("浙ICP备2021012345号-A", E::BadSuffix),
        ("浙ICP备2021012345号-1B", E::BadSuffix),
        ("浙ICP备2021012345号-1AX", E::BadSuffix),
        ("浙ICP备2021012345号-1KA", E::BadSuffix),
        ("浙ICP备2021012345号-K", E::BadSuffix),
        ("浙ICP备2021012345号-0K", E::BadSuffix),
        ("浙ICP备2021012345号-1Q", E::BadSuffix),
        ("浙ICP备2021012345号-99999999999", E::BadSuffix),
    ];
    for (input, want) in &cases {
        assert_eq!(IcpNumber::parse(input).as_ref(), Err(want), "{input:?}");
    }
}

#[test]
fn parts() {
    let n = IcpNumber::parse("浙ICP备2021012345号-3A").unwrap();
    assert_eq!(n.province(), Province::ZHEJIANG);
    assert_eq!(n.serial(), "2021012345");
    assert_eq!(n.year(), Some(2021));
    assert_eq!(
        n.suffix(),
        Some(WebsiteSuffix {
            number: 3,
            kind: SuffixKind::App
        })
    );
    assert!(!n.is_sponsor_number());
    let sponsor = n.sponsor_number();
    assert_eq!(sponsor.as_str(), "浙ICP备2021012345号");
    assert!(sponsor.is_sponsor_number());
    assert_eq!(sponsor.suffix(), None);
    let old = IcpNumber::parse("京ICP备05002571号-1").unwrap();
    assert_eq!(old.year(), None);
    assert_eq!(old.suffix().map(|s| s.kind), Some(SuffixKind::Website));
    let mini = IcpNumber::parse("浙ICP备2021012345号-1X").unwrap();
    assert_eq!(mini.suffix().map(|s| s.kind), Some(SuffixKind::MiniProgram));
    let quick = IcpNumber::parse("浙ICP备2024056789号-2K").unwrap();
    assert_eq!(
        quick.suffix(),
        Some(WebsiteSuffix {
            number: 2,
            kind: SuffixKind::QuickApp
        })
    );
    assert_eq!(quick.sponsor_number().as_str(), "浙ICP备2024056789号");
}

#[test]
fn every_suffix_kind_round_trips() {
    let sponsor = IcpNumber::parse("粤ICP备2023123456号").unwrap();
    for kind in SuffixKind::ALL {
        let n = sponsor.with_suffix(5, kind).unwrap();
        assert_eq!(
            n.as_str(),
            format!("粤ICP备2023123456号-5{}", kind.letter())
        );
        let back = IcpNumber::parse(n.as_str()).unwrap();
        assert_eq!(back, n);
        assert_eq!(back.suffix().map(|s| s.kind), Some(kind));
    }
}

#[test]
fn built_from_parts() {
    let sponsor = IcpNumber::new_sponsor(Province::ZHEJIANG, 2021, 12345).unwrap();
    assert_eq!(sponsor.as_str(), "浙ICP备2021012345号");
    assert_eq!(
        sponsor.website(1).unwrap().as_str(),
        "浙ICP备2021012345号-1"
    );
    assert_eq!(sponsor.app(2).unwrap().as_str(), "浙ICP备2021012345号-2A");
    assert_eq!(
        sponsor.mini_program(1).unwrap().as_str(),
        "浙ICP备2021012345号-1X"
    );
    assert_eq!(
        sponsor.quick_app(4).unwrap().as_str(),
        "浙ICP备2021012345号-4K"
    );
    assert_eq!(sponsor.website(0), Err(E::BadSuffix));
    assert_eq!(
        IcpNumber::new_sponsor(Province::SHANGHAI, 2024, 1_000_000),
        Err(E::BadSerialLength { length: 11 })
    );
    assert_eq!(
        IcpNumber::sponsor(Province::BEIJING, "05002571")
            .unwrap()
            .as_str(),
        "京ICP备05002571号"
    );
    assert_eq!(
        IcpNumber::sponsor(Province::BEIJING, "0500257"),
        Err(E::BadSerialLength { length: 7 })
    );
    assert_eq!(
        IcpNumber::sponsor(Province::BEIJING, "0500257a"),
        Err(E::BadSerialLength { length: 8 })
    );
    // What is built parses back to itself.
    for n in [
        sponsor.website(7).unwrap(),
        sponsor.mini_program(3).unwrap(),
    ] {
        assert_eq!(IcpNumber::parse(n.as_str()).unwrap(), n);
    }
}

#[test]
fn serde_round_trip() {
    let n = IcpNumber::parse("浙ICP备2021012345号-1").unwrap();
    let json = serde_json::to_string(&n).unwrap();
    assert_eq!(json, "\"浙ICP备2021012345号-1\"");
    let back: IcpNumber = serde_json::from_str("\"浙 icp 备 2021012345 号－1\"").unwrap();
    assert_eq!(back, n);
    assert!(serde_json::from_str::<IcpNumber>("\"京ICP证030173号\"").is_err());
}

#[test]
fn every_error_has_a_message() {
    let errors = [
        E::Empty,
        E::Licence,
        E::MissingAbbreviation,
        E::UnknownAbbreviation {
            value: "港".into()
        },
        E::WrongAbbreviation {
            value: '川',
            expected: Province::parse("51").unwrap(),
        },
        E::MissingIcp,
        E::BadSerialLength { length: 9 },
        E::Malformed,
        E::BadSuffix,
    ];
    for e in errors {
        assert!(has_key(e.message_key()), "{}", e.message_key());
        for locale in Locale::ALL {
            assert!(!e.localize(locale).contains('{'), "{}", e.localize(locale));
        }
    }
    let sichuan = IcpNumber::parse("川ICP备2021012345号").unwrap_err();
    assert_eq!(
        sichuan.localize(Locale::ZhCn),
        "“川”不是管局简称：四川省通信管理局的备案号以“蜀”开头"
    );
    assert!(sichuan.localize(Locale::En).contains("Sichuan"));
    assert_eq!(
        E::Licence.localize(Locale::ZhCn),
        "这是经营许可证号，不是备案号"
    );
    assert_eq!(
        E::Licence.localize(Locale::En),
        "this is a licence, not a filing number"
    );
}
