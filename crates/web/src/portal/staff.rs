//! The reviewers' pages (reviewers and admins; applicants get 403):
//! - the review queue (`/staff/review`): oldest deadline first, with how much of the
//!   1-working-day target is left, filtered by state, province and kind, a page at a time
//!   behind a cursor. One page is fetched by [`fetch_queue_page`] (filter and cursor in,
//!   items and next cursor out): today over [`Workflow::review_queue`], filtered in memory;
//!   it is the one place to change when the store pages the queue itself;
//! - one order in full (`/staff/orders/{id}`): every field, every material (images inline,
//!   PDFs in the browser's viewer or downloaded), the timeline, and the decision: approve, or
//!   return with reasons per field (the field, then a common reason and/or free text). On an
//!   order of the reviewer's own account the page says so and offers no buttons (the service
//!   refuses it too).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::kind::FilingKind;
use beian_core::order::{EventKind, OrderState};
use beian_platform::workflow::{
    Acting, QueueItem, REVIEW_STATES, ReturnReasonInput, ReviewOrder, Workflow, WorkflowError,
};
use beian_store::accounts::Role;
use serde::Deserialize;

use crate::portal::filings::acting;
use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::i18n::{Arg, Lang};
use crate::portal::page::{Block, Cell, Ctx, Field, PageError, url_encode};
use crate::portal::paging::PageRequest;
use crate::portal::text;
use crate::startup::AppState;

/// The reviewers' links in the navigation (admins see them too).
pub const REVIEWER_NAV: [(&str, &str); 4] = [
    ("nav-review", "/staff/review"),
    ("nav-backdrops", "/staff/backdrops"),
    ("nav-photos", "/staff/photos"),
    ("nav-bureau", "/staff/bureau"),
];

pub use beian_platform::workflow::QueueFilter;

/// One page of the queue and the cursor of the next (`None` on the last page).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuePage {
    pub items: Vec<QueueItem>,
    pub next: Option<String>,
}

/// One page of the queue: `filter`, after the cursor `after`, at most `per` items (the
/// store's keyset page, [`Workflow::review_queue_page`]).
pub async fn fetch_queue_page(
    wf: &Workflow<'_>,
    acting: &Acting,
    filter: &QueueFilter,
    after: Option<&str>,
    per: usize,
) -> Result<QueuePage, WorkflowError> {
    let (items, next) = wf.review_queue_page(acting, filter, after, per).await?;
    Ok(QueuePage { items, next })
}

/// The queue page's query.
#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    pub state: Option<String>,
    pub province: Option<String>,
    pub kind: Option<String>,
    pub after: Option<String>,
}

/// "3 小时 5 分".
pub fn duration(lang: Lang, seconds: i64) -> String {
    let minutes = seconds.abs() / 60;
    lang.t_args(
        "staff-duration",
        &[
            ("hours", Arg::N(minutes / 60)),
            ("minutes", Arg::N(minutes % 60)),
        ],
    )
}

/// How much of the 1-working-day target is left: "剩余 5 小时 2 分（目标的 40%）", or
/// "已超时 …"; plus the fallback warning when the calendar has no data that far.
pub fn time_left(
    ctx: &Ctx,
    submitted_at: i64,
    deadline: i64,
    remaining: i64,
    fallback: bool,
) -> String {
    let mut s = if remaining < 0 {
        ctx.t_args(
            "staff-overdue",
            &[("time", Arg::S(duration(ctx.lang, remaining)))],
        )
    } else {
        let target = ((deadline - submitted_at) / 1000).max(1);
        ctx.t_args(
            "staff-left",
            &[
                ("time", Arg::S(duration(ctx.lang, remaining))),
                ("percent", Arg::N((remaining * 100 / target).clamp(0, 100))),
            ],
        )
    };
    if fallback {
        s.push(' ');
        s.push_str(&ctx.t("staff-fallback"));
    }
    s
}

fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// The acting reviewer (or admin); 403 for anyone else.
pub(crate) fn reviewer(ctx: &Ctx) -> Result<Acting, PageError> {
    ctx.require(Role::Reviewer)?;
    acting(ctx)
}

