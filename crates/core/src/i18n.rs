//! User-facing text, zh-CN first and en second, kept in message files under
//! `crates/core/messages/` (one file per area, both locales side by side) and never in code.
//!
//! A domain error implements [`Localized`]: a stable message key (also its machine code) and
//! the named arguments the message text interpolates as `{name}`.

use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// The locales the product speaks, in order of preference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Locale {
    ZhCn,
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }

    /// Picks a locale from a tag such as `en-US` or `zh-Hans-CN`; zh-CN is the default.
    pub fn from_tag(tag: &str) -> Locale {
        if tag.trim().to_ascii_lowercase().starts_with("en") {
            Locale::En
        } else {
            Locale::ZhCn
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.tag())
    }
}

/// Something that can be shown to a person in their language.
pub trait Localized {
    /// The key of the message in the catalogue, e.g. `resident_id.bad_check_digit`.
    fn message_key(&self) -> &'static str;
    /// The values the message interpolates, by name.
    fn message_args(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }
    /// The message in `locale`.
    fn localize(&self, locale: Locale) -> String {
        render(locale, self.message_key(), &self.message_args())
    }
}

/// Every message file. Each is a TOML document of tables keyed by message key, each table
/// holding one string per locale tag:
///
/// ```toml
/// [resident_id.bad_length]
/// zh-CN = "身份证号应为 18 位"
/// en = "a resident ID number has 18 characters"
/// ```
const FILES: &[(&str, &str)] = &[
    ("common", include_str!("../messages/common.toml")),
    ("province", include_str!("../messages/province.toml")),
    ("filing", include_str!("../messages/filing.toml")),
    ("order", include_str!("../messages/order.toml")),
    ("calendar", include_str!("../messages/calendar.toml")),
    ("rules", include_str!("../messages/rules.toml")),
    ("resident_id", include_str!("../messages/resident_id.toml")),
    ("credit_code", include_str!("../messages/credit_code.toml")),
    ("contact", include_str!("../messages/contact.toml")),
    ("domain", include_str!("../messages/domain.toml")),
    ("icp_number", include_str!("../messages/icp_number.toml")),
    ("app", include_str!("../messages/app.toml")),
    ("materials", include_str!("../messages/materials.toml")),
    (
        "verification_form",
        include_str!("../messages/verification_form.toml"),
    ),
    ("regulator", include_str!("../messages/regulator.toml")),
];

type Catalogue = HashMap<String, HashMap<String, String>>;

fn catalogue() -> &'static Catalogue {
    static CATALOGUE: OnceLock<Catalogue> = OnceLock::new();
    CATALOGUE.get_or_init(|| {
        let mut all = Catalogue::new();
        for (name, text) in FILES {
            // The files are compiled in and checked by a unit test; a broken file here is a
            // build defect, so it shows as missing keys rather than a panic at run time.
            match toml::from_str::<toml::Table>(text) {
                Ok(table) => flatten("", &table, &mut all),
                Err(_) => {
                    all.insert(
                        format!("__broken_file.{name}"),
                        HashMap::from([("en".to_owned(), (*name).to_owned())]),
                    );
                }
            }
        }
        all
    })
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut Catalogue) {
    let mut texts = HashMap::new();
    for (key, value) in table {
        match value {
            toml::Value::String(text) => {
                texts.insert(key.clone(), text.clone());
            }
            toml::Value::Table(inner) => {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten(&path, inner, out);
            }
            _ => {}
        }
    }
    if !texts.is_empty() {
        out.insert(prefix.to_owned(), texts);
    }
}

/// The text of `key` in `locale`, with `{name}` placeholders filled from `args`. Falls back to
/// zh-CN, then to the key itself, so a missing translation never hides the problem.
pub fn render(locale: Locale, key: &str, args: &[(&str, String)]) -> String {
    let texts = catalogue().get(key);
    let template = texts
        .and_then(|t| t.get(locale.tag()).or_else(|| t.get(Locale::ZhCn.tag())))
        .map(String::as_str)
        .unwrap_or(key);
    fill(template, args)
}

