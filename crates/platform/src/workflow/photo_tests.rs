use super::*;
use beian_core::order::OrderState;

use crate::workflow::backdrop::backdrop_state_ok;

#[test]
fn the_bureau_deadline_is_the_end_of_the_next_working_day_and_keeps_other_deadlines() {
    // Friday 2026-11-20 15:00 Shanghai → end of Monday 2026-11-23 Shanghai.
    let now = DateTime::parse_from_rfc3339("2026-11-20T15:00:00+08:00")
        .unwrap()
        .to_utc();
    let monday_end = DateTime::parse_from_rfc3339("2026-11-23T23:59:59.999+08:00")
        .unwrap()
        .to_utc();
    let d = with_bureau_deadline(&json!({"sms": 5}), now);
    assert_eq!(d["bureau_submit"], json!(monday_end.timestamp_millis()));
    assert_eq!(d["sms"], 5);
    let d = with_bureau_deadline(&json!([]), now);
    assert_eq!(d.as_object().map(serde_json::Map::len), Some(1));
}

#[test]
fn the_reason_entry_names_the_photo_in_both_languages() {
    use super::super::photo_input::PhotoRejectCode;
    let entry = reason_entry(&PhotoRejectReason {
        code: PhotoRejectCode::RedOrBlueTop,
        text: Some("请换浅色上衣".into()),
    });
    assert_eq!(entry[0]["field"], "photo");
    assert_eq!(entry[0]["code"], "red_or_blue_top");
    let zh = entry[0]["message"].as_str().unwrap();
    assert!(
        zh.contains("红色或蓝色上衣") && zh.contains("请换浅色上衣"),
        "{zh}"
    );
    let en = entry[0]["message_en"].as_str().unwrap();
    assert!(en.contains("red or blue"), "{en}");
}

#[test]
fn backdrops_are_requested_only_before_the_photo_is_approved() {
    for state in OrderState::ALL {
        let want = !matches!(
            state,
            OrderState::QueuedForBureau
                | OrderState::AtBureau
                | OrderState::SmsPending
                | OrderState::Approved
                | OrderState::Completed
                | OrderState::Abandoned
        );
        assert_eq!(backdrop_state_ok(state), want, "{state}");
    }
}

#[tokio::test]
async fn the_purge_job_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let objects = Objects::open(
        &beian_store::objects::ObjectConfig::Local {
            dir: dir.path().join("objects"),
        },
        &beian_store::crypto::Crypto::new(&beian_store::crypto::DataKey::generate()),
    )
    .unwrap();
    let stored = objects.put(b"face".to_vec()).await.unwrap();
    let payload = json!({ "object_key": stored.key });
    run_purge_job(&objects, &payload).await.unwrap();
    assert!(objects.get(&stored.key).await.is_err());
    run_purge_job(&objects, &payload).await.unwrap();
    assert!(run_purge_job(&objects, &json!({})).await.is_err());
}

#[test]
fn a_posting_label_is_masked_in_debug() {
    use beian_store::photos::BackdropRequest;
    let request = BackdropRequest {
        id: "b1".into(),
        order_id: "o1".into(),
        account_id: "a1".into(),
        province: "33".into(),
        contact: json!({"recipient": "张三", "mobile": "13812345678", "province": "33",
                        "city": "杭州市", "district": "西湖区", "detail": "文三路 1 号"}),
        status: "requested".into(),
        tracking_number: None,
        requested_by: "account:a1".into(),
        requested_at: 0,
        shipped_by: None,
        shipped_at: None,
    };
    let item = crate::workflow::backdrop::list_item(&request).unwrap();
    assert_eq!(item.mobile, "13812345678", "whole while requested");
    let shown = format!("{item:?} {request:?}");
    for secret in ["张三", "13812345678", "文三路"] {
        assert!(!shown.contains(secret), "{shown}");
    }
    let shipped = BackdropRequest {
        status: "shipped".into(),
        ..request
    };
    let item = crate::workflow::backdrop::list_item(&shipped).unwrap();
    assert_eq!(
        (item.recipient.as_str(), item.mobile.as_str()),
        ("张*", "138****5678")
    );
    assert!(!item.detail.contains("文三路"));
}
