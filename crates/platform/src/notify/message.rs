//! What each notification says, as data: one [`Notification`] variant per event, carrying
//! what its text needs. It is the job payload (serde JSON, tagged by `event`); the texts
//! themselves are in `messages/notify.toml`, keyed `notify.<event>.{subject,body,sms}`.

use super::Channel;
use beian_core::i18n::Locale;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A one-time code sent to a person (the cancel-access code). Secret: `Debug` hides it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecretCode(String);

impl SecretCode {
    pub fn new(code: impl Into<String>) -> SecretCode {
        SecretCode(code.into())
    }

    /// The code itself, for the text only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for SecretCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCode(******)")
    }
}

/// One reason an order was returned: the form field (API path) and the reviewer's message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnReason {
    pub field: String,
    pub message: String,
}

/// What the applicant still has to do before a deadline (for reminders).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PendingTask {
    /// Finish and submit a draft before it expires.
    FinishDraft,
    /// Correct a returned order and submit it again.
    AnswerReturn,
    /// Upload the photo taken before the backdrop.
    UploadPhoto,
}

impl PendingTask {
    pub const ALL: [PendingTask; 3] = [
        PendingTask::FinishDraft,
        PendingTask::AnswerReturn,
        PendingTask::UploadPhoto,
    ];

    fn key(self) -> &'static str {
        match self {
            PendingTask::FinishDraft => "notify.task.finish_draft",
            PendingTask::AnswerReturn => "notify.task.answer_return",
            PendingTask::UploadPhoto => "notify.task.upload_photo",
        }
    }
}

/// What the provider failed to do in time (for the admins' alert).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProviderDuty {
    Review,
    PhotoReview,
    /// Submit to the bureau within one working day of the photo approval.
    SubmitToBureau,
}

impl ProviderDuty {
    pub const ALL: [ProviderDuty; 3] = [
        ProviderDuty::Review,
        ProviderDuty::PhotoReview,
        ProviderDuty::SubmitToBureau,
    ];

    fn key(self) -> &'static str {
        match self {
            ProviderDuty::Review => "notify.duty.review",
            ProviderDuty::PhotoReview => "notify.duty.photo_review",
            ProviderDuty::SubmitToBureau => "notify.duty.submit_to_bureau",
        }
    }
}

/// Who a notification is for; the caller picks the addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The account that owns the order.
    Applicant,
    /// The website's (or sponsor's) responsible person: the mobile the regulator texts.
    ResponsiblePerson,
    /// The provider's administrators.
    Admins,
}

/// Every event beian tells a person about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Notification {
    /// The provider submitted the order to the bureau.
    SubmittedToBureau { order_id: String, domain: String },
    /// The regulator will text a verification code; it must be entered within the window.
    SmsCheckComing {
        order_id: String,
        domain: String,
        window_hours: u32,
        deadline: DateTime<Utc>,
    },
    /// The bureau approved the filing.
    Approved {
        order_id: String,
        domain: String,
        icp_number: String,
    },
    /// The provider's reviewers returned the order.
    ReturnedByProvider {
        order_id: String,
        domain: String,
        reasons: Vec<ReturnReason>,
    },
    /// The bureau returned the order.
    ReturnedByBureau {
        order_id: String,
        domain: String,
        reasons: Vec<ReturnReason>,
    },
    /// The code that confirms a cancel-access request (SMS only).
    CancelAccessCode {
        domain: String,
        code: SecretCode,
        valid_minutes: u32,
    },
    /// The backdrop was posted.
    BackdropShipped {
        order_id: String,
        tracking_number: String,
    },
    /// The regulator issued the sponsor's filing password (sent by the regulator, not by us).
    FilingPasswordIssued {
        sponsor_name: String,
        icp_number: String,
    },
    /// A deadline of the applicant's is near (sent 30, 15 and 7 days before).
    DeadlineReminder {
        order_id: String,
        domain: String,
        task: PendingTask,
        days_left: u32,
        deadline: DateTime<Utc>,
    },
    /// A draft was not submitted in time and is closed.
    DraftExpired { order_id: String, domain: String },
    /// An order abandoned after the provider approved it: what became of its bureau upload.
    AbandonedUpload {
        order_id: String,
        domain: String,
        outcome: crate::workflow::UploadWithdrawal,
    },
    /// The provider's reviewer rejected the responsible person's photo, with the reasons.
    PhotoRejected {
        order_id: String,
        domain: String,
        reasons: Vec<ReturnReason>,
    },
    /// The bureau refused a 取消接入 (e.g. 1025: the site's only access); the access stays.
    CancelAccessRefused {
        domain: String,
        reasons: Vec<ReturnReason>,
    },
    /// Before 取消接入 of a site whose only access (as far as we know) is ours: the bureau
    /// refuses it while it is the only one (注销网站 or 注销APP instead).
    CancelAccessOnlyAccess { domain: String },
    /// The bureau approved a 注销 (注销网站, 注销主体): the number no longer stands.
    FilingCancelled {
        order_id: String,
        domain: String,
        icp_number: String,
    },
    /// The provider missed one of its own deadlines (to the admins, email only).
    ProviderDeadlineBreach {
        order_id: String,
        domain: String,
        duty: ProviderDuty,
        deadline: DateTime<Utc>,
    },
}

