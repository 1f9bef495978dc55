//! The provider's review (初审) as the reviewers see it: the queue of orders waiting for a
//! provider step ([`Workflow::review_queue`], oldest deadline first), one order in full
//! ([`Workflow::review_order`]) and the approval ([`Workflow::provider_approve`]). The return
//! is [`Workflow::provider_return`] (in `submit`).
//!
//! # What a reviewer sees unmasked (DESIGN.md §8, "those who need the whole")
//! The review checks the forms against the uploaded documents (ID cards, licence, the
//! verification form), so [`ReviewOrder`] carries the forms as entered: certificate numbers,
//! phones and emails in full, plus every material's metadata. The queue
//! ([`QueueItem`]) needs none of it: it shows the domain and the sponsor's name only, the
//! name masked (`张**`) when the sponsor is a person. Neither is ever logged; `Debug` of the
//! forms masks (see `forms`).
//!
//! # Deadlines
//! A provider step is due 1 working day (Asia/Shanghai, holidays included) after the order
//! entered its state: [`Calendar::deadline_after`]`(entered, 1)` on the calendar in force
//! ([`beian_store::Store::calendar`]: the builtin holidays with the years admins entered);
//! the instant comes from the order's timeline (the last entry into the state).

use beian_core::calendar::Calendar;
use beian_core::kind::FilingKind;
use beian_core::order::{Actor, Event, EventKind, OrderState, ProductLine, apply};
use beian_core::sponsor::SponsorNature;
use beian_store::accounts::Role;
use beian_store::orders::{
    Keyset, QueueFilter as StoreQueueFilter, TimelineEvent, TransitionExtras,
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;

use super::error::WorkflowError;
use super::view::{Forms, Loaded};
use super::{Acting, Workflow};

/// The states a reviewer's queue may list: the provider's own steps.
pub const REVIEW_STATES: [OrderState; 3] = [
    OrderState::ProviderReview,
    OrderState::PhotoReview,
    OrderState::QueuedForBureau,
];

/// At most this many orders are listed per queue by [`Workflow::review_queue`].
pub const QUEUE_LIMIT: i64 = 500;

/// Which review queue [`Workflow::review_queue_page`] lists: a state of [`REVIEW_STATES`]
/// (`provider_review` by default), and optionally only one province or one kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueFilter {
    pub state: OrderState,
    /// GB/T 2260 province code, e.g. `33`.
    pub province: Option<String>,
    pub kind: Option<FilingKind>,
}

impl Default for QueueFilter {
    fn default() -> QueueFilter {
        QueueFilter {
            state: OrderState::ProviderReview,
            province: None,
            kind: None,
        }
    }
}

/// Working days a provider step may take.
const PROVIDER_STEP_WORKING_DAYS: u32 = 1;

/// One line of a reviewer's queue. No personal data beyond the sponsor's (masked) name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueueItem {
    pub id: String,
    pub kind: FilingKind,
    pub state: OrderState,
    pub province: String,
    pub version: i64,
    pub domain: Option<String>,
    /// The sponsor's name; masked (`张**`) when the sponsor is a person.
    pub sponsor_name: Option<String>,
    /// When the order entered its state (Unix milliseconds).
    pub submitted_at: i64,
    /// The step's deadline (Unix milliseconds; end of a Shanghai working day).
    pub deadline: i64,
    /// Seconds from now to the deadline; negative when overdue.
    pub deadline_remaining_seconds: i64,
    /// The weekends-only fallback was used (no holiday data that far): the UI warns.
    pub deadline_fallback_used: bool,
}

/// One material's metadata (the bytes are in the object store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReviewMaterial {
    pub id: String,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub created_at: i64,
}

/// One timeline entry (no personal data: notes never hold any).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewTimelineEntry {
    pub at: i64,
    pub actor: String,
    /// For an `account:<id>` actor, that account's login name (none for the platform's
    /// own jobs, or an account no longer known).
    pub actor_name: Option<String>,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    pub version: i64,
}

