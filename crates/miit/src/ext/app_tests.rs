//! The extension's documents: built, validated against our XSD with xmllint (skipped with a
//! notice when xmllint is missing, unless CI=true), read back, and checked.

use std::path::Path;
use std::process::Command;

use super::*;
use crate::v3::xml::{from_document_bytes, to_gbk_document, to_utf8_document};

fn person(name: &str) -> AppPerson {
    AppPerson {
        name: name.into(),
        certificate_type: 2,
        certificate_number: "11010519491231002X".into(),
        mobile: "13600000000".into(),
        email: Some("app@example.cn".into()),
    }
}

fn app() -> AppInfo {
    AppInfo {
        name: "云栖助手".into(),
        service_content: "企业办公".into(),
        responsible: person("王芳"),
        features: Features {
            platforms: vec![
                PlatformFeatures {
                    platform: "android".into(),
                    package: "com.yunqi.example.assistant".into(),
                    public_key: "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEmKIucds3+FDjb4eKfZMPcSLhkmZd\nBuQ75JDvqQqD3YKz/jpRKqNPJyEmMCWIewGoDOgHYoaLyrcOxU+Yj4Pexw==\n-----END PUBLIC KEY-----".into(),
                    signature_digest: "18c867f0717aa67b2ab7347505ba07ed".into(),
                },
                PlatformFeatures {
                    platform: "ios".into(),
                    package: "com.yunqi.example.assistant".into(),
                    public_key: "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f"
                        .into(),
                    signature_digest: "8f3a914c0e6bd21755a90c3e71b4289d6ae0f512".into(),
                },
            ],
        },
        icon: Some(Icon {
            mime: "image/png".into(),
            base64: "iVBORw0KGgoAAAANSUhEUg==".into(),
        }),
    }
}

