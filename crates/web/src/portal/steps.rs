//! The order's filling steps, one per page with the step bar: product verification (service
//! number, or the storefront subscription), the filing password (access kinds), the sponsor,
//! the website or the APP (its name, 1 to 3 platforms' 特征信息, service content;
//! "填写新负责人信息" when its responsible person differs), materials (upload
//! with a preview, the prefilled verification form to download, print, sign and upload),
//! review and submit; and abandoning the order. Return reasons stand beside their fields and
//! only returned fields stay editable.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use beian_core::app::PlatformInput;
use beian_core::order::OrderState;
use beian_core::sponsor::SponsorNature;
use beian_platform::materials::{FILE_FIELD, MaterialKind, sanitize};
use beian_platform::workflow::{
    Acting, AppForm, OrderView, PersonForm, SponsorForm, UploadWithdrawal, WebsiteForm,
    WorkflowError,
};

use serde::Deserialize;

use crate::portal::filings::acting;
use crate::portal::form::{Posted, page_error, refusal};
use crate::portal::i18n::Arg;
use crate::portal::page::{Block, Ctx, Field, FormView, PageError};
use crate::portal::security::CSRF_FIELD;
use crate::portal::text;
use crate::startup::AppState;

/// The filling steps of an order, for its step bar: (path, key).
fn filling_steps(view: &OrderView) -> Vec<(&'static str, &'static str)> {
    let mut steps = vec![("product", "step-product")];
    if view.kind.needs_filing_password() {
        steps.push(("password", "step-password"));
    }
    steps.push(("sponsor", "step-sponsor"));
    // An APP's order has the APP form where a website's has the website form.
    steps.push(if view.forms.is_app() {
        ("app", "step-app")
    } else {
        ("website", "step-website")
    });
    steps.extend([("materials", "step-materials"), ("submit", "step-submit")]);
    steps
}

/// The step bar with `here` current, and the path of the step after it.
fn bar(ctx: &Ctx, view: &OrderView, here: &str) -> (Block, String) {
    let steps = filling_steps(view);
    let at = steps.iter().position(|(p, _)| *p == here).unwrap_or(0);
    let next = steps.get(at + 1).map_or("submit", |s| s.0);
    let block = Block::Steps(
        steps
            .iter()
            .enumerate()
            .map(|(i, (_, k))| {
                (
                    ctx.t(k),
                    if i < at {
                        "done"
                    } else if i == at {
                        "current"
                    } else {
                        "todo"
                    },
                )
            })
            .collect(),
    );
    (block, format!("/orders/{}/{next}", view.id))
}

async fn load(state: &AppState, ctx: &Ctx, id: &str) -> Result<(Acting, OrderView), PageError> {
    let acting = acting(ctx)?;
    let view = state
        .workflow()
        .order_view(&acting, id)
        .await
        .map_err(|e| page_error(&e))?;
    Ok((acting, view))
}

