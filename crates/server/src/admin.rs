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
//! Every change is one store transaction with its audit record.

use beian_core::calendar::{HolidayPeriod, YearSchedule};
use beian_core::contact::Email;
use beian_store::accounts::{NewAccount, Role};
use beian_store::admin::{INSTANCE_STATES, ServiceNumberPolicy, with_year};
use beian_store::products::{NewInstance, ServiceNumberStatus};
use beian_store::{Store, StoreError};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::auth;
use crate::error::{FieldError, Message};

/// Characters of a service number (Crockford base32).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Numbers one request may issue.
pub const MAX_ISSUE_PER_REQUEST: i64 = 100;

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
    crate::api::accounts::check_username(username, &mut fields);
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
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&plain))
        .await
        .map_err(|e| AdminError::Internal(e.to_string()))?
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
    tx.commit().await?;
    Ok(AddedUser {
        id,
        username: username.to_owned(),
        role,
        password,
    })
}

/// Changes an account's role; refused (409 `last_admin`) when it would leave no admin.
pub async fn set_role(store: &Store, actor: &str, id: &str, role: Role) -> Result<(), AdminError> {
    let account = store.account(id).await?;
    if account.role == Role::Admin && role != Role::Admin && store.count_role("admin").await? <= 1 {
        return Err(AdminError::Refused(
            409,
            "last_admin",
            Message::new("api.error.last_admin"),
        ));
    }
    let mut tx = store.begin().await?;
    tx.set_account_role(actor, id, role).await?;
    tx.commit().await?;
    Ok(())
}

/// `POST /admin/instances`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewInstanceRequest {
    /// `ecs` (a server) or `storefront`.
    pub product: String,
    /// The public IPv4 or IPv6 address, if any.
    pub public_ip: Option<String>,
    /// The term, Unix milliseconds; the start defaults to now.
    pub term_start: Option<i64>,
    pub term_end: i64,
    /// `running` (default), `stopped` or `released`.
    pub status: Option<String>,
    /// The owner account's id.
    pub account_id: Option<String>,
}

