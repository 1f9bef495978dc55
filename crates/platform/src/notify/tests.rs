//! Unit tests of notify's texts: every event renders in both locales from the message file,
//! payloads round-trip through JSON, secrets and contacts are masked.

use super::*;
use beian_core::i18n::Locale;
use chrono::{TimeZone, Utc};

pub(super) fn ctx() -> RenderContext {
    RenderContext {
        provider_name: "示例云".into(),
        portal_url: "https://beian.example.com".into(),
    }
}

/// One of every event, with typical values.
pub(super) fn examples() -> Vec<Notification> {
    let deadline = Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap();
    let order_id = "0193a6b2-7c41-7d2e-9f0a-3b5c8d1e2f40".to_owned();
    let domain = "example-shop.cn".to_owned();
    let reasons = vec![
        ReturnReason {
            field: "website.name".into(),
            message: "网站名称不能使用域名".into(),
        },
        ReturnReason {
            field: "materials.photo".into(),
            message: "photo is blurred".into(),
        },
    ];
    vec![
        Notification::SubmittedToBureau {
            order_id: order_id.clone(),
            domain: domain.clone(),
        },
        Notification::SmsCheckComing {
            order_id: order_id.clone(),
            domain: domain.clone(),
            window_hours: 24,
            deadline,
        },
        Notification::Approved {
            order_id: order_id.clone(),
            domain: domain.clone(),
            icp_number: "浙ICP备2021012345号-1".into(),
        },
        Notification::ReturnedByProvider {
            order_id: order_id.clone(),
            domain: domain.clone(),
            reasons: reasons.clone(),
        },
        Notification::ReturnedByBureau {
            order_id: order_id.clone(),
            domain: domain.clone(),
            reasons,
        },
        Notification::CancelAccessCode {
            domain: domain.clone(),
            code: SecretCode::new("482913"),
            valid_minutes: 10,
        },
        Notification::BackdropShipped {
            order_id: order_id.clone(),
            tracking_number: "SF1234567890123".into(),
        },
        Notification::FilingPasswordIssued {
            sponsor_name: "杭州示例网络科技有限公司".into(),
            icp_number: "浙ICP备2021012345号".into(),
        },
        Notification::DeadlineReminder {
            order_id: order_id.clone(),
            domain: domain.clone(),
            task: PendingTask::FinishDraft,
            days_left: 7,
            deadline,
        },
        Notification::DraftExpired {
            order_id: order_id.clone(),
            domain: domain.clone(),
        },
        Notification::AbandonedUpload {
            order_id: order_id.clone(),
            domain: domain.clone(),
            outcome: crate::workflow::UploadWithdrawal::Withdrawn,
        },
        Notification::PhotoRejected {
            order_id: order_id.clone(),
            domain: domain.clone(),
            reasons: vec![ReturnReason {
                field: "photo".into(),
                message: "未穿深色上衣: 红色".into(),
            }],
        },
        Notification::CancelAccessRefused {
            domain: domain.clone(),
            reasons: vec![ReturnReason {
                field: "bureau".into(),
                message: "1025 该网站只有一个接入商".into(),
            }],
        },
        Notification::CancelAccessOnlyAccess {
            domain: domain.clone(),
        },
        Notification::FilingCancelled {
            order_id: order_id.clone(),
            domain: domain.clone(),
            icp_number: "浙ICP备2021012345号-1".into(),
        },
        Notification::ProviderDeadlineBreach {
            order_id,
            domain,
            duty: ProviderDuty::SubmitToBureau,
            deadline,
        },
    ]
    .into_iter()
    // Every outcome of an abandoned upload (the SMS of each must fit one segment).
    .chain(
        crate::workflow::UploadWithdrawal::ALL
            .into_iter()
            .filter(|o| *o != crate::workflow::UploadWithdrawal::Withdrawn)
            .map(|outcome| Notification::AbandonedUpload {
                order_id: "0193a6b2-7c41-7d2e-9f0a-3b5c8d1e2f40".to_owned(),
                domain: "example-shop.cn".to_owned(),
                outcome,
            }),
    )
    .collect()
}

#[test]
fn the_examples_cover_every_event() {
    let mut events: Vec<&str> = examples().iter().map(Notification::event).collect();
    events.sort_unstable();
    events.dedup();
    assert_eq!(events.len(), 16);
}

#[test]
fn the_message_file_parses_and_every_key_has_both_locales() {
    let keys = messages().keys();
    assert!(keys.len() > 30, "{} keys", keys.len());
    for key in keys {
        assert!(messages().has_key(key), "{key} lacks a locale");
    }
}

