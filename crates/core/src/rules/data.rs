//! Reading province rules from TOML (the format documented at the top of
//! `crates/core/data/rules.toml`) into checked [`RuleVersion`]s.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use super::{PhotoMethod, ProvinceScope, RuleValue, RuleVersion, Topic};
use crate::calendar::{CalendarError, TomlDate, toml_date};
use crate::i18n::Localized;
use crate::kind::FilingKind;
use crate::province::Province;

/// The longest SMS window we accept, in hours (30 days): anything longer is a typo.
pub const MAX_WINDOW_HOURS: i64 = 720;

/// Why a rules file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    #[error("rules file is not valid TOML of the expected shape: {detail}")]
    BadFile { detail: String },
    #[error("rule {id}: {value} is not a date (YYYY-MM-DD)")]
    NotADate { id: String, value: String },
    #[error("a rule has an empty id")]
    EmptyId,
    #[error("rule id {id} is used twice")]
    DuplicateId { id: String },
    #[error("rules {id} and {other} of topic {topic} take effect on the same day")]
    SameEffectiveDate {
        id: String,
        other: String,
        topic: &'static str,
    },
    #[error("rule {id}: {value} is not a province code")]
    UnknownProvince { id: String, value: String },
    #[error("rule {id}: {value} is not a filing kind")]
    UnknownKind { id: String, value: String },
    #[error("rule {id} applies to no filing kind")]
    NoKinds { id: String },
    #[error("rule {id}: an SMS window of {hours} hours is outside 1..={MAX_WINDOW_HOURS}")]
    BadWindow { id: String, hours: i64 },
    #[error("rule {id} lacks the field {field}")]
    MissingField { id: String, field: &'static str },
    #[error("rule {id} has the field {field}, which its topic does not use")]
    UnexpectedField { id: String, field: &'static str },
    #[error("rule {id}: {value} is outside {min}..={max}")]
    OutOfRange {
        id: String,
        value: i64,
        min: u32,
        max: u32,
    },
}

impl Localized for RulesError {
    fn message_key(&self) -> &'static str {
        match self {
            RulesError::BadFile { .. } => "rules.bad_file",
            RulesError::NotADate { .. } => "rules.not_a_date",
            RulesError::EmptyId => "rules.empty_id",
            RulesError::DuplicateId { .. } => "rules.duplicate_id",
            RulesError::SameEffectiveDate { .. } => "rules.same_effective_date",
            RulesError::UnknownProvince { .. } => "rules.unknown_province",
            RulesError::UnknownKind { .. } => "rules.unknown_kind",
            RulesError::NoKinds { .. } => "rules.no_kinds",
            RulesError::BadWindow { .. } => "rules.bad_window",
            RulesError::MissingField { .. } => "rules.missing_field",
            RulesError::UnexpectedField { .. } => "rules.unexpected_field",
            RulesError::OutOfRange { .. } => "rules.out_of_range",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        match self {
            RulesError::BadFile { detail } => vec![("detail", detail.clone())],
            RulesError::EmptyId => Vec::new(),
            RulesError::DuplicateId { id } | RulesError::NoKinds { id } => {
                vec![("id", id.clone())]
            }
            RulesError::NotADate { id, value }
            | RulesError::UnknownProvince { id, value }
            | RulesError::UnknownKind { id, value } => {
                vec![("id", id.clone()), ("value", value.clone())]
            }
            RulesError::SameEffectiveDate { id, other, topic } => vec![
                ("id", id.clone()),
                ("other", other.clone()),
                ("topic", (*topic).to_owned()),
            ],
            RulesError::BadWindow { id, hours } => vec![
                ("id", id.clone()),
                ("hours", hours.to_string()),
                ("max", MAX_WINDOW_HOURS.to_string()),
            ],
            RulesError::MissingField { id, field } | RulesError::UnexpectedField { id, field } => {
                vec![("id", id.clone()), ("field", (*field).to_owned())]
            }
            RulesError::OutOfRange {
                id,
                value,
                min,
                max,
            } => vec![
                ("id", id.clone()),
                ("value", value.to_string()),
                ("min", min.to_string()),
                ("max", max.to_string()),
            ],
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileDoc {
    #[serde(default)]
    sms: Vec<VersionDoc>,
    #[serde(default)]
    photo: Vec<VersionDoc>,
    #[serde(default)]
    app_upload: Vec<VersionDoc>,
    #[serde(default)]
    domain_certificate: Vec<VersionDoc>,
    #[serde(default)]
    legal_representative: Vec<VersionDoc>,
    #[serde(default)]
    min_age: Vec<VersionDoc>,
    #[serde(default)]
    residence_permit: Vec<VersionDoc>,
    #[serde(default)]
    site_cap: Vec<VersionDoc>,
    #[serde(default)]
    truthfulness_documents: Vec<VersionDoc>,
    #[serde(default)]
    review_days: Vec<VersionDoc>,
}

/// `"all"` or a list.
#[derive(Deserialize)]
#[serde(untagged)]
enum AllOr {
    Word(String),
    List(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VersionDoc {
    id: String,
    effective: TomlDate,
    provinces: AllOr,
    kinds: Option<AllOr>,
    #[serde(default)]
    except_kinds: Vec<String>,
    #[serde(default)]
    source: String,
    window_hours: Option<i64>,
    method: Option<PhotoMethod>,
    years: Option<i64>,
    websites: Option<i64>,
    days: Option<i64>,
    /// Numeric topics: a number per province code, where it differs from the version's.
    #[serde(default)]
    by_province: BTreeMap<String, i64>,
}

/// The range a numeric topic's number must fall in, and its field.
fn numeric(topic: Topic) -> Option<(&'static str, u32, u32)> {
    match topic {
        Topic::MinAge => Some(("years", 1, 30)),
        Topic::SiteCap => Some(("websites", 1, 10_000)),
        Topic::ReviewDays => Some(("days", 1, 60)),
        _ => None,
    }
}

/// Parses and checks a rules file; versions come back sorted by topic, then effective date.
pub(crate) fn parse_file(text: &str) -> Result<Vec<RuleVersion>, RulesError> {
    let doc: FileDoc = toml::from_str(text).map_err(|e| RulesError::BadFile {
        detail: e.message().to_owned(),
    })?;
    let topics = [
        (Topic::Sms, doc.sms),
        (Topic::Photo, doc.photo),
        (Topic::AppUpload, doc.app_upload),
        (Topic::DomainCertificate, doc.domain_certificate),
        (Topic::LegalRepresentative, doc.legal_representative),
        (Topic::MinAge, doc.min_age),
        (Topic::ResidencePermit, doc.residence_permit),
        (Topic::SiteCap, doc.site_cap),
        (Topic::TruthfulnessDocuments, doc.truthfulness_documents),
        (Topic::ReviewDays, doc.review_days),
    ];
    let mut out: Vec<RuleVersion> = Vec::new();
    for (topic, docs) in topics {
        for doc in docs {
            let version = version(topic, doc)?;
            if out.iter().any(|v| v.id == version.id) {
                return Err(RulesError::DuplicateId { id: version.id });
            }
            if let Some(other) = out
                .iter()
                .find(|v| v.topic() == topic && v.effective == version.effective)
            {
                return Err(RulesError::SameEffectiveDate {
                    id: version.id,
                    other: other.id.clone(),
                    topic: topic.as_str(),
                });
            }
            out.push(version);
        }
    }
    out.sort_by_key(|v| (v.topic(), v.effective));
    Ok(out)
}

fn version(topic: Topic, doc: VersionDoc) -> Result<RuleVersion, RulesError> {
    let id = doc.id.trim().to_owned();
    if id.is_empty() {
        return Err(RulesError::EmptyId);
    }
    let effective = toml_date(&doc.effective).map_err(|e| match e {
        CalendarError::NotADate { value } => RulesError::NotADate {
            id: id.clone(),
            value,
        },
        other => RulesError::BadFile {
            detail: other.to_string(),
        },
    })?;
    let provinces = match doc.provinces {
        AllOr::Word(w) if w.trim() == "all" => ProvinceScope::All,
        AllOr::Word(w) => {
            return Err(RulesError::UnknownProvince {
                id: id.clone(),
                value: w,
            });
        }
        AllOr::List(codes) => ProvinceScope::Only(
            codes
                .iter()
                .map(|c| {
                    Province::parse(c).map_err(|_| RulesError::UnknownProvince {
                        id: id.clone(),
                        value: c.clone(),
                    })
                })
                .collect::<Result<BTreeSet<_>, _>>()?,
        ),
    };
    let kind = |name: &String| {
        FilingKind::parse(name.trim()).ok_or_else(|| RulesError::UnknownKind {
            id: id.clone(),
            value: name.clone(),
        })
    };
    let mut kinds: BTreeSet<FilingKind> = match &doc.kinds {
        None => FilingKind::ALL.into_iter().collect(),
        Some(AllOr::Word(w)) if w.trim() == "all" => FilingKind::ALL.into_iter().collect(),
        Some(AllOr::Word(w)) => BTreeSet::from([kind(w)?]),
        Some(AllOr::List(list)) => list.iter().map(kind).collect::<Result<_, _>>()?,
    };
    for name in &doc.except_kinds {
        kinds.remove(&kind(name)?);
    }
    if kinds.is_empty() {
        return Err(RulesError::NoKinds { id });
    }
    let unexpected = |field| RulesError::UnexpectedField {
        id: id.clone(),
        field,
    };
    let missing = |field| RulesError::MissingField {
        id: id.clone(),
        field,
    };
    let numbers = [
        ("window_hours", doc.window_hours),
        ("years", doc.years),
        ("websites", doc.websites),
        ("days", doc.days),
    ];
    let own_number = match topic {
        Topic::Sms => Some("window_hours"),
        other => numeric(other).map(|(field, _, _)| field),
    };
    for (field, value) in numbers {
        if value.is_some() && own_number != Some(field) {
            return Err(unexpected(field));
        }
    }
    if doc.method.is_some() && topic != Topic::Photo {
        return Err(unexpected("method"));
    }
    if !doc.by_province.is_empty() && numeric(topic).is_none() {
        return Err(unexpected("by_province"));
    }
    let in_range = |value: i64, min: u32, max: u32| match u32::try_from(value) {
        Ok(n) if (min..=max).contains(&n) => Ok(n),
        _ => Err(RulesError::OutOfRange {
            id: id.clone(),
            value,
            min,
            max,
        }),
    };
    let number = |field: &'static str, value: Option<i64>, min, max| {
        in_range(value.ok_or_else(|| missing(field))?, min, max)
    };
    let value = match topic {
        Topic::Sms => {
            let hours = doc.window_hours.ok_or_else(|| missing("window_hours"))?;
            match u32::try_from(hours) {
                Ok(h) if (1..=MAX_WINDOW_HOURS).contains(&hours) => {
                    RuleValue::Sms { window_hours: h }
                }
                _ => {
                    return Err(RulesError::BadWindow {
                        id: id.clone(),
                        hours,
                    });
                }
            }
        }
        Topic::Photo => RuleValue::Photo(doc.method.ok_or_else(|| missing("method"))?),
        Topic::AppUpload => RuleValue::AppUpload,
        Topic::DomainCertificate => RuleValue::DomainCertificate,
        Topic::LegalRepresentative => RuleValue::LegalRepresentative,
        Topic::ResidencePermit => RuleValue::ResidencePermit,
        Topic::TruthfulnessDocuments => RuleValue::TruthfulnessDocuments,
        Topic::MinAge => RuleValue::MinAge {
            years: number("years", doc.years, 1, 30)?,
        },
        Topic::SiteCap => RuleValue::SiteCap {
            websites: number("websites", doc.websites, 1, 10_000)?,
        },
        Topic::ReviewDays => RuleValue::ReviewDays {
            days: number("days", doc.days, 1, 60)?,
        },
    };
    let mut by_province = BTreeMap::new();
    if let Some((_, min, max)) = numeric(topic) {
        for (code, n) in &doc.by_province {
            let province = Province::parse(code).map_err(|_| RulesError::UnknownProvince {
                id: id.clone(),
                value: code.clone(),
            })?;
            if !provinces.contains(province) {
                return Err(RulesError::UnknownProvince {
                    id: id.clone(),
                    value: code.clone(),
                });
            }
            by_province.insert(province, in_range(*n, min, max)?);
        }
    }
    Ok(RuleVersion {
        id,
        effective,
        provinces,
        kinds,
        value,
        by_province,
        source: doc.source,
    })
}
