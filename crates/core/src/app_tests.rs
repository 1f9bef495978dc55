//! Unit tests of the APP checks, with real-world package names, Bundle IDs and digests.

use super::*;
use crate::i18n::{Locale, has_key};

/// An RSA-1024 SubjectPublicKeyInfo, as `openssl pkey -pubout` prints it.
const RSA_PEM: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDBO60NPJv+vehbXHw6s/5nBeZv
2gbUUDe5xNbytB1y8ZgF+RA/0fqDmUGuHNra9KzhzORydv8qA4QcID+TSOuuJUdd
i/0HYPkt5yvOCzpKGmvHnJr1eXFfiIcW429Mr/AUvkzou9oX8vqOSsZUBxOylXr5
QpAS8WVa6OfqzgEsAwIDAQAB
-----END PUBLIC KEY-----";

/// A P-256 key (HarmonyOS and newer Android keys are EC).
const EC_PEM: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmKIucds3+FDjb4eKfZMPcSLhkmZd
BuQ75JDvqQqD3YKz/jpRKqNPJyEmMCWIewGoDOgHYoaLyrcOxU+Yj4Pexw==
-----END PUBLIC KEY-----";

/// WeChat's Android signature MD5, as its open-platform SDK documentation prints it.
const WECHAT_MD5: &str = "18c867f0717aa67b2ab7347505ba07ed";

#[test]
fn android_packages_of_real_apps_are_accepted() {
    for name in [
        "com.tencent.mm",
        "com.eg.android.AlipayGphone",
        "com.ss.android.ugc.aweme",
        "com.sina.weibo",
        "tv.danmaku.bili",
        "com.taobao.taobao",
        "com.xingin.xhs",
        "com.jingdong.app.mall",
        "com.example.my_app2",
    ] {
        assert_eq!(android_package(name).as_deref(), Ok(name), "{name}");
    }
    // Trimmed, case kept.
    assert_eq!(
        android_package("  com.eg.android.AlipayGphone "),
        Ok("com.eg.android.AlipayGphone".to_owned())
    );
}