/// The form paths the last return names (the bureau's reasons name none).
fn returned_fields(view: &OrderView) -> Vec<String> {
    view.return_reasons
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| r["field"].as_str())
                .filter(|f| {
                    f.starts_with("sponsor") || f.starts_with("website") || f.starts_with("app")
                })
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The last return's messages of the fields under `part` (`sponsor`, `website`, `app`): each page
/// shows its own beside its fields, none of the other page's.
fn return_messages(ctx: &Ctx, view: &OrderView, part: &str) -> BTreeMap<String, String> {
    let key = if ctx.lang == crate::portal::i18n::Lang::En {
        "message_en"
    } else {
        "message"
    };
    view.return_reasons
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|r| {
                    let f = r["field"].as_str()?.to_owned();
                    if !f.starts_with(&format!("{part}.")) {
                        return None;
                    }
                    let m = r[key].as_str().or(r["message"].as_str())?.to_owned();
                    Some((f, m))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Whether field `path` may change now: after a return, only the returned ones (all of
/// them after a bureau return that names no field), as the platform enforces.
fn editable(view: &OrderView, path: &str) -> bool {
    if !view.state.is_editable() {
        return false;
    }
    let returned = returned_fields(view);
    match view.state {
        OrderState::Draft => true,
        OrderState::BureauReturned if returned.is_empty() => true,
        _ => returned.iter().any(|r| {
            path == r
                || path.starts_with(&format!("{r}."))
                || path.starts_with(&format!("{r}["))
                || r.starts_with(&format!("{path}."))
        }),
    }
}

fn refused(ctx: &Ctx, e: &WorkflowError) -> Result<(String, BTreeMap<String, String>), PageError> {
    refusal(e, ctx.lang).ok_or(PageError::Internal)
}

/// The page of step `here` (titled by its `step-…` text): the step bar, the way back to
/// the order, then `blocks`.
fn step_page(
    ctx: &Ctx,
    view: &OrderView,
    here: &str,
    mut blocks: Vec<Block>,
    status: StatusCode,
) -> Result<Response, PageError> {
    let title_key = format!("step-{here}");
    let (bar, _) = bar(ctx, view, here);
    blocks.insert(0, bar);
    blocks.insert(
        1,
        Block::Links(vec![(
            ctx.t("back-to-order"),
            format!("/orders/{}", view.id),
            "secondary",
        )]),
    );
    ctx.page_status(status, ctx.t(&title_key), blocks)
}

/// A step's form refused by the platform: the step's page again (422) with what
/// `forms` makes of the refusal's message and its messages by field (the forms, the input
/// kept, each message beside its field). A failure that is not the applicant's to fix is
/// the error page.
fn refused_step(
    ctx: &Ctx,
    view: &OrderView,
    step: &str,
    error: &WorkflowError,
    forms: impl FnOnce(String, BTreeMap<String, String>) -> Vec<Block>,
) -> Result<Response, PageError> {
    let (message, fields) = refused(ctx, error)?;
    step_page(
        ctx,
        view,
        step,
        forms(message, fields),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// The product step's forms; `errors` go beside the service number's field.
fn product_forms(
    ctx: &Ctx,
    view: &OrderView,
    number: &str,
    storefront_first: bool,
    errors: &BTreeMap<String, String>,
) -> Vec<Block> {
    let mut blocks = Vec::new();
    if let Some(n) = &view.service_number {
        blocks.push(Block::Note(
            "ok",
            ctx.t_args("product-bound", &[("number", Arg::S(n.clone()))]),
        ));
    }
    if view.product_line == Some(beian_core::order::ProductLine::Storefront) {
        blocks.push(Block::Note("ok", ctx.t("product-storefront-ok")));
    }
    let mut server = vec![Block::H2(ctx.t("product-server"))];
    server.push(Block::Form(
        ctx.form(format!("/orders/{}/product", view.id), "product-verify")
            .field(Field::hidden("product", "server"))
            .field(
                Field::text("service_number", ctx.t("f-service-number"), number)
                    .hint(ctx.t("hint-service-number")),
            )
            .errors(errors),
    ));
    let storefront = vec![
        Block::H2(ctx.t("product-storefront")),
        Block::Form(
            ctx.form(
                format!("/orders/{}/product", view.id),
                "product-verify-storefront",
            )
            .field(Field::hidden("product", "storefront")),
        ),
    ];
    // Come from the storefront's 顶级域名 page: its product first, not below the fold.
    if storefront_first {
        blocks.extend(storefront);
        blocks.extend(server);
    } else {
        blocks.extend(server);
        blocks.extend(storefront);
    }
    blocks
}

#[derive(Debug, serde::Deserialize)]
pub struct ProductQuery {
    #[serde(default)]
    storefront: String,
}

/// `GET /orders/{id}/product`.
pub async fn product_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(q): Query<ProductQuery>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    let storefront_first = !q.storefront.is_empty()
        || view.product_line == Some(beian_core::order::ProductLine::Storefront);
    let blocks = product_forms(&ctx, &view, "", storefront_first, &BTreeMap::new());
    let (_, next) = bar(&ctx, &view, "product");
    let mut blocks = blocks;
    if view.service_number.is_some() || view.product_line.is_some() {
        blocks.push(Block::Links(vec![(ctx.t("next-step"), next, "primary")]));
    }
    step_page(&ctx, &view, "product", blocks, StatusCode::OK)
}

/// `POST /orders/{id}/product`.
pub async fn product(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let wf = state.workflow();
    let result = if form.get("product") == "storefront" {
        wf.verify_storefront(&acting, &id).await
    } else {
        wf.bind_service_number(&acting, &id, form.get("service_number"))
            .await
    };
    match result {
        Ok(()) => {
            let (_, next) = bar(&ctx, &view, "product");
            Ok(ctx.redirect_flash(&next, "flash-saved"))
        }
        Err(e) => refused_step(&ctx, &view, "product", &e, |message, _| {
            let storefront = form.get("product") == "storefront";
            // A refused service number is said beside its field; the storefront's above.
            let mut blocks = Vec::new();
            let mut beside = BTreeMap::new();
            if storefront {
                blocks.push(Block::Note("error", message));
            } else {
                beside.insert("service_number".to_owned(), message);
            }
            blocks.extend(product_forms(
                &ctx,
                &view,
                form.get("service_number"),
                storefront,
                &beside,
            ));
            blocks
        }),
    }
}

fn password_form(ctx: &Ctx, view: &OrderView) -> FormView {
    ctx.form(format!("/orders/{}/password", view.id), "password-verify")
        .field(
            Field::new("password", ctx.t("f-filing-password"), "password")
                .hint(ctx.t("hint-filing-password")),
        )
}

fn password_blocks(ctx: &Ctx, view: &OrderView, form: FormView) -> Vec<Block> {
    let mut blocks = Vec::new();
    if view.password_verified {
        blocks.push(Block::Note("ok", ctx.t("password-verified")));
    }
    blocks.push(Block::Form(form));
    blocks.push(Block::P(ctx.t("password-forgot")));
    blocks.push(Block::Links(vec![(
        ctx.t("bureau-recovery"),
        "/bureau/password-recovery".into(),
        "secondary",
    )]));
    blocks
}

/// `GET /orders/{id}/password`.
pub async fn password_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    let mut blocks = password_blocks(&ctx, &view, password_form(&ctx, &view));
    if view.password_verified {
        blocks.push(Block::Links(vec![(
            ctx.t("next-step"),
            bar(&ctx, &view, "password").1,
            "primary",
        )]));
    }
    step_page(&ctx, &view, "password", blocks, StatusCode::OK)
}

/// `POST /orders/{id}/password`.
pub async fn password(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    match state
        .workflow()
        .verify_filing_password(&acting, &id, form.get("password"))
        .await
    {
        Ok(()) => Ok(ctx.redirect_flash(&bar(&ctx, &view, "password").1, "flash-password-ok")),
        Err(e) => refused_step(&ctx, &view, "password", &e, |message, _| {
            let f = password_form(&ctx, &view)
                .errors(&BTreeMap::from([("password".to_owned(), message)]));
            password_blocks(&ctx, &view, f)
        }),
    }
}

/// The responsible person's fields an access filing may always change (as the platform
/// decides: its contact details).
const CONTACT_FIELDS: [&str; 4] = ["mobile", "email", "emergency_mobile", "office_phone"];

/// Whether field `path`, showing `value`, is locked: not editable now, or — in an access
/// filing — given by the registry ("接入备案只是增加一个服务商数据"), unless it is a contact
/// detail of a responsible person. What the registry left empty is the customer's to give.
fn locked(view: &OrderView, path: &str, value: &str) -> bool {
    let contact = path.rsplit_once('.').is_some_and(|(parent, leaf)| {
        parent.ends_with("responsible") && CONTACT_FIELDS.contains(&leaf)
    });
    !editable(view, path) || (view.kind.is_access() && !contact && !value.trim().is_empty())
}

fn person_fields(ctx: &Ctx, view: &OrderView, prefix: &str, p: &PersonForm) -> Vec<Field> {
    let f = |name: &str, label: &str, value: &str| {
        let path = format!("{prefix}.{name}");
        let value = if name == "certificate_type" && value.is_empty() {
            "resident_id"
        } else {
            value
        };
        Field::text(path.clone(), ctx.t(label), value).readonly(locked(view, &path, value))
    };
    vec![
        f("name", "f-person-name", &p.name),
        f(
            "certificate_type",
            "f-certificate-type",
            &p.certificate_type,
        )
        .options(text::certificate_types(ctx.lang)),
        f(
            "certificate_number",
            "f-certificate-number",
            &p.certificate_number,
        ),
        f("mobile", "f-mobile", &p.mobile).kind("tel"),
        f(
            "emergency_mobile",
            "f-emergency-mobile",
            &p.emergency_mobile,
        )
        .kind("tel"),
        f("email", "f-email", &p.email).kind("email"),
        f("office_phone", "f-office-phone", &p.office_phone).optional(),
    ]
}

fn person_of(form: &Posted, prefix: &str, fallback: &PersonForm) -> PersonForm {
    let g = |n: &str, old: &str| {
        let key = format!("{prefix}.{n}");
        if form.all(&key).is_empty() && form.get(&key).is_empty() {
            old.to_owned()
        } else {
            form.owned(&key)
        }
    };
    PersonForm {
        name: g("name", &fallback.name),
        certificate_type: g("certificate_type", &fallback.certificate_type),
        certificate_number: g("certificate_number", &fallback.certificate_number),
        mobile: g("mobile", &fallback.mobile),
        email: g("email", &fallback.email),
        emergency_mobile: g("emergency_mobile", &fallback.emergency_mobile),
        office_phone: g("office_phone", &fallback.office_phone),
    }
}

fn sponsor_form_view(ctx: &Ctx, view: &OrderView, s: &SponsorForm) -> FormView {
    let mut form = ctx.form(format!("/orders/{}/sponsor", view.id), "save-continue");
    form = form
        .field(
            Field::text("sponsor.name", ctx.t("f-sponsor-name"), &s.identity.name)
                // The identity was decided by the filing check.
                .readonly(true),
        )
        .field(
            Field::text(
                "sponsor.certificate_number",
                ctx.t("f-certificate-number"),
                text::mask(&s.identity.certificate_number),
            )
            .readonly(true),
        )
        .field(
            Field::text("sponsor.address", ctx.t("f-address"), &s.address).readonly(locked(
                view,
                "sponsor.address",
                &s.address,
            )),
        );
    for f in person_fields(ctx, view, "sponsor.responsible", &s.responsible) {
        form = form.field(f);
    }
    // An organisation says whether its responsible person is its legal representative: some
    // bureaus require it, and Jiangsu asks for an authorisation letter when not.
    if SponsorNature::parse(&s.identity.nature).is_some_and(|n| n != SponsorNature::Individual) {
        let value = match s.responsible_is_legal_representative {
            Some(true) => "yes",
            Some(false) => "no",
            None => "",
        };
        form = form.field(
            Field::new(
                "sponsor.responsible_is_legal_representative",
                ctx.t("f-responsible-is-legal-rep"),
                "select",
            )
            .options(vec![
                (String::new(), ctx.t("legal-rep-unsaid")),
                ("yes".into(), ctx.t("legal-rep-yes")),
                ("no".into(), ctx.t("legal-rep-no")),
            ])
            .value(value)
            .optional(),
        );
    }
    form
}

fn with_prefix(prefix: &str, fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .into_iter()
        .map(|(k, v)| {
            if k.starts_with(prefix) {
                (k, v)
            } else {
                (format!("{prefix}.{k}"), v)
            }
        })
        .collect()
}

/// `GET /orders/{id}/sponsor`.
pub async fn sponsor_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    let mut blocks = Vec::new();
    if view.kind.is_access() {
        blocks.push(Block::Note("info", ctx.t("access-only")));
    }
    blocks.push(Block::Note("info", ctx.t("hint-true-info")));
    let form = sponsor_form_view(&ctx, &view, &view.forms.sponsor)
        .errors(&return_messages(&ctx, &view, "sponsor"));
    blocks.push(Block::Form(form));
    step_page(&ctx, &view, "sponsor", blocks, StatusCode::OK)
}

/// `POST /orders/{id}/sponsor`.
pub async fn sponsor(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let old = &view.forms.sponsor;
    let new = SponsorForm {
        identity: old.identity.clone(),
        address: if form.get("sponsor.address").is_empty() {
            old.address.clone()
        } else {
            form.owned("sponsor.address")
        },
        responsible: person_of(&form, "sponsor.responsible", &old.responsible),
        responsible_is_legal_representative: match form
            .get("sponsor.responsible_is_legal_representative")
            .trim()
        {
            "yes" => Some(true),
            "no" => Some(false),
            _ => old.responsible_is_legal_representative,
        },
    };
    match state.workflow().update_sponsor(&acting, &id, &new).await {
        Ok(()) => Ok(ctx.redirect_flash(&bar(&ctx, &view, "sponsor").1, "flash-saved")),
        Err(e) => refused_step(&ctx, &view, "sponsor", &e, |message, fields| {
            vec![Block::Form(
                sponsor_form_view(&ctx, &view, &new)
                    .errors(&with_prefix("sponsor", fields))
                    .with_error(message),
            )]
        }),
    }
}

fn website_form_view(ctx: &Ctx, view: &OrderView, w: &WebsiteForm, new_person: bool) -> FormView {
    let ed = |p: &str, v: &str| locked(view, p, v);
    let languages = w.languages.join(",");
    let mut form = ctx
        .form(format!("/orders/{}/website", view.id), "save-continue")
        .field(
            Field::text("website.name", ctx.t("f-website-name"), &w.name)
                .readonly(ed("website.name", &w.name)),
        )
        .field(Field::text("website.domain", ctx.t("f-domain"), &w.domain).readonly(true))
        .field(
            Field::text("website.home_url", ctx.t("f-home-url"), &w.home_url)
                .readonly(ed("website.home_url", &w.home_url)),
        )
        .field(
            Field::text(
                "website.service_content",
                ctx.t("f-service-content"),
                &w.service_content,
            )
            .readonly(ed("website.service_content", &w.service_content)),
        )
        .field(
            Field::text("website.languages", ctx.t("f-languages"), &languages)
                .readonly(ed("website.languages", &languages))
                .hint(ctx.t("hint-languages")),
        )
        .field(
            Field::new("new_person", ctx.t("website-new-person"), "checkbox")
                .value(if new_person { "on" } else { "" })
                .optional()
                .hint(ctx.t("hint-new-person")),
        );
    for f in person_fields(ctx, view, "website.responsible", &w.responsible) {
        form = form.field(f.hint(String::new()).optional().class("person"));
    }
    form
}

/// `GET /orders/{id}/website`.
pub async fn website_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    // An APP's order has the APP form instead.
    if view.forms.is_app() {
        return Err(PageError::NotFound);
    }
    let w = &view.forms.website;
    let new_person =
        !w.responsible.name.is_empty() && w.responsible != view.forms.sponsor.responsible;
    let form = website_form_view(&ctx, &view, w, new_person)
        .errors(&return_messages(&ctx, &view, "website"));
    step_page(
        &ctx,
        &view,
        "website",
        vec![Block::P(ctx.t("website-intro")), Block::Form(form)],
        StatusCode::OK,
    )
}

/// `POST /orders/{id}/website`: without "填写新负责人信息" the sponsor's responsible person
/// is the website's too.
pub async fn website(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let old = &view.forms.website;
    let keep = |k: &str, o: &str| {
        if form.get(k).is_empty() {
            o.to_owned()
        } else {
            form.owned(k)
        }
    };
    let new_person = form.checked("new_person");
    let responsible = if new_person {
        person_of(&form, "website.responsible", &old.responsible)
    } else {
        view.forms.sponsor.responsible.clone()
    };
    let languages: Vec<String> = keep("website.languages", &old.languages.join(","))
        .split([',', ' ', '，'])
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    let new = WebsiteForm {
        name: keep("website.name", &old.name),
        domain: old.domain.clone(),
        home_url: keep("website.home_url", &old.home_url),
        service_content: keep("website.service_content", &old.service_content),
        languages,
        responsible,
        pre_approvals: old.pre_approvals.clone(),
    };
    match state.workflow().update_website(&acting, &id, &new).await {
        Ok(()) => Ok(ctx.redirect_flash(&bar(&ctx, &view, "website").1, "flash-saved")),
        Err(e) => refused_step(&ctx, &view, "website", &e, |message, fields| {
            vec![Block::Form(
                website_form_view(&ctx, &view, &new, new_person)
                    .errors(&with_prefix("website", fields))
                    .with_error(message),
            )]
        }),
    }
}

/// How many platforms an APP's form offers (the filing takes 1 to 3).
const APP_PLATFORMS: usize = 3;

/// "Android 包名" / "iOS Bundle ID": the package field's label for `platform`.
fn platform_label(ctx: &Ctx, platform: &str) -> String {
    let key = format!("f-package-{platform}");
    if ctx.lang.has(&key) {
        ctx.t(&key)
    } else {
        ctx.t("f-app-package")
    }
}

fn app_form_view(ctx: &Ctx, view: &OrderView, a: &AppForm, new_person: bool) -> FormView {
    let ed = |p: &str, v: &str| locked(view, p, v);
    let mut form = ctx
        .form(format!("/orders/{}/app", view.id), "save-continue")
        .field(
            Field::text("app.name", ctx.t("f-app-name"), &a.name)
                .readonly(ed("app.name", &a.name))
                .hint(ctx.t("hint-app-name")),
        )
        .field(
            Field::text(
                "app.service_content",
                ctx.t("f-service-content"),
                &a.service_content,
            )
            .readonly(ed("app.service_content", &a.service_content)),
        );
    let empty = PlatformInput::default();
    for i in 0..APP_PLATFORMS {
        let p = a.platforms.get(i).unwrap_or(&empty);
        let path = |leaf: &str| format!("app.platforms[{i}].{leaf}");
        let n = i64::try_from(i + 1).unwrap_or(1);
        let numbered = ctx.t_args("app-platform-n", &[("n", Arg::N(n))]);
        let label = |key: &str| {
            if key.is_empty() {
                numbered.clone()
            } else {
                format!("{numbered} · {}", ctx.t(key))
            }
        };
        // The first platform is required; the others are left empty when the APP has none.
        let mut options = text::app_platforms(ctx.lang);
        if i > 0 {
            options.insert(0, (String::new(), ctx.t("app-platform-none")));
        }
        // The 特征信息 are the customer's to give in every kind (an access filing's registry
        // answer names the APP, not its packages' keys): locked only when not editable now.
        let field = |leaf: &str, key: &str, value: &str| {
            let f =
                Field::text(path(leaf), label(key), value).readonly(!editable(view, &path(leaf)));
            if i > 0 { f.optional() } else { f }
        };
        let platform = if i == 0 && p.platform.is_empty() {
            "android"
        } else {
            p.platform.as_str()
        };
        form = form
            .field(field("platform", "", platform).options(options))
            .field(field("package", "f-app-package", &p.package).hint(ctx.t("hint-app-package")))
            .field(
                field("public_key", "f-public-key", &p.public_key)
                    .kind("textarea")
                    .hint(ctx.t("hint-public-key")),
            )
            .field(
                field(
                    "signature_digest",
                    "f-signature-digest",
                    &p.signature_digest,
                )
                .hint(ctx.t("hint-signature-digest")),
            );
    }
    form = form.field(
        Field::new("new_person", ctx.t("app-new-person"), "checkbox")
            .value(if new_person { "on" } else { "" })
            .optional()
            .hint(ctx.t("hint-app-new-person")),
    );
    for f in person_fields(ctx, view, "app.responsible", &a.responsible) {
        form = form.field(f.hint(String::new()).optional().class("person"));
    }
    form
}

/// The APP form of an order (none on a website's order: not found).
fn app_of(view: &OrderView) -> Result<&AppForm, PageError> {
    view.forms.app.as_ref().ok_or(PageError::NotFound)
}

/// `GET /orders/{id}/app`: the APP form (APP备案), as the website form is a website's.
pub async fn app_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    let a = app_of(&view)?;
    let new_person =
        !a.responsible.name.is_empty() && a.responsible != view.forms.sponsor.responsible;
    let form =
        app_form_view(&ctx, &view, a, new_person).errors(&return_messages(&ctx, &view, "app"));
    step_page(
        &ctx,
        &view,
        "app",
        vec![Block::P(ctx.t("app-intro")), Block::Form(form)],
        StatusCode::OK,
    )
}

