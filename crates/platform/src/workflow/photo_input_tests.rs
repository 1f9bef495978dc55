use beian_core::i18n::Locale;

use super::*;
use crate::workflow::messages;

fn good() -> BackdropRequestInput {
    BackdropRequestInput {
        recipient: "张三".into(),
        mobile: "13812345678".into(),
        address: AddressInput {
            province: "33".into(),
            city: "杭州市".into(),
            district: "西湖区".into(),
            detail: "文三路 1 号 2 幢 301 室".into(),
        },
    }
}

#[test]
fn a_good_request_is_normalised() {
    let mut input = good();
    input.address.province = " 浙江省 ".into();
    input.mobile = "+86 138-1234-5678".into();
    let v = input.validate().unwrap();
    assert_eq!(v.province, "33");
    assert_eq!(v.mobile, "13812345678");
    assert_eq!(v.detail, "文三路 1 号 2 幢 301 室");
}

#[test]
fn provinces_by_code_name_or_english_and_never_outside_the_mainland() {
    let cases: [(&str, Result<&str, &str>); 14] = [
        ("33", Ok("33")),
        ("330100", Ok("33")),
        ("浙江省", Ok("33")),
        ("浙江", Ok("33")),
        ("Zhejiang", Ok("33")),
        ("上海市", Ok("31")),
        ("81", Err("photo.address.outside_mainland")),
        ("香港", Err("photo.address.outside_mainland")),
        ("澳門", Err("photo.address.outside_mainland")),
        ("Taiwan", Err("photo.address.outside_mainland")),
        ("台湾省", Err("photo.address.outside_mainland")),
        ("99", Err("photo.address.province_unknown")),
        ("火星", Err("photo.address.province_unknown")),
        ("  ", Err("workflow.required")),
    ];
    for (value, want) in cases {
        let got = address_province(value).map(|p| p.code());
        assert_eq!(got, want, "{value}");
    }
}

#[test]
fn every_bad_field_is_reported_by_its_path() {
    type Edit = fn(&mut BackdropRequestInput);
    let cases: [(Edit, &str, &str); 10] = [
        (
            |i| i.recipient = String::new(),
            "recipient",
            "workflow.required",
        ),
        (
            |i| i.recipient = "张".repeat(31),
            "recipient",
            "photo.recipient_shape",
        ),
        (
            |i| i.recipient = "张\u{7}三".into(),
            "recipient",
            "photo.recipient_shape",
        ),
        (
            |i| i.mobile = "12345".into(),
            "mobile",
            "contact.mobile_bad_length",
        ),
        (
            |i| i.mobile = String::new(),
            "mobile",
            "contact.mobile_empty",
        ),
        (
            |i| i.address.province = "HK".into(),
            "address.province",
            "photo.address.outside_mainland",
        ),
        (
            |i| i.address.city = " ".into(),
            "address.city",
            "workflow.required",
        ),
        (
            |i| i.address.district = "区".repeat(31),
            "address.district",
            "photo.address.part_shape",
        ),
        (
            |i| i.address.detail = "1号".into(),
            "address.detail",
            "photo.address.detail_shape",
        ),
        (
            |i| i.address.detail = String::new(),
            "address.detail",
            "workflow.required",
        ),
    ];
    for (edit, path, key) in cases {
        let mut input = good();
        edit(&mut input);
        let errors = input.validate().unwrap_err();
        assert_eq!(errors.len(), 1, "{path}: {errors:?}");
        let e = &errors[path];
        assert_eq!(e.key, key, "{path}");
        for locale in Locale::ALL {
            let text = e.localize(locale);
            assert!(!text.contains('{') && !text.is_empty(), "{path}: {text}");
        }
    }
    let all = BackdropRequestInput::default().validate().unwrap_err();
    let paths: Vec<&str> = all.keys().map(String::as_str).collect();
    assert_eq!(
        paths,
        [
            "address.city",
            "address.detail",
            "address.district",
            "address.province",
            "mobile",
            "recipient"
        ]
    );
}

