//! The client end of the APP extension: every kind an APP has builds a document that
//! validates against our XSD (xmllint; skipped with a notice when missing, unless CI=true).

use std::path::Path;
use std::process::Command;

use beian_core::app::{AppInput, IconType, PlatformInput, check_app};
use beian_miit::v3::xml::to_utf8_document;

use super::*;
use crate::workflow::{SponsorForm, SponsorIdentityInput};

fn person() -> PersonForm {
    PersonForm {
        name: "王芳".into(),
        certificate_type: "resident_id".into(),
        certificate_number: "11010519491231002X".into(),
        mobile: "13600000000".into(),
        email: "app@example.cn".into(),
        emergency_mobile: "13700000000".into(),
        office_phone: String::new(),
    }
}

fn sponsor() -> SponsorForm {
    SponsorForm {
        identity: SponsorIdentityInput {
            province: "33".into(),
            nature: "enterprise".into(),
            certificate_type: "credit_code".into(),
            certificate_number: "91330106MA2CFWXY9C".into(),
            name: "杭州云栖示例科技有限公司".into(),
        },
        address: "浙江省杭州市西湖区文三路1号".into(),
        responsible: person(),
        responsible_is_legal_representative: Some(true),
    }
}

fn app() -> AppInfo {
    check_app(&AppInput {
        name: "云栖助手".into(),
        platforms: vec![
            PlatformInput {
                platform: "android".into(),
                name: "云栖助手".into(),
                package: "com.yunqi.example.assistant".into(),
                public_key: "86:4A:1E:0B:52:9C:3F:7D:11:E8:60:AF:2B:93:C4:58:DD:07:61:FA:3E:42:95:B8:0C:7A:E1:56:29:D3:84:0F".into(),
                signature_digest: "18:C8:67:F0:71:7A:A6:7B:2A:B7:34:75:05:BA:07:ED".into(),
            },
            PlatformInput {
                platform: "ios".into(),
                name: "云栖助手".into(),
                package: "com.yunqi.example.assistant".into(),
                public_key: "5b8e2f4c0d6a19e3b7c42f8d1a0e6b3c9f2d7a4e8b1c5f0a3d6e9b2c7f4a1d8e".into(),
                signature_digest: "8f3a914c0e6bd21755a90c3e71b4289d6ae0f512".into(),
            },
        ],
    })
    .unwrap()
}

fn xmllint_available() -> bool {
    let found = Command::new("xmllint").arg("--version").output().is_ok();
    if !found {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "xmllint is required when CI=true"
        );
        eprintln!("NOTICE: xmllint not found; schema validation skipped");
    }
    found
}

fn validate(name: &str, doc: &AppUploadData) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../miit/xsd/ext/app-upload-1.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.xml"));
    std::fs::write(&file, to_utf8_document(doc).unwrap()).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{name} does not validate:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn every_app_kind_builds_a_valid_extension_document() {
    let sponsor = sponsor();
    let app = app();
    let responsible = person();
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let check = xmllint_available();
    let cases = [
        (FilingKind::FirstFiling, AppOperation::FirstFiling),
        (FilingKind::NewWebsite, AppOperation::NewApp),
        (FilingKind::NewWebsiteElsewhereSponsor, AppOperation::NewApp),
        (FilingKind::NewAccess, AppOperation::NewAccess),
        (FilingKind::ContinueAccess, AppOperation::ContinueAccess),
        (FilingKind::CancelAccess, AppOperation::CancelAccess),
        (FilingKind::ChangeWebsite, AppOperation::Change),
        (FilingKind::CancelWebsite, AppOperation::Cancel),
    ];
    for (kind, operation) in cases {
        let input = AppUploadInput {
            kind,
            record_id: 71,
            requester_id: 1,
            sponsor: &sponsor,
            sponsor_number: Some("浙ICP备2020000001号"),
            app_number: Some("浙ICP备2020000001号-2A"),
            app: &app,
            service_content: "企业办公",
            responsible: &responsible,
            icon: Some((IconType::Png, &png)),
            password_hash: Some("0f359740bd1cda994f8b55330c86d845"),
        };
        let doc = build_app(&input).unwrap();
        assert_eq!(doc.check(), Ok(()), "{kind}");
        let record = &doc.records[0];
        assert_eq!(record.operation, operation, "{kind}");
        assert_eq!(record.record_id, 71);
        assert_eq!(record.sponsor.is_some(), kind == FilingKind::FirstFiling);
        if let Some(a) = &record.app {
            // keytool's colon-separated upper case became the schema's plain lower-case hex.
            assert_eq!(
                a.features.platforms[0].signature_digest,
                "18c867f0717aa67b2ab7347505ba07ed"
            );
        }
        if check {
            validate(kind.as_str(), &doc);
        }
    }
}

#[test]
fn numbers_are_required_where_the_operation_names_them() {
    let sponsor = sponsor();
    let app = app();
    let responsible = person();
    let input = |kind, sponsor_number, app_number| AppUploadInput {
        kind,
        record_id: 1,
        requester_id: 1,
        sponsor: &sponsor,
        sponsor_number,
        app_number,
        app: &app,
        service_content: "企业办公",
        responsible: &responsible,
        icon: None,
        password_hash: None,
    };
    assert!(matches!(
        build_app(&input(FilingKind::NewWebsite, None, None)),
        Err(BuildError::MissingNumber("sponsor"))
    ));
    assert!(matches!(
        build_app(&input(
            FilingKind::ChangeWebsite,
            Some("浙ICP备2020000001号"),
            None
        )),
        Err(BuildError::MissingNumber("APP"))
    ));
    assert!(matches!(
        build_app(&input(
            FilingKind::ChangeSponsor,
            Some("浙ICP备2020000001号"),
            None
        )),
        Err(BuildError::NoCode { .. })
    ));
    assert_eq!(operation_of(FilingKind::CancelSponsor), None);
    // 取消接入 carries the filing password's hash.
    assert!(matches!(
        build_app(&input(
            FilingKind::CancelAccess,
            Some("浙ICP备2020000001号"),
            Some("浙ICP备2020000001号-2A")
        )),
        Err(BuildError::MissingNumber("filing password (ICPmm)"))
    ));
}

#[test]
fn an_app_cancel_access_carries_both_numbers_and_the_password_hash() {
    let doc = build_app_cancel_access(
        9,
        1,
        Some("浙ICP备2020000001号"),
        Some("浙ICP备2020000001号-2A"),
        Some("0f359740bd1cda994f8b55330c86d845"),
    )
    .unwrap();
    assert_eq!(doc.check(), Ok(()));
    let record = &doc.records[0];
    assert_eq!(record.operation, AppOperation::CancelAccess);
    assert_eq!(record.app_number.as_deref(), Some("浙ICP备2020000001号-2A"));
    assert!(record.app.is_none());
    if xmllint_available() {
        validate("app cancel access", &doc);
    }
    assert!(matches!(
        build_app_cancel_access(9, 1, Some("浙ICP备2020000001号"), None, Some("0f")),
        Err(BuildError::MissingNumber("APP"))
    ));
}
