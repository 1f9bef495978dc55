//! My filings (the sponsor, its websites with numbers and accesses, and the orders with what
//! to do next) and 开始备案: domain plus sponsor data → 验证备案类型 → the decided kind,
//! explained in one line → the order.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use beian_core::filing::FilingRefusal;
use beian_platform::workflow::{
    Acting, AppCheckInput, FilingCheckInput, SponsorIdentityInput, WorkflowError,
};
use serde::Deserialize;

use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::i18n::Arg;
use crate::portal::page::{Block, Cell, Ctx, Field, FormView, PageError};
use crate::portal::text;
use crate::startup::AppState;

pub fn acting(ctx: &Ctx) -> Result<Acting, PageError> {
    let a = ctx.account()?;
    Ok(Acting {
        account_id: a.id.clone(),
        role: a.role,
    })
}

/// `GET /filings`.
pub async fn filings(State(state): State<AppState>, ctx: Ctx) -> Result<Response, PageError> {
    let acting = acting(&ctx)?;
    let lang = ctx.lang;
    let wf = state.workflow();
    let mut blocks = Vec::new();
    let orders = wf.orders(&acting).await.map_err(|e| page_error(&e))?;
    let open = orders.iter().any(|o| !o.state.is_terminal());
    match wf.sponsor_view(&acting).await {
        Ok(s) => {
            blocks.push(Block::H2(ctx.t("filings-sponsor")));
            let mut facts = vec![
                (ctx.t("f-sponsor-name"), s.name.clone()),
                (ctx.t("f-province"), text::province(ctx.lang, &s.province)),
                (ctx.t("f-certificate-number"), s.certificate_number.clone()),
            ];
            // Not known yet while the first order is being filled.
            if !s.responsible.name.is_empty() {
                facts.push((
                    ctx.t("f-responsible"),
                    format!("{} {}", s.responsible.name, s.responsible.mobile),
                ));
            }
            facts.push((
                ctx.t("f-sponsor-number"),
                s.icp_number.clone().unwrap_or_else(|| ctx.t("none")),
            ));
            blocks.push(Block::Dl(facts));
            // A sponsor of APPs only: no empty table of websites.
            let show_websites = !s.websites.is_empty() || s.apps.is_empty();
            if show_websites {
                blocks.push(Block::H2(ctx.t("filings-websites")));
            }
            let (websites, sites_pager) = ctx.paginate(s.websites.iter().collect(), "sites");
            let rows = websites
                .into_iter()
                .map(|w| {
                    let status = w.access_status.as_deref().unwrap_or("none");
                    let action = if status == "active" {
                        Cell::link(
                            ctx.t("cancel-access"),
                            format!("/websites/{}/cancel-access", w.id),
                        )
                    } else {
                        Cell::text("")
                    };
                    vec![
                        Cell::text(if w.name.is_empty() {
                            w.domain.clone()
                        } else {
                            format!("{} ({})", w.name, w.domain)
                        }),
                        Cell::text(w.icp_number.clone().unwrap_or_else(|| ctx.t("none"))),
                        Cell::text(ctx.t(&format!("access-{status}"))),
                        action,
                    ]
                })
                .collect();
            if show_websites {
                blocks.push(Block::Table(
                    vec![
                        ctx.t("f-website"),
                        ctx.t("f-website-number"),
                        ctx.t("f-access"),
                        ctx.t("f-actions"),
                    ],
                    rows,
                ));
                blocks.extend(sites_pager);
            }
            if !s.apps.is_empty() {
                blocks.push(Block::H2(ctx.t("filings-apps")));
                let (apps, apps_pager) = ctx.paginate(s.apps.iter().collect(), "apps");
                blocks.push(Block::Table(
                    vec![
                        ctx.t("f-app"),
                        ctx.t("f-app-number"),
                        ctx.t("f-access"),
                        ctx.t("f-actions"),
                    ],
                    apps.into_iter().map(|a| app_row(&ctx, a, open)).collect(),
                ));
                blocks.extend(apps_pager);
            }
            if !s.service_numbers.is_empty() {
                blocks.push(Block::Dl(vec![(
                    ctx.t("f-service-numbers"),
                    s.service_numbers.join(", "),
                )]));
            }
            // 继续接入备案: for a sponsor with a successful filing here, unless an order of it
            // is open (the seed says why the button is then missing).
            if s.icp_number.is_some() && open {
                blocks.push(Block::Note("info", ctx.t("continue-hidden")));
            } else if s.icp_number.is_some() {
                blocks.push(Block::Links(vec![(
                    ctx.t("continue-access"),
                    "/orders/new?continue=1".into(),
                    "primary",
                )]));
            }
        }
        Err(e) if e.status() < 500 => {
            blocks.push(Block::Note("info", ctx.t("filings-no-sponsor")));
            blocks.push(Block::Links(vec![
                (ctx.t("nav-start"), "/orders/new".into(), "primary"),
                (ctx.t("legacy-title"), "/legacy-import".into(), "secondary"),
            ]));
        }
        Err(e) => return Err(page_error(&e)),
    }
    blocks.push(Block::H2(ctx.t("filings-orders")));
    if orders.is_empty() {
        blocks.push(Block::P(ctx.t("filings-no-orders")));
    } else {
        let (page, pager) = ctx.paginate(orders.iter().collect(), "page");
        let rows = page
            .into_iter()
            .map(|o| {
                vec![
                    Cell::link(
                        // An APP's order names its APP (it has no domain).
                        o.domain
                            .clone()
                            .or_else(|| o.app_name.clone())
                            .unwrap_or_else(|| o.id.clone()),
                        format!("/orders/{}", o.id),
                    ),
                    Cell::text(text::service_kind(lang, o.kind, o.app_name.is_some())),
                    Cell::text(text::state(lang, o.state)),
                    Cell::text(text::next_step(lang, o.state)),
                    Cell::text(text::time(o.updated_at)),
                ]
            })
            .collect();
        blocks.push(Block::Table(
            vec![
                ctx.t("f-order-service"),
                ctx.t("f-kind"),
                ctx.t("f-state"),
                ctx.t("f-next"),
                ctx.t("f-updated"),
            ],
            rows,
        ));
        blocks.extend(pager);
    }
    ctx.page(ctx.t("filings-title"), blocks)
}

