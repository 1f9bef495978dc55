//! Submitting, resubmitting and abandoning an order, and the provider's return (初审退回).
//!
//! Each goes through [`beian_core::order::apply`] with the order's [`Flow`] (under the
//! province rules in force now) and, for a submission, the [`Readiness`] computed from the
//! order: forms valid, required materials uploaded ([`required_materials`]), product
//! verified, filing password verified, app identity check done. A refused submission names
//! the missing requirements, materials and form fields. The change is then one transaction:
//! the state moves with the expected version ([`WorkflowError::Conflict`] when another
//! change came first), with its timeline entry, audit records, the service number's status
//! and the step's notification jobs.
//!
//! Abandoning past the provider's approval also settles the bureau upload, in the same
//! transaction and under the `dataSequence` counter's lock ([`UploadWithdrawal`],
//! docs/bureau-interop.md "Abandoned after approval"), and the customer is told which.

use beian_core::i18n::Locale;
use beian_core::kind::FilingKind;
use beian_core::order::{Event, OrderState, Readiness, Refusal, apply};
use beian_core::sponsor::{Certificate, CertificateType, SponsorNature};
use beian_store::StoreError;
use beian_store::accounts::Role;
use beian_store::orders::{TimelineEvent, TransitionExtras};
use beian_store::products::ServiceNumberStatus;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::error::{FieldError, FieldErrors, WorkflowError};
use super::view::Loaded;
use super::{Acting, Workflow};
use crate::materials::{MaterialKind, required_materials};
use crate::notify::{Contact, Notification, NotifyJob, Recipients, ReturnReason};

/// The message key of the warning an abandoned access filing carries (seed 2: the site may be
/// shut down at any time, and the bureau may cancel the number, if it is not filed again soon).
pub const ABANDON_ACCESS_WARNING: &str = "workflow.abandon_access_warning";

/// The result of a submission.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Submitted {
    pub state: OrderState,
    pub version: i64,
}

/// The result of abandoning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AbandonOutcome {
    pub state: OrderState,
    pub version: i64,
    /// A message key to show (access kinds), see [`ABANDON_ACCESS_WARNING`].
    pub warning: Option<&'static str>,
    /// Past the provider's approval: what became of the bureau upload (the customer is told,
    /// and the abandon timeline entry's note says so too).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bureau_upload: Option<UploadWithdrawal>,
}

/// What became of the bureau upload of an order abandoned once the provider had approved
/// it. V3.0 has no operation that withdraws an application (注销 and 取消接入 apply to filed
/// records only), and `dataSequence` must reach the bureau without a gap (docs/bureau-interop.md,
/// "Abandoned after approval").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadWithdrawal {
    /// Queued for the bureau, no upload numbered yet: nothing is sent.
    NotSent,
    /// Numbered, never tried, and the last number: deleted, its number given back.
    Withdrawn,
    /// Numbered with later numbers after it, or a try may have reached the bureau: it is still
    /// sent; the bureau decides, and the order stays abandoned here.
    SentAnyway,
    /// The bureau already has it: nothing can withdraw it; the bureau decides.
    AtBureau,
}

impl UploadWithdrawal {
    pub const ALL: [UploadWithdrawal; 4] = [
        UploadWithdrawal::NotSent,
        UploadWithdrawal::Withdrawn,
        UploadWithdrawal::SentAnyway,
        UploadWithdrawal::AtBureau,
    ];

    /// The message key of the customer's mail sentence.
    pub fn message_key(self) -> &'static str {
        match self {
            UploadWithdrawal::NotSent => "notify.abandoned_upload.not_sent",
            UploadWithdrawal::Withdrawn => "notify.abandoned_upload.withdrawn",
            UploadWithdrawal::SentAnyway => "notify.abandoned_upload.sent_anyway",
            UploadWithdrawal::AtBureau => "notify.abandoned_upload.at_bureau",
        }
    }

    /// The message key of the customer's SMS sentence (short: one segment).
    pub fn short_message_key(self) -> &'static str {
        match self {
            UploadWithdrawal::NotSent => "notify.abandoned_upload.not_sent_short",
            UploadWithdrawal::Withdrawn => "notify.abandoned_upload.withdrawn_short",
            UploadWithdrawal::SentAnyway => "notify.abandoned_upload.sent_anyway_short",
            UploadWithdrawal::AtBureau => "notify.abandoned_upload.at_bureau_short",
        }
    }
}

