//! The raw-bytes scan of the data dir (issue 16, "must show"): after an applicant's flow
//! (an order created with an Idempotency-Key, both forms filled, a PDF uploaded that carries
//! the numbers in its text) and an order taken through the bureau (submitted, approved by a
//! reviewer, sent to the simulator, its SMS check passed, approved there and completed), no
//! file under the data dir (the database, its WAL, the objects, the audit head, the
//! simulator's registry, its WAL and key) holds a submitted certificate number or mobile, in
//! ASCII or UTF-16, while the simulator still answers with them (issue 16 item 3: it seals
//! its registry under its own key).

use std::path::Path;

use crate::api_materials::{draft, multipart, upload};
use crate::harness::bureau::MOBILE;
use crate::harness::setup::state_of;
use crate::harness::{TestApp, check, credit_code, resident_id};
use beian_regulator::model::FilingStatus;
use beian_store::testing;
use reqwest::StatusCode;

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// `text` as ASCII, UTF-16LE and UTF-16BE.
fn encodings(text: &str) -> Vec<Vec<u8>> {
    let le = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
    vec![text.as_bytes().to_vec(), le, be]
}

#[tokio::test]
async fn no_file_of_the_data_dir_holds_a_submitted_number() {
    let t = testing::sqlite().await;
    let api = TestApp::new().auto_review_after(10).start(&t).await;
    let alice = api.new_applicant("alice").await;
    let id = draft(&alice, "scan-example.cn", 31).await;
    // Another applicant's order through an idempotent retry (its answer is stored).
    let bob = api.new_applicant("bob").await;
    let body = check("scan-two.cn", &credit_code(32), "杭州扫描科技有限公司");
    for _ in 0..2 {
        let (status, created) = bob
            .send(
                bob.req(reqwest::Method::POST, "/orders")
                    .header("idempotency-key", "scan-1")
                    .json(&body),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
    }
    let numbers = [
        credit_code(31),
        credit_code(32),
        credit_code(33),
        resident_id(1),
        "13800138000".to_owned(),
        "13900139000".to_owned(),
    ];
    let pdf = format!(
        "%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n({})\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        numbers.join(" ")
    );
    let (status, added) = upload(
        &alice,
        &id,
        multipart("business_license", pdf.as_bytes(), "application/pdf"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{added}");
    let (status, order) = alice.get(&format!("/orders/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    assert!(order.to_string().contains("scan-example.cn"), "{order}");

    // A third order through the bureau: its numbers and mobiles reach the simulator.
    let sent = api.queued_order("carol", 33, "scan-bureau.cn").await;
    api.deliver_and_verify_sms(&sent).await;
    api.advance_minutes(11);
    api.bureau_approved(1).await;
    api.eventually("the order is completed", || async {
        state_of(&api.store, &sent).await == "completed"
    })
    .await;
    // The simulator answers with what it keeps sealed.
    let sponsor_number = match api
        .regulator
        .status_by_certificate(&credit_code(33))
        .await
        .unwrap()
    {
        FilingStatus::Sponsor { sponsor_number } => sponsor_number,
        other => panic!("not filed at the simulator: {other:?}"),
    };
    let record = api
        .regulator
        .filing_record(&sponsor_number)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.sponsor.responsible.mobile, MOBILE);
    assert_eq!(
        record.websites[0].responsible.certificate_number,
        resident_id(1)
    );
    let inbox = api.regulator.phone_inbox(MOBILE).await.unwrap();
    assert!(
        inbox.iter().any(|t| t.text.contains(&sponsor_number)) && inbox[0].mobile == MOBILE,
        "{inbox:?}"
    );

    let mut all = Vec::new();
    files(&api.data_dir, &mut all);
    assert!(
        all.iter().any(|p| p.ends_with("beian.db-wal")),
        "the WAL is among the files scanned: {all:?}"
    );
    for simulator in ["regulator.sqlite", "regulator.sqlite-wal", "regulator.key"] {
        assert!(
            all.iter()
                .any(|p| p.ends_with(Path::new("regulator").join(simulator))),
            "the simulator's {simulator} is among the files scanned: {all:?}"
        );
    }
    assert!(all.len() >= 7, "{all:?}");
    let mut found = Vec::new();
    for path in &all {
        // A temporary file (the audit head's, a journal) may be renamed or removed between
        // the listing and the read by work still finishing; what it held is in its target.
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => panic!("{}: {e}", path.display()),
        };
        for number in &numbers {
            for needle in encodings(number) {
                if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    found.push(format!("{} in {}", &number[..4], path.display()));
                }
            }
        }
    }
    assert!(
        found.is_empty(),
        "submitted numbers found at rest: {found:?}"
    );
    t.teardown().await;
}