/// `GET /staff/review`.
pub async fn queue(
    State(state): State<AppState>,
    Query(q): Query<QueueQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let wanted = match nonempty(&q.state) {
        None => OrderState::ProviderReview,
        Some(s) => OrderState::parse(s)
            .filter(|s| REVIEW_STATES.contains(s))
            .ok_or(PageError::BadRequest)?,
    };
    let kind = match nonempty(&q.kind) {
        None => None,
        Some(k) => Some(FilingKind::parse(k).ok_or(PageError::BadRequest)?),
    };
    let filter = QueueFilter {
        state: wanted,
        province: nonempty(&q.province).map(str::to_owned),
        kind,
    };
    let per = PageRequest::of(&ctx.path, "page").per;
    let page = fetch_queue_page(&state.workflow(), &acting, &filter, nonempty(&q.after), per)
        .await
        .map_err(|e| page_error(&e))?;
    let lang = ctx.lang;
    let mut states = Vec::new();
    for s in REVIEW_STATES {
        states.push((s.as_str().to_owned(), text::state(lang, s)));
    }
    let mut provinces = vec![(String::new(), ctx.t("staff-all"))];
    provinces.extend(text::provinces(lang));
    let mut kinds = vec![(String::new(), ctx.t("staff-all"))];
    kinds.extend(
        FilingKind::ALL
            .into_iter()
            .map(|k| (k.as_str().to_owned(), text::kind(lang, k))),
    );
    let filters = ctx
        .form("/staff/review", "staff-filter")
        .get()
        .field(
            Field::new("state", ctx.t("f-state"), "select")
                .options(states)
                .value(filter.state.as_str()),
        )
        .field(
            Field::new("province", ctx.t("f-province"), "select")
                .options(provinces)
                .value(filter.province.clone().unwrap_or_default())
                .optional(),
        )
        .field(
            Field::new("kind", ctx.t("f-kind"), "select")
                .options(kinds)
                .value(kind.map(|k| k.as_str().to_owned()).unwrap_or_default())
                .optional(),
        );
    let mut blocks = vec![Block::P(ctx.t("staff-intro")), Block::Form(filters)];
    if page.items.is_empty() {
        blocks.push(Block::P(ctx.t("staff-empty")));
    } else {
        let rows = page
            .items
            .iter()
            .map(|i| {
                vec![
                    Cell::link(i.id.clone(), format!("/staff/orders/{}", i.id)),
                    Cell::text(i.domain.clone().unwrap_or_default()),
                    Cell::text(i.sponsor_name.clone().unwrap_or_default()),
                    Cell::text(text::kind(lang, i.kind)),
                    Cell::text(text::province(lang, &i.province)),
                    Cell::text(text::time(i.submitted_at)),
                    Cell::text(text::time(i.deadline)),
                    Cell::text(time_left(
                        &ctx,
                        i.submitted_at,
                        i.deadline,
                        i.deadline_remaining_seconds,
                        i.deadline_fallback_used,
                    )),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-order"),
                ctx.t("f-order-service"),
                ctx.t("f-sponsor-name"),
                ctx.t("f-kind"),
                ctx.t("f-province"),
                ctx.t("staff-entered"),
                ctx.t("staff-deadline"),
                ctx.t("staff-time-left"),
            ],
            rows,
        ));
    }
    let mut query = format!("/staff/review?state={}", filter.state.as_str());
    if let Some(p) = &filter.province {
        query.push_str(&format!("&province={}", url_encode(p)));
    }
    if let Some(k) = kind {
        query.push_str(&format!("&kind={}", k.as_str()));
    }
    if q.per_given(&ctx.path) {
        query.push_str(&format!("&per={per}"));
    }
    let first = nonempty(&q.after).map(|_| (ctx.t("staff-first-page"), query.clone()));
    let next = page.next.map(|c| {
        (
            ctx.t("pager-next"),
            format!("{query}&after={}", url_encode(&c)),
        )
    });
    if first.is_some() || next.is_some() {
        blocks.push(Block::Pager {
            label: String::new(),
            prev: first,
            next,
        });
    }
    ctx.page(ctx.t("nav-review"), blocks)
}

impl QueueQuery {
    fn per_given(&self, path: &str) -> bool {
        path.contains("per=")
    }
}

