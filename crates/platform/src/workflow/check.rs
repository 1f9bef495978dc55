//! 验证备案类型: the filing check. Validates the input, asks the registry
//! (`isp_querybeianstatus` by domain and by certificate) and our records, and lets
//! [`beian_core::filing::decide`] choose the kind.
//!
//! What the V3 status query answers is thin: whether the domain or certificate is filed, and
//! the sponsor and website numbers. So the registry's record of a sponsor is completed from
//! what we know: its province from the bureau abbreviation of its number, and its name, nature
//! and certificate type as filed — from the registry's `<Ztsf>` extension when it sends one
//! (the simulator does), else from our copy of the original filing when we hold the sponsor. The registry does not list a website's access providers through V3; whether we
//! host the domain comes from our own records.

use beian_core::filing::{
    FilingFacts, FilingRefusal, OurRecords, RegistryAnswer, RegistrySponsor, RegistryWebsite,
    decide,
};
use beian_core::icp_number::IcpNumber;
use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_core::province::Province;
use beian_core::rules::rules_for;
use beian_core::sponsor::{Certificate, CertificateType, SponsorNature};
use beian_miit::v3::codes::{FilingStatus, QueryConditionType};
use beian_miit::v3::mapping::{
    CertificateType as MiitCertificateType, SponsorNature as MiitNature,
};
use beian_miit::v3::returns::StatusInfo;
use beian_store::accesses::AccessStatus;
use beian_store::sponsors::Sponsor;
use serde::{Deserialize, Serialize};

use super::error::WorkflowError;
use super::forms::{FilingCheckInput, ValidCheck, validate_check};
use super::{Acting, Workflow};

/// What the registry told us, kept with the order (filing numbers only, no personal data)
/// and shown to prefill an access filing's forms.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RegistryPrefill {
    /// 主体备案号, when the sponsor is filed.
    pub sponsor_number: Option<String>,
    /// 网站备案号, when the domain is filed.
    pub website_number: Option<String>,
    /// 网站名称 as filed.
    pub website_name: Option<String>,
}

/// The answer of a filing check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FilingCheckResult {
    pub kind: FilingKind,
    /// The registry's data for the forms (access kinds take the website as filed).
    pub registry: RegistryPrefill,
    /// The applicant must verify the sponsor's filing password (备案密码).
    pub needs_filing_password: bool,
    /// Sponsor and website data come from the registry; only contact fields may change.
    pub access_only: bool,
}

/// Everything the check found, for [`Workflow::create_order`].
#[derive(Debug, Clone)]
pub(super) struct Checked {
    pub valid: ValidCheck,
    pub result: FilingCheckResult,
    /// Our sponsor with this certificate, if any.
    pub local_sponsor: Option<Sponsor>,
}