/// Fills `{name}` placeholders in one pass, so a value that itself contains `{other}` (text a
/// person typed) is inserted as it is and never expanded. Unknown placeholders stay visible.
fn fill(template: &str, args: &[(&str, String)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        let Some(end) = after.find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let name = &after[..end];
        match args.iter().find(|(n, _)| *n == name) {
            Some((_, value)) => out.push_str(value),
            None => out.push_str(&rest[start..start + end + 2]),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether the catalogue has `key` in every locale (used by tests of each area).
pub fn has_key(key: &str) -> bool {
    catalogue()
        .get(key)
        .is_some_and(|t| Locale::ALL.iter().all(|l| t.contains_key(l.tag())))
}

/// Every key in the catalogue, for completeness tests.
pub fn keys() -> Vec<&'static str> {
    catalogue().keys().map(String::as_str).collect()
}

/// A catalogue of message files kept outside core (for example the server's notification
/// texts), in the same TOML shape as [`FILES`] and with the same fallbacks as [`render`].
/// Core's own catalogue stays the global one behind [`render`]; this is for other crates.
#[derive(Debug, Clone, Default)]
pub struct Messages {
    texts: Catalogue,
}

/// A message file that does not parse: names the file and what is wrong. It is a build
/// defect (the files are compiled in), shown to the operator, never to a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("message file {file} does not parse: {reason}")]
pub struct MessagesError {
    pub file: String,
    pub reason: String,
}

impl Messages {
    /// Reads `(name, text)` pairs, each a TOML document like the files in `messages/`.
    pub fn from_files(files: &[(&str, &str)]) -> Result<Messages, MessagesError> {
        let mut texts = Catalogue::new();
        for (name, text) in files {
            let table = toml::from_str::<toml::Table>(text).map_err(|e| MessagesError {
                file: (*name).to_owned(),
                reason: e.message().to_owned(),
            })?;
            flatten("", &table, &mut texts);
        }
        Ok(Messages { texts })
    }

    /// The text of `key` in `locale` with `{name}` placeholders filled; falls back to zh-CN,
    /// then to the key itself, like [`render`].
    pub fn render(&self, locale: Locale, key: &str, args: &[(&str, String)]) -> String {
        let template = self
            .texts
            .get(key)
            .and_then(|t| t.get(locale.tag()).or_else(|| t.get(Locale::ZhCn.tag())))
            .map(String::as_str)
            .unwrap_or(key);
        fill(template, args)
    }

    /// The unfilled text of `key` in exactly `locale`, without fallback.
    pub fn text(&self, locale: Locale, key: &str) -> Option<&str> {
        self.texts.get(key)?.get(locale.tag()).map(String::as_str)
    }

    /// Whether `key` is present in every locale.
    pub fn has_key(&self, key: &str) -> bool {
        self.texts
            .get(key)
            .is_some_and(|t| Locale::ALL.iter().all(|l| t.contains_key(l.tag())))
    }

    /// Every key, for completeness tests.
    pub fn keys(&self) -> Vec<&str> {
        self.texts.keys().map(String::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_parses_and_every_key_has_both_locales() {
        for (name, text) in FILES {
            assert!(
                toml::from_str::<toml::Table>(text).is_ok(),
                "messages/{name}.toml does not parse"
            );
        }
        for key in keys() {
            assert!(!key.starts_with("__broken_file"), "{key}");
            assert!(has_key(key), "{key} lacks a locale");
        }
    }

    #[test]
    fn placeholders_are_filled_and_missing_keys_show_themselves() {
        let text = render(
            Locale::En,
            "common.field_required",
            &[("field", "name".into())],
        );
        assert!(text.contains("name"), "{text}");
        assert!(!text.contains('{'), "{text}");
        assert_eq!(render(Locale::En, "no.such.key", &[]), "no.such.key");
    }

    #[test]
    fn locale_tags() {
        assert_eq!(Locale::from_tag("en-US"), Locale::En);
        assert_eq!(Locale::from_tag("zh-Hans-CN"), Locale::ZhCn);
        assert_eq!(Locale::from_tag(""), Locale::ZhCn);
    }

    #[test]
    fn outside_files_load_render_and_name_a_broken_file() {
        let file = "[x.hello]\nzh-CN = \"你好 {who}\"\nen = \"hello {who}\"\n[x.zh_only]\nzh-CN = \"只有中文\"\n";
        let messages = Messages::from_files(&[("x", file)]).unwrap_or_default();
        assert_eq!(
            messages.render(Locale::En, "x.hello", &[("who", "Li".into())]),
            "hello Li"
        );
        assert_eq!(messages.render(Locale::En, "x.zh_only", &[]), "只有中文");
        assert_eq!(messages.render(Locale::En, "x.none", &[]), "x.none");
        assert!(messages.has_key("x.hello"));
        assert!(!messages.has_key("x.zh_only"));
        assert_eq!(messages.text(Locale::En, "x.zh_only"), None);
        let broken = Messages::from_files(&[("x", file), ("bad", "[a\nzh-CN = 1")]);
        assert_eq!(broken.err().map(|e| e.file), Some("bad".to_owned()));
    }

    #[test]
    fn fill_is_one_pass_and_keeps_unknown_placeholders() {
        type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
        let cases: &[Case] = &[
            ("a {x} b", &[("x", "{y}"), ("y", "no")], "a {y} b"),
            ("{x}{x}", &[("x", "1")], "11"),
            ("{unknown} {x}", &[("x", "1")], "{unknown} 1"),
            ("open { end", &[("x", "1")], "open { end"),
            ("", &[], ""),
        ];
        for (template, args, want) in cases {
            let args: Vec<(&str, String)> = args.iter().map(|(n, v)| (*n, v.to_string())).collect();
            assert_eq!(fill(template, &args), *want, "{template}");
        }
    }
}