/// The form fields a return reason may name: (path, the page's title key, the label key).
const FORM_FIELDS: [(&str, &str, &str); 15] = [
    ("sponsor.name", "step-sponsor", "f-sponsor-name"),
    (
        "sponsor.certificate_number",
        "step-sponsor",
        "f-certificate-number",
    ),
    ("sponsor.address", "step-sponsor", "f-address"),
    ("sponsor.responsible.name", "step-sponsor", "f-person-name"),
    (
        "sponsor.responsible.certificate_number",
        "step-sponsor",
        "staff-person-cert",
    ),
    ("sponsor.responsible.mobile", "step-sponsor", "f-mobile"),
    ("sponsor.responsible.email", "step-sponsor", "f-email"),
    ("website.name", "step-website", "f-website-name"),
    ("website.domain", "step-website", "f-domain"),
    ("website.home_url", "step-website", "f-home-url"),
    (
        "website.service_content",
        "step-website",
        "f-service-content",
    ),
    ("website.languages", "step-website", "f-languages"),
    ("website.responsible.name", "step-website", "f-person-name"),
    (
        "website.responsible.certificate_number",
        "step-website",
        "staff-person-cert",
    ),
    ("website.responsible.mobile", "step-website", "f-mobile"),
];

/// What a return reason's field path is called on the pages (`网站信息 · 网站名称`); the
/// path itself for one the pages do not name.
pub(crate) fn field_label(ctx: &Ctx, path: &str) -> String {
    if let Some(kind) = path.strip_prefix("materials.") {
        return format!(
            "{} · {}",
            ctx.t("staff-materials"),
            text::material(ctx.lang, kind)
        );
    }
    if let Some(label) = app_field_label(ctx, path) {
        return label;
    }
    FORM_FIELDS.iter().find(|(p, _, _)| *p == path).map_or_else(
        || path.to_owned(),
        |(_, part, key)| format!("{} · {}", ctx.t(part), ctx.t(key)),
    )
}

/// An APP form's field on the pages (`APP 信息 · 平台 2 · 包名 / Bundle ID`); `None` for a
/// path the APP form does not have.
fn app_field_label(ctx: &Ctx, path: &str) -> Option<String> {
    let rest = path.strip_prefix("app.")?;
    let label = match rest.strip_prefix("platforms[") {
        Some(p) => {
            let (n, leaf) = p.split_once("].")?;
            // The path is a reviewer's (the API takes any): a negative or huge index is no
            // platform of a form, named by its path (no overflow).
            let n = i64::from(n.parse::<u16>().ok()?) + 1;
            let key = match leaf {
                "platform" => "f-app-platform",
                "package" => "f-app-package",
                "public_key" => "f-public-key",
                "signature_digest" => "f-signature-digest",
                _ => return None,
            };
            format!(
                "{} · {}",
                ctx.t_args("app-platform-n", &[("n", Arg::N(n))]),
                ctx.t(key)
            )
        }
        None => ctx.t(match rest {
            "name" => "f-app-name",
            "service_content" => "f-service-content",
            "responsible.name" => "f-person-name",
            "responsible.certificate_number" => "staff-person-cert",
            "responsible.mobile" => "f-mobile",
            "responsible.email" => "f-email",
            _ => return None,
        }),
    };
    Some(format!("{} · {label}", ctx.t("step-app")))
}

/// The APP form's fields a return reason may name, for an APP's order.
fn app_reason_paths(app: &beian_platform::workflow::AppForm) -> Vec<String> {
    let mut paths = vec!["app.name".to_owned(), "app.service_content".to_owned()];
    for i in 0..app.platforms.len() {
        for leaf in ["package", "public_key", "signature_digest"] {
            paths.push(format!("app.platforms[{i}].{leaf}"));
        }
    }
    for leaf in ["name", "certificate_number", "mobile"] {
        paths.push(format!("app.responsible.{leaf}"));
    }
    paths
}

/// The fields a return reason may name: (path, label).
fn reason_fields(ctx: &Ctx, order: &ReviewOrder) -> Vec<(String, String)> {
    // An APP's order: the sponsor's fields and the APP form's (it has no website form).
    let service: Vec<String> = match &order.forms.app {
        Some(app) => app_reason_paths(app),
        None => Vec::new(),
    };
    let app = order.forms.is_app();
    FORM_FIELDS
        .iter()
        .map(|(path, _, _)| (*path).to_owned())
        .filter(|path| !(app && path.starts_with("website.")))
        .chain(service)
        .chain(
            order
                .materials
                .iter()
                .map(|m| format!("materials.{}", m.kind)),
        )
        .map(|path| (path.clone(), field_label(ctx, &path)))
        .collect()
}

