//! Photo verification records on every backend: a backdrop request sealed at rest and opened
//! again, the partial unique index that keeps one request per order open (named in the
//! error), the guarded "shipped" mark, and a photo decision that forgets the object key,
//! once only.

use beian_store::StoreError;
use beian_store::photos::{NewBackdropRequest, NewPhotoCheck, PhotoDecision, PhotoMethodRecord};
use beian_store::testing::each_backend;
use serde_json::json;
use sqlx::Row;

use crate::fixtures;

#[tokio::test]
async fn backdrop_requests_are_sealed_and_one_is_open_per_order() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, _, _, order) = fixtures::order_setup(&mut tx, "backdrop").await;
        let contact = json!({"recipient": "张三", "mobile": fixtures::MOBILE,
                             "detail": "文三路 1 号"});
        let new = NewBackdropRequest {
            order_id: &order,
            account_id: &account,
            province: "33",
            contact: &contact,
        };
        let first = tx.insert_backdrop_request("system", &new).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!format!("{new:?}").contains(fixtures::MOBILE));

        let row = sqlx::query("SELECT contact_ct FROM backdrop_requests WHERE id = $1")
            .bind(&first)
            .fetch_one(s.pool())
            .await
            .unwrap();
        let sealed: Vec<u8> = row.get("contact_ct");
        assert!(!String::from_utf8_lossy(&sealed).contains(fixtures::MOBILE));
        let stored = s.backdrop_request(&first).await.unwrap();
        assert_eq!(stored.contact, contact);
        assert!(!format!("{stored:?}").contains(fixtures::MOBILE));

        // A second open request for the order breaks the partial unique index.
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .insert_backdrop_request("system", &new)
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Unique {
                    constraint: "backdrop_requests_open_key"
                }
            ),
            "{err:?}"
        );
        tx.rollback().await.unwrap();

        let mut tx = s.begin().await.unwrap();
        assert_eq!(
            tx.open_backdrop_request(&order).await.unwrap(),
            Some(first.clone())
        );
        tx.mark_backdrop_shipped("system", &first, "SF123456")
            .await
            .unwrap();
        let again = tx.mark_backdrop_shipped("system", &first, "SF123456").await;
        assert!(
            matches!(again, Err(StoreError::InvalidState { .. })),
            "{again:?}"
        );
        let missing = tx.mark_backdrop_shipped("system", "nope", "SF123456").await;
        assert!(
            matches!(missing, Err(StoreError::NotFound { .. })),
            "{missing:?}"
        );
        // Shipped: another may be opened.
        let second = tx.insert_backdrop_request("system", &new).await.unwrap();
        tx.commit().await.unwrap();
        assert_eq!(
            s.backdrop_requests("requested", 10).await.unwrap()[0].id,
            second
        );
        let shipped = s.backdrop_requests("shipped", 10).await.unwrap();
        assert_eq!(shipped[0].tracking_number.as_deref(), Some("SF123456"));
        assert_eq!(s.backdrop_requests_of_order(&order).await.unwrap().len(), 2);
    })
    .await;
}

#[tokio::test]
async fn a_photo_decision_keeps_the_digest_and_forgets_the_object_once() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (_, _, _, order) = fixtures::order_setup(&mut tx, "photo").await;
        let id = tx
            .insert_photo_check(
                "account:a",
                &NewPhotoCheck {
                    order_id: &order,
                    method: PhotoMethodRecord::BackdropPhoto,
                    object_key: Some("o/0123456789abcdef0123456789abcdef"),
                    content_type: Some("image/jpeg"),
                    size: Some(10),
                    sha256_hex: Some("ab"),
                    app_code: None,
                },
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let pending = s.pending_photo_check(&order).await.unwrap().unwrap();
        assert_eq!(pending.id, id);

        let decision = PhotoDecision {
            decision: "rejected",
            reason_code: Some("face_unclear"),
            reason_text: None,
        };
        let mut tx = s.begin().await.unwrap();
        tx.decide_photo_check("account:r", &id, &decision)
            .await
            .unwrap();
        let twice = tx.decide_photo_check("account:r", &id, &decision).await;
        assert!(
            matches!(twice, Err(StoreError::Conflict { .. })),
            "{twice:?}"
        );
        tx.commit().await.unwrap();
        assert!(s.pending_photo_check(&order).await.unwrap().is_none());
        s.mark_photo_object_deleted(&id).await.unwrap();
        let kept = &s.photo_checks(&order).await.unwrap()[0];
        assert_eq!(kept.object_key, None);
        assert_eq!(kept.sha256_hex.as_deref(), Some("ab"));
        assert_eq!(kept.decision.as_deref(), Some("rejected"));
        assert_eq!(kept.reason_code.as_deref(), Some("face_unclear"));
        assert_eq!(kept.decided_by.as_deref(), Some("account:r"));
        assert!(kept.object_deleted_at.is_some());
    })
    .await;
}