/// `POST /orders/{id}/app`: the platforms chosen (无此平台 is none), each under the APP's
/// name; without "填写新负责人信息" the sponsor's responsible person is the APP's too.
pub async fn app(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    form: Posted,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let old = app_of(&view)?;
    let name = if form.get("app.name").is_empty() {
        old.name.clone()
    } else {
        form.owned("app.name")
    };
    let platforms = (0..APP_PLATFORMS)
        .map(|i| {
            let g = |leaf: &str| form.owned(&format!("app.platforms[{i}].{leaf}"));
            PlatformInput {
                platform: g("platform"),
                name: name.clone(),
                package: g("package"),
                public_key: g("public_key"),
                signature_digest: g("signature_digest"),
            }
        })
        .enumerate()
        // "无此平台" leaves a platform out; one chosen is kept even with nothing typed, so
        // that what it lacks is said beside its fields rather than the platform dropped.
        .filter(|(i, p)| *i == 0 || !p.platform.is_empty())
        .map(|(_, p)| p)
        .collect();
    let new_person = form.checked("new_person");
    let responsible = if new_person {
        person_of(&form, "app.responsible", &old.responsible)
    } else {
        view.forms.sponsor.responsible.clone()
    };
    let new = AppForm {
        name,
        platforms,
        service_content: form.owned("app.service_content"),
        responsible,
    };
    match state.workflow().update_app(&acting, &id, &new).await {
        Ok(()) => Ok(ctx.redirect_flash(&bar(&ctx, &view, "app").1, "flash-saved")),
        Err(e) => refused_step(&ctx, &view, "app", &e, |message, fields| {
            vec![Block::Form(
                app_form_view(&ctx, &view, &new, new_person)
                    .errors(&with_prefix("app", fields))
                    .with_error(message),
            )]
        }),
    }
}