/// The common reasons a reviewer picks from (their keys; the text goes to the applicant in
/// zh-CN, the language of the filing).
const COMMON_REASONS: [&str; 5] = [
    "staff-reason-mismatch",
    "staff-reason-incomplete",
    "staff-reason-unclear",
    "staff-reason-format",
    "staff-reason-expired",
];

/// How many reasons one return form offers.
const REASON_ROWS: usize = 3;

fn person(ctx: &Ctx, p: &beian_platform::workflow::PersonForm) -> Vec<(String, String)> {
    vec![
        (ctx.t("f-person-name"), p.name.clone()),
        (
            ctx.t("staff-person-cert"),
            format!(
                "{} {}",
                label_of(&text::certificate_types(ctx.lang), &p.certificate_type),
                p.certificate_number
            ),
        ),
        (ctx.t("f-mobile"), p.mobile.clone()),
        (ctx.t("f-emergency-mobile"), p.emergency_mobile.clone()),
        (ctx.t("f-email"), p.email.clone()),
        (ctx.t("f-office-phone"), p.office_phone.clone()),
    ]
}

/// The label of `code` among `(code, label)` options, else the code itself.
fn label_of(options: &[(String, String)], code: &str) -> String {
    options
        .iter()
        .find(|(c, _)| c == code)
        .map_or_else(|| code.to_owned(), |(_, l)| l.clone())
}

fn yes_no(ctx: &Ctx, b: bool) -> String {
    ctx.t(if b { "staff-yes" } else { "staff-no" })
}

