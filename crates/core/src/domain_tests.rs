//! Unit tests of [`super::Domain`].

use super::*;
use crate::i18n::{Locale, has_key};
use DomainError as E;

#[test]
fn accepted_with_their_registrable_domain() {
    let label63 = "a".repeat(63);
    let long_ok = format!("{label63}.{label63}.{label63}.{}.com", "b".repeat(57));
    assert_eq!(long_ok.len(), 253);
    let with63 = format!("{label63}.com");
    let cases: Vec<(&str, &str, &str)> = vec![
        ("example.com", "example.com", "example.com"),
        ("WWW.Example.COM.", "www.example.com", "example.com"),
        (
            "  www.example.com.cn ",
            "www.example.com.cn",
            "example.com.cn",
        ),
        (
            "a.b.c.example.org.cn",
            "a.b.c.example.org.cn",
            "example.org.cn",
        ),
        (
            "例子.中国",
            "xn--fsqu00a.xn--fiqs8s",
            "xn--fsqu00a.xn--fiqs8s",
        ),
        (
            "例子。中国",
            "xn--fsqu00a.xn--fiqs8s",
            "xn--fsqu00a.xn--fiqs8s",
        ),
        (
            "www.例子.中国",
            "www.xn--fsqu00a.xn--fiqs8s",
            "xn--fsqu00a.xn--fiqs8s",
        ),
        (
            "xn--fsqu00a.xn--fiqs8s",
            "xn--fsqu00a.xn--fiqs8s",
            "xn--fsqu00a.xn--fiqs8s",
        ),
        ("ＥＸＡＭＰＬＥ.ＣＯＭ", "example.com", "example.com"),
        ("test-site.net", "test-site.net", "test-site.net"),
        ("123.com", "123.com", "123.com"),
        ("www.beijing.gov.cn", "www.beijing.gov.cn", "beijing.gov.cn"),
        (&with63, &with63, &with63),
        (
            &long_ok,
            &long_ok,
            "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.com",
        ),
    ];
    for (input, want, registrable) in cases {
        match Domain::parse(input) {
            Ok(d) => {
                assert_eq!(d.as_str(), want, "{input:?}");
                assert_eq!(d.registrable().as_str(), registrable, "{input:?}");
                assert_eq!(d.is_registrable(), want == registrable, "{input:?}");
            }
            Err(e) => panic!("{input:?} refused: {e}"),
        }
    }
}

#[test]
fn refused() {
    let label64 = "a".repeat(64);
    let too_long = format!("{0}.{0}.{0}.{0}.com", "a".repeat(63));
    let label64_com = format!("{label64}.com");
    let label = |l: &str| l.to_owned();
    let cases: Vec<(&str, E)> = vec![
        ("", E::Empty),
        ("   ", E::Empty),
        ("192.168.1.1", E::IpAddress),
        ("8.8.8.8.", E::IpAddress),
        ("::1", E::IpAddress),
        ("2001:db8::1", E::IpAddress),
        ("[2001:db8::1]", E::IpAddress),
        ("1.2.3", E::IpAddress),
        ("*.example.com", E::Wildcard),
        ("www.*.com", E::Wildcard),
        (
            "com.cn",
            E::PublicSuffix {
                suffix: "com.cn".into(),
            },
        ),
        (
            "COM",
            E::PublicSuffix {
                suffix: "com".into(),
            },
        ),
        (
            "中国",
            E::PublicSuffix {
                suffix: "xn--fiqs8s".into(),
            },
        ),
        (
            "gov.cn.",
            E::PublicSuffix {
                suffix: "gov.cn".into(),
            },
        ),
        ("example..com", E::EmptyLabel),
        (".example.com", E::EmptyLabel),
        ("example.com..", E::EmptyLabel),
        (".", E::EmptyLabel),
        (
            "-example.com",
            E::HyphenAtEdge {
                label: label("-example"),
            },
        ),
        (
            "example-.com",
            E::HyphenAtEdge {
                label: label("example-"),
            },
        ),
        (
            "exa_mple.com",
            E::BadCharacter {
                label: label("exa_mple"),
            },
        ),
        (
            "exa mple.com",
            E::BadCharacter {
                label: label("exa mple"),
            },
        ),
        (
            "http://example.com",
            E::BadCharacter {
                label: label("http://example"),
            },
        ),
        (
            &label64_com,
            E::LabelTooLong {
                label: label64.clone(),
                length: 64,
            },
        ),
        (&too_long, E::TooLong { length: 259 }),
        (
            "example.invalidtld",
            E::UnknownSuffix {
                suffix: "invalidtld".into(),
            },
        ),
        (
            "localhost",
            E::UnknownSuffix {
                suffix: "localhost".into(),
            },
        ),
    ];
    for (input, want) in &cases {
        assert_eq!(Domain::parse(input).as_ref(), Err(want), "{input:?}");
    }
}

#[test]
fn bad_internationalised_names() {
    // An invalid punycode label, and a code point IDNA disallows.
    for input in ["xn--a.com", "例\u{FFFF}子.中国"] {
        let err = Domain::parse(input).unwrap_err();
        assert!(
            matches!(err, E::BadIdn | E::BadCharacter { .. }),
            "{input:?}: {err:?}"
        );
    }
    assert_eq!(Domain::parse("例\u{FFFF}子.中国"), Err(E::BadIdn));
}

