//! The simulator keeps certificate numbers and mobiles under its own key (issue 16 item 3):
//! after filings, SMS checks, a blacklisting, a password recovery, a text and an upload, no
//! file of its data dir (the registry, its WAL, the key file) holds one of them, in ASCII or
//! UTF-16, while what it answers (status query, filing record, inbox, submissions, uploads)
//! shows them as submitted. A registry written before the sealing (migrations up to 0005,
//! plain text) is sealed when the simulator opens it, and answers the same afterwards; so are
//! the SMS texts of one written before migration 0007. The texts sent (codes, passwords) are
//! not at rest either, while the inbox shows them as sent.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use beian_core::province::Province;
use beian_regulator::bureau::{Decision, SmsCheck};
use beian_regulator::fixture::{self, PROVIDER_A};
use beian_regulator::model::{AccessData, FilingRequest, FilingStatus, NewWebsite, Outcome};
use beian_regulator::{Regulator, SimulatedClock};
use common::{code_in, codes_of, manual_without_sms, sim, start, with_sms};

/// Every file under `dir`, recursively.
fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

/// The needles of `dir`'s files holding one of `values` (ASCII, UTF-16LE or UTF-16BE).
fn found_in(dir: &Path, values: &[&str]) -> Vec<String> {
    let mut all = Vec::new();
    files(dir, &mut all);
    assert!(
        all.iter().any(|p| p.ends_with("regulator.sqlite")),
        "the registry is among the files scanned: {all:?}"
    );
    let mut found = Vec::new();
    for path in &all {
        let bytes = std::fs::read(path).unwrap();
        for value in values {
            let le: Vec<u8> = value.encode_utf16().flat_map(u16::to_le_bytes).collect();
            let be: Vec<u8> = value.encode_utf16().flat_map(u16::to_be_bytes).collect();
            for needle in [value.as_bytes().to_vec(), le, be] {
                if bytes.windows(needle.len()).any(|w| w == needle.as_slice()) {
                    found.push(format!("{value} in {}", path.display()));
                }
            }
        }
    }
    found
}

fn first_filing(
    cert: &str,
    sponsor_mobile: &str,
    domain: &str,
    site_mobile: &str,
) -> FilingRequest {
    let mut website = fixture::website("封存站", domain, site_mobile);
    website.responsible.certificate_number = "110105198001010019".into();
    FilingRequest::FirstFiling {
        sponsor: fixture::sponsor(
            Province::TIANJIN,
            cert,
            "天津封存测试有限公司",
            sponsor_mobile,
        ),
        websites: vec![NewWebsite {
            website,
            access: AccessData::default(),
        }],
    }
}