impl Workflow<'_> {
    /// 验证备案类型: the kind an order for `input` would have, or why there can be none.
    pub async fn filing_check(
        &self,
        acting: &Acting,
        input: &FilingCheckInput,
    ) -> Result<FilingCheckResult, WorkflowError> {
        Ok(self.check(acting, input, false).await?.result)
    }

    /// The check. With `reuse` (order creation), the registry's answers that a filing check
    /// of the same account and input recorded within [`recent::FRESH_MS`] are taken (once)
    /// instead of asking the registry again; our own records are always read anew, so
    /// what changed here since is seen. Without it (the filing check itself), the answers
    /// are asked and recorded.
    pub(super) async fn check(
        &self,
        acting: &Acting,
        input: &FilingCheckInput,
        reuse: bool,
    ) -> Result<Checked, WorkflowError> {
        let valid = validate_check(input).map_err(WorkflowError::Invalid)?;
        let claim = &valid.claim;
        let cert = &claim.certificate;

        let account_sponsor = self.store.sponsor_of_account(&acting.account_id).await?;
        let local_sponsor = self
            .store
            .sponsor_by_certificate(cert.certificate_type.as_str(), &cert.number)
            .await?;
        let account_certificate = account_sponsor.as_ref().and_then(certificate_of);
        if account_certificate.as_ref().is_none_or(|c| c.same_as(cert))
            && local_sponsor
                .as_ref()
                .and_then(|s| s.data.account_id.as_deref())
                .is_some_and(|holder| holder != acting.account_id)
        {
            return Err(WorkflowError::SponsorOfOtherAccount);
        }

        let key = recent::Key::new(self.store, &acting.account_id, &valid);
        let reused = if reuse {
            recent::take_fresh(&key, self.store.now().timestamp_millis())
        } else {
            None
        };
        let (by_domain, by_certificate) = match reused {
            Some(answers) => answers,
            None => {
                let by_domain = match (&valid.domain, &valid.app) {
                    (Some(domain), _) => {
                        self.query(QueryConditionType::Domain, domain.as_str())
                            .await?
                    }
                    // An APP: V3.0 cannot be asked about it; beian's extension asks by
                    // package (condition type 99). A bureau without the extension refuses
                    // the condition: the APP is then taken as not filed.
                    (None, Some(app)) => self
                        .query(QueryConditionType::AppPackage, &app.package)
                        .await
                        .ok()
                        .flatten(),
                    (None, None) => None,
                };
                let by_certificate = match certificate_condition(cert.certificate_type) {
                    Some(condition) => self.query(condition, &cert.number).await?,
                    None => None,
                };
                if !reuse {
                    recent::record(
                        key,
                        self.store.now().timestamp_millis(),
                        (by_domain.clone(), by_certificate.clone()),
                    );
                }
                (by_domain, by_certificate)
            }
        };

        let mut prefill = RegistryPrefill::default();
        let sponsor = by_certificate.and_then(|info| {
            let number = info.sponsor_number?;
            prefill.sponsor_number = Some(number.clone());
            let ours = local_sponsor
                .as_ref()
                .filter(|s| s.icp_number.as_deref().map(str::trim) == Some(number.trim()));
            // The registry's own record (the `<Ztsf>` extension) wins over our copy.
            let filed = info.sponsor.as_ref();
            Some(RegistrySponsor {
                name: filed
                    .map(|f| f.name.clone())
                    .or_else(|| ours.map(|s| s.data.name.clone())),
                nature: filed
                    .and_then(|f| MiitNature::from_code(f.nature).ok())
                    .and_then(|n| SponsorNature::parse(n.api_name()))
                    .or_else(|| ours.and_then(|s| SponsorNature::parse(&s.data.nature))),
                certificate_type: filed
                    .and_then(|f| MiitCertificateType::from_code(f.certificate_type).ok())
                    .and_then(|t| CertificateType::parse(t.api_name()))
                    .or(Some(cert.certificate_type)),
                province: IcpNumber::parse(&number).ok().map(|n| n.province()),
                sponsor_number: number,
            })
        });
        let website = by_domain.and_then(|info| {
            prefill.website_number = info.website_number.clone();
            prefill.website_name = info.website_name.clone();
            Some(RegistryWebsite {
                sponsor_number: info.sponsor_number?,
                access_providers: Vec::new(),
            })
        });

        let records = self
            .records(
                local_sponsor.as_ref(),
                account_certificate,
                valid.domain.as_ref().map(|d| d.as_str()),
            )
            .await?;
        if let Some(app) = &valid.app {
            self.app_here(app, local_sponsor.as_ref()).await?;
        }
        let facts = FilingFacts {
            claim: claim.clone(),
            registry: RegistryAnswer { sponsor, website },
            records,
            this_provider: self.provider,
        };
        let kind = decide(&facts).map_err(WorkflowError::Refused)?;
        if valid.app.is_none() {
            self.site_cap(claim.province, kind, local_sponsor.as_ref())
                .await?;
        } else if !matches!(
            kind,
            FilingKind::FirstFiling
                | FilingKind::NewWebsite
                | FilingKind::NewAccess
                | FilingKind::ContinueAccess
        ) {
            // APP filing covers 首次备案, 新增APP, 新增接入 and 继续接入 (docs/api.md, "APP
            // filing").
            let mut errors = super::error::FieldErrors::new();
            errors.insert(
                "app".into(),
                super::error::FieldError::new("workflow.app_kind"),
            );
            return Err(WorkflowError::Invalid(errors));
        }
        Ok(Checked {
            valid,
            result: FilingCheckResult {
                kind,
                registry: prefill,
                needs_filing_password: kind.needs_filing_password(),
                access_only: kind.is_access(),
            },
            local_sponsor,
        })
    }

    /// The province's cap on a sponsor's websites (陕: 30), for a kind that adds a website,
    /// counted on our records of the sponsor's filed websites.
    async fn site_cap(
        &self,
        province: Province,
        kind: FilingKind,
        sponsor: Option<&Sponsor>,
    ) -> Result<(), WorkflowError> {
        let Some(cap) = rules_for(province, kind, self.store.now()).site_cap else {
            return Ok(());
        };
        let Some(sponsor) = sponsor else {
            return Ok(());
        };
        let filed = self
            .store
            .websites_of_sponsor(&sponsor.id)
            .await?
            .iter()
            .filter(|w| w.icp_number.is_some())
            .count();
        let websites = u32::try_from(filed).unwrap_or(u32::MAX);
        if websites >= cap {
            return Err(WorkflowError::Refused(FilingRefusal::SiteCapReached {
                cap,
                websites,
            }));
        }
        Ok(())
    }

    /// `isp_querybeianstatus`: the status info when filed, `None` when not.
    async fn query(
        &self,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<Option<StatusInfo>, WorkflowError> {
        let ret = self
            .regulator
            .query_beian_status(condition_type, condition)
            .await
            .map_err(|e| WorkflowError::Registry(e.to_string()))?;
        match ret.code() {
            Some(code) if code.is_success() => {}
            _ => {
                return Err(WorkflowError::Registry(format!(
                    "isp_querybeianstatus answered {}",
                    ret.msg_code
                )));
            }
        }
        Ok(ret
            .status_info
            .filter(|info| info.status == FilingStatus::Filed))
    }

    /// An APP's check against our records: a package another sponsor's APP holds here is
    /// that sponsor's (the bureau would refuse it too, 1005); one this sponsor's APP holds
    /// with an access here is accessed here already. An APP of this sponsor whose access here
    /// ended (取消接入) may come back: 继续接入.
    async fn app_here(
        &self,
        app: &super::forms::AppIdentity,
        sponsor: Option<&Sponsor>,
    ) -> Result<(), WorkflowError> {
        for held in self.store.apps_by_package(&app.package).await? {
            if sponsor.is_none_or(|s| s.id != held.data.sponsor_id) {
                return Err(WorkflowError::DomainInUse);
            }
            if held.icp_number.is_some() && self.store.open_access_of_app(&held.id).await?.is_some()
            {
                return Err(WorkflowError::Refused(FilingRefusal::DomainAccessedHere));
            }
        }
        Ok(())
    }

    async fn records(
        &self,
        local_sponsor: Option<&Sponsor>,
        account_sponsor: Option<Certificate>,
        domain: Option<&str>,
    ) -> Result<OurRecords, WorkflowError> {
        let mut records = OurRecords {
            account_sponsor,
            ..OurRecords::default()
        };
        if let Some(sponsor) = local_sponsor {
            let orders = self.store.orders_of_sponsor(&sponsor.id).await?;
            records.sponsor_filed_here = sponsor.icp_number.is_some()
                || orders
                    .iter()
                    .any(|o| o.state == OrderState::Completed.as_str());
            records.open_order = orders
                .iter()
                .find(|o| OrderState::parse(&o.state).is_some_and(OrderState::is_open))
                .map(|o| o.id.clone());
        }
        if let Some(domain) = domain
            && let Some(website) = self.store.website_by_domain(domain).await?
        {
            let accesses = self.store.accesses_of_website(&website.id).await?;
            records.domain_accessed_here = if accesses.is_empty() {
                // No access record: filed here before records were kept (a number or a
                // completed order says so).
                let orders = self.store.orders_of_website(&website.id).await?;
                website.icp_number.is_some()
                    || orders
                        .iter()
                        .any(|o| o.state == OrderState::Completed.as_str())
            } else {
                // After 取消接入 the site is no longer hosted here and may be accessed anew.
                accesses.iter().any(|a| a.status != AccessStatus::Cancelled)
            };
        }
        Ok(records)
    }
}

