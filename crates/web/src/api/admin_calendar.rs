//! Admin routes of the rules and the calendar: `GET /admin/rules?province=&at=` (the province
//! rules in force, from [`beian_core::rules`]), and the holiday editor `GET/PUT
//! /admin/holidays/{year}` (and `DELETE` to return to the builtin data): a year stored here
//! replaces that year of the builtin calendar in every deadline the server computes
//! ([`beian_store::Store::calendar`]).

use super::{ApiPath as Path, ApiQuery as Query};
use axum::Json;
use axum::extract::State;
use beian_core::calendar::{Calendar, YEARS};
use beian_core::kind::FilingKind;
use beian_core::province::Province;
use beian_core::rules::{RuleBook, RuleValue, RuleVersion, VersionStatus};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::admin::admin;
use super::auth::CurrentAccount;
use super::openapi::ErrorBody;
use super::{ApiJson, RequestLocale};
use crate::error::ApiError;
use crate::startup::AppState;
use beian_platform::admin::{self as svc, YearBody};

/// `?province=33&at=2026-11-23T00:00:00Z`: the province (GB/T 2260 two-digit code; all
/// provinces when absent) and the instant (RFC 3339; now when absent).
#[derive(Debug, Deserialize, IntoParams)]
pub struct RulesQuery {
    pub province: Option<String>,
    pub at: Option<String>,
}

/// One version of one topic's rule, with where it stands at the instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct RuleVersionView {
    pub id: String,
    /// `sms`, `photo`, `app_upload`, `domain_certificate`.
    pub topic: String,
    /// The topic's name in the request's language.
    pub topic_name: String,
    /// The day it takes effect (00:00 Asia/Shanghai).
    pub effective: String,
    /// `future`, `in_force` or `superseded`.
    pub status: String,
    pub superseded_by: Option<String>,
    /// Whether it lists the province asked for (always true without a province).
    pub applies_to_province: bool,
    pub kinds: Vec<String>,
    /// e.g. `{"window_hours": 24}` for SMS, `{"method": "backdrop"}` for the photo.
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
    pub source: String,
}

/// What an order of one kind in the province must do at the instant.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindRules {
    pub kind: String,
    /// The SMS window in hours, when an SMS check is required.
    pub sms_window_hours: Option<u32>,
    /// `backdrop` or `bureau_app_face_check`.
    pub photo: String,
    pub app_upload: bool,
    pub domain_certificate: bool,
    /// An organisation's responsible person must be its legal representative.
    pub legal_representative_responsible: bool,
    /// The minimum age of an individual sponsor, where a rule sets one.
    pub min_age: Option<u32>,
    /// A personal filing outside the province of one's ID needs a residence permit.
    pub residence_permit: bool,
    /// The most websites a sponsor may hold, where a rule caps them.
    pub site_cap: Option<u32>,
    /// Jiangsu's 责任告知书, 承诺书 (and 法人授权书).
    pub truthfulness_documents: bool,
    /// The bureau's expected review time in working days.
    pub review_days: Option<u32>,
}

/// The rules in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesView {
    #[schema(value_type = String, format = DateTime)]
    pub at: DateTime<Utc>,
    pub province: Option<String>,
    pub province_name: Option<String>,
    pub versions: Vec<RuleVersionView>,
    /// Per kind, for the province (empty without a province).
    pub by_kind: Vec<KindRules>,
}

/// A year of the calendar in force.
#[derive(Debug, Serialize, ToSchema)]
pub struct HolidayYearView {
    pub year: i32,
    /// `database` (an admin's), `builtin`, or `none` (no data: weekends only).
    pub source: String,
    pub updated_by: Option<String>,
    /// Unix milliseconds, for `database`.
    pub updated_at: Option<i64>,
    pub schedule: Option<YearBody>,
}

/// A version's value as JSON (the rules page shows it as text).
pub fn value_json(v: &RuleVersion) -> serde_json::Value {
    let by_province = || {
        v.by_province
            .iter()
            .map(|(p, n)| (p.code().to_owned(), serde_json::json!(n)))
            .collect::<serde_json::Map<_, _>>()
    };
    match v.value {
        RuleValue::Sms { window_hours } => serde_json::json!({"window_hours": window_hours}),
        RuleValue::Photo(method) => serde_json::json!({ "method": method }),
        RuleValue::MinAge { years } => {
            serde_json::json!({"years": years, "by_province": by_province()})
        }
        RuleValue::SiteCap { websites } => {
            serde_json::json!({"websites": websites, "by_province": by_province()})
        }
        RuleValue::ReviewDays { days } => {
            serde_json::json!({"days": days, "by_province": by_province()})
        }
        RuleValue::AppUpload
        | RuleValue::DomainCertificate
        | RuleValue::LegalRepresentative
        | RuleValue::ResidencePermit
        | RuleValue::TruthfulnessDocuments => serde_json::json!({}),
    }
}

#[utoipa::path(get, path = "/admin/rules", tag = "admin", params(RulesQuery),
    responses(
        (status = 200, body = RulesView),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "`province` or `at` is not valid", body = ErrorBody),
    ))]
