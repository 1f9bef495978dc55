//! Cross-check of [`ResidentId`] and [`CreditCode`] against python-stdnum (`stdnum.cn.ric`,
//! `stdnum.cn.uscc`), through fixtures written by `scripts/gen_stdnum_fixtures.py`: each row
//! a number, stdnum's verdict and stdnum's check character.
//!
//! Every check character we compute must equal stdnum's. Verdicts must agree except for these
//! intended differences:
//! - Resident ID: stdnum checks the whole six-digit county code against its table for the
//!   birth year; we check only the province (so we accept numbers stdnum refuses as
//!   `InvalidComponent` when the date is fine, e.g. Hong Kong 81 before 1997). stdnum accepts
//!   region 71 (Taiwan's GB/T 2260 code); we refuse it (residence permits use 83). stdnum
//!   accepts birth dates in the future; we refuse them.
//! - Credit code: stdnum checks only the alphabet and MOD 31; we also check the registration
//!   authority and kind, the division's province and the GB 11714 organisation code check, so
//!   some codes stdnum accepts we refuse — only for one of those reasons. stdnum requires
//!   characters 1-8 to be digits, so it refuses the authorities A, N and Y of GB 32100
//!   (e.g. `Y1…`) that we accept.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use beian_core::credit_code::{self, CreditCode, CreditCodeError};
use beian_core::resident_id::{self, ResidentId, ResidentIdError};
use chrono::NaiveDate;

struct Row<'a> {
    number: &'a str,
    stdnum: &'a str,
    check: &'a str,
    extra: &'a str,
}

fn rows(text: &str) -> Vec<Row<'_>> {
    text.lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split(',').collect();
            assert_eq!(f.len(), 4, "{line}");
            Row {
                number: f[0],
                stdnum: f[1],
                check: f[2],
                extra: f[3],
            }
        })
        .collect()
}

/// The region codes we take: the 31 provinces and 81 82 83.
const REGIONS: [&str; 34] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "81",
    "82", "83",
];

#[test]
fn resident_ids_agree_with_stdnum() {
    let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let fixture = include_str!("fixtures/stdnum_ric.csv");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut checks = 0;
    let mut differences = std::collections::BTreeMap::<&str, usize>::new();
    for row in rows(fixture) {
        *counts.entry(row.stdnum).or_default() += 1;
        let n = row.number;
        let ours = ResidentId::parse_at(n, today);
        let stdnum_ok = row.stdnum == "valid";
        if stdnum_ok != ours.is_ok() {
            let why = match &ours {
                Err(ResidentIdError::UnknownRegion { .. }) => "we refuse region 71",
                Err(ResidentIdError::FutureBirthDate) => "we refuse future birth dates",
                Ok(_) => "stdnum refuses the county for the birth year",
                Err(_) => "unexpected",
            };
            *differences.entry(why).or_default() += 1;
        }
        if !row.check.is_empty() {
            assert_eq!(
                resident_id::check_character(&n[..17]).map(String::from),
                Some(row.check.to_owned()),
                "{n}"
            );
            checks += 1;
        }
        let region_ok = n.len() >= 2 && REGIONS.contains(&&n[..2]);
        let future = n.len() == 18 && &n[6..14] > "20260101";
        let date_ok = row.extra == "1";
        match row.stdnum {
            "valid" if !region_ok => assert_eq!(
                ours,
                Err(ResidentIdError::UnknownRegion {
                    code: n[..2].to_owned()
                }),
                "{n}"
            ),
            "valid" if future => assert_eq!(ours, Err(ResidentIdError::FutureBirthDate), "{n}"),
            "valid" => assert_eq!(ours.map(|id| id.as_str().to_owned()), Ok(n.into()), "{n}"),
            "InvalidChecksum" if region_ok && date_ok && !future => {
                assert_eq!(ours, Err(ResidentIdError::BadCheckDigit), "{n}")
            }
            "InvalidChecksum" => assert!(ours.is_err(), "{n}"),
            "InvalidComponent" if region_ok && !date_ok => {
                assert_eq!(ours, Err(ResidentIdError::BadBirthDate), "{n}")
            }
            // stdnum refused the county for that year; we check only the province.
            "InvalidComponent" if region_ok && !future => assert!(ours.is_ok(), "{n}"),
            "InvalidComponent" => assert!(ours.is_err(), "{n}"),
            "InvalidLength" => assert!(
                matches!(
                    ours,
                    Err(ResidentIdError::BadLength { .. }
                        | ResidentIdError::FifteenDigits
                        | ResidentIdError::Empty)
                ),
                "{n}: {ours:?}"
            ),
            "InvalidFormat" => assert!(
                matches!(ours, Err(ResidentIdError::BadCharacter { .. })),
                "{n}: {ours:?}"
            ),
            other => panic!("unknown verdict {other}"),
        }
    }
    // The fixture is big enough to mean something, and shows each intended difference.
    eprintln!("resident ID verdicts {counts:?}; differences {differences:?}");
    assert_eq!(differences.len(), 3, "{differences:?}");
    assert!(!differences.contains_key("unexpected"), "{differences:?}");
    assert!(
        counts.get("valid").copied().unwrap_or(0) >= 100,
        "{counts:?}"
    );
    assert!(
        counts.get("InvalidChecksum").copied().unwrap_or(0) >= 50,
        "{counts:?}"
    );
    assert!(checks >= 250, "{checks}");
}