/// The order page's blocks; `errors` by form field (`""`: the whole decision).
fn order_blocks(
    ctx: &Ctx,
    acting: &Acting,
    o: &ReviewOrder,
    errors: &BTreeMap<String, String>,
    form: &Posted,
) -> Vec<Block> {
    let lang = ctx.lang;
    let id = &o.id;
    let mut b = Vec::new();
    if let Some(e) = errors.get("") {
        b.push(Block::Note("error", e.clone()));
    }
    let mut facts = vec![
        (ctx.t("f-order"), o.id.clone()),
        (ctx.t("f-kind"), text::kind(lang, o.kind)),
        (ctx.t("f-state"), text::state(lang, o.state)),
        (ctx.t("f-province"), text::province(ctx.lang, &o.province)),
        (
            ctx.t("f-service-number"),
            o.service_number.clone().unwrap_or_else(|| ctx.t("none")),
        ),
        (
            ctx.t("staff-password-verified"),
            yes_no(ctx, o.password_verified),
        ),
        (
            ctx.t("staff-identity-verified"),
            yes_no(ctx, o.identity_verified),
        ),
        (ctx.t("staff-entered"), text::time(o.submitted_at)),
    ];
    if let (Some(d), Some(r)) = (o.deadline, o.deadline_remaining_seconds) {
        facts.push((ctx.t("staff-deadline"), text::time(d)));
        facts.push((
            ctx.t("staff-time-left"),
            time_left(
                ctx,
                o.submitted_at,
                d,
                r,
                o.deadline_fallback_used.unwrap_or(false),
            ),
        ));
    }
    b.push(Block::Dl(facts));
    if let Some(like) = &o.confusable_with {
        b.push(Block::Note(
            "warn",
            ctx.t_args("staff-confusable", &[("domain", Arg::S(like.clone()))]),
        ));
    }
    let s = &o.forms.sponsor;
    b.push(Block::H2(ctx.t("step-sponsor")));
    let mut sponsor = vec![
        (ctx.t("f-sponsor-name"), s.identity.name.clone()),
        (
            ctx.t("f-province"),
            text::province(ctx.lang, &s.identity.province),
        ),
        (
            ctx.t("f-nature"),
            label_of(&text::natures(ctx.lang), &s.identity.nature),
        ),
        (
            ctx.t("f-certificate-type"),
            label_of(
                &text::certificate_types(ctx.lang),
                &s.identity.certificate_type,
            ),
        ),
        (
            ctx.t("f-certificate-number"),
            s.identity.certificate_number.clone(),
        ),
        (ctx.t("f-address"), s.address.clone()),
    ];
    sponsor.extend(person(ctx, &s.responsible));
    b.push(Block::Dl(sponsor));
    if let Some(a) = &o.forms.app {
        // An APP's order: the APP form, every platform's 特征信息 in full for the check.
        b.push(Block::H2(ctx.t("step-app")));
        let mut app = vec![
            (ctx.t("f-app-name"), a.name.clone()),
            (ctx.t("f-service-content"), a.service_content.clone()),
        ];
        for (i, p) in a.platforms.iter().enumerate() {
            let n = ctx.t_args(
                "app-platform-n",
                &[("n", Arg::N(i64::try_from(i + 1).unwrap_or(1)))],
            );
            let platform = label_of(&text::app_platforms(lang), &p.platform);
            app.push((n.clone(), format!("{platform} · {}", p.package)));
            app.push((
                format!("{n} · {}", ctx.t("f-public-key")),
                p.public_key.clone(),
            ));
            app.push((
                format!("{n} · {}", ctx.t("f-signature-digest")),
                p.signature_digest.clone(),
            ));
        }
        app.extend(person(ctx, &a.responsible));
        b.push(Block::Dl(app));
    } else {
        let w = &o.forms.website;
        b.push(Block::H2(ctx.t("step-website")));
        let mut website = vec![
            (ctx.t("f-website-name"), w.name.clone()),
            (ctx.t("f-domain"), w.domain.clone()),
            (ctx.t("f-home-url"), w.home_url.clone()),
            (ctx.t("f-service-content"), w.service_content.clone()),
            (ctx.t("f-languages"), text::languages(lang, &w.languages)),
            (ctx.t("staff-pre-approvals"), w.pre_approvals.join(", ")),
        ];
        website.extend(person(ctx, &w.responsible));
        b.push(Block::Dl(website));
    }

    b.push(Block::H2(ctx.t("staff-materials")));
    if o.materials.is_empty() {
        b.push(Block::P(ctx.t("none")));
    }
    for m in &o.materials {
        let name = text::material(lang, &m.kind);
        let href = format!("/staff/orders/{id}/materials/{}", m.id);
        b.push(Block::P(format!(
            "{name} · {} · {} KB · {}",
            m.content_type,
            (m.size + 1023) / 1024,
            text::time(m.created_at)
        )));
        if m.content_type.starts_with("image/") {
            b.push(Block::Img(name, href));
        } else {
            b.push(Block::Links(vec![
                (ctx.t("staff-open-pdf"), href.clone(), "secondary"),
                (
                    ctx.t("staff-download"),
                    format!("{href}?download=1"),
                    "secondary",
                ),
            ]));
        }
    }

    b.push(Block::H2(ctx.t("staff-timeline")));
    b.push(Block::Timeline(
        o.timeline
            .iter()
            .map(|e| {
                let to = OrderState::parse(&e.to_state)
                    .map_or(e.to_state.clone(), |s| text::state(lang, s));
                let key = format!("event-{}", e.event.replace('_', "-"));
                let event = if lang.has(&key) {
                    lang.t(&key)
                } else {
                    e.event.clone()
                };
                let who = match (&e.actor_name, e.actor.as_str()) {
                    (Some(name), _) => name.clone(),
                    (None, "bureau") => lang.t("actor-bureau"),
                    (None, _) => lang.t("actor-system"),
                };
                (text::time(e.at), format!("{event} → {to} ({who})"), false)
            })
            .collect(),
    ));
    if let Some(reasons) = o.return_reasons.as_array().filter(|r| !r.is_empty()) {
        b.push(Block::H2(ctx.t("return-reasons")));
        b.push(Block::Dl(
            reasons
                .iter()
                .map(|r| {
                    (
                        r["field"].as_str().unwrap_or("").to_owned(),
                        r["message"].as_str().unwrap_or("").to_owned(),
                    )
                })
                .collect(),
        ));
    }

    b.push(Block::H2(ctx.t("staff-decision")));
    if o.account_id == acting.account_id {
        b.push(Block::Note("warn", ctx.t("staff-own-order")));
        return b;
    }
    let can = |e: EventKind| o.state == OrderState::ProviderReview && o.allowed_events.contains(&e);
    if !can(EventKind::ProviderApprove) && !can(EventKind::ProviderReturn) {
        b.push(Block::P(ctx.t("staff-no-decision")));
        return b;
    }
    if can(EventKind::ProviderApprove) {
        b.push(Block::Form(
            ctx.form(format!("/staff/orders/{id}/approve"), "staff-approve"),
        ));
    }
    if can(EventKind::ProviderReturn) {
        let fields = reason_fields(ctx, o);
        let mut f = ctx
            .form(format!("/staff/orders/{id}/return"), "staff-return")
            .danger();
        for row in 0..REASON_ROWS {
            let n = row + 1;
            let mut field_opts = vec![(String::new(), ctx.t("staff-pick-field"))];
            field_opts.extend(fields.clone());
            let mut common = vec![(String::new(), ctx.t("staff-pick-reason"))];
            common.extend(COMMON_REASONS.iter().map(|k| ((*k).to_owned(), ctx.t(k))));
            let name = |p: &str| format!("{p}.{row}");
            f = f
                .field(
                    Field::new(
                        name("field"),
                        ctx.t_args("staff-reason-field", &[("n", Arg::N(n as i64))]),
                        "select",
                    )
                    .options(field_opts)
                    .value(form.get(&name("field")))
                    .optional(),
                )
                .field(
                    Field::new(name("common"), ctx.t("staff-reason-common"), "select")
                        .options(common)
                        .value(form.get(&name("common")))
                        .optional(),
                )
                .field(
                    Field::new(name("text"), ctx.t("staff-reason-text"), "textarea")
                        .value(form.get(&name("text")))
                        .optional(),
                );
        }
        b.push(Block::Form(f.errors(errors)));
    }
    b
}

