//! Every kind of bad input gets the spec's code from the server-side handler, never a panic:
//! malformed envelopes, wrong credentials, wrong algorithms, a wrong hash, broken transfer
//! data, sequence gaps (14) and reuse, and problems inside an accepted file (5001, 5003, 5004).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use beian_miit::v3::auth::{AuthParams, Credentials, pwd_hash};
use beian_miit::v3::codec::{self, md5_base64};
use beian_miit::v3::codes::ReturnCode;
use beian_miit::v3::results::ResultCode;
use beian_miit::v3::returns::MethodReturn;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::server::{
    UploadRequest, auth_soap_params, handle_soap, handle_soap_at, verify_upload,
};
use beian_miit::v3::soap::{self, Method, NAMESPACE};
use beian_miit::v3::xml::{from_xml_str, to_gbk_document};
use common::backend::{self, TestBackend};

fn upload_request(xml: &[u8], sequence: u32) -> UploadRequest {
    let enc = codec::encode("upload.xml", xml, None).unwrap();
    UploadRequest {
        auth: backend::credentials().sign(),
        beian_info: enc.beian_info,
        beian_info_hash: enc.beian_info_hash,
        data_sequence: sequence.to_string(),
        encrypt_algorithm: 0,
        compression_format: 0,
    }
}

fn good_xml() -> Vec<u8> {
    to_gbk_document(&common::first_filing()).unwrap()
}

async fn call(backend: &TestBackend, method: Method, params: &[(&str, String)]) -> MethodReturn {
    let body = soap::write_request(NAMESPACE, method, params);
    let (status, bytes) = handle_soap(&body, backend).await;
    assert_eq!(status, 200);
    from_xml_str(&soap::parse_response(&bytes).unwrap()).unwrap()
}

#[tokio::test]
async fn malformed_envelopes_get_a_fault_with_999() {
    let backend = TestBackend::new(false);
    let cases: &[&[u8]] = &[
        b"",
        b"\xff\xfe garbage",
        b"<Envelope><Body><isp_upload>",
        b"<Envelope><Body><isp_unknown/></Body></Envelope>",
        b"<a><b></a>",
    ];
    for body in cases {
        let (status, bytes) = handle_soap(body, &backend).await;
        assert_eq!(status, 500);
        match soap::parse_response(&bytes) {
            Err(soap::SoapError::Fault(text)) => assert!(text.starts_with("999"), "{text}"),
            other => panic!("expected a fault, got {other:?}"),
        }
    }
    // A method sent to another service's path.
    let body = soap::write_request(NAMESPACE, Method::VerifyBamm, &[]);
    let (status, _) = handle_soap_at("/ISPWebService/upDownLoad", &body, &backend).await;
    assert_eq!(status, 500);
}

