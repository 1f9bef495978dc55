//! A state's queue is ordered by when each order entered the state, before the limit: an
//! order updated later (without leaving the state) keeps its place at the head.

use beian_store::orders::{NewOrder, TimelineEvent};
use beian_store::testing::each_backend;

use crate::fixtures;

#[tokio::test]
async fn queue_head_is_the_earliest_entry_not_the_oldest_update() {
    each_backend(async |t| {
        let s = &t.store;
        let mut tx = s.begin().await.unwrap();
        let (account, sponsor, _, first) = fixtures::order_setup(&mut tx, "queue").await;
        tx.commit().await.unwrap();
        let mut ids = Vec::new();
        for i in 0..3 {
            let mut tx = s.begin().await.unwrap();
            let order = if i == 0 {
                first.clone()
            } else {
                tx.insert_order(
                    "t",
                    &NewOrder {
                        account_id: &account,
                        sponsor_id: Some(&sponsor),
                        website_id: None,
                        kind: "new_website",
                        state: "draft",
                        province: "33",
                    },
                )
                .await
                .unwrap()
            };
            tx.transition_order(
                &order,
                1,
                "provider_review",
                &TimelineEvent::new("t", "submit"),
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            ids.push(order);
            // Distinct entry instants (milliseconds).
            tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        }
        // The first order is touched later without leaving the state.
        sqlx::query("UPDATE orders SET updated_at = updated_at + 86400000 WHERE id = $1")
            .bind(&ids[0])
            .execute(s.pool())
            .await
            .unwrap();

        let head = s
            .orders_in_state_by_entry("provider_review", 2)
            .await
            .unwrap();
        let got: Vec<&str> = head.iter().map(|(o, _)| o.id.as_str()).collect();
        assert_eq!(got, vec![ids[0].as_str(), ids[1].as_str()]);
        assert!(head[0].1 < head[1].1, "entry instants ascend");
        assert!(head[0].1 < head[0].0.updated_at);
    })
    .await;
}
