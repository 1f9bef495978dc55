//! Access records on every backend: made active, moved through cancelling to cancelled by
//! guarded updates, listed per sponsor, and the open access of a website.

use beian_store::StoreError;
use beian_store::accesses::{AccessStatus as A, NewAccess};
use beian_store::testing::each_backend;

use crate::fixtures;

#[tokio::test]
async fn access_lifecycle() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (_, sponsor, website, order) = fixtures::order_setup(&mut tx, "access").await;
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
        tx.commit().await.unwrap();

        let open = s.open_access_of_website(&website).await.unwrap().unwrap();
        assert_eq!((open.id.as_str(), open.status), (id.as_str(), A::Active));
        assert_eq!(open.order_id.as_deref(), Some(order.as_str()));

        // A guarded move from the wrong state is refused and changes nothing.
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .set_access_status("system", &id, A::Cancelling, A::Cancelled)
            .await
            .unwrap_err();
        assert!(matches!(
            err,
            StoreError::InvalidState { what: "access", .. }
        ));
        drop(tx);
        assert_eq!(s.access(&id).await.unwrap().status, A::Active);

        let mut tx = s.begin().await.unwrap();
        tx.set_access_status("system", &id, A::Active, A::Cancelling)
            .await
            .unwrap();
        tx.set_access_status("system", &id, A::Cancelling, A::Cancelled)
            .await
            .unwrap();
        tx.commit().await.unwrap();

        assert!(s.open_access_of_website(&website).await.unwrap().is_none());
        let all = s.accesses_of_sponsor(&sponsor).await.unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].status, A::Cancelled);
    })
    .await;
}
