//! Product instances, the service numbers they issue (format: see the parent module) and the
//! service-number policy: validated, then one transaction each with its audit record.

use beian_store::Store;
use beian_store::StoreError;
use beian_store::admin::{INSTANCE_STATES, ServiceNumberPolicy};
use beian_store::products::{NewInstance, ServiceNumberStatus};
use serde::{Deserialize, Serialize};

use super::AdminError;
use crate::message::{FieldError, Message};

/// Characters of a service number (Crockford base32).
const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Numbers one request may issue.
pub const MAX_ISSUE_PER_REQUEST: i64 = 100;

/// `POST /admin/instances`.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
}