/// The materials the order needs, as the platform's submission checks them (a website's
/// documents or an APP's icon).
async fn required(
    state: &AppState,
    acting: &Acting,
    id: &str,
) -> Result<Vec<MaterialKind>, PageError> {
    state
        .workflow()
        .required_materials(acting, id)
        .await
        .map_err(|e| page_error(&e))
}

fn materials_blocks(
    ctx: &Ctx,
    view: &OrderView,
    needed: &[MaterialKind],
    errors: &BTreeMap<String, String>,
) -> Vec<Block> {
    let mut blocks = vec![Block::P(ctx.t("materials-intro"))];
    // A refusal for no kind on the page (an upload too large to read its kind): on top.
    for (kind, message) in errors {
        if !needed.iter().any(|k| k.as_str() == kind) {
            blocks.push(Block::Note("error", message.clone()));
        }
    }
    if needed.contains(&MaterialKind::VerificationForm) {
        blocks.push(Block::Note("info", ctx.t("verification-form-how")));
        blocks.push(Block::Links(vec![
            (
                ctx.t("vf-show"),
                format!("/orders/{}/verification-form", view.id),
                "secondary",
            ),
            (
                ctx.t("verification-form-download"),
                format!("/api/v1/orders/{}/verification-form", view.id),
                "secondary",
            ),
        ]));
    }
    for kind in needed {
        let have: Vec<_> = view
            .materials
            .iter()
            .filter(|m| m.kind == kind.as_str())
            .collect();
        blocks.push(Block::H2(text::material(ctx.lang, kind.as_str())));
        if let Some(m) = have.last() {
            blocks.push(Block::Note(
                "ok",
                ctx.t_args(
                    "material-uploaded",
                    &[("at", Arg::S(text::time(m.uploaded_at)))],
                ),
            ));
            if m.content_type.starts_with("image/") {
                blocks.push(Block::Img(
                    text::material(ctx.lang, kind.as_str()),
                    format!("/orders/{}/materials/{}", view.id, m.id),
                ));
            } else {
                blocks.push(Block::Links(vec![(
                    ctx.t("material-open"),
                    format!("/orders/{}/materials/{}", view.id, m.id),
                    "secondary",
                )]));
            }
        }
        if view.state.is_editable() {
            // The kind is in the action too: an upload refused before its body is read
            // (too large) still knows which field to answer beside.
            let hint = if *kind == MaterialKind::AppIcon {
                "hint-app-icon"
            } else {
                "hint-file"
            };
            let mut file = Field::new(FILE_FIELD, ctx.t("f-file"), "file").hint(ctx.t(hint));
            if let Some(e) = errors.get(kind.as_str()) {
                file.error = e.clone();
            }
            let f = ctx
                .form(
                    format!("/orders/{}/materials?kind={}", view.id, kind.as_str()),
                    "material-upload",
                )
                .multipart()
                .field(Field::hidden("kind", kind.as_str()))
                .field(file);
            blocks.push(Block::Form(f));
        }
    }
    blocks
}