/// One APP of the sponsor in `/filings`: its name and package, number, access here, and
/// what can be done with it (变更APP, 注销APP, 取消接入 while accessed here; the changes not
/// while another order is open, as the service refuses them then).
fn app_row(ctx: &Ctx, a: &beian_platform::workflow::SponsorAppView, open: bool) -> Vec<Cell> {
    let status = a.access_status.as_deref().unwrap_or("none");
    let mut actions = Vec::new();
    if status == "active" && a.icp_number.is_some() {
        if !open {
            actions.push((
                ctx.t("kind-app-change-website"),
                format!("/apps/{}/orders?kind=change_website", a.id),
            ));
            actions.push((
                ctx.t("kind-app-cancel-website"),
                format!("/apps/{}/orders?kind=cancel_website", a.id),
            ));
        }
        actions.push((
            ctx.t("cancel-access"),
            format!("/apps/{}/cancel-access", a.id),
        ));
    }
    vec![
        Cell::text(format!("{} ({})", a.name, a.package)),
        Cell::text(a.icp_number.clone().unwrap_or_else(|| ctx.t("none"))),
        Cell::text(ctx.t(&format!("access-{status}"))),
        Cell::links(actions),
    ]
}

#[derive(Debug, Deserialize)]
pub struct StartQuery {
    #[serde(default)]
    storefront: String,
    /// `app`: 开始备案 of an APP (else a website).
    #[serde(default)]
    service: String,
}

/// Whether the posted 开始备案 form is an APP's.
fn is_app(form: &Posted) -> bool {
    form.get("service") == "app"
}

fn check_input(form: &Posted) -> FilingCheckInput {
    let app = is_app(form).then(|| AppCheckInput {
        name: form.owned("app.name"),
        platform: form.owned("app.platform"),
        package: form.owned("app.package"),
    });
    FilingCheckInput {
        domain: if app.is_some() {
            String::new()
        } else {
            form.owned("domain")
        },
        sponsor: SponsorIdentityInput {
            province: form.owned("sponsor.province"),
            nature: form.owned("sponsor.nature"),
            certificate_type: form.owned("sponsor.certificate_type"),
            certificate_number: form.owned("sponsor.certificate_number"),
            name: form.owned("sponsor.name"),
        },
        app,
    }
}

