//! The platform's settings: how mail and SMS leave, the job worker, and where the registry
//! is reached and as whom. The server's whole configuration (`beian_web::settings::Settings`)
//! holds these beside its HTTP settings.

use std::time::Duration;

/// The provider name printed on verification forms unless configured.
pub const DEFAULT_PROVIDER_NAME: &str = "beian 接入商";

/// Mail and SMS delivery (`crate::notify`).
#[derive(Clone, Default)]
pub struct NotifySettings {
    /// The SMTP relay; `None` keeps mail in the store's outbox.
    pub smtp: Option<crate::notify::SmtpConfig>,
    /// An HTTP SMS gateway; `None` keeps texts in the store's outbox.
    pub sms_http: Option<crate::notify::HttpSmsConfig>,
    /// The signature the outbox gateway puts in 【】 (the provider name when empty).
    pub sms_sign: String,
    /// The portal's URL as the texts name it.
    pub portal_url: String,
}

impl std::fmt::Debug for NotifySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NotifySettings")
            .field("smtp", &self.smtp)
            .field("sms_http", &self.sms_http)
            .field("portal_url", &self.portal_url)
            .finish_non_exhaustive()
    }
}

impl NotifySettings {
    /// From the JSON of the SMTP settings (`SmtpConfig`: `{"host", "port", "tls", "username",
    /// "password", "from", …}`) and of the HTTP SMS gateway (`HttpSmsConfig`: `{"url",
    /// "api_key", "sign"}`), as `beian serve` reads them from `BEIAN_SMTP` and
    /// `BEIAN_SMS_HTTP`. The error names the setting, never its value (it holds secrets).
    pub fn from_json(
        smtp: Option<&str>,
        sms_http: Option<&str>,
        portal_url: Option<&str>,
    ) -> Result<NotifySettings, String> {
        let smtp = smtp
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                serde_json::from_str(s).map_err(|e| format!("BEIAN_SMTP: {}", e.classify_text()))
            })
            .transpose()?;
        let sms_http = sms_http
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                serde_json::from_str(s)
                    .map_err(|e| format!("BEIAN_SMS_HTTP: {}", e.classify_text()))
            })
            .transpose()?;
        Ok(NotifySettings {
            smtp,
            sms_http,
            sms_sign: String::new(),
            portal_url: portal_url.unwrap_or_default().to_owned(),
        })
    }
}

/// A JSON error's kind and place, without the text around it (which may be a secret).
trait ClassifyText {
    fn classify_text(&self) -> String;
}

impl ClassifyText for serde_json::Error {
    fn classify_text(&self) -> String {
        format!(
            "invalid JSON ({:?} at line {} column {})",
            self.classify(),
            self.line(),
            self.column()
        )
    }
}

/// The background job worker ([`crate::worker`]).
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Off only for tests that drive the jobs by hand.
    pub enabled: bool,
    /// Real time between two claims when the queue was empty.
    pub idle_wait: Duration,
    /// Jobs claimed at once.
    pub batch: i64,
    /// How long a claimed job is leased (another instance takes it over after that).
    pub lease: Duration,
    /// Clock time between two results polls (`bureau.poll`).
    pub poll_interval: Duration,
    /// The public IPv4 addresses the storefront (旺铺 / 企业官网) product serves sites from,
    /// declared as the access of storefront filings (`BEIAN_STOREFRONT_IPS`, comma-separated).
    pub storefront_ips: String,
}

impl Default for WorkerSettings {
    fn default() -> WorkerSettings {
        WorkerSettings {
            enabled: true,
            idle_wait: Duration::from_millis(500),
            batch: 16,
            lease: Duration::from_secs(300),
            poll_interval: Duration::from_secs(60),
            // A documentation address (RFC 5737) until the provider configures its own.
            storefront_ips: "203.0.113.80".to_owned(),
        }
    }
}

/// The registry endpoint the workflow talks to, over SOAP/HTTP, and this provider's
/// credentials there (see [`crate::regulator_link`]).
///
/// With `base_url` `None` the in-process simulator on our own listener is used; a missing
/// `user` or `password` is then generated once and kept in
/// `<data_dir>/regulator-credentials.json` (mode 0600), and this provider is registered in
/// the simulator's registry at startup if it is absent.
#[derive(Clone)]
pub struct RegulatorEndpoint {
    /// `http://host[:port]` of the bureau's interface; `None` = the in-process simulator.
    pub base_url: Option<String>,
    /// This provider's `ispId`; also the [`beian_core::filing::ProviderId`] of the workflow.
    pub isp_id: i64,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The AES key and IV (16 bytes each) given by the bureau; both or neither.
    pub aes_key: Option<String>,
    pub aes_iv: Option<String>,
    /// The service namespace written in requests; `None` is `http://www.miibeian.gov.cn`
    /// (docs/bureau-interop.md).
    pub namespace: Option<String>,
    /// How the provider id parameter is spelled: `ispId` (the spec; `None`) or `ispID`.
    pub isp_id_spelling: Option<String>,
    /// Whether to ask for beian's extensions of the V3.0 returns (`<Ztsf>`: the filed
    /// sponsor's identity, for `sponsor_mismatch`; `<Baxx>`: the filing, for the access
    /// prefill). `None`: on for the in-process simulator, off for a configured bureau (a
    /// bureau has none; `beian regulator serve` has them). Without them the platform falls
    /// back: no `sponsor_mismatch` before the bureau's own review, and the customer types
    /// what the prefill lacks (docs/bureau-interop.md).
    pub extensions: Option<bool>,
}

impl Default for RegulatorEndpoint {
    fn default() -> RegulatorEndpoint {
        RegulatorEndpoint {
            base_url: None,
            isp_id: 1,
            user: None,
            password: None,
            aes_key: None,
            aes_iv: None,
            namespace: None,
            isp_id_spelling: None,
            extensions: None,
        }
    }
}

impl std::fmt::Debug for RegulatorEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegulatorEndpoint")
            .field("base_url", &self.base_url)
            .field("isp_id", &self.isp_id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notify_settings_from_json() {
        let smtp = r#"{"host": "smtp.example.com", "tls": "starttls", "from": "beian@example.com",
                       "username": "u", "password": "secret-pw"}"#;
        let sms = r#"{"url": "https://sms.example.com/send", "api_key": "k", "sign": "示例云"}"#;
        let n = NotifySettings::from_json(Some(smtp), Some(sms), Some("https://beian.example.com"))
            .unwrap();
        let c = n.smtp.unwrap();
        assert_eq!(
            (c.host.as_str(), c.tls),
            ("smtp.example.com", crate::notify::SmtpTls::Starttls)
        );
        assert_eq!(n.sms_http.unwrap().sign, "示例云");
        assert_eq!(n.portal_url, "https://beian.example.com");
        let none = NotifySettings::from_json(None, Some("  "), None).unwrap();
        assert!(none.smtp.is_none() && none.sms_http.is_none());
        let cases = [
            (
                Some(r#"{"host": "h", "password": "secret-pw""#),
                None,
                "BEIAN_SMTP",
            ),
            (None, Some(r#"{"url": "secret-key"}"#), "BEIAN_SMS_HTTP"),
        ];
        for (smtp, sms, name) in cases {
            let e = NotifySettings::from_json(smtp, sms, None).unwrap_err();
            assert!(e.starts_with(name), "{e}");
            assert!(!e.contains("secret"), "{e}");
        }
    }
}
