use super::*;
use crate::workflow::{PersonForm, SponsorForm, SponsorIdentityInput, WebsiteForm};
use beian_miit::v3::auth::icp_password_hash;
use beian_miit::v3::mapping::{AttachmentFormat, CertificateType};
use beian_miit::v3::xml::{from_document_bytes, to_gbk_document, to_utf8_document};
use std::path::Path;
use std::process::Command;

fn person() -> PersonForm {
    PersonForm {
        name: "张三".into(),
        certificate_type: "resident_id".into(),
        certificate_number: "330106199001011234".into(),
        mobile: "13800138000".into(),
        email: "zhang@example.cn".into(),
        emergency_mobile: "13900139000".into(),
        office_phone: "0571-88888888".into(),
    }
}

fn forms() -> Forms {
    Forms {
        sponsor: SponsorForm {
            identity: SponsorIdentityInput {
                province: "33".into(),
                nature: "enterprise".into(),
                certificate_type: "credit_code".into(),
                certificate_number: "91330106MA2XXXXX1A".into(),
                name: "杭州示例科技有限公司".into(),
            },
            address: "浙江省杭州市西湖区文三路1号".into(),
            responsible: person(),
            responsible_is_legal_representative: None,
        },
        website: WebsiteForm {
            name: "示例网站".into(),
            domain: "Example.cn".into(),
            home_url: "https://www.example.cn/".into(),
            service_content: "企业官网".into(),
            languages: vec!["zh_cn".into(), "en".into()],
            responsible: person(),
            pre_approvals: vec![],
        },
        app: None,
    }
}

fn materials() -> Vec<MaterialFile> {
    [
        "business_license",
        "website_owner_id_front",
        "verification_form",
    ]
    .into_iter()
    .map(|kind| MaterialFile {
        kind: kind.into(),
        content_type: if kind == "verification_form" {
            "application/pdf".into()
        } else {
            "image/jpeg".into()
        },
        bytes: vec![0xff, 0xd8, 0xff, 0xe0],
    })
    .collect()
}

const IPS: &[Ipv4Addr] = &[Ipv4Addr::new(203, 0, 113, 7)];