#[tokio::test]
async fn upload_failures_have_their_codes() {
    let good = upload_request(&good_xml(), 1);
    let zipped_twice = {
        // A valid zip holding two files.
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        use std::io::Write;
        let o = zip::write::SimpleFileOptions::default();
        w.start_file("a.xml", o).unwrap();
        w.write_all(&good_xml()).unwrap();
        w.start_file("b.xml", o).unwrap();
        w.write_all(&good_xml()).unwrap();
        w.finish().unwrap().into_inner()
    };
    let auth = good.auth.clone();
    let cases: Vec<(&str, UploadRequest, ReturnCode)> = vec![
        (
            "wrong user",
            UploadRequest {
                auth: AuthParams {
                    user_name: "x".into(),
                    ..auth.clone()
                },
                ..good.clone()
            },
            ReturnCode::WrongUserName,
        ),
        (
            "wrong password",
            UploadRequest {
                auth: AuthParams {
                    pwd_hash: pwd_hash("x", &auth.rand_val),
                    ..auth.clone()
                },
                ..good.clone()
            },
            ReturnCode::WrongPassword,
        ),
        (
            "short randVal",
            UploadRequest {
                auth: AuthParams {
                    rand_val: "abc".into(),
                    ..auth.clone()
                },
                ..good.clone()
            },
            ReturnCode::RandomTooShort,
        ),
        (
            "hash algorithm",
            UploadRequest {
                auth: AuthParams {
                    hash_algorithm: 5,
                    ..auth.clone()
                },
                ..good.clone()
            },
            ReturnCode::BadHashAlgorithm,
        ),
        (
            "encrypt algorithm",
            UploadRequest {
                encrypt_algorithm: 7,
                ..good.clone()
            },
            ReturnCode::BadEncryptAlgorithm,
        ),
        (
            "compression",
            UploadRequest {
                compression_format: 2,
                ..good.clone()
            },
            ReturnCode::BadCompressionFormat,
        ),
        (
            "wrong hash",
            UploadRequest {
                beian_info_hash: md5_base64(b"something else"),
                ..good.clone()
            },
            ReturnCode::HashMismatch,
        ),
        (
            "not base64",
            UploadRequest {
                beian_info: "%%%".into(),
                ..good.clone()
            },
            ReturnCode::DecryptionFailed,
        ),
        (
            "encrypted without key",
            UploadRequest {
                encrypt_algorithm: 1,
                ..good.clone()
            },
            ReturnCode::DecryptionFailed,
        ),
        (
            "not a zip",
            UploadRequest {
                beian_info: B64.encode(b"plain"),
                beian_info_hash: md5_base64(b"plain"),
                ..good.clone()
            },
            ReturnCode::DecompressionFailed,
        ),
        (
            "two files",
            UploadRequest {
                beian_info: B64.encode(&zipped_twice),
                beian_info_hash: md5_base64(&zipped_twice),
                ..good.clone()
            },
            ReturnCode::WrongFileCount,
        ),
        (
            "sequence gap",
            upload_request(&good_xml(), 3),
            ReturnCode::SequenceGap,
        ),
        (
            "sequence zero",
            upload_request(&good_xml(), 0),
            ReturnCode::Other,
        ),
        (
            "sequence not a number",
            UploadRequest {
                data_sequence: "x".into(),
                ..good.clone()
            },
            ReturnCode::Other,
        ),
    ];
    for (name, req, want) in cases {
        // Directly, through the helper the simulator calls…
        let got = verify_upload(&req, &backend::credentials(), None, None).unwrap_err();
        assert_eq!(got.code, want, "{name} (verify_upload)");
        // …and through the SOAP dispatcher.
        let backend = TestBackend::new(false);
        let ret = call(&backend, Method::Upload, &req.to_params()).await;
        assert_eq!(ret.code(), Some(want), "{name} (handle_soap)");
        assert!(
            backend.state.lock().unwrap().uploads.is_empty(),
            "{name} stored"
        );
    }
    // The gap names the missing numbers.
    let ret = call(
        &TestBackend::new(false),
        Method::Upload,
        &upload_request(&good_xml(), 3).to_params(),
    )
    .await;
    assert_eq!(ret.missing_sequences(), vec![1, 2]);
    // An unknown ispId is refused (12) before anything else.
    let mut stranger = upload_request(&good_xml(), 1);
    stranger.auth.isp_id = 42;
    let ret = call(
        &TestBackend::new(false),
        Method::Upload,
        &stranger.to_params(),
    )
    .await;
    assert_eq!(ret.code(), Some(ReturnCode::AuthenticationRejected));
    // A number already used.
    let backend = TestBackend::new(false);
    assert_eq!(
        call(
            &backend,
            Method::Upload,
            &upload_request(&good_xml(), 1).to_params()
        )
        .await
        .code(),
        Some(ReturnCode::Success)
    );
    assert_eq!(
        call(
            &backend,
            Method::Upload,
            &upload_request(&good_xml(), 1).to_params()
        )
        .await
        .code(),
        Some(ReturnCode::Other)
    );
    assert_eq!(
        verify_upload(
            &upload_request(&good_xml(), 1),
            &backend::credentials(),
            None,
            Some(DataSequence::FIRST)
        )
        .unwrap_err()
        .code,
        ReturnCode::Other
    );
}

