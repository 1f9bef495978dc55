//! The admins' pages (admins only; reviewers and applicants get 403):
//! - the dashboard (`/staff/dashboard`): the figures of [`beian_platform::dashboard`] drawn
//!   as inline SVG bar charts ([`crate::portal::chart`]): orders by state, deadline breaches
//!   per day, the median time in each state, the bureau's approval and return rates by
//!   province, orders per day; from the same cache as `GET /api/v1/admin/dashboard`, with
//!   when it was computed;
//! - accounts and roles (`/staff/accounts`): the role of each account, changed by a form
//!   over [`beian_platform::admin::set_role`], the last admin marked (the service refuses
//!   to demote them);
//! - the audit log (`/staff/audit`), newest first, with a button that walks the hash chain
//!   and shows the result.
//!
//! The other admin pages: [`crate::portal::products`] (instances, service numbers, the
//! policy, storefront subscriptions), [`crate::portal::calendar`] (rules, holidays),
//! [`crate::portal::outbox`].

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use beian_core::order::OrderState;
use beian_platform::admin::{AdminError, assignable_role, set_role};
use beian_platform::dashboard::{Dashboard, DayCount};
use beian_store::accounts::Role;
use beian_store::audit::head_file_path;

use crate::portal::chart::{BarChart, Scale, Series, render};
use crate::portal::form::Posted;
use crate::portal::i18n::{Arg, Lang};
use crate::portal::page::{Block, Cell, Ctx, Field, PageError};
use crate::portal::text;
use crate::startup::AppState;

/// The admins' links in the navigation (after the reviewers').
pub const ADMIN_NAV: [(&str, &str); 8] = [
    ("nav-dashboard", "/staff/dashboard"),
    ("nav-accounts", "/staff/accounts"),
    ("nav-products", "/staff/products"),
    ("nav-storefronts", "/staff/storefronts"),
    ("nav-rules", "/staff/rules"),
    ("nav-holidays", "/staff/holidays"),
    ("nav-outbox", "/staff/outbox"),
    ("nav-audit", "/staff/audit"),
];

/// The acting admin (`admin:<id>` for the audit); 403 for anyone else.
pub(crate) fn admin(ctx: &Ctx) -> Result<String, PageError> {
    let a = ctx.require(Role::Admin)?;
    Ok(a.actor())
}

fn one_series() -> Vec<Series> {
    vec![Series {
        name: String::new(),
        class: "s0",
    }]
}

fn days(ctx: &Ctx, title: &str, y: &str, series: &[DayCount]) -> BarChart {
    BarChart {
        title: ctx.t(title),
        x_label: ctx.t("chart-x-day"),
        y_label: ctx.t(y),
        scale: Scale::Count,
        series: one_series(),
        groups: series
            .iter()
            .map(|d| {
                (
                    d.date.get(5..).unwrap_or(&d.date).to_owned(),
                    vec![d.count as f64],
                )
            })
            .collect(),
        empty_text: ctx.t("chart-empty"),
        label_every: 5,
    }
}

