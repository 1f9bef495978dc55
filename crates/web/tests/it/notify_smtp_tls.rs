//! Email over TLS against the aiosmtpd sink on loopback, with a CA and server certificate
//! made by openssl for the test: STARTTLS and implicit TLS deliver when the CA is trusted
//! through `ca_file`; an untrusted certificate, or a server without STARTTLS when it is
//! required, is refused before anything is sent.

use crate::harness::smtp::{
    approved, config, ctx, received, start_sink, start_sink_with, test_certificates,
};
use beian_core::i18n::Locale;
use beian_platform::notify::{
    Contact, Mailer, OutgoingMail, SmtpConfig, SmtpMailer, SmtpTls, render_email,
};
use std::ffi::OsStr;

fn mail(id: &str) -> OutgoingMail {
    OutgoingMail {
        message_id: id.into(),
        to: Contact::new("a@example.org"),
        email: render_email(&approved(), Locale::ZhCn, &ctx()),
    }
}

#[tokio::test]
async fn starttls_and_implicit_tls_deliver_when_the_ca_is_trusted() {
    let certs_dir = tempfile::tempdir().unwrap();
    let Some((ca, cert, key)) = test_certificates(certs_dir.path()) else {
        return;
    };
    for (mode, tls) in [("starttls", SmtpTls::Starttls), ("implicit", SmtpTls::Tls)] {
        let options: [&OsStr; 6] = [
            "--tls".as_ref(),
            mode.as_ref(),
            "--cert".as_ref(),
            cert.as_os_str(),
            "--key".as_ref(),
            key.as_os_str(),
        ];
        let Some(sink) = start_sink_with(&options) else {
            return;
        };
        let base = SmtpConfig {
            tls,
            ..config(sink.port, 10)
        };
        let trusted = SmtpMailer::new(&SmtpConfig {
            ca_file: Some(ca.clone()),
            ..base.clone()
        })
        .unwrap();
        trusted.send(&mail(&format!("tls-{mode}"))).await.unwrap();
        let untrusted = SmtpMailer::new(&base).unwrap();
        let err = untrusted.send(&mail("untrusted")).await;
        assert!(
            err.is_err(),
            "{mode}: an untrusted certificate was accepted"
        );

        let mails = received(sink.dir.path(), 1);
        assert_eq!(mails.len(), 1, "{mode}");
        let id = format!("<tls-{mode}@example.com>");
        assert_eq!(mails[0]["message_id"], id.as_str());
    }
}

#[tokio::test]
async fn starttls_required_but_not_offered_sends_nothing() {
    let Some(sink) = start_sink() else { return };
    let mailer = SmtpMailer::new(&SmtpConfig {
        tls: SmtpTls::Starttls,
        ..config(sink.port, 10)
    })
    .unwrap();
    assert!(mailer.send(&mail("plain")).await.is_err());
    assert!(received(sink.dir.path(), 0).is_empty());
}

#[test]
fn a_ca_file_that_is_missing_or_not_pem_is_a_permanent_settings_error() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    for path in [dir.path().join("absent.pem"), junk] {
        let made = SmtpMailer::new(&SmtpConfig {
            tls: SmtpTls::Starttls,
            ca_file: Some(path.clone()),
            ..config(25, 5)
        });
        assert!(made.is_err(), "{}", path.display());
    }
}