/// `GET /orders/{id}/materials`.
pub async fn materials_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let needed = required(&state, &acting, &id).await?;
    let mut blocks = materials_blocks(&ctx, &view, &needed, &BTreeMap::new());
    blocks.push(Block::Links(vec![(
        ctx.t("next-step"),
        format!("/orders/{id}/submit"),
        "primary",
    )]));
    step_page(&ctx, &view, "materials", blocks, StatusCode::OK)
}

/// Reads a portal upload: the `_csrf` part first (checked before the file is read), then
/// the named text parts and the file, capped like the API's.
pub async fn read_upload(
    state: &AppState,
    ctx: &Ctx,
    req: Request,
) -> Result<(BTreeMap<String, String>, Option<bytes::Bytes>), PageError> {
    let mut multipart = crate::api::materials::capped_multipart(state, req).await?;
    let mut texts = BTreeMap::new();
    let mut file = None;
    let mut checked = false;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| PageError::from(crate::api::materials::multipart_error(&e)))?
    {
        let name = field.name().unwrap_or("").to_owned();
        if name == FILE_FIELD {
            if !checked {
                return Err(PageError::Csrf);
            }
            file = Some(crate::api::materials::read_field(field, state.uploads.max_bytes).await?);
        } else {
            let raw = crate::api::materials::read_field(field, 1024).await?;
            let value = String::from_utf8_lossy(&raw).trim().to_owned();
            if name == CSRF_FIELD {
                ctx.check_csrf(&value)?;
                checked = true;
            }
            texts.insert(name, value);
        }
    }
    if !checked {
        return Err(PageError::Csrf);
    }
    Ok((texts, file.filter(|f| !f.is_empty())))
}

