//! The form's font, loaded on first use (off the async threads) and kept once loaded.

use tokio::sync::OnceCell;

use super::{FontConfig, FormError, FormFont};

/// A font loaded on first use and kept once loaded; a failed load is retried on the next use
/// (the font may be installed while the server runs), so a missing font is not a startup
/// failure, only the verification form is unavailable.
#[derive(Debug)]
pub struct LazyFont {
    config: FontConfig,
    font: OnceCell<FormFont>,
}

impl LazyFont {
    pub fn new(config: FontConfig) -> LazyFont {
        LazyFont {
            config,
            font: OnceCell::new(),
        }
    }

    /// The font, loading it (off the async threads) if it is not loaded yet.
    pub async fn get(&self) -> Result<&FormFont, FormError> {
        self.font
            .get_or_try_init(|| async {
                let config = self.config.clone();
                tokio::task::spawn_blocking(move || config.load())
                    .await
                    .map_err(|e| FormError::FontMissing {
                        path: self.config.path.clone().unwrap_or_default(),
                        reason: e.to_string(),
                    })?
            })
            .await
    }
}
