//! 取消接入 (seed 1): the customer no longer hosts a website here. After a confirmation (the
//! call itself), a six-digit code is texted to the website's responsible person's mobile on
//! file ([`Workflow::send_cancel_access_code`]); the code (single use, valid
//! [`CANCEL_CODE_VALID_MINUTES`] minutes, [`CANCEL_CODE_ATTEMPTS`] tries, stored as a keyed
//! hash) and the sponsor's filing password (checked by the registry, `isp_verifybamm`) confirm
//! it ([`Workflow::cancel_access`]). Then, in one transaction, the access moves `active →
//! cancelling`, with its audit records and the `bureau.upload` job that sends 取消接入 to the
//! bureau (its handler sets `cancelled` on the bureau's result). The number stays with the
//! ministry.

use beian_core::i18n::Locale;
use beian_core::province::Province;
use beian_store::StoreError;
use beian_store::accesses::{Access, AccessStatus};
use beian_store::audit::AuditEntry;
use beian_store::cancel_codes::NewCancelCode;
use beian_store::crypto::mask;
use beian_store::sponsors::{Sponsor, Website};
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

/// The answer of `POST /websites/{id}/cancel-access/code`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelCodeSent {
    pub website_id: String,
    /// The mobile the code went to, masked (`138****8000`).
    pub sent_to: String,
    pub valid_minutes: u32,
    /// Unix milliseconds.
    pub expires_at: i64,
    pub attempts: i64,
    /// Seconds before another code may be asked for.
    pub resend_after_secs: i64,
    /// As far as our records show, this provider is the website's only access (it was filed
    /// through us): the bureau refuses to cancel the only access (1025). The customer is
    /// also told by mail and SMS.
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

/// The answer of `POST /websites/{id}/cancel-access`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CancelledAccess {
    pub access_id: String,
    pub website_id: String,
    pub domain: String,
    /// The website number: it stays with the ministry.
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

/// The account's sponsor, its website `website_id` and that website's open access here.
struct Target {
    sponsor: Sponsor,
    website: Website,
    access: Access,
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
            sponsor,
            website,
            access,
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
        let mobile = t.website.data.responsible.mobile.trim().to_owned();
        if mobile.is_empty() {
            return Err(WorkflowError::Sponsor(SponsorRefusal::NoMobileOnFile));
        }
        let now = self.store.now().timestamp_millis();
        let recent = self
            .store
            .cancel_codes_since(website_id, now - 3_600_000)
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
                    website_id,
                    access_id: &t.access.id,
                    account_id: &acting.account_id,
                    code: &code,
                    attempts: CANCEL_CODE_ATTEMPTS,
                    expires_at,
                },
            )
            .await?;
        let notification = Notification::CancelAccessCode {
            domain: t.website.data.domain.clone(),
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
        let only_access = self.filed_through_us(&t.access).await?;
        if only_access {
            let to = crate::bureau::applicant_recipients(self.store, &acting.account_id).await?;
            let warning = Notification::CancelAccessOnlyAccess {
                domain: t.website.data.domain.clone(),
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
        Ok(CancelCodeSent {
            website_id: website_id.to_owned(),
            sent_to: mask(&mobile),
            valid_minutes: CANCEL_CODE_VALID_MINUTES,
            expires_at,
            attempts: CANCEL_CODE_ATTEMPTS,
            resend_after_secs: RESEND_AFTER_SECS,
            only_access,
        })
    }

    /// Whether the access came from an order that filed the website here (首次备案, 新增网站,
    /// 无主体新增网站): then, as far as we can know (V3 does not list other providers'
    /// accesses), ours is the website's only access. An access added to a site filed
    /// elsewhere (新增接入, 继续接入) has another provider beside it.
    async fn filed_through_us(&self, access: &Access) -> Result<bool, WorkflowError> {
        let Some(order_id) = &access.order_id else {
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
        let mut errors = FieldErrors::new();
        for (path, value) in [("sms_code", &input.sms_code), ("password", &input.password)] {
            if value.trim().is_empty() {
                errors.insert(path.to_owned(), FieldError::new("workflow.required"));
            }
        }
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let t = self.cancel_target(acting, website_id).await?;
        let refuse = |r| Err(WorkflowError::Sponsor(r));
        let Some(code) = self.store.latest_cancel_code(website_id).await? else {
            return refuse(SponsorRefusal::CodeMissing);
        };
        if code.used_at.is_some() || code.access_id != t.access.id {
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
            .cancel_code_matches(&code.id, &input.sms_code)
            .await?
        {
            let mut tx = self.store.begin().await?;
            let left = match tx.fail_cancel_code(&actor, &code.id).await {
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
        tx.use_cancel_code(&actor, &code.id)
            .await
            .map_err(|e| match e {
                StoreError::InvalidState { .. } => {
                    WorkflowError::Sponsor(SponsorRefusal::CodeMissing)
                }
                other => other.into(),
            })?;
        tx.set_access_status(
            &actor,
            &t.access.id,
            AccessStatus::Active,
            AccessStatus::Cancelling,
        )
        .await
        .map_err(|e| match e {
            StoreError::InvalidState { .. } => {
                WorkflowError::Sponsor(SponsorRefusal::AccessCancelling)
            }
            other => other.into(),
        })?;
        tx.append_audit(
            AuditEntry::new(
                &actor,
                "access.cancel_requested",
                format!("access:{}", t.access.id),
            )
            .after(json!({
                "website": website_id,
                "domain": t.website.data.domain,
                "icp_number": t.website.icp_number,
            })),
        );
        // 取消接入 carries ICPmm (the MD5 of the password, as the interface asks): kept sealed
        // until the upload is accepted (crate::bureau), never the password.
        tx.put_bureau_secret(
            &format!("access:{}", t.access.id),
            beian_miit::v3::auth::icp_password_hash(&input.password).expose(),
        )
        .await?;
        tx.enqueue_job(
            crate::bureau::UPLOAD_JOB,
            &crate::bureau::cancel_access_payload(&t.access.id),
            self.store.now(),
        )
        .await?;
        tx.commit().await?;
        Ok(CancelledAccess {
            access_id: t.access.id,
            website_id: website_id.to_owned(),
            domain: t.website.data.domain,
            icp_number: t.website.icp_number,
            status: AccessStatus::Cancelling.as_str().to_owned(),
        })
    }
}
