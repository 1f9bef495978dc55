//! Client ↔ server over loopback HTTP: the `HttpRegulatorClient` against the axum routes and
//! a tiny in-test `IspBackend`, for every method, encrypted and not.
#![allow(clippy::unwrap_used, clippy::expect_used)]
#![cfg(feature = "axum")]

mod common;

use std::sync::Arc;

use beian_miit::v3::client::{HttpRegulatorClient, RegulatorClient};
use beian_miit::v3::codes::{FilingStatus, PasswordCheck, QueryConditionType, ReturnCode};
use beian_miit::v3::personal::Secret;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::server::OutgoingFile;
use beian_miit::v3::xml::to_gbk_document;
use common::backend::{self, TestBackend};

async fn serve(backend: Arc<TestBackend>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = beian_miit::v3::routes::router(backend);
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    format!("http://{addr}")
}

fn seq(n: u32) -> DataSequence {
    DataSequence::new(n).unwrap()
}

async fn round_trip(encrypt: bool) {
    let backend = Arc::new(TestBackend::new(encrypt));
    let url = serve(backend.clone()).await;
    let client =
        HttpRegulatorClient::new(&url, backend::credentials(), encrypt.then(backend::aes_key));

    // Nothing uploaded yet: sequence 0, no file.
    let prev = client.query_previous_upload().await.unwrap();
    assert_eq!(prev.ret.code(), Some(ReturnCode::Success));
    assert_eq!(prev.last_sequence, None);
    assert!(prev.xml.is_none());

    // Upload every kind, in sequence.
    let samples = common::upload_samples();
    for (i, (name, doc)) in samples.iter().enumerate() {
        let n = u32::try_from(i).unwrap() + 1;
        let ret = client
            .upload(doc, seq(n), &format!("upload{n:04}.xml"))
            .await
            .unwrap();
        assert_eq!(ret.code(), Some(ReturnCode::Success), "{name}: {}", ret.msg);
    }
    {
        let state = backend.state.lock().unwrap();
        assert_eq!(state.uploads.len(), samples.len());
        for (upload, (name, doc)) in state.uploads.iter().zip(&samples) {
            assert_eq!(upload.data.as_ref().ok(), Some(doc), "{name}");
        }
        assert_eq!(state.last_sequence, Some(seq(6)));
    }

    // A gap is refused with 14 and the missing numbers; nothing is stored.
    let ret = client
        .upload(&samples[0].1, seq(9), "upload0009.xml")
        .await
        .unwrap();
    assert_eq!(ret.code(), Some(ReturnCode::SequenceGap));
    assert_eq!(ret.missing_sequences(), vec![7, 8]);
    assert_eq!(backend.state.lock().unwrap().uploads.len(), 6);

    // The previous upload comes back with its number and bytes.
    let prev = client.query_previous_upload().await.unwrap();
    assert_eq!(prev.last_sequence, Some(seq(6)));
    assert_eq!(prev.xml, Some(to_gbk_document(&samples[5].1).unwrap()));

    // Downloads: 3 while more wait, 0 for the last, 2 when empty; ack removes.
    {
        let mut state = backend.state.lock().unwrap();
        for (name, data) in common::download_samples() {
            state.outgoing.push_back(OutgoingFile {
                file_name: format!("{name}.xml"),
                data,
                more: false,
            });
        }
    }
    let expected = common::download_samples();
    for (i, (name, data)) in expected.iter().enumerate() {
        let out = client.download().await.unwrap();
        let want = if i + 1 < expected.len() {
            ReturnCode::MoreToDownload
        } else {
            ReturnCode::Success
        };
        assert_eq!(out.ret.code(), Some(want), "{name}");
        let file = out.file.expect("a file");
        assert_eq!(file.file_name, format!("{name}.xml"));
        assert_eq!(&file.data, data, "{name}");
        let ack = client.download_ack(&file.file_name).await.unwrap();
        assert_eq!(ack.code(), Some(ReturnCode::Success));
    }
    let out = client.download().await.unwrap();
    assert_eq!(out.ret.code(), Some(ReturnCode::NothingToDownload));
    assert!(out.file.is_none());
    assert_eq!(backend.state.lock().unwrap().acked.len(), expected.len());

    // Status query.
    let ret = client
        .query_beian_status(QueryConditionType::Domain, "example.cn")
        .await
        .unwrap();
    let info = ret.status_info.unwrap();
    assert_eq!(info.status, FilingStatus::Filed);
    assert_eq!(
        info.website_number.as_deref(),
        Some("浙ICP备2021012345号-1")
    );
    let ret = client
        .query_beian_status(QueryConditionType::Domain, "other.cn")
        .await
        .unwrap();
    assert_eq!(ret.status_info.unwrap().status, FilingStatus::NotFiled);

    // Password check, then the rate limit (22).
    let right = client
        .verify_password("浙ICP备2021012345号", backend::FILING_PASSWORD)
        .await
        .unwrap();
    assert_eq!(right.verify_res, Some(PasswordCheck::Correct));
    let wrong = client
        .verify_password("浙ICP备2021012345号", "guess")
        .await
        .unwrap();
    assert_eq!(wrong.verify_res, Some(PasswordCheck::Incorrect));
    let _third = client
        .verify_password("浙ICP备2021012345号", "guess")
        .await
        .unwrap();
    let limited = client
        .verify_password("浙ICP备2021012345号", "guess")
        .await
        .unwrap();
    assert_eq!(limited.code(), Some(ReturnCode::PasswordCheckLimit));

    // Wrong credentials.
    let mut bad = backend::credentials();
    bad.password = Secret::from("nope");
    let intruder = HttpRegulatorClient::new(&url, bad, None);
    let ret = intruder.download().await.unwrap();
    assert_eq!(ret.ret.code(), Some(ReturnCode::WrongPassword));
}

#[tokio::test]
async fn every_method_over_http_plain() {
    round_trip(false).await;
}

#[tokio::test]
async fn every_method_over_http_encrypted() {
    round_trip(true).await;
}