/// Cleans an uploaded file off the async threads; the refusal's message, or the file.
pub async fn clean(
    state: &AppState,
    ctx: &Ctx,
    file: Option<bytes::Bytes>,
) -> Result<Result<beian_platform::materials::Sanitized, String>, PageError> {
    let Some(file) = file else {
        return Ok(Err(ctx.t("error-no-file")));
    };
    let limits = state.uploads;
    let cleaned = tokio::task::spawn_blocking(move || sanitize(&file, &limits))
        .await
        .map_err(|_| PageError::Internal)?;
    Ok(cleaned.map_err(|e| {
        use beian_core::i18n::Localized;
        beian_platform::message::Message::from_localized(&e as &dyn Localized)
            .render(ctx.lang.locale())
    }))
}

/// The query of the materials form's action: the kind it uploads.
#[derive(Debug, Default, Deserialize)]
pub struct UploadQuery {
    #[serde(default)]
    kind: String,
}

/// "文件太大，不能超过 10 MB。"
pub fn too_large(state: &AppState, ctx: &Ctx) -> String {
    let mb = state.uploads.max_bytes.div_ceil(1024 * 1024);
    ctx.t_args(
        "error-file-too-large",
        &[("mb", Arg::N(i64::try_from(mb).unwrap_or(i64::MAX)))],
    )
}

