//! Reading an order for its owner: [`OrderView`] (what `GET /orders/{id}` shows, forms
//! included, plus the events the applicant may cause now) and the loading helpers the other
//! services share.

use beian_core::kind::FilingKind;
use beian_core::order::{Actor, EventKind, Flow, OrderState, ProductLine, Step};
use beian_core::province::Province;
use beian_core::rules::rules_for;
use beian_store::StoreError;
use beian_store::orders::{Keyset, Order, OrderService};
use beian_store::workflow_support::OrderWorkflow;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::error::WorkflowError;
use super::forms::{AppForm, SponsorForm, WebsiteForm};
use super::{Acting, Workflow};

/// The order's forms, as stored (sealed) with it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Forms {
    pub sponsor: SponsorForm,
    /// The website form; absent from an APP's order.
    #[serde(default, skip_serializing_if = "Forms::no_website")]
    pub website: WebsiteForm,
    /// The APP form of an APP's order (issue 18).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppForm>,
}

impl Forms {
    fn no_website(w: &WebsiteForm) -> bool {
        *w == WebsiteForm::default()
    }

    /// Whether the order files an APP (not a website).
    pub fn is_app(&self) -> bool {
        self.app.is_some()
    }

    /// What the order files, as texts name it: the domain, or the APP's name.
    pub fn subject(&self) -> String {
        match &self.app {
            Some(a) => a.name.clone(),
            None => self.website.domain.clone(),
        }
    }
}

impl Forms {
    pub fn to_json(&self) -> Result<Value, WorkflowError> {
        serde_json::to_value(self).map_err(|e| WorkflowError::Store(StoreError::Json(e)))
    }

    pub fn from_json(v: Option<&Value>) -> Result<Forms, WorkflowError> {
        match v {
            Some(v) => serde_json::from_value(v.clone())
                .map_err(|_| WorkflowError::Store(StoreError::Corrupt("order_workflow.forms"))),
            None => Ok(Forms::default()),
        }
    }
}

/// The newest timeline entries an [`OrderView`] carries.
pub const TIMELINE_IN_VIEW: i64 = 100;

/// An order as its owner sees it. Holds personal data (the forms): for the owner's own
/// pages and API answers only; `Debug` goes through the forms' masking `Debug`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderView {
    pub id: String,
    pub kind: FilingKind,
    pub state: OrderState,
    pub province: String,
    pub version: i64,
    pub product_line: Option<ProductLine>,
    pub service_number: Option<String>,
    pub password_verified: bool,
    /// `sponsor` and `website`, at the top level (API.md).
    #[serde(flatten)]
    pub forms: Forms,
    /// The materials uploaded so far (no file content).
    pub materials: Vec<MaterialSummary>,
    /// What happened to the order, oldest first: the newest [`TIMELINE_IN_VIEW`] entries
    /// (an order saved thousands of times does not make every answer longer).
    pub timeline: Vec<TimelineItem>,
    /// How many timeline entries the order has in all (more than `timeline` holds when
    /// older ones were left out).
    pub timeline_total: i64,
    pub return_reasons: Value,
    pub deadlines: Value,
    /// The applicant's buttons (submission guards aside).
    pub allowed_events: Vec<EventKind>,
    /// The form fields (API paths) that submission and the verification form still need:
    /// empty or invalid now (e.g. the emergency mobile the registry does not keep, after an
    /// access filing's prefill). Empty once the forms are complete or no longer editable.
    pub incomplete_fields: Vec<String>,
    /// The order's steps in order, for a progress display.
    pub steps: Vec<Step>,
    /// While queued for the bureau ("queued for the bureau since …") or waiting for the
    /// sync after the approval ("审核信息同步中"); `None` otherwise.
    pub bureau: Option<super::BureauStatus>,
    /// An APP's order: the APP's `-NA` number once the bureau filed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_number: Option<String>,
}

/// One uploaded material, as its owner sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MaterialSummary {
    pub id: String,
    pub kind: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    /// Unix milliseconds.
    pub uploaded_at: i64,
}

/// One timeline entry, as the order's owner sees it: who acted is told by party
/// (`applicant`, `provider`, `bureau`, `system`), not by staff account.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimelineItem {
    /// Unix milliseconds.
    pub at: i64,
    pub by: &'static str,
    pub event: String,
    pub from_state: Option<String>,
    pub to_state: String,
    /// The entry's note as stored (a JSON object).
    pub note: beian_store::orders::Note,
}

