//! The library under `beian import wanwang` on both backends: an interrupted load resumes
//! without duplicating, refused records are reported with their line and reasons, a different
//! record under a loaded username is refused, and the import into an account is one
//! transaction that refuses a second import and existing domains.

use std::ops::ControlFlow;

use beian_core::credit_code::CreditCode;
use beian_platform::legacy::{
    LineOutcome, example_record, import_into_account, load_export, load_line,
};
use beian_platform::workflow::{SponsorRefusal, WorkflowError};
use beian_store::Store;
use beian_store::accounts::{NewAccount, Role};
use beian_store::testing::each_backend;
use serde_json::Value;
use sqlx::Row;

fn credit_code(serial: u32) -> String {
    CreditCode::from_parts(&format!("91330106{serial:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

fn record(i: u32, hash: &str) -> String {
    example_record(
        &format!("ww_user{i}"),
        hash,
        &credit_code(500 + i),
        &format!("浙ICP备20150002{i:02}号"),
        &format!("legacy{i}.cn"),
    )
}

async fn account(store: &Store, name: &str) -> String {
    let mut tx = store.begin().await.unwrap();
    let id = tx
        .insert_account(
            "test",
            &NewAccount {
                username: name,
                password_hash: "x",
                email: &format!("{name}@example.com"),
                mobile: None,
                role: Role::Applicant,
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    id
}

async fn count(store: &Store, sql: &str) -> i64 {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get("n")
}

#[tokio::test]
async fn an_interrupted_load_resumes_without_duplicates_and_reports_refusals() {
    let hash = beian_web::api::auth::hash_password("old secret").unwrap();
    each_backend(async |t| {
        let store = &t.store;
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("export.jsonl");
        let mut lines: Vec<String> = (1..=4).map(|i| record(i, &hash)).collect();
        // Line 3: a record with a bad mobile; line 6 (after a blank line): not JSON.
        let mut bad: Value = serde_json::from_str(&record(9, &hash)).unwrap();
        bad["websites"][0]["responsible"]["mobile"] = "12345".into();
        lines.insert(2, bad.to_string());
        lines.push(String::new());
        lines.push("{oops".into());
        std::fs::write(&file, lines.join("\n")).unwrap();

        // Interrupted after two records.
        let first = load_export(store, "test", &file, |r| {
            if r.seen == 2 {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .await
        .unwrap();
        assert!(first.interrupted);
        assert_eq!((first.loaded, first.already_loaded), (2, 0));
        assert_eq!(store.legacy_counts().await.unwrap(), (2, 0));

        // Resumed: the two are skipped, the rest loaded, the refusals reported.
        let second = load_export(store, "test", &file, |_| ControlFlow::Continue(()))
            .await
            .unwrap();
        assert!(!second.interrupted);
        assert_eq!(second.seen, 6);
        assert_eq!((second.loaded, second.already_loaded), (2, 2));
        let refused: Vec<(usize, Vec<String>)> = second
            .refused
            .iter()
            .map(|r| (r.line, r.refusal.reasons.keys().cloned().collect()))
            .collect();
        assert_eq!(
            refused,
            vec![
                (3, vec!["websites[0].responsible.mobile".to_owned()]),
                (7, vec!["record".to_owned()]),
            ]
        );
        assert_eq!(
            second.refused[0].refusal.username.as_deref(),
            Some("ww_user9")
        );
        let reason = second.refused[0]
            .refusal
            .describe(beian_core::i18n::Locale::En);
        assert!(
            reason.starts_with("websites[0].responsible.mobile: "),
            "{reason}"
        );
        assert_eq!(store.legacy_counts().await.unwrap(), (4, 0));
        assert_eq!(
            count(
                store,
                "SELECT COUNT(*) AS n FROM audit_log WHERE action = 'legacy.load'"
            )
            .await,
            4
        );
        // Sealed at rest: no certificate number in the table's bytes.
        let sealed: Vec<u8> = sqlx::query("SELECT record_ct FROM legacy_accounts LIMIT 1")
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get("record_ct");
        assert!(!sealed.windows(18).any(|w| w == b"11010519491231002X"));

        // A third run changes nothing.
        let third = load_export(store, "test", &file, |_| ControlFlow::Continue(()))
            .await
            .unwrap();
        assert_eq!((third.loaded, third.already_loaded), (0, 4));
        // Another record under a loaded username is refused.
        let other = record(1, &hash).replace("legacy1.cn", "legacy1-new.cn");
        match load_line(store, "test", &other).await.unwrap() {
            LineOutcome::Refused(r) => {
                assert_eq!(
                    r.reasons["legacy_username"].key,
                    "sponsor.legacy.other_record"
                )
            }
            o => panic!("{o:?}"),
        }
        assert_eq!(store.legacy_counts().await.unwrap(), (4, 0));
    })
    .await;
}

#[tokio::test]
async fn the_import_binds_once_and_keeps_cancelled_accesses() {
    let hash = beian_web::api::auth::hash_password("old secret").unwrap();
    each_backend(async |t| {
        let store = &t.store;
        let mut with_history: Value = serde_json::from_str(&record(1, &hash)).unwrap();
        with_history["websites"][0]["accesses"] =
            serde_json::json!([{"status": "active"}, {"status": "cancelled"}]);
        for line in [with_history.to_string(), record(2, &hash)] {
            assert_eq!(
                load_line(store, "test", &line).await.unwrap(),
                LineOutcome::Loaded
            );
        }
        let alice = account(store, "alice").await;
        let bob = account(store, "bob").await;

        let imported = import_into_account(store, "test", "ww_user1", &alice)
            .await
            .unwrap();
        assert_eq!(imported.accesses, 2);
        let sponsor = store.sponsor_of_account(&alice).await.unwrap().unwrap();
        assert_eq!(sponsor.icp_number.as_deref(), Some("浙ICP备2015000201号"));
        let accesses = store.accesses_of_sponsor(&sponsor.id).await.unwrap();
        let statuses: Vec<&str> = accesses.iter().map(|a| a.status.as_str()).collect();
        assert_eq!(statuses, ["cancelled", "active"]);
        let website = store
            .website_by_domain("legacy1.cn")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(website.icp_number.as_deref(), Some("浙ICP备2015000201号-1"));
        assert_eq!(
            website.data.responsible.certificate_number,
            "11010519491231002X"
        );
        let legacy = store.legacy_account("ww_user1").await.unwrap().unwrap();
        assert_eq!(legacy.imported_account_id.as_deref(), Some(alice.as_str()));

        let refusal = |e: WorkflowError| match e {
            WorkflowError::Sponsor(r) => r,
            other => panic!("{other:?}"),
        };
        let again = import_into_account(store, "test", "ww_user1", &bob)
            .await
            .unwrap_err();
        assert_eq!(refusal(again), SponsorRefusal::LegacyAlreadyImported);
        let rebind = import_into_account(store, "test", "ww_user2", &alice)
            .await
            .unwrap_err();
        assert_eq!(refusal(rebind), SponsorRefusal::AccountHasSponsor);

        // A legacy domain that is a website here already: refused, nothing written.
        let clash = example_record(
            "ww_clash",
            &hash,
            &credit_code(777),
            "浙ICP备2015000277号",
            "legacy1.cn",
        );
        assert_eq!(
            load_line(store, "test", &clash).await.unwrap(),
            LineOutcome::Loaded
        );
        let sponsors_before = count(store, "SELECT COUNT(*) AS n FROM sponsors").await;
        let clash = import_into_account(store, "test", "ww_clash", &bob)
            .await
            .unwrap_err();
        assert_eq!(refusal(clash), SponsorRefusal::LegacyDomainExists);
        assert_eq!(
            count(store, "SELECT COUNT(*) AS n FROM sponsors").await,
            sponsors_before
        );
        assert!(store.sponsor_of_account(&bob).await.unwrap().is_none());
    })
    .await;
}