pub async fn rules(
    State(state): State<AppState>,
    account: CurrentAccount,
    RequestLocale(locale): RequestLocale,
    Query(query): Query<RulesQuery>,
) -> Result<Json<RulesView>, ApiError> {
    admin(&account)?;
    let province = match query
        .province
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(code) => Some(
            Province::parse(code).map_err(|_| ApiError::field("province", "api.field.province"))?,
        ),
        None => None,
    };
    let at = match query.at.as_deref() {
        Some(text) => DateTime::parse_from_rfc3339(text.trim())
            .map_err(|_| ApiError::field("at", "api.field.instant"))?
            .with_timezone(&Utc),
        None => state.store.now(),
    };
    let book = RuleBook::builtin();
    let versions = book
        .overview(at)
        .into_iter()
        .map(|(v, status)| {
            let (status, by) = match status {
                VersionStatus::Future => ("future", None),
                VersionStatus::InForce => ("in_force", None),
                VersionStatus::Superseded { by } => ("superseded", Some(by)),
            };
            RuleVersionView {
                id: v.id.clone(),
                topic: v.topic().as_str().to_owned(),
                topic_name: beian_core::i18n::render(locale, v.topic().message_key(), &[]),
                effective: v.effective.to_string(),
                status: status.to_owned(),
                superseded_by: by,
                applies_to_province: province.is_none_or(|p| v.provinces.contains(p)),
                kinds: v.kinds.iter().map(|k| k.as_str().to_owned()).collect(),
                value: value_json(v),
                source: v.source.clone(),
            }
        })
        .collect();
    let by_kind = province
        .map(|p| {
            FilingKind::ALL
                .into_iter()
                .map(|kind| {
                    let r = book.rules_for(p, kind, at);
                    KindRules {
                        kind: kind.as_str().to_owned(),
                        sms_window_hours: r.sms.map(|s| s.window_hours),
                        photo: serde_json::to_value(r.photo)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_owned))
                            .unwrap_or_default(),
                        app_upload: r.app_upload,
                        domain_certificate: r.domain_certificate,
                        legal_representative_responsible: r.legal_representative_responsible,
                        min_age: r.min_age,
                        residence_permit: r.residence_permit,
                        site_cap: r.site_cap,
                        truthfulness_documents: r.truthfulness_documents,
                        review_days: r.review_days,
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Json(RulesView {
        at,
        province: province.map(|p| p.code().to_owned()),
        province_name: province.map(|p| p.name().to_owned()),
        versions,
        by_kind,
    }))
}

fn year_param(year: i32) -> Result<i32, ApiError> {
    if YEARS.contains(&year) {
        Ok(year)
    } else {
        Err(ApiError::field("year", "api.field.year"))
    }
}

/// The year in force and where it comes from (the holiday page lists the same).
pub async fn year_view(state: &AppState, year: i32) -> Result<HolidayYearView, ApiError> {
    let stored = state
        .store
        .calendar_years()
        .await?
        .into_iter()
        .find(|y| y.year == year);
    if let Some(s) = stored {
        return Ok(HolidayYearView {
            year,
            source: "database".into(),
            updated_by: Some(s.updated_by),
            updated_at: Some(s.updated_at),
            schedule: Some(YearBody::from(&s.schedule)),
        });
    }
    let builtin = Calendar::builtin().year(year);
    Ok(HolidayYearView {
        year,
        source: if builtin.is_some() { "builtin" } else { "none" }.into(),
        updated_by: None,
        updated_at: None,
        schedule: builtin.map(YearBody::from),
    })
}

#[utoipa::path(get, path = "/admin/holidays/{year}", tag = "admin",
    params(("year" = i32, Path, description = "the year")),
    responses(
        (status = 200, body = HolidayYearView, description = "the schedule in force for the year and where it comes from"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "a year outside 2000–2199", body = ErrorBody),
    ))]
pub async fn get_holidays(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(year): Path<i32>,
) -> Result<Json<HolidayYearView>, ApiError> {
    admin(&account)?;
    Ok(Json(year_view(&state, year_param(year)?).await?))
}

#[utoipa::path(put, path = "/admin/holidays/{year}", tag = "admin", request_body = YearBody,
    params(("year" = i32, Path, description = "the year")),
    responses(
        (status = 200, body = HolidayYearView, description = "stored; replaces the builtin year in every deadline computed from now on"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 422, description = "a date that is not a date, outside the year's notice, a make-up day not on a weekend, a day listed twice (also across years), a period reversed or too long", body = ErrorBody),
    ))]
pub async fn put_holidays(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(year): Path<i32>,
    ApiJson(body): ApiJson<YearBody>,
) -> Result<Json<HolidayYearView>, ApiError> {
    let actor = admin(&account)?;
    svc::put_year(&state.store, &actor, year_param(year)?, &body).await?;
    Ok(Json(year_view(&state, year).await?))
}

#[utoipa::path(delete, path = "/admin/holidays/{year}", tag = "admin",
    params(("year" = i32, Path, description = "the year")),
    responses(
        (status = 200, body = HolidayYearView, description = "the admin's schedule is removed; the builtin data (if any) applies again"),
        (status = 403, description = "not an admin", body = ErrorBody),
        (status = 404, description = "no schedule of that year was stored", body = ErrorBody),
    ))]
pub async fn delete_holidays(
    State(state): State<AppState>,
    account: CurrentAccount,
    Path(year): Path<i32>,
) -> Result<Json<HolidayYearView>, ApiError> {
    let actor = admin(&account)?;
    let year = year_param(year)?;
    svc::delete_year(&state.store, &actor, year).await?;
    Ok(Json(year_view(&state, year).await?))
}
