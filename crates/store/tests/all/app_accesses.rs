//! An APP's access records (issue 18) on every backend: written and moved through their
//! states, kept apart from the websites' accesses and the gate; and migration 0016's
//! backfill, run again on rows made as before it: an APP filed or accessed by an approved
//! order gets one active access, nothing else does.

use beian_store::accesses::AccessStatus;
use beian_store::app_accesses::NewAppAccess;
use beian_store::apps::AppData;
use beian_store::db::Backend;
use beian_store::orders::NewOrder;
use beian_store::sponsors::Person;
use beian_store::testing::each_backend;
use beian_store::workflow_support::FiledTable;
use beian_store::{StoreError, Tx};

use crate::fixtures;

const SQLITE_0016: &str = include_str!("../../migrations/sqlite/0016_app_accesses.sql");
const POSTGRES_0016: &str = include_str!("../../migrations/postgres/0016_app_accesses.sql");

/// The backfill statement of migration 0016, as the backend's file has it.
fn backfill(backend: Backend) -> String {
    let file = match backend {
        Backend::Sqlite => SQLITE_0016,
        Backend::Postgres => POSTGRES_0016,
    };
    let start = file.find("INSERT INTO app_accesses").unwrap();
    let end = start + file[start..].find(';').unwrap();
    file[start..end].to_owned()
}

async fn app(tx: &mut Tx, sponsor: &str, package: &str) -> String {
    tx.insert_app(
        "system",
        &AppData {
            sponsor_id: sponsor.to_owned(),
            name: format!("应用 {package}"),
            package: package.to_owned(),
            service_content: "企业办公".into(),
            details: serde_json::json!({}),
            responsible: Person {
                name: "王芳".into(),
                certificate_type: "resident_id".into(),
                certificate_number: "11010519491231002X".into(),
                mobile: "13600000000".into(),
                email: String::new(),
            },
        },
    )
    .await
    .unwrap()
}

async fn app_order(tx: &mut Tx, account: &str, sponsor: &str, app: &str, kind: &str, state: &str) {
    let id = tx
        .insert_order(
            "system",
            &NewOrder {
                account_id: account,
                sponsor_id: Some(sponsor),
                website_id: None,
                kind,
                state,
                province: "33",
            },
        )
        .await
        .unwrap();
    tx.set_order_app(&id, app).await.unwrap();
}

#[tokio::test]
async fn app_accesses_move_through_their_states_apart_from_the_gate() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (_, sponsor, _, _) = fixtures::order_setup(&mut tx, "appacc").await;
        let a = app(&mut tx, &sponsor, "com.example.states").await;
        let id = tx
            .insert_app_access(
                "system",
                &NewAppAccess {
                    app_id: &a,
                    sponsor_id: &sponsor,
                    order_id: None,
                    service_number: None,
                },
            )
            .await
            .unwrap();
        tx.set_app_access_status(
            "system",
            &id,
            AccessStatus::Active,
            AccessStatus::Cancelling,
        )
        .await
        .unwrap();
        // Not in the state it is said to be in: refused, nothing changed.
        assert!(matches!(
            tx.set_app_access_status("system", &id, AccessStatus::Active, AccessStatus::Cancelled)
                .await,
            Err(StoreError::InvalidState { .. })
        ));
        tx.commit().await.unwrap();
        let open = s.open_access_of_app(&a).await.unwrap().unwrap();
        assert_eq!(
            (open.id.as_str(), open.status),
            (id.as_str(), AccessStatus::Cancelling)
        );
        let mut tx = s.begin().await.unwrap();
        tx.set_app_access_status(
            "system",
            &id,
            AccessStatus::Cancelling,
            AccessStatus::Cancelled,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        assert!(s.open_access_of_app(&a).await.unwrap().is_none());
        assert_eq!(s.app_accesses_of_sponsor(&sponsor).await.unwrap().len(), 1);
        assert!(s.accesses_of_sponsor(&sponsor).await.unwrap().is_empty());
        let changes: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM access_changes")
            .fetch_one(s.pool())
            .await
            .unwrap();
        assert_eq!(changes, 0, "an APP's access never reaches the gate's log");
    })
    .await;
}

#[tokio::test]
async fn the_backfill_gives_each_app_filed_or_accessed_by_an_approved_order_one_access() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, sponsor, _, _) = fixtures::order_setup(&mut tx, "backfill").await;
        // Filed by a completed first filing, then changed (a change adds no access).
        let filed = app(&mut tx, &sponsor, "com.example.filed").await;
        app_order(
            &mut tx,
            &account,
            &sponsor,
            &filed,
            "first_filing",
            "completed",
        )
        .await;
        app_order(
            &mut tx,
            &account,
            &sponsor,
            &filed,
            "change_website",
            "completed",
        )
        .await;
        tx.set_icp_number("system", FiledTable::App, &filed, "浙ICP备2020000001号-1A")
            .await
            .unwrap();
        // Accessed by an approved 新增接入 (not yet synced).
        let accessed = app(&mut tx, &sponsor, "com.example.accessed").await;
        app_order(
            &mut tx,
            &account,
            &sponsor,
            &accessed,
            "new_access",
            "approved",
        )
        .await;
        tx.set_icp_number(
            "system",
            FiledTable::App,
            &accessed,
            "浙ICP备2020000001号-2A",
        )
        .await
        .unwrap();
        // Still at the bureau: no number, no access.
        let pending = app(&mut tx, &sponsor, "com.example.pending").await;
        app_order(
            &mut tx,
            &account,
            &sponsor,
            &pending,
            "new_website",
            "at_bureau",
        )
        .await;
        tx.commit().await.unwrap();

        sqlx::query(sqlx::AssertSqlSafe(backfill(s.backend())))
            .execute(s.pool())
            .await
            .unwrap();
        let accesses = s.app_accesses_of_sponsor(&sponsor).await.unwrap();
        let mut apps: Vec<&str> = accesses.iter().map(|a| a.app_id.as_str()).collect();
        apps.sort_unstable();
        let mut want = vec![filed.as_str(), accessed.as_str()];
        want.sort_unstable();
        assert_eq!(apps, want);
        assert!(accesses.iter().all(|a| a.status == AccessStatus::Active));
        assert!(accesses.iter().all(|a| a.order_id.is_some()));
        assert!(s.open_access_of_app(&pending).await.unwrap().is_none());
    })
    .await;
}
