//! Request bodies and valid identifiers: credit codes and resident ids with their check
//! characters, the filing check, a person, a website form, a small real JPEG and multipart
//! bodies.

use std::io::Cursor;

use beian_core::credit_code::CreditCode;
use serde_json::{Value, json};

/// A valid unified social credit code of a Hangzhou enterprise, numbered by `serial`.
pub fn credit_code(serial: u32) -> String {
    CreditCode::from_parts(&format!("91330106{serial:08}"))
        .unwrap()
        .as_str()
        .to_owned()
}

/// A valid resident id number, numbered by `serial` (mod 1000).
pub fn resident_id(serial: u32) -> String {
    let body = format!("33010619900101{:03}", serial % 1000);
    let check = beian_core::resident_id::check_character(&body).unwrap();
    format!("{body}{check}")
}

/// The filing check (`POST /orders`) of an enterprise in Zhejiang.
pub fn check(domain: &str, cert: &str, name: &str) -> Value {
    json!({"domain": domain, "sponsor": {"province": "33", "nature": "enterprise",
           "certificate_type": "credit_code", "certificate_number": cert, "name": name}})
}

/// A responsible person.
pub fn person() -> Value {
    json!({"name": "张三", "certificate_type": "resident_id",
           "certificate_number": resident_id(1), "mobile": "13800138000",
           "email": "zhang@example.cn", "emergency_mobile": "13900139000",
           "office_phone": "0571-88888888"})
}

/// The sponsor form of the check `body`.
pub fn sponsor_of(body: &Value) -> Value {
    let mut sponsor = body["sponsor"].clone();
    sponsor["address"] = json!("浙江省杭州市西湖区文三路 1 号");
    sponsor["responsible"] = person();
    sponsor
}

/// The website form of `domain`.
pub fn website(domain: &str) -> Value {
    json!({"name": "示例网站", "domain": domain, "home_url": format!("https://www.{domain}/"),
           "service_content": "企业官网", "languages": ["zh_cn"], "responsible": person(),
           "pre_approvals": []})
}

/// A small real picture, as a phone camera would send it.
pub fn jpeg() -> Vec<u8> {
    let picture = image::RgbImage::from_fn(80, 60, |x, y| {
        image::Rgb([(x * 3) as u8, (y * 4) as u8, 160])
    });
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Jpeg)
        .unwrap();
    out.into_inner()
}

/// The boundary of [`multipart`] bodies.
pub const BOUNDARY: &str = "beian-test-boundary-42";

/// A multipart body with the given text fields and one `file` part.
pub fn multipart(fields: &[(&str, &str)], file: &[u8], content_type: &str) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\
             Content-Type: {content_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// The first run of six digits in `text` (an SMS code).
pub fn code_in(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    chars.windows(6).find_map(|w| {
        w.iter()
            .all(char::is_ascii_digit)
            .then(|| w.iter().collect())
    })
}
