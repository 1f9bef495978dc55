//! The simulator's small HTML pages (public query, the bureau's SMS page, password recovery,
//! the review console), hand-escaped, with texts from the message catalogue.

use beian_core::i18n::{Locale, render};

use crate::bureau::Submission;
use crate::query::PublicRecord;

/// Escapes text for HTML content and attribute values.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn t(locale: Locale, key: &str) -> String {
    esc(&render(locale, key, &[]))
}

/// The simulator's own look (a bureau's, clearly not the provider's): a dark red band naming
/// the simulated ministry system, readable on a phone.
fn page(locale: Locale, title: &str, body: &str) -> String {
    let band = match locale {
        Locale::ZhCn => "工业和信息化部 ICP/IP地址/域名信息备案管理系统（模拟器）",
        Locale::En => "MIIT ICP/IP/Domain Filing System (simulator)",
    };
    format!(
        "<!doctype html><html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{title}</title>\
         <style>body{{font-family:\"SimSun\",\"Songti SC\",serif;margin:0;background:#f4f1ea;color:#222}}\
         .band{{background:#8b1a1a;color:#fff;padding:.8em 1em;font-weight:bold;letter-spacing:.05em}}\
         main{{max-width:56em;margin:0 auto;padding:1em}}h1{{font-size:1.3em;border-bottom:2px solid #8b1a1a}}\
         table{{border-collapse:collapse;background:#fff;width:100%}}\
         td,th{{border:1px solid #b9a98f;padding:4px 8px;text-align:left}}th{{background:#e9e0cf}}\
         input,button{{font:inherit;padding:.3em .5em;margin:.2em 0}}button{{background:#8b1a1a;color:#fff;border:0}}\
         </style></head><body><div class=\"band\">{band}</div><main><h1>{title}</h1>{body}</main></body></html>",
        locale.tag()
    )
}

/// The public query page with its results.
pub fn query(locale: Locale, records: &[PublicRecord], asked: bool) -> String {
    let mut body = format!(
        "<form method=\"get\"><input name=\"domain\" placeholder=\"{}\"> \
         <input name=\"number\" placeholder=\"{}\"> <input name=\"sponsor\" placeholder=\"{}\"> \
         <button>{}</button></form>",
        t(locale, "regulator.page.domain"),
        t(locale, "regulator.page.website_number"),
        t(locale, "regulator.page.sponsor_name"),
        t(locale, "regulator.page.submit"),
    );
    if asked && records.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>",
            t(locale, "regulator.page.query_none")
        ));
    } else if !records.is_empty() {
        body.push_str("<table><tr>");
        for key in [
            "sponsor_name",
            "nature",
            "sponsor_number",
            "website_name",
            "domain",
            "website_number",
            "approved_on",
        ] {
            body.push_str(&format!(
                "<th>{}</th>",
                t(locale, &format!("regulator.page.{key}"))
            ));
        }
        body.push_str("</tr>");
        for r in records {
            body.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&r.sponsor_name),
                esc(&r.sponsor_nature),
                esc(&r.sponsor_number),
                esc(&r.website_name),
                esc(&r.domain),
                esc(&r.website_number),
                esc(&r.approved_on)
            ));
        }
        body.push_str("</table>");
    }
    page(locale, &t(locale, "regulator.page.query_title"), &body)
}

/// The simulated phone inbox (`/sim/phone-inbox?mobile=…` asked for as a page): a number to
/// open, and the texts sent to it, newest first.
pub fn phone_inbox(locale: Locale, mobile: &str, texts: &[crate::service::Text]) -> String {
    let mut body = format!(
        "<p>{}</p><form method=\"get\"><label>{} <input name=\"mobile\" value=\"{}\"></label> \
         <button>{}</button></form>",
        t(locale, "regulator.page.inbox_intro"),
        t(locale, "regulator.page.mobile"),
        esc(mobile),
        t(locale, "regulator.page.inbox_open"),
    );
    if texts.is_empty() {
        body.push_str(&format!(
            "<p class=\"result\">{}</p>",
            t(locale, "regulator.page.inbox_empty")
        ));
    } else {
        body.push_str(&format!(
            "<table><tr><th>{}</th><th>{}</th></tr>",
            t(locale, "regulator.page.inbox_sent_at"),
            t(locale, "regulator.page.inbox_text"),
        ));
        for text in texts.iter().rev() {
            body.push_str(&format!(
                "<tr><td>{}</td><td class=\"text\">{}</td></tr>",
                esc(&beijing_time(&text.sent_at)),
                esc(&text.text)
            ));
        }
        body.push_str("</table>");
    }
    page(locale, &t(locale, "regulator.page.inbox_title"), &body)
}