#[tokio::test]
async fn no_file_of_the_simulator_holds_a_number_or_mobile_it_was_given() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let request = first_filing(
        "91120116MA05SEAL1X",
        "13600000071",
        "sealed-example.cn",
        "13600000072",
    );
    let id = r.submit(PROVIDER_A, "seal-1", &request).await.unwrap();
    // The same record again is found by its digest, not received twice.
    assert_eq!(r.submit(PROVIDER_A, "seal-1", &request).await.unwrap(), id);
    assert_eq!(r.submission(id).await.unwrap().request, request);
    sim.clock.advance_minutes(5).unwrap();
    assert_eq!(r.tick().await.unwrap().texts_sent, 2);
    for mobile in ["13600000071", "13600000072"] {
        let inbox = r.phone_inbox(mobile).await.unwrap();
        assert_eq!(inbox.len(), 1, "{inbox:?}");
        assert_eq!(inbox[0].mobile, mobile);
        assert!(matches!(
            r.enter_sms_code(mobile, &code_in(&inbox[0].text))
                .await
                .unwrap(),
            SmsCheck::Verified { .. }
        ));
    }
    let Outcome::Approved { numbers } = r.decide(id, Decision::Approve).await.unwrap() else {
        panic!("not approved");
    };
    let number = numbers.sponsor_number.unwrap();
    // Found by the blind index, however the number is typed.
    assert_eq!(
        r.status_by_certificate(" 91120116ma05seal1x")
            .await
            .unwrap(),
        FilingStatus::Sponsor {
            sponsor_number: number.clone()
        }
    );
    let record = r.filing_record(&number).await.unwrap().unwrap();
    assert_eq!(record.sponsor.responsible.mobile, "13600000071");
    assert_eq!(record.websites[0].responsible.mobile, "13600000072");
    assert_eq!(
        record.websites[0].responsible.certificate_number,
        "110105198001010019"
    );
    // The approval texted the password to the sponsor's mobile.
    assert_eq!(r.phone_inbox("13600000071").await.unwrap().len(), 2);

    // A blacklisted certificate number is refused (1065) through its blind index.
    r.blacklist_sponsor("91120116MA05BLCK2X", "test")
        .await
        .unwrap();
    let refused = r
        .submit(
            PROVIDER_A,
            "seal-2",
            &first_filing(
                "91120116ma05blck2x",
                "13600000073",
                "blocked-example.cn",
                "13600000073",
            ),
        )
        .await
        .unwrap();
    sim.clock.advance_minutes(5).unwrap();
    r.tick().await.unwrap();
    let inbox = r.phone_inbox("13600000073").await.unwrap();
    r.enter_sms_code("13600000073", &code_in(&inbox[0].text))
        .await
        .unwrap();
    let outcome = r.decide(refused, Decision::Approve).await.unwrap();
    assert!(codes_of(&outcome).contains(&1065), "{outcome:?}");

    // Password recovery, a platform's text, an upload's transfer fields.
    assert!(r.request_password_recovery(&number).await.unwrap());
    assert_eq!(r.phone_inbox("13600000071").await.unwrap().len(), 3);
    r.deliver_text("13600000074", "取消接入核验码 123456")
        .await
        .unwrap();
    let texted = &r.phone_inbox("13600000074").await.unwrap()[0];
    assert_eq!(texted.mobile, "13600000074");
    assert_eq!(texted.text, "取消接入核验码 123456");
    // Every text sent (codes, the filing password), as the inbox shows it.
    let mut texts = Vec::new();
    for mobile in ["13600000071", "13600000073", "13600000074"] {
        texts.extend(
            r.phone_inbox(mobile)
                .await
                .unwrap()
                .into_iter()
                .map(|t| t.text),
        );
    }
    assert!(texts.len() >= 5, "{texts:?}");
    assert!(texts.iter().any(|t| t.contains(&number)), "{texts:?}");
    let transfer = r#"{"beian_info":"91120116MA05SEAL1X 13600000071"}"#;
    r.record_upload(PROVIDER_A, 1, "upload-1.xml", transfer)
        .await
        .unwrap();
    assert_eq!(
        r.last_upload(PROVIDER_A).await.unwrap().unwrap().transfer,
        transfer
    );

    let found = found_in(
        sim._dir.path(),
        &[
            "91120116MA05SEAL1X",
            "91120116MA05BLCK2X",
            "91120116ma05blck2x",
            "110105198001010019",
            "13600000071",
            "13600000072",
            "13600000073",
            "13600000074",
            // The fixture's own sponsors and persons, filed the same way.
            fixture::SPONSORS[0].1,
            "11010519491231002X",
            &fixture::sponsor_mobile(0),
            "13700000000",
        ]
        .into_iter()
        .chain(texts.iter().map(String::as_str))
        .collect::<Vec<_>>(),
    );
    assert!(found.is_empty(), "found at rest: {found:?}");
}

