//! Materials over HTTP on each backend, with the real server: an upload cleaned of its EXIF
//! and stored in the object store (a second one of the same kind replaces it), a text file
//! and an unknown kind refused by field, bodies over the cap refused with 413 (declared, and
//! streamed), another applicant's 404, an order in review's 409; the verification form as a
//! PDF that names the domain (503 `font_unavailable` without its font), both in the OpenAPI
//! document.

use std::io::Cursor;
use std::process::Command;

use beian_store::testing;

use crate::harness::setup::product_and_materials;
use crate::harness::{Session, TestApp, TestAppBuilder, check, credit_code, person};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SECRET: &[u8] = b"GPS-31.2304N-121.4737E";
const CAP: usize = 200 * 1024;

/// The server with a small upload cap.
fn capped() -> TestAppBuilder {
    TestApp::new().settings(|s| s.uploads.max_bytes = CAP)
}

/// A JPEG with an APP1 Exif segment (carrying `SECRET`) right after SOI.
fn jpeg_with_exif() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(64, 48, |x, y| {
        image::Rgb([(x * 4) as u8, (y * 5) as u8, 128])
    });
    let mut plain = Cursor::new(Vec::new());
    picture
        .write_to(&mut plain, image::ImageFormat::Jpeg)
        .unwrap();
    let plain = plain.into_inner();
    let mut payload = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    payload.extend_from_slice(SECRET);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend_from_slice(&[0xFF, 0xE1]);
    jpeg.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    jpeg.extend_from_slice(&payload);
    jpeg.extend_from_slice(&plain[2..]);
    jpeg
}

const BOUNDARY: &str = "beian-test-boundary-7d9";

