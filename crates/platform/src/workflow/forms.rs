//! The inputs of the workflow (the filing-check body, the sponsor and website forms, a
//! person) and their validation with core's validators: every bad field is reported at once,
//! by its API path (`sponsor.responsible.mobile`).
//!
//! The forms are stored with the order as JSON (sealed, see `beian_store::workflow_support`);
//! [`SponsorForm`] and [`WebsiteForm`] are that JSON's shape.

use beian_core::app::{
    AppInfo, AppInput, AppPlatform, PlatformInput, app_name, check_app, package_for,
};
use beian_core::contact::{Email, Mobile, OfficePhone};
use beian_core::credit_code::CreditCode;
use beian_core::domain::Domain;
use beian_core::filing::SponsorClaim;
use beian_core::province::Province;
use beian_core::resident_id::ResidentId;
use beian_core::rules::ProvinceRules;
use beian_core::sponsor::{Certificate, CertificateType, SponsorNature};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::materials::PersonFacts;

use super::error::{FieldError, FieldErrors};

/// Longest name, address or service text we accept (characters).
pub const MAX_TEXT: usize = 128;

/// The sponsor part of a filing check (`sponsor` in `POST /filing-checks`).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SponsorIdentityInput {
    pub province: String,
    pub nature: String,
    pub certificate_type: String,
    pub certificate_number: String,
    pub name: String,
}

impl std::fmt::Debug for SponsorIdentityInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SponsorIdentityInput")
            .field("province", &self.province)
            .field("nature", &self.nature)
            .field("certificate_type", &self.certificate_type)
            .field(
                "certificate_number",
                &beian_store::crypto::mask(&self.certificate_number),
            )
            .field("name", &self.name)
            .finish()
    }
}

/// The body of `POST /filing-checks` and `POST /orders`: a website's `domain`, or an `app`
/// (issue 18; then `domain` is empty or absent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct FilingCheckInput {
    #[serde(default)]
    pub domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<AppCheckInput>,
    pub sponsor: SponsorIdentityInput,
}

/// How a filing check identifies an APP: its name and one platform's package name (Android),
/// Bundle ID (iOS) or bundle name (HarmonyOS). The same package is one APP here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AppCheckInput {
    pub name: String,
    pub platform: String,
    pub package: String,
}

/// A checked [`AppCheckInput`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppIdentity {
    pub name: String,
    pub platform: AppPlatform,
    pub package: String,
}

/// A filing-check input that validated: a website's domain, or an APP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCheck {
    pub domain: Option<Domain>,
    pub app: Option<AppIdentity>,
    pub claim: SponsorClaim,
}

impl ValidCheck {
    /// The service the check is for, as one key: the domain, or `app:` and the package.
    pub fn service_key(&self) -> String {
        match (&self.domain, &self.app) {
            (Some(d), _) => d.as_str().to_owned(),
            (None, Some(a)) => format!("app:{}:{}", a.platform.as_str(), a.package),
            (None, None) => String::new(),
        }
    }
}

/// A responsible person (负责人) as the forms carry it. `Debug` masks the numbers.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PersonForm {
    pub name: String,
    pub certificate_type: String,
    pub certificate_number: String,
    pub mobile: String,
    pub email: String,
    pub emergency_mobile: String,
    /// Optional (empty when none).
    #[serde(default)]
    pub office_phone: String,
}

impl std::fmt::Debug for PersonForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use beian_store::crypto::mask;
        f.debug_struct("PersonForm")
            .field("name", &super::review::mask_person_name(&self.name))
            .field("certificate_type", &self.certificate_type)
            .field("certificate_number", &mask(&self.certificate_number))
            .field("mobile", &mask(&self.mobile))
            .field("emergency_mobile", &mask(&self.emergency_mobile))
            .finish_non_exhaustive()
    }
}