/// The party behind a timeline actor string, seen from the order's owner.
pub(super) fn party(actor: &str, owner_account: &str) -> &'static str {
    match actor.strip_prefix("account:") {
        Some(id) if id == owner_account => "applicant",
        Some(_) => "provider",
        None if actor.starts_with("bureau") || actor.starts_with("regulator") => "bureau",
        None => "system",
    }
}

/// The order's deadlines as they stand in `state`: the SMS window only while the check runs.
fn current_deadlines(stored: &Value, state: OrderState) -> Value {
    let mut out = stored.clone();
    if state != OrderState::SmsPending
        && let Value::Object(m) = &mut out
    {
        m.remove(crate::bureau::deliver::SMS_WINDOW_DEADLINE);
    }
    out
}

/// One line of the account's order list (`GET /orders`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OrderSummary {
    pub id: String,
    pub kind: FilingKind,
    pub state: OrderState,
    pub province: String,
    pub domain: Option<String>,
    /// For an APP's order (issue 18; no `domain`): the APP's name as on its record.
    pub app_name: Option<String>,
    pub version: i64,
    /// Unix milliseconds.
    pub created_at: i64,
    pub updated_at: i64,
}

/// An order with its working data, parsed.
#[derive(Debug, Clone)]
pub(super) struct Loaded {
    pub order: Order,
    pub work: OrderWorkflow,
    pub kind: FilingKind,
    pub state: OrderState,
    pub province: Province,
    pub forms: Forms,
}

impl Loaded {
    pub fn product_line(&self) -> Option<ProductLine> {
        match self.work.product_line.as_deref() {
            Some("server") => Some(ProductLine::Server),
            Some("storefront") => Some(ProductLine::Storefront),
            _ => None,
        }
    }

    /// The flow under the rules in force `at` (the product line defaults to server until a
    /// product is verified; the product requirement is then unmet anyway).
    pub fn flow_at(&self, at: chrono::DateTime<chrono::Utc>) -> Flow {
        Flow::from_rules(
            self.kind,
            self.product_line().unwrap_or(ProductLine::Server),
            &rules_for(self.province, self.kind, at),
        )
    }

    /// The flow the order runs under: once submitted (not editable), the flow stored at the
    /// submission, so later rule changes do not alter an order under way; before (and for a
    /// resubmission), the flow under the rules in force `at`.
    pub fn flow(&self, at: chrono::DateTime<chrono::Utc>) -> Flow {
        let stored = self
            .work
            .flow
            .as_ref()
            .and_then(|f| serde_json::from_value::<Flow>(f.clone()).ok());
        match stored {
            Some(flow) if !self.state.is_editable() => flow,
            _ => self.flow_at(at),
        }
    }
}