/// An order in full, for its reviewer: forms unmasked (see the module doc), every material,
/// the timeline, the deadline and the reviewer's possible events.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewOrder {
    pub id: String,
    pub account_id: String,
    pub kind: FilingKind,
    pub state: OrderState,
    pub province: String,
    pub version: i64,
    pub product_line: Option<ProductLine>,
    pub service_number: Option<String>,
    pub password_verified: bool,
    pub identity_verified: bool,
    pub forms: Forms,
    pub materials: Vec<ReviewMaterial>,
    pub timeline: Vec<ReviewTimelineEntry>,
    pub return_reasons: Value,
    /// When the order entered its state (Unix milliseconds).
    pub submitted_at: i64,
    /// For a provider step ([`REVIEW_STATES`]): its deadline, as in the queue.
    pub deadline: Option<i64>,
    pub deadline_remaining_seconds: Option<i64>,
    pub deadline_fallback_used: Option<bool>,
    /// What the reviewer may do now.
    pub allowed_events: Vec<EventKind>,
    /// A domain filed here that the order's domain can be mistaken for (same UTS #39-style
    /// skeleton, [`beian_core::confusable`]): `аррӏе.cn` for a filed `apple.cn`. A flag
    /// for the reviewer, not a refusal.
    pub confusable_with: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

/// The result of an approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approved {
    pub state: OrderState,
    pub version: i64,
}

/// A person's name with all but its first character masked (`张三丰` → `张**`).
pub fn mask_person_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// The sponsor's name for the queue: masked when the sponsor is a person.
fn queue_sponsor_name(forms: &Forms) -> Option<String> {
    let identity = &forms.sponsor.identity;
    let name = identity.name.trim();
    if name.is_empty() {
        return None;
    }
    if SponsorNature::parse(&identity.nature) == Some(SponsorNature::Individual) {
        Some(mask_person_name(name))
    } else {
        Some(name.to_owned())
    }
}

fn non_empty(s: &str) -> Option<String> {
    let s = s.trim();
    (!s.is_empty()).then(|| s.to_owned())
}

/// A provider step's deadline: (at ms, remaining seconds, fallback used).
fn step_deadline(calendar: &Calendar, entered_ms: i64, now: DateTime<Utc>) -> (i64, i64, bool) {
    let entered = DateTime::<Utc>::from_timestamp_millis(entered_ms).unwrap_or(now);
    let d = calendar.deadline_after(entered, PROVIDER_STEP_WORKING_DAYS);
    let remaining = (d.at - now).num_seconds();
    (d.at.timestamp_millis(), remaining, d.fallback_used)
}

fn is_reviewer(acting: &Acting) -> bool {
    matches!(acting.role, Role::Reviewer | Role::Admin)
}