fn certificate_of(s: &Sponsor) -> Option<Certificate> {
    CertificateType::parse(&s.data.certificate_type)
        .map(|t| Certificate::new(t, s.data.certificate_number.clone()))
}

/// The status-query condition for a certificate type; `None` for the types interface V3.0
/// predates (e.g. the Hong Kong and Macao permit), which the registry cannot be asked about.
fn certificate_condition(t: CertificateType) -> Option<QueryConditionType> {
    MiitCertificateType::from_api(t.as_str())
        .ok()
        .map(|m| m.query_condition())
}

/// The registry's answers of recent filing checks, so that creating the order right after
/// its check does not ask the registry the same two questions again (issue 14: each order
/// made 4 SOAP calls). Kept in memory per process, keyed by the store's data dir, the account,
/// the domain and the certificate (its keyed hash, no number is kept in clear), taken once,
/// and only within [`FRESH_MS`] of the store's clock.
mod recent {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use beian_miit::v3::returns::StatusInfo;
    use beian_store::Store;

    use super::ValidCheck;

    /// How long a check's answers may be reused (store clock, ms).
    pub const FRESH_MS: i64 = 60_000;
    /// At most this many answers are kept (the oldest are dropped first).
    const CAPACITY: usize = 4096;

    pub type Answers = (Option<StatusInfo>, Option<StatusInfo>);

