//! Issue 16 (6), an order abandoned once the provider approved it: its bureau upload is not
//! sent, withdrawn (its number given back), sent anyway (a later number exists: `dataSequence`
//! must be gap-free) or already at the bureau — the abandon's answer says which
//! (`bureau_upload`), and so do the customer's mail and SMS (zh-CN, the notifications'
//! language). The simulator is its own server: stopping it keeps a numbered upload from
//! being sent, which is how an upload numbered but never begun (behind an undelivered
//! earlier one) comes about. Whatever the bureau does later leaves the abandoned order
//! abandoned. Each story runs on SQLite and PostgreSQL.

use beian_store::Store;
use beian_store::jobs::JobStatus;
use beian_store::outbox::Channel;
use beian_store::products::ServiceNumberStatus;
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::Value;

use crate::harness::TestApp;
use crate::harness::setup::{queue_for_bureau, queue_for_bureau_at, state_of};

/// The applicants' mobile (`TestApp::new_applicant`).
const APPLICANT_MOBILE: &str = "13812345678";

/// Delivered: at the bureau (the platform's flow has the SMS check, so `sms_pending`).
async fn delivered(store: &Store, id: &str) -> bool {
    matches!(
        state_of(store, id).await.as_str(),
        "at_bureau" | "sms_pending"
    )
}

/// The applicant `username` abandons order `id` over the API; the answer.
async fn abandon(bed: &TestApp, username: &str, id: &str) -> Value {
    let session = bed.login(username).await;
    let (status, body) = session
        .post(&format!("/orders/{id}/abandon"), serde_json::json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["state"], "abandoned", "{body}");
    body
}

/// The `dataSequence` numbers the simulated bureau received, in order.
async fn received(bed: &TestApp) -> Vec<i64> {
    sqlx::query_scalar("SELECT sequence FROM uploads WHERE provider_id = 1 ORDER BY sequence")
        .fetch_all(bed.regulator.pool())
        .await
        .unwrap()
}

/// Whether any submission the simulated bureau holds names `domain`.
async fn bureau_has(bed: &TestApp, domain: &str) -> bool {
    bed.regulator
        .reviews(None)
        .await
        .unwrap()
        .iter()
        .any(|s| format!("{:?}", s.request).contains(domain))
}

/// What the customer is told of an outcome: the mail's sentence in zh-CN and in English (the
/// mail carries both, the reader's language first: zh-CN), and the SMS's short zh-CN one.
struct Told {
    mail_zh: &'static str,
    mail_en: &'static str,
    sms: &'static str,
}

/// Waits until the notifications are delivered, then checks that `username` got one mail and
/// one SMS saying the order is abandoned and what became of its upload (`told`).
async fn told(bed: &TestApp, username: &str, domain: &str, told: Told) {
    let store = &bed.store;
    bed.eventually("the notifications are sent", || async {
        store
            .jobs_of_kind("notify")
            .await
            .unwrap()
            .iter()
            .all(|(_, s, _, _)| *s == JobStatus::Done)
    })
    .await;
    let email = format!("{username}@example.com");
    let all: Vec<Value> = store
        .outbox(Channel::Mail, "sent", 500)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.payload)
        .collect();
    let mails: Vec<&Value> = all
        .iter()
        .filter(|p| p["to"] == email.as_str())
        .filter(|p| {
            p["subject"]
                .as_str()
                .unwrap()
                .starts_with(&format!("备案订单已放弃：{domain}"))
        })
        .collect();
    assert_eq!(mails.len(), 1, "{all:?}");
    let text = mails[0]["text"].as_str().unwrap();
    let zh = text.find(told.mail_zh);
    let en = text.find(told.mail_en);
    assert!(zh.is_some() && en.is_some() && zh < en, "{text}");
    let texts: Vec<String> = store
        .outbox(Channel::Sms, "sent", 500)
        .await
        .unwrap()
        .into_iter()
        .map(|m| m.payload)
        .filter(|p| p["to"] == APPLICANT_MOBILE)
        .filter_map(|p| p["text"].as_str().map(str::to_owned))
        .filter(|t| t.contains(&format!("您的备案订单（{domain}）已放弃")))
        .collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains(told.sms), "{}", texts[0]);
}