/// The dashboard's charts.
pub fn charts(ctx: &Ctx, d: &Dashboard) -> Vec<BarChart> {
    let lang = ctx.lang;
    let state_name = |s: &str| OrderState::parse(s).map_or(s.to_owned(), |s| text::state(lang, s));
    let by_state = BarChart {
        title: ctx.t("chart-by-state"),
        x_label: ctx.t("f-state"),
        y_label: ctx.t("chart-y-orders"),
        scale: Scale::Count,
        series: one_series(),
        groups: OrderState::ALL
            .into_iter()
            .map(|s| {
                let n = d.orders_by_state.get(s.as_str()).copied().unwrap_or(0);
                (text::state(lang, s), vec![n as f64])
            })
            .collect(),
        empty_text: ctx.t("chart-empty"),
        label_every: 1,
    };
    let medians = BarChart {
        title: ctx.t_args("chart-medians", &[("days", Arg::N(d.window_days))]),
        x_label: ctx.t("f-state"),
        y_label: ctx.t("chart-y-hours"),
        scale: Scale::Hours,
        series: one_series(),
        groups: d
            .median_time_in_state
            .iter()
            .map(|(s, m)| (state_name(s), vec![m.median_seconds]))
            .collect(),
        empty_text: ctx.t("chart-empty"),
        label_every: 1,
    };
    let rates = BarChart {
        title: ctx.t_args("chart-bureau", &[("days", Arg::N(d.window_days))]),
        x_label: ctx.t("f-province"),
        y_label: ctx.t("chart-y-rate"),
        scale: Scale::Rate,
        series: vec![
            Series {
                name: ctx.t("chart-approved"),
                class: "s0",
            },
            Series {
                name: ctx.t("chart-returned"),
                class: "s1",
            },
        ],
        groups: d
            .bureau_by_province
            .iter()
            .filter(|(_, r)| r.decided > 0)
            .map(|(p, r)| {
                (
                    text::province(ctx.lang, p),
                    vec![r.approval_rate.unwrap_or(0.0), r.return_rate.unwrap_or(0.0)],
                )
            })
            .collect(),
        empty_text: ctx.t("chart-empty"),
        label_every: 1,
    };
    vec![
        by_state,
        days(
            ctx,
            "chart-breaches",
            "chart-y-breaches",
            &d.breaches_per_day,
        ),
        medians,
        rates,
        days(ctx, "chart-per-day", "chart-y-orders", &d.orders_per_day),
    ]
}

/// `GET /staff/dashboard`.
pub async fn dashboard(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let d = state.dashboard.get(&state.store).await?;
    let mut blocks = vec![Block::P(ctx.t_args(
        "dashboard-generated",
        &[
            ("at", Arg::S(text::time(d.generated_at.timestamp_millis()))),
            ("seconds", Arg::N(d.stale_after_seconds)),
        ],
    ))];
    blocks.push(Block::Dl(vec![
        (ctx.t("dashboard-open"), d.open_orders_total.to_string()),
        (
            ctx.t("dashboard-breaches-now"),
            d.deadline_breaches.len().to_string(),
        ),
        (
            ctx.t("dashboard-bureau-rate"),
            d.bureau.approval_rate.map_or_else(
                || ctx.t("none"),
                |r| {
                    format!(
                        "{:.0}% ({}/{})",
                        r * 100.0,
                        d.bureau.approved,
                        d.bureau.decided
                    )
                },
            ),
        ),
    ]));
    for c in charts(&ctx, &d) {
        blocks.push(Block::H2(c.title.clone()));
        blocks.push(Block::Svg(render(&c)));
    }
    ctx.page(ctx.t("nav-dashboard"), blocks)
}

fn role_name(lang: Lang, r: Role) -> String {
    lang.t(&format!("role-{}", r.as_str().replace('_', "-")))
}

async fn accounts_blocks(
    state: &AppState,
    ctx: &Ctx,
    error: Option<String>,
) -> Result<Vec<Block>, PageError> {
    let (accounts, total) = state.store.accounts_page(0, 200).await?;
    let admins = accounts.iter().filter(|a| a.role == Role::Admin).count();
    let mut blocks = vec![Block::Note("info", ctx.t("accounts-last-admin-rule"))];
    if let Some(e) = error {
        blocks.push(Block::Note("error", e));
    }
    let roles: Vec<(String, String)> = [Role::Applicant, Role::Reviewer, Role::Admin]
        .into_iter()
        .map(|r| (r.as_str().to_owned(), role_name(ctx.lang, r)))
        .collect();
    let mut rows = Vec::new();
    for a in &accounts {
        let last = a.role == Role::Admin && admins <= 1;
        rows.push(vec![
            Cell::text(a.username.clone()),
            Cell::text(if last {
                format!(
                    "{} · {}",
                    role_name(ctx.lang, a.role),
                    ctx.t("accounts-last-admin")
                )
            } else {
                role_name(ctx.lang, a.role)
            }),
            Cell::text(text::mask(&a.email)),
            Cell::text(ctx.t(if a.disabled {
                "accounts-disabled"
            } else {
                "accounts-active"
            })),
            Cell::text(text::time(a.created_at)),
        ]);
    }
    blocks.push(Block::Table(
        vec![
            ctx.t("f-username"),
            ctx.t("accounts-role"),
            ctx.t("f-email"),
            ctx.t("f-state"),
            ctx.t("accounts-created"),
        ],
        rows,
    ));
    if total > accounts.len() as i64 {
        blocks.push(Block::P(ctx.t_args(
            "accounts-more",
            &[
                ("shown", Arg::N(accounts.len() as i64)),
                ("total", Arg::N(total)),
            ],
        )));
    }
    blocks.push(Block::H2(ctx.t("accounts-change-role")));
    let users: Vec<(String, String)> = accounts
        .iter()
        .filter(|a| a.role != Role::BureauOfficer)
        .map(|a| (a.id.clone(), a.username.clone()))
        .collect();
    blocks.push(Block::Form(
        ctx.form("/staff/accounts/role", "accounts-save-role")
            .field(Field::new("account", ctx.t("f-username"), "select").options(users))
            .field(Field::new("role", ctx.t("accounts-role"), "select").options(roles)),
    ));
    Ok(blocks)
}

