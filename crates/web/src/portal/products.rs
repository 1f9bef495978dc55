//! The admins' product pages (admins only; reviewers and applicants get 403):
//! - `/staff/products`: the service-number policy (shown and changed by a form over
//!   [`beian_platform::admin::set_policy`]) and the product instances with their numbers by
//!   status;
//! - `/staff/products/{id}`: one instance's service numbers (备案服务号), a form to issue
//!   more ([`beian_platform::admin::issue_numbers`]) and one to revoke an unbound one
//!   ([`beian_platform::admin::revoke_number`]);
//! - `/staff/storefronts`: the accounts with a storefront (旺铺 / 企业官网) subscription
//!   (read only: subscriptions are given through `POST /api/v1/admin/storefront-subscriptions`).

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::response::Response;
use beian_platform::admin::{PolicyBody, issue_numbers, revoke_number, set_policy};
use beian_store::admin::INSTANCE_STATES;

use crate::portal::admin::admin;
use crate::portal::form::{Posted, admin_refusal};
use crate::portal::i18n::{Arg, Lang};
use crate::portal::page::{Block, Cell, Ctx, Field, PageError};
use crate::portal::text;
use crate::startup::AppState;

/// Instances listed on the page at most (newest first).
const INSTANCES_SHOWN: i64 = 100;
/// Storefront subscriptions listed at most.
const SUBSCRIPTIONS_SHOWN: i64 = 500;

fn number_status(lang: Lang, s: &str) -> String {
    let key = format!("sn-status-{s}");
    if lang.has(&key) {
        lang.t(&key)
    } else {
        s.to_owned()
    }
}

fn instance_status(lang: Lang, s: &str) -> String {
    let key = format!("instance-status-{s}");
    if lang.has(&key) {
        lang.t(&key)
    } else {
        s.to_owned()
    }
}

/// The day of a Unix-milliseconds instant (Beijing time).
/// The instance's owner by login name (the account id if the account is gone); 无 when the
/// instance belongs to no account yet.
async fn owner(state: &AppState, ctx: &Ctx, account_id: Option<&str>) -> String {
    match account_id {
        Some(id) => super::account::login_name_of(state, id)
            .await
            .unwrap_or_else(|| id.to_owned()),
        None => ctx.t("none"),
    }
}

fn day(ms: i64) -> String {
    text::time(ms).chars().take(10).collect()
}

async fn products_blocks(
    state: &AppState,
    ctx: &Ctx,
    policy_form: Option<(BTreeMap<String, String>, String, &Posted)>,
) -> Result<Vec<Block>, PageError> {
    let policy: PolicyBody = state.store.service_number_policy().await?.into();
    let mut blocks = vec![Block::H2(ctx.t("products-policy"))];
    blocks.push(Block::Dl(vec![
        (
            ctx.t("products-limit"),
            policy.per_instance_limit.to_string(),
        ),
        (
            ctx.t("products-min-term"),
            ctx.t_args(
                "products-months",
                &[("months", Arg::N(policy.min_term_months))],
            ),
        ),
        (
            ctx.t("products-qualifying"),
            text::list(
                ctx.lang,
                policy
                    .qualifying_states
                    .iter()
                    .map(|s| instance_status(ctx.lang, s)),
            ),
        ),
    ]));
    let (limit, term, checked): (String, String, Vec<String>) = match &policy_form {
        Some((_, _, posted)) => (
            posted.owned("per_instance_limit"),
            posted.owned("min_term_months"),
            INSTANCE_STATES
                .iter()
                .filter(|s| posted.checked(&format!("state.{s}")))
                .map(|s| (*s).to_owned())
                .collect(),
        ),
        None => (
            policy.per_instance_limit.to_string(),
            policy.min_term_months.to_string(),
            policy.qualifying_states.clone(),
        ),
    };
    let mut form = ctx
        .form("/staff/products/policy", "products-save-policy")
        .field(Field::text("per_instance_limit", ctx.t("products-limit"), limit).kind("number"))
        .field(Field::text("min_term_months", ctx.t("products-min-term"), term).kind("number"));
    for s in INSTANCE_STATES {
        form = form.field(
            Field::new(
                format!("state.{s}"),
                ctx.t_args(
                    "products-qualifies",
                    &[("state", Arg::S(instance_status(ctx.lang, s)))],
                ),
                "checkbox",
            )
            .value(if checked.iter().any(|c| c == s) {
                "on"
            } else {
                ""
            })
            .optional(),
        );
    }
    if let Some((errors, top, _)) = &policy_form {
        // The states' error belongs beside the first state's box.
        let mut errors = errors.clone();
        if let Some(m) = errors.remove("qualifying_states") {
            errors.insert(format!("state.{}", INSTANCE_STATES[0]), m);
        }
        form = form.errors(&errors);
        if !top.is_empty() {
            form = form.with_error(top.clone());
        }
    }
    blocks.push(Block::Form(form));

    let (instances, total) = state.store.instances_page(0, INSTANCES_SHOWN).await?;
    blocks.push(Block::H2(ctx.t("products-instances")));
    if instances.is_empty() {
        blocks.push(Block::Note("info", ctx.t("products-none")));
        return Ok(blocks);
    }
    let mut rows = Vec::with_capacity(instances.len());
    for i in &instances {
        let counts = state.store.instance_number_counts(&i.id).await?;
        let numbers = counts
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(s, n)| format!("{} {n}", number_status(ctx.lang, s)))
            .collect::<Vec<_>>()
            .join(" · ");
        rows.push(vec![
            Cell::link(i.id.clone(), format!("/staff/products/{}", i.id)),
            Cell::text(i.product.clone()),
            Cell::text(owner(state, ctx, i.account_id.as_deref()).await),
            Cell::text(i.public_ip.clone().unwrap_or_default()),
            Cell::text(instance_status(ctx.lang, &i.status)),
            Cell::text(day(i.term_end)),
            Cell::text(if numbers.is_empty() {
                ctx.t("none")
            } else {
                numbers
            }),
        ]);
    }
    blocks.push(Block::Table(
        vec![
            ctx.t("products-instance"),
            ctx.t("products-product"),
            ctx.t("products-account"),
            ctx.t("products-ip"),
            ctx.t("f-state"),
            ctx.t("products-term-end"),
            ctx.t("products-numbers"),
        ],
        rows,
    ));
    if total > instances.len() as i64 {
        blocks.push(Block::P(ctx.t_args(
            "products-more",
            &[
                ("shown", Arg::N(instances.len() as i64)),
                ("total", Arg::N(total)),
            ],
        )));
    }
    Ok(blocks)
}

