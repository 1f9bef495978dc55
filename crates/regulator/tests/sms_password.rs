//! The SMS check on the simulated clock (texts after the delay, one per person, window expiry,
//! the sixth wrong code) and the filing-password lockout and recovery.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use beian_core::province::Province;
use beian_regulator::bureau::{Decision, SmsCheck};
use beian_regulator::fixture::{self, PASSWORD, PROVIDER_A};
use beian_regulator::model::{AccessData, FilingRequest, NewWebsite, Outcome, SubmissionState};
use beian_regulator::password::PasswordCheck;
use chrono::{Duration, TimeZone, Utc};
use common::{code_in, codes_of, sim, with_sms};

fn filing(sponsor_mobile: &str, website_mobile: &str) -> FilingRequest {
    FilingRequest::FirstFiling {
        sponsor: fixture::sponsor(
            Province::TIANJIN,
            "91120116MA05TEST1X",
            "天津短信核验测试有限公司",
            sponsor_mobile,
        ),
        websites: vec![NewWebsite {
            website: fixture::website("核验站", "sms-check.cn", website_mobile),
            access: AccessData::default(),
        }],
    }
}

#[tokio::test]
async fn codes_go_out_after_the_delay_one_per_person_and_verify() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let id = r
        .submit(PROVIDER_A, "u", &filing("13600000001", "13600000002"))
        .await
        .unwrap();
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::SmsPending
    );
    r.tick().await.unwrap();
    assert!(
        sim.inbox("13600000001").await.is_empty(),
        "sent before the delay"
    );
    sim.clock.advance_minutes(5).unwrap();
    assert_eq!(r.tick().await.unwrap().texts_sent, 2);
    let to_sponsor = sim.inbox("13600000001").await;
    let to_website = sim.inbox("13600000002").await;
    assert_eq!((to_sponsor.len(), to_website.len()), (1, 1));
    assert!(
        to_sponsor[0].contains("天津市通信管理局"),
        "{}",
        to_sponsor[0]
    );

    assert_eq!(
        r.enter_sms_code("13600000001", &code_in(&to_sponsor[0]))
            .await
            .unwrap(),
        SmsCheck::Verified { submission_id: id }
    );
    // One of two persons verified: still waiting.
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::SmsPending
    );
    r.enter_sms_code("13600000002", &code_in(&to_website[0]))
        .await
        .unwrap();
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::Queued
    );
    assert!(matches!(
        r.decide(id, Decision::Approve).await.unwrap(),
        Outcome::Approved { .. }
    ));
}

#[tokio::test]
async fn one_text_when_both_roles_are_the_same_person() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let id = r
        .submit(PROVIDER_A, "u", &filing("13600000003", "13600000003"))
        .await
        .unwrap();
    sim.clock.advance_minutes(5).unwrap();
    assert_eq!(r.tick().await.unwrap().texts_sent, 1);
    let texts = sim.inbox("13600000003").await;
    assert_eq!(texts.len(), 1);
    r.enter_sms_code("13600000003", &code_in(&texts[0]))
        .await
        .unwrap();
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::Queued
    );
}

#[tokio::test]
async fn the_window_expires_on_the_simulated_clock() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let id = r
        .submit(PROVIDER_A, "u", &filing("13600000004", "13600000004"))
        .await
        .unwrap();
    sim.clock.advance_minutes(5).unwrap();
    r.tick().await.unwrap();
    // Just before the end of the window: still pending.
    sim.clock.advance_minutes(24 * 60 - 1).unwrap();
    assert!(r.tick().await.unwrap().expired.is_empty());
    sim.clock.advance_minutes(1).unwrap();
    assert_eq!(r.tick().await.unwrap().expired, vec![id]);
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::Returned
    );
    let file = sim.take_download(PROVIDER_A).await;
    let Outcome::Returned { codes, reasons } = file.result.outcome else {
        panic!("not returned");
    };
    assert_eq!(codes[0].code, 1002);
    assert!(reasons[0].contains("短信核验"), "{reasons:?}");
    // A late code finds nothing to verify.
    let text = &sim.inbox("13600000004").await[0];
    assert_eq!(
        r.enter_sms_code("13600000004", &code_in(text))
            .await
            .unwrap(),
        SmsCheck::NoPendingCode
    );
}

