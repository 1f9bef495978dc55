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
    let objects = Objects::open(&beian_store::objects::ObjectConfig::Local {
        dir: dir.path().join("objects"),
    })
    .unwrap();
    let stored = objects.put(b"face".to_vec()).await.unwrap();
    let payload = json!({ "object_key": stored.key });
    run_purge_job(&objects, &payload).await.unwrap();
    assert!(objects.get(&stored.key).await.is_err());
    run_purge_job(&objects, &payload).await.unwrap();
    assert!(run_purge_job(&objects, &json!({})).await.is_err());
}
