//! Spoofing checks of internationalised domain names (after UTS #39, Unicode Security
//! Mechanisms), with small embedded tables rather than the full Unicode data:
//!
//! - [`mixed_script`]: a label whose letters come from scripts that do not go together is
//!   refused (`carοl-shop` with a Greek ο). Allowed, as UTS #39's "highly restrictive"
//!   level allows: one script, or Latin with Han and Bopomofo, with Han, Hiragana and
//!   Katakana, or with Han and Hangul. Digits, `-` and combining marks belong to every script.
//!   The script ranges cover Latin, Greek, Cyrillic, Han, Bopomofo, Hiragana, Katakana and
//!   Hangul; a letter of any other script counts as a script of its own.
//! - [`skeleton`]: a name with the Greek and Cyrillic letters that look like Latin ones
//!   replaced by those, and the few Latin look-alikes folded (`rn`→`m`, `vv`→`w`, `0`→`o`,
//!   `1`/`I`→`l`); two names with the same skeleton can be mistaken for each other. The table
//!   is a hand-picked subset of `confusables.txt` for Latin, Greek and Cyrillic, not the
//!   whole file.

/// The scripts told apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Script {
    Latin,
    Greek,
    Cyrillic,
    Han,
    Bopomofo,
    Hiragana,
    Katakana,
    Hangul,
    /// A letter of a script not in this table (by its 256-code-point block).
    Other(u32),
}

/// The script of `c`, or `None` for characters of every script (digits, `-`, marks).
pub fn script_of(c: char) -> Option<Script> {
    let u = u32::from(c);
    if c.is_ascii_digit() || c == '-' || !c.is_alphabetic() {
        return None;
    }
    Some(match u {
        0x41..=0x5A | 0x61..=0x7A | 0xC0..=0x24F | 0x1E00..=0x1EFF => Script::Latin,
        0x370..=0x3FF | 0x1F00..=0x1FFF => Script::Greek,
        0x400..=0x52F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => Script::Cyrillic,
        0x2E80..=0x2FDF
        | 0x3005..=0x3007
        | 0x3021..=0x3029
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3134F => Script::Han,
        0x3100..=0x312F | 0x31A0..=0x31BF => Script::Bopomofo,
        0x3040..=0x309F => Script::Hiragana,
        0x30A0..=0x30FF | 0x31F0..=0x31FF => Script::Katakana,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => Script::Hangul,
        other => Script::Other(other >> 8),
    })
}

/// Whether `label`'s letters mix scripts that do not go together (see the module doc).
pub fn mixed_script(label: &str) -> bool {
    let mut scripts: Vec<Script> = label.chars().filter_map(script_of).collect();
    scripts.sort();
    scripts.dedup();
    if scripts.len() <= 1 {
        return false;
    }
    use Script::*;
    let allowed: [&[Script]; 3] = [
        &[Latin, Han, Bopomofo],
        &[Latin, Han, Hiragana, Katakana],
        &[Latin, Han, Hangul],
    ];
    !allowed
        .iter()
        .any(|set| scripts.iter().all(|s| set.contains(s)))
}

/// Greek and Cyrillic letters that look like Latin ones (lowercase; domain names are).
const TO_LATIN: &[(char, &str)] = &[
    // Cyrillic
    ('а', "a"),
    ('в', "b"),
    ('е', "e"),
    ('ё', "e"),
    ('һ', "h"),
    ('і', "i"),
    ('ї', "i"),
    ('ј', "j"),
    ('к', "k"),
    ('ӏ', "l"),
    ('м', "m"),
    ('н', "h"),
    ('о', "o"),
    ('р', "p"),
    ('с', "c"),
    ('т', "t"),
    ('у', "y"),
    ('х', "x"),
    ('ѕ', "s"),
    ('ԁ', "d"),
    ('ԛ', "q"),
    ('ԝ', "w"),
    ('ь', "b"),
    ('ѡ', "w"),
    ('ү', "y"),
    ('ɡ', "g"),
    // Greek
    ('α', "a"),
    ('β', "b"),
    ('ε', "e"),
    ('η', "n"),
    ('ι', "i"),
    ('κ', "k"),
    ('ν', "v"),
    ('ο', "o"),
    ('ρ', "p"),
    ('τ', "t"),
    ('υ', "u"),
    ('χ', "x"),
    ('γ', "y"),
    ('ω', "w"),
    ('ϲ', "c"),
    ('ϳ', "j"),
    // Latin look-alikes
    ('ı', "i"),
    ('ł', "l"),
    ('0', "o"),
    ('1', "l"),
    ('I', "l"),
];

