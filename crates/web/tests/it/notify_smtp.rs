//! Email delivery against a real SMTP server on loopback: `tests/smtp_sink.py` (aiosmtpd)
//! writes each message it accepts to a folder, and the test reads it back. Also: nothing
//! listening and a server that never answers are transient failures; 550 is permanent and
//! 451 transient. When python3 with aiosmtpd is missing the sink tests are skipped with a
//! notice, except under `CI=true`, where they fail.

use crate::harness::smtp::{approved, config, ctx, received, start_sink, start_sink_with};
use crate::harness::wait::HANG_BOUND;
use beian_core::i18n::Locale;
use beian_platform::notify::{
    Contact, ErrorClass, Mailer, MemorySmsOutbox, NotifyJob, OutboxSmsGateway, OutgoingMail,
    Recipients, SmtpConfig, SmtpMailer, SmtpTls, deliver, jobs_for, render_email,
};

#[tokio::test]
async fn a_notification_job_arrives_at_a_real_smtp_server_in_both_languages() {
    let Some(sink) = start_sink() else { return };
    let mailer = SmtpMailer::new(&config(sink.port, 10)).unwrap();
    let texts = OutboxSmsGateway::new(MemorySmsOutbox::new(), "示例云");
    let to = Recipients {
        email: Some(Contact::new("li.lei@example.org")),
        mobile: None,
        locale: Locale::ZhCn,
    };
    let jobs: Vec<NotifyJob> = jobs_for("evt-42", &approved(), &to);
    assert_eq!(jobs.len(), 1);
    // The job goes through its JSON payload, as the queue will store it.
    let job: NotifyJob = serde_json::from_str(&serde_json::to_string(&jobs[0]).unwrap()).unwrap();
    deliver(&job, &ctx(), &mailer, &texts).await.unwrap();

    let mails = received(sink.dir.path(), 1);
    assert_eq!(mails.len(), 1, "the sink received nothing");
    let mail = &mails[0];
    let want = render_email(&approved(), Locale::ZhCn, &ctx());
    assert_eq!(mail["subject"], want.subject.as_str());
    assert_eq!(mail["rcpt_tos"], serde_json::json!(["li.lei@example.org"]));
    assert_eq!(mail["mail_from"], "beian@example.com");
    assert_eq!(mail["message_id"], "<evt-42.email@example.com>");
    // On the wire lines end in CRLF.
    let text = mail["text"].as_str().unwrap().replace("\r\n", "\n");
    assert_eq!(text.trim_end(), want.text_body.trim_end());
    assert!(text.contains("浙ICP备2021012345号-1") && text.contains("Congratulations"));
    assert!(text.find("恭喜") < text.find("Congratulations"), "{text}");
    let html = mail["html"].as_str().unwrap();
    assert!(html.contains("<div lang=\"zh-CN\">"), "{html}");
    assert!(
        mail["from"].as_str().unwrap().contains("示例云备案"),
        "{}",
        mail["from"]
    );
}

#[tokio::test]
async fn the_server_refusing_a_recipient_is_permanent_for_5xx_and_transient_for_4xx() {
    let Some(sink) = start_sink() else { return };
    let mailer = SmtpMailer::new(&config(sink.port, 10)).unwrap();
    let cases = [
        ("reject-permanent@example.org", ErrorClass::Permanent),
        ("reject-transient@example.org", ErrorClass::Transient),
    ];
    for (address, class) in cases {
        let mail = OutgoingMail {
            message_id: "m1".into(),
            to: Contact::new(address),
            email: render_email(&approved(), Locale::En, &ctx()),
        };
        let err = mailer.send(&mail).await.unwrap_err();
        assert_eq!(err.class, class, "{address}: {err}");
        // The server's reply names the address; the kept reason must not.
        assert!(!err.reason.contains("reject-permanent@"), "{}", err.reason);
    }
    assert!(received(sink.dir.path(), 0).is_empty());
}

#[tokio::test]
async fn a_mail_server_that_is_down_is_a_transient_failure() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let mailer = SmtpMailer::new(&config(port, 5)).unwrap();
    let mail = OutgoingMail {
        message_id: "m2".into(),
        to: Contact::new("a@example.org"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    };
    let err = mailer.send(&mail).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient, "{err}");
}

#[tokio::test]
async fn a_mail_server_that_never_answers_times_out_as_transient() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        // Holds the connection open and never says a word.
        let (_socket, _) = listener.accept().await.unwrap();
        std::future::pending::<()>().await;
    });
    let mailer = SmtpMailer::new(&config(port, 1)).unwrap();
    let mail = OutgoingMail {
        message_id: "m3".into(),
        to: Contact::new("a@example.org"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    };
    // Without its own timeout the send would wait for ever: only the hang bound ends it.
    let err = tokio::time::timeout(HANG_BOUND, mailer.send(&mail))
        .await
        .expect("the mailer gave up by its own timeout")
        .unwrap_err();
    assert_eq!(err.class, ErrorClass::Transient, "{err}");
    hold.abort();
}

#[test]
fn bad_addresses_are_permanent_and_settings_are_checked() {
    let err = SmtpMailer::new(&SmtpConfig {
        from: "not an address".into(),
        ..config(25, 5)
    });
    assert_eq!(err.err().map(|e| e.class), Some(ErrorClass::Permanent));
    let tls = SmtpMailer::new(&SmtpConfig {
        tls: SmtpTls::Starttls,
        port: None,
        ..config(25, 5)
    });
    assert!(tls.is_ok());
    let secret = format!(
        "{:?}",
        SmtpConfig {
            password: Some("hunter2".into()),
            ..config(25, 5)
        }
    );
    assert!(!secret.contains("hunter2"), "{secret}");
}

#[tokio::test]
async fn a_recipient_address_that_is_not_valid_is_permanent_without_connecting() {
    // Port 9 on loopback: nothing should listen; a parse failure must come first anyway.
    let mailer = SmtpMailer::new(&config(9, 5)).unwrap();
    let mail = OutgoingMail {
        message_id: "m4".into(),
        to: Contact::new("13812345678"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    };
    let err = mailer.send(&mail).await.unwrap_err();
    assert_eq!(err.class, ErrorClass::Permanent, "{err}");
    assert!(!err.reason.contains("13812345678"), "{}", err.reason);
}

#[tokio::test]
async fn credentials_are_used_and_a_refused_login_is_permanent() {
    let Some(sink) = start_sink_with(&["--auth".as_ref(), "beian:s3cret".as_ref()]) else {
        return;
    };
    let cases = [
        (Some("s3cret"), None),
        (Some("wrong"), Some(ErrorClass::Permanent)),
        (None, Some(ErrorClass::Permanent)),
    ];
    for (i, (password, want)) in cases.into_iter().enumerate() {
        let mailer = SmtpMailer::new(&SmtpConfig {
            username: password.map(|_| "beian".to_owned()),
            password: password.map(str::to_owned),
            ..config(sink.port, 10)
        })
        .unwrap();
        let mail = OutgoingMail {
            message_id: format!("auth-{i}"),
            to: Contact::new("a@example.org"),
            email: render_email(&approved(), Locale::ZhCn, &ctx()),
        };
        let got = mailer.send(&mail).await.err().map(|e| e.class);
        assert_eq!(got, want, "{password:?}");
    }
    let mails = received(sink.dir.path(), 1);
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0]["message_id"], "<auth-0@example.com>");
}
