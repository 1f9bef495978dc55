//! Every parser meets random bytes and mutated valid messages without panicking, and the
//! dispatcher answers each with a code: a SOAP fault carrying 999, or a return document whose
//! `msg_code` is in the table.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use beian_miit::v3::codec::{self, Encoded};
use beian_miit::v3::codes::{CompressionFormat, EncryptAlgorithm, HashAlgorithm};
use beian_miit::v3::download::DownloadData;
use beian_miit::v3::returns::MethodReturn;
use beian_miit::v3::server::{UploadRequest, handle_soap, parse_upload};
use beian_miit::v3::soap::{self, Method, NAMESPACE};
use beian_miit::v3::upload::UploadData;
use beian_miit::v3::xml::{from_document_bytes, from_xml_str, to_gbk_document, to_utf8_document};
use common::backend::{self, TestBackend};
use proptest::prelude::*;

/// Applies byte-level mutations to a valid message.
#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..8),
                Just(b"<".to_vec()),
                Just(b"&amp;".to_vec()),
                Just(b"&#0;".to_vec()),
                Just(b"</ICP>".to_vec()),
                Just(b"<![CDATA[".to_vec()),
            ]
        )
            .prop_map(|(i, v)| Mutation::Insert(i, v)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = bytes.len().max(1);
        match m {
            Mutation::Flip(i, b) => {
                if !bytes.is_empty() {
                    bytes[i % len] ^= b | 1;
                }
            }
            Mutation::Truncate(i) => bytes.truncate(i % len),
            Mutation::Insert(i, v) => {
                let at = i % (bytes.len() + 1);
                bytes.splice(at..at, v.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let at = i % len;
                let end = (at + n).min(bytes.len());
                if at < end {
                    bytes.drain(at..end);
                }
            }
        }
    }
    bytes
}

/// Every parser on the bytes; none may panic.
fn parse_everything(bytes: &[u8]) {
    let _ = soap::parse_request(bytes);
    let _ = soap::parse_response(bytes);
    let _ = from_document_bytes::<UploadData>(bytes);
    let _ = from_document_bytes::<DownloadData>(bytes);
    let _ = from_document_bytes::<MethodReturn>(bytes);
    let _ = parse_upload(bytes, common::ISP_ID);
    let _ = codec::unzip_one(bytes, 1 << 20);
    let text = String::from_utf8_lossy(bytes).into_owned();
    let _ = codec::decode(
        &Encoded {
            beian_info: text.clone(),
            beian_info_hash: text,
            encrypt_algorithm: EncryptAlgorithm::AesCbc,
            hash_algorithm: HashAlgorithm::Md5,
            compression_format: CompressionFormat::Zip,
        },
        Some(&backend::aes_key()),
    );
}

/// The dispatcher answers with a code.
fn dispatch_answers_with_a_code(bytes: &[u8]) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let backend = TestBackend::new(false);
    let (status, body) = rt.block_on(handle_soap(bytes, &backend));
    match status {
        500 => match soap::parse_response(&body) {
            Err(soap::SoapError::Fault(text)) => assert!(text.starts_with("999"), "{text}"),
            other => panic!("500 without a 999 fault: {other:?}"),
        },
        200 => {
            let ret: MethodReturn = from_xml_str(&soap::parse_response(&body).unwrap()).unwrap();
            assert!(
                ret.code().is_some(),
                "code {} not in the table",
                ret.msg_code
            );
        }
        other => panic!("status {other}"),
    }
}

fn valid_upload_envelope() -> Vec<u8> {
    let xml = to_gbk_document(&common::first_filing()).unwrap();
    let enc = codec::encode("upload.xml", &xml, None).unwrap();
    let req = UploadRequest {
        auth: backend::credentials().sign(),
        beian_info: enc.beian_info,
        beian_info_hash: enc.beian_info_hash,
        data_sequence: "1".into(),
        encrypt_algorithm: 0,
        compression_format: 0,
    };
    soap::write_request(NAMESPACE, Method::Upload, &req.to_params())
}

fn valid_documents() -> Vec<Vec<u8>> {
    let mut docs: Vec<Vec<u8>> = common::upload_samples()
        .iter()
        .map(|(_, d)| to_gbk_document(d).unwrap())
        .collect();
    docs.extend(
        common::download_samples()
            .iter()
            .map(|(_, d)| to_gbk_document(d).unwrap()),
    );
    docs.push(
        to_utf8_document(&MethodReturn::sequence_gap(&[3]))
            .unwrap()
            .into_bytes(),
    );
    docs.push(codec::zip_one("a.xml", &docs[0]).unwrap());
    docs.push(valid_upload_envelope());
    docs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        parse_everything(&bytes);
        dispatch_answers_with_a_code(&bytes);
    }

    #[test]
    fn mutated_valid_messages(which in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let docs = valid_documents();
        let bytes = mutate(docs[which % docs.len()].clone(), &mutations);
        parse_everything(&bytes);
    }

    #[test]
    fn mutated_upload_envelopes(mutations in prop::collection::vec(mutation(), 1..6)) {
        let bytes = mutate(valid_upload_envelope(), &mutations);
        parse_everything(&bytes);
        dispatch_answers_with_a_code(&bytes);
    }
}
