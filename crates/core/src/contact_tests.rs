//! Unit tests of [`super::Mobile`], [`super::OfficePhone`] and [`super::Email`].

use super::*;
use crate::i18n::{Locale, has_key};
use ContactError as E;

#[test]
fn mobiles_accepted() {
    let cases: &[(&str, &str)] = &[
        ("13812345678", "13812345678"),
        (" 138 1234 5678 ", "13812345678"),
        ("138-1234-5678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("0086-138-1234-5678", "13812345678"),
        ("86 13812345678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("（+86）13812345678", "13812345678"),
        ("１３８１２３４５６７８", "13812345678"),
        // One per accepted prefix family.
        ("13012345678", "13012345678"),
        ("14512345678", "14512345678"),
        ("14912345678", "14912345678"),
        ("15012345678", "15012345678"),
        ("15312345678", "15312345678"),
        ("15512345678", "15512345678"),
        ("16212345678", "16212345678"),
        ("16512345678", "16512345678"),
        ("16712345678", "16712345678"),
        ("17012345678", "17012345678"),
        ("17812345678", "17812345678"),
        ("18012345678", "18012345678"),
        ("19012345678", "19012345678"),
        ("19212345678", "19212345678"),
        ("19312345678", "19312345678"),
        ("19512345678", "19512345678"),
        ("19912345678", "19912345678"),
    ];
    for (input, want) in cases {
        match Mobile::parse(input) {
            Ok(m) => assert_eq!(m.as_str(), *want, "{input:?}"),
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
}

#[test]
fn mobiles_refused() {
    let prefix = |p: &str| E::MobileUnknownPrefix { prefix: p.into() };
    let cases: Vec<(&str, E)> = vec![
        ("", E::MobileEmpty),
        (" - ", E::MobileEmpty),
        ("1381234567", E::MobileBadLength { length: 10 }),
        ("138123456789", E::MobileBadLength { length: 12 }),
        ("+86 0571 8888 8888", E::MobileBadLength { length: 12 }),
        ("138abc45678", E::MobileBadCharacter),
        ("+86+13812345678", E::MobileBadCharacter),
        ("+852 9123 4567", E::MobileNotMainland),
        ("001 415 555 0100", E::MobileNotMainland),
        ("14012345678", prefix("140")),
        ("14412345678", prefix("144")),
        ("15412345678", prefix("154")),
        ("16012345678", prefix("160")),
        ("16412345678", prefix("164")),
        ("16812345678", prefix("168")),
        ("17912345678", prefix("179")),
        ("19412345678", prefix("194")),
        ("12012345678", prefix("120")),
        ("11012345678", prefix("110")),
        ("23812345678", prefix("238")),
    ];
    for (input, want) in &cases {
        assert_eq!(Mobile::parse(input).as_ref(), Err(want), "{input:?}");
    }
}

#[test]
fn office_phones_accepted() {
    let cases: &[(&str, &str)] = &[
        ("0571-88888888", "0571-88888888"),
        ("010 62345678", "010-62345678"),
        ("010-62345678", "010-62345678"),
        ("021-64381234", "021-64381234"),
        ("(0571)88888888", "0571-88888888"),
        ("（0571）88888888", "0571-88888888"),
        ("057188888888", "0571-88888888"),
        ("01062345678", "010-62345678"),
        ("0571 8888 8888", "0571-88888888"),
        ("+86 571 8888 8888", "0571-88888888"),
        ("+86-10-62345678", "010-62345678"),
        ("0086-571-88888888", "0571-88888888"),
        ("86 571 88888888", "0571-88888888"),
        ("0755-2345678", "0755-2345678"),
        ("０５７１－８８８８８８８８", "0571-88888888"),
        // Extensions.
        ("0571-88888888-123", "0571-88888888-123"),
        ("057188888888-123", "0571-88888888-123"),
        ("0571-88888888转8001", "0571-88888888-8001"),
        ("0571-88888888 EXT. 12", "0571-88888888-12"),
        ("0571-88888888 x 12", "0571-88888888-12"),
        ("0571-88888888#6", "0571-88888888-6"),
        ("0571-8888888-1", "0571-8888888-1"),
    ];
    for (input, want) in cases {
        match OfficePhone::parse(input) {
            Ok(p) => assert_eq!(p.as_str(), *want, "{input:?}"),
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
}

#[test]
fn office_phones_refused() {
    let cases: &[(&str, E)] = &[
        ("", E::PhoneEmpty),
        ("()", E::PhoneEmpty),
        ("13812345678", E::PhoneIsMobile),
        ("+86 138 1234 5678", E::PhoneIsMobile),
        ("88888888", E::PhoneNoAreaCode),
        ("0011-88888888", E::PhoneBadAreaCode),
        ("057-188888888", E::PhoneBadAreaCode),
        ("0571-888888", E::PhoneBadLocalLength { length: 6 }),
        ("0571-888888888", E::PhoneBadLocalLength { length: 9 }),
        ("0571", E::PhoneBadLocalLength { length: 0 }),
        ("0571-88888888-12-34", E::PhoneBadLocalLength { length: 12 }),
        ("0571-08888888", E::PhoneBadLocalNumber),
        ("010-12345678", E::PhoneBadLocalNumber),
        ("0571-88888888-1234567", E::PhoneBadExtension),
        ("0571-88888888转", E::PhoneBadExtension),
        ("0571-88888888转12a", E::PhoneBadExtension),
        ("0571/88888888", E::PhoneBadCharacter),
        ("0571-8888888a", E::PhoneBadCharacter),
    ];
    for (input, want) in cases {
        assert_eq!(OfficePhone::parse(input).as_ref(), Err(want), "{input:?}");
    }
}

#[test]
fn office_phone_parts() {
    let p = OfficePhone::parse("(0571) 8888 8888 转 8001").unwrap();
    assert_eq!(p.area_code(), "0571");
    assert_eq!(p.local_number(), "88888888");
    assert_eq!(p.extension(), Some("8001"));
    assert_eq!(p.masked(), "0571-****8888-8001");
    assert_eq!(format!("{p:?}"), "OfficePhone(0571-****8888-8001)");
    let q = OfficePhone::parse("010-62345678").unwrap();
    assert_eq!(q.extension(), None);
}

#[test]
fn emails() {
    let ok: &[(&str, &str)] = &[
        ("Zhang.San@Example.COM", "Zhang.San@example.com"),
        (" a@b.cn ", "a@b.cn"),
        ("user+tag@sub.example.com.cn", "user+tag@sub.example.com.cn"),
        ("admin@例子.中国", "admin@例子.中国"),
    ];
    for (input, want) in ok {
        match Email::parse(input) {
            Ok(e) => assert_eq!(e.as_str(), *want, "{input:?}"),
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
    let long_local = format!("{}@example.com", "a".repeat(65));
    let too_long = format!("a@{}.com", "b".repeat(250));
    let bad: Vec<(&str, E)> = vec![
        ("", E::EmailEmpty),
        ("a b@x.com", E::EmailHasSpace),
        ("a@x .com", E::EmailHasSpace),
        ("ab.com", E::EmailAtSign),
        ("a@b@c.com", E::EmailAtSign),
        ("@x.com", E::EmailBadLocalPart),
        (&long_local, E::EmailBadLocalPart),
        ("a@", E::EmailBadDomain),
        ("a@localhost", E::EmailBadDomain),
        ("a@x..com", E::EmailBadDomain),
        ("a@-x.com", E::EmailBadDomain),
        ("a@x.com.", E::EmailBadDomain),
        ("a@x_y.com", E::EmailBadDomain),
        (&too_long, E::EmailTooLong),
    ];
    for (input, want) in &bad {
        assert_eq!(Email::parse(input).as_ref(), Err(want), "{input:?}");
    }
}

#[test]
fn personal_data_is_masked() {
    let m = Mobile::parse("13812345678").unwrap();
    assert_eq!(m.masked(), "138****5678");
    assert_eq!(format!("{m:?}"), "Mobile(138****5678)");
    assert_eq!(m.to_string(), "13812345678");
    let e = Email::parse("zhangsan@example.com").unwrap();
    assert_eq!(e.masked(), "z***@example.com");
    assert_eq!(format!("{e:?}"), "Email(z***@example.com)");
    assert_eq!(e.domain(), "example.com");
}

#[test]
fn serde_round_trips() {
    let m: Mobile = serde_json::from_str("\"+86 138-1234-5678\"").unwrap();
    assert_eq!(serde_json::to_string(&m).unwrap(), "\"13812345678\"");
    let p: OfficePhone = serde_json::from_str("\"(0571)88888888\"").unwrap();
    assert_eq!(serde_json::to_string(&p).unwrap(), "\"0571-88888888\"");
    let e: Email = serde_json::from_str("\"a@B.cn\"").unwrap();
    assert_eq!(serde_json::to_string(&e).unwrap(), "\"a@b.cn\"");
    assert!(serde_json::from_str::<Mobile>("\"14012345678\"").is_err());
    assert!(serde_json::from_str::<OfficePhone>("\"13812345678\"").is_err());
    assert!(serde_json::from_str::<Email>("\"nobody\"").is_err());
}

#[test]
fn every_error_has_a_message() {
    let errors = [
        E::MobileEmpty,
        E::MobileBadCharacter,
        E::MobileNotMainland,
        E::MobileBadLength { length: 10 },
        E::MobileUnknownPrefix {
            prefix: "140".into(),
        },
        E::PhoneEmpty,
        E::PhoneBadCharacter,
        E::PhoneIsMobile,
        E::PhoneNoAreaCode,
        E::PhoneBadAreaCode,
        E::PhoneBadLocalLength { length: 6 },
        E::PhoneBadLocalNumber,
        E::PhoneBadExtension,
        E::EmailEmpty,
        E::EmailTooLong,
        E::EmailHasSpace,
        E::EmailAtSign,
        E::EmailBadLocalPart,
        E::EmailBadDomain,
    ];
    for e in errors {
        assert!(has_key(e.message_key()), "{}", e.message_key());
        for locale in Locale::ALL {
            assert!(!e.localize(locale).contains('{'), "{}", e.localize(locale));
        }
    }
    assert!(
        E::MobileUnknownPrefix {
            prefix: "140".into()
        }
        .localize(Locale::ZhCn)
        .contains("140")
    );
}
