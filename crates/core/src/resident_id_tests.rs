//! Unit tests of [`super::ResidentId`]; every valid sample's check character was computed
//! (and cross-checked with python-stdnum's `cn.ric.calc_check_digit`).

use super::*;
use crate::i18n::{Locale, has_key};
use ResidentIdError as E;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 15).unwrap_or_default()
}

#[test]
fn valid_numbers() {
    let cases: &[(&str, &str)] = &[
        // The example of GB 11643-1999 itself.
        ("11010519491231002X", "11010519491231002X"),
        ("11010519491231002x", "11010519491231002X"),
        ("  11010519491231002X ", "11010519491231002X"),
        // GB 11643's second example, born 1880.
        ("440524188001010014", "440524188001010014"),
        // python-stdnum's doctest sample.
        ("360426199101010071", "360426199101010071"),
        ("33010619900101123X", "33010619900101123X"),
        // 29 February in a leap year (2000, 2024).
        ("110105200002290021", "110105200002290021"),
        ("330106202402290019", "330106202402290019"),
        // Residence permits of Hong Kong and Taiwan residents.
        ("810000198001010014", "810000198001010014"),
        ("830000198001010026", "830000198001010026"),
        // Born today is not the future.
        ("330106202601150019", "330106202601150019"),
    ];
    for (input, want) in cases {
        match ResidentId::parse_at(input, today()) {
            Ok(id) => assert_eq!(id.as_str(), *want, "{input:?}"),
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
}

#[test]
fn invalid_numbers() {
    let cases: &[(&str, E)] = &[
        ("", E::Empty),
        ("   ", E::Empty),
        ("110105491231002", E::FifteenDigits),
        ("11010519491231002", E::BadLength { length: 17 }),
        ("11010519491231002X1", E::BadLength { length: 19 }),
        ("11010519491231002Y", E::BadCharacter { position: 18 }),
        ("1101051949123100X2", E::BadCharacter { position: 17 }),
        ("11010519491231 02X", E::BadCharacter { position: 15 }),
        ("１１0105194912310021", E::BadCharacter { position: 1 }),
        // Wrong check character (the right one is X).
        ("110105194912310021", E::BadCheckDigit),
        ("110105194912310020", E::BadCheckDigit),
        // Unknown province codes: 71 is Taiwan's GB/T 2260 code, not used on ID cards; 99, 00.
        ("710000198001010010", E::UnknownRegion { code: "71".into() }),
        ("990000198001010012", E::UnknownRegion { code: "99".into() }),
        ("000000198001010013", E::UnknownRegion { code: "00".into() }),
        // 29 February in a non-leap year (1900 and 2023), 30 February, month 13, day 32,
        // month 00, day 00.
        ("110105190002290017", E::BadBirthDate),
        ("330106202302290011", E::BadBirthDate),
        ("330106200002300012", E::BadBirthDate),
        ("330106199013010015", E::BadBirthDate),
        ("330106199001320016", E::BadBirthDate),
        ("330106199000100011", E::BadBirthDate),
        ("330106199001000012", E::BadBirthDate),
        // Before 1800.
        ("330106170001010019", E::BadBirthDate),
        // Tomorrow, and a later year.
        ("330106202601160014", E::FutureBirthDate),
        ("330106203001010017", E::FutureBirthDate),
    ];
    for (input, want) in cases {
        assert_eq!(
            ResidentId::parse_at(input, today()).as_ref(),
            Err(want),
            "{input:?}"
        );
    }
}

#[test]
fn invalid_samples_differ_from_valid_ones_only_in_the_tested_part() {
    // The date-error samples carry the right check character for their (bad) body, so only
    // the date makes them fail.
    for n in [
        "710000198001010010",
        "990000198001010012",
        "000000198001010013",
        "110105190002290017",
        "330106202302290011",
        "330106200002300012",
        "330106199013010015",
        "330106199001320016",
        "330106199000100011",
        "330106199001000012",
        "330106170001010019",
        "330106202601160014",
        "330106203001010017",
    ] {
        assert_eq!(check_character(&n[..17]), n.chars().nth(17), "{n}");
    }
}

#[test]
fn parts() {
    let id = ResidentId::parse_at("11010519491231002X", today()).unwrap();
    assert_eq!(
        id.birth_date(),
        NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
    );
    assert_eq!(id.sex(), Sex::Female);
    assert_eq!(id.province(), Some(Province::BEIJING));
    assert_eq!(id.region(), Region::Mainland(Province::BEIJING));
    assert_eq!(id.age_on(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()), 76);

    let male = ResidentId::parse_at("440524188001010014", today()).unwrap();
    assert_eq!(male.sex(), Sex::Male);
    assert_eq!(male.province(), Some(Province::GUANGDONG));

    let hk = ResidentId::parse_at("810000198001010014", today()).unwrap();
    assert_eq!(hk.region(), Region::HongKong);
    assert_eq!(hk.province(), None);
    let tw = ResidentId::parse_at("830000198001010026", today()).unwrap();
    assert_eq!(tw.region(), Region::Taiwan);
}

#[test]
fn masked_everywhere_but_as_str() {
    let id = ResidentId::parse_at("33010619900101123X", today()).unwrap();
    assert_eq!(id.masked(), "3301**********123X");
    assert_eq!(format!("{id:?}"), "ResidentId(3301**********123X)");
    assert_eq!(id.to_string(), "33010619900101123X");
    let err = ResidentId::parse_at("330106199001011231", today()).unwrap_err();
    let shown = format!("{err:?} {err}");
    assert!(!shown.contains("3301061990"), "{shown}");
}

#[test]
fn serde_round_trip() {
    let id = ResidentId::parse_at("11010519491231002x", today()).unwrap();
    let json = serde_json::to_string(&id).unwrap();
    assert_eq!(json, "\"11010519491231002X\"");
    let back: ResidentId = serde_json::from_str("\"11010519491231002x\"").unwrap();
    assert_eq!(back, id);
    assert!(serde_json::from_str::<ResidentId>("\"110105194912310021\"").is_err());
}

#[test]
fn parse_uses_a_real_today() {
    assert!(ResidentId::parse("11010519491231002X").is_ok());
    assert_eq!(
        ResidentId::parse("33010620990101001X").unwrap_err(),
        E::FutureBirthDate
    );
}

#[test]
fn every_error_has_a_message() {
    let errors = [
        E::Empty,
        E::FifteenDigits,
        E::BadLength { length: 17 },
        E::BadCharacter { position: 3 },
        E::UnknownRegion { code: "99".into() },
        E::BadBirthDate,
        E::FutureBirthDate,
        E::BadCheckDigit,
    ];
    for e in errors {
        assert!(has_key(e.message_key()), "{}", e.message_key());
        for locale in Locale::ALL {
            let text = e.localize(locale);
            assert!(!text.contains('{'), "{text}");
        }
    }
    assert!(
        E::FifteenDigits
            .localize(Locale::ZhCn)
            .contains("15 位身份证号码已停止使用")
    );
    assert!(
        E::BadLength { length: 17 }
            .localize(Locale::En)
            .contains("17")
    );
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    const REGIONS: [&str; 6] = ["11", "33", "44", "65", "81", "83"];

    fn valid_number() -> impl Strategy<Value = String> {
        (0..REGIONS.len(), 0u32..9999, 0i64..45_000, 0u32..1000).prop_map(
            |(region, county, days, seq)| {
                let base = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or_default();
                let birth = base + chrono::Duration::days(days);
                let body = format!(
                    "{}{county:04}{}{seq:03}",
                    REGIONS[region],
                    birth.format("%Y%m%d")
                );
                let check = check_character(&body).unwrap();
                format!("{body}{check}")
            },
        )
    }

    proptest! {
        #[test]
        fn built_numbers_parse_with_their_parts(n in valid_number()) {
            let id = ResidentId::parse_at(&n, today()).unwrap();
            prop_assert_eq!(id.as_str(), n.as_str());
            prop_assert_eq!(id.birth_date().format("%Y%m%d").to_string(), &n[6..14]);
            let odd = (n.as_bytes()[16] - b'0') % 2 == 1;
            prop_assert_eq!(id.sex() == Sex::Male, odd);
        }

        #[test]
        fn any_single_substitution_is_refused(n in valid_number(), i in 0usize..18, d in 0u32..11) {
            let replacement = if d == 10 { 'X' } else { char::from_digit(d, 10).unwrap() };
            prop_assume!(n.chars().nth(i) != Some(replacement));
            let mut chars: Vec<char> = n.chars().collect();
            chars[i] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(ResidentId::parse_at(&changed, today()).is_err(), "{}", changed);
        }

        #[test]
        fn any_adjacent_transposition_is_refused(n in valid_number(), i in 0usize..17) {
            let mut chars: Vec<char> = n.chars().collect();
            prop_assume!(chars[i] != chars[i + 1]);
            chars.swap(i, i + 1);
            let changed: String = chars.into_iter().collect();
            prop_assert!(ResidentId::parse_at(&changed, today()).is_err(), "{}", changed);
        }
    }
}