/// The sponsor form (`PUT /orders/{id}/sponsor`). The identity fields must stay those the
/// filing check decided the kind on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct SponsorForm {
    #[serde(flatten)]
    pub identity: SponsorIdentityInput,
    pub address: String,
    pub responsible: PersonForm,
    /// Whether an organisation's responsible person is its legal representative (法定代表人):
    /// required where the province's rules say the responsible person must be (京 津 闽 粤 鄂
    /// 陕 甘); in Jiangsu a `false` asks for the 法人授权书. `None` when not said.
    #[serde(default)]
    pub responsible_is_legal_representative: Option<bool>,
}

/// The APP form (`PUT /orders/{id}/app`, issue 18): the APP's name, its 特征信息 per
/// platform (each with the name shown there, which must be the APP's), the service content,
/// its responsible person (a website's shape) and the icon's material id (`app_icon`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct AppForm {
    pub name: String,
    pub platforms: Vec<PlatformInput>,
    pub service_content: String,
    pub responsible: PersonForm,
}

impl AppForm {
    /// The platforms' 特征信息 checked by `beian_core::app`.
    pub fn checked(&self) -> Option<AppInfo> {
        check_app(&AppInput {
            name: self.name.clone(),
            platforms: self.platforms.clone(),
        })
        .ok()
    }
}

/// The website form (`PUT /orders/{id}/website`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct WebsiteForm {
    pub name: String,
    pub domain: String,
    pub home_url: String,
    pub service_content: String,
    pub languages: Vec<String>,
    pub responsible: PersonForm,
    #[serde(default)]
    pub pre_approvals: Vec<String>,
}

/// The language codes a website may declare (语言类别).
pub const LANGUAGES: &[&str] = &[
    "zh_cn", "zh_tw", "en", "ja", "ko", "fr", "de", "ru", "es", "pt", "ar", "it", "other",
];

fn required(errors: &mut FieldErrors, path: &str, value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() {
        errors.insert(path.to_owned(), FieldError::new("workflow.required"));
        false
    } else if value.chars().count() > MAX_TEXT {
        errors.insert(
            path.to_owned(),
            FieldError {
                key: "workflow.too_long",
                args: vec![("max", MAX_TEXT.to_string())],
            },
        );
        false
    } else {
        true
    }
}

/// Validates a certificate number for its type with the type's validator (resident ID and
/// credit code have check characters; the others are checked for shape).
fn certificate_number(
    errors: &mut FieldErrors,
    path: &str,
    ty: Option<CertificateType>,
    number: &str,
) {
    if !required(errors, path, number) {
        return;
    }
    let Some(ty) = ty else { return };
    let result = match ty {
        CertificateType::ResidentId => ResidentId::parse(number)
            .map(|_| ())
            .map_err(|e| FieldError::from_localized(&e)),
        CertificateType::CreditCode => CreditCode::parse(number)
            .map(|_| ())
            .map_err(|e| FieldError::from_localized(&e)),
        _ => {
            let n = number.trim();
            let ok = (5..=30).contains(&n.chars().count())
                && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
            if ok {
                Ok(())
            } else {
                Err(FieldError::new("workflow.certificate_number_shape"))
            }
        }
    };
    if let Err(e) = result {
        errors.insert(path.to_owned(), e);
    }
}

fn certificate_type(errors: &mut FieldErrors, path: &str, value: &str) -> Option<CertificateType> {
    let ty = CertificateType::parse(value.trim());
    if ty.is_none() {
        errors.insert(path.to_owned(), FieldError::new("workflow.unknown_choice"));
    }
    ty
}

/// Validates the filing-check body; all errors at once.
pub fn validate_check(input: &FilingCheckInput) -> Result<ValidCheck, FieldErrors> {
    let mut errors = FieldErrors::new();
    let mut app = None;
    let domain = match &input.app {
        Some(a) => {
            if !input.domain.trim().is_empty() {
                errors.insert("domain".into(), FieldError::new("workflow.domain_or_app"));
            }
            app = validate_app_check(&mut errors, a);
            None
        }
        None => match Domain::parse_registrable(input.domain.trim()) {
            Ok(d) => Some(d),
            Err(e) => {
                errors.insert("domain".into(), FieldError::from_localized(&e));
                None
            }
        },
    };
    let (claim, mut sponsor_errors) = validate_identity(&input.sponsor, "sponsor");
    errors.append(&mut sponsor_errors);
    match claim {
        Some(claim) if errors.is_empty() && (domain.is_some() || app.is_some()) => {
            Ok(ValidCheck { domain, app, claim })
        }
        _ => Err(errors),
    }
}