#[tokio::test]
async fn problems_inside_an_accepted_file_become_result_codes() {
    let cases: Vec<(&str, Vec<u8>, ResultCode)> = vec![
        ("malformed XML", b"<?xml version=\"1.0\" encoding=\"GBK\"?><UploadData version=\"V.3.0\"><ICP>".to_vec(), ResultCode::SchemaInvalid),
        ("wrong root content", b"<UploadData version=\"V.3.0\"><ICP><Qqdwid>abc</Qqdwid></ICP></UploadData>".to_vec(), ResultCode::SchemaInvalid),
        ("no records", format!("<UploadData version=\"V.3.0\"><ICP><Qqdwid>{}</Qqdwid></ICP></UploadData>", common::ISP_ID).into_bytes(), ResultCode::SchemaInvalid),
        ("old version", to_gbk_document(&beian_miit::v3::upload::UploadData { version: "V.2.1".into(), ..common::first_filing() }).unwrap(), ResultCode::WrongVersion),
        ("other requester", to_gbk_document(&beian_miit::v3::upload::UploadData {
            icp: common::first_filing().icp.map(|mut i| { i.requester_id = 7; i }),
            ..common::first_filing()
        }).unwrap(), ResultCode::RequesterMismatch),
        ("IP part", b"<UploadData version=\"V.3.0\"><IP><Qqdwid>1</Qqdwid></IP></UploadData>".to_vec(), ResultCode::NotOpen),
        ("not GBK", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><UploadData version=\"V.3.0\">\xc3\x28</UploadData>".to_vec(), ResultCode::IllegalCharacters),
    ];
    for (name, xml, want) in cases {
        let backend = TestBackend::new(false);
        let ret = call(
            &backend,
            Method::Upload,
            &upload_request(&xml, 1).to_params(),
        )
        .await;
        assert_eq!(
            ret.code(),
            Some(ReturnCode::Success),
            "{name}: the call itself is fine"
        );
        let state = backend.state.lock().unwrap();
        assert_eq!(state.uploads[0].data.as_ref().err(), Some(&want), "{name}");
        assert_eq!(state.last_sequence, Some(DataSequence::FIRST));
    }
}

#[tokio::test]
async fn other_methods_check_credentials_and_parameters() {
    let backend = TestBackend::new(false);
    let wrong = Credentials {
        password: "x".into(),
        ..backend::credentials()
    };
    type Params = Vec<(&'static str, String)>;
    let cases: Vec<(Method, Params, ReturnCode)> = vec![
        (
            Method::Download,
            auth_soap_params(&wrong.sign(), true),
            ReturnCode::WrongPassword,
        ),
        (
            Method::DownloadAck,
            auth_soap_params(&backend::credentials().sign(), true),
            ReturnCode::FileNameMissing,
        ),
        (
            Method::QueryPreviousUpload,
            auth_soap_params(
                &Credentials {
                    user_name: "u".into(),
                    ..backend::credentials()
                }
                .sign(),
                true,
            ),
            ReturnCode::WrongUserName,
        ),
        (
            Method::QueryBeianStatus,
            auth_soap_params(&backend::credentials().sign(), false),
            ReturnCode::BadHashAlgorithm,
        ),
        (
            Method::QueryBeianStatus,
            {
                let mut p = auth_soap_params(&backend::credentials().sign(), true);
                // 0–11 are V3.0's, 99 beian's APP extension: 98 is no condition.
                p.push(("queryConditionType", "98".into()));
                p.push(("queryCondition", "example.cn".into()));
                p
            },
            ReturnCode::Other,
        ),
        (
            Method::VerifyBamm,
            vec![("ispId", "not a number".into())],
            ReturnCode::AuthenticationRejected,
        ),
    ];
    for (method, params, want) in cases {
        let ret = call(&backend, method, &params).await;
        assert_eq!(ret.code(), Some(want), "{method:?}");
    }
}

#[tokio::test]
async fn debug_output_masks_personal_data() {
    let backend = TestBackend::new(false);
    let req = upload_request(&good_xml(), 1);
    call(&backend, Method::Upload, &req.to_params()).await;
    let state = backend.state.lock().unwrap();
    let shown = [
        format!("{:?}", common::first_filing()),
        format!("{:?}", state.uploads[0]),
        format!("{req:?}"),
        format!("{:?}", backend::credentials()),
    ];
    for text in shown {
        for secret in ["330106199001011234", "13800138000", backend::PASSWORD] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
    assert!(format!("{:?}", common::first_filing()).contains("3301**********1234"));
}