#[test]
fn debug_masks_the_personal_data() {
    let input = good();
    let shown = format!("{input:?} {:?}", input.validate().unwrap());
    assert!(!shown.contains("13812345678"), "{shown}");
    assert!(!shown.contains("张三"), "{shown}");
    assert!(!shown.contains("文三路"), "{shown}");
    assert!(shown.contains("138****5678"), "{shown}");
}

#[test]
fn tracking_numbers() {
    for (value, want) in [
        ("sf1234567890", Ok("SF1234567890")),
        (" YT-0001-22 ", Ok("YT-0001-22")),
        ("", Err("workflow.required")),
        ("12345", Err("photo.tracking_number_shape")),
        ("SF 123456", Err("photo.tracking_number_shape")),
        ("顺丰123456", Err("photo.tracking_number_shape")),
    ] {
        assert_eq!(
            tracking_number(value).as_deref().map_err(|e| e.key),
            want,
            "{value}"
        );
    }
}

#[test]
fn shanghai_codes() {
    for (value, want) in [
        ("ab12cd", Ok("AB12CD")),
        ("SH-2026 1123-XY", Ok("SH20261123XY")),
        ("", Err("workflow.required")),
        ("12345", Err("photo.shanghai_code_shape")),
        (&"9".repeat(33), Err("photo.shanghai_code_shape")),
        ("ABC_123", Err("photo.shanghai_code_shape")),
        ("上海123456", Err("photo.shanghai_code_shape")),
    ] {
        let got = ShanghaiAppCode::parse(value);
        assert_eq!(
            got.as_ref().map(ShanghaiAppCode::as_str).map_err(|e| e.key),
            want,
            "{value}"
        );
    }
    let code = ShanghaiAppCode::parse("AB12CD34").unwrap();
    assert!(!format!("{code:?}").contains("AB12CD34"));
}

#[test]
fn reject_reasons() {
    let input = |code: &str, text: Option<&str>| RejectReasonInput {
        code: code.into(),
        text: text.map(str::to_owned),
    };
    let ok = input("face_unclear", None).validate().unwrap();
    assert_eq!(ok.code, PhotoRejectCode::FaceUnclear);
    let ok = input("other", Some(" 背景有杂物 ")).validate().unwrap();
    assert_eq!(ok.text.as_deref(), Some("背景有杂物"));
    let long = "长".repeat(REASON_TEXT_MAX + 1);
    for (i, path, key) in [
        (input("", None), "reason.code", "workflow.required"),
        (input("blurry", None), "reason.code", "photo.reason_unknown"),
        (
            input("other", None),
            "reason.text",
            "photo.reason_text_required",
        ),
        (
            input("other", Some("  ")),
            "reason.text",
            "photo.reason_text_required",
        ),
        (
            input("no_backdrop", Some(&long)),
            "reason.text",
            "workflow.too_long",
        ),
    ] {
        let errors = i.validate().unwrap_err();
        assert_eq!(errors[path].key, key, "{i:?}");
    }
}

#[test]
fn every_key_used_has_both_texts() {
    let mut keys: Vec<&str> = vec![
        "photo.recipient_shape",
        "photo.address.part_shape",
        "photo.address.detail_shape",
        "photo.address.province_unknown",
        "photo.address.outside_mainland",
        "photo.tracking_number_shape",
        "photo.shanghai_code_shape",
        "photo.photo_not_image",
        "photo.reason_unknown",
        "photo.reason_text_required",
    ];
    keys.extend(PhotoRejectCode::ALL.map(PhotoRejectCode::message_key));
    keys.extend(
        [
            PhotoRefusal::BackdropRequestOpen,
            PhotoRefusal::NoBackdropStep,
            PhotoRefusal::BackdropNotNeeded,
            PhotoRefusal::BackdropAlreadyShipped,
            PhotoRefusal::NoPendingPhoto,
        ]
        .map(PhotoRefusal::message_key),
    );
    for key in keys {
        assert!(messages().has_key(key), "{key}");
        let zh = messages().render(
            Locale::ZhCn,
            key,
            &[("max", "9".into()), ("min", "1".into())],
        );
        let en = messages().render(Locale::En, key, &[("max", "9".into()), ("min", "1".into())]);
        assert_ne!(zh, en, "{key}");
        assert!(!en.contains('{'), "{key}: {en}");
    }
}
