//! Words the pages show for the platform's codes (states, kinds, natures, certificate types,
//! material kinds), times in Asia/Shanghai, and masking of personal data.

use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_core::province::Province;
use beian_core::sponsor::CertificateType;
use chrono::{DateTime, Utc};

use crate::portal::i18n::Lang;

/// `state-provider_review` → "提供商初审中".
pub fn state(lang: Lang, state: OrderState) -> String {
    lang.t(&format!("state-{}", state.as_str().replace('_', "-")))
}

pub fn kind(lang: Lang, kind: FilingKind) -> String {
    lang.t(&format!("kind-{}", kind.as_str().replace('_', "-")))
}

/// A kind as an APP's order names it (新增APP, 变更APP, 注销APP; the others as a website's).
pub fn service_kind(lang: Lang, kind: FilingKind, app: bool) -> String {
    let key = format!("kind-app-{}", kind.as_str().replace('_', "-"));
    if app && lang.has(&key) {
        lang.t(&key)
    } else {
        self::kind(lang, kind)
    }
}

/// The one line explaining a kind of an APP's filing (a website's where the same).
pub fn app_kind_explained(lang: Lang, kind: FilingKind) -> String {
    let key = format!("kind-why-app-{}", kind.as_str().replace('_', "-"));
    if lang.has(&key) {
        lang.t(&key)
    } else {
        kind_explained(lang, kind)
    }
}

/// The APP platforms as select options (code, name).
pub fn app_platforms(lang: Lang) -> Vec<(String, String)> {
    ["android", "ios", "harmony"]
        .into_iter()
        .map(|p| (p.to_owned(), lang.t(&format!("platform-{p}"))))
        .collect()
}

/// The one line explaining a kind.
pub fn kind_explained(lang: Lang, kind: FilingKind) -> String {
    lang.t(&format!("kind-why-{}", kind.as_str().replace('_', "-")))
}

/// What the customer must do next in `state`.
pub fn next_step(lang: Lang, state: OrderState) -> String {
    lang.t(&format!("next-{}", state.as_str().replace('_', "-")))
}

pub fn material(lang: Lang, kind: &str) -> String {
    let key = format!("material-{}", kind.replace('_', "-"));
    if lang.has(&key) {
        lang.t(&key)
    } else {
        kind.to_owned()
    }
}

/// A website's declared languages (语言类别 codes such as `zh_cn`) by their names in `lang`;
/// a code without a name shows as itself.
pub fn languages(lang: Lang, codes: &[String]) -> String {
    let names: Vec<String> = codes
        .iter()
        .map(|code| {
            let key = format!("language-{code}");
            if lang.has(&key) {
                lang.t(&key)
            } else {
                code.clone()
            }
        })
        .collect();
    names.join(if lang == Lang::Zh { "、" } else { ", " })
}

/// A province's name in `lang`: the Chinese name, or in en the English one with the Chinese
/// beside it (the name on the customer's documents).
pub fn province(lang: Lang, code: &str) -> String {
    match (Province::parse(code), lang) {
        (Err(_), _) => code.to_owned(),
        (Ok(p), Lang::Zh) => p.name().to_owned(),
        (Ok(p), Lang::En) => format!("{} ({})", p.info().name_en, p.name()),
    }
}

/// The provinces as select options (code, name in `lang`).
pub fn provinces(lang: Lang) -> Vec<(String, String)> {
    Province::all()
        .map(|p| (p.code().to_owned(), province(lang, p.code())))
        .collect()
}

pub fn natures(lang: Lang) -> Vec<(String, String)> {
    [
        "enterprise",
        "individual",
        "government",
        "institution",
        "social_group",
        "military",
        "other",
    ]
    .iter()
    .map(|n| {
        (
            (*n).to_owned(),
            lang.t(&format!("nature-{}", n.replace('_', "-"))),
        )
    })
    .collect()
}

pub fn certificate_types(lang: Lang) -> Vec<(String, String)> {
    CertificateType::ALL
        .iter()
        .map(|t| match lang {
            Lang::Zh => (t.as_str().to_owned(), t.name_zh().to_owned()),
            Lang::En => (t.as_str().to_owned(), t.as_str().replace('_', " ")),
        })
        .collect()
}

/// A time in Beijing time: `2026-12-07 09:30`.
pub fn time(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .map(|t| {
            t.with_timezone(&chrono_tz::Asia::Shanghai)
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

/// Items as one list: `甲、乙` in zh-CN, `a, b` in en.
pub fn list(lang: Lang, items: impl IntoIterator<Item = String>) -> String {
    let sep = match lang {
        Lang::Zh => "、",
        Lang::En => ", ",
    };
    items.into_iter().collect::<Vec<_>>().join(sep)
}

/// `3301**********1234`, `138****5678`.
pub fn mask(value: &str) -> String {
    beian_store::crypto::mask(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_is_masked() {
        assert_eq!(mask("330106199001011234"), "3301**********1234");
        assert_eq!(mask("13812345678"), "138****5678");
    }

    #[test]
    fn every_state_and_kind_has_words() {
        for lang in [Lang::Zh, Lang::En] {
            for s in OrderState::ALL {
                assert!(
                    lang.has(&format!("state-{}", s.as_str().replace('_', "-"))),
                    "{s:?}"
                );
                assert!(
                    lang.has(&format!("next-{}", s.as_str().replace('_', "-"))),
                    "{s:?}"
                );
            }
            for k in FilingKind::ALL {
                assert!(
                    lang.has(&format!("kind-{}", k.as_str().replace('_', "-"))),
                    "{k:?}"
                );
                assert!(
                    lang.has(&format!("kind-why-{}", k.as_str().replace('_', "-"))),
                    "{k:?}"
                );
            }
        }
    }
}
