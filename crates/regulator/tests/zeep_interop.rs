//! A strict client generated from our served WSDLs by Python's zeep calls all six operations
//! against the simulator (issue 19): the status query by domain and by certificate, the
//! password check (right and wrong), an upload with a gap (14) and then in order (0), the
//! previous-upload query, a download and its acknowledgement. zeep parses every answer
//! against the WSDL's schema; the script also validates each return document against the
//! spec's return XSD (`tests/zeep/six_operations.py`).
//!
//! The Python is found through `BEIAN_ZEEP_PYTHON` (default `/opt/beian-venv/bin/python`,
//! where `.ci/run` installs zeep). Without a Python that imports zeep the test prints a notice
//! and passes, unless `CI=true`, where it fails.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod soap_common;

use std::path::{Path, PathBuf};
use std::process::Command;

use beian_miit::v3::codec;
use beian_miit::v3::codes::AttachmentOwner;
use beian_miit::v3::upload::{
    Attachment, AttachmentOwnerRef, IcpUpload, Materials, RecordRef, UploadData,
};
use beian_miit::v3::wsdl::Service;
use beian_miit::v3::xml::to_gbk_document;
use beian_regulator::fixture::{self, PROVIDER_A};
use serde_json::{Value, json};
use soap_common::start;

const DEFAULT_PYTHON: &str = "/opt/beian-venv/bin/python";

/// A Python that imports zeep, or `None` (failing when `CI=true`).
fn zeep_python() -> Option<PathBuf> {
    let python = std::env::var_os("BEIAN_ZEEP_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_PYTHON));
    let works = Command::new(&python)
        .args(["-c", "import zeep, lxml"])
        .output()
        .is_ok_and(|o| o.status.success());
    if works {
        return Some(python);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true needs a Python with zeep at BEIAN_ZEEP_PYTHON (default {DEFAULT_PYTHON}); \
         .ci/run installs it"
    );
    eprintln!(
        "NOTICE: no Python with zeep at {} (set BEIAN_ZEEP_PYTHON); the zeep interop test is skipped",
        python.display()
    );
    None
}

/// The transfer fields of an upload of verification materials for `website_number`.
fn upload_fields(website_number: &str, sequence: u32) -> Value {
    let data = UploadData::icp(IcpUpload {
        materials: Some(Materials {
            items: vec![Attachment {
                format: 1,
                purpose: 1,
                content: "aGVsbG8=".to_owned(),
                owner: AttachmentOwnerRef {
                    kind: AttachmentOwner::Website,
                    record: RecordRef {
                        id: None,
                        icp_number: Some(website_number.to_owned()),
                    },
                },
                remark: None,
            }],
        }),
        requester_id: PROVIDER_A,
        ..IcpUpload::default()
    });
    let key = codec::AesKey::parse("0123456789abcdef", "0102030405060708").unwrap();
    let bytes = to_gbk_document(&data).unwrap();
    let enc = codec::encode(&format!("zeep{sequence}.xml"), &bytes, Some(&key)).unwrap();
    json!({
        "beian_info": enc.beian_info,
        "beian_info_hash": enc.beian_info_hash,
        "data_sequence": sequence,
        "encrypt_algorithm": enc.encrypt_algorithm.code(),
        "compression_format": enc.compression_format.code(),
    })
}

#[tokio::test]
async fn a_zeep_client_generated_from_our_wsdl_calls_all_six_operations() {
    let Some(python) = zeep_python() else {
        return;
    };
    let sim = start().await;
    let (website_number,): (String,) =
        sqlx::query_as("SELECT number FROM websites WHERE domain = 'yunqi-example.com'")
            .fetch_one(sim.regulator.pool())
            .await
            .unwrap();
    let (sponsor_number, credit_code, _, _) = fixture::SPONSORS[0];
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let input = json!({
        "base": sim.base,
        "paths": Service::ALL.iter().map(|s| s.path()).collect::<Vec<_>>(),
        "xsd_dir": manifest.join("../miit/xsd"),
        "isp_id": PROVIDER_A,
        "user": "isp-zj",
        "password": "isp-zj-secret",
        "domain": "yunqi-example.com",
        "credit_code": credit_code,
        "sponsor_number": sponsor_number,
        "filing_password": fixture::PASSWORD,
        // Number 2 before any upload: refused with 14, 1 missing. Then 1, in order.
        "upload_gap": upload_fields(&website_number, 2),
        "upload_in_order": upload_fields(&website_number, 1),
    });
    let dir = tempfile::tempdir().unwrap();
    let input_file = dir.path().join("input.json");
    std::fs::write(&input_file, input.to_string()).unwrap();
    let script = manifest.join("tests/zeep/six_operations.py");
    let output = tokio::process::Command::new(&python)
        .arg(&script)
        .arg(&input_file)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "zeep client failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let out: Value = serde_json::from_slice(&output.stdout).unwrap();

    assert_eq!(out["query_domain"]["msg_code"], 0, "{out}");
    assert_eq!(out["query_domain"]["Bazt"], "0", "{out}");
    assert_eq!(
        out["query_domain"]["Wzbah"],
        website_number.as_str(),
        "{out}"
    );
    assert_eq!(out["query_certificate"]["msg_code"], 0, "{out}");
    assert_eq!(out["query_certificate"]["Bazt"], "0", "{out}");
    assert_eq!(out["query_certificate"]["Ztbah"], sponsor_number, "{out}");
    assert_eq!(out["password_right"]["msg_code"], 0, "{out}");
    assert_eq!(out["password_right"]["VerifyRes"], "0", "{out}");
    assert_eq!(out["password_wrong"]["msg_code"], 0, "{out}");
    assert_eq!(out["password_wrong"]["VerifyRes"], "1", "{out}");
    assert_eq!(out["upload_gap"]["msg_code"], 14, "{out}");
    assert_eq!(out["upload_gap"]["missing"], json!([1]), "{out}");
    assert_eq!(out["upload_in_order"]["msg_code"], 0, "{out}");
    assert_eq!(out["previous_upload"]["msg_code"], 0, "{out}");
    assert_eq!(out["previous_upload"]["dataSequence"], "1", "{out}");
    assert_eq!(
        out["previous_upload"]["beianInfoHash"], input["upload_in_order"]["beian_info_hash"],
        "{out}"
    );
    assert_eq!(out["download"]["msg_code"], 0, "{out}");
    assert_eq!(out["download"]["has_data"], true, "{out}");
    assert!(
        out["download"]["file_name"]
            .as_str()
            .is_some_and(|n| !n.is_empty()),
        "{out}"
    );
    assert_eq!(out["download_ack"]["msg_code"], 0, "{out}");
    // The acknowledged file is gone: our own client finds nothing more.
    let mine = soap_common::client(&sim);
    let next = beian_miit::v3::client::RegulatorClient::download(&mine)
        .await
        .unwrap();
    assert_eq!(
        next.ret.code(),
        Some(beian_miit::v3::codes::ReturnCode::NothingToDownload)
    );
}
