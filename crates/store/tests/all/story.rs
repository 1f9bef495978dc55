//! The story: account → sponsor → website → order → transitions → audit verify, on every
//! backend.

use beian_store::accounts::{NewAccount, Role};
use beian_store::audit::head_file_path;
use beian_store::orders::{TimelineEvent, TransitionExtras};
use beian_store::outbox::Channel;
use beian_store::testing::each_backend;
use beian_store::{StoreError, verify_audit};
use serde_json::json;

use crate::fixtures::{self, ID_NUMBER, MOBILE};

#[tokio::test]
async fn story_account_to_verified_audit_chain() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, sponsor_id, website_id, order_id) =
            fixtures::order_setup(&mut tx, "zhangsan").await;
        tx.commit().await.unwrap();

        // Read back, decrypted; found by certificate and by mobile through the blind index.
        let acc = s.account_by_username("zhangsan").await.unwrap().unwrap();
        assert_eq!(acc.id, account);
        assert_eq!(acc.mobile.as_deref(), Some(MOBILE));
        assert_eq!(
            s.accounts_by_mobile("+86 139 1234 5678")
                .await
                .unwrap()
                .len(),
            1
        );
        let sp = s.sponsor(&sponsor_id).await.unwrap();
        assert_eq!(sp.data, fixtures::sponsor(&account));
        let found = s
            .sponsor_by_certificate("resident_id", &ID_NUMBER.to_lowercase())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.id, sponsor_id);
        assert!(
            s.sponsor_by_certificate("resident_id", "110101199001010011")
                .await
                .unwrap()
                .is_none()
        );
        let w = s.website(&website_id).await.unwrap();
        assert_eq!(w.data.domain, "zhangsan.cn");
        assert_eq!(
            s.website_by_domain("zhangsan.cn")
                .await
                .unwrap()
                .unwrap()
                .id,
            website_id
        );

        // Unique constraints are reported by name.
        let mut tx = s.begin().await.unwrap();
        let err = tx
            .insert_sponsor("system", &fixtures::sponsor(&account))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Unique {
                    constraint: "sponsors_account_key"
                } | StoreError::Unique {
                    constraint: "sponsors_certificate_key"
                }
            ),
            "{err:?}"
        );
        drop(tx);

        // Transitions, each with its job/outbox rows in the same transaction.
        let steps = [
            ("draft", "provider_review", "submit"),
            ("provider_review", "photo_pending", "approve"),
            ("photo_pending", "photo_review", "upload_photo"),
            ("photo_review", "queued_for_bureau", "approve_photo"),
            ("queued_for_bureau", "at_bureau", "upload"),
            ("at_bureau", "approved", "bureau_approve"),
            ("approved", "completed", "sync"),
        ];
        let mut version = 1;
        for (from, to, event) in steps {
            let o = s.order(&order_id).await.unwrap();
            assert_eq!((o.state.as_str(), o.version), (from, version));
            let mut tx = s.begin().await.unwrap();
            let mut ev = TimelineEvent::new(&format!("account:{account}"), event);
            ev.note = json!({"step": event});
            version = tx
                .transition_order_with(
                    &order_id,
                    version,
                    to,
                    &ev,
                    &TransitionExtras {
                        deadlines: Some(json!({"next": 1_700_000_000_000i64})),
                        return_reasons: None,
                    },
                )
                .await
                .unwrap();
            if to == "at_bureau" {
                tx.outbox_push(Channel::BureauUpload, &json!({"order": order_id}))
                    .await
                    .unwrap();
                tx.enqueue_job("bureau.poll", &json!({"order": order_id}), s.now())
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        }
        let o = s.order(&order_id).await.unwrap();
        assert_eq!((o.state.as_str(), o.version), ("completed", 8));
        assert_eq!(o.deadlines, json!({"next": 1_700_000_000_000i64}));
        let timeline = s.order_timeline(&order_id).await.unwrap();
        let states: Vec<_> = timeline.iter().map(|e| e.to_state.as_str()).collect();
        assert_eq!(
            states,
            [
                "draft",
                "provider_review",
                "photo_pending",
                "photo_review",
                "queued_for_bureau",
                "at_bureau",
                "approved",
                "completed"
            ]
        );
        assert_eq!(timeline[1].from_state.as_deref(), Some("draft"));
        assert_eq!(timeline[1].note, json!({"step": "submit"}));
        let outbox = s
            .outbox(Channel::BureauUpload, "pending", 10)
            .await
            .unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].payload, json!({"order": order_id}));
        assert_eq!(s.job_counts().await.unwrap(), (1, 0, 0, 0));

        // A stale version is a conflict, a missing order NotFound; neither writes anything.
        let mut tx = s.begin().await.unwrap();
        let ev = TimelineEvent::new("system", "late");
        assert!(matches!(
            tx.transition_order(&order_id, 3, "abandoned", &ev).await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(matches!(
            tx.transition_order("no-such-order", 1, "abandoned", &ev)
                .await,
            Err(StoreError::NotFound { .. })
        ));
        drop(tx);

        // A rolled-back transaction leaves neither its row nor its audit record.
        let mut tx = s.begin().await.unwrap();
        tx.insert_account(
            "system",
            &NewAccount {
                username: "rolledback",
                password_hash: "x",
                email: "r@example.cn",
                mobile: None,
                role: Role::Reviewer,
            },
        )
        .await
        .unwrap();
        tx.rollback().await.unwrap();
        assert!(s.account_by_username("rolledback").await.unwrap().is_none());

        // 1 account + 1 sponsor + 1 website + 1 order + 7 transitions = 11 records.
        let report = verify_audit(s, &head_file_path(s)).await.unwrap();
        assert_eq!(report.records, 11);
        assert_eq!(report.head_file_seq, Some(11));
        let records = beian_store::audit::list_audit(s, 1, 100).await.unwrap();
        let text = format!("{records:?}");
        assert!(
            !text.contains(ID_NUMBER) && !text.contains(MOBILE),
            "personal data in audit"
        );
        assert!(text.contains("3301**********421X"));
    })
    .await;
}
