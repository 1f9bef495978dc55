//! The platform's link to the registry: the [`HttpRegulatorClient`] the workflow calls (real
//! SOAP over HTTP, also to the in-process simulator on our own listener), and this provider's
//! credentials there (registered in the in-process simulator by `beian-web`).
//!
//! Embedded defaults: `isp_id` 1; a user name, password and AES key/IV generated once and
//! kept in `<data_dir>/regulator-credentials.json` (mode 0600 on Unix). Configured values
//! ([`RegulatorEndpoint`]) take precedence over the file.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;

use beian_miit::v3::auth::Credentials;
use beian_miit::v3::client::{HttpRegulatorClient, IspIdSpelling, RegulatorClient};
use beian_miit::v3::codec::AesKey;
use beian_miit::v3::personal::Secret;
use serde::{Deserialize, Serialize};

use crate::settings::RegulatorEndpoint;

/// The file the embedded credentials are kept in, inside the data dir.
pub const CREDENTIALS_FILE: &str = "regulator-credentials.json";

/// Why the registry link could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no regulator endpoint: set a base URL or run the simulator in-process")]
    NoEndpoint,
    #[error("a bureau endpoint needs the provider's user name and password")]
    MissingCredentials,
    #[error("the regulator AES key or IV is unusable (16 bytes each, both or neither)")]
    BadAesKey,
    #[error("the provider id's spelling must be ispId or ispID")]
    BadIspIdSpelling,
    #[error("regulator credentials file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    #[error("regulator credentials file {path} does not parse")]
    Corrupt { path: String },
}

/// What is generated once for the embedded run.
#[derive(Clone, Serialize, Deserialize)]
struct Stored {
    user: String,
    password: String,
    aes_key: String,
    aes_iv: String,
}

/// The resolved credentials (configured, else stored, else generated).
#[derive(Clone)]
pub struct Resolved {
    pub isp_id: i64,
    pub user: String,
    pub password: String,
    pub aes: Option<(String, String)>,
    /// The service namespace, when the bureau needs another than the default.
    pub namespace: Option<String>,
    /// The provider id's spelling, when the bureau needs `ispID`.
    pub isp_id_spelling: Option<String>,
    /// Whether to ask for beian's extensions of the returns (the bundled simulator's
    /// `<Ztsf>` and `<Baxx>`; [`RegulatorEndpoint::extensions`]).
    pub extensions: bool,
}