#[test]
fn credit_codes_agree_with_stdnum() {
    let fixture = include_str!("fixtures/stdnum_uscc.csv");
    let mut counts = std::collections::BTreeMap::<&str, usize>::new();
    let mut checks = 0;
    let mut differences = std::collections::BTreeMap::<&str, usize>::new();
    for row in rows(fixture) {
        *counts.entry(row.stdnum).or_default() += 1;
        let n = row.number;
        let upper = n.to_ascii_uppercase();
        let ours = CreditCode::parse(n);
        if (row.stdnum == "valid") != ours.is_ok() {
            let why = match &ours {
                Ok(_) => "we accept authorities A N Y",
                Err(CreditCodeError::BadOrganisationCode) => "we check the organisation code",
                Err(
                    CreditCodeError::UnknownAuthority { .. }
                    | CreditCodeError::UnknownKind { .. }
                    | CreditCodeError::UnknownDivision { .. },
                ) => "we check authority, kind and division",
                Err(_) => "unexpected",
            };
            *differences.entry(why).or_default() += 1;
        }
        if !row.check.is_empty() {
            assert_eq!(
                credit_code::check_character(&upper[..17]).map(String::from),
                Some(row.check.to_owned()),
                "{n}"
            );
            checks += 1;
        }
        match row.stdnum {
            "valid" if row.extra == "1" => {
                assert_eq!(ours.map(|c| c.as_str().to_owned()), Ok(upper), "{n}")
            }
            "valid" => assert!(
                matches!(
                    ours,
                    Ok(_)
                        | Err(CreditCodeError::UnknownAuthority { .. }
                            | CreditCodeError::UnknownKind { .. }
                            | CreditCodeError::UnknownDivision { .. }
                            | CreditCodeError::BadOrganisationCode)
                ),
                "{n}: {ours:?}"
            ),
            "InvalidLength" => assert!(
                matches!(
                    ours,
                    Err(CreditCodeError::BadLength { .. } | CreditCodeError::Empty)
                ),
                "{n}: {ours:?}"
            ),
            // stdnum wants digits in characters 1-8; GB 32100 has authorities A, N and Y.
            "InvalidFormat" if row.extra == "1" && !n.starts_with(|c: char| c.is_ascii_digit()) => {
                assert_eq!(ours.map(|c| c.as_str().to_owned()), Ok(upper), "{n}")
            }
            "InvalidChecksum" | "InvalidFormat" => assert!(ours.is_err(), "{n}"),
            other => panic!("unknown verdict {other}"),
        }
    }
    eprintln!("credit code verdicts {counts:?}; differences {differences:?}");
    assert!(!differences.contains_key("unexpected"), "{differences:?}");
    assert!(
        counts.get("valid").copied().unwrap_or(0) >= 150,
        "{counts:?}"
    );
    assert!(
        counts.get("InvalidChecksum").copied().unwrap_or(0) >= 50,
        "{counts:?}"
    );
    assert!(checks >= 250, "{checks}");
}
