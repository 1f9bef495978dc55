//! 取消接入 (seed 1): the customer no longer hosts a website (or, issue 18, an APP) here. After a confirmation (the
//! call itself), a six-digit code is texted to the website's responsible person's mobile on
//! file ([`Workflow::send_cancel_access_code`]); the code (single use, valid
//! [`CANCEL_CODE_VALID_MINUTES`] minutes, [`CANCEL_CODE_ATTEMPTS`] tries, stored as a keyed
//! hash) and the sponsor's filing password (checked by the registry, `isp_verifybamm`) confirm
//! it ([`Workflow::cancel_access`]). Then, in one transaction, the access moves `active →
//! cancelling`, with its audit records and the `bureau.upload` job that sends 取消接入 to the
//! bureau (its handler sets `cancelled` on the bureau's result). The number stays with the
//! ministry. An APP's goes the same way (`/apps/{id}/cancel-access…`): its code to the APP's
//! responsible person, its access in `app_accesses`, its upload the extension's `QXJR`.

use beian_core::i18n::Locale;
use beian_core::province::Province;
use beian_store::StoreError;
use beian_store::accesses::AccessStatus;
use beian_store::audit::AuditEntry;
use beian_store::cancel_codes::{CodeScope, NewCancelCode};
use beian_store::crypto::mask;
use beian_store::sponsors::Sponsor;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{FieldError, FieldErrors, WorkflowError};
use super::{Acting, SponsorRefusal, Workflow};
use crate::notify::{Contact, Notification, NotifyJob, Recipients, SecretCode, jobs_for};

/// How long a code works.
pub const CANCEL_CODE_VALID_MINUTES: u32 = 10;
/// Wrong tries a code allows.
pub const CANCEL_CODE_ATTEMPTS: i64 = 5;
/// Shortest time between two codes for one website.
const RESEND_AFTER_SECS: i64 = 60;
/// Most codes for one website in an hour.
const CODES_PER_HOUR: usize = 5;

/// The answer of `POST /websites/{id}/cancel-access/code` (and `/apps/{id}/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelCodeSent {
    /// The website's id (a website's 取消接入).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_id: Option<String>,
    /// The APP's id (an APP's 取消接入).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    /// The mobile the code went to, masked (`138****8000`).
    pub sent_to: String,
    pub valid_minutes: u32,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub attempts: i64,
    /// Seconds before another code may be asked for.
    pub resend_after_secs: i64,
    /// As far as our records show, this provider is the website's (or APP's) only access (it
    /// was filed through us): the bureau refuses to cancel the only access (1025). The
    /// customer is also told by mail and SMS.
    pub only_access: bool,
}

/// The body of `POST /websites/{id}/cancel-access`. `Debug` hides both secrets.
#[derive(Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(default)]
pub struct CancelAccessInput {
    /// The six-digit code texted to the responsible person.
    pub sms_code: String,
    /// The sponsor's filing password (备案密码).
    pub password: String,
}

impl std::fmt::Debug for CancelAccessInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CancelAccessInput { .. }")
    }
}

/// The answer of `POST /websites/{id}/cancel-access` (and `/apps/{id}/…`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelledAccess {
    pub access_id: String,
    /// A website's 取消接入: the website and its domain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// An APP's 取消接入: the APP and its name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// The website's (or APP's `-NA`) number: it stays with the ministry.
    pub icp_number: Option<String>,
    /// `cancelling` until the bureau's result.
    pub status: String,
}

impl CancelledAccess {
    /// What it means (seed 1): the number stays with the ministry; ask the new provider to
    /// file access soon.
    pub fn notice(locale: Locale) -> String {
        super::messages().render(locale, "sponsor.cancel_access_notice", &[])
    }
}

/// What is cancelled: the account's sponsor, its website or APP and that service's open
/// access here.
struct Target {
    scope: CodeScope,
    /// The website's id, or the APP's.
    id: String,
    sponsor: Sponsor,
    /// The website's domain, or the APP's name (what the texts name).
    name: String,
    icp_number: Option<String>,
    /// The service's responsible person's mobile on file.
    mobile: String,
    access_id: String,
    access_order_id: Option<String>,
}