/// The skeleton of `name` (its Unicode form): look-alike letters replaced by one
/// representative (see the module doc), so that `skeleton(a) == skeleton(b)` when `a` and `b`
/// can be mistaken for each other.
pub fn skeleton(name: &str) -> String {
    fold_letters(name)
        .replace("rn", "m")
        .replace("vv", "w")
        .replace("cl", "d")
}

/// `name` with each look-alike letter replaced (the letter table of [`skeleton`], without its
/// folds of letter pairs).
fn fold_letters(name: &str) -> String {
    name.chars()
        .map(|c| {
            TO_LATIN
                .iter()
                .find(|(from, _)| *from == c)
                .map_or_else(|| c.to_lowercase().collect(), |(_, to)| (*to).to_owned())
        })
        .collect()
}

/// The plain ASCII name that an internationalised `ascii_domain` (a parsed domain, punycode
/// for its IDN labels) can be mistaken for, when all its letters look like Latin ones:
/// `xn--80ak6aa92e.cn` (аррӏе.cn) gives `apple.cn`. `None` for an ASCII name.
pub fn ascii_lookalike(ascii_domain: &str) -> Option<String> {
    if !ascii_domain.split('.').any(|l| l.starts_with("xn--")) {
        return None;
    }
    let (unicode, _) = idna::domain_to_unicode(ascii_domain);
    let folded = fold_letters(&unicode);
    (folded.is_ascii() && folded != ascii_domain).then_some(folded)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_that_do_not_go_together_are_mixed() {
        for (label, mixed) in [
            ("carol-shop", false),
            ("carοl-shop", true), // Greek omicron
            ("аррӏе", false),     // all Cyrillic: whole-script, caught by the skeleton
            ("pаypal", true),     // Cyrillic а in Latin
            ("例子", false),
            ("中国abc", false), // Latin with Han
            ("東京とうきょう", false),
            ("서울seoul", false),
            ("中国кит", true), // Han with Cyrillic
            ("abc123-def", false),
            ("αβγ", false),
        ] {
            assert_eq!(mixed_script(label), mixed, "{label}");
        }
    }

    #[test]
    fn look_alikes_share_a_skeleton() {
        assert_eq!(skeleton("аррӏе.cn"), skeleton("apple.cn"));
        assert_eq!(skeleton("carοl-shop.cn"), skeleton("carol-shop.cn"));
        assert_eq!(skeleton("rnodern.cn"), skeleton("modern.cn"));
        assert_eq!(skeleton("g00gle.com"), skeleton("google.com"));
        assert_ne!(skeleton("carol-shop.cn"), skeleton("karol-shop.cn"));
        assert_eq!(skeleton("例子.中国"), "例子.中国");
    }

    #[test]
    fn ascii_lookalikes() {
        let cyrillic = idna::domain_to_ascii("аррӏе.cn").unwrap();
        assert_eq!(ascii_lookalike(&cyrillic).as_deref(), Some("apple.cn"));
        assert_eq!(ascii_lookalike("rnodern.cn"), None);
        assert_eq!(ascii_lookalike("carol-shop.cn"), None);
        let chinese = idna::domain_to_ascii("例子.中国").unwrap();
        assert_eq!(ascii_lookalike(&chinese), None);
    }
}
