//! The portal's language: zh-CN (the default) or en, chosen by the switch (remembered in the
//! `beian_lang` cookie), else by `Accept-Language`. Texts live in Fluent files
//! (`crates/web/locales/{zh-CN,en}/portal.ftl`) compiled into the binary; plurals follow each
//! language's rules ("1 个工作日", "1 working day", "3 working days").

use std::borrow::Cow;
use std::collections::HashMap;

use axum::http::{HeaderMap, header};
use beian_core::i18n::Locale;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid, static_loader};

static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "zh-CN",
        // No Unicode isolation marks around arguments: they show as boxes in some fonts and
        // break tests that look for a number in the page.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

const ZH_FILE: &str = include_str!("../../locales/zh-CN/portal.ftl");
const EN_FILE: &str = include_str!("../../locales/en/portal.ftl");

/// The cookie that remembers the switch.
pub const LANG_COOKIE: &str = "beian_lang";

/// A language of the portal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

static ZH: LanguageIdentifier = langid!("zh-CN");
static EN: LanguageIdentifier = langid!("en");

impl Lang {
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    /// The other language (for the switch).
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The platform's locale (its messages and refusals).
    pub fn locale(self) -> Locale {
        match self {
            Lang::Zh => Locale::ZhCn,
            Lang::En => Locale::En,
        }
    }

    pub fn parse(tag: &str) -> Option<Lang> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "zh-cn" | "zh" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The cookie's choice, else the first of `Accept-Language` we speak, else zh-CN.
    pub fn of(headers: &HeaderMap) -> Lang {
        if let Some(lang) =
            crate::portal::security::cookie(headers, LANG_COOKIE).and_then(Lang::parse)
        {
            return lang;
        }
        let accept = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut ranked: Vec<(f32, Lang)> = accept
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let tag = parts.next()?.trim().to_ascii_lowercase();
                let q = parts
                    .find_map(|p| p.trim().strip_prefix("q=")?.parse::<f32>().ok())
                    .unwrap_or(1.0);
                let lang = if tag.starts_with("zh") {
                    Lang::Zh
                } else if tag.starts_with("en") {
                    Lang::En
                } else {
                    return None;
                };
                Some((q, lang))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        ranked.first().map_or(Lang::Zh, |r| r.1)
    }

    fn id(self) -> &'static LanguageIdentifier {
        match self {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    /// The text of `key` (the key itself when missing, which a test forbids).
    pub fn t(self, key: &str) -> String {
        LOCALES
            .try_lookup(self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The text of `key` with arguments (numbers as Fluent numbers, so plurals apply).
    pub fn t_args(self, key: &str, args: &[(&'static str, Arg)]) -> String {
        let map: HashMap<Cow<'static, str>, FluentValue<'_>> = args
            .iter()
            .map(|(name, value)| {
                let v = match value {
                    Arg::N(n) => FluentValue::from(*n),
                    Arg::S(s) => FluentValue::from(s.clone()),
                };
                (Cow::Borrowed(*name), v)
            })
            .collect();
        LOCALES
            .try_lookup_with_args(self.id(), key, &map)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Whether `key` exists in this language's file.
    pub fn has(self, key: &str) -> bool {
        let file = match self {
            Lang::Zh => ZH_FILE,
            Lang::En => EN_FILE,
        };
        file.lines().any(|l| {
            l.strip_prefix(key)
                .is_some_and(|rest| rest.starts_with(" ="))
        })
    }

    /// "3 working days" / "3 个工作日".
    pub fn working_days(self, n: i64) -> String {
        self.t_args("working-days", &[("count", Arg::N(n))])
    }
}

/// A Fluent argument.
#[derive(Debug, Clone)]
pub enum Arg {
    N(i64),
    S(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn plurals_follow_each_language() {
        assert_eq!(Lang::Zh.working_days(1), "1 个工作日");
        assert_eq!(Lang::Zh.working_days(3), "3 个工作日");
        assert_eq!(Lang::En.working_days(1), "1 working day");
        assert_eq!(Lang::En.working_days(3), "3 working days");
    }

    #[test]
    fn the_cookie_wins_over_accept_language() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(&h), Lang::Zh);
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_static("fr, en-US;q=0.8, zh;q=0.5"),
        );
        assert_eq!(Lang::of(&h), Lang::En);
        h.insert(header::COOKIE, HeaderValue::from_static("beian_lang=zh-CN"));
        assert_eq!(Lang::of(&h), Lang::Zh);
    }

    /// Every key the portal's code and templates use exists in both files, and both files
    /// hold the same keys.
    #[test]
    fn every_key_exists_in_both_languages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut used = std::collections::BTreeSet::new();
        // Kebab-case literals of the code are message keys (a few header words aside); the
        // templates' keys are in `t("…")`.
        let not_keys = [
            "sec-fetch-site",
            "same-origin",
            "cross-site",
            "no-store",
            "zh-cn",
            // The charts' SVG attribute (crate::portal::chart).
            "data-value",
        ];
        for entry in std::fs::read_dir(root.join("src/portal")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split('"').skip(1).step_by(2) {
                let kebab = piece.contains('-')
                    && !piece.ends_with('-')
                    && piece.starts_with(|c: char| c.is_ascii_lowercase())
                    && piece
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if kebab && !not_keys.contains(&piece) {
                    used.insert(piece.to_owned());
                }
            }
        }
        for entry in std::fs::read_dir(root.join("templates/portal")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for piece in text.split("t(\"").skip(1) {
                used.insert(piece.chars().take_while(|c| *c != '"').collect());
            }
        }
        assert!(used.len() > 50, "found only {} keys", used.len());
        for key in &used {
            for lang in [Lang::Zh, Lang::En] {
                assert!(lang.has(key), "{key} missing in {}", lang.tag());
            }
        }
        let keys = |file: &str| -> std::collections::BTreeSet<String> {
            std::fs::read_to_string(root.join(file))
                .unwrap()
                .lines()
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
                .filter(|k| !k.is_empty() && !k.starts_with(['#', ' ', '*', '[']))
                .collect()
        };
        assert_eq!(
            keys("locales/zh-CN/portal.ftl"),
            keys("locales/en/portal.ftl")
        );
    }
}