impl Workflow<'_> {
    /// The orders in `state` (one of [`REVIEW_STATES`]), oldest deadline first, at most
    /// [`QUEUE_LIMIT`] of them. Reviewers and admins only (others: `NotFound`, as for
    /// [`Workflow::provider_return`]). Pages: [`Workflow::review_queue_page`].
    pub async fn review_queue(
        &self,
        acting: &Acting,
        state: OrderState,
    ) -> Result<Vec<QueueItem>, WorkflowError> {
        let filter = QueueFilter {
            state,
            ..QueueFilter::default()
        };
        let (items, _) = self
            .review_queue_page(acting, &filter, None, QUEUE_LIMIT as usize)
            .await?;
        Ok(items)
    }

    /// `GET /review/orders?state=&province=&kind=&limit=&cursor=`: one keyset page of a
    /// review queue, oldest deadline first (the deadline grows with the entry into the state,
    /// so this is entry order, then id), and the next page's cursor (`None` on the last). One
    /// store query per page, on the index (state, state_entered_at). Reviewers and admins
    /// only (others: `NotFound`); a state outside [`REVIEW_STATES`] is `NotFound`; a cursor
    /// not of ours is `Invalid` on `cursor`.
    pub async fn review_queue_page(
        &self,
        acting: &Acting,
        filter: &QueueFilter,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<QueueItem>, Option<String>), WorkflowError> {
        if !is_reviewer(acting) || !REVIEW_STATES.contains(&filter.state) {
            return Err(WorkflowError::NotFound { what: "queue" });
        }
        let after = super::view::parse_cursor(cursor)?;
        let limit = limit.max(1);
        let calendar = self.store.calendar().await?;
        let now = self.store.now();
        let mut rows = self
            .store
            .queue_page(
                &StoreQueueFilter {
                    state: filter.state.as_str(),
                    province: filter.province.as_deref(),
                    kind: filter.kind.map(|k| k.as_str()),
                },
                after.as_ref(),
                limit as i64 + 1,
            )
            .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|r| {
                Keyset {
                    at: r.entered_at,
                    id: r.order.id.clone(),
                }
                .encode()
            })
        } else {
            None
        };
        let corrupt = |what| WorkflowError::Store(beian_store::StoreError::Corrupt(what));
        let mut items = Vec::with_capacity(rows.len());
        for row in rows {
            let forms = Forms::from_json(row.forms.as_ref())?;
            let order = row.order;
            let (deadline, remaining, fallback) = step_deadline(&calendar, row.entered_at, now);
            items.push(QueueItem {
                domain: non_empty(&forms.subject()),
                sponsor_name: queue_sponsor_name(&forms),
                kind: FilingKind::parse(&order.kind).ok_or(corrupt("orders.kind"))?,
                state: OrderState::parse(&order.state).ok_or(corrupt("orders.state"))?,
                id: order.id,
                province: order.province,
                version: order.version,
                submitted_at: row.entered_at,
                deadline,
                deadline_remaining_seconds: remaining,
                deadline_fallback_used: fallback,
            });
        }
        Ok((items, next))
    }

    /// `GET /review/orders/{id}`: any account's order, in full (reviewers and admins).
    pub async fn review_order(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<ReviewOrder, WorkflowError> {
        if !is_reviewer(acting) {
            return Err(WorkflowError::NotFound { what: "order" });
        }
        let order = self.store.order(order_id).await?;
        let timeline = self.store.order_timeline(order_id).await?;
        // The accounts behind the entries, by login name.
        let mut names = std::collections::HashMap::new();
        for e in &timeline {
            if let Some(id) = e.actor.strip_prefix("account:")
                && !names.contains_key(&e.actor)
                && let Ok(a) = self.store.account(id).await
            {
                names.insert(e.actor.clone(), a.username);
            }
        }
        let submitted_at = timeline
            .iter()
            .rev()
            .find(|e| e.to_state == order.state)
            .map_or(order.updated_at, |e| e.at);
        let materials = self.store.materials(order_id).await?;
        let l: Loaded = self.load_any(order).await?;
        let calendar = self.store.calendar().await?;
        let now = self.store.now();
        let flow = l.flow(now);
        let deadline = REVIEW_STATES
            .contains(&l.state)
            .then(|| step_deadline(&calendar, submitted_at, now));
        let confusable_with = match beian_core::domain::Domain::parse(&l.forms.website.domain)
            .ok()
            .and_then(|d| beian_core::confusable::ascii_lookalike(d.as_str()))
        {
            Some(lookalike) => self
                .store
                .website_by_domain(&lookalike)
                .await?
                .map(|_| lookalike),
            None => None,
        };
        Ok(ReviewOrder {
            id: l.order.id.clone(),
            account_id: l.order.account_id.clone(),
            kind: l.kind,
            state: l.state,
            province: l.order.province.clone(),
            version: l.order.version,
            product_line: l.product_line(),
            service_number: l.work.service_number.clone(),
            password_verified: l.work.password_verified_at.is_some(),
            identity_verified: l.work.identity_verified_at.is_some(),
            materials: materials
                .into_iter()
                .map(|m| ReviewMaterial {
                    id: m.id,
                    kind: m.kind,
                    content_type: m.content_type,
                    size: m.size,
                    sha256: m.sha256_hex,
                    created_at: m.created_at,
                })
                .collect(),
            timeline: timeline
                .into_iter()
                .map(|e| ReviewTimelineEntry {
                    at: e.at,
                    actor_name: names.get(&e.actor).cloned(),
                    actor: e.actor,
                    event: e.event,
                    from_state: e.from_state,
                    to_state: e.to_state,
                    version: e.version,
                })
                .collect(),
            return_reasons: l.order.return_reasons.clone(),
            submitted_at,
            deadline: deadline.map(|d| d.0),
            deadline_remaining_seconds: deadline.map(|d| d.1),
            deadline_fallback_used: deadline.map(|d| d.2),
            allowed_events: beian_core::order::allowed_events_for(l.state, &flow, Actor::Reviewer),
            confusable_with,
            created_at: l.order.created_at,
            updated_at: l.order.updated_at,
            forms: l.forms,
        })
    }

    /// `POST /review/orders/{id}/approve` (初审通过): reviewers and admins, never on an
    /// order of their own account ([`WorkflowError::OwnOrder`]). The next state comes from
    /// the order's flow (`photo_pending`, or `queued_for_bureau` for flows without a photo).
    /// One transaction: the state moves with the expected version (`Conflict` when another
    /// change came first), with its timeline entry and audit record.
    pub async fn provider_approve(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<Approved, WorkflowError> {
        if !is_reviewer(acting) {
            return Err(WorkflowError::NotFound { what: "order" });
        }
        let order = self.store.order(order_id).await?;
        if order.account_id == acting.account_id {
            return Err(WorkflowError::OwnOrder);
        }
        let l = self.load_any(order).await?;
        let flow = l.flow(self.store.now());
        let next = apply(l.state, Event::ProviderApprove, &flow)?;
        // Without a photo step (storefront: identity checked in the app) the approval queues
        // the order for the bureau at once, with its 1-working-day deadline and upload job.
        let to_bureau = next == OrderState::QueuedForBureau;
        let now = self.store.now();
        let extras = TransitionExtras {
            deadlines: to_bureau.then(|| super::with_bureau_deadline(&l.order.deadlines, now)),
            ..TransitionExtras::default()
        };
        let mut tx = self.store.begin().await?;
        let version = tx
            .transition_order_with(
                order_id,
                l.order.version,
                next.as_str(),
                &TimelineEvent::new(&acting.actor(), "provider_approve"),
                &extras,
            )
            .await?;
        if to_bureau {
            tx.enqueue_job(
                crate::bureau::UPLOAD_JOB,
                &crate::bureau::order_upload_payload(order_id),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(Approved {
            state: next,
            version,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn person_names_are_masked_after_the_first_character() {
        for (name, want) in [
            ("张三", "张*"),
            ("张三丰", "张**"),
            ("欧阳", "欧*"),
            ("李", "李*"),
            (" 王小明 ", "王**"),
            ("", ""),
        ] {
            assert_eq!(mask_person_name(name), want, "{name}");
        }
    }

    #[test]
    fn only_a_person_sponsor_name_is_masked() {
        let mut forms = Forms::default();
        forms.sponsor.identity.name = "张三丰".into();
        forms.sponsor.identity.nature = "individual".into();
        assert_eq!(queue_sponsor_name(&forms).as_deref(), Some("张**"));
        forms.sponsor.identity.nature = "enterprise".into();
        assert_eq!(queue_sponsor_name(&forms).as_deref(), Some("张三丰"));
        forms.sponsor.identity.name = " ".into();
        assert_eq!(queue_sponsor_name(&forms), None);
    }

    #[test]
    fn the_deadline_is_one_working_day_after_entering_the_state() {
        // Wednesday 2026-11-18 10:00 Shanghai → end of Thursday 2026-11-19 Shanghai.
        let entered = DateTime::parse_from_rfc3339("2026-11-18T10:00:00+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let end_thursday = DateTime::parse_from_rfc3339("2026-11-19T23:59:59.999+08:00")
            .unwrap()
            .with_timezone(&Utc);
        let before = end_thursday - chrono::Duration::hours(2);
        let (at, remaining, _) =
            step_deadline(Calendar::builtin(), entered.timestamp_millis(), before);
        assert_eq!(at, end_thursday.timestamp_millis());
        assert_eq!(remaining, 7200);
        let after = end_thursday + chrono::Duration::hours(1);
        let (_, overdue, _) = step_deadline(Calendar::builtin(), entered.timestamp_millis(), after);
        assert!(overdue < 0, "{overdue}");
    }
}