/// `GET /staff/accounts`.
pub async fn accounts(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let blocks = accounts_blocks(&state, &ctx, None).await?;
    ctx.page(ctx.t("nav-accounts"), blocks)
}

/// `POST /staff/accounts/role`: `account`, `role`.
pub async fn change_role(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    let role = assignable_role(form.get("role")).ok_or(PageError::BadRequest)?;
    let refusal = match set_role(&state.store, &actor, form.get("account"), role).await {
        Ok(()) => return Ok(ctx.redirect_flash("/staff/accounts", "flash-role-changed")),
        Err(AdminError::Refused(status, _, message)) => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::CONFLICT),
            message.render(ctx.lang.locale()),
        ),
        Err(AdminError::Store(e)) => return Err(e.into()),
        Err(AdminError::Invalid(_)) => return Err(PageError::BadRequest),
        Err(e) => {
            tracing::error!(error = %e, "portal: role change failed");
            return Err(PageError::Internal);
        }
    };
    let blocks = accounts_blocks(&state, &ctx, Some(refusal.1)).await?;
    ctx.page_status(refusal.0, ctx.t("nav-accounts"), blocks)
}

async fn audit_blocks(state: &AppState, ctx: &Ctx) -> Result<Vec<Block>, PageError> {
    let records = state.store.audit_before(None, 100).await?;
    let rows = records
        .into_iter()
        .map(|r| {
            vec![
                Cell::text(r.seq.to_string()),
                Cell::text(text::time(r.at)),
                Cell::text(r.actor),
                Cell::text(r.action),
                Cell::text(r.subject),
            ]
        })
        .collect();
    Ok(vec![
        Block::Form(ctx.form("/staff/audit/verify", "audit-verify")),
        Block::Table(
            vec![
                ctx.t("audit-seq"),
                ctx.t("audit-at"),
                ctx.t("audit-actor"),
                ctx.t("audit-action"),
                ctx.t("audit-subject"),
            ],
            rows,
        ),
    ])
}

/// `GET /staff/audit`: the last 100 records, newest first.
pub async fn audit(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let blocks = audit_blocks(&state, &ctx).await?;
    ctx.page(ctx.t("nav-audit"), blocks)
}

/// `POST /staff/audit/verify`: walks the chain and shows the result above the log.
pub async fn verify_audit(
    State(state): State<AppState>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let head = head_file_path(&state.store);
    let note = match beian_store::verify_audit(&state.store, &head).await {
        Ok(report) => Block::Note(
            "ok",
            ctx.t_args(
                "audit-ok",
                &[
                    ("records", Arg::N(report.records)),
                    ("head", Arg::N(report.head_seq)),
                ],
            ),
        ),
        Err(bad) => {
            if let beian_store::audit::BreakReason::Database(cause) = &bad.reason {
                tracing::error!(error = %cause, "audit verification could not read the database");
            }
            Block::Note(
                "error",
                ctx.t_args("audit-broken", &[("seq", Arg::N(bad.seq))]),
            )
        }
    };
    let mut blocks = vec![note];
    blocks.extend(audit_blocks(&state, &ctx).await?);
    ctx.page(ctx.t("nav-audit"), blocks)
}