#[test]
fn android_packages_refused_with_reason() {
    let cases: &[(&str, AppError)] = &[
        ("", AppError::Empty),
        ("   ", AppError::Empty),
        ("tencent", AppError::PackageTooFewParts),
        (
            "com.tencent.",
            AppError::PackagePartStart { part: "".into() },
        ),
        (
            ".com.tencent",
            AppError::PackagePartStart { part: "".into() },
        ),
        (
            "com..tencent",
            AppError::PackagePartStart { part: "".into() },
        ),
        (
            "com.1tencent.mm",
            AppError::PackagePartStart {
                part: "1tencent".into(),
            },
        ),
        (
            "com._tencent.mm",
            AppError::PackagePartStart {
                part: "_tencent".into(),
            },
        ),
        ("com.tencent-mm", AppError::PackageBadChar { ch: '-' }),
        ("com.腾讯.mm", AppError::PackageBadChar { ch: '腾' }),
        ("com.tencent mm", AppError::PackageBadChar { ch: ' ' }),
        (
            "com.example.new",
            AppError::PackageKeyword { part: "new".into() },
        ),
        (
            "com.class.app",
            AppError::PackageKeyword {
                part: "class".into(),
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(android_package(input).as_ref(), Err(want), "{input:?}");
    }
    let long = format!("com.{}", "a".repeat(300));
    assert_eq!(
        android_package(&long),
        Err(AppError::TooLong {
            max: MAX_PACKAGE_CHARS
        })
    );
}

#[test]
fn ios_bundle_ids() {
    for id in [
        "com.apple.mobilesafari",
        "com.tencent.xin",
        "com.alipay.iphoneclient",
        "com.ss.iphone.ugc.Aweme",
        "com.jd.jdmobile",
        "com.example.my-app",
    ] {
        assert_eq!(ios_bundle_id(id).as_deref(), Ok(id), "{id}");
    }
    let cases: &[(&str, AppError)] = &[
        ("", AppError::Empty),
        ("mobilesafari", AppError::BundleTooFewParts),
        ("com.apple.", AppError::BundleEmptyPart),
        (".com.apple", AppError::BundleEmptyPart),
        ("com..apple", AppError::BundleEmptyPart),
        // The Android rule does not apply: `_` is not allowed in a Bundle ID.
        (
            "com.apple.mobile_safari",
            AppError::BundleBadChar { ch: '_' },
        ),
        ("com.apple.*", AppError::BundleBadChar { ch: '*' }),
    ];
    for (input, want) in cases {
        assert_eq!(ios_bundle_id(input).as_ref(), Err(want), "{input:?}");
    }
    assert_eq!(
        ios_bundle_id(&format!("com.{}", "a".repeat(160))),
        Err(AppError::TooLong { max: 155 })
    );
}

#[test]
fn harmony_bundle_names() {
    assert_eq!(
        harmony_bundle_name("com.huawei.hmos.wallet").as_deref(),
        Ok("com.huawei.hmos.wallet")
    );
    assert_eq!(
        harmony_bundle_name("a.b.cd"),
        Err(AppError::TooShort { min: 7 })
    );
    assert_eq!(
        harmony_bundle_name("wallet"),
        Err(AppError::PackageTooFewParts)
    );
    assert_eq!(
        package_for(AppPlatform::Ios, "com.tencent.xin"),
        Ok("com.tencent.xin".into())
    );
    assert_eq!(
        package_for(AppPlatform::Android, "com.tencent-xin"),
        Err(AppError::PackageBadChar { ch: '-' })
    );
}

#[test]
fn digests_by_algorithm() {
    // keytool prints upper case with colons; the filing form wants plain hex.
    assert_eq!(
        digest_hex(
            "18:C8:67:F0:71:7A:A6:7B:2A:B7:34:75:05:BA:07:ED",
            DigestAlgorithm::Md5
        )
        .as_deref(),
        Ok(WECHAT_MD5)
    );
    assert_eq!(
        digest_hex(WECHAT_MD5, DigestAlgorithm::Md5).as_deref(),
        Ok(WECHAT_MD5)
    );
    let sha1 = "8F:3A:91:4C:0E:6B:D2:17:55:A9:0C:3E:71:B4:28:9D:6A:E0:F5:12";
    assert_eq!(
        digest_hex(sha1, DigestAlgorithm::Sha1).as_deref(),
        Ok("8f3a914c0e6bd21755a90c3e71b4289d6ae0f512")
    );
    // An MD5 where a SHA-1 is asked for (a common mix-up between the platforms).
    assert_eq!(
        digest_hex(WECHAT_MD5, DigestAlgorithm::Sha1),
        Err(AppError::DigestLength {
            algorithm: "SHA-1",
            expected: 40,
            found: 32
        })
    );
    assert_eq!(
        digest_hex(sha1, DigestAlgorithm::Md5),
        Err(AppError::DigestLength {
            algorithm: "MD5",
            expected: 32,
            found: 40
        })
    );
    assert_eq!(
        digest_hex("18c867f0717aa67b2ab7347505ba07eg", DigestAlgorithm::Md5),
        Err(AppError::DigestBadChar { ch: 'g' })
    );
    assert_eq!(
        digest_hex(&"0".repeat(32), DigestAlgorithm::Md5),
        Err(AppError::DigestPlaceholder)
    );
    assert_eq!(digest_hex(" ", DigestAlgorithm::Md5), Err(AppError::Empty));
    assert_eq!(AppPlatform::Android.digest(), DigestAlgorithm::Md5);
    assert_eq!(AppPlatform::Ios.digest(), DigestAlgorithm::Sha1);
}

#[test]
fn public_keys_as_pem_or_fingerprint() {
    match public_key(RSA_PEM) {
        Ok(PublicKey::Pem(p)) => {
            assert!(p.starts_with("-----BEGIN PUBLIC KEY-----\nMIGfMA0G"));
            assert!(p.ends_with("IDAQAB\n-----END PUBLIC KEY-----"));
        }
        other => panic!("{other:?}"),
    }
    // Pasted with Windows line ends and indentation: the same key.
    let messy = RSA_PEM.replace('\n', "\r\n  ");
    assert_eq!(public_key(&messy), public_key(RSA_PEM));
    assert!(matches!(public_key(EC_PEM), Ok(PublicKey::Pem(_))));
    assert_eq!(
        public_key(
            "86:4A:1E:0B:52:9C:3F:7D:11:E8:60:AF:2B:93:C4:58:DD:07:61:FA:3E:42:95:B8:0C:7A:E1:56:29:D3:84:0F"
        ),
        Ok(PublicKey::Fingerprint(
            "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f".into()
        ))
    );
    // Damaged PEM: a character dropped breaks the base64.
    let damaged = RSA_PEM.replacen("MIGfMA0G", "MIGfMA0", 1);
    assert_eq!(public_key(&damaged), Err(AppError::BadPem));
    // Valid base64 but not DER.
    let not_der = "-----BEGIN PUBLIC KEY-----\naGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=\n-----END PUBLIC KEY-----";
    assert_eq!(public_key(not_der), Err(AppError::BadPem));
    // A private key is not what the form asks for, nor a mismatched footer.
    let private = RSA_PEM.replace("PUBLIC KEY", "PRIVATE KEY");
    assert_eq!(public_key(&private), Err(AppError::NotAKey));
    let mismatched = RSA_PEM.replace("-----END PUBLIC KEY-----", "-----END CERTIFICATE-----");
    assert_eq!(public_key(&mismatched), Err(AppError::NotAKey));
    assert_eq!(public_key("my key"), Err(AppError::NotAKey));
    assert_eq!(public_key(""), Err(AppError::Empty));
}

#[test]
fn icons_by_content_and_size() {
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(&[0u8; 2000]);
    assert_eq!(icon(&png), Ok(IconType::Png));
    let jpeg = [0xFF, 0xD8, 0xFF, 0xE0, 0, 16, b'J', b'F', b'I', b'F'];
    assert_eq!(icon(&jpeg), Ok(IconType::Jpeg));
    assert_eq!(IconType::Jpeg.mime(), "image/jpeg");
    // Exactly 100 KB passes; one byte more does not.
    let mut big = b"\x89PNG\r\n\x1a\n".to_vec();
    big.resize(MAX_ICON_BYTES, 0);
    assert_eq!(icon(&big), Ok(IconType::Png));
    big.push(0);
    assert_eq!(
        icon(&big),
        Err(AppError::IconTooLarge {
            size: 102_401,
            max: 102_400
        })
    );
    assert_eq!(icon(b"GIF89a\x01\x00"), Err(AppError::IconType));
    assert_eq!(icon(b"<svg xmlns="), Err(AppError::IconType));
    assert_eq!(icon(b""), Err(AppError::IconType));
}

fn android(name: &str) -> PlatformInput {
    PlatformInput {
        platform: "android".into(),
        name: name.into(),
        package: "com.tencent.mm".into(),
        public_key: RSA_PEM.into(),
        signature_digest: WECHAT_MD5.into(),
    }
}

fn ios(name: &str) -> PlatformInput {
    PlatformInput {
        platform: "ios".into(),
        name: name.into(),
        package: "com.tencent.xin".into(),
        public_key: EC_PEM.into(),
        signature_digest: "8f3a914c0e6bd21755a90c3e71b4289d6ae0f512".into(),
    }
}

#[test]
fn a_whole_app_with_the_same_name_on_every_platform() {
    let input = AppInput {
        name: "微信".into(),
        platforms: vec![android("微信"), ios(" 微信 ")],
    };
    let app = check_app(&input).unwrap();
    assert_eq!(app.name, "微信");
    assert_eq!(app.platforms.len(), 2);
    assert_eq!(app.platforms[1].platform, AppPlatform::Ios);
    assert_eq!(app.platforms[1].package, "com.tencent.xin");
}

#[test]
fn a_whole_app_refused_field_by_field() {
    let mut bad_ios = ios("WeChat");
    bad_ios.signature_digest = WECHAT_MD5.into(); // MD5 given for iOS
    let mut bad_android = android("微信");
    bad_android.package = "com.tencent".into();
    bad_android.package.push('-');
    let input = AppInput {
        name: "微信".into(),
        platforms: vec![bad_android, bad_ios, android("微信")],
    };
    let problems = check_app(&input).unwrap_err();
    let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        [
            "platforms[0].package",
            "platforms[1].name",
            "platforms[1].signature_digest",
            "platforms[2].platform",
        ]
    );
    assert_eq!(
        problems[1].1,
        AppError::NameDiffers {
            platform: AppPlatform::Ios,
            name: "WeChat".into(),
            expected: "微信".into()
        }
    );
    assert_eq!(
        problems[3].1,
        AppError::DuplicatePlatform {
            platform: AppPlatform::Android
        }
    );
    let none = check_app(&AppInput {
        name: String::new(),
        platforms: vec![PlatformInput {
            platform: "symbian".into(),
            ..PlatformInput::default()
        }],
    })
    .unwrap_err();
    assert_eq!(none[0], ("name".to_owned(), AppError::Empty));
    assert_eq!(
        none[1],
        (
            "platforms[0].platform".to_owned(),
            AppError::UnknownPlatform {
                value: "symbian".into()
            }
        )
    );
    let empty = check_app(&AppInput {
        name: "微信".into(),
        platforms: vec![],
    })
    .unwrap_err();
    assert_eq!(empty, vec![("platforms".to_owned(), AppError::NoPlatform)]);
}

#[test]
fn every_error_has_a_message_in_both_locales() {
    let errors = [
        AppError::Empty,
        AppError::TooLong { max: 1 },
        AppError::TooShort { min: 7 },
        AppError::ControlChar,
        AppError::UnknownPlatform { value: "x".into() },
        AppError::PackageTooFewParts,
        AppError::PackagePartStart { part: "1a".into() },
        AppError::PackageBadChar { ch: '-' },
        AppError::PackageKeyword { part: "new".into() },
        AppError::BundleTooFewParts,
        AppError::BundleBadChar { ch: '_' },
        AppError::BundleEmptyPart,
        AppError::NotAKey,
        AppError::BadPem,
        AppError::DigestLength {
            algorithm: "MD5",
            expected: 32,
            found: 40,
        },
        AppError::DigestBadChar { ch: 'g' },
        AppError::DigestPlaceholder,
        AppError::IconTooLarge { size: 2, max: 1 },
        AppError::IconType,
        AppError::NameDiffers {
            platform: AppPlatform::Ios,
            name: "a".into(),
            expected: "b".into(),
        },
        AppError::NoPlatform,
        AppError::DuplicatePlatform {
            platform: AppPlatform::Android,
        },
    ];
    for e in errors {
        assert!(has_key(e.message_key()), "{e:?}");
        let zh = e.localize(Locale::ZhCn);
        let en = e.localize(Locale::En);
        assert!(!zh.contains('{') && !en.contains('{'), "{zh} / {en}");
        assert_ne!(zh, en);
    }
    let digest = AppError::DigestLength {
        algorithm: "SHA-1",
        expected: 40,
        found: 32,
    };
    assert!(digest.localize(Locale::ZhCn).contains("40"));
}