fn validate_app_check(errors: &mut FieldErrors, a: &AppCheckInput) -> Option<AppIdentity> {
    let name = app_name(&a.name)
        .map_err(|e| errors.insert("app.name".into(), FieldError::from_localized(&e)))
        .ok();
    let platform = AppPlatform::parse(a.platform.trim());
    if platform.is_none() {
        errors.insert(
            "app.platform".into(),
            FieldError::new("workflow.unknown_choice"),
        );
    }
    let package = platform.and_then(|p| {
        package_for(p, &a.package)
            .map_err(|e| errors.insert("app.package".into(), FieldError::from_localized(&e)))
            .ok()
    });
    Some(AppIdentity {
        name: name?,
        platform: platform?,
        package: package?,
    })
}

/// Validates the APP form: every problem of its 特征信息 by path (`app.platforms[1].package`),
/// its service content and responsible person.
pub fn validate_app(form: &AppForm) -> FieldErrors {
    let mut errors = FieldErrors::new();
    if let Err(problems) = check_app(&AppInput {
        name: form.name.clone(),
        platforms: form.platforms.clone(),
    }) {
        for (path, e) in problems {
            errors
                .entry(format!("app.{path}"))
                .or_insert_with(|| FieldError::from_localized(&e));
        }
    }
    required(&mut errors, "app.service_content", &form.service_content);
    validate_person(&mut errors, "app.responsible", &form.responsible);
    errors
}

fn validate_identity(
    s: &SponsorIdentityInput,
    prefix: &str,
) -> (Option<SponsorClaim>, FieldErrors) {
    let mut errors = FieldErrors::new();
    let p = |f: &str| format!("{prefix}.{f}");
    let province = match Province::parse(s.province.trim()) {
        Ok(p) => Some(p),
        Err(e) => {
            errors.insert(p("province"), FieldError::from_localized(&e));
            None
        }
    };
    let nature = SponsorNature::parse(s.nature.trim());
    if nature.is_none() {
        errors.insert(p("nature"), FieldError::new("workflow.unknown_choice"));
    }
    let ty = certificate_type(&mut errors, &p("certificate_type"), &s.certificate_type);
    if let (Some(n), Some(t)) = (nature, ty)
        && (n == SponsorNature::Individual) != t.is_personal()
    {
        errors.insert(
            p("certificate_type"),
            FieldError::new("workflow.certificate_type_for_nature"),
        );
    }
    certificate_number(
        &mut errors,
        &p("certificate_number"),
        ty,
        &s.certificate_number,
    );
    required(&mut errors, &p("name"), &s.name);
    let claim = match (province, nature, ty) {
        (Some(province), Some(nature), Some(t)) if errors.is_empty() => Some(SponsorClaim {
            province,
            nature,
            certificate: Certificate::new(t, s.certificate_number.trim()),
            name: s.name.trim().to_owned(),
        }),
        _ => None,
    };
    (claim, errors)
}