fn input<'a>(kind: FilingKind, forms: &'a Forms, materials: &'a [MaterialFile]) -> UploadInput<'a> {
    UploadInput {
        kind,
        isp_id: 7,
        province: Province::ZHEJIANG,
        sequence: 42,
        forms,
        sponsor_number: Some("浙ICP备2021012345号"),
        website_number: Some("浙ICP备2021012345号-1"),
        registry_ids: RegistryIds {
            sponsor: Some(330_001),
            website: Some(440_001),
            access: Some(550_001),
        },
        materials,
        ips: IPS,
        password_hash: Some(icp_password_hash("Beian2024")),
    }
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

fn validate(name: &str, data: &UploadData) {
    let xsd = Path::new(env!("CARGO_MANIFEST_DIR")).join("../miit/xsd/upload-data.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join(format!("{name}.xml"));
    std::fs::write(&file, to_utf8_document(data).unwrap()).unwrap();
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
fn every_kind_builds_a_valid_upload_with_its_result_identifier() {
    let forms = forms();
    let materials = materials();
    let check = xmllint_available();
    let cases = [
        (FilingKind::FirstFiling, OperationType::FirstFiling, "421"),
        (
            FilingKind::NewWebsite,
            OperationType::NewWebsite,
            "浙ICP备2021012345号",
        ),
        (
            FilingKind::NewWebsiteElsewhereSponsor,
            OperationType::NewWebsite,
            "浙ICP备2021012345号",
        ),
        (
            FilingKind::NewAccess,
            OperationType::NewAccess,
            "浙ICP备2021012345号-1",
        ),
        (
            FilingKind::ContinueAccess,
            OperationType::NewAccess,
            "浙ICP备2021012345号-1",
        ),
        (FilingKind::ChangeSponsor, OperationType::Change, "330001"),
        (FilingKind::ChangeWebsite, OperationType::Change, "330001"),
        (
            FilingKind::CancelSponsor,
            OperationType::CancelSponsor,
            "330001",
        ),
        (
            FilingKind::CancelWebsite,
            OperationType::CancelWebsite,
            "440001",
        ),
        (
            FilingKind::CancelAccess,
            OperationType::CancelAccess,
            "550001",
        ),
    ];
    for (kind, operation, subject) in cases {
        let built = build(&input(kind, &forms, &materials)).unwrap();
        assert_eq!(built.operation, operation, "{kind:?}");
        assert_eq!(built.subject, subject, "{kind:?}");
        assert_eq!(built.data.icp.as_ref().unwrap().requester_id, 7);
        assert_eq!(built.data.record_count(), 1, "{kind:?}");
        if check {
            validate(kind.as_str(), &built.data);
        }
        // The stored GBK file reads back as the same document.
        let back: UploadData = from_document_bytes(&to_gbk_document(&built.data).unwrap()).unwrap();
        assert_eq!(back, built.data, "{kind:?}");
    }
}

#[test]
fn a_first_filing_carries_the_forms_and_materials() {
    let forms = forms();
    let materials = materials();
    let built = build(&input(FilingKind::FirstFiling, &forms, &materials)).unwrap();
    let item = &built.data.icp.unwrap().first_filings.unwrap().items[0];
    assert_eq!(item.sponsor.isp_sponsor_id, 421);
    assert_eq!(item.sponsor.name, "杭州示例科技有限公司");
    assert_eq!(item.sponsor.address.province_id, 330_000);
    assert_eq!(
        item.sponsor.certificate.kind,
        CertificateType::BusinessLicence.code()
    );
    let site = &item.websites[0];
    assert_eq!(site.domains[0].domain, "example.cn");
    assert_eq!(site.accesses[0].ips[0].start, u32::from(IPS[0]));
    assert_eq!(site.languages.ids, vec![1, 3]);
    assert_eq!(item.attachments.len(), 3);
    let owners: Vec<(AttachmentOwner, i64, u32)> = item
        .attachments
        .iter()
        .map(|a| {
            (
                a.attachment.owner.kind,
                a.attachment.owner.isp_id,
                a.attachment.format,
            )
        })
        .collect();
    assert_eq!(
        owners,
        vec![
            (AttachmentOwner::Sponsor, 421, AttachmentFormat::Jpg.code()),
            (AttachmentOwner::Website, 422, AttachmentFormat::Jpg.code()),
            (AttachmentOwner::Website, 422, AttachmentFormat::Pdf.code()),
        ]
    );
    assert_eq!(item.attachments[0].attachment.content, "/9j/4A==");
}

#[test]
fn missing_data_is_refused_by_name() {
    let forms = forms();
    let materials = materials();
    let no_password = UploadInput {
        password_hash: None,
        ..input(FilingKind::NewAccess, &forms, &materials)
    };
    let no_number = UploadInput {
        website_number: None,
        ..input(FilingKind::NewAccess, &forms, &materials)
    };
    let no_ip = UploadInput {
        ips: &[],
        ..input(FilingKind::FirstFiling, &forms, &materials)
    };
    let no_access_id = UploadInput {
        registry_ids: RegistryIds::default(),
        ..input(FilingKind::CancelAccess, &forms, &materials)
    };
    let mut bad_nature = forms.clone();
    bad_nature.sponsor.identity.nature = "pirate".into();
    let cases = [
        (no_password, BuildError::MissingPassword),
        (no_number, BuildError::MissingNumber("website")),
        (no_ip, BuildError::NoAccessIp),
        (no_access_id, BuildError::MissingRegistryId("access")),
        (
            input(FilingKind::FirstFiling, &bad_nature, &materials),
            BuildError::NoCode {
                what: "sponsor nature",
                value: "pirate".into(),
            },
        ),
    ];
    for (input, want) in cases {
        assert_eq!(build(&input).unwrap_err(), want, "{:?}", input.kind);
    }
}

#[test]
fn debug_hides_material_bytes() {
    let shown = format!("{:?}", materials()[0]);
    assert!(
        shown.contains("business_license") && !shown.contains("255"),
        "{shown}"
    );
}