    #[derive(Debug, Clone, PartialEq, Eq, Hash)]
    pub struct Key(String);

    impl Key {
        pub fn new(store: &Store, account_id: &str, valid: &ValidCheck) -> Key {
            let cert = &valid.claim.certificate;
            let bidx = store
                .crypto()
                .blind_index(beian_store::crypto::Field::Certificate, &cert.number);
            let hex: String = bidx.iter().map(|b| format!("{b:02x}")).collect();
            Key(format!(
                "{}\u{0}{account_id}\u{0}{}\u{0}{}\u{0}{hex}",
                store.data_dir().display(),
                valid.service_key(),
                cert.certificate_type.as_str(),
            ))
        }
    }

    fn map() -> &'static Mutex<HashMap<Key, (i64, Answers)>> {
        static MAP: OnceLock<Mutex<HashMap<Key, (i64, Answers)>>> = OnceLock::new();
        MAP.get_or_init(Default::default)
    }

    pub fn record(key: Key, now_ms: i64, answers: Answers) {
        let mut m = map().lock().unwrap_or_else(|e| e.into_inner());
        if m.len() >= CAPACITY {
            m.retain(|_, (at, _)| now_ms - *at < FRESH_MS);
            if m.len() >= CAPACITY {
                m.clear();
            }
        }
        m.insert(key, (now_ms, answers));
    }

    pub fn take_fresh(key: &Key, now_ms: i64) -> Option<Answers> {
        let mut m = map().lock().unwrap_or_else(|e| e.into_inner());
        let (at, answers) = m.remove(key)?;
        ((0..FRESH_MS).contains(&(now_ms - at))).then_some(answers)
    }
}