/// `GET /staff/products`.
pub async fn products(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let blocks = products_blocks(&state, &ctx, None).await?;
    ctx.page(ctx.t("nav-products"), blocks)
}

/// `POST /staff/products/policy`: `per_instance_limit`, `min_term_months`, `state.<s>`.
pub async fn policy(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    // A number that is not one is out of range for the service (it names the field).
    let number = |name: &str| form.get(name).parse::<i64>().unwrap_or(-1);
    let body = PolicyBody {
        per_instance_limit: number("per_instance_limit"),
        min_term_months: number("min_term_months"),
        qualifying_states: INSTANCE_STATES
            .iter()
            .filter(|s| form.checked(&format!("state.{s}")))
            .map(|s| (*s).to_owned())
            .collect(),
    };
    match set_policy(&state.store, &actor, &body).await {
        Ok(()) => Ok(ctx.redirect_flash("/staff/products", "flash-policy-saved")),
        Err(e) => {
            let (status, top, fields) = admin_refusal(e, ctx.lang)?;
            let blocks = products_blocks(&state, &ctx, Some((fields, top, &form))).await?;
            ctx.page_status(status, ctx.t("nav-products"), blocks)
        }
    }
}

/// What a refused instance form shows: which form, the messages by field, the one on top.
struct Refused<'a> {
    form: &'a str,
    errors: BTreeMap<String, String>,
    top: String,
}

