//! Rendering a [`Notification`] into an email or an SMS from `messages/notify.toml`.
//!
//! - Email is bilingual: the recipient's locale first, the other language below a rule, in
//!   one message (plain text and HTML alternatives). The subject carries both: `主题 / Subject`.
//! - SMS is one language only, the recipient's locale (zh-CN unless they chose en): a text to a
//!   mainland mobile must stay within one 70-character segment with the signature, which a
//!   bilingual text cannot. The zh-CN SMS texts are written to fit (a test checks it).

use super::message::Notification;
use beian_core::i18n::{Locale, Messages};
use serde::{Deserialize, Serialize};
use std::sync::OnceLock;

/// The message files of this area, compiled in.
const FILES: &[(&str, &str)] = &[("notify", include_str!("../../messages/notify.toml"))];

/// The notification texts. A file that does not parse is a build defect that the unit tests
/// catch; at run time it is logged once and the texts then show their keys.
pub fn messages() -> &'static Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        Messages::from_files(FILES).unwrap_or_else(|e| {
            tracing::error!(error = %e, "notification texts do not parse");
            Messages::default()
        })
    })
}

pub(super) fn text(locale: Locale, key: &str, args: &[(&str, String)]) -> String {
    messages().render(locale, key, args)
}

/// Deployment facts the texts name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderContext {
    /// The provider's name as customers know it, e.g. `示例云`.
    pub provider_name: String,
    /// Where the portal is, e.g. `https://beian.example.com`.
    pub portal_url: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text_body: String,
    pub html_body: Option<String>,
}

/// The text of an SMS, without the gateway's signature (`【…】`), which the gateway adds.
#[derive(Clone, PartialEq, Eq)]
pub struct RenderedSms {
    pub text: String,
}

impl std::fmt::Debug for RenderedSms {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The text may hold a secret code.
        write!(f, "RenderedSms({} chars)", self.text.chars().count())
    }
}

fn other(locale: Locale) -> Locale {
    match locale {
        Locale::ZhCn => Locale::En,
        Locale::En => Locale::ZhCn,
    }
}

fn part_args(n: &Notification, locale: Locale, ctx: &RenderContext) -> Vec<(&'static str, String)> {
    let mut args = n.args(locale);
    args.push(("provider_name", ctx.provider_name.clone()));
    args.push(("portal_url", ctx.portal_url.clone()));
    args
}

/// The plain-text body in one locale: greeting, the event's body, footer.
fn body(n: &Notification, locale: Locale, ctx: &RenderContext) -> String {
    let args = part_args(n, locale, ctx);
    let event = n.event();
    [
        text(locale, "notify.common.greeting", &args),
        text(locale, &format!("notify.{event}.body"), &args),
        text(locale, "notify.common.footer", &args),
    ]
    .join("\n\n")
}

/// The email for `n`, `locale` first and the other language below.
pub fn render_email(n: &Notification, locale: Locale, ctx: &RenderContext) -> RenderedEmail {
    let event = n.event();
    let key = format!("notify.{event}.subject");
    let subject = [locale, other(locale)]
        .map(|l| text(l, &key, &part_args(n, l, ctx)))
        .join(" / ");
    let first = body(n, locale, ctx);
    let second = body(n, other(locale), ctx);
    let text_body = format!("{first}\n\n――――――――――――――――\n\n{second}\n");
    let html_body = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n\
         {}\n<hr>\n{}\n</body></html>\n",
        escape(&subject),
        html_section(locale, &first),
        html_section(other(locale), &second),
    );
    RenderedEmail {
        subject,
        text_body,
        html_body: Some(html_body),
    }
}

/// The SMS for `n` in `locale`, or `None` when the event is not sent by SMS.
pub fn render_sms(n: &Notification, locale: Locale, ctx: &RenderContext) -> Option<RenderedSms> {
    if !n.channels().contains(&super::Channel::Sms) {
        return None;
    }
    let key = format!("notify.{}.sms", n.event());
    Some(RenderedSms {
        text: text(locale, &key, &part_args(n, locale, ctx)),
    })
}

fn html_section(locale: Locale, body: &str) -> String {
    let paragraphs: Vec<String> = body
        .split("\n\n")
        .map(|p| format!("<p>{}</p>", escape(p).replace('\n', "<br>\n")))
        .collect();
    format!(
        "<div lang=\"{}\">\n{}\n</div>",
        locale.tag(),
        paragraphs.join("\n")
    )
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}
