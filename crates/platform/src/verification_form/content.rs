//! What the form says and where: title, order line, the data table (sponsor, website,
//! access), the pledge, the signature boxes (签字/盖章, with date lines to fill by hand), the
//! provider's verification box and the instructions. Texts come from the message catalogue,
//! in zh-CN.

use beian_core::i18n::{Locale, render};
use chrono::Datelike;

use super::VerificationFormData;
use super::font::Measure;
use super::layout::{CONTENT_WIDTH, Flow, MARGIN, Op};

const LABEL_WIDTH: f32 = 150.0;
const BODY_SIZE: f32 = 10.5;

fn text(key: &str) -> String {
    render(Locale::ZhCn, &format!("verification_form.{key}"), &[])
}

fn text_with(key: &str, args: &[(&str, String)]) -> String {
    render(Locale::ZhCn, &format!("verification_form.{key}"), args)
}

/// The form's title.
pub(super) fn title() -> String {
    text("title")
}

/// Every message key the form uses (for the completeness test).
#[cfg(test)]
pub(super) const KEYS: &[&str] = &[
    "title",
    "meta",
    "date",
    "section.sponsor",
    "section.website",
    "label.sponsor_name",
    "label.sponsor_nature",
    "label.certificate_type",
    "label.certificate_number",
    "label.sponsor_address",
    "label.sponsor_responsible",
    "label.website_name",
    "label.domain",
    "label.home_url",
    "label.service_content",
    "label.website_responsible",
    "label.website_responsible_certificate",
    "label.access_provider",
    "label.ips",
    "pledge",
    "sign.sponsor",
    "sign.website",
    "sign.date",
    "verifier.title",
    "verifier.sign",
    "verifier.date",
    "instructions.title",
    "instructions.print",
    "instructions.sign",
    "instructions.upload",
    "instructions.order",
    "unavailable",
];

/// The values printed from the data, one per table row.
fn rows(data: &VerificationFormData) -> Vec<(&'static str, String)> {
    let sponsor = &data.sponsor_certificate;
    let website = &data.website_responsible_certificate;
    vec![
        ("section.sponsor", String::new()),
        ("label.sponsor_name", data.sponsor_name.clone()),
        (
            "label.sponsor_nature",
            data.sponsor_nature.name_zh().to_owned(),
        ),
        (
            "label.certificate_type",
            sponsor.certificate_type.name_zh().to_owned(),
        ),
        ("label.certificate_number", sponsor.number.clone()),
        ("label.sponsor_address", data.sponsor_address.clone()),
        (
            "label.sponsor_responsible",
            data.sponsor_responsible.clone(),
        ),
        ("section.website", String::new()),
        ("label.website_name", data.website_name.clone()),
        ("label.domain", data.domain.clone()),
        ("label.home_url", data.home_url.clone()),
        ("label.service_content", data.service_content.clone()),
        (
            "label.website_responsible",
            data.website_responsible.clone(),
        ),
        (
            "label.website_responsible_certificate",
            format!("{}  {}", website.certificate_type.name_zh(), website.number),
        ),
        ("label.access_provider", data.access_provider.clone()),
        ("label.ips", data.ips.join(", ")),
    ]
}

/// The data values as one string, to check the font covers them.
pub(super) fn all_text(data: &VerificationFormData) -> String {
    rows(data)
        .into_iter()
        .map(|(_, v)| v)
        .chain([data.order_id.clone()])
        .collect()
}

fn date(data: &VerificationFormData) -> String {
    text_with(
        "date",
        &[
            ("year", data.date.year().to_string()),
            ("month", data.date.month().to_string()),
            ("day", data.date.day().to_string()),
        ],
    )
}

pub(super) fn lay_out(data: &VerificationFormData, measure: Measure<'_>) -> Vec<Vec<Op>> {
    let mut flow = Flow::new(measure);
    flow.centred(&text("title"), 20.0);
    flow.space(6.0);
    let meta = text_with(
        "meta",
        &[
            ("order_id", data.order_id.clone()),
            ("kind", data.kind.name_zh().to_owned()),
            ("date", date(data)),
        ],
    );
    flow.paragraph(&meta, 9.5, MARGIN, CONTENT_WIDTH);
    flow.space(4.0);
    for (key, value) in rows(data) {
        if value.is_empty() && key.starts_with("section.") {
            flow.row(&[(CONTENT_WIDTH, &text(key))], 11.0, 0.0, true);
        } else {
            let label = text(key);
            flow.row(
                &[(LABEL_WIDTH, &label), (CONTENT_WIDTH - LABEL_WIDTH, &value)],
                BODY_SIZE,
                20.0,
                false,
            );
        }
    }
    flow.row(&[(CONTENT_WIDTH, &text("pledge"))], BODY_SIZE, 0.0, true);
    let half = CONTENT_WIDTH / 2.0;
    let sign = |key: &str| format!("{}\n\n\n\n{}", text(key), text("sign.date"));
    flow.row(
        &[(half, &sign("sign.sponsor")), (half, &sign("sign.website"))],
        BODY_SIZE,
        86.0,
        true,
    );
    let verifier = format!(
        "{}\n{}\n\n{}",
        text_with(
            "verifier.title",
            &[("provider", data.access_provider.clone())]
        ),
        text("verifier.sign"),
        text("verifier.date"),
    );
    flow.row(&[(CONTENT_WIDTH, &verifier)], BODY_SIZE, 0.0, true);
    flow.space(6.0);
    flow.paragraph(&text("instructions.title"), 10.0, MARGIN, CONTENT_WIDTH);
    for key in ["print", "sign", "upload"] {
        flow.paragraph(
            &text(&format!("instructions.{key}")),
            9.0,
            MARGIN,
            CONTENT_WIDTH,
        );
    }
    let order = text_with("instructions.order", &[("order_id", data.order_id.clone())]);
    flow.paragraph(&order, 9.0, MARGIN, CONTENT_WIDTH);
    flow.into_pages()
}