#[tokio::test]
async fn a_registry_written_before_sealing_is_sealed_when_opened() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join(beian_regulator::db::FILE_NAME);
    let old = SqlitePool::connect_with(
        SqliteConnectOptions::new()
            .filename(&db)
            .create_if_missing(true),
    )
    .await
    .unwrap();
    sqlx::migrate!("./migrations")
        .run_to(5, &old)
        .await
        .unwrap();
    let at = beian_regulator::ts(start());
    let request = first_filing(
        "91120116MA05OLD01X",
        "13600000081",
        "old-example.cn",
        "13600000082",
    );
    let payload = serde_json::to_string(&request).unwrap();
    for (sql, binds) in [
        (
            "INSERT INTO providers (id, name, province, username, password, aes_key, aes_iv) \
             VALUES (1, '接入商', '12', 'isp', 'secret', '0123456789abcdef', '0102030405060708')",
            vec![],
        ),
        (
            "INSERT INTO sponsors (province, nature, certificate_type, certificate_number, name, \
             responsible_name, responsible_mobile, number, password_salt, password_hash, \
             filed_at, updated_at) VALUES ('12', 'enterprise', 'credit_code', \
             '91120116MA05OLD02X', '天津旧登记有限公司', '张伟', '13600000083', \
             '津ICP备2020000001号', x'00', x'00', ?1, ?1)",
            vec![at.clone()],
        ),
        (
            "INSERT INTO websites (sponsor_id, name, domain, home_url, responsible_name, \
             responsible_certificate_number, responsible_mobile, number, filed_at, updated_at) \
             VALUES (1, '旧站', 'old-filed.cn', 'http://old-filed.cn/', '李娜', \
             '110105198001010027', '13600000084', '津ICP备2020000001号-1', ?1, ?1)",
            vec![at.clone()],
        ),
        (
            "INSERT INTO submissions (provider_id, kind, province, upload_ref, payload, state, \
             received_at, sms_deadline) VALUES (1, ?2, '12', 'old-1', ?3, 'sms_pending', ?1, \
             '2099-01-01T00:00:00.000000Z')",
            vec![
                at.clone(),
                request.kind().as_str().to_owned(),
                payload.clone(),
            ],
        ),
        (
            "INSERT INTO sms_codes (purpose, submission_id, mobile, code, send_at, sent_at, \
             expires_at) VALUES ('filing', 1, '13600000081', '123456', ?1, ?1, \
             '2099-01-01T00:00:00.000000Z')",
            vec![at.clone()],
        ),
        (
            "INSERT INTO phone_inbox (mobile, text, sent_at) VALUES ('13600000081', '核验码 123456', ?1)",
            vec![at.clone()],
        ),
        (
            "INSERT INTO blacklist (kind, value) VALUES ('sponsor', '91120116MA05OLD03X')",
            vec![],
        ),
        (
            "INSERT INTO uploads (provider_id, sequence, file_name, transfer, received_at) \
             VALUES (1, 7, 'old.xml', '91120116MA05OLD01X 13600000081', ?1)",
            vec![at.clone()],
        ),
    ] {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        q.execute(&old).await.unwrap();
    }
    old.close().await;
    let plain = [
        "核验码 123456",
        "91120116MA05OLD01X",
        "91120116MA05OLD02X",
        "91120116MA05OLD03X",
        "110105198001010027",
        "110105198001010019",
        "13600000081",
        "13600000082",
        "13600000083",
        "13600000084",
    ];
    assert!(
        !found_in(dir.path(), &plain).is_empty(),
        "the old registry is plain"
    );

    let clock = Arc::new(SimulatedClock::new(start()));
    let r = Regulator::open(dir.path(), clock.clone(), manual_without_sms())
        .await
        .unwrap();
    let found = found_in(dir.path(), &plain);
    assert!(found.is_empty(), "found at rest after sealing: {found:?}");
    drop(r);

    // Opened again (not sealed twice), it answers as before.
    let r = Regulator::open(dir.path(), clock, manual_without_sms())
        .await
        .unwrap();
    assert_eq!(
        r.status_by_certificate("91120116MA05OLD02X").await.unwrap(),
        FilingStatus::Sponsor {
            sponsor_number: "津ICP备2020000001号".into()
        }
    );
    let record = r
        .filing_record("津ICP备2020000001号")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.sponsor.responsible.mobile, "13600000083");
    assert_eq!(record.websites[0].responsible.mobile, "13600000084");
    assert_eq!(r.submission(1).await.unwrap().request, request);
    let inbox = r.phone_inbox("13600000081").await.unwrap();
    assert_eq!(inbox[0].mobile, "13600000081");
    assert_eq!(inbox[0].text, "核验码 123456");
    assert_eq!(
        r.last_upload(1).await.unwrap().unwrap().transfer,
        "91120116MA05OLD01X 13600000081"
    );
    // The old record is still found by its content, and its SMS code by the mobile.
    assert_eq!(r.submit(1, "old-1", &request).await.unwrap(), 1);
    assert_eq!(
        r.enter_sms_code("13600000081", "123456").await.unwrap(),
        SmsCheck::Verified { submission_id: 1 }
    );
    // The old blacklist entry still refuses.
    let blocked = first_filing(
        "91120116MA05OLD03X",
        "13600000085",
        "old-blocked.cn",
        "13600000085",
    );
    let id = r.submit(1, "old-2", &blocked).await.unwrap();
    let outcome = r.decide(id, Decision::Approve).await.unwrap();
    assert!(codes_of(&outcome).contains(&1065), "{outcome:?}");
}

#[tokio::test]
async fn texts_written_before_they_were_sealed_are_sealed_when_opened() {
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};

    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(SimulatedClock::new(start()));
    let r = Regulator::open(dir.path(), clock.clone(), manual_without_sms())
        .await
        .unwrap();
    r.deliver_text("13600000091", "旧短信核验码 778899")
        .await
        .unwrap();
    drop(r);
    // As a registry at migration 0006 left it: the mobile sealed, the text plain.
    let db = SqlitePool::connect_with(
        SqliteConnectOptions::new().filename(dir.path().join(beian_regulator::db::FILE_NAME)),
    )
    .await
    .unwrap();
    for sql in [
        "UPDATE phone_inbox SET text = '旧短信核验码 778899'",
        "UPDATE registry_sealing SET texts_sealed = 0",
    ] {
        sqlx::query(sql).execute(&db).await.unwrap();
    }
    db.close().await;
    assert!(!found_in(dir.path(), &["旧短信核验码 778899"]).is_empty());

    let r = Regulator::open(dir.path(), clock.clone(), manual_without_sms())
        .await
        .unwrap();
    let found = found_in(dir.path(), &["旧短信核验码 778899"]);
    assert!(found.is_empty(), "found at rest after sealing: {found:?}");
    drop(r);
    // Opened again (not sealed twice), the inbox shows the text as sent.
    let r = Regulator::open(dir.path(), clock, manual_without_sms())
        .await
        .unwrap();
    let inbox = r.phone_inbox("13600000091").await.unwrap();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].text, "旧短信核验码 778899");
}