impl Workflow<'_> {
    /// The acting account's order (NotFound for another account's).
    pub(super) async fn load(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<Loaded, WorkflowError> {
        // The order and its working data in one statement.
        let (order, work) = self.store.order_with_workflow(order_id).await?;
        if order.account_id != acting.account_id {
            return Err(WorkflowError::NotFound { what: "order" });
        }
        Self::loaded(order, work)
    }

    pub(super) async fn load_any(&self, order: Order) -> Result<Loaded, WorkflowError> {
        let work = self.store.order_workflow(&order.id).await?;
        Self::loaded(order, work)
    }

    fn loaded(order: Order, work: OrderWorkflow) -> Result<Loaded, WorkflowError> {
        let corrupt = |what| WorkflowError::Store(StoreError::Corrupt(what));
        let kind = FilingKind::parse(&order.kind).ok_or(corrupt("orders.kind"))?;
        let state = OrderState::parse(&order.state).ok_or(corrupt("orders.state"))?;
        let province = Province::parse(&order.province).map_err(|_| corrupt("orders.province"))?;
        let forms = Forms::from_json(work.forms.as_ref())?;
        Ok(Loaded {
            order,
            work,
            kind,
            state,
            province,
            forms,
        })
    }

    /// `GET /orders/{id}`: the acting account's order.
    pub async fn order_view(
        &self,
        acting: &Acting,
        order_id: &str,
    ) -> Result<OrderView, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        let flow = l.flow(self.store.now());
        let materials = self
            .store
            .materials(order_id)
            .await?
            .into_iter()
            .map(|m| MaterialSummary {
                id: m.id,
                kind: m.kind,
                content_type: m.content_type,
                size: m.size,
                sha256: m.sha256_hex,
                uploaded_at: m.created_at,
            })
            .collect();
        let (recent, timeline_total) = self
            .store
            .order_timeline_recent(order_id, TIMELINE_IN_VIEW)
            .await?;
        let timeline = recent
            .into_iter()
            .map(|e| TimelineItem {
                at: e.at,
                by: party(&e.actor, &l.order.account_id),
                event: e.event,
                from_state: e.from_state,
                to_state: e.to_state,
                note: e.note,
            })
            .collect();
        Ok(OrderView {
            materials,
            timeline,
            timeline_total,
            id: l.order.id.clone(),
            kind: l.kind,
            state: l.state,
            province: l.order.province.clone(),
            version: l.order.version,
            product_line: l.product_line(),
            service_number: l.work.service_number.clone(),
            password_verified: l.work.password_verified_at.is_some(),
            return_reasons: l.order.return_reasons.clone(),
            deadlines: current_deadlines(&l.order.deadlines, l.state),
            allowed_events: beian_core::order::allowed_events_for(l.state, &flow, Actor::Applicant),
            incomplete_fields: if l.state.is_editable() {
                super::prefill::incomplete_fields(l.kind, &l.forms)
            } else {
                Vec::new()
            },
            steps: flow.steps(),
            bureau: self.bureau_status(&l.order.id, l.state).await?,
            app_number: match l.forms.is_app() {
                true => self
                    .store
                    .app_of_order(&l.order.id)
                    .await?
                    .and_then(|a| a.icp_number),
                false => None,
            },
            forms: l.forms,
        })
    }

    /// The acting account's orders, oldest first (all of them; the API pages with
    /// [`Workflow::orders_page`]).
    pub async fn orders(&self, acting: &Acting) -> Result<Vec<OrderSummary>, WorkflowError> {
        let rows = self
            .store
            .orders_of_account_page(&acting.account_id, None, i64::MAX)
            .await?;
        rows.into_iter().map(summary).collect()
    }

    /// `GET /orders?limit=&cursor=`: one keyset page of the acting account's orders, oldest
    /// first, and the cursor of the next page (`None` on the last). One query per page. A
    /// cursor that is not one of ours is `Invalid` on the field `cursor`.
    pub async fn orders_page(
        &self,
        acting: &Acting,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<OrderSummary>, Option<String>), WorkflowError> {
        let after = parse_cursor(cursor)?;
        let limit = limit.max(1);
        let mut rows = self
            .store
            .orders_of_account_page(&acting.account_id, after.as_ref(), limit as i64 + 1)
            .await?;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next = if more {
            rows.last().map(|(o, _)| {
                Keyset {
                    at: o.created_at,
                    id: o.id.clone(),
                }
                .encode()
            })
        } else {
            None
        };
        let items = rows.into_iter().map(summary).collect::<Result<_, _>>()?;
        Ok((items, next))
    }
}

fn summary((o, service): (Order, OrderService)) -> Result<OrderSummary, WorkflowError> {
    let corrupt = |what| WorkflowError::Store(StoreError::Corrupt(what));
    Ok(OrderSummary {
        kind: FilingKind::parse(&o.kind).ok_or(corrupt("orders.kind"))?,
        state: OrderState::parse(&o.state).ok_or(corrupt("orders.state"))?,
        id: o.id,
        province: o.province,
        domain: service.domain,
        app_name: service.app_name,
        version: o.version,
        created_at: o.created_at,
        updated_at: o.updated_at,
    })
}

/// A list's cursor (`None` or empty: the first page); not one of ours: `Invalid` on `cursor`.
pub(super) fn parse_cursor(cursor: Option<&str>) -> Result<Option<Keyset>, WorkflowError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(c) => Keyset::decode(c).map(Some).ok_or_else(|| {
            let mut fields = super::error::FieldErrors::new();
            fields.insert(
                "cursor".into(),
                super::error::FieldError::new("workflow.cursor"),
            );
            WorkflowError::Invalid(fields)
        }),
    }
}

#[cfg(test)]
mod party_tests {
    use super::party;

    #[test]
    fn the_owner_sees_parties_not_staff_accounts() {
        for (actor, want) in [
            ("account:a1", "applicant"),
            ("account:r9", "provider"),
            ("bureau", "bureau"),
            ("regulator:download", "bureau"),
            ("system", "system"),
            ("job:deadline", "system"),
        ] {
            assert_eq!(party(actor, "a1"), want, "{actor}");
        }
    }
}