const BOTH: &[Channel] = &[Channel::Email, Channel::Sms];

impl Notification {
    /// Days before a deadline at which [`Notification::DeadlineReminder`] is sent.
    pub const REMINDER_DAYS: [u32; 3] = [30, 15, 7];

    /// The event name: the serde tag and the message key segment.
    pub fn event(&self) -> &'static str {
        match self {
            Notification::SubmittedToBureau { .. } => "submitted_to_bureau",
            Notification::SmsCheckComing { .. } => "sms_check_coming",
            Notification::Approved { .. } => "approved",
            Notification::ReturnedByProvider { .. } => "returned_by_provider",
            Notification::ReturnedByBureau { .. } => "returned_by_bureau",
            Notification::CancelAccessCode { .. } => "cancel_access_code",
            Notification::BackdropShipped { .. } => "backdrop_shipped",
            Notification::FilingPasswordIssued { .. } => "filing_password_issued",
            Notification::DeadlineReminder { .. } => "deadline_reminder",
            Notification::DraftExpired { .. } => "draft_expired",
            Notification::AbandonedUpload { .. } => "abandoned_upload",
            Notification::ProviderDeadlineBreach { .. } => "provider_deadline_breach",
            Notification::PhotoRejected { .. } => "photo_rejected",
            Notification::CancelAccessRefused { .. } => "cancel_access_refused",
            Notification::CancelAccessOnlyAccess { .. } => "cancel_access_only_access",
            Notification::FilingCancelled { .. } => "filing_cancelled",
        }
    }

    /// The channels this event uses. The cancel-access code goes by SMS only (it proves the
    /// person holds the mobile); the admins' alert by email only.
    pub fn channels(&self) -> &'static [Channel] {
        match self {
            Notification::CancelAccessCode { .. } => &[Channel::Sms],
            Notification::ProviderDeadlineBreach { .. } => &[Channel::Email],
            _ => BOTH,
        }
    }

    pub fn audience(&self) -> Audience {
        match self {
            Notification::SmsCheckComing { .. }
            | Notification::CancelAccessCode { .. }
            | Notification::FilingPasswordIssued { .. } => Audience::ResponsiblePerson,
            Notification::ProviderDeadlineBreach { .. } => Audience::Admins,
            _ => Audience::Applicant,
        }
    }

    /// The values the texts interpolate, in `locale` (reasons, tasks and duties are words).
    pub(super) fn args(&self, locale: Locale) -> Vec<(&'static str, String)> {
        let text = |key: &str, args: &[(&str, String)]| super::render::text(locale, key, args);
        match self {
            Notification::SubmittedToBureau { order_id, domain }
            | Notification::DraftExpired { order_id, domain } => order(order_id, domain),
            Notification::SmsCheckComing {
                order_id,
                domain,
                window_hours,
                deadline,
            } => with(
                order(order_id, domain),
                [
                    ("window_hours", window_hours.to_string()),
                    ("deadline", beijing_time(deadline)),
                ],
            ),
            Notification::Approved {
                order_id,
                domain,
                icp_number,
            } => with(
                order(order_id, domain),
                [("icp_number", icp_number.clone())],
            ),
            Notification::ReturnedByProvider {
                order_id,
                domain,
                reasons,
            }
            | Notification::ReturnedByBureau {
                order_id,
                domain,
                reasons,
            }
            | Notification::PhotoRejected {
                order_id,
                domain,
                reasons,
            } => with(order(order_id, domain), reason_args(locale, reasons)),
            Notification::CancelAccessRefused { domain, reasons } => with(
                vec![("domain", domain.clone())],
                reason_args(locale, reasons),
            ),
            Notification::CancelAccessOnlyAccess { domain } => vec![("domain", domain.clone())],
            Notification::AbandonedUpload {
                order_id,
                domain,
                outcome,
            } => with(
                order(order_id, domain),
                [
                    ("outcome", text(outcome.message_key(), &[])),
                    ("outcome_short", text(outcome.short_message_key(), &[])),
                ],
            ),
            Notification::FilingCancelled {
                order_id,
                domain,
                icp_number,
            } => with(
                order(order_id, domain),
                [("icp_number", icp_number.clone())],
            ),
            Notification::CancelAccessCode {
                domain,
                code,
                valid_minutes,
            } => vec![
                ("domain", domain.clone()),
                ("code", code.expose().to_owned()),
                ("valid_minutes", valid_minutes.to_string()),
            ],
            Notification::BackdropShipped {
                order_id,
                tracking_number,
            } => vec![
                ("order_id", order_id.clone()),
                ("tracking_number", tracking_number.clone()),
            ],
            Notification::FilingPasswordIssued {
                sponsor_name,
                icp_number,
            } => vec![
                ("sponsor_name", sponsor_name.clone()),
                ("icp_number", icp_number.clone()),
            ],
            Notification::DeadlineReminder {
                order_id,
                domain,
                task,
                days_left,
                deadline,
            } => with(
                order(order_id, domain),
                [
                    ("task", text(task.key(), &[])),
                    ("days_left", days_left.to_string()),
                    ("deadline", beijing_time(deadline)),
                ],
            ),
            Notification::ProviderDeadlineBreach {
                order_id,
                domain,
                duty,
                deadline,
            } => with(
                order(order_id, domain),
                [
                    ("duty", text(duty.key(), &[])),
                    ("deadline", beijing_time(deadline)),
                ],
            ),
        }
    }
}

/// `reasons` (one line per reason), `reason_summary` (the first reason, for a text) and
/// `reason_count`.
fn reason_args(locale: Locale, reasons: &[ReturnReason]) -> [(&'static str, String); 3] {
    let lines: Vec<String> = reasons
        .iter()
        .map(|r| {
            let args = [("field", r.field.clone()), ("message", r.message.clone())];
            super::render::text(locale, "notify.common.reason_line", &args)
        })
        .collect();
    [
        ("reasons", lines.join("\n")),
        (
            "reason_summary",
            reasons
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default(),
        ),
        ("reason_count", reasons.len().to_string()),
    ]
}

fn order(order_id: &str, domain: &str) -> Vec<(&'static str, String)> {
    vec![
        ("order_id", order_id.to_owned()),
        ("domain", domain.to_owned()),
    ]
}

fn with<const N: usize>(
    mut args: Vec<(&'static str, String)>,
    more: [(&'static str, String); N],
) -> Vec<(&'static str, String)> {
    args.extend(more);
    args
}

/// An instant as Beijing wall-clock time, `2026-11-24 18:00`; the texts say "北京时间".
pub(super) fn beijing_time(at: &DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M")
        .to_string()
}
