//! `POST /legacy-imports` (万网): the customer logs in to their legacy account (checked against
//! the loaded export's password hash, throttled per legacy username) and, with an explicit
//! confirmation, imports its filing data into the acting account — once and irreversibly
//! ([`crate::legacy::import_into_account`]).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::error::{FieldError, FieldErrors, WorkflowError};
use super::{Acting, SponsorRefusal, Workflow};
use crate::legacy::{import_into_account, verify_legacy_password};

pub use crate::legacy::LegacyImported;

/// Wrong legacy passwords allowed per legacy username in [`THROTTLE_WINDOW_MS`].
pub const LEGACY_FAILURE_LIMIT: i64 = 10;
/// The throttling window: one hour.
pub const THROTTLE_WINDOW_MS: i64 = 3_600_000;

/// The body of `POST /legacy-imports`. `Debug` hides the password.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct LegacyImportInput {
    /// The legacy (万网) platform's username.
    pub legacy_username: String,
    pub legacy_password: String,
    /// Must be `true`: the import binds the filing data to this account for good.
    pub confirm: bool,
}

impl std::fmt::Debug for LegacyImportInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LegacyImportInput")
            .field("legacy_username", &self.legacy_username)
            .field("confirm", &self.confirm)
            .finish_non_exhaustive()
    }
}

/// A hash that unknown legacy usernames are checked against, so they take as long as known
/// ones.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(crate::accounts::dummy_password_hash)
}

impl Workflow<'_> {
    /// `POST /legacy-imports`.
    pub async fn import_legacy(
        &self,
        acting: &Acting,
        input: &LegacyImportInput,
    ) -> Result<LegacyImported, WorkflowError> {
        let username = input.legacy_username.trim().to_owned();
        let mut errors = FieldErrors::new();
        if username.is_empty() {
            errors.insert(
                "legacy_username".into(),
                FieldError::new("workflow.required"),
            );
        }
        if input.legacy_password.is_empty() {
            errors.insert(
                "legacy_password".into(),
                FieldError::new("workflow.required"),
            );
        }
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let refuse = |r| Err(WorkflowError::Sponsor(r));
        if !input.confirm {
            return refuse(SponsorRefusal::ConfirmRequired);
        }
        let subject = format!("legacy:{}", username.to_lowercase());
        let now = self.store.now().timestamp_millis();
        let failures = self
            .store
            .login_failures_since(&subject, now - THROTTLE_WINDOW_MS)
            .await?;
        if failures.count >= LEGACY_FAILURE_LIMIT {
            let until = failures.oldest_at.unwrap_or(now) + THROTTLE_WINDOW_MS;
            return refuse(SponsorRefusal::LegacyThrottled {
                retry_after_secs: u64::try_from((until - now).max(1_000))
                    .unwrap_or(1_000)
                    .div_ceil(1000),
            });
        }
        if self
            .store
            .sponsor_of_account(&acting.account_id)
            .await?
            .is_some()
        {
            return refuse(SponsorRefusal::AccountHasSponsor);
        }
        let legacy = self.store.legacy_account(&username).await?;
        let hash = legacy
            .as_ref()
            .map_or_else(|| dummy_hash().to_owned(), |l| l.password_hash.clone());
        let password = input.legacy_password.clone();
        let matches = tokio::task::spawn_blocking(move || verify_legacy_password(&password, &hash))
            .await
            .unwrap_or(false);
        if !matches || legacy.is_none() {
            self.store.record_login_failure(&subject).await?;
            return refuse(SponsorRefusal::LegacyCredentials);
        }
        import_into_account(self.store, &acting.actor(), &username, &acting.account_id).await
    }
}