/// One reason of a return: the field's API path and the reviewer's text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReasonInput {
    pub field: String,
    pub message: String,
}

/// What a submission found missing.
struct Gaps {
    readiness: Readiness,
    materials: Vec<MaterialKind>,
    fields: Vec<String>,
}

impl Workflow<'_> {
    /// The materials order `l` needs under `rules` (present or not): the sponsor's documents,
    /// the website's or the APP's, and the province's (docs/api.md "Materials per kind").
    fn required_of(l: &Loaded, rules: &beian_core::rules::ProvinceRules) -> Vec<MaterialKind> {
        let sponsor = &l.forms.sponsor;
        let nature = SponsorNature::parse(&sponsor.identity.nature).unwrap_or(SponsorNature::Other);
        let certificate_type = CertificateType::parse(&sponsor.identity.certificate_type)
            .unwrap_or(CertificateType::CreditCode);
        let person_certificate = |p: &super::forms::PersonForm| {
            CertificateType::parse(&p.certificate_type)
                .map(|t| Certificate::new(t, p.certificate_number.clone()))
        };
        let service_responsible = match &l.forms.app {
            Some(app) => &app.responsible,
            None => &l.forms.website.responsible,
        };
        let same_person = match (
            person_certificate(&sponsor.responsible),
            person_certificate(service_responsible),
        ) {
            (Some(a), Some(b)) => a.same_as(&b),
            _ => false,
        };
        let mut required = required_materials(
            nature,
            certificate_type,
            l.kind,
            rules,
            same_person,
            !l.forms.is_app() && !l.forms.website.pre_approvals.is_empty(),
            super::forms::person_facts(sponsor, l.province),
        );
        if l.forms.is_app() {
            // An APP: its icon instead of the website's documents (no domain certificate,
            // and the verification form PDF is a website's).
            required.retain(|k| {
                !matches!(
                    k,
                    MaterialKind::DomainCertificate
                        | MaterialKind::PreApproval
                        | MaterialKind::VerificationForm
                )
            });
            // The icon goes with the APP's data (XZBA, XZAPP, BGAPP): not in an access filing
            // (XZJR names the APP) nor in 注销APP (ZXAPP names it).
            if matches!(
                l.kind,
                FilingKind::FirstFiling
                    | FilingKind::NewWebsite
                    | FilingKind::NewWebsiteElsewhereSponsor
                    | FilingKind::ChangeWebsite
            ) {
                required.push(MaterialKind::AppIcon);
            }
        }
        required
    }

    /// The materials the order needs now (uploaded or not), as its submission checks them:
    /// for the materials step of the pages.
    pub async fn required_materials(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<Vec<MaterialKind>, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        let rules = beian_core::rules::rules_for(l.province, l.kind, self.store.now());
        Ok(Self::required_of(&l, &rules))
    }

    async fn gaps(&self, l: &Loaded) -> Result<Gaps, WorkflowError> {
        let rules = beian_core::rules::rules_for(l.province, l.kind, self.store.now());
        let mut field_errors = super::prefill::validate_forms(l.kind, &l.forms);
        // The province variants; the rules list the kinds they apply to.
        field_errors.append(&mut super::forms::validate_sponsor_variants(
            &l.forms.sponsor,
            &rules,
            beian_core::calendar::local_date(self.store.now()),
        ));
        let required = Self::required_of(l, &rules);
        let present: Vec<String> = self
            .store
            .materials(&l.order.id)
            .await?
            .into_iter()
            .map(|m| m.kind)
            .collect();
        let materials: Vec<MaterialKind> = required
            .into_iter()
            .filter(|k| !present.iter().any(|p| p == k.as_str()))
            .collect();
        Ok(Gaps {
            readiness: Readiness {
                forms_complete: field_errors.is_empty(),
                materials_complete: materials.is_empty(),
                product_verified: l.work.product_line.is_some(),
                password_verified: l.work.password_verified_at.is_some(),
                identity_verified: l.work.identity_verified_at.is_some(),
            },
            materials,
            fields: field_errors.into_keys().collect(),
        })
    }

    /// `POST /orders/{id}/submit` from `draft`.
    pub async fn submit(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<Submitted, WorkflowError> {
        self.submission(acting, order_id, false).await
    }

    /// `POST /orders/{id}/submit` after a return (`returned`, `bureau_returned`).
    pub async fn resubmit(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<Submitted, WorkflowError> {
        self.submission(acting, order_id, true).await
    }

    /// Submits from `draft`, or resubmits from a returned state (whichever the state allows).
    pub async fn submit_any(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<Submitted, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        let again = matches!(l.state, OrderState::Returned | OrderState::BureauReturned);
        self.submission(acting, order_id, again).await
    }

    async fn submission(
        &self,
        acting: &Acting,
        order_id: &str,
        again: bool,
    ) -> Result<Submitted, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        let flow = l.flow_at(self.store.now());
        let gaps = self.gaps(&l).await?;
        let event = if again {
            Event::Resubmit(gaps.readiness)
        } else {
            Event::Submit(gaps.readiness)
        };
        let next = apply(l.state, event, &flow).map_err(|e| match e.refusal {
            Refusal::NotReady { .. } => WorkflowError::NotReady {
                transition: e,
                materials: gaps.materials.clone(),
                fields: gaps.fields.clone(),
            },
            _ => WorkflowError::InvalidTransition(e),
        })?;
        let service_number = match l.work.service_number.as_deref() {
            Some(n) => Some(self.store.service_number(n).await?),
            None => None,
        };

        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        let extras = TransitionExtras {
            return_reasons: again.then(|| json!([])),
            ..TransitionExtras::default()
        };
        let name = if again { "resubmit" } else { "submit" };
        let version = tx
            .transition_order_with(
                order_id,
                l.order.version,
                next.as_str(),
                &TimelineEvent::new(&actor, name),
                &extras,
            )
            .await?;
        let flow_json =
            serde_json::to_value(flow).map_err(|e| WorkflowError::Store(StoreError::Json(e)))?;
        tx.set_order_flow(order_id, &flow_json).await?;
        if let Some(sn) = service_number
            && sn.status == ServiceNumberStatus::Bound
        {
            tx.set_service_number_status(
                &actor,
                &sn.number,
                ServiceNumberStatus::Bound,
                ServiceNumberStatus::Filing,
                None,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Submitted {
            state: next,
            version,
        })
    }

    /// `POST /orders/{id}/abandon`: allowed in every open state. The service number goes back
    /// to unbound; an access filing carries [`ABANDON_ACCESS_WARNING`].
    pub async fn abandon(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<AbandonOutcome, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        self.abandon_loaded(&acting.actor(), l, "abandon", &[])
            .await
    }

    /// The one abandon path: `actor` abandons the loaded order with the timeline event
    /// `event`; the service number goes back to unbound, and `jobs` (notifications) are
    /// enqueued in the same transaction. Used by [`Workflow::abandon`] and by the expiry of
    /// untouched drafts ([`Workflow::expire_draft`]).
    pub(super) async fn abandon_loaded(
        &self,
        actor: &str,
        l: Loaded,
        event: &str,
        jobs: &[NotifyJob],
    ) -> Result<AbandonOutcome, WorkflowError> {
        let order_id = l.order.id.as_str();
        let flow = l.flow(self.store.now());
        let next = apply(l.state, Event::Abandon, &flow)?;
        let service_number = match l.work.service_number.as_deref() {
            Some(n) => Some(self.store.service_number(n).await?),
            None => None,
        };
        let actor = actor.to_owned();
        // Past the provider's approval the customer is told what became of the bureau upload
        // (docs/bureau-interop.md, "Abandoned after approval").
        let to = match l.state {
            OrderState::QueuedForBureau | OrderState::AtBureau | OrderState::SmsPending => {
                Some(self.applicant_recipients(&l.order.account_id).await?)
            }
            _ => None,
        };
        let mut tx = self.store.begin().await?;
        let mut data_sequence = None;
        let outcome = match l.state {
            OrderState::QueuedForBureau => {
                // Under the counter's lock: the upload job numbers nothing meanwhile, and
                // once this commits it sees the order abandoned and numbers nothing for it.
                let last = tx.lock_upload_sequence().await?;
                match tx.pending_upload_of_order(order_id).await? {
                    None => Some(UploadWithdrawal::NotSent),
                    Some(u) => {
                        data_sequence = Some(u.sequence);
                        if u.sequence == last
                            && tx.withdraw_upload(&actor, &u.id, u.sequence).await?
                        {
                            Some(UploadWithdrawal::Withdrawn)
                        } else {
                            Some(UploadWithdrawal::SentAnyway)
                        }
                    }
                }
            }
            OrderState::AtBureau | OrderState::SmsPending => Some(UploadWithdrawal::AtBureau),
            _ => None,
        };
        let mut timeline = TimelineEvent::new(&actor, event);
        if let Some(o) = outcome {
            timeline.note = json!({ "bureau_upload": o, "data_sequence": data_sequence });
        }
        let version = tx
            .transition_order(order_id, l.order.version, next.as_str(), &timeline)
            .await?;
        // The filing password's hash was kept for the upload only: an abandoned order builds
        // none any more (one already numbered holds its own sealed copy), so it goes now.
        tx.delete_bureau_secret(&format!("order:{order_id}"))
            .await?;
        let mut told = Vec::new();
        if let (Some(o), Some(to)) = (outcome, &to) {
            let notification = Notification::AbandonedUpload {
                order_id: order_id.to_owned(),
                domain: l.forms.subject(),
                outcome: o,
            };
            told = crate::notify::jobs_for(
                &format!("order:{order_id}:abandoned:v{version}"),
                &notification,
                to,
            );
        }
        for job in jobs.iter().chain(&told) {
            let payload = crate::notify::seal_notify_job(self.store, job)?;
            tx.enqueue_job(NotifyJob::KIND, &payload, self.store.now())
                .await?;
        }
        if let Some(sn) = service_number
            && matches!(
                sn.status,
                ServiceNumberStatus::Bound | ServiceNumberStatus::Filing
            )
        {
            tx.set_service_number_status(
                &actor,
                &sn.number,
                sn.status,
                ServiceNumberStatus::Unbound,
                None,
            )
            .await?;
            tx.clear_order_service_number(order_id).await?;
        }
        tx.commit().await?;
        Ok(AbandonOutcome {
            state: next,
            version,
            warning: l.kind.is_access().then_some(ABANDON_ACCESS_WARNING),
            bureau_upload: outcome,
        })
    }

    /// `POST /review/orders/{id}/return` (reviewers and admins): back to the applicant with
    /// reasons naming the fields to correct; the applicant is notified by email and SMS
    /// (jobs queued in the same transaction).
    pub async fn provider_return(
        &self,
        acting: &Acting,
        order_id: &str,
        reasons: &[ReturnReasonInput],
    ) -> Result<Submitted, WorkflowError> {
        if !matches!(acting.role, Role::Reviewer | Role::Admin) {
            return Err(WorkflowError::NotFound { what: "order" });
        }
        let mut errors = FieldErrors::new();
        if reasons.is_empty() {
            errors.insert("reasons".into(), FieldError::new("workflow.required"));
        }
        for (i, r) in reasons.iter().enumerate() {
            if r.field.trim().is_empty() {
                errors.insert(
                    format!("reasons.{i}.field"),
                    FieldError::new("workflow.required"),
                );
            }
            if r.message.trim().is_empty() {
                errors.insert(
                    format!("reasons.{i}.message"),
                    FieldError::new("workflow.required"),
                );
            }
        }
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let order = self.store.order(order_id).await?;
        let l = self.load_any(order).await?;
        let flow = l.flow(self.store.now());
        let next = apply(l.state, Event::ProviderReturn, &flow)?;
        let reasons_json =
            serde_json::to_value(reasons).map_err(|e| WorkflowError::Store(StoreError::Json(e)))?;
        let account = self.store.account(&l.order.account_id).await?;
        let recipients = Recipients {
            email: (!account.email.trim().is_empty()).then(|| Contact::new(account.email.clone())),
            mobile: account.mobile.clone().map(Contact::new),
            locale: Locale::ZhCn,
        };
        let notification = Notification::ReturnedByProvider {
            order_id: order_id.to_owned(),
            domain: l.forms.subject(),
            reasons: reasons
                .iter()
                .map(|r| ReturnReason {
                    field: r.field.clone(),
                    message: r.message.clone(),
                })
                .collect(),
        };

        let actor = acting.actor();
        let mut tx = self.store.begin().await?;
        let version = tx
            .transition_order_with(
                order_id,
                l.order.version,
                next.as_str(),
                &TimelineEvent::new(&actor, "provider_return"),
                &TransitionExtras {
                    return_reasons: Some(reasons_json),
                    ..TransitionExtras::default()
                },
            )
            .await?;
        let event_id = format!("order:{order_id}:v{version}");
        // Sealed: the payload names the applicant's email and mobile.
        crate::notify::enqueue_notification(&mut tx, &event_id, &notification, &recipients).await?;
        tx.commit().await?;
        Ok(Submitted {
            state: next,
            version,
        })
    }
}
