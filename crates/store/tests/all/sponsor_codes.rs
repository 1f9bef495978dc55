//! 取消接入 codes and legacy accounts on every backend: a code is kept as a keyed hash only,
//! counts its wrong tries down to dead, is used once, and a newer code retires it; a legacy
//! record is loaded once (a re-run is told apart from another record) and imported once.

use beian_store::StoreError;
use beian_store::accesses::NewAccess;
use beian_store::app_accesses::NewAppAccess;
use beian_store::apps::AppData;
use beian_store::cancel_codes::{CodeScope, NewCancelCode};
use beian_store::legacy::LoadOutcome;
use beian_store::sponsors::Person;
use beian_store::testing::each_backend;
use sqlx::Row;

use crate::fixtures;

#[tokio::test]
async fn cancel_codes_count_tries_are_single_use_and_retired_by_a_newer_one() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, sponsor, website, _) = fixtures::order_setup(&mut tx, "codes").await;
        let access = tx
            .insert_access(
                "system",
                &NewAccess {
                    website_id: &website,
                    sponsor_id: &sponsor,
                    order_id: None,
                    service_number: None,
                },
            )
            .await
            .unwrap();
        let new = |code: &'static str| NewCancelCode {
            scope: CodeScope::Website,
            subject_id: "",
            access_id: "",
            account_id: "",
            code,
            attempts: 2,
            expires_at: 0,
        };
        let first = NewCancelCode {
            subject_id: &website,
            access_id: &access,
            account_id: &account,
            ..new("123456")
        };
        let id = tx.insert_cancel_code("system", &first).await.unwrap();
        tx.commit().await.unwrap();

        let raw: Vec<u8> = sqlx::query("SELECT code_hash FROM cancel_access_codes")
            .fetch_one(s.pool())
            .await
            .unwrap()
            .get("code_hash");
        assert!(!raw.windows(6).any(|w| w == b"123456"));
        assert!(
            s.cancel_code_matches(CodeScope::Website, &id, "123456")
                .await
                .unwrap()
        );
        assert!(
            s.cancel_code_matches(CodeScope::Website, &id, " 123456 ")
                .await
                .unwrap()
        );
        assert!(
            !s.cancel_code_matches(CodeScope::Website, &id, "123457")
                .await
                .unwrap()
        );

        // Two tries: one wrong leaves one, the second kills it.
        let mut tx = s.begin().await.unwrap();
        assert_eq!(
            tx.fail_cancel_code("system", CodeScope::Website, &id)
                .await
                .unwrap(),
            1
        );
        assert_eq!(
            tx.fail_cancel_code("system", CodeScope::Website, &id)
                .await
                .unwrap(),
            0
        );
        assert!(matches!(
            tx.fail_cancel_code("system", CodeScope::Website, &id).await,
            Err(StoreError::InvalidState { .. })
        ));
        assert!(matches!(
            tx.use_cancel_code("system", CodeScope::Website, &id).await,
            Err(StoreError::InvalidState { .. })
        ));
        tx.commit().await.unwrap();
        assert!(
            !s.latest_cancel_code(CodeScope::Website, &website)
                .await
                .unwrap()
                .unwrap()
                .is_live()
        );

        // A newer code retires the older; it is used once.
        let mut tx = s.begin().await.unwrap();
        let second = tx
            .insert_cancel_code(
                "system",
                &NewCancelCode {
                    code: "654321",
                    ..first.clone()
                },
            )
            .await
            .unwrap();
        let third = tx
            .insert_cancel_code(
                "system",
                &NewCancelCode {
                    code: "111111",
                    ..first.clone()
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let latest = s
            .latest_cancel_code(CodeScope::Website, &website)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(latest.id, third);
        let mut tx = s.begin().await.unwrap();
        assert!(matches!(
            tx.use_cancel_code("system", CodeScope::Website, &second)
                .await,
            Err(StoreError::InvalidState { .. })
        ));
        drop(tx);
        let mut tx = s.begin().await.unwrap();
        tx.use_cancel_code("system", CodeScope::Website, &third)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.begin().await.unwrap();
        assert!(
            tx.use_cancel_code("system", CodeScope::Website, &third)
                .await
                .is_err()
        );
        drop(tx);
        assert_eq!(
            s.cancel_codes_since(CodeScope::Website, &website, 0)
                .await
                .unwrap()
                .len(),
            3
        );

        // An APP's codes (issue 18) are its own: they neither retire nor show as the
        // website's, and a website's code id is unknown among them.
        let mut tx = s.begin().await.unwrap();
        let person = Person {
            name: "王芳".into(),
            certificate_type: "resident_id".into(),
            certificate_number: "11010519491231002X".into(),
            mobile: "13600000000".into(),
            email: String::new(),
        };
        let app = tx
            .insert_app(
                "system",
                &AppData {
                    sponsor_id: sponsor.clone(),
                    name: "云栖助手".into(),
                    package: "com.yunqi.codes".into(),
                    service_content: "企业办公".into(),
                    details: serde_json::json!({}),
                    responsible: person,
                },
            )
            .await
            .unwrap();
        let app_access = tx
            .insert_app_access(
                "system",
                &NewAppAccess {
                    app_id: &app,
                    sponsor_id: &sponsor,
                    order_id: None,
                    service_number: None,
                },
            )
            .await
            .unwrap();
        let app_code = tx
            .insert_cancel_code(
                "system",
                &NewCancelCode {
                    scope: CodeScope::App,
                    subject_id: &app,
                    access_id: &app_access,
                    account_id: &account,
                    ..new("222222")
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let latest = s
            .latest_cancel_code(CodeScope::App, &app)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (latest.id.as_str(), latest.subject_id.as_str()),
            (app_code.as_str(), app.as_str())
        );
        assert_eq!(latest.access_id, app_access);
        assert!(
            s.cancel_code_matches(CodeScope::App, &app_code, "222222")
                .await
                .unwrap()
        );
        assert!(
            s.cancel_code_matches(CodeScope::App, &third, "111111")
                .await
                .is_err()
        );
        assert_eq!(
            s.latest_cancel_code(CodeScope::Website, &website)
                .await
                .unwrap()
                .unwrap()
                .id,
            third
        );
        assert_eq!(
            s.open_access_of_app(&app).await.unwrap().unwrap().id,
            app_access
        );
    })
    .await;
}

