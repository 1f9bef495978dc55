use std::path::Path;
use std::process::Command;

use beian_core::i18n::has_key;
use beian_core::sponsor::CertificateType;

use beian_core::i18n::Locale;

use super::layout::{Flow, Op};
use super::*;
use crate::materials::{FileType, UploadLimits, sanitize};

/// The default (embedded) font: always there.
fn font() -> Option<FormFont> {
    Some(FontConfig::default().load().unwrap())
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

fn sample() -> VerificationFormData {
    VerificationFormData {
        order_id: "ord_01JDX8K2Q4".to_owned(),
        kind: FilingKind::FirstFiling,
        sponsor_name: "杭州云栖网络科技有限公司".to_owned(),
        sponsor_nature: SponsorNature::Enterprise,
        sponsor_certificate: Certificate::new(CertificateType::CreditCode, "91330106MA2B1234XY"),
        sponsor_address: "浙江省杭州市西湖区文三路 478 号华星时代广场 A 座 1201 室".to_owned(),
        sponsor_responsible: "张伟".to_owned(),
        website_name: "云栖科技官网".to_owned(),
        domain: "yunqi-tech.cn".to_owned(),
        home_url: "https://www.yunqi-tech.cn/".to_owned(),
        service_content: "企业官网：公司介绍、产品展示、新闻动态、联系我们".to_owned(),
        website_responsible: "李娜".to_owned(),
        website_responsible_certificate: Certificate::new(
            CertificateType::ResidentId,
            "330106199001011234",
        ),
        access_provider: "示例云计算有限公司".to_owned(),
        ips: vec!["47.96.10.21".to_owned(), "47.96.10.22".to_owned()],
        date: NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    }
}

/// Whitespace-insensitive containment: pdftotext may split or space a line.
fn contains(haystack: &str, needle: &str) -> bool {
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    squash(haystack).contains(&squash(needle))
}

#[test]
fn every_message_key_exists() {
    for key in content::KEYS {
        assert!(has_key(&format!("verification_form.{key}")), "{key}");
    }
    let error = FormError::Pdf("x".to_owned());
    assert!(has_key(error.message_key()));
}

#[test]
fn a_missing_or_broken_font_is_a_clear_error() {
    let missing = FormFont::load(Path::new("/nonexistent/font.ttc"), 0).unwrap_err();
    assert!(
        matches!(&missing, FormError::FontMissing { path, .. } if path == Path::new("/nonexistent/font.ttc"))
    );
    assert!(missing.to_string().contains("embedded font"), "{missing}");
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.ttf");
    std::fs::write(&junk, b"not a font at all").unwrap();
    assert!(matches!(
        FormFont::load(&junk, 0),
        Err(FormError::FontInvalid { .. })
    ));
}

#[test]
fn debug_masks_certificate_numbers() {
    let debug = format!("{:?}", sample());
    assert!(!debug.contains("91330106MA2B1234XY"), "{debug}");
    assert!(!debug.contains("330106199001011234"), "{debug}");
    assert!(debug.contains("3301**********1234"), "{debug}");
}

#[test]
fn wrapping_keeps_every_character_and_the_width() {
    let Some(font) = font() else { return };
    let flow = Flow::new(font.measure().unwrap());
    let cases: &[(&str, f32)] = &[
        (
            "浙江省杭州市西湖区文三路 478 号华星时代广场 A 座 1201 室",
            120.0,
        ),
        ("47.96.10.21, 47.96.10.22, 47.96.10.23, 47.96.10.24", 90.0),
        (
            "https://www.a-very-long-domain-name-for-wrapping.example.cn/index.html",
            100.0,
        ),
        ("短", 100.0),
    ];
    for (text, width) in cases {
        let lines = flow.wrap(text, 10.5, *width);
        for line in &lines {
            assert!(
                flow.measure.width(line, 10.5) <= *width,
                "{line:?} in {width}"
            );
        }
        assert!(contains(&lines.concat(), text), "{lines:?}");
    }
    // IPs break between addresses, not inside one, when they fit.
    let ips = flow.wrap("47.96.10.21, 47.96.10.22, 47.96.10.23", 10.5, 90.0);
    assert!(ips.len() > 1, "{ips:?}");
    assert!(
        ips.iter().all(|l| l
            .trim_end_matches(',')
            .split(", ")
            .all(|ip| ip.split('.').count() == 4)),
        "{ips:?}"
    );
}

#[test]
fn the_form_is_a_pdf_with_real_chinese_text() {
    let Some(font) = font() else { return };
    let data = sample();
    let pdf = generate(&data, &font).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    if std::env::var_os("BEIAN_FORM_OUT").is_some() {
        std::fs::write("/tmp/verification_form.pdf", &pdf).unwrap();
    }
    let Some(text) = pdftotext(&pdf) else { return };
    for expected in [
        "网站备案信息真实性核验单",
        "杭州云栖网络科技有限公司",
        "yunqi-tech.cn",
        "云栖科技官网",
        "91330106MA2B1234XY",
        "330106199001011234",
        "首次备案",
        "2026年11月23日",
        "47.96.10.22",
        "签字/盖章",
        "黑色签字笔",
        "ord_01JDX8K2Q4",
    ] {
        assert!(
            contains(&text, expected),
            "{expected} missing from:\n{text}"
        );
    }
    // One page.
    assert_eq!(text.matches('\u{c}').count(), 1, "{text}");
}

#[test]
fn the_form_passes_the_upload_checks_and_the_config_defaults_to_the_embedded_font() {
    let config: FontConfig = serde_json::from_str("{}").unwrap();
    assert_eq!(config.path, None);
    assert_eq!(config.index, 0);
    let Some(font) = font() else { return };
    let pdf = generate(&sample(), &font).unwrap();
    let uploaded = sanitize(&pdf, &UploadLimits::default()).unwrap();
    assert_eq!(uploaded.file_type, FileType::Pdf);
}

#[test]
fn the_signature_box_is_never_cut_across_pages() {
    let Some(font) = font() else { return };
    let zh = |key: &str| beian_core::i18n::render(Locale::ZhCn, key, &[]);
    let (sign, date) = (
        zh("verification_form.sign.sponsor"),
        zh("verification_form.sign.date"),
    );
    let has = |page: &[Op], wanted: &str| {
        page.iter()
            .filter(|op| matches!(op, Op::Text { text, .. } if text == wanted))
            .count()
    };
    // Enough IP counts that the box falls on every position relative to a page break.
    for count in (0..500).step_by(7) {
        let mut data = sample();
        data.ips = (0..count)
            .map(|i| format!("10.1.{}.{}", i / 250, i % 250))
            .collect();
        let pages = content::lay_out(&data, font.measure().unwrap());
        let page = pages.iter().find(|p| has(p, &sign) == 1).unwrap();
        assert_eq!(has(page, &date), 2, "{count} IPs");
    }
}

#[test]
fn long_data_flows_onto_a_second_page() {
    let Some(font) = font() else { return };
    let mut data = sample();
    data.ips = (0..400)
        .map(|i| format!("10.0.{}.{}", i / 250, i % 250))
        .collect();
    let pages = content::lay_out(&data, font.measure().unwrap());
    assert!(pages.len() >= 2, "{}", pages.len());
    let pdf = generate(&data, &font).unwrap();
    if std::env::var_os("BEIAN_FORM_OUT").is_some() {
        std::fs::write("/tmp/verification_form_long.pdf", &pdf).unwrap();
    }
    let Some(text) = pdftotext(&pdf) else { return };
    assert!(text.matches('\u{c}').count() >= 2);
    assert!(contains(&text, "10.0.1.149"), "the last IP is printed");
    assert!(contains(&text, "黑色签字笔"));
}

#[test]
fn the_embedded_font_covers_every_gb2312_hanzi() {
    let font = FormFont::embedded().unwrap();
    let measure = font.measure().unwrap();
    let mut checked = 0;
    for lead in 0xB0u8..=0xF7 {
        for trail in 0xA1u8..=0xFE {
            let bytes = [lead, trail];
            let (text, _, malformed) = encoding_rs::GBK.decode(&bytes);
            // Row 0xD7 ends at 0xF9; the five cells after it are unassigned in GB 2312.
            if malformed || (lead == 0xD7 && trail > 0xF9) {
                continue;
            }
            for c in text.chars() {
                assert!(measure.covers(c), "U+{:04X} {c}", c as u32);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6763);
}