/// `POST /orders/{id}/materials?kind=…` (multipart: `_csrf`, `kind`, `file`). A file over
/// the upload limit gets the materials page again (413) with the message beside its field.
pub async fn upload(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<UploadQuery>,
    ctx: Ctx,
    req: Request,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let (texts, file) = match read_upload(&state, &ctx, req).await {
        Ok(read) => read,
        Err(PageError::TooLarge) => {
            let needed = required(&state, &acting, &id).await?;
            let errors = BTreeMap::from([(query.kind, too_large(&state, &ctx))]);
            return step_page(
                &ctx,
                &view,
                "materials",
                materials_blocks(&ctx, &view, &needed, &errors),
                StatusCode::PAYLOAD_TOO_LARGE,
            );
        }
        Err(e) => return Err(e),
    };
    let kind_name = texts
        .get("kind")
        .cloned()
        .filter(|k| !k.is_empty())
        .unwrap_or(query.kind);
    let kind = MaterialKind::parse(&kind_name).ok_or(PageError::BadRequest)?;
    let outcome = match clean(&state, &ctx, file).await? {
        Ok(cleaned) => match state
            .workflow()
            .add_material(&acting, &id, kind, cleaned, &state.objects)
            .await
        {
            Ok(_) => {
                return Ok(ctx.redirect_flash(&format!("/orders/{id}/materials"), "flash-uploaded"));
            }
            Err(e) => refused(&ctx, &e)?.0,
        },
        Err(message) => message,
    };
    let needed = required(&state, &acting, &id).await?;
    let errors = BTreeMap::from([(kind_name, outcome)]);
    step_page(
        &ctx,
        &view,
        "materials",
        materials_blocks(&ctx, &view, &needed, &errors),
        StatusCode::UNPROCESSABLE_ENTITY,
    )
}

/// `GET /orders/{id}/materials/{material}`: the file, to its owner only, as an attachment
/// (an `<img>` still shows it as the preview) with `nosniff`.
pub async fn material_file(
    State(state): State<AppState>,
    Path((id, material)): Path<(String, String)>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    let m = view
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
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&m.content_type).map_err(|_| PageError::Internal)?,
    );
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&format!("attachment; filename=\"{}.{ext}\"", m.kind))
            .map_err(|_| PageError::Internal)?,
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(res)
}

fn review_blocks(ctx: &Ctx, view: &OrderView) -> Vec<Block> {
    let s = &view.forms.sponsor;
    let w = &view.forms.website;
    let service = match &view.forms.app {
        Some(a) => {
            let mut facts = vec![(ctx.t("f-app-name"), a.name.clone())];
            for p in &a.platforms {
                facts.push((platform_label(ctx, &p.platform), p.package.clone()));
            }
            facts.push((ctx.t("f-service-content"), a.service_content.clone()));
            facts.push((
                ctx.t("f-responsible"),
                format!(
                    "{} {}",
                    a.responsible.name,
                    text::mask(&a.responsible.mobile)
                ),
            ));
            vec![Block::H2(ctx.t("step-app")), Block::Dl(facts)]
        }
        None => vec![
            Block::H2(ctx.t("step-website")),
            Block::Dl(vec![
                (ctx.t("f-website-name"), w.name.clone()),
                (ctx.t("f-domain"), w.domain.clone()),
                (ctx.t("f-home-url"), w.home_url.clone()),
                (
                    ctx.t("f-responsible"),
                    format!(
                        "{} {}",
                        w.responsible.name,
                        text::mask(&w.responsible.mobile)
                    ),
                ),
            ]),
        ],
    };
    let mut blocks = vec![
        Block::H2(ctx.t("step-sponsor")),
        Block::Dl(vec![
            (ctx.t("f-sponsor-name"), s.identity.name.clone()),
            (
                ctx.t("f-certificate-number"),
                text::mask(&s.identity.certificate_number),
            ),
            (ctx.t("f-address"), s.address.clone()),
            (
                ctx.t("f-responsible"),
                format!(
                    "{} {}",
                    s.responsible.name,
                    text::mask(&s.responsible.mobile)
                ),
            ),
        ]),
    ];
    blocks.extend(service);
    blocks.push(Block::Note("info", ctx.t("hint-confirm-true")));
    blocks
}

/// `GET /orders/{id}/submit`: review and submit.
pub async fn review_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    let mut blocks = review_blocks(&ctx, &view);
    if view.state.is_editable() {
        blocks.push(Block::Form(
            ctx.form(format!("/orders/{id}/submit"), "submit-order"),
        ));
    }
    step_page(&ctx, &view, "submit", blocks, StatusCode::OK)
}

