//! The administration's services, shared by the admin API (`api/admin*.rs`) and the `beian
//! admin` command: accounts with a role and a one-time password, product instances and the
//! service numbers they issue within the policy, the policy itself, and the holiday years.
//!
//! # Service numbers (备案服务号)
//! Format: `SN-` then 16 characters of Crockford base32 (`0-9 A-Z` without `I L O U`) in four
//! groups of four, e.g. `SN-7K3M-9Q2X-4P8R-6T1V`: 80 random bits, so a number cannot be
//! guessed from another; upper case, no characters that read alike. A number is issued unbound
//! (未绑定); an instance may have at most the policy's `per_instance_limit` live numbers
//! (any status but expired); revoking an unbound number makes it expired (已失效), which frees
//! its place under the limit.
//!
//! Every change is one store transaction with its audit record. Accounts are here; instances,
//! numbers and the policy in `products`; the holiday years (and whether open orders' deadlines
//! lie past them) in `holidays`; the outbox listing and the retry of a dead job in `ops`.

use beian_core::contact::Email;
use beian_store::accounts::{NewAccount, Role};
use beian_store::{Store, StoreError};

use crate::accounts as auth;
use crate::message::{FieldError, Message};

mod holidays;
mod ops;
mod products;

pub use holidays::{
    CalendarCoverage, PastDeadline, PeriodBody, YearBody, calendar_coverage, delete_year, put_year,
};
pub use ops::{OUTBOX_CHANNELS, outbox_listing, retry_job};
pub use products::{
    MAX_ISSUE_PER_REQUEST, NewInstanceRequest, PolicyBody, create_instance, issue_numbers,
    new_service_number, revoke_number, set_policy,
};

/// Length of a generated one-time password.
pub const ONE_TIME_PASSWORD_CHARS: usize = 20;

/// Why an admin change was refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// Fields that do not validate (422 `validation_failed`).
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// A refusal with its own code and message (status, code, message).
    #[error("refused: {1}")]
    Refused(u16, &'static str, Message),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A failure that is not the caller's (logged, never shown).
    #[error("internal: {0}")]
    Internal(String),
}

impl AdminError {
    fn field(path: &str, key: &'static str) -> AdminError {
        AdminError::Invalid(vec![FieldError::new(path, key)])
    }
}

/// A new account and its one-time password (shown once, never stored in plaintext).
#[derive(Clone, PartialEq, Eq)]
pub struct AddedUser {
    pub id: String,
    pub username: String,
    pub role: Role,
    pub password: String,
}

impl std::fmt::Debug for AddedUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AddedUser")
            .field("id", &self.id)
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// The roles an admin may give (the bureau officer belongs to the simulator's console).
pub fn assignable_role(s: &str) -> Option<Role> {
    Role::parse(s).filter(|r| matches!(r, Role::Applicant | Role::Reviewer | Role::Admin))
}

/// A random password of [`ONE_TIME_PASSWORD_CHARS`] characters (letters and digits of
/// base64url, so it meets the password rules).
pub fn one_time_password() -> String {
    loop {
        let candidate: String = auth::new_token()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(ONE_TIME_PASSWORD_CHARS)
            .collect();
        let kinds = [
            candidate.chars().any(|c| c.is_ascii_lowercase()),
            candidate.chars().any(|c| c.is_ascii_uppercase()),
            candidate.chars().any(|c| c.is_ascii_digit()),
        ];
        if candidate.len() == ONE_TIME_PASSWORD_CHARS && kinds.iter().filter(|k| **k).count() >= 2 {
            return candidate;
        }
    }
}

/// Creates an account with `role` and a one-time password (`beian admin user add`, `POST
/// /admin/accounts`).
pub async fn add_user(
    store: &Store,
    actor: &str,
    username: &str,
    role: Role,
    email: Option<&str>,
) -> Result<AddedUser, AdminError> {
    let mut fields = Vec::new();
    crate::accounts::check_username(username, &mut fields);
    let email = match email.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => match Email::parse(e) {
            Ok(e) => e.as_str().to_owned(),
            Err(err) => {
                fields.push(FieldError::localized("email", &err));
                String::new()
            }
        },
        None => String::new(),
    };
    if !fields.is_empty() {
        return Err(AdminError::Invalid(fields));
    }
    let password = one_time_password();
    let plain = password.clone();
    let hash = auth::hash_password_bounded(plain)
        .await
        .map_err(|e| AdminError::Internal(e.to_string()))?;
    let mut tx = store.begin().await?;
    let id = tx
        .insert_account(
            actor,
            &NewAccount {
                username,
                password_hash: &hash,
                email: &email,
                mobile: None,
                role,
            },
        )
        .await
        .map_err(|e| match e {
            StoreError::Unique { .. } => AdminError::field("username", "api.field.taken"),
            other => other.into(),
        })?;
    // A one-time password: changed at the first login before anything else.
    tx.require_password_change(&id).await?;
    tx.commit().await?;
    Ok(AddedUser {
        id,
        username: username.to_owned(),
        role,
        password,
    })
}

/// Disables (or enables again) an account; disabling ends its sessions and revokes its API
/// keys. An admin cannot disable their own account (409 `own_account`). Returns (sessions
/// ended, keys revoked).
pub async fn set_disabled(
    store: &Store,
    actor: &str,
    acting_id: &str,
    id: &str,
    disabled: bool,
) -> Result<(u64, u64), AdminError> {
    if disabled && acting_id == id {
        return Err(AdminError::Refused(
            409,
            "own_account",
            Message::new("api.error.own_account"),
        ));
    }
    store.account(id).await?;
    let mut tx = store.begin().await?;
    let ended = tx.set_account_disabled(actor, id, disabled).await?;
    tx.commit().await?;
    Ok(ended)
}

/// Changes an account's role; refused (409 `last_admin`) when it would leave no admin.
pub async fn set_role(store: &Store, actor: &str, id: &str, role: Role) -> Result<(), AdminError> {
    store.account(id).await?;
    let mut tx = store.begin().await?;
    let admins = tx.lock_role_holders(Role::Admin.as_str()).await?;
    let demoting_an_admin = admins.iter().any(|a| a == id) && role != Role::Admin;
    if demoting_an_admin && admins.len() <= 1 {
        tx.rollback().await?;
        return Err(AdminError::Refused(
            409,
            "last_admin",
            Message::new("api.error.last_admin"),
        ));
    }
    tx.set_account_role(actor, id, role).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_time_passwords_meet_the_password_rules() {
        for _ in 0..50 {
            let p = one_time_password();
            assert_eq!(p.chars().count(), ONE_TIME_PASSWORD_CHARS);
            let mut fields = Vec::new();
            crate::accounts::check_password(&p, &mut fields);
            assert!(fields.is_empty(), "{p}");
        }
    }

    #[test]
    fn only_provider_roles_are_assignable() {
        let cases = [
            ("applicant", Some(Role::Applicant)),
            ("reviewer", Some(Role::Reviewer)),
            ("admin", Some(Role::Admin)),
            ("bureau_officer", None),
            ("root", None),
        ];
        for (s, want) in cases {
            assert_eq!(assignable_role(s), want, "{s}");
        }
    }
}