/// Validates a person at `prefix` (e.g. `sponsor.responsible`).
pub fn validate_person(errors: &mut FieldErrors, prefix: &str, person: &PersonForm) {
    let p = |f: &str| format!("{prefix}.{f}");
    required(errors, &p("name"), &person.name);
    let ty = certificate_type(errors, &p("certificate_type"), &person.certificate_type);
    if let Some(t) = ty
        && !t.is_personal()
    {
        errors.insert(
            p("certificate_type"),
            FieldError::new("workflow.person_certificate_type"),
        );
    }
    certificate_number(
        errors,
        &p("certificate_number"),
        ty,
        &person.certificate_number,
    );
    let mobile = match Mobile::parse(&person.mobile) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.insert(p("mobile"), FieldError::from_localized(&e));
            None
        }
    };
    if let Err(e) = Email::parse(&person.email) {
        errors.insert(p("email"), FieldError::from_localized(&e));
    }
    match Mobile::parse(&person.emergency_mobile) {
        Ok(m) if mobile.as_ref().is_some_and(|x| x.as_str() == m.as_str()) => {
            errors.insert(
                p("emergency_mobile"),
                FieldError::new("workflow.emergency_mobile_same"),
            );
        }
        Ok(_) => {}
        Err(e) => {
            errors.insert(p("emergency_mobile"), FieldError::from_localized(&e));
        }
    }
    if !person.office_phone.trim().is_empty()
        && let Err(e) = OfficePhone::parse(&person.office_phone)
    {
        errors.insert(p("office_phone"), FieldError::from_localized(&e));
    }
}

/// Validates the sponsor form.
pub fn validate_sponsor(form: &SponsorForm) -> FieldErrors {
    let (_, mut errors) = validate_identity(&form.identity, "sponsor");
    required(&mut errors, "sponsor.address", &form.address);
    validate_person(&mut errors, "sponsor.responsible", &form.responsible);
    errors
}

/// The province variants on the sponsor form (issue 18), by the `rules` in force for the
/// order: where the responsible person must be the legal representative, an organisation
/// must say it is (`sponsor.responsible_is_legal_representative`); where a minimum age
/// applies, an individual sponsor must have reached it on `today` by the birth date in their
/// resident ID (`sponsor.certificate_number`). Other certificates carry no birth date and are
/// left to the provider's review.
pub fn validate_sponsor_variants(
    form: &SponsorForm,
    rules: &ProvinceRules,
    today: NaiveDate,
) -> FieldErrors {
    let mut errors = FieldErrors::new();
    let nature = SponsorNature::parse(form.identity.nature.trim());
    let province = || {
        vec![
            ("province", rules.province.name().to_owned()),
            ("province_en", rules.province.info().name_en.to_owned()),
        ]
    };
    if rules.legal_representative_responsible
        && nature.is_some_and(|n| n != SponsorNature::Individual)
        && form.responsible_is_legal_representative != Some(true)
    {
        errors.insert(
            "sponsor.responsible_is_legal_representative".into(),
            FieldError {
                key: "workflow.legal_representative_required",
                args: province(),
            },
        );
    }
    if let Some(min) = rules.min_age
        && nature == Some(SponsorNature::Individual)
        && CertificateType::parse(form.identity.certificate_type.trim())
            == Some(CertificateType::ResidentId)
        && let Ok(id) = ResidentId::parse_at(&form.identity.certificate_number, today)
        && id.age_on(today) < min
    {
        let mut args = province();
        args.push(("min", min.to_string()));
        errors.insert(
            "sponsor.certificate_number".into(),
            FieldError {
                key: "workflow.under_min_age",
                args,
            },
        );
    }
    errors
}

/// The facts about the sponsor's persons that the province variants ask materials for.
pub fn person_facts(form: &SponsorForm, province: Province) -> PersonFacts {
    let individual =
        SponsorNature::parse(form.identity.nature.trim()) == Some(SponsorNature::Individual);
    let home = (CertificateType::parse(form.identity.certificate_type.trim())
        == Some(CertificateType::ResidentId))
    .then(|| form.identity.certificate_number.trim().get(..2))
    .flatten()
    .and_then(|code| Province::parse(code).ok());
    PersonFacts {
        outside_home_province: individual && home.is_some_and(|h| h != province),
        responsible_is_legal_representative: form.responsible_is_legal_representative,
    }
}