/// A multipart body with a `kind` field and a `file` part.
pub(crate) fn multipart(kind: &str, file: &[u8], content_type: &str) -> Vec<u8> {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\n{kind}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\
         Content-Type: {content_type}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

pub(crate) async fn upload(s: &Session, id: &str, body: Vec<u8>) -> (StatusCode, Value) {
    s.send(
        s.req(reqwest::Method::POST, &format!("/orders/{id}/materials"))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body),
    )
    .await
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Sends a raw HTTP/1.1 upload request (headers, then `chunks` chunked unless
/// `content_length` is given) and returns the status line.
async fn raw_upload(
    addr: &str,
    s: &Session,
    id: &str,
    content_length: Option<usize>,
    chunks: &[Vec<u8>],
) -> String {
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let length = match content_length {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_owned(),
    };
    let head = format!(
        "POST /api/v1/orders/{id}/materials HTTP/1.1\r\nHost: {addr}\r\n\
         Cookie: beian_session={}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n{length}\r\n",
        s.cookie
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    for chunk in chunks {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        // The server may answer and close before taking everything.
        if tcp.write_all(&framed).await.is_err() {
            break;
        }
    }
    let mut answer = vec![0u8; 512];
    let n = tcp.read(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer[..n]).to_string();
    text.lines().next().unwrap_or_default().to_owned()
}

/// A draft order with both forms filled, for `domain`.
pub(crate) async fn draft(s: &Session, domain: &str, serial: u32) -> String {
    let body = check(domain, &credit_code(serial), "杭州戊科技有限公司");
    let (status, created) = s.post("/orders", body.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["order_id"].as_str().unwrap().to_owned();
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    sponsor["responsible"] = person();
    let (status, order) = s.put(&format!("/orders/{id}/sponsor"), sponsor).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    let website = json!({"name": "示例网站", "domain": domain,
        "home_url": format!("https://www.{domain}/"), "service_content": "企业官网",
        "languages": ["zh_cn"], "responsible": person(), "pre_approvals": []});
    let (status, order) = s.put(&format!("/orders/{id}/website"), website).await;
    assert_eq!(status, StatusCode::OK, "{order}");
    id
}

#[tokio::test]
async fn uploads_are_cleaned_stored_replaced_and_refused() {
    testing::each_backend(async |t| {
        let api = capped().start(t).await;
        let addr = api.addr.to_string();
        let alice = api.new_applicant("alice").await;
        let id = draft(&alice, "upload-example.cn", 11).await;
        let objects = &api.objects;

        let jpeg = jpeg_with_exif();
        assert!(contains(&jpeg, b"Exif") && contains(&jpeg, SECRET));
        let (status, added) = upload(
            &alice,
            &id,
            multipart("sponsor_id_front", &jpeg, "image/jpeg"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        assert_eq!(added["kind"], "sponsor_id_front");
        assert_eq!(added["content_type"], "image/jpeg");
        let rows = api.store.materials(&id).await.unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(added["id"], rows[0].id.as_str());
        assert_eq!(added["sha256"], rows[0].sha256_hex.as_str());
        let stored = objects.get(&rows[0].object_key).await.unwrap();
        assert_eq!(added["size"], stored.len());
        assert!(stored.starts_with(&[0xFF, 0xD8]));
        assert!(!contains(&stored, b"Exif") && !contains(&stored, SECRET));

        // The same kind again replaces the row and deletes the old object.
        let (status, again) = upload(
            &alice,
            &id,
            multipart("sponsor_id_front", &jpeg, "image/jpeg"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{again}");
        let rows_after = api.store.materials(&id).await.unwrap();
        assert_eq!(rows_after.len(), 1);
        assert_eq!(again["id"], rows_after[0].id.as_str());
        assert_ne!(rows_after[0].object_key, rows[0].object_key);
        assert!(objects.get(&rows[0].object_key).await.is_err());

        let (status, err) = upload(
            &alice,
            &id,
            multipart("sponsor_id_back", b"just some text\n", "image/jpeg"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["file"].is_string(), "{err}");
        let (status, err) = upload(&alice, &id, multipart("selfie", &jpeg, "image/jpeg")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        assert!(err["error"]["fields"]["kind"].is_string(), "{err}");

        // Over the cap: declared (answered before any body is sent), and streamed.
        let line = raw_upload(&addr, &alice, &id, Some(CAP * 4), &[]).await;
        assert!(line.contains(" 413 "), "{line}");
        let big = multipart("sponsor_id_back", &vec![0xAB; CAP + 1], "image/jpeg");
        let chunks: Vec<Vec<u8>> = big.chunks(16 * 1024).map(<[u8]>::to_vec).collect();
        let line = raw_upload(&addr, &alice, &id, None, &chunks).await;
        assert!(line.contains(" 413 "), "{line}");
        let (status, err) = upload(&alice, &id, big).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{err}");
        assert_eq!(err["error"]["code"], "payload_too_large");
        assert_eq!(api.store.materials(&id).await.unwrap().len(), 1);

        let bob = api.new_applicant("bob").await;
        let (status, err) =
            upload(&bob, &id, multipart("sponsor_id_back", &jpeg, "image/jpeg")).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{err}");
        let (status, _) = bob.get(&format!("/orders/{id}/verification-form")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    })
    .await;
}

#[tokio::test]
async fn an_order_in_review_takes_no_upload() {
    testing::each_backend(async |t| {
        let api = capped().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = draft(&alice, "review-example.cn", 12).await;
        product_and_materials(&api.store, &id, "SN-MAT").await;
        let (status, order) = alice
            .put(
                &format!("/orders/{id}/product"),
                json!({"service_number": "SN-MAT"}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{order}");
        let (status, order) = alice.post(&format!("/orders/{id}/submit"), json!({})).await;
        assert_eq!(status, StatusCode::OK, "{order}");
        assert_eq!(order["state"], "provider_review");
        let before = api.store.materials(&id).await.unwrap().len();
        let (status, err) = upload(
            &alice,
            &id,
            multipart("sponsor_id_front", &jpeg_with_exif(), "image/jpeg"),
        )
        .await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "order_not_editable");
        assert_eq!(api.store.materials(&id).await.unwrap().len(), before);
    })
    .await;
}

/// `pdftotext` (poppler-utils) on a PDF, or `None` with a notice (fails under CI).
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("form.pdf");
    std::fs::write(&path, pdf).unwrap();
    match Command::new("pdftotext").arg(&path).arg("-").output() {
        Ok(out) => {
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(String::from_utf8(out.stdout).unwrap())
        }
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI needs pdftotext (poppler-utils): {e}"
            );
            eprintln!("SKIPPED: pdftotext not available ({e}); install poppler-utils");
            None
        }
    }
}

#[tokio::test]
async fn the_verification_form_downloads_as_a_pdf_naming_the_domain() {
    testing::each_backend(async |t| {
        let api = capped().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = draft(&alice, "form-example.cn", 13).await;
        let res = alice
            .req(
                reqwest::Method::GET,
                &format!("/orders/{id}/verification-form"),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["content-type"], "application/pdf");
        assert_eq!(
            res.headers()["content-disposition"],
            "attachment; filename=\"verification-form.pdf\""
        );
        let pdf = res.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        if let Some(text) = pdftotext(&pdf) {
            let squashed: String = text.chars().filter(|c| !c.is_whitespace()).collect();
            assert!(squashed.contains("form-example.cn"), "{text}");
            assert!(squashed.contains("beian接入商"), "{text}");
        }
    })
    .await;
}

#[tokio::test]
async fn a_missing_font_is_503_on_the_form_not_a_startup_failure() {
    testing::each_backend(async |t| {
        let missing = t.data_dir().join("no-such-font.ttc");
        let api = capped()
            .settings(move |s| s.form_font.path = Some(missing))
            .start(t)
            .await;
        let alice = api.new_applicant("alice").await;
        let id = draft(&alice, "nofont-example.cn", 14).await;
        let (status, err) = alice.get(&format!("/orders/{id}/verification-form")).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{err}");
        assert_eq!(err["error"]["code"], "font_unavailable");
        assert!(
            err["error"]["message"].as_str().unwrap().contains("字体"),
            "{err}"
        );

        let doc: Value = api
            .http
            .get(format!("{}/api/openapi.json", api.base))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let paths = &doc["paths"];
        assert!(
            paths["/api/v1/orders/{id}/materials"]["post"].is_object(),
            "{paths}"
        );
        assert!(
            paths["/api/v1/orders/{id}/verification-form"]["get"].is_object(),
            "{paths}"
        );
    })
    .await;
}

#[tokio::test]
async fn a_javascript_pdf_is_refused_and_kept_objects_are_sealed_on_disk() {
    testing::each_backend(async |t| {
        let api = capped().start(t).await;
        let alice = api.new_applicant("alice").await;
        let id = draft(&alice, "pdf-example.cn", 12).await;

        let js: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript \
            /JS (app.alert(1)) >> >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let (status, err) = upload(
            &alice,
            &id,
            multipart("business_license", js, "application/pdf"),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{err}");
        let message = err["error"]["fields"]["file"].as_str().unwrap_or_default();
        assert!(message.contains("OpenAction"), "{err}");
        assert!(api.store.materials(&id).await.unwrap().is_empty());

        // A PDF without active content is kept as uploaded, but sealed in the folder.
        let clean: &[u8] = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n\
            (330106199001011234 13800138000)\ntrailer << /Root 1 0 R >>\n%%EOF\n";
        let (status, added) = upload(
            &alice,
            &id,
            multipart("business_license", clean, "application/pdf"),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{added}");
        let rows = api.store.materials(&id).await.unwrap();
        assert_eq!(api.objects.get(&rows[0].object_key).await.unwrap(), clean);
        let on_disk = std::fs::read(api.data_dir.join("objects").join(&rows[0].object_key))
            .expect("the object is a file in the data dir's objects folder");
        assert!(!contains(&on_disk, b"330106199001011234"), "sealed at rest");
        assert!(!contains(&on_disk, b"13800138000"), "sealed at rest");
        assert!(!contains(&on_disk, b"%PDF"), "sealed at rest");
    })
    .await;
}