fn start_form(ctx: &Ctx, form: &Posted) -> FormView {
    let pick = |name: &str, default: &str| match form.get(name) {
        "" => default.to_owned(),
        v => v.to_owned(),
    };
    let mut view = ctx.form("/orders/new", "check-submit");
    view = if is_app(form) {
        view.field(Field::hidden("service", "app"))
            .field(
                Field::text("app.name", ctx.t("f-app-name"), form.get("app.name"))
                    .hint(ctx.t("hint-app-name")),
            )
            .field(
                Field::text(
                    "app.platform",
                    ctx.t("f-app-platform"),
                    pick("app.platform", "android"),
                )
                .options(text::app_platforms(ctx.lang)),
            )
            .field(
                Field::text(
                    "app.package",
                    ctx.t("f-app-package"),
                    form.get("app.package"),
                )
                .hint(ctx.t("hint-app-package")),
            )
    } else {
        view.field(
            Field::text("domain", ctx.t("f-domain"), form.get("domain")).hint(ctx.t("hint-domain")),
        )
    };
    view.field(
        Field::text(
            "sponsor.province",
            ctx.t("f-province"),
            pick("sponsor.province", "33"),
        )
        .options(text::provinces(ctx.lang)),
    )
    .field(
        Field::text(
            "sponsor.nature",
            ctx.t("f-nature"),
            pick("sponsor.nature", "enterprise"),
        )
        .options(text::natures(ctx.lang)),
    )
    .field(
        Field::text(
            "sponsor.certificate_type",
            ctx.t("f-certificate-type"),
            pick("sponsor.certificate_type", "credit_code"),
        )
        .options(text::certificate_types(ctx.lang)),
    )
    .field(Field::text(
        "sponsor.certificate_number",
        ctx.t("f-certificate-number"),
        form.get("sponsor.certificate_number"),
    ))
    .field(
        Field::text(
            "sponsor.name",
            ctx.t("f-sponsor-name"),
            form.get("sponsor.name"),
        )
        .hint(ctx.t("hint-same-as-filed")),
    )
    .field(Field::hidden("storefront", form.get("storefront")))
}

/// The choice of what to file: 网站 or APP (the current one first-class).
fn service_choice(ctx: &Ctx, app: bool, storefront: bool) -> Block {
    let tail = if storefront { "storefront=1" } else { "" };
    let website = if storefront {
        format!("/orders/new?{tail}")
    } else {
        "/orders/new".to_owned()
    };
    let app_href = if storefront {
        format!("/orders/new?service=app&{tail}")
    } else {
        "/orders/new?service=app".to_owned()
    };
    let (w, a) = if app {
        ("secondary", "primary")
    } else {
        ("primary", "secondary")
    };
    Block::Links(vec![
        (ctx.t("service-website"), website, w),
        (ctx.t("service-app"), app_href, a),
    ])
}

/// `GET /orders/new` (`?service=app` for an APP).
pub async fn start_page(ctx: Ctx, Query(q): Query<StartQuery>) -> Result<Response, PageError> {
    ctx.account()?;
    let mut pairs = Vec::new();
    if !q.storefront.is_empty() {
        pairs.push(("storefront", "1"));
    }
    let app = q.service == "app";
    if app {
        pairs.push(("service", "app"));
    }
    let body = serde_urlencoded::to_string(&pairs).map_err(|_| PageError::Internal)?;
    let posted = Posted::parse(&axum::body::Bytes::from(body)).unwrap_or_default();
    ctx.page(
        ctx.t("start-title"),
        vec![
            service_choice(&ctx, app, !q.storefront.is_empty()),
            Block::P(ctx.t(if app {
                "start-intro-app"
            } else {
                "start-intro"
            })),
            Block::Note("warn", ctx.t("start-same-as-filed")),
            Block::Form(start_form(&ctx, &posted)),
        ],
    )
}

