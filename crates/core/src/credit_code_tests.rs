//! Unit tests of [`super::CreditCode`]. Every sample's two check characters were computed
//! (MOD 31 also by python-stdnum's `cn.uscc.calc_check_digit`); the invalid samples carry
//! correct check characters wherever the test is about another part.

use super::*;
use crate::i18n::{Locale, has_key};
use CreditCodeError as E;

#[test]
fn valid_codes() {
    let cases: &[(&str, &str)] = &[
        // python-stdnum's doctest sample.
        ("91110000600037341L", "91110000600037341L"),
        // Public registry codes: 华为技术有限公司, 深圳市腾讯计算机系统有限公司,
        // 北京小米科技有限责任公司 (both checks verified, not just recalled).
        ("914403001922038216", "914403001922038216"),
        ("91440300708461136T", "91440300708461136T"),
        ("91110108551385082Q", "91110108551385082Q"),
        // Further public codes of large companies; both checks verify.
        ("91330100716105852F", "91330100716105852F"),
        ("91330100799655058B", "91330100799655058B"),
        ("91310000775785552L", "91310000775785552L"),
        ("9111000071093123XX", "9111000071093123XX"),
        // Normalisation: lower case, spaces, hyphens.
        ("91440300708461136t", "91440300708461136T"),
        (" 9144 0300 7084 6113 6T ", "91440300708461136T"),
        ("914403-001922038216", "914403001922038216"),
        // Hand-made: central body (division 10), social organisation (5 1), other
        // authority (Y), agriculture (N 2), sole trader (9 2), co-operative (9 3).
        ("11100000000019000B", "11100000000019000B"),
        ("51330100MJ87123439", "51330100MJ87123439"),
        ("Y1110000MA1234569R", "Y1110000MA1234569R"),
        ("N2330106MA2CFX6X1N", "N2330106MA2CFX6X1N"),
        ("92330106MA2CFX6X14", "92330106MA2CFX6X14"),
        ("93440300MA5DEXXX4Q", "93440300MA5DEXXX4Q"),
        // Organisation check character X, MOD 31 check X.
        ("9144030019220383XX", "9144030019220383XX"),
    ];
    for (input, want) in cases {
        match CreditCode::parse(input) {
            Ok(code) => assert_eq!(code.as_str(), *want, "{input:?}"),
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
}

#[test]
fn invalid_codes() {
    let cases: &[(&str, E)] = &[
        ("", E::Empty),
        (" - ", E::Empty),
        ("9144030070846113", E::BadLength { length: 16 }),
        ("91440300708461136TT", E::BadLength { length: 19 }),
        // Letters outside the alphabet (I O Z S V) and other characters.
        (
            "9144030070846113IT",
            E::BadCharacter {
                position: 17,
                character: 'I',
            },
        ),
        (
            "O1440300708461136T",
            E::BadCharacter {
                position: 1,
                character: 'O',
            },
        ),
        (
            "91440300708461S36T",
            E::BadCharacter {
                position: 15,
                character: 'S',
            },
        ),
        (
            "9144030070846113ZV",
            E::BadCharacter {
                position: 17,
                character: 'Z',
            },
        ),
        (
            "91440300708461136*",
            E::BadCharacter {
                position: 18,
                character: '*',
            },
        ),
        ("B14403001922038214", E::UnknownAuthority { code: 'B' }),
        (
            "94440300192203821W",
            E::UnknownKind {
                authority: '9',
                kind: '4',
            },
        ),
        (
            "54330100192203821U",
            E::UnknownKind {
                authority: '5',
                kind: '4',
            },
        ),
        ("9144A3001922038212", E::BadDivision),
        (
            "91990000192203821W",
            E::UnknownDivision { code: "99".into() },
        ),
        (
            "918100001922038215",
            E::UnknownDivision { code: "81".into() },
        ),
        (
            "91710000192203821E",
            E::UnknownDivision { code: "71".into() },
        ),
        // Organisation code check wrong (the MOD 31 character is right for the body).
        ("914403001922038229", E::BadOrganisationCode),
        ("914403001922038317", E::BadOrganisationCode),
        // MOD 31 check wrong. The first is the brief's example: its check would be A.
        ("91330000MA27U0DN1X", E::BadCheckCharacter),
        ("914403001922038217", E::BadCheckCharacter),
        ("91440300708461136U", E::BadCheckCharacter),
    ];
    for (input, want) in cases {
        assert_eq!(CreditCode::parse(input).as_ref(), Err(want), "{input:?}");
    }
}

#[test]
fn check_characters() {
    assert_eq!(check_character("91330000MA27U0DN1"), Some('A'));
    assert_eq!(check_character("9144030019220382"), None);
    assert_eq!(check_character("9144030019220382I"), None);
    assert_eq!(organisation_check_character("19220382"), Some('1'));
    assert_eq!(organisation_check_character("71093123"), Some('X'));
    assert_eq!(organisation_check_character("7109312"), None);
    assert_eq!(organisation_check_character("7109312a"), None);
    // A body whose GB 11714 remainder is 0 gets '0': find one and check it round-trips.
    let zero = (0..100_000u32)
        .map(|n| format!("{n:08}"))
        .find(|b| organisation_check_character(b) == Some('0'));
    let zero = zero.unwrap();
    let digits: Vec<u32> = zero.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = digits.iter().zip(ORG_WEIGHTS).map(|(d, w)| d * w).sum();
    assert_eq!(sum % 11, 0, "{zero}");
}

#[test]
fn parts() {
    let code = CreditCode::parse("91330100716105852F").unwrap();
    assert_eq!(code.authority(), Authority::MarketRegulation);
    assert_eq!(code.kind_code(), '1');
    assert_eq!(code.division_code(), "330100");
    assert_eq!(code.province(), Some(Province::ZHEJIANG));
    assert_eq!(code.organisation_code(), "716105852");
    assert_eq!(code.masked(), "91330100********2F");
    let central = CreditCode::parse("11100000000019000B").unwrap();
    assert_eq!(central.authority(), Authority::InstitutionalEstablishment);
    assert_eq!(central.province(), None);
}

#[test]
fn from_parts_computes_both_checks() {
    let code = CreditCode::from_parts("9144030019220382").unwrap();
    assert_eq!(code.as_str(), "914403001922038216");
    assert_eq!(
        CreditCode::from_parts("9199000019220382"),
        Err(E::UnknownDivision { code: "99".into() })
    );
    assert!(CreditCode::from_parts("914403").is_err());
}

#[test]
fn serde_round_trip() {
    let code = CreditCode::parse("91440300708461136t").unwrap();
    assert_eq!(
        serde_json::to_string(&code).unwrap(),
        "\"91440300708461136T\""
    );
    let back: CreditCode = serde_json::from_str("\"9144 0300 7084 6113 6T\"").unwrap();
    assert_eq!(back, code);
    assert!(serde_json::from_str::<CreditCode>("\"91330000MA27U0DN1X\"").is_err());
}

#[test]
fn every_error_has_a_message() {
    let errors = [
        E::Empty,
        E::BadLength { length: 3 },
        E::BadCharacter {
            position: 2,
            character: 'I',
        },
        E::UnknownAuthority { code: 'B' },
        E::UnknownKind {
            authority: '9',
            kind: '4',
        },
        E::BadDivision,
        E::UnknownDivision { code: "99".into() },
        E::BadOrganisationCode,
        E::BadCheckCharacter,
    ];
    for e in errors {
        assert!(has_key(e.message_key()), "{}", e.message_key());
        for locale in Locale::ALL {
            assert!(!e.localize(locale).contains('{'), "{}", e.localize(locale));
        }
    }
    let text = E::BadCharacter {
        position: 2,
        character: 'I',
    }
    .localize(Locale::ZhCn);
    assert!(text.contains('I') && text.contains('2'), "{text}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    fn valid_code() -> impl Strategy<Value = String> {
        let chars: Vec<char> = ALPHABET.chars().collect();
        (
            prop::sample::select(vec!["91", "92", "93", "11", "51", "Y1", "N2"]),
            prop::sample::select(vec!["11", "33", "44", "65", "10"]),
            0u32..10_000,
            prop::collection::vec(prop::sample::select(chars), 8),
        )
            .prop_map(|(head, province, county, org)| {
                let org: String = org.into_iter().collect();
                let code = CreditCode::from_parts(&format!("{head}{province}{county:04}{org}"));
                code.map(String::from).unwrap_or_default()
            })
    }

    proptest! {
        #[test]
        fn built_codes_parse(code in valid_code()) {
            prop_assert_eq!(CreditCode::parse(&code).map(String::from), Ok(code.clone()));
        }

        #[test]
        fn any_single_substitution_is_refused(
            code in valid_code(),
            i in 0usize..18,
            c in prop::sample::select(ALPHABET.chars().collect::<Vec<char>>()),
        ) {
            prop_assume!(code.chars().nth(i) != Some(c));
            let mut chars: Vec<char> = code.chars().collect();
            chars[i] = c;
            let changed: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse(&changed).is_err(), "{}", changed);
        }

        #[test]
        fn any_adjacent_transposition_is_refused(code in valid_code(), i in 0usize..17) {
            let mut chars: Vec<char> = code.chars().collect();
            prop_assume!(chars[i] != chars[i + 1]);
            chars.swap(i, i + 1);
            let changed: String = chars.into_iter().collect();
            prop_assert!(CreditCode::parse(&changed).is_err(), "{}", changed);
        }
    }
}