/// `POST /orders/{id}/submit` (a resubmission after a return).
pub async fn submit(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    let (acting, view) = load(&state, &ctx, &id).await?;
    let wf = state.workflow();
    let result = if view.state == OrderState::Draft {
        wf.submit(&acting, &id).await
    } else {
        wf.resubmit(&acting, &id).await
    };
    match result {
        Ok(_) => Ok(ctx.redirect_flash(&format!("/orders/{id}"), "flash-submitted")),
        Err(e) => {
            let mut res = refused_step(&ctx, &view, "submit", &e, |message, fields| {
                let mut blocks = vec![Block::Note("error", message)];
                for (path, m) in fields {
                    blocks.push(Block::Note(
                        "warn",
                        format!(
                            "{}：{m}",
                            path.strip_prefix("materials.")
                                .map_or(path.clone(), |k| text::material(ctx.lang, k))
                        ),
                    ));
                }
                blocks.extend(review_blocks(&ctx, &view));
                blocks.push(Block::Form(
                    ctx.form(format!("/orders/{id}/submit"), "submit-order"),
                ));
                blocks
            })?;
            // Not ready (what is missing is listed): a conflict with the order's state.
            *res.status_mut() = StatusCode::CONFLICT;
            Ok(res)
        }
    }
}

/// `GET /orders/{id}/abandon`: the seed's warning, then the confirmation.
pub async fn abandon_page(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let (_, view) = load(&state, &ctx, &id).await?;
    // The seed's warning is about an access filing (the website is already online); other
    // kinds lose only the order.
    let mut blocks = vec![if view.kind.is_access() {
        Block::Note("warn", ctx.t("abandon-warning"))
    } else {
        Block::Note("info", ctx.t("abandon-plain"))
    }];
    blocks.push(Block::Form(
        ctx.form(format!("/orders/{id}/abandon"), "abandon-confirm")
            .danger(),
    ));
    ctx.page(ctx.t("abandon"), blocks)
}

/// `POST /orders/{id}/abandon`.
pub async fn abandon(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
    _form: Posted,
) -> Result<Response, PageError> {
    let (acting, _) = load(&state, &ctx, &id).await?;
    match state.workflow().abandon(&acting, &id).await {
        Ok(outcome) => Ok(ctx.redirect_flash(
            "/filings",
            // Past the provider's approval the flash also says what became of the upload.
            match outcome.bureau_upload {
                None => "flash-abandoned",
                Some(UploadWithdrawal::NotSent) => "flash-abandoned-not-sent",
                Some(UploadWithdrawal::Withdrawn) => "flash-abandoned-withdrawn",
                Some(UploadWithdrawal::SentAnyway) => "flash-abandoned-sent-anyway",
                Some(UploadWithdrawal::AtBureau) => "flash-abandoned-at-bureau",
            },
        )),
        Err(e) => {
            let (message, _) = refused(&ctx, &e)?;
            ctx.page_status(
                StatusCode::CONFLICT,
                ctx.t("abandon"),
                vec![Block::Note("error", message)],
            )
        }
    }
}

/// `GET /orders/{id}/verification-form`: the prefilled verification form as a page to read
/// and print (the layout prints only the form), beside the PDF to download. The person signs
/// it, so it shows the numbers whole.
pub async fn verification_form(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ctx: Ctx,
) -> Result<Response, PageError> {
    let acting = acting(&ctx)?;
    let d = match state
        .workflow()
        .verification_form_data(&acting, &id, &state.provider_name, Vec::new())
        .await
    {
        Ok(d) => d,
        Err(e) if e.status() < 500 && e.status() != 404 => {
            let (message, _) = refused(&ctx, &e)?;
            return ctx.page_status(
                StatusCode::UNPROCESSABLE_ENTITY,
                ctx.t("vf-title"),
                vec![Block::Note("error", message)],
            );
        }
        Err(e) => return Err(page_error(&e)),
    };
    let cert = |c: &beian_core::sponsor::Certificate| {
        format!("{} {}", c.certificate_type.name_zh(), c.number)
    };
    let blocks = vec![
        Block::Note("info", ctx.t("verification-form-how")),
        Block::Links(vec![
            (
                ctx.t("verification-form-download"),
                format!("/api/v1/orders/{id}/verification-form"),
                "primary",
            ),
            (
                ctx.t("back-to-order"),
                format!("/orders/{id}/materials"),
                "secondary",
            ),
        ]),
        Block::Dl(vec![
            (ctx.t("f-kind"), text::kind(ctx.lang, d.kind)),
            (ctx.t("f-sponsor-name"), d.sponsor_name.clone()),
            (ctx.t("f-certificate-number"), cert(&d.sponsor_certificate)),
            (ctx.t("f-address"), d.sponsor_address.clone()),
            (ctx.t("f-responsible"), d.sponsor_responsible.clone()),
            (ctx.t("f-website-name"), d.website_name.clone()),
            (ctx.t("f-domain"), d.domain.clone()),
            (ctx.t("f-home-url"), d.home_url.clone()),
            (ctx.t("f-service-content"), d.service_content.clone()),
            (
                ctx.t("f-responsible"),
                format!(
                    "{} {}",
                    d.website_responsible,
                    cert(&d.website_responsible_certificate)
                ),
            ),
            (ctx.t("vf-provider"), d.access_provider.clone()),
            (ctx.t("vf-date"), d.date.to_string()),
            (ctx.t("vf-signature"), "＿＿＿＿＿＿＿＿＿＿".to_owned()),
        ]),
    ];
    ctx.page(ctx.t("vf-title"), blocks)
}