fn refused_page(ctx: &Ctx, form: &Posted, e: &WorkflowError) -> Result<Response, PageError> {
    let (message, fields) = refusal(e, ctx.lang).ok_or(PageError::Internal)?;
    let fields = fields
        .into_iter()
        .map(|(k, v)| {
            if k.starts_with("sponsor") || k.starts_with("app.") || k == "domain" {
                (k, v)
            } else {
                (format!("sponsor.{k}"), v)
            }
        })
        .collect();
    let view = start_form(ctx, form).errors(&fields).with_error(message);
    let mut blocks = vec![
        service_choice(ctx, is_app(form), !form.get("storefront").is_empty()),
        Block::Note("warn", ctx.t("start-same-as-filed")),
        Block::Form(view),
    ];
    // Refused for an order in progress: the way to that order, to finish or abandon it.
    if let WorkflowError::Refused(FilingRefusal::OrderInProgress { order_id }) = e {
        blocks.insert(
            2,
            Block::Links(vec![(
                ctx.t("open-order-view"),
                format!("/orders/{order_id}"),
                "primary",
            )]),
        );
    }
    ctx.page_status(
        StatusCode::UNPROCESSABLE_ENTITY,
        ctx.t("start-title"),
        blocks,
    )
}

/// `POST /orders/new` (验证备案类型): the decided kind in one line, and the button that
/// opens the order.
pub async fn check(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let acting = acting(&ctx)?;
    let input = check_input(&form);
    let result = match state.workflow().filing_check(&acting, &input).await {
        Ok(r) => r,
        Err(e) => return refused_page(&ctx, &form, &e),
    };
    let mut confirm = ctx.form("/orders", "create-submit");
    for name in [
        "service",
        "domain",
        "app.name",
        "app.platform",
        "app.package",
        "sponsor.province",
        "sponsor.nature",
        "sponsor.certificate_type",
        "sponsor.certificate_number",
        "sponsor.name",
        "storefront",
    ] {
        confirm = confirm.field(Field::hidden(name, form.get(name)));
    }
    let app = input.app.as_ref();
    let explained = if app.is_some() {
        text::app_kind_explained(ctx.lang, result.kind)
    } else {
        text::kind_explained(ctx.lang, result.kind)
    };
    let mut blocks = vec![
        Block::Note(
            "ok",
            ctx.t_args(
                "check-kind",
                &[(
                    "kind",
                    Arg::S(text::service_kind(ctx.lang, result.kind, app.is_some())),
                )],
            ),
        ),
        Block::P(explained),
    ];
    let mut facts = match app {
        Some(a) => vec![
            (ctx.t("f-app-name"), a.name.clone()),
            (ctx.t("f-app-package"), a.package.clone()),
        ],
        None => vec![(ctx.t("f-domain"), input.domain.clone())],
    };
    if let Some(n) = &result.registry.sponsor_number {
        facts.push((ctx.t("f-sponsor-number"), n.clone()));
    }
    // The registry answers a filed APP as a website: its `-NA` number in the same place.
    if let Some(n) = &result.registry.website_number {
        let key = if app.is_some() {
            "f-app-number"
        } else {
            "f-website-number"
        };
        facts.push((ctx.t(key), n.clone()));
    }
    blocks.push(Block::Dl(facts));
    if result.access_only {
        blocks.push(Block::Note("info", ctx.t("access-only")));
    }
    blocks.push(Block::Form(confirm));
    ctx.page(ctx.t("check-title"), blocks)
}

/// `POST /orders`: opens the order and goes to its first step.
pub async fn create(
    State(state): State<AppState>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let acting = acting(&ctx)?;
    match state
        .workflow()
        .create_order(&acting, &check_input(&form))
        .await
    {
        Ok(created) => {
            let step = if form.get("storefront").is_empty() {
                "product"
            } else {
                "product?storefront=1"
            };
            Ok(ctx.redirect_flash(
                &format!("/orders/{}/{step}", created.order_id),
                "flash-order-created",
            ))
        }
        Err(e) => refused_page(&ctx, &form, &e),
    }
}