#[test]
fn registrable_level() {
    let www = Domain::parse("www.example.com.cn").unwrap();
    let apex = Domain::parse("example.com.cn").unwrap();
    assert!(!www.is_registrable());
    assert!(apex.is_registrable());
    assert_eq!(www.suffix(), "com.cn");
    assert!(www.is_within(&apex));
    assert!(apex.is_within(&apex));
    assert!(!apex.is_within(&www));
    let other = Domain::parse("badexample.com.cn").unwrap();
    assert!(!other.is_within(&apex));
    assert_eq!(
        Domain::parse_registrable("www.example.com.cn"),
        Err(E::NotRegistrable {
            registrable: "example.com.cn".into()
        })
    );
    assert_eq!(Domain::parse_registrable("Example.com.cn."), Ok(apex));
}

#[test]
fn unicode_display_and_serde() {
    let d = Domain::parse("www.例子.中国").unwrap();
    assert_eq!(d.to_unicode(), "www.例子.中国");
    assert_eq!(
        serde_json::to_string(&d).unwrap(),
        "\"www.xn--fsqu00a.xn--fiqs8s\""
    );
    let back: Domain = serde_json::from_str("\"WWW.例子.中国.\"").unwrap();
    assert_eq!(back, d);
    assert!(serde_json::from_str::<Domain>("\"com.cn\"").is_err());
}

#[test]
fn mixed_script_labels_are_refused() {
    assert_eq!(
        Domain::parse("carοl-shop.cn"),
        Err(E::MixedScript {
            label: "carοl-shop".into()
        })
    );
    assert!(matches!(
        Domain::parse("pаypal.com"),
        Err(E::MixedScript { .. })
    ));
    assert!(Domain::parse("例子.中国").is_ok());
    assert!(Domain::parse("中国abc.cn").is_ok());
    assert!(Domain::parse("carol-shop.cn").is_ok());
}

#[test]
fn every_error_has_a_message() {
    let errors = [
        E::Empty,
        E::IpAddress,
        E::Wildcard,
        E::EmptyLabel,
        E::LabelTooLong {
            label: "x".into(),
            length: 64,
        },
        E::BadCharacter { label: "x".into() },
        E::HyphenAtEdge { label: "x".into() },
        E::BadIdn,
        E::MixedScript { label: "x".into() },
        E::TooLong { length: 300 },
        E::UnknownSuffix { suffix: "x".into() },
        E::PublicSuffix {
            suffix: "com.cn".into(),
        },
        E::NotRegistrable {
            registrable: "example.com".into(),
        },
    ];
    for e in errors {
        assert!(has_key(e.message_key()), "{}", e.message_key());
        for locale in Locale::ALL {
            assert!(!e.localize(locale).contains('{'), "{}", e.localize(locale));
        }
    }
}

/// The edge gate's view of a host (先备案后接入): every spelling of one site's host maps to
/// the same registrable domain.
#[test]
fn host_to_registrable_domain() {
    let cases = [
        ("example.com.cn", "example.com.cn"),
        ("example.com.cn:8443", "example.com.cn"),
        ("EXAMPLE.Com.CN", "example.com.cn"),
        ("www.Example.com.cn.", "example.com.cn"),
        ("www.example.com.cn.:80", "example.com.cn"),
        ("a.b.c.www.example.com.cn", "example.com.cn"),
        ("  shop.example.cn  ", "example.cn"),
        ("例子.中国", "xn--fsqu00a.xn--fiqs8s"),
        ("WWW.例子.中国:443", "xn--fsqu00a.xn--fiqs8s"),
        ("www.xn--fsqu00a.xn--fiqs8s", "xn--fsqu00a.xn--fiqs8s"),
        ("XN--FSQU00A.XN--FIQS8S", "xn--fsqu00a.xn--fiqs8s"),
        ("www。例子。中国", "xn--fsqu00a.xn--fiqs8s"),
        ("blog.example.co.uk", "example.co.uk"),
    ];
    for (host, registrable) in cases {
        let got = Domain::registrable_of_host(host);
        assert_eq!(
            got.as_ref().map(Domain::as_str),
            Ok(registrable),
            "{host:?}"
        );
    }
}

/// What a refused host's error must be.
type Expect = fn(&E) -> bool;

#[test]
fn hosts_refused_by_the_gate() {
    let cases: [(&str, Expect); 12] = [
        ("", |e| *e == E::Empty),
        ("   ", |e| *e == E::Empty),
        (":80", |e| *e == E::Empty),
        ("com.cn", |e| matches!(e, E::PublicSuffix { .. })),
        ("COM.CN.:443", |e| matches!(e, E::PublicSuffix { .. })),
        ("中国", |e| matches!(e, E::PublicSuffix { .. })),
        ("127.0.0.1", |e| *e == E::IpAddress),
        ("127.0.0.1:8080", |e| *e == E::IpAddress),
        ("[::1]:443", |e| *e == E::IpAddress),
        ("[2001:db8::1]", |e| *e == E::IpAddress),
        ("2001:db8::1", |e| *e == E::IpAddress),
        ("example.com:http", |e| matches!(e, E::BadCharacter { .. })),
    ];
    for (host, expected) in cases {
        match Domain::registrable_of_host(host) {
            Ok(d) => panic!("{host:?} was accepted as {d}"),
            Err(e) => assert!(expected(&e), "{host:?}: {e:?}"),
        }
    }
    assert!(Domain::registrable_of_host("localhost").is_err());
    assert!(Domain::registrable_of_host("*.example.com").is_err());
    assert!(Domain::registrable_of_host("exa mple.com").is_err());
}