/// The order's timeline events, in order.
async fn events(store: &Store, id: &str) -> Vec<String> {
    store
        .order_timeline(id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect()
}

/// The abandon's timeline entry note.
async fn abandon_note(store: &Store, id: &str) -> Value {
    store
        .order_timeline(id)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.event == "abandon")
        .unwrap()
        .note
}

#[tokio::test]
async fn abandoned_before_its_upload_is_numbered_it_is_not_sent() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().simulator_as_own_server().start(t).await;
        let store = &*bed.store.clone();
        let a = bed.reviewed_order("alice", 41, "not-sent-example.cn").await;
        let b = bed.reviewed_order("bob", 42, "next-example.cn").await;
        // Queued, its upload job due in an hour: nothing numbered yet.
        let due = store.now() + chrono::Duration::hours(1);
        queue_for_bureau_at(store, &a, due).await;
        bed.settle().await;
        assert!(store.uploads_of_order(&a).await.unwrap().is_empty());

        let answer = abandon(&bed, "alice", &a).await;
        assert_eq!(answer["bureau_upload"], "not_sent", "{answer}");
        assert_eq!(abandon_note(store, &a).await["bureau_upload"], "not_sent");
        told(
            &bed,
            "alice",
            "not-sent-example.cn",
            Told {
                mail_zh: "该订单尚未报送管局，不会再报送。",
                mail_en: "It had not been sent to the bureau and will not be.",
                sms: "未报送管局，不会再报送。",
            },
        )
        .await;

        // The job comes due: it does nothing for the abandoned order, takes no number.
        bed.advance_minutes(61);
        bed.settle().await;
        let jobs = store.jobs_of_kind("bureau.upload").await.unwrap();
        assert_eq!(jobs.len(), 1, "{jobs:?}");
        assert_eq!(jobs[0].1, JobStatus::Done);
        assert!(store.uploads_of_order(&a).await.unwrap().is_empty());
        assert_eq!(store.last_upload_sequence().await.unwrap(), 0);
        assert_eq!(state_of(store, &a).await, "abandoned");

        // The next order's upload takes 1: no gap.
        queue_for_bureau(store, &b).await;
        bed.eventually("B is delivered", || delivered(store, &b))
            .await;
        let ub = store.uploads_of_order(&b).await.unwrap();
        assert_eq!((ub[0].sequence, ub[0].status.as_str()), (1, "sent"));
        assert_eq!(received(&bed).await, vec![1]);
        assert!(!bureau_has(&bed, "not-sent-example.cn").await);
    })
    .await;
}

#[tokio::test]
async fn abandoned_with_the_last_number_never_sent_the_upload_is_withdrawn() {
    testing::each_backend(async |t| {
        let mut bed = TestApp::new().simulator_as_own_server().start(t).await;
        let addr = bed.simulator_addr();
        let store = &*bed.store.clone();
        let x = bed.reviewed_order("xavier", 51, "first-example.cn").await;
        let y = bed.reviewed_order("yvonne", 52, "withdrawn-example.cn").await;
        let z = bed.reviewed_order("zoe", 53, "after-example.cn").await;

        // The bureau is down: X is numbered 1 and tried; Y is numbered 2 and waits behind
        // it, never begun.
        bed.stop_simulator();
        queue_for_bureau(store, &x).await;
        bed.settle().await;
        queue_for_bureau(store, &y).await;
        bed.settle().await;
        let ux = store.uploads_of_order(&x).await.unwrap();
        assert_eq!(ux[0].sequence, 1);
        assert!(ux[0].tried_at.is_some() && ux[0].attempts > 0, "{ux:?}");
        let uy = store.uploads_of_order(&y).await.unwrap();
        assert_eq!(uy.len(), 1);
        assert_eq!((uy[0].sequence, uy[0].tried_at, uy[0].attempts), (2, None, 0));

        let answer = abandon(&bed, "yvonne", &y).await;
        assert_eq!(answer["bureau_upload"], "withdrawn", "{answer}");
        let note = abandon_note(store, &y).await;
        assert_eq!(
            (&note["bureau_upload"], &note["data_sequence"]),
            (&Value::from("withdrawn"), &Value::from(2))
        );
        // Its number is given back, with an audit record.
        assert!(store.uploads_of_order(&y).await.unwrap().is_empty());
        assert_eq!(store.last_upload_sequence().await.unwrap(), 1);
        let audited: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'bureau.upload_withdrawn'",
        )
        .fetch_one(store.pool())
        .await
        .unwrap();
        assert_eq!(audited, 1);
        told(
            &bed,
            "yvonne",
            "withdrawn-example.cn",
            Told {
                mail_zh: "其上报文件尚未发出，已撤回，不会报送管局。",
                mail_en: "Its upload had not gone out yet; it is withdrawn and will not reach the bureau.",
                sms: "上报文件未发出，已撤回。",
            },
        )
        .await;

        // The next order takes 2; the bureau comes back and gets 1 and 2, never Y.
        queue_for_bureau(store, &z).await;
        bed.settle().await;
        assert_eq!(store.uploads_of_order(&z).await.unwrap()[0].sequence, 2);
        bed.restart_simulator(addr);
        bed.advance_minutes(15);
        for id in [&x, &z] {
            bed.eventually("X and Z are delivered", || delivered(store, id))
                .await;
        }
        assert_eq!(received(&bed).await, vec![1, 2]);
        assert!(!bureau_has(&bed, "withdrawn-example.cn").await);
        assert!(bureau_has(&bed, "after-example.cn").await);
        assert_eq!(state_of(store, &y).await, "abandoned");
        bed.stop_simulator();
    })
    .await;
}

