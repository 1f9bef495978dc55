//! Messages shown to people: a key in the platform's message files (`messages/*.toml`) or in
//! core's catalogue, with its arguments, rendered in zh-CN or en by whichever surface shows
//! it; and [`FieldError`], one wrong field of an input named by its path.

use std::sync::OnceLock;

use beian_core::i18n::{self, Locale, Localized, Messages};

/// The server's message files.
const FILES: &[(&str, &str)] = &[
    ("api", include_str!("../messages/api.toml")),
    ("admin", include_str!("../messages/admin.toml")),
];

/// The API's catalogue (`messages/api.toml`); empty, with an error logged, if it does not
/// parse (a test guards against that).
pub fn messages() -> &'static Messages {
    static MESSAGES: OnceLock<Messages> = OnceLock::new();
    MESSAGES.get_or_init(|| {
        Messages::from_files(FILES).unwrap_or_else(|e| {
            tracing::error!(error = %e, "API message file");
            Messages::default()
        })
    })
}

/// A message to show: a key in `messages/api.toml` or in core's catalogue, and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Message {
    pub fn new(key: &'static str) -> Message {
        Message {
            key,
            args: Vec::new(),
        }
    }

    pub fn with_arg(mut self, name: &'static str, value: impl Into<String>) -> Message {
        self.args.push((name, value.into()));
        self
    }

    /// The message of a core error (its key and arguments, rendered from core's catalogue).
    pub fn from_localized(e: &dyn Localized) -> Message {
        Message {
            key: e.message_key(),
            args: e.message_args(),
        }
    }

    /// The text in `locale`: the API's catalogue first, then core's.
    pub fn render(&self, locale: Locale) -> String {
        if messages().has_key(self.key) {
            messages().render(locale, self.key, &self.args)
        } else {
            i18n::render(locale, self.key, &self.args)
        }
    }
}

/// One wrong field: its path in the request body (`username`, `sponsor.certificate_number`)
/// and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub path: String,
    pub message: Message,
}

impl FieldError {
    /// A field error with a key of `messages/api.toml` (e.g. `api.field.taken`).
    pub fn new(path: impl Into<String>, key: &'static str) -> FieldError {
        FieldError {
            path: path.into(),
            message: Message::new(key),
        }
    }

    /// A field error from a core validator's error (e.g. `ContactError`).
    pub fn localized(path: impl Into<String>, e: &dyn Localized) -> FieldError {
        FieldError {
            path: path.into(),
            message: Message::from_localized(e),
        }
    }
}