#[tokio::test]
async fn legacy_accounts_load_once_and_import_once() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, sponsor, _, _) = fixtures::order_setup(&mut tx, "legacy").await;
        let outcomes = [
            tx.load_legacy_account("system", "ww", "$argon2id$x", "{\"a\":1}", "d1")
                .await
                .unwrap(),
            tx.load_legacy_account("system", "ww", "$argon2id$x", "{\"a\":1}", "d1")
                .await
                .unwrap(),
            tx.load_legacy_account("system", "ww", "$argon2id$y", "{\"a\":2}", "d2")
                .await
                .unwrap(),
        ];
        tx.commit().await.unwrap();
        assert_eq!(
            outcomes,
            [
                LoadOutcome::Loaded,
                LoadOutcome::AlreadyLoaded,
                LoadOutcome::OtherRecord
            ]
        );
        let loaded = s.legacy_account("ww").await.unwrap().unwrap();
        assert_eq!(loaded.record, "{\"a\":1}");
        assert_eq!(loaded.password_hash, "$argon2id$x");
        assert!(s.legacy_account("nobody").await.unwrap().is_none());

        let mut tx = s.begin().await.unwrap();
        tx.mark_legacy_imported("system", "ww", &account, &sponsor)
            .await
            .unwrap();
        assert!(matches!(
            tx.mark_legacy_imported("system", "ww", &account, &sponsor)
                .await,
            Err(StoreError::Conflict { .. })
        ));
        tx.commit().await.unwrap();
        assert_eq!(s.legacy_counts().await.unwrap(), (1, 1));
        let imported = s.legacy_account("ww").await.unwrap().unwrap();
        assert_eq!(
            imported.imported_sponsor_id.as_deref(),
            Some(sponsor.as_str())
        );
        assert!(imported.imported_at.is_some());
    })
    .await;
}