/// Validates the website form: one domain, a home URL on that domain, a declared service
/// and language, its responsible person (who may differ from the sponsor's).
pub fn validate_website(form: &WebsiteForm) -> FieldErrors {
    let mut errors = FieldErrors::new();
    required(&mut errors, "website.name", &form.name);
    let domain = match Domain::parse_registrable(form.domain.trim()) {
        Ok(d) => Some(d),
        Err(e) => {
            errors.insert("website.domain".into(), FieldError::from_localized(&e));
            None
        }
    };
    if required(&mut errors, "website.home_url", &form.home_url)
        && let Some(domain) = &domain
        && !home_url_on_domain(&form.home_url, domain)
    {
        errors.insert(
            "website.home_url".into(),
            FieldError {
                key: "workflow.home_url_domain",
                args: vec![("domain", domain.as_str().to_owned())],
            },
        );
    }
    required(
        &mut errors,
        "website.service_content",
        &form.service_content,
    );
    if form.languages.is_empty() {
        errors.insert(
            "website.languages".into(),
            FieldError::new("workflow.required"),
        );
    } else if form.languages.len() > LANGUAGES.len() {
        errors.insert(
            "website.languages".into(),
            FieldError {
                key: "workflow.too_many",
                args: vec![("max", LANGUAGES.len().to_string())],
            },
        );
    } else if form
        .languages
        .iter()
        .any(|l| !LANGUAGES.contains(&l.trim()))
    {
        errors.insert(
            "website.languages".into(),
            FieldError::new("workflow.unknown_choice"),
        );
    }
    validate_person(&mut errors, "website.responsible", &form.responsible);
    errors
}

/// Whether the home URL's host is the domain or one of its subdomains
/// (`https://www.example.cn/index.html` for `example.cn`).
pub fn home_url_on_domain(url: &str, domain: &Domain) -> bool {
    let rest = url.trim();
    let rest = rest
        .strip_prefix("https://")
        .or_else(|| rest.strip_prefix("http://"))
        .unwrap_or(rest);
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
    match Domain::parse(host) {
        Ok(h) => h == *domain || h.is_within(domain),
        Err(_) => false,
    }
}

/// The paths whose values differ between two JSON documents (leaves only).
pub fn changed_paths(
    prefix: &str,
    old: &serde_json::Value,
    new: &serde_json::Value,
) -> Vec<String> {
    use serde_json::Value;
    match (old, new) {
        (Value::Object(a), Value::Object(b)) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            keys.into_iter()
                .flat_map(|k| {
                    let path = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    changed_paths(
                        &path,
                        a.get(k).unwrap_or(&Value::Null),
                        b.get(k).unwrap_or(&Value::Null),
                    )
                })
                .collect()
        }
        (a, b) if a == b => Vec::new(),
        _ => vec![prefix.to_owned()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn home_url_must_be_on_the_domain() {
        let d = Domain::parse("example.cn").unwrap();
        for (url, ok) in [
            ("https://www.example.cn/", true),
            ("http://example.cn", true),
            ("example.cn/index.html", true),
            ("https://example.cn:8443/a", true),
            ("https://example.com/", false),
            ("https://notexample.cn/", false),
            ("https://example.cn.evil.com/", false),
            ("", false),
        ] {
            assert_eq!(home_url_on_domain(url, &d), ok, "{url}");
        }
    }

    #[test]
    fn a_filing_is_for_the_registrable_domain() {
        let input = |domain: &str| FilingCheckInput {
            domain: domain.into(),
            ..FilingCheckInput::default()
        };
        let errors = validate_check(&input("www.example.com.cn")).unwrap_err();
        let message = errors["domain"].localize(beian_core::i18n::Locale::En);
        assert!(message.contains("example.com.cn"), "{message}");
        // A registrable name passes the domain check (the sponsor fields fail on their own).
        let errors = validate_check(&input("example.com.cn")).unwrap_err();
        assert!(!errors.contains_key("domain"), "{errors:?}");
    }

    #[test]
    fn changed_paths_names_leaves() {
        let a = serde_json::json!({"a": {"b": 1, "c": "x"}, "d": [1]});
        let b = serde_json::json!({"a": {"b": 2, "c": "x"}, "d": [1, 2], "e": true});
        assert_eq!(
            changed_paths("sponsor", &a, &b),
            vec!["sponsor.a.b", "sponsor.d", "sponsor.e"]
        );
    }
}