#[tokio::test]
async fn the_driver_expires_the_window_when_the_clock_is_advanced() {
    let sim = sim(with_sms(48)).await;
    let r = &sim.regulator;
    let id = r
        .submit(PROVIDER_A, "u", &filing("13600000005", "13600000005"))
        .await
        .unwrap();
    let driver = r.spawn_driver(std::time::Duration::from_secs(3600));
    sim.clock.advance_minutes(48 * 60 + 5).unwrap();
    // The driver runs on its own task: wait for it (bounded in real time, not in rounds, so a
    // busy machine only takes longer).
    let mut state = SubmissionState::SmsPending;
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(120) {
        state = r.submission(id).await.unwrap().state;
        if state == SubmissionState::Returned {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    driver.abort();
    assert_eq!(state, SubmissionState::Returned);
}

#[tokio::test]
async fn the_sixth_wrong_code_returns_the_filing() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let id = r
        .submit(PROVIDER_A, "u", &filing("13600000006", "13600000006"))
        .await
        .unwrap();
    sim.clock.advance_minutes(5).unwrap();
    r.tick().await.unwrap();
    let right = code_in(&sim.inbox("13600000006").await[0]);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    for remaining in (1..=5).rev() {
        assert_eq!(
            r.enter_sms_code("13600000006", wrong).await.unwrap(),
            SmsCheck::WrongCode { remaining }
        );
    }
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::SmsPending
    );
    assert_eq!(
        r.enter_sms_code("13600000006", wrong).await.unwrap(),
        SmsCheck::Returned { submission_id: id }
    );
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::Returned
    );
    assert_eq!(
        codes_of(&sim.take_download(PROVIDER_A).await.result.outcome),
        vec![1002]
    );
    // The right code no longer helps.
    assert_eq!(
        r.enter_sms_code("13600000006", &right).await.unwrap(),
        SmsCheck::NoPendingCode
    );
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_sponsor_until_the_next_shanghai_day() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let number = fixture::SPONSORS[0].0;
    assert_eq!(
        r.verify_password(number, PASSWORD).await.unwrap(),
        PasswordCheck::Correct
    );
    for remaining in (0..5).rev() {
        assert_eq!(
            r.verify_password(number, "nope").await.unwrap(),
            PasswordCheck::Wrong { remaining }
        );
    }
    // Locked: even the right password is refused, until 00:00 Shanghai (16:00 UTC).
    let midnight = Utc.with_ymd_and_hms(2026, 3, 2, 16, 0, 0).unwrap();
    assert_eq!(
        r.verify_password(number, PASSWORD).await.unwrap(),
        PasswordCheck::Locked { until: midnight }
    );
    // Another sponsor is not affected.
    assert_eq!(
        r.verify_password(fixture::SPONSORS[1].0, PASSWORD)
            .await
            .unwrap(),
        PasswordCheck::Correct
    );
    sim.clock
        .advance(midnight - sim.regulator.now() - Duration::minutes(1))
        .unwrap();
    assert!(matches!(
        r.verify_password(number, PASSWORD).await.unwrap(),
        PasswordCheck::Locked { .. }
    ));
    sim.clock.advance_minutes(1).unwrap();
    assert_eq!(
        r.verify_password(number, PASSWORD).await.unwrap(),
        PasswordCheck::Correct
    );
    assert_eq!(
        r.verify_password("浙ICP备2099000001号", PASSWORD)
            .await
            .unwrap(),
        PasswordCheck::UnknownNumber
    );
}

#[tokio::test]
async fn password_recovery_texts_a_code_then_a_new_password() {
    let sim = sim(with_sms(24)).await;
    let r = &sim.regulator;
    let number = fixture::SPONSORS[0].0;
    let mobile = fixture::sponsor_mobile(0);
    assert!(r.request_password_recovery(number).await.unwrap());
    let code = code_in(&sim.inbox(&mobile).await[0]);
    assert!(!r.recover_password(number, "999999x").await.unwrap());
    assert!(r.recover_password(number, &code).await.unwrap());
    let texts = sim.inbox(&mobile).await;
    let new = texts[1]
        .split("备案密码为：")
        .nth(1)
        .unwrap()
        .split('，')
        .next()
        .unwrap();
    assert_eq!(
        r.verify_password(number, new).await.unwrap(),
        PasswordCheck::Correct
    );
    assert!(matches!(
        r.verify_password(number, PASSWORD).await.unwrap(),
        PasswordCheck::Wrong { .. }
    ));
    // A used code cannot be used twice.
    assert!(!r.recover_password(number, &code).await.unwrap());
    assert!(
        !r.request_password_recovery("浙ICP备2099000001号")
            .await
            .unwrap()
    );
}