/// Validates and creates an instance; returns its id.
pub async fn create_instance(
    store: &Store,
    actor: &str,
    req: &NewInstanceRequest,
) -> Result<String, AdminError> {
    let mut fields = Vec::new();
    if !matches!(req.product.as_str(), "ecs" | "storefront") {
        fields.push(FieldError::new("product", "api.field.instance_product"));
    }
    let ip = req
        .public_ip
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty());
    if ip.is_some_and(|ip| ip.parse::<std::net::IpAddr>().is_err()) {
        fields.push(FieldError::new("public_ip", "api.field.public_ip"));
    }
    let status = req.status.as_deref().unwrap_or("running");
    if !INSTANCE_STATES.contains(&status) {
        fields.push(FieldError::new("status", "api.field.instance_status"));
    }
    let start = req
        .term_start
        .unwrap_or_else(|| store.now().timestamp_millis());
    if req.term_end <= start {
        fields.push(FieldError::new("term_end", "api.field.term_end"));
    }
    if let Some(owner) = &req.account_id {
        match store.account(owner).await {
            Ok(_) => {}
            Err(StoreError::NotFound { .. }) => {
                fields.push(FieldError::new("account_id", "api.field.unknown_account"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    if !fields.is_empty() {
        return Err(AdminError::Invalid(fields));
    }
    let mut tx = store.begin().await?;
    let id = tx
        .insert_instance(
            actor,
            &NewInstance {
                account_id: req.account_id.as_deref(),
                product: &req.product,
                public_ip: ip,
                term_start: start,
                term_end: req.term_end,
            },
        )
        .await?;
    if status != "running" {
        tx.set_instance_status(actor, &id, status).await?;
    }
    tx.commit().await?;
    Ok(id)
}

/// A fresh service number (see the module docs for the format).
pub fn new_service_number() -> String {
    let bits: u128 = rand::random::<u128>() >> 48; // 80 bits
    let chars: Vec<u8> = (0..16)
        .map(|i| CROCKFORD[((bits >> (5 * (15 - i))) & 0x1f) as usize])
        .collect();
    let groups: Vec<&str> = chars
        .chunks(4)
        .map(|c| std::str::from_utf8(c).unwrap_or("0000"))
        .collect();
    format!("SN-{}", groups.join("-"))
}

/// Issues `count` numbers on an instance within the policy: refused (422
/// `service_number_limit`) when the instance would have more live numbers than the limit, and
/// (422 `instance_not_qualifying`) for an instance that cannot back a filing (a storefront, or
/// a state the policy does not accept).
pub async fn issue_numbers(
    store: &Store,
    actor: &str,
    instance_id: &str,
    count: i64,
) -> Result<Vec<String>, AdminError> {
    if !(1..=MAX_ISSUE_PER_REQUEST).contains(&count) {
        return Err(AdminError::Invalid(vec![FieldError {
            path: "count".into(),
            message: Message::new("api.field.issue_count")
                .with_arg("max", MAX_ISSUE_PER_REQUEST.to_string()),
        }]));
    }
    let instance = store.instance(instance_id).await?;
    let mut tx = store.begin().await?;
    let policy = tx.service_number_policy().await?;
    if instance.product == "storefront" || !policy.qualifying_states.contains(&instance.status) {
        return Err(AdminError::Refused(
            422,
            "instance_not_qualifying",
            Message::new("api.error.instance_not_qualifying"),
        ));
    }
    let live = tx.lock_instance_live_numbers(instance_id).await?;
    if live + count > policy.per_instance_limit {
        return Err(AdminError::Refused(
            422,
            "service_number_limit",
            Message::new("api.error.service_number_limit")
                .with_arg("limit", policy.per_instance_limit.to_string())
                .with_arg("live", live.to_string()),
        ));
    }
    let mut numbers = Vec::new();
    for _ in 0..count {
        let number = new_service_number();
        tx.insert_service_number(actor, instance_id, &number)
            .await?;
        numbers.push(number);
    }
    tx.commit().await?;
    Ok(numbers)
}

/// Revokes an unbound number (→ expired). Refused (409 `service_number_in_use`) for a
/// number bound to an order or used.
pub async fn revoke_number(store: &Store, actor: &str, number: &str) -> Result<(), AdminError> {
    store.service_number(number).await?;
    let mut tx = store.begin().await?;
    tx.set_service_number_status(
        actor,
        number,
        ServiceNumberStatus::Unbound,
        ServiceNumberStatus::Expired,
        None,
    )
    .await
    .map_err(|e| match e {
        StoreError::InvalidState { .. } => AdminError::Refused(
            409,
            "service_number_in_use",
            Message::new("api.error.service_number_in_use"),
        ),
        other => other.into(),
    })?;
    tx.commit().await?;
    Ok(())
}

/// The policy as the API reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PolicyBody {
    /// Live numbers (any status but expired) one instance may have; 1 to 1000.
    pub per_instance_limit: i64,
    /// Shortest remaining term, in months, of an instance backing a filing; 0 to 120.
    pub min_term_months: i64,
    /// Instance states that qualify: a non-empty subset of `running`, `stopped`, `released`.
    pub qualifying_states: Vec<String>,
}

impl From<ServiceNumberPolicy> for PolicyBody {
    fn from(p: ServiceNumberPolicy) -> PolicyBody {
        PolicyBody {
            per_instance_limit: p.per_instance_limit,
            min_term_months: p.min_term_months,
            qualifying_states: p.qualifying_states,
        }
    }
}

/// Validates and stores the policy.
pub async fn set_policy(store: &Store, actor: &str, body: &PolicyBody) -> Result<(), AdminError> {
    let mut fields = Vec::new();
    if !(1..=1000).contains(&body.per_instance_limit) {
        fields.push(FieldError::new(
            "per_instance_limit",
            "api.field.policy_limit",
        ));
    }
    if !(0..=120).contains(&body.min_term_months) {
        fields.push(FieldError::new("min_term_months", "api.field.policy_term"));
    }
    let mut states = body.qualifying_states.clone();
    states.sort();
    states.dedup();
    if states.is_empty()
        || states
            .iter()
            .any(|s| !INSTANCE_STATES.contains(&s.as_str()))
    {
        fields.push(FieldError::new(
            "qualifying_states",
            "api.field.policy_states",
        ));
    }
    if !fields.is_empty() {
        return Err(AdminError::Invalid(fields));
    }
    let mut tx = store.begin().await?;
    tx.set_service_number_policy(
        actor,
        &ServiceNumberPolicy {
            per_instance_limit: body.per_instance_limit,
            min_term_months: body.min_term_months,
            qualifying_states: states,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// One holiday period as the API reads and writes it (dates `YYYY-MM-DD`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PeriodBody {
    pub name_zh: String,
    #[serde(default)]
    pub name_en: String,
    /// First day off.
    pub first: String,
    /// Last day off (weekends inside included).
    pub last: String,
    /// Weekend days worked for this period (调休上班).
    #[serde(default)]
    pub make_up: Vec<String>,
    #[serde(default)]
    pub note: Option<String>,
}

/// A year's schedule as the API reads and writes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct YearBody {
    /// The State Council notice's title.
    pub notice: String,
    pub holidays: Vec<PeriodBody>,
}

impl From<&YearSchedule> for YearBody {
    fn from(y: &YearSchedule) -> YearBody {
        YearBody {
            notice: y.notice.clone(),
            holidays: y
                .holidays
                .iter()
                .map(|p| PeriodBody {
                    name_zh: p.name_zh.clone(),
                    name_en: p.name_en.clone(),
                    first: p.first.to_string(),
                    last: p.last.to_string(),
                    make_up: p.make_up.iter().map(NaiveDate::to_string).collect(),
                    note: p.note.clone(),
                })
                .collect(),
        }
    }
}

fn parse_date(path: String, value: &str, fields: &mut Vec<FieldError>) -> Option<NaiveDate> {
    match NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            fields.push(FieldError::new(path, "api.field.date"));
            None
        }
    }
}

/// Validates a year (dates, each within the reach of that year's notice, no day listed
/// twice, also against the neighbouring years) and stores it; the merged calendar then uses it.
pub async fn put_year(
    store: &Store,
    actor: &str,
    year: i32,
    body: &YearBody,
) -> Result<YearSchedule, AdminError> {
    let mut fields = Vec::new();
    let mut holidays = Vec::new();
    for (i, p) in body.holidays.iter().enumerate() {
        let first = parse_date(format!("holidays.{i}.first"), &p.first, &mut fields);
        let last = parse_date(format!("holidays.{i}.last"), &p.last, &mut fields);
        let make_up: Vec<Option<NaiveDate>> = p
            .make_up
            .iter()
            .enumerate()
            .map(|(j, d)| parse_date(format!("holidays.{i}.make_up.{j}"), d, &mut fields))
            .collect();
        if let (Some(first), Some(last)) = (first, last) {
            holidays.push(HolidayPeriod {
                name_zh: p.name_zh.trim().to_owned(),
                name_en: p.name_en.trim().to_owned(),
                first,
                last,
                make_up: make_up.into_iter().flatten().collect(),
                note: p.note.clone().filter(|n| !n.trim().is_empty()),
            });
        }
    }
    if !fields.is_empty() {
        return Err(AdminError::Invalid(fields));
    }
    let schedule = YearSchedule {
        year,
        notice: body.notice.trim().to_owned(),
        holidays,
    };
    let current = store.calendar().await?;
    with_year(&current, schedule.clone())
        .map_err(|e| AdminError::Invalid(vec![FieldError::localized("holidays", &e)]))?;
    let mut tx = store.begin().await?;
    tx.put_calendar_year(actor, &schedule).await?;
    tx.commit().await?;
    Ok(schedule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_numbers_have_the_documented_shape() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..200 {
            let n = new_service_number();
            assert_eq!(n.len(), 22, "{n}");
            assert!(n.starts_with("SN-"), "{n}");
            let groups: Vec<&str> = n[3..].split('-').collect();
            assert_eq!(groups.len(), 4, "{n}");
            for g in groups {
                assert_eq!(g.len(), 4, "{n}");
                assert!(g.bytes().all(|b| CROCKFORD.contains(&b)), "{n}");
            }
            assert!(!n[3..].contains(['I', 'L', 'O', 'U']), "{n}");
            seen.insert(n);
        }
        assert_eq!(seen.len(), 200);
    }

    #[test]
    fn one_time_passwords_meet_the_password_rules() {
        for _ in 0..50 {
            let p = one_time_password();
            assert_eq!(p.chars().count(), ONE_TIME_PASSWORD_CHARS);
            let mut fields = Vec::new();
            crate::api::accounts::check_password(&p, &mut fields);
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
