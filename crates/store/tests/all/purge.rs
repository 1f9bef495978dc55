//! Housekeeping on every backend: expired sessions go, live ones stay.

use beian_store::testing::each_backend;

use crate::fixtures;

#[tokio::test]
async fn expired_sessions_are_purged_live_ones_kept() {
    each_backend(async |t| {
        let s = &t.store;
        let now = s.now().timestamp_millis();
        let mut tx = s.begin().await.unwrap();
        let (account, ..) = fixtures::order_setup(&mut tx, "purge").await;
        tx.insert_session(b"live", &account, now + 60_000)
            .await
            .unwrap();
        tx.insert_session(b"old", &account, now - 1).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(s.purge_expired_sessions(now).await.unwrap(), 1);
        assert_eq!(s.purge_expired_sessions(now).await.unwrap(), 0);
        assert!(s.session_account(b"live").await.unwrap().is_some());
    })
    .await;
}