/// A stored instant (RFC 3339, UTC) as a phone in China shows it: Beijing time, to the
/// second, as the texts themselves and the portal give times.
fn beijing_time(sent_at: &str) -> String {
    let beijing = chrono::FixedOffset::east_opt(8 * 3600);
    match (chrono::DateTime::parse_from_rfc3339(sent_at), beijing) {
        (Ok(at), Some(tz)) => at
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string(),
        _ => sent_at.replace('T', " ").chars().take(19).collect(),
    }
}

/// The bureau's SMS verification form, with the answer to the last try if any.
pub fn sms_form(locale: Locale, message: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(message) = message {
        body.push_str(&format!("<p class=\"result\">{}</p>", esc(message)));
    }
    body.push_str(&format!(
        "<form method=\"post\"><label>{} <input name=\"mobile\"></label> \
         <label>{} <input name=\"code\"></label> <button>{}</button></form>",
        t(locale, "regulator.page.mobile"),
        t(locale, "regulator.page.code"),
        t(locale, "regulator.page.submit"),
    ));
    page(locale, &t(locale, "regulator.page.sms_title"), &body)
}

/// The password-recovery page: ask for a code, then enter it.
pub fn recovery_form(locale: Locale, message: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(message) = message {
        body.push_str(&format!("<p class=\"result\">{}</p>", esc(message)));
    }
    body.push_str(&format!(
        "<form method=\"post\"><label>{number} <input name=\"number\"></label> \
         <button>{submit}</button></form>\
         <form method=\"post\" action=\"/bureau/password-recovery/confirm\"><label>{number} \
         <input name=\"number\"></label> <label>{code} <input name=\"code\"></label> \
         <button>{submit}</button></form>",
        number = t(locale, "regulator.page.sponsor_number"),
        code = t(locale, "regulator.page.code"),
        submit = t(locale, "regulator.page.submit"),
    ));
    page(locale, &t(locale, "regulator.page.recovery_title"), &body)
}

/// The review console: queued submissions with approve / refuse forms.
pub fn console(locale: Locale, pending: &[Submission]) -> String {
    let mut body = String::new();
    if pending.is_empty() {
        body.push_str(&format!(
            "<p>{}</p>",
            t(locale, "regulator.page.no_pending")
        ));
    }
    for s in pending {
        let payload = serde_json::to_string_pretty(&s.request).unwrap_or_default();
        body.push_str(&format!(
            "<section><h2>#{id} {kind} · {province} · ISP {isp}</h2><pre>{payload}</pre>\
             <form method=\"post\" action=\"/sim/bureau/console/{id}\">\
             <label>{reasons} <textarea name=\"reasons\"></textarea></label>\
             <button name=\"approve\" value=\"true\">{approve}</button> \
             <button name=\"approve\" value=\"false\">{refuse}</button></form></section>",
            id = s.id,
            kind = esc(s.kind.name_zh()),
            province = esc(&s.province),
            isp = s.provider_id,
            payload = esc(&payload),
            reasons = t(locale, "regulator.page.reasons"),
            approve = t(locale, "regulator.page.approve"),
            refuse = t(locale, "regulator.page.refuse"),
        ));
    }
    page(locale, &t(locale, "regulator.page.console_title"), &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn the_inbox_page_lists_texts_newest_first_escaped() {
        let text = |t: &str, at: &str| crate::service::Text {
            mobile: "13800138000".into(),
            text: t.into(),
            sent_at: at.into(),
        };
        let html = phone_inbox(
            Locale::ZhCn,
            "13800138000",
            &[
                text("验证码 111111", "08:00"),
                text("<b>验证码</b> 222222", "09:00"),
            ],
        );
        let newer = html.find("222222").unwrap();
        let older = html.find("111111").unwrap();
        assert!(newer < older, "{html}");
        assert!(html.contains("&lt;b&gt;"), "{html}");
        assert!(html.contains("模拟手机收件箱"));
        let at = phone_inbox(
            Locale::ZhCn,
            "13800138000",
            &[text("验证码 333333", "2026-12-07T09:55:42.000000Z")],
        );
        assert!(at.contains("2026-12-07 17:55:42"), "not Beijing time: {at}");
        let empty = phone_inbox(Locale::En, "13800138000", &[]);
        assert!(empty.contains("No text has reached"), "{empty}");
    }

    #[test]
    fn page_keys_exist() {
        for key in [
            "inbox_title",
            "inbox_intro",
            "inbox_empty",
            "inbox_sent_at",
            "inbox_text",
            "inbox_open",
            "sms_title",
            "mobile",
            "code",
            "submit",
            "query_title",
            "query_none",
            "sponsor_name",
            "nature",
            "sponsor_number",
            "website_name",
            "domain",
            "website_number",
            "approved_on",
            "console_title",
            "approve",
            "refuse",
            "reasons",
            "no_pending",
            "recovery_title",
            "recovery_sent",
            "recovery_done",
            "recovery_failed",
        ] {
            let key = format!("regulator.page.{key}");
            assert!(beian_core::i18n::has_key(&key), "{key}");
        }
    }
}
