//! The configuration file of `beian serve --config FILE` (TOML), and [`Secret`], the string
//! whose `Debug` never shows it.
//!
//! Every key is a flag of `beian serve` with `_` for `-`:
//!
//! ```toml
//! data_dir = "/srv/beian"
//! listen = "0.0.0.0:8080"
//! database_url = "postgres://beian@db/beian"
//! secure_cookies = "yes"              # auto | yes | no
//! portal_url = "https://beian.example.com"
//! storefront_ips = "203.0.113.80"
//! form_font = "/etc/beian/fonts/house-font.ttc"   # optional: the embedded CJK font otherwise
//! form_font_index = 0
//! # a real or external bureau (then nothing of the simulator runs):
//! regulator_url = "https://bureau.example"
//! regulator_isp_id = 42
//! regulator_user = "isp42"
//! regulator_password = "…"
//! regulator_aes_key = "…"             # 16 bytes, with regulator_aes_iv
//! regulator_aes_iv = "…"
//! regulator_namespace = "http://www.miibeian.gov.cn"
//! regulator_isp_id_spelling = "ispId"
//! # or the bundled simulator (without regulator_url):
//! bureau_review = "auto"              # auto | manual
//! bureau_review_minutes = 60
//! simulated_clock = false
//! simulator_controls = false          # demo/test mode: mount /sim/* behind the token
//! simulator_token = "…"               # default: made up and printed at start
//! [smtp]                              # or smtp = '{"host": …}' (JSON)
//! host = "smtp.example.com"
//! tls = "starttls"
//! from = "beian@example.com"
//! [sms_http]
//! url = "https://sms.example.com/send"
//! api_key = "…"
//! ```
//!
//! Unknown keys are refused (a misspelt setting must not be silently ignored).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::regulator::ReviewArg;
use crate::serve::SecureCookies;

/// A secret setting: shown as `<redacted>` by `Debug`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Secret, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

/// A JSON setting (`smtp`, `sms_http`): a TOML table, or a string holding JSON.
#[derive(Clone, Deserialize)]
#[serde(untagged)]
pub enum JsonSetting {
    Json(String),
    Table(toml::Table),
}

impl std::fmt::Debug for JsonSetting {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl JsonSetting {
    /// The setting as JSON text.
    pub fn into_json(self) -> Secret {
        match self {
            JsonSetting::Json(s) => Secret(s),
            JsonSetting::Table(t) => Secret(serde_json::to_string(&t).unwrap_or_default()),
        }
    }
}

impl<'de> Deserialize<'de> for ReviewArg {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<ReviewArg, D::Error> {
        match String::deserialize(d)?.as_str() {
            "auto" => Ok(ReviewArg::Auto),
            "manual" => Ok(ReviewArg::Manual),
            other => Err(serde::de::Error::custom(format!(
                "bureau_review is auto or manual, not {other}"
            ))),
        }
    }
}

/// The settings of the file; every one optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<Secret>,
    pub listen: Option<SocketAddr>,
    pub metrics_listen: Option<SocketAddr>,
    pub no_metrics: Option<bool>,
    pub data_key_file: Option<PathBuf>,
    pub data_key_command: Option<String>,
    pub bureau_review: Option<ReviewArg>,
    pub bureau_review_minutes: Option<i64>,
    pub simulated_clock: Option<bool>,
    pub simulator_controls: Option<bool>,
    pub simulator_token: Option<Secret>,
    pub regulator_url: Option<String>,
    pub regulator_isp_id: Option<i64>,
    pub regulator_user: Option<String>,
    pub regulator_password: Option<Secret>,
    pub regulator_aes_key: Option<Secret>,
    pub regulator_aes_iv: Option<Secret>,
    pub regulator_namespace: Option<String>,
    pub regulator_isp_id_spelling: Option<String>,
    pub regulator_extensions: Option<bool>,
    pub secure_cookies: Option<SecureCookies>,
    pub smtp: Option<JsonSetting>,
    pub sms_http: Option<JsonSetting>,
    pub portal_url: Option<String>,
    pub storefront_ips: Option<String>,
    pub form_font: Option<PathBuf>,
    pub form_font_index: Option<u32>,
}

impl FileConfig {
    /// Reads and parses `path`. The error names the file and the key, never a value.
    pub fn read(path: &Path) -> Result<FileConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read the config file {}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| {
            let at = e
                .span()
                .map(|s| format!(" at byte {}", s.start))
                .unwrap_or_default();
            format!(
                "config file {}{at}: {}",
                path.display(),
                // serde's message may quote the value, which may be a secret.
                redact_quoted(e.message())
            )
        })
    }
}

/// `text` with what stands between backquotes or double quotes replaced by `…`.
fn redact_quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut open: Option<char> = None;
    for c in text.chars() {
        match open {
            Some(q) if c == q => {
                out.push(c);
                open = None;
            }
            Some(_) => {}
            None if c == '`' || c == '"' => {
                out.push(c);
                out.push('…');
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_takes_tables_or_json_and_refuses_unknown_keys() {
        let f: FileConfig = toml::from_str(
            r#"
            bureau_review = "manual"
            secure_cookies = "yes"
            sms_http = '{"url": "https://sms.example", "api_key": "k"}'
            [smtp]
            host = "smtp.example.com"
            password = "pw"
            "#,
        )
        .unwrap();
        assert!(matches!(f.bureau_review, Some(ReviewArg::Manual)));
        let smtp = f.smtp.unwrap().into_json();
        assert!(smtp.expose().contains("smtp.example.com"));
        assert!(
            f.sms_http
                .unwrap()
                .into_json()
                .expose()
                .contains("sms.example")
        );
        assert!(toml::from_str::<FileConfig>("lisen = \"127.0.0.1:1\"").is_err());
    }

    #[test]
    fn a_bad_file_is_reported_without_its_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("beian.toml");
        std::fs::write(&path, "regulator_password = 12345678901\n").unwrap();
        let e = FileConfig::read(&path).unwrap_err();
        assert!(e.contains("beian.toml"), "{e}");
        assert!(!e.contains("12345678901"), "{e}");
    }
}
