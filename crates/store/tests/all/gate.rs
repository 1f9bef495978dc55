//! The edge gate's tables on every backend: each access change is logged with the resulting
//! state in the same transaction, `gate_domains` holds the active ones, and a read-only feed
//! (no migrations, no key) loads them and follows the log by id.

use beian_store::accesses::{AccessStatus as A, NewAccess};
use beian_store::gate::GateFeed;
use beian_store::testing::{TestStore, each_backend};

use crate::fixtures;

fn url_of(t: &TestStore) -> String {
    t.database_url.clone().unwrap_or_else(|| {
        format!(
            "sqlite://{}",
            t.data_dir().join(beian_store::db::SQLITE_FILE).display()
        )
    })
}

async fn loaded(feed: &GateFeed) -> Vec<String> {
    let mut names = Vec::new();
    feed.load(|n| names.push(n.to_owned())).await.unwrap();
    names.sort();
    names
}

#[tokio::test]
async fn access_changes_are_logged_and_followed() {
    each_backend(async |t| {
        let s = &t.store;
        let feed = GateFeed::connect(&url_of(t)).await.unwrap();
        assert_eq!(feed.last_change_id().await.unwrap(), 0);
        assert!(loaded(&feed).await.is_empty());

        let mut tx = s.begin().await.unwrap();
        let (_, sponsor, website, order) = fixtures::order_setup(&mut tx, "gatesite").await;
        let id = tx
            .insert_access(
                "system",
                &NewAccess {
                    website_id: &website,
                    sponsor_id: &sponsor,
                    order_id: Some(&order),
                    service_number: None,
                },
            )
            .await
            .unwrap();
        // Not visible before the commit.
        assert!(feed.changes_after(0, 10).await.unwrap().is_empty());
        tx.commit().await.unwrap();

        assert_eq!(loaded(&feed).await, vec!["gatesite.cn".to_string()]);
        let changes = feed.changes_after(0, 10).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(
            (changes[0].domain.as_str(), changes[0].active),
            ("gatesite.cn", true)
        );
        let first = changes[0].id;
        assert_eq!(feed.last_change_id().await.unwrap(), first);

        // 取消接入: active → cancelling stops serving; cancelling → cancelled logs nothing more.
        let mut tx = s.begin().await.unwrap();
        tx.set_access_status("system", &id, A::Active, A::Cancelling)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut tx = s.begin().await.unwrap();
        tx.set_access_status("system", &id, A::Cancelling, A::Cancelled)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let changes = feed.changes_after(first, 10).await.unwrap();
        assert_eq!(changes.len(), 1);
        assert!(!changes[0].active);
        assert!(changes[0].id > first);
        assert!(loaded(&feed).await.is_empty());

        // A rolled-back change leaves neither log nor table changed.
        let last = feed.last_change_id().await.unwrap();
        let mut tx = s.begin().await.unwrap();
        tx.insert_access(
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
        tx.rollback().await.unwrap();
        assert_eq!(feed.last_change_id().await.unwrap(), last);
        assert!(loaded(&feed).await.is_empty());
    })
    .await;
}

#[tokio::test]
async fn load_reads_every_chunk() {
    each_backend(async |t| {
        // More rows than one load chunk (100 000), inserted directly like the bench does.
        let n = 100_123i64;
        let sql = "WITH RECURSIVE seq(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM seq WHERE x < $1) \
                   INSERT INTO gate_domains (domain, access_id) \
                   SELECT 'site' || x || '.cn', 'bench' FROM seq";
        sqlx::query(sql).bind(n).execute(t.store.pool()).await.unwrap();
        let feed = t.store.gate_feed();
        let mut count = 0u64;
        let mut seen_last = false;
        let total = feed
            .load(|name| {
                count += 1;
                seen_last |= name == format!("site{n}.cn");
            })
            .await
            .unwrap();
        assert_eq!((total, count), (n as u64, n as u64));
        assert!(seen_last);
    })
    .await;
}