async fn instance_blocks(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    refused: Option<Refused<'_>>,
) -> Result<Vec<Block>, PageError> {
    let i = state.store.instance(id).await?;
    let numbers = state.store.service_numbers_of_instance(id).await?;
    let mut blocks = vec![
        Block::Links(vec![(
            ctx.t("products-back"),
            "/staff/products".into(),
            "secondary",
        )]),
        Block::Dl(vec![
            (ctx.t("products-product"), i.product.clone()),
            (
                ctx.t("products-account"),
                owner(state, ctx, i.account_id.as_deref()).await,
            ),
            (
                ctx.t("products-ip"),
                i.public_ip.clone().unwrap_or_default(),
            ),
            (ctx.t("f-state"), instance_status(ctx.lang, &i.status)),
            (
                ctx.t("products-term"),
                format!("{} – {}", day(i.term_start), day(i.term_end)),
            ),
        ]),
        Block::H2(ctx.t("products-numbers")),
    ];
    if numbers.is_empty() {
        blocks.push(Block::Note("info", ctx.t("products-no-numbers")));
    } else {
        let rows = numbers
            .iter()
            .map(|n| {
                vec![
                    Cell::text(n.number.clone()),
                    Cell::text(number_status(ctx.lang, n.status.as_str())),
                    match &n.order_id {
                        Some(o) => Cell::link(o.clone(), format!("/staff/orders/{o}")),
                        None => Cell::text(""),
                    },
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![ctx.t("products-number"), ctx.t("f-state"), ctx.t("f-order")],
            rows,
        ));
    }
    let (issue_errors, issue_top, revoke_errors, revoke_top) = match refused {
        Some(r) if r.form == "issue" => (r.errors, r.top, BTreeMap::new(), String::new()),
        Some(r) => (BTreeMap::new(), String::new(), r.errors, r.top),
        None => Default::default(),
    };
    blocks.push(Block::H2(ctx.t("products-issue")));
    let mut issue = ctx
        .form(format!("/staff/products/{id}/issue"), "products-issue")
        .field(Field::text("count", ctx.t("products-count"), "1").kind("number"))
        .errors(&issue_errors);
    if !issue_top.is_empty() {
        issue = issue.with_error(issue_top);
    }
    blocks.push(Block::Form(issue));
    let unbound: Vec<(String, String)> = numbers
        .iter()
        .filter(|n| n.status.as_str() == "unbound")
        .map(|n| (n.number.clone(), n.number.clone()))
        .collect();
    blocks.push(Block::H2(ctx.t("products-revoke")));
    if unbound.is_empty() && revoke_top.is_empty() {
        blocks.push(Block::P(ctx.t("products-revoke-none")));
    } else {
        let mut revoke = ctx
            .form(format!("/staff/products/{id}/revoke"), "products-revoke")
            .danger()
            .field(
                Field::new("number", ctx.t("products-number"), "select")
                    .options(unbound)
                    .hint(ctx.t("products-revoke-hint")),
            )
            .errors(&revoke_errors);
        if !revoke_top.is_empty() {
            revoke = revoke.with_error(revoke_top);
        }
        blocks.push(Block::Form(revoke));
    }
    Ok(blocks)
}

fn instance_title(ctx: &Ctx, id: &str) -> String {
    ctx.t_args("products-instance-title", &[("id", Arg::S(id.to_owned()))])
}

/// `GET /staff/products/{id}`.
pub async fn instance(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    admin(&ctx)?;
    let blocks = instance_blocks(&state, &ctx, &id, None).await?;
    ctx.page(instance_title(&ctx, &id), blocks)
}

async fn refused(
    state: &AppState,
    ctx: &Ctx,
    id: &str,
    form: &str,
    e: beian_platform::admin::AdminError,
) -> Result<Response, PageError> {
    let (status, top, errors) = admin_refusal(e, ctx.lang)?;
    let r = Refused { form, errors, top };
    let blocks = instance_blocks(state, ctx, id, Some(r)).await?;
    ctx.page_status(status, instance_title(ctx, id), blocks)
}

/// `POST /staff/products/{id}/issue` (`count`).
pub async fn issue(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    let count = form.get("count").parse::<i64>().unwrap_or(0);
    match issue_numbers(&state.store, &actor, &id, count).await {
        Ok(_) => Ok(ctx.redirect_flash(&format!("/staff/products/{id}"), "flash-numbers-issued")),
        Err(e) => refused(&state, &ctx, &id, "issue", e).await,
    }
}

/// `POST /staff/products/{id}/revoke` (`number`).
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let actor = admin(&ctx)?;
    let number = form.get("number");
    // Only this instance's numbers are revoked from its page.
    let own = state
        .store
        .service_numbers_of_instance(&id)
        .await?
        .iter()
        .any(|n| n.number == number);
    if !own {
        return Err(PageError::NotFound);
    }
    match revoke_number(&state.store, &actor, number).await {
        Ok(()) => Ok(ctx.redirect_flash(&format!("/staff/products/{id}"), "flash-number-revoked")),
        Err(e) => refused(&state, &ctx, &id, "revoke", e).await,
    }
}

/// `GET /staff/storefronts`.
pub async fn storefronts(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    admin(&ctx)?;
    let list = state
        .store
        .storefront_subscription_list(SUBSCRIPTIONS_SHOWN)
        .await?;
    let mut blocks = vec![Block::P(ctx.t("storefronts-intro"))];
    if list.is_empty() {
        blocks.push(Block::Note("info", ctx.t("storefronts-none")));
    } else {
        let now = state.store.now().timestamp_millis();
        let rows = list
            .iter()
            .map(|(s, username)| {
                let key = format!("storefront-status-{}", s.status);
                let mut status = if ctx.lang.has(&key) {
                    ctx.t(&key)
                } else {
                    s.status.clone()
                };
                if s.status == "active" && s.term_end < now {
                    status = format!("{status} · {}", ctx.t("storefronts-term-over"));
                }
                vec![
                    Cell::text(username.clone()),
                    Cell::text(status),
                    Cell::text(day(s.term_end)),
                    Cell::text(s.id.clone()),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-username"),
                ctx.t("f-state"),
                ctx.t("products-term-end"),
                ctx.t("storefronts-id"),
            ],
            rows,
        ));
    }
    ctx.page(ctx.t("nav-storefronts"), blocks)
}
