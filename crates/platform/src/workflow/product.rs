//! 产品验证 and 验证备案密码: proving where the website will be hosted, and that the
//! applicant holds the sponsor's filing password.
//!
//! A service number (备案服务号) backs an order when it exists, is unbound (未绑定), and its
//! instance is a server product that qualifies under the service-number policy the admins keep
//! in the database ([`beian_store::admin::ServiceNumberPolicy`], by default: running, at least
//! [`MIN_TERM_MONTHS`] of its term left, at most 5 numbers in use), and has a public IP.
//! Binding moves it to bound (已绑定) for this order; a number the order held before goes back
//! to unbound. The storefront products (seed 2) are verified by the account's active
//! storefront subscription instead.
//!
//! The filing password is checked by the registry (`isp_verifybamm`) against the sponsor
//! number the filing check found. When the registry locks the check after too many
//! attempts, the refusal says where the password can be recovered (the bureau's site).

use beian_core::order::{Event, Flow, ProductLine, apply};
use beian_core::rules::rules_for;
use beian_miit::v3::codes::{PasswordCheck, ReturnCode};
use beian_store::StoreError;
use beian_store::orders::TimelineEvent;
use beian_store::products::ServiceNumberStatus;
use chrono::Months;

use super::error::{ServiceNumberRefusal, WorkflowError};
use super::view::Loaded;
use super::{Acting, Workflow};

/// The default shortest remaining term of an instance that can back a filing, in months (the
/// policy in the database decides; this is what the migration installs).
pub const MIN_TERM_MONTHS: u32 = 3;

