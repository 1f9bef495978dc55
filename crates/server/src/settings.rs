//! What the server is started with: where the data lives, where it listens, which database.
//! The `beian` command fills this from its flags; defaults are the embedded set-up.

use std::net::SocketAddr;
use std::path::PathBuf;

use beian_store::DataKey;

/// How the server is configured.
#[derive(Clone)]
pub struct Settings {
    /// The data dir: SQLite file, object folder, data key, audit head.
    pub data_dir: PathBuf,
    /// The address to listen on; port 0 picks a free port.
    pub listen: SocketAddr,
    /// `postgres://…` or `sqlite:…`; `None` is the SQLite file in the data dir.
    pub database_url: Option<String>,
    /// The personal-data key; `None` reads `BEIAN_DATA_KEY`, then the key file in the data dir.
    pub data_key: Option<DataKey>,
}

impl Settings {
    /// The embedded default in `data_dir`, listening on `listen`.
    pub fn embedded(data_dir: impl Into<PathBuf>, listen: SocketAddr) -> Settings {
        Settings {
            data_dir: data_dir.into(),
            listen,
            database_url: None,
            data_key: None,
        }
    }
}
