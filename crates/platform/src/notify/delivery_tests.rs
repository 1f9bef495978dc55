//! Unit tests of notify's delivery: jobs fan out per channel, delivery to the in-memory
//! outboxes is idempotent, the retry policy, and what `run_job` tells the queue.

use super::tests::{ctx, examples};
use super::*;
use beian_core::i18n::Locale;

#[test]
fn jobs_fan_out_per_channel_and_address() {
    let both = Recipients {
        email: Some(Contact::new("a@example.com")),
        mobile: Some(Contact::new("13812345678")),
        locale: Locale::ZhCn,
    };
    let mail_only = Recipients {
        mobile: None,
        ..both.clone()
    };
    let ex = examples();
    let find = |e: &str| ex.iter().find(|n| n.event() == e).cloned();
    let cases = [
        ("approved", &both, vec!["evt.email", "evt.sms"]),
        ("approved", &mail_only, vec!["evt.email"]),
        ("cancel_access_code", &both, vec!["evt.sms"]),
        ("cancel_access_code", &mail_only, vec![]),
        ("provider_deadline_breach", &both, vec!["evt.email"]),
    ];
    for (event, to, want) in cases {
        let n = find(event);
        assert!(n.is_some(), "{event}");
        let jobs = n.map(|n| jobs_for("evt", &n, to)).unwrap_or_default();
        let ids: Vec<&str> = jobs.iter().map(|j| j.id.as_str()).collect();
        assert_eq!(ids, want, "{event}");
    }
}

#[tokio::test]
async fn delivery_to_the_outboxes_is_idempotent_per_job() {
    let mails = MemoryMailOutbox::new();
    let texts = OutboxSmsGateway::new(MemorySmsOutbox::new(), "示例云");
    let to = Recipients {
        email: Some(Contact::new("a@example.com")),
        mobile: Some(Contact::new("138 1234 5678")),
        locale: Locale::ZhCn,
    };
    let jobs = jobs_for("evt-9", &examples()[2], &to);
    for job in jobs.iter().chain(jobs.iter()) {
        deliver(job, &ctx(), &mails, &texts).await.unwrap();
    }
    let sent = mails.list("A@example.com");
    assert_eq!(sent.len(), 1);
    assert!(
        sent[0].email.subject.starts_with("备案已通过"),
        "{}",
        sent[0].email.subject
    );
    let inbox = texts.sink().list("+86 138-1234-5678");
    assert_eq!(inbox.len(), 1);
    assert!(
        inbox[0].text.starts_with("【示例云】恭喜"),
        "{}",
        inbox[0].text
    );
    assert!(texts.sink().list("13900000000").is_empty());
    let shown = format!("{inbox:?}");
    assert!(
        !shown.contains("恭喜") && !shown.contains("1234"),
        "{shown}"
    );
}

#[tokio::test]
async fn a_job_for_a_channel_its_event_does_not_use_fails_permanently() {
    let job = NotifyJob {
        id: "x.email".into(),
        channel: Channel::Email,
        to: Contact::new("a@example.com"),
        locale: Locale::ZhCn,
        notification: examples()[5].clone(),
    };
    let texts = OutboxSmsGateway::new(MemorySmsOutbox::new(), "s");
    let err = deliver(&job, &ctx(), &MemoryMailOutbox::new(), &texts).await;
    let err = err.unwrap_err();
    assert!(!err.is_transient(), "{err}");
    assert!(matches!(err, DeliveryError::NoSuchChannel { .. }));
}

#[test]
fn retry_policy_backs_off_and_gives_up() {
    let policy = RetryPolicy::default();
    let transient = DeliveryError::Sms(SmsError::transient("down"));
    let permanent = DeliveryError::Sms(SmsError::permanent("bad number"));
    let secs = |n| policy.delay_after(n, &transient).map(|d| d.as_secs());
    assert_eq!(secs(1), Some(30));
    assert_eq!(secs(2), Some(60));
    assert_eq!(secs(8), Some(3600));
    assert_eq!(secs(9), Some(3600));
    assert_eq!(secs(10), None);
    assert_eq!(policy.delay_after(1, &permanent), None);
    let total: u64 = (1..policy.max_attempts).filter_map(secs).sum();
    assert!((2 * 3600..4 * 3600).contains(&total), "{total}");
}

/// A mailer that answers with a set error, for the queue logic of `run_job`.
struct RefusingMailer(ErrorClass);

#[async_trait::async_trait]
impl Mailer for RefusingMailer {
    async fn send(&self, _: &OutgoingMail) -> Result<(), mail::MailError> {
        Err(mail::MailError {
            class: self.0,
            reason: "refused for <li@example.com>".into(),
        })
    }
}

#[tokio::test]
async fn run_job_turns_each_result_into_what_the_queue_does() {
    let policy = RetryPolicy::default();
    let to = Recipients {
        email: Some(Contact::new("li@example.com")),
        mobile: None,
        locale: Locale::ZhCn,
    };
    let payload = serde_json::to_string(&jobs_for("e", &examples()[0], &to)[0]).unwrap();
    let texts = OutboxSmsGateway::new(MemorySmsOutbox::new(), "s");
    let outbox = MemoryMailOutbox::new();
    let transient = RefusingMailer(ErrorClass::Transient);
    let permanent = RefusingMailer(ErrorClass::Permanent);
    let cases: [(&str, u32, &dyn Mailer, &str); 5] = [
        (&payload, 1, &outbox, "done"),
        (&payload, 1, &transient, "retry 30"),
        (&payload, 10, &transient, "failed"),
        (&payload, 1, &permanent, "failed"),
        ("{\"id\":1}", 1, &outbox, "failed"),
    ];
    for (payload, attempt, mailer, want) in cases {
        let outcome = run_job(payload, attempt, &policy, &ctx(), mailer, &texts).await;
        let got = match &outcome {
            JobOutcome::Done => "done".to_owned(),
            JobOutcome::RetryAfter(d, _) => format!("retry {}", d.as_secs()),
            JobOutcome::Failed(_) => "failed".to_owned(),
        };
        assert_eq!(got, want, "{outcome:?}");
        if let JobOutcome::RetryAfter(_, reason) | JobOutcome::Failed(reason) = &outcome {
            assert!(!reason.contains("li@"), "{reason}");
        }
    }
    assert_eq!(outbox.list("li@example.com").len(), 1);
}

#[tokio::test]
async fn a_copying_outbox_hands_each_text_to_the_outbox_and_its_copy() {
    let phones = std::sync::Arc::new(MemorySmsOutbox::new());
    let copy: std::sync::Arc<dyn SmsOutboxSink> = phones.clone();
    let texts = OutboxSmsGateway::new(CopyingOutbox::new(MemorySmsOutbox::new(), copy), "示例云");
    let sms = OutgoingSms {
        id: "job-1".into(),
        to: Contact::new("13812345678"),
        text: "验证码123456".into(),
    };
    texts.send(&sms).await.unwrap();
    let kept = texts.sink().outbox_for_tests().list("13812345678");
    let copied = phones.list("138 1234 5678");
    assert_eq!(kept.len(), 1);
    assert_eq!(copied.len(), 1);
    assert_eq!(copied[0].text, "【示例云】验证码123456");
    assert_eq!(kept[0], copied[0]);
}