impl std::fmt::Debug for Resolved {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("isp_id", &self.isp_id)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

fn random_chars(n: usize) -> String {
    crate::accounts::new_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(n)
        .collect()
}

fn load_or_create(data_dir: &Path) -> Result<Stored, LinkError> {
    let path = data_dir.join(CREDENTIALS_FILE);
    let shown = path.display().to_string();
    let file_error = |source| LinkError::File {
        path: shown.clone(),
        source,
    };
    match std::fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|_| LinkError::Corrupt {
            path: shown.clone(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let stored = Stored {
                user: format!("beian-{}", random_chars(8).to_ascii_lowercase()),
                password: random_chars(24),
                aes_key: random_chars(16),
                aes_iv: random_chars(16),
            };
            let json = serde_json::to_vec_pretty(&serde_json::json!({
                "user": stored.user, "password": stored.password,
                "aes_key": stored.aes_key, "aes_iv": stored.aes_iv,
            }))
            .map_err(|_| LinkError::Corrupt {
                path: shown.clone(),
            })?;
            write_private(&path, &json).map_err(file_error)?;
            Ok(stored)
        }
        Err(e) => Err(file_error(e)),
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

/// The credentials to use: configured ones, completed from the data dir's file when the
/// simulator is in-process (`embedded`).
pub fn resolve(
    endpoint: &RegulatorEndpoint,
    data_dir: &Path,
    embedded: bool,
) -> Result<Resolved, LinkError> {
    let configured_aes = match (&endpoint.aes_key, &endpoint.aes_iv) {
        (Some(k), Some(i)) => Some((k.clone(), i.clone())),
        (None, None) => None,
        _ => return Err(LinkError::BadAesKey),
    };
    let complete = endpoint.user.is_some() && endpoint.password.is_some();
    if !embedded && !complete {
        return Err(LinkError::MissingCredentials);
    }
    let stored = if embedded && (!complete || configured_aes.is_none()) {
        Some(load_or_create(data_dir)?)
    } else {
        None
    };
    let pick = |configured: &Option<String>, from: fn(&Stored) -> &String| {
        configured
            .clone()
            .or_else(|| stored.as_ref().map(|s| from(s).clone()))
            .unwrap_or_default()
    };
    Ok(Resolved {
        isp_id: endpoint.isp_id,
        user: pick(&endpoint.user, |s| &s.user),
        password: pick(&endpoint.password, |s| &s.password),
        aes: configured_aes.or_else(|| {
            stored
                .as_ref()
                .map(|s| (s.aes_key.clone(), s.aes_iv.clone()))
        }),
        namespace: endpoint.namespace.clone(),
        isp_id_spelling: endpoint.isp_id_spelling.clone(),
        extensions: endpoint.extensions.unwrap_or(embedded),
    })
}

/// The base URL of our own listener (`0.0.0.0`/`::` become loopback).
pub fn own_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        ip if ip.is_unspecified() && ip.is_ipv4() => "127.0.0.1".to_owned(),
        ip if ip.is_unspecified() => "[::1]".to_owned(),
        ip if ip.is_ipv6() => format!("[{ip}]"),
        ip => ip.to_string(),
    };
    format!("http://{ip}:{}", addr.port())
}

/// The client over `base_url` with `resolved`'s credentials.
pub fn client(base_url: &str, resolved: &Resolved) -> Result<Arc<dyn RegulatorClient>, LinkError> {
    let aes = match &resolved.aes {
        Some((k, i)) => Some(AesKey::parse(k, i).map_err(|_| LinkError::BadAesKey)?),
        None => None,
    };
    let credentials = Credentials {
        isp_id: resolved.isp_id,
        user_name: resolved.user.clone(),
        password: Secret::new(resolved.password.clone()),
    };
    let mut client =
        HttpRegulatorClient::new(base_url, credentials, aes).with_extensions(resolved.extensions);
    if let Some(namespace) = &resolved.namespace {
        client = client.with_namespace(namespace);
    }
    if let Some(spelling) = &resolved.isp_id_spelling {
        let spelling = IspIdSpelling::from_name(spelling).ok_or(LinkError::BadIspIdSpelling)?;
        client = client.with_isp_id_spelling(spelling);
    }
    Ok(Arc::new(client))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_credentials_are_generated_once_and_kept_private() {
        let dir = tempfile::tempdir().unwrap();
        let endpoint = RegulatorEndpoint::default();
        let first = resolve(&endpoint, dir.path(), true).unwrap();
        let again = resolve(&endpoint, dir.path(), true).unwrap();
        assert_eq!(first.user, again.user);
        assert_eq!(first.password, again.password);
        assert_eq!(first.password.len(), 24);
        let (k, i) = first.aes.clone().unwrap();
        assert!(AesKey::parse(&k, &i).is_ok());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(dir.path().join(CREDENTIALS_FILE)).unwrap();
            assert_eq!(meta.permissions().mode() & 0o777, 0o600);
        }
        let configured = RegulatorEndpoint {
            user: Some("isp".into()),
            password: Some("pw".into()),
            ..RegulatorEndpoint::default()
        };
        let r = resolve(&configured, dir.path(), true).unwrap();
        assert_eq!((r.user.as_str(), r.password.as_str()), ("isp", "pw"));
        let half = RegulatorEndpoint {
            aes_key: Some("0123456789abcdef".into()),
            ..RegulatorEndpoint::default()
        };
        assert!(matches!(
            resolve(&half, dir.path(), true),
            Err(LinkError::BadAesKey)
        ));
        let bureau = RegulatorEndpoint {
            base_url: Some("http://bureau.example".into()),
            ..RegulatorEndpoint::default()
        };
        assert!(matches!(
            resolve(&bureau, dir.path(), false),
            Err(LinkError::MissingCredentials)
        ));
        let r = resolve(&configured, dir.path(), false).unwrap();
        assert!(
            r.aes.is_none(),
            "no AES without a configured key for a bureau"
        );
    }

    #[test]
    fn a_bureau_spelling_is_checked_when_the_client_is_made() {
        let dir = tempfile::tempdir().unwrap();
        let mut endpoint = RegulatorEndpoint {
            user: Some("isp".into()),
            password: Some("pw".into()),
            isp_id_spelling: Some("ispID".into()),
            namespace: Some("http://bureau.example/ns".into()),
            ..RegulatorEndpoint::default()
        };
        let resolved = resolve(&endpoint, dir.path(), false).unwrap();
        assert!(client("http://127.0.0.1:9", &resolved).is_ok());
        endpoint.isp_id_spelling = Some("ISPID".into());
        let resolved = resolve(&endpoint, dir.path(), false).unwrap();
        assert!(matches!(
            client("http://127.0.0.1:9", &resolved),
            Err(LinkError::BadIspIdSpelling)
        ));
    }

    #[test]
    fn own_base_url_reaches_the_listener() {
        let cases = [
            ("0.0.0.0:8080", "http://127.0.0.1:8080"),
            ("127.0.0.1:3000", "http://127.0.0.1:3000"),
            ("[::]:80", "http://[::1]:80"),
            ("[::1]:81", "http://[::1]:81"),
        ];
        for (addr, want) in cases {
            assert_eq!(own_base_url(addr.parse().unwrap()), want, "{addr}");
        }
    }
}