fn every_operation() -> AppUploadData {
    let on_filed = |operation, id, with_app: bool| AppRecord {
        operation,
        record_id: id,
        sponsor: None,
        sponsor_number: Some("浙ICP备2020000001号".into()),
        app_number: Some("浙ICP备2020000001号-2A".into()),
        password_hash: (operation == AppOperation::CancelAccess).then(|| {
            crate::v3::auth::icp_password_hash("Beian-2020")
                .expose()
                .to_owned()
        }),
        app: with_app.then(app),
    };
    AppUploadData::new(
        1,
        vec![
            AppRecord {
                operation: AppOperation::FirstFiling,
                record_id: 1,
                sponsor: Some(AppSponsor {
                    name: "杭州云栖示例科技有限公司".into(),
                    nature: 4,
                    certificate_type: 1,
                    certificate_number: "91330106MA2CFWXY9C".into(),
                    province: "33".into(),
                    address: "浙江省杭州市西湖区文三路1号".into(),
                    responsible: person("张伟"),
                }),
                sponsor_number: None,
                app_number: None,
                password_hash: None,
                app: Some(app()),
            },
            AppRecord {
                operation: AppOperation::NewApp,
                record_id: 2,
                sponsor: None,
                sponsor_number: Some("浙ICP备2020000001号".into()),
                app_number: None,
                password_hash: None,
                app: Some(app()),
            },
            on_filed(AppOperation::NewAccess, 3, false),
            on_filed(AppOperation::ContinueAccess, 4, false),
            on_filed(AppOperation::CancelAccess, 5, false),
            on_filed(AppOperation::Change, 6, true),
            on_filed(AppOperation::Cancel, 7, false),
        ],
    )
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

/// xmllint's verdict on `text` against the extension's schema: Ok, or its complaint.
fn schema_verdict(text: &str) -> Result<(), String> {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("xsd/ext/app-upload-1.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("app.xml");
    std::fs::write(&file, text).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn every_operation_validates_against_the_schema() {
    let doc = every_operation();
    assert_eq!(doc.check(), Ok(()));
    let text = to_utf8_document(&doc).unwrap();
    assert!(
        text.contains(r#"<AppUploadData xmlns="urn:beian:miit-ext:app:1" version="1.0">"#),
        "{text}"
    );
    assert!(is_app_upload(&text));
    if xmllint_available() {
        schema_verdict(&text).unwrap();
    }
}

#[test]
fn the_schema_refuses_what_the_extension_forbids() {
    if !xmllint_available() {
        return;
    }
    let good = to_utf8_document(&every_operation()).unwrap();
    assert_eq!(schema_verdict(&good), Ok(()));
    let cases = [
        // An upper-case digest, or an MD5 cut short.
        (
            "18c867f0717aa67b2ab7347505ba07ed",
            "18C867F0717AA67B2AB7347505BA07ED",
        ),
        (
            "18c867f0717aa67b2ab7347505ba07ed",
            "18c867f0717aa67b2ab7347505ba07",
        ),
        // A platform the extension does not know.
        ("<Ptlx>ios</Ptlx>", "<Ptlx>symbian</Ptlx>"),
        // A package name with a space.
        (
            "<Bm>com.yunqi.example.assistant</Bm>",
            "<Bm>com.yunqi example</Bm>",
        ),
        // An operation code outside the seven.
        ("<Czlx>ZXAPP</Czlx>", "<Czlx>QXAPP</Czlx>"),
        // Another version, or the V3.0 namespace-less root.
        ("version=\"1.0\"", "version=\"2.0\""),
        (" xmlns=\"urn:beian:miit-ext:app:1\"", ""),
        // An icon of another type.
        ("type=\"image/png\"", "type=\"image/gif\""),
        // A filing password hash that is not an MD5 in hex.
        ("</ICPmm>", "0</ICPmm>"),
    ];
    for (from, to) in cases {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        assert!(schema_verdict(&bad).is_err(), "accepted: {from} → {to}");
    }
}

#[test]
fn reads_back_from_the_wire_encoding() {
    let doc = every_operation();
    let gbk = to_gbk_document(&doc).unwrap();
    let text = crate::v3::xml::decode_document(&gbk).unwrap();
    assert!(is_app_upload(&text));
    assert_eq!(parse(&text).unwrap(), doc);
    let back: AppUploadData = from_document_bytes(&gbk).unwrap();
    assert_eq!(back, doc);
}

#[test]
fn a_v3_upload_is_not_an_extension_document() {
    let v3 = "<?xml version=\"1.0\" encoding=\"GBK\"?>\n<UploadData version=\"V.3.0\"><ICP/></UploadData>";
    assert!(!is_app_upload(v3));
    assert!(is_app_upload(
        "<AppUploadData xmlns=\"urn:beian:miit-ext:app:1\"/>"
    ));
}

#[test]
fn checks_what_the_schema_cannot() {
    let refused = |edit: &dyn Fn(&mut AppUploadData)| {
        let mut doc = every_operation();
        edit(&mut doc);
        doc.check().unwrap_err()
    };
    assert!(matches!(
        refused(&|d| d.namespace = "urn:other".into()),
        AppUploadError::Namespace { .. }
    ));
    assert!(matches!(
        refused(&|d| d.version = "2.0".into()),
        AppUploadError::Version { .. }
    ));
    assert_eq!(refused(&|d| d.records.clear()), AppUploadError::RecordCount);
    // A first filing without its sponsor; a new APP without the sponsor's number.
    let e = refused(&|d| d.records[0].sponsor = None);
    assert!(
        matches!(e, AppUploadError::Record { record_id: 1, .. }),
        "{e}"
    );
    let e = refused(&|d| d.records[1].sponsor_number = None);
    assert!(
        matches!(e, AppUploadError::Record { record_id: 2, .. }),
        "{e}"
    );
    // An access without the APP's number; a change without the APP's data.
    let e = refused(&|d| d.records[2].app_number = None);
    assert!(
        matches!(e, AppUploadError::Record { record_id: 3, .. }),
        "{e}"
    );
    let e = refused(&|d| d.records[5].app = None);
    assert!(
        matches!(e, AppUploadError::Record { record_id: 6, .. }),
        "{e}"
    );
    // 取消接入 without the filing password; another operation with it.
    let e = refused(&|d| d.records[4].password_hash = None);
    assert!(
        matches!(e, AppUploadError::Record { record_id: 5, .. }),
        "{e}"
    );
    let e = refused(&|d| d.records[6].password_hash = d.records[4].password_hash.clone());
    assert!(
        matches!(e, AppUploadError::Record { record_id: 7, .. }),
        "{e}"
    );
    // The same platform twice.
    let e = refused(&|d| {
        if let Some(app) = d.records[1].app.as_mut() {
            let again = app.features.platforms[0].clone();
            app.features.platforms.push(again);
        }
    });
    assert!(
        matches!(e, AppUploadError::Record { record_id: 2, .. }),
        "{e}"
    );
    assert!(
        parse(
            "<AppUploadData xmlns=\"urn:other\" version=\"1.0\"><Qqdwid>1</Qqdwid></AppUploadData>"
        )
        .is_err()
    );
}