async fn load(state: &AppState, acting: &Acting, id: &str) -> Result<ReviewOrder, PageError> {
    state
        .workflow()
        .review_order(acting, id)
        .await
        .map_err(|e| page_error(&e))
}

/// `GET /staff/orders/{id}`.
pub async fn order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let o = load(&state, &acting, &id).await?;
    let blocks = order_blocks(&ctx, &acting, &o, &BTreeMap::new(), &Posted::default());
    ctx.page(
        ctx.t_args("staff-order-title", &[("id", Arg::S(id))]),
        blocks,
    )
}

/// The order page again with the refusal `e` (its status; 5xx is the error page).
async fn refused(
    state: &AppState,
    ctx: &Ctx,
    acting: &Acting,
    id: &str,
    e: &WorkflowError,
    mut errors: BTreeMap<String, String>,
    form: &Posted,
) -> Result<Response, PageError> {
    let (message, _) = refusal(e, ctx.lang).ok_or(PageError::Internal)?;
    errors.entry(String::new()).or_insert(message);
    let o = load(state, acting, id).await?;
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::CONFLICT);
    let blocks = order_blocks(ctx, acting, &o, &errors, form);
    ctx.page_status(
        status,
        ctx.t_args("staff-order-title", &[("id", Arg::S(id.to_owned()))]),
        blocks,
    )
}

/// `POST /staff/orders/{id}/approve`.
pub async fn approve(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    match state.workflow().provider_approve(&acting, &id).await {
        Ok(_) => Ok(ctx.redirect_flash("/staff/review", "flash-approved")),
        Err(e) if e.status() == 404 => Err(PageError::NotFound),
        Err(e) => refused(&state, &ctx, &acting, &id, &e, BTreeMap::new(), &form).await,
    }
}

/// The reasons of a posted return form and, per reason, its row; or the messages by field.
fn reasons_of(
    ctx: &Ctx,
    form: &Posted,
) -> Result<Vec<(usize, ReturnReasonInput)>, BTreeMap<String, String>> {
    let mut reasons = Vec::new();
    let mut errors = BTreeMap::new();
    let zh = Lang::Zh;
    for row in 0..REASON_ROWS {
        let field = form.get(&format!("field.{row}"));
        let common = form.get(&format!("common.{row}"));
        let free = form.get(&format!("text.{row}"));
        let common = if common.is_empty() {
            None
        } else if COMMON_REASONS.contains(&common) {
            Some(zh.t(common))
        } else {
            errors.insert(format!("common.{row}"), ctx.t("staff-reason-unknown"));
            continue;
        };
        let message = match (common, free.is_empty()) {
            (None, true) => String::new(),
            (None, false) => free.to_owned(),
            (Some(c), true) => c,
            (Some(c), false) => format!("{c}：{free}"),
        };
        match (field.is_empty(), message.is_empty()) {
            (true, true) => {}
            (false, true) => {
                errors.insert(format!("text.{row}"), ctx.t("staff-reason-need-text"));
            }
            (true, false) => {
                errors.insert(format!("field.{row}"), ctx.t("staff-reason-need-field"));
            }
            (false, false) => reasons.push((
                row,
                ReturnReasonInput {
                    field: field.to_owned(),
                    message,
                },
            )),
        }
    }
    if reasons.is_empty() && errors.is_empty() {
        errors.insert(String::new(), ctx.t("staff-reason-none"));
    }
    if errors.is_empty() {
        Ok(reasons)
    } else {
        Err(errors)
    }
}