/// The flow once the product line is known (the rules in force now; the submission stores
/// the flow again under the rules in force then).
fn known_flow(
    l: &Loaded,
    line: ProductLine,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<serde_json::Value, WorkflowError> {
    let flow = Flow::from_rules(l.kind, line, &rules_for(l.province, l.kind, now));
    serde_json::to_value(flow).map_err(|e| WorkflowError::Store(StoreError::Json(e)))
}

fn needs_product(l: &Loaded) -> Result<(), WorkflowError> {
    if !l.kind.needs_product() {
        return Err(WorkflowError::NotForThisKind);
    }
    if !l.state.is_editable() {
        return Err(WorkflowError::NotEditable { state: l.state });
    }
    Ok(())
}

impl Workflow<'_> {
    /// `PUT /orders/{id}/product {service_number}`.
    pub async fn bind_service_number(
        &self,
        acting: &Acting,
        order_id: &str,
        number: &str,
    ) -> Result<(), WorkflowError> {
        let l = self.load(acting, order_id).await?;
        needs_product(&l)?;
        let number = number.trim();
        let sn = match self.store.service_number(number).await {
            Ok(sn) => sn,
            Err(StoreError::NotFound { .. }) => {
                return Err(WorkflowError::ServiceNumber(ServiceNumberRefusal::Unknown));
            }
            Err(e) => return Err(e.into()),
        };
        let ours = sn.order_id.as_deref() == Some(order_id);
        if ours && sn.status == ServiceNumberStatus::Bound {
            return Ok(());
        }
        if sn.status != ServiceNumberStatus::Unbound {
            return Err(WorkflowError::ServiceNumber(ServiceNumberRefusal::Used));
        }
        let instance = self.store.instance(&sn.instance_id).await?;
        let now = self.store.now();
        let refuse = |r| Err(WorkflowError::ServiceNumber(r));
        if instance.product == "storefront" {
            return refuse(ServiceNumberRefusal::WrongProduct);
        }
        let policy = self.store.service_number_policy().await?;
        if !policy.qualifying_states.contains(&instance.status)
            || instance.term_end <= now.timestamp_millis()
        {
            return refuse(ServiceNumberRefusal::InstanceNotRunning);
        }
        if instance
            .public_ip
            .as_deref()
            .is_none_or(|ip| ip.trim().is_empty())
        {
            return refuse(ServiceNumberRefusal::NoPublicIp);
        }
        let months = u32::try_from(policy.min_term_months.max(0)).unwrap_or(u32::MAX);
        let min_end = now
            .checked_add_months(Months::new(months))
            .map_or(i64::MAX, |t| t.timestamp_millis());
        if instance.term_end < min_end {
            return refuse(ServiceNumberRefusal::TermTooShort);
        }
        let in_use: i64 = self
            .store
            .instance_number_counts(&instance.id)
            .await?
            .iter()
            .filter(|(status, _)| matches!(status.as_str(), "bound" | "filing" | "filed"))
            .map(|(_, n)| n)
            .sum();
        if in_use >= policy.per_instance_limit {
            return refuse(ServiceNumberRefusal::InstanceLimitReached);
        }

        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        tx.transition_order(
            order_id,
            l.order.version,
            l.state.as_str(),
            &TimelineEvent::new(&actor, "product_verified"),
        )
        .await?;
        if let Some(previous) = l.work.service_number.as_deref()
            && previous != number
        {
            tx.set_service_number_status(
                &actor,
                previous,
                ServiceNumberStatus::Bound,
                ServiceNumberStatus::Unbound,
                None,
            )
            .await?;
        }
        tx.set_service_number_status(
            &actor,
            number,
            ServiceNumberStatus::Unbound,
            ServiceNumberStatus::Bound,
            Some(order_id),
        )
        .await
        .map_err(|e| match e {
            StoreError::InvalidState { .. } => {
                WorkflowError::ServiceNumber(ServiceNumberRefusal::Used)
            }
            other => other.into(),
        })?;
        tx.set_order_product(&actor, order_id, "server", Some(number))
            .await?;
        tx.set_order_flow(
            order_id,
            &known_flow(&l, ProductLine::Server, self.store.now())?,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `PUT /orders/{id}/product {storefront_account}`: the acting account's storefront
    /// subscription must be active with its term running.
    pub async fn verify_storefront(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<(), WorkflowError> {
        let l = self.load(acting, order_id).await?;
        needs_product(&l)?;
        let now = self.store.now().timestamp_millis();
        let active = self
            .store
            .storefront_subscriptions(&acting.account_id)
            .await?
            .into_iter()
            .any(|s| s.status == "active" && s.term_end > now);
        if !active {
            return Err(WorkflowError::NoStorefront);
        }
        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        tx.transition_order(
            order_id,
            l.order.version,
            l.state.as_str(),
            &TimelineEvent::new(&actor, "product_verified"),
        )
        .await?;
        if let Some(previous) = l.work.service_number.as_deref() {
            tx.set_service_number_status(
                &actor,
                previous,
                ServiceNumberStatus::Bound,
                ServiceNumberStatus::Unbound,
                None,
            )
            .await?;
        }
        tx.set_order_product(&actor, order_id, "storefront", None)
            .await?;
        tx.set_order_flow(
            order_id,
            &known_flow(&l, ProductLine::Storefront, self.store.now())?,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// `POST /orders/{id}/password-verification`: the registry checks the sponsor's filing
    /// password. The password itself is never stored or logged.
    pub async fn verify_filing_password(
        &self,
        acting: &Acting,
        order_id: &str,
        password: &str,
    ) -> Result<(), WorkflowError> {
        let l = self.load(acting, order_id).await?;
        if !l.kind.needs_filing_password() {
            return Err(WorkflowError::NotForThisKind);
        }
        if !l.state.is_editable() {
            return Err(WorkflowError::NotEditable { state: l.state });
        }
        let sponsor_number = l
            .work
            .registry
            .get("sponsor_number")
            .and_then(|v| v.as_str())
            .ok_or(WorkflowError::NotForThisKind)?
            .to_owned();
        let record = self
            .check_filing_password(&sponsor_number, password, l.province)
            .await?;
        let actor = acting.actor();
        let mut forms = l.forms.clone();
        let prefilled = record
            .as_ref()
            .is_some_and(|r| super::prefill::apply_record(&mut forms, r));
        let mut tx = self.store.begin().await?;
        if prefilled {
            // What the registry holds fills the forms' empty fields (never the typed ones).
            tx.set_order_forms(&actor, order_id, &forms.to_json()?, &[])
                .await?;
        }
        tx.transition_order(
            order_id,
            l.order.version,
            l.state.as_str(),
            &TimelineEvent::new(&actor, "password_verified"),
        )
        .await?;
        tx.set_password_verified(&actor, order_id).await?;
        // The upload to the bureau carries ICPmm (the MD5 of the password, as the interface
        // asks): kept sealed until the upload is accepted (crate::bureau), never the password.
        tx.put_bureau_secret(
            &format!("order:{order_id}"),
            beian_miit::v3::auth::icp_password_hash(password).expose(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Asks the registry (`isp_verifybamm`) whether `password` is the filing password of the
    /// sponsor number: a wrong password is [`WorkflowError::PasswordIncorrect`], the registry's
    /// lockout [`WorkflowError::PasswordLocked`] naming where to recover it (the bureau of
    /// `province`). The password is never stored or logged. Shared with 取消接入. A correct
    /// password gives the filing's record when the registry sends one (`<Baxx>`).
    pub(super) async fn check_filing_password(
        &self,
        sponsor_number: &str,
        password: &str,
        province: beian_core::province::Province,
    ) -> Result<Option<beian_miit::v3::returns::FilingRecord>, WorkflowError> {
        let ret = self
            .regulator
            .verify_password(sponsor_number, password)
            .await
            .map_err(|e| WorkflowError::Registry(e.to_string()))?;
        match ret.code() {
            Some(ReturnCode::PasswordCheckLimit) => {
                return Err(WorkflowError::PasswordLocked {
                    bureau: province.bureau().to_owned(),
                });
            }
            Some(code) if code.is_success() => {}
            _ => {
                return Err(WorkflowError::Registry(format!(
                    "isp_verifybamm answered {}",
                    ret.msg_code
                )));
            }
        }
        match ret.verify_res {
            Some(PasswordCheck::Correct) => {}
            Some(PasswordCheck::Incorrect) => return Err(WorkflowError::PasswordIncorrect),
            None => {
                return Err(WorkflowError::Registry(
                    "isp_verifybamm answered without VerifyRes".into(),
                ));
            }
        }
        Ok(ret.filing)
    }

    /// The storefront app reports that the responsible person's identity check (真实性核验)
    /// passed (seed 2: before the submission). `actor` names the reporting system. Refused
    /// (`no_app_identity`) for an order whose flow has no app identity check.
    pub async fn record_app_identity(
        &self,
        actor: &str,
        order_id: &str,
    ) -> Result<(), WorkflowError> {
        let order = self.store.order(order_id).await?;
        let l = self.load_any(order).await?;
        let flow = l.flow(self.store.now());
        apply(l.state, Event::IdentityVerified, &flow)?;
        let mut tx = self.store.begin().await?;
        tx.transition_order(
            order_id,
            l.order.version,
            l.state.as_str(),
            &TimelineEvent::new(actor, "identity_verified"),
        )
        .await?;
        tx.set_identity_verified(actor, order_id).await?;
        tx.commit().await?;
        Ok(())
    }
}