#[test]
fn every_event_has_the_keys_of_its_channels() {
    for n in examples() {
        let event = n.event();
        let mut wanted = Vec::new();
        if n.channels().contains(&Channel::Email) {
            wanted.extend(["subject", "body"]);
        }
        if n.channels().contains(&Channel::Sms) {
            wanted.push("sms");
        }
        for part in wanted {
            let key = format!("notify.{event}.{part}");
            assert!(messages().has_key(&key), "missing {key}");
        }
    }
    for task in PendingTask::ALL {
        let n = Notification::DeadlineReminder {
            order_id: "o".into(),
            domain: "d.cn".into(),
            task,
            days_left: 30,
            deadline: Utc::now(),
        };
        let email = render_email(&n, Locale::En, &ctx());
        assert!(!email.text_body.contains("notify."), "{task:?}");
    }
    for duty in ProviderDuty::ALL {
        let n = Notification::ProviderDeadlineBreach {
            order_id: "o".into(),
            domain: "d.cn".into(),
            duty,
            deadline: Utc::now(),
        };
        let email = render_email(&n, Locale::ZhCn, &ctx());
        assert!(!email.subject.contains("notify."), "{duty:?}");
    }
}

#[test]
fn emails_render_filled_in_both_languages_reader_first() {
    for n in examples() {
        if !n.channels().contains(&Channel::Email) {
            continue;
        }
        for locale in Locale::ALL {
            let email = render_email(&n, locale, &ctx());
            let html = email.html_body.clone().unwrap_or_default();
            for text in [&email.subject, &email.text_body, &html] {
                assert!(!text.contains('{'), "{}: {text}", n.event());
                assert!(!text.contains("notify."), "{}: {text}", n.event());
            }
            let zh = email.text_body.find("您好");
            let en = email.text_body.find("Hello");
            assert!(zh.is_some() && en.is_some(), "{}", email.text_body);
            assert_eq!(zh < en, locale == Locale::ZhCn, "{}", n.event());
            assert!(email.subject.contains(" / "), "{}", email.subject);
            assert!(email.text_body.contains("https://beian.example.com"));
            assert!(html.contains("<div lang=\"zh-CN\">") && html.contains("<div lang=\"en\">"));
        }
    }
}

#[test]
fn email_bodies_carry_the_event_data() {
    let by_event = |event: &str| examples().into_iter().find(|n| n.event() == event);
    let cases: &[(&str, &[&str])] = &[
        ("approved", &["浙ICP备2021012345号-1", "example-shop.cn"]),
        (
            "returned_by_provider",
            &["网站名称不能使用域名", "photo is blurred", "website.name"],
        ),
        ("backdrop_shipped", &["SF1234567890123"]),
        ("sms_check_coming", &["2026-11-24 18:00", "24"]),
        (
            "deadline_reminder",
            &["完成并提交草稿", "finish and submit the draft", "7"],
        ),
        (
            "provider_deadline_breach",
            &["提交管局", "submission to the bureau"],
        ),
        ("filing_password_issued", &["杭州示例网络科技有限公司"]),
    ];
    for (event, wanted) in cases {
        let email = render_email(&by_event(event).unwrap(), Locale::ZhCn, &ctx());
        for w in *wanted {
            assert!(
                email.text_body.contains(w),
                "{event}: {w} not in {}",
                email.text_body
            );
        }
    }
}

#[test]
fn html_escapes_what_people_typed() {
    let n = Notification::ReturnedByProvider {
        order_id: "o1".into(),
        domain: "a.cn".into(),
        reasons: vec![ReturnReason {
            field: "website.name".into(),
            message: "<script>alert(1)</script> & {domain}".into(),
        }],
    };
    let email = render_email(&n, Locale::ZhCn, &ctx());
    let html = email.html_body.unwrap_or_default();
    assert!(!html.contains("<script>"), "{html}");
    assert!(
        html.contains("&lt;script&gt;") && html.contains("&amp;"),
        "{html}"
    );
    // A placeholder typed by a person is shown as typed, never expanded.
    assert!(
        email.text_body.contains("& {domain}"),
        "{}",
        email.text_body
    );
}

#[test]
fn sms_texts_render_and_zh_fits_one_segment_with_the_signature() {
    let sign = "【示例云】";
    for n in examples() {
        let has_sms = n.channels().contains(&Channel::Sms);
        for locale in Locale::ALL {
            let sms = render_sms(&n, locale, &ctx());
            assert_eq!(sms.is_some(), has_sms, "{}", n.event());
            let Some(sms) = sms else { continue };
            assert!(
                !sms.text.contains('{') && !sms.text.contains("notify."),
                "{}",
                sms.text
            );
            let len = sign.chars().count() + sms.text.chars().count();
            let limit = if locale == Locale::ZhCn { 70 } else { 160 };
            assert!(
                len <= limit,
                "{} in {locale}: {len} chars: {}",
                n.event(),
                sms.text
            );
        }
    }
    let code = examples()
        .into_iter()
        .find(|n| n.event() == "cancel_access_code");
    let text = code.and_then(|n| render_sms(&n, Locale::ZhCn, &ctx()));
    assert!(text.is_some_and(|t| t.text.contains("482913")));
}