impl Workflow<'_> {
    async fn cancel_target(
        &self,
        acting: &Acting,
        website_id: &str,
    ) -> Result<Target, WorkflowError> {
        let refuse = |r| Err(WorkflowError::Sponsor(r));
        let sponsor = self.own_sponsor(acting).await?;
        let website = match self.store.website(website_id).await {
            Ok(w) if w.data.sponsor_id == sponsor.id => w,
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return refuse(SponsorRefusal::WebsiteNotFound);
            }
            Err(e) => return Err(e.into()),
        };
        let access = match self.store.open_access_of_website(website_id).await? {
            Some(a) if a.status == AccessStatus::Active => a,
            Some(_) => return refuse(SponsorRefusal::AccessCancelling),
            None => return refuse(SponsorRefusal::NoActiveAccess),
        };
        Ok(Target {
            scope: CodeScope::Website,
            id: website.id,
            sponsor,
            name: website.data.domain,
            icp_number: website.icp_number,
            mobile: website.data.responsible.mobile.trim().to_owned(),
            access_id: access.id,
            access_order_id: access.order_id,
        })
    }

    /// An APP's 取消接入 (issue 18): one of the sponsor's APPs (else `website_not_found`, as
    /// `POST /apps/{id}/orders` answers) with an active access here.
    async fn app_cancel_target(
        &self,
        acting: &Acting,
        app_id: &str,
    ) -> Result<Target, WorkflowError> {
        let refuse = |r| Err(WorkflowError::Sponsor(r));
        let sponsor = self.own_sponsor(acting).await?;
        let app = match self.store.app(app_id).await {
            Ok(a) if a.data.sponsor_id == sponsor.id => a,
            Ok(_) | Err(StoreError::NotFound { .. }) => {
                return refuse(SponsorRefusal::WebsiteNotFound);
            }
            Err(e) => return Err(e.into()),
        };
        let access = match self.store.open_access_of_app(app_id).await? {
            Some(a) if a.status == AccessStatus::Active => a,
            Some(_) => return refuse(SponsorRefusal::AccessCancelling),
            None => return refuse(SponsorRefusal::NoActiveAccess),
        };
        Ok(Target {
            scope: CodeScope::App,
            id: app.id,
            sponsor,
            name: app.data.name,
            icp_number: app.icp_number,
            mobile: app.data.responsible.mobile.trim().to_owned(),
            access_id: access.id,
            access_order_id: access.order_id,
        })
    }

    /// `POST /websites/{id}/cancel-access/code`: texts a new code to the website's responsible
    /// person (retiring any earlier one). At most one code a minute and
    /// [`CODES_PER_HOUR`] an hour per website.
    pub async fn send_cancel_access_code(
        &self,
        acting: &Acting,
        website_id: &str,
    ) -> Result<CancelCodeSent, WorkflowError> {
        let t = self.cancel_target(acting, website_id).await?;
        self.send_code(acting, t).await
    }

    /// `POST /apps/{id}/cancel-access/code`: as for a website, to the APP's responsible
    /// person.
    pub async fn send_app_cancel_access_code(
        &self,
        acting: &Acting,
        app_id: &str,
    ) -> Result<CancelCodeSent, WorkflowError> {
        let t = self.app_cancel_target(acting, app_id).await?;
        self.send_code(acting, t).await
    }

    async fn send_code(&self, acting: &Acting, t: Target) -> Result<CancelCodeSent, WorkflowError> {
        let mobile = t.mobile.clone();
        if mobile.is_empty() {
            return Err(WorkflowError::Sponsor(SponsorRefusal::NoMobileOnFile));
        }
        let now = self.store.now().timestamp_millis();
        let recent = self
            .store
            .cancel_codes_since(t.scope, &t.id, now - 3_600_000)
            .await?;
        let wait_ms = recent
            .last()
            .map_or(0, |c| c.created_at + RESEND_AFTER_SECS * 1000 - now)
            .max(if recent.len() >= CODES_PER_HOUR {
                recent[recent.len() - CODES_PER_HOUR].created_at + 3_600_000 - now
            } else {
                0
            });
        if wait_ms > 0 {
            return Err(WorkflowError::Sponsor(SponsorRefusal::CodeTooSoon {
                retry_after_secs: u64::try_from(wait_ms).unwrap_or(1000).div_ceil(1000),
            }));
        }

        let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
        let expires_at = now + i64::from(CANCEL_CODE_VALID_MINUTES) * 60_000;
        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        let code_id = tx
            .insert_cancel_code(
                &actor,
                &NewCancelCode {
                    scope: t.scope,
                    subject_id: &t.id,
                    access_id: &t.access_id,
                    account_id: &acting.account_id,
                    code: &code,
                    attempts: CANCEL_CODE_ATTEMPTS,
                    expires_at,
                },
            )
            .await?;
        let notification = Notification::CancelAccessCode {
            domain: t.name.clone(),
            code: SecretCode::new(code),
            valid_minutes: CANCEL_CODE_VALID_MINUTES,
        };
        let recipients = Recipients {
            email: None,
            mobile: Some(Contact::new(mobile.clone())),
            locale: Locale::ZhCn,
        };
        for job in jobs_for(
            &format!("cancel_code:{code_id}"),
            &notification,
            &recipients,
        ) {
            let payload = crate::notify::seal_notify_job(self.store, &job)?;
            tx.enqueue_job(NotifyJob::KIND, &payload, self.store.now())
                .await?;
        }
        let only_access = self.filed_through_us(t.access_order_id.as_deref()).await?;
        if only_access {
            let to = crate::bureau::applicant_recipients(self.store, &acting.account_id).await?;
            let warning = Notification::CancelAccessOnlyAccess {
                domain: t.name.clone(),
            };
            crate::notify::enqueue_notification(
                &mut tx,
                &format!("cancel_code:{code_id}:only_access"),
                &warning,
                &to,
            )
            .await?;
        }
        tx.commit().await?;
        let (website_id, app_id) = match t.scope {
            CodeScope::Website => (Some(t.id), None),
            CodeScope::App => (None, Some(t.id)),
        };
        Ok(CancelCodeSent {
            website_id,
            app_id,
            sent_to: mask(&mobile),
            valid_minutes: CANCEL_CODE_VALID_MINUTES,
            expires_at,
            attempts: CANCEL_CODE_ATTEMPTS,
            resend_after_secs: RESEND_AFTER_SECS,
            only_access,
        })
    }

    /// Whether the access came from an order that filed the website (or APP) here (首次备案,
    /// 新增网站 or 新增APP, 无主体新增网站): then, as far as we can know (V3 does not list
    /// other providers' accesses), ours is its only access. An access added to a service
    /// filed elsewhere (新增接入, 继续接入) has another provider beside it.
    async fn filed_through_us(&self, order_id: Option<&str>) -> Result<bool, WorkflowError> {
        let Some(order_id) = order_id else {
            return Ok(false);
        };
        let order = self.store.order(order_id).await?;
        Ok(
            beian_core::kind::FilingKind::parse(&order.kind).is_some_and(|k| {
                matches!(
                    k,
                    beian_core::kind::FilingKind::FirstFiling
                        | beian_core::kind::FilingKind::NewWebsite
                        | beian_core::kind::FilingKind::NewWebsiteElsewhereSponsor
                )
            }),
        )
    }

    /// `POST /websites/{id}/cancel-access`: checks the code (a wrong one costs a try, kept
    /// even though the request fails), then the filing password at the registry, then sends
    /// 取消接入 in one transaction.
    pub async fn cancel_access(
        &self,
        acting: &Acting,
        website_id: &str,
        input: &CancelAccessInput,
    ) -> Result<CancelledAccess, WorkflowError> {
        required(input)?;
        let t = self.cancel_target(acting, website_id).await?;
        self.confirm(acting, t, input).await
    }

    /// `POST /apps/{id}/cancel-access`: as for a website; the upload is the extension's
    /// `QXJR` (docs/interface-extensions.md).
    pub async fn cancel_app_access(
        &self,
        acting: &Acting,
        app_id: &str,
        input: &CancelAccessInput,
    ) -> Result<CancelledAccess, WorkflowError> {
        required(input)?;
        let t = self.app_cancel_target(acting, app_id).await?;
        self.confirm(acting, t, input).await
    }

    async fn confirm(
        &self,
        acting: &Acting,
        t: Target,
        input: &CancelAccessInput,
    ) -> Result<CancelledAccess, WorkflowError> {
        let refuse = |r| Err(WorkflowError::Sponsor(r));
        let Some(code) = self.store.latest_cancel_code(t.scope, &t.id).await? else {
            return refuse(SponsorRefusal::CodeMissing);
        };
        if code.used_at.is_some() || code.access_id != t.access_id {
            return refuse(SponsorRefusal::CodeMissing);
        }
        if code.attempts_left <= 0 {
            return refuse(SponsorRefusal::CodeExhausted);
        }
        if self.store.now().timestamp_millis() >= code.expires_at {
            return refuse(SponsorRefusal::CodeExpired);
        }
        let actor = acting.actor();
        if !self
            .store
            .cancel_code_matches(t.scope, &code.id, &input.sms_code)
            .await?
        {
            let mut tx = self.store.begin().await?;
            let left = match tx.fail_cancel_code(&actor, t.scope, &code.id).await {
                Ok(left) => left,
                // Used up or replaced meanwhile.
                Err(StoreError::InvalidState { .. }) => return refuse(SponsorRefusal::CodeMissing),
                Err(e) => return Err(e.into()),
            };
            tx.commit().await?;
            return refuse(if left > 0 {
                SponsorRefusal::CodeIncorrect { tries_left: left }
            } else {
                SponsorRefusal::CodeExhausted
            });
        }

        let Some(sponsor_number) = t.sponsor.icp_number.clone() else {
            return refuse(SponsorRefusal::SponsorNotFiled);
        };
        let province = Province::parse(&t.sponsor.data.province)
            .map_err(|_| WorkflowError::Store(StoreError::Corrupt("sponsors.province")))?;
        self.check_filing_password(&sponsor_number, &input.password, province)
            .await?;

        let mut tx = self.store.begin().await?;
        tx.use_cancel_code(&actor, t.scope, &code.id)
            .await
            .map_err(|e| match e {
                StoreError::InvalidState { .. } => {
                    WorkflowError::Sponsor(SponsorRefusal::CodeMissing)
                }
                other => other.into(),
            })?;
        let cancelling = match t.scope {
            CodeScope::Website => {
                tx.set_access_status(
                    &actor,
                    &t.access_id,
                    AccessStatus::Active,
                    AccessStatus::Cancelling,
                )
                .await
            }
            CodeScope::App => {
                tx.set_app_access_status(
                    &actor,
                    &t.access_id,
                    AccessStatus::Active,
                    AccessStatus::Cancelling,
                )
                .await
            }
        };
        cancelling.map_err(|e| match e {
            StoreError::InvalidState { .. } => {
                WorkflowError::Sponsor(SponsorRefusal::AccessCancelling)
            }
            other => other.into(),
        })?;
        // 取消接入 carries ICPmm (the MD5 of the password, as the interface asks): kept sealed
        // until the upload is accepted (crate::bureau), never the password.
        let (subject, secret_key, payload) = match t.scope {
            CodeScope::Website => (
                format!("access:{}", t.access_id),
                format!("access:{}", t.access_id),
                crate::bureau::cancel_access_payload(&t.access_id),
            ),
            CodeScope::App => (
                format!("app_access:{}", t.access_id),
                format!("app_access:{}", t.access_id),
                crate::bureau::app_cancel_access_payload(&t.access_id),
            ),
        };
        let service = match t.scope {
            CodeScope::Website => json!({
                "website": t.id, "domain": t.name, "icp_number": t.icp_number,
            }),
            CodeScope::App => json!({
                "app": t.id, "name": t.name, "icp_number": t.icp_number,
            }),
        };
        tx.append_audit(AuditEntry::new(&actor, "access.cancel_requested", subject).after(service));
        tx.put_bureau_secret(
            &secret_key,
            beian_miit::v3::auth::icp_password_hash(&input.password).expose(),
        )
        .await?;
        tx.enqueue_job(crate::bureau::UPLOAD_JOB, &payload, self.store.now())
            .await?;
        tx.commit().await?;
        let website = t.scope == CodeScope::Website;
        Ok(CancelledAccess {
            access_id: t.access_id,
            website_id: website.then(|| t.id.clone()),
            domain: website.then(|| t.name.clone()),
            app_id: (!website).then(|| t.id.clone()),
            app_name: (!website).then(|| t.name.clone()),
            icp_number: t.icp_number,
            status: AccessStatus::Cancelling.as_str().to_owned(),
        })
    }
}

/// Both secrets must be given (422 naming the missing ones).
fn required(input: &CancelAccessInput) -> Result<(), WorkflowError> {
    let mut errors = FieldErrors::new();
    for (path, value) in [("sms_code", &input.sms_code), ("password", &input.password)] {
        if value.trim().is_empty() {
            errors.insert(path.to_owned(), FieldError::new("workflow.required"));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(WorkflowError::Invalid(errors))
    }
}