/// `POST /staff/orders/{id}/return`: fields `field.N`, `common.N`, `text.N` (N = 0, 1, 2).
pub async fn return_order(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let o = load(&state, &acting, &id).await?;
    let again = |errors: BTreeMap<String, String>, status: StatusCode| {
        let blocks = order_blocks(&ctx, &acting, &o, &errors, &form);
        ctx.page_status(
            status,
            ctx.t_args("staff-order-title", &[("id", Arg::S(id.clone()))]),
            blocks,
        )
    };
    // The service returns any account's order; the reviewer's own is refused here, as the
    // API refuses it.
    if o.account_id == acting.account_id {
        let e = WorkflowError::OwnOrder;
        let (message, _) = refusal(&e, ctx.lang).ok_or(PageError::Internal)?;
        return again(
            BTreeMap::from([(String::new(), message)]),
            StatusCode::FORBIDDEN,
        );
    }
    let reasons = match reasons_of(&ctx, &form) {
        Ok(r) => r,
        Err(errors) => return again(errors, StatusCode::UNPROCESSABLE_ENTITY),
    };
    let rows: Vec<usize> = reasons.iter().map(|(r, _)| *r).collect();
    let inputs: Vec<ReturnReasonInput> = reasons.into_iter().map(|(_, r)| r).collect();
    match state
        .workflow()
        .provider_return(&acting, &id, &inputs)
        .await
    {
        Ok(_) => Ok(ctx.redirect_flash("/staff/review", "flash-returned")),
        Err(e) if e.status() == 404 => Err(PageError::NotFound),
        Err(e) => {
            // `reasons.{i}.field` → the form's `field.{row}`.
            let mut errors = BTreeMap::new();
            if let Some((_, fields)) = refusal(&e, ctx.lang) {
                for (path, m) in fields {
                    let mut parts = path.split('.');
                    if let (Some("reasons"), Some(i), Some(what)) =
                        (parts.next(), parts.next(), parts.next())
                        && let Some(row) = i.parse::<usize>().ok().and_then(|i| rows.get(i))
                    {
                        let name = if what == "field" { "field" } else { "text" };
                        errors.insert(format!("{name}.{row}"), m);
                    }
                }
            }
            refused(&state, &ctx, &acting, &id, &e, errors, &form).await
        }
    }
}

/// `?download=1` on a material: an attachment instead of the browser's viewer.
#[derive(Debug, Default, Deserialize)]
pub struct MaterialQuery {
    pub download: Option<String>,
}

/// `GET /staff/orders/{id}/materials/{material}`: the file, shown in the browser (images,
/// PDFs in its viewer) or, with `?download=1`, downloaded.
pub async fn material(
    State(state): State<AppState>,
    Path((id, material)): Path<(String, String)>,
    Query(q): Query<MaterialQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = reviewer(&ctx)?;
    let o = load(&state, &acting, &id).await?;
    let m = o
        .materials
        .iter()
        .find(|m| m.id == material)
        .ok_or(PageError::NotFound)?;
    let stored = state.store.materials(&id).await?;
    let key = stored
        .iter()
        .find(|s| s.id == m.id)
        .map(|s| s.object_key.clone())
        .ok_or(PageError::NotFound)?;
    let bytes = state.objects.get(&key).await?;
    let ext = match m.content_type.as_str() {
        "image/jpeg" => "jpg",
        "image/png" => "png",
        _ => "pdf",
    };
    let disposition = if q.download.is_some() {
        "attachment"
    } else {
        "inline"
    };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&m.content_type).map_err(|_| PageError::Internal)?,
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("{disposition}; filename=\"{}.{ext}\"", m.kind))
            .map_err(|_| PageError::Internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    Ok(res)
}