#[tokio::test]
async fn abandoned_with_a_later_number_after_it_the_upload_is_sent_and_the_decision_ignored() {
    testing::each_backend(async |t| {
        let mut bed = TestApp::new().simulator_as_own_server().start(t).await;
        let addr = bed.simulator_addr();
        let store = &*bed.store.clone();
        let x = bed.reviewed_order("xavier", 61, "head-example.cn").await;
        let y = bed.reviewed_order("yvonne", 62, "sent-anyway-example.cn").await;
        let z = bed.reviewed_order("zoe", 63, "tail-example.cn").await;

        // The bureau is down: X 1 (tried), Y 2 and Z 3 wait behind it.
        bed.stop_simulator();
        for id in [&x, &y, &z] {
            queue_for_bureau(store, id).await;
            bed.settle().await;
        }
        let uy = store.uploads_of_order(&y).await.unwrap();
        assert_eq!((uy[0].sequence, uy[0].tried_at), (2, None));
        assert_eq!(store.last_upload_sequence().await.unwrap(), 3);

        // 2 is not the last number: withdrawing it would leave a hole before 3.
        let answer = abandon(&bed, "yvonne", &y).await;
        assert_eq!(answer["bureau_upload"], "sent_anyway", "{answer}");
        assert_eq!(abandon_note(store, &y).await["data_sequence"], 2);
        assert_eq!(store.uploads_of_order(&y).await.unwrap().len(), 1);
        told(
            &bed,
            "yvonne",
            "sent-anyway-example.cn",
            Told {
                mail_zh: "其上报文件已编号且无法撤回（管局要求编号连续），仍会报送管局",
                mail_en: "Its upload is numbered and cannot be withdrawn (the bureau requires numbers without gaps)",
                sms: "上报文件已编号无法撤回，仍报送管局，由管局决定。",
            },
        )
        .await;
        let number = "SN-62";
        assert_eq!(
            store.service_number(number).await.unwrap().status,
            ServiceNumberStatus::Unbound
        );

        // The bureau comes back: 1, 2, 3 reach it, Y's too; Y stays abandoned.
        bed.restart_simulator(addr);
        bed.advance_minutes(15);
        for id in [&x, &z] {
            bed.eventually("X and Z are delivered", || delivered(store, id))
                .await;
        }
        bed.eventually("Y's upload is accepted", || async {
            store.uploads_of_order(&y).await.unwrap()[0].status == "sent"
        })
        .await;
        assert_eq!(received(&bed).await, vec![1, 2, 3]);
        assert!(bureau_has(&bed, "sent-anyway-example.cn").await);
        assert_eq!(state_of(store, &y).await, "abandoned");
        assert!(
            events(store, &y)
                .await
                .contains(&"upload_sent_after_abandon".to_owned())
        );

        // The bureau approves all three (10 minutes after receipt): X and Z move on, Y's
        // result is recorded on its timeline and changes nothing.
        bed.advance_minutes(11);
        bed.bureau_approved(3).await;
        bed.eventually("Y's result is recorded", || async {
            events(store, &y)
                .await
                .contains(&"bureau_result_after_abandon".to_owned())
        })
        .await;
        for id in [&x, &z] {
            bed.eventually("X and Z are approved", || async {
                matches!(
                    state_of(store, id).await.as_str(),
                    "approved" | "completed"
                )
            })
            .await;
        }
        let order = store.order(&y).await.unwrap();
        assert_eq!(order.state, "abandoned");
        let result = store
            .order_timeline(&y)
            .await
            .unwrap()
            .into_iter()
            .find(|e| e.event == "bureau_result_after_abandon")
            .unwrap();
        assert_eq!(result.note["approved"], true, "{:?}", result.note);
        assert_eq!(result.to_state, "abandoned");
        let website = order.website_id.as_deref().unwrap();
        assert!(store.open_access_of_website(website).await.unwrap().is_none());
        assert_eq!(store.website(website).await.unwrap().icp_number, None);
        assert_eq!(
            store.service_number(number).await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
        // The file stays listed for the admins as not acted on.
        let subject = store.uploads_of_order(&y).await.unwrap()[0].subject.clone();
        let unacted = store.bureau_downloads(true, 50).await.unwrap();
        assert!(
            unacted.iter().any(|d| d.summary["results"]
                .as_array()
                .is_some_and(|r| r.iter().any(|x| x["subject"] == subject.as_str()))),
            "{unacted:?}"
        );
        bed.stop_simulator();
    })
    .await;
}

#[tokio::test]
async fn abandoned_at_the_bureau_the_bureau_decides_and_nothing_changes_here() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().auto_review_after(10).start(t).await;
        let store = &*bed.store.clone();
        let id = bed.queued_order("alice", 71, "at-bureau-example.cn").await;
        // Delivered, and the SMS check passed at the bureau (the platform still shows
        // `sms_pending`: the bureau sends nothing for a passed check).
        bed.deliver_and_verify_sms(&id).await;

        let answer = abandon(&bed, "alice", &id).await;
        assert_eq!(answer["bureau_upload"], "at_bureau", "{answer}");
        assert_eq!(abandon_note(store, &id).await["bureau_upload"], "at_bureau");
        told(
            &bed,
            "alice",
            "at-bureau-example.cn",
            Told {
                mail_zh: "该订单已在管局审核中，管局接口不支持撤回审核中的申请",
                mail_en: "The bureau already has it, and its interface cannot withdraw an application under review",
                sms: "已在管局审核，无法撤回，由管局决定。",
            },
        )
        .await;

        // The bureau approves it 10 minutes later: recorded, nothing else.
        bed.advance_minutes(11);
        bed.bureau_approved(1).await;
        bed.eventually("the result is recorded", || async {
            events(store, &id)
                .await
                .contains(&"bureau_result_after_abandon".to_owned())
        })
        .await;
        let order = store.order(&id).await.unwrap();
        assert_eq!(order.state, "abandoned");
        let website = order.website_id.as_deref().unwrap();
        assert!(store.open_access_of_website(website).await.unwrap().is_none());
        assert_eq!(store.website(website).await.unwrap().icp_number, None);
        assert_eq!(
            store.service_number("SN-71").await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
    })
    .await;
}

#[tokio::test]
async fn the_portal_says_what_became_of_the_upload_in_the_browsers_language() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().simulated_clock().start(t).await;
        let store = &*bed.store.clone();
        let due = store.now() + chrono::Duration::hours(1);
        for (username, serial, domain, lang, says) in [
            (
                "alice",
                81,
                "portal-zh-example.cn",
                "zh-CN",
                "已放弃该备案订单。该订单尚未报送管局，不会再报送。",
            ),
            (
                "bob",
                82,
                "portal-en-example.cn",
                "en",
                "The filing order is abandoned. It had not been sent to the bureau and will not be.",
            ),
        ] {
            let id = bed.reviewed_order(username, serial, domain).await;
            queue_for_bureau_at(store, &id, due).await;
            let session = bed.login(username).await;
            let mut b = crate::harness::browser::Browser::of(&bed, &session, lang);
            let abandon = format!("/orders/{id}/abandon");
            let page = b.fill(&abandon, &abandon, &[]).await;
            assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
            b.open("/filings").await.has(&[says]);
            assert_eq!(state_of(store, &id).await, "abandoned");
        }
    })
    .await;
}