#[test]
fn payloads_round_trip_through_json_tagged_by_event() {
    for n in examples() {
        let json = serde_json::to_value(&n).unwrap();
        assert_eq!(json["event"], n.event());
        let back: Notification = serde_json::from_value(json).unwrap();
        assert_eq!(back, n);
    }
    let to = Recipients {
        email: Some(Contact::new("li.lei@example.com")),
        mobile: Some(Contact::new("13812345678")),
        locale: Locale::En,
    };
    for job in jobs_for("evt-1", &examples()[2], &to) {
        let json = serde_json::to_string(&job).unwrap();
        assert!(json.contains("\"locale\":\"en\""), "{json}");
        let back: NotifyJob = serde_json::from_str(&json).unwrap();
        assert_eq!(back, job);
    }
}

#[test]
fn debug_masks_codes_and_contacts() {
    let to = Recipients {
        email: Some(Contact::new("li.lei@example.com")),
        mobile: Some(Contact::new("13812345678")),
        locale: Locale::ZhCn,
    };
    let code = examples()
        .into_iter()
        .find(|n| n.event() == "cancel_access_code");
    let jobs = code.map(|n| jobs_for("e", &n, &to)).unwrap_or_default();
    assert_eq!(jobs.len(), 1);
    let shown = format!("{jobs:?} {to:?}");
    for secret in ["482913", "13812345678", "li.lei@"] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(
        shown.contains("138****5678") && shown.contains("l***@example.com"),
        "{shown}"
    );
    let sms = OutgoingSms {
        id: "e.sms".into(),
        to: Contact::new("13812345678"),
        text: "验证码482913".into(),
    };
    assert!(!format!("{sms:?}").contains("482913"));
}

#[test]
fn masking_and_redaction() {
    let cases = [
        ("13812345678", "138****5678"),
        ("+8613812345678", "+86****5678"),
        ("a@b.cn", "a***@b.cn"),
        ("12345", "*****"),
    ];
    for (value, want) in cases {
        assert_eq!(mask_contact(value), want, "{value}");
    }
    assert_eq!(
        redact("550 <li@example.com> rejected, call 13812345678 now"),
        "550 <***@example.com> rejected, call 138****5678 now"
    );
}

#[test]
fn the_message_file_has_no_key_that_nothing_uses() {
    let mut used: Vec<String> = ["greeting", "footer", "reason_line"]
        .iter()
        .map(|k| format!("notify.common.{k}"))
        .collect();
    for n in examples() {
        let event = n.event();
        if n.channels().contains(&Channel::Email) {
            used.push(format!("notify.{event}.subject"));
            used.push(format!("notify.{event}.body"));
        }
        if n.channels().contains(&Channel::Sms) {
            used.push(format!("notify.{event}.sms"));
        }
    }
    for task in ["finish_draft", "answer_return", "upload_photo"] {
        used.push(format!("notify.task.{task}"));
    }
    for duty in ["review", "photo_review", "submit_to_bureau"] {
        used.push(format!("notify.duty.{duty}"));
    }
    for outcome in crate::workflow::UploadWithdrawal::ALL {
        used.push(outcome.message_key().to_owned());
        used.push(outcome.short_message_key().to_owned());
    }
    let mut keys: Vec<&str> = messages().keys();
    keys.sort_unstable();
    used.sort_unstable();
    used.dedup();
    assert_eq!(keys, used);
}

#[test]
fn an_apps_cancel_access_texts_do_not_speak_of_a_website() {
    // {domain} is the APP's name for an APP's 取消接入; the texts must fit both services.
    let app = "云栖浏览器助手".to_owned();
    for n in [
        Notification::CancelAccessOnlyAccess {
            domain: app.clone(),
        },
        Notification::CancelAccessRefused {
            domain: app.clone(),
            reasons: vec![ReturnReason {
                field: "bureau".into(),
                message: "1025".into(),
            }],
        },
    ] {
        let zh = render_email(&n, Locale::ZhCn, &ctx()).text_body;
        let sms = render_sms(&n, Locale::ZhCn, &ctx()).map(|s| s.text);
        for text in std::iter::once(zh.clone()).chain(sms) {
            assert!(text.contains(&app), "{}: {text}", n.event());
            assert!(!text.contains("如网站不再开办"), "{}: {text}", n.event());
            assert!(
                !text.contains("website is closing"),
                "{}: {text}",
                n.event()
            );
        }
        assert!(zh.contains("注销APP"), "{}: {zh}", n.event());
    }
}
