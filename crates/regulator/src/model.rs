//! What providers upload and what the registry answers: sponsors, websites, accesses, the
//! filing requests the bureau reviews, and their results. These are the simulator's business
//! types; the SOAP adapter maps the V3.0 XML records onto them.

use beian_core::kind::FilingKind;
use beian_core::province::Province;
use serde::{Deserialize, Serialize};

use beian_miit::v3::results::ResultCode;

/// A person: a sponsor's or a website's responsible person.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub name: String,
    #[serde(default)]
    pub certificate_type: String,
    #[serde(default)]
    pub certificate_number: String,
    pub mobile: String,
    #[serde(default)]
    pub email: String,
}

impl std::fmt::Debug for Person {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Person")
            .field("name", &self.name)
            .field("certificate_number", &crate::mask(&self.certificate_number))
            .field("mobile", &crate::mask(&self.mobile))
            .finish()
    }
}

/// 主体: the organisation or person that runs websites, as filed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SponsorData {
    pub province: Province,
    /// `enterprise`, `individual`, `government`, `institution`, `social_group`, `military`, `other`.
    pub nature: String,
    /// `credit_code`, `resident_id`, `passport`, …
    pub certificate_type: String,
    pub certificate_number: String,
    pub name: String,
    #[serde(default)]
    pub address: String,
    pub responsible: Person,
}

impl std::fmt::Debug for SponsorData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SponsorData")
            .field("province", &self.province)
            .field("nature", &self.nature)
            .field("certificate_number", &crate::mask(&self.certificate_number))
            .field("name", &self.name)
            .field("responsible", &self.responsible)
            .finish()
    }
}

/// 网站: one site of a sponsor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebsiteData {
    pub name: String,
    pub domain: String,
    pub home_url: String,
    #[serde(default)]
    pub service_content: String,
    pub responsible: Person,
}

/// One platform's 特征信息 of an APP, as filed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppPlatformData {
    /// `android`, `ios` or `harmony`.
    pub platform: String,
    /// Package name, Bundle ID or bundle name.
    pub package: String,
    /// PEM public key, or its fingerprint as hex.
    pub public_key: String,
    /// MD5 (Android), SHA-1 (iOS) or SHA-256 (HarmonyOS) of the signing certificate, hex.
    pub signature_digest: String,
}

/// APP: a mobile application of a sponsor (APP备案).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppData {
    pub name: String,
    #[serde(default)]
    pub service_content: String,
    pub platforms: Vec<AppPlatformData>,
    pub responsible: Person,
}

/// 接入: how a provider hosts a website.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessData {
    #[serde(default)]
    pub ips: Vec<String>,
    #[serde(default)]
    pub method: String,
}

/// A website with this provider's access, as a first filing or a new website carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWebsite {
    pub website: WebsiteData,
    pub access: AccessData,
}

/// One filing a provider uploads for the bureau to review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FilingRequest {
    /// 首次备案: a sponsor not in the registry, with its websites.
    FirstFiling {
        sponsor: SponsorData,
        websites: Vec<NewWebsite>,
    },
    /// 新增网站 of a sponsor filed through this provider.
    NewWebsite {
        sponsor_number: String,
        website: NewWebsite,
    },
    /// 无主体新增网站: the sponsor filed through another provider; needs its password.
    NewWebsiteElsewhereSponsor {
        sponsor_number: String,
        /// `ICPmm`: the hex MD5 of the GBK-encoded filing password ([`crate::password::icp_mm`]),
        /// as uploads carry it; likewise in the other variants' `password`.
        password: String,
        website: NewWebsite,
    },
    /// 新增接入: add this provider's access to a filed website.
    NewAccess {
        website_number: String,
        password: String,
        access: AccessData,
    },
    /// 继续接入: as new access, for a sponsor already filed through this provider.
    ContinueAccess {
        website_number: String,
        password: String,
        access: AccessData,
    },
    /// 取消接入: remove this provider's access; the number stays.
    CancelAccess {
        website_number: String,
        password: String,
    },
    /// 变更主体: new sponsor data (the province may not change).
    ChangeSponsor {
        sponsor_number: String,
        sponsor: SponsorData,
    },
    /// 变更网站: new website data.
    ChangeWebsite {
        website_number: String,
        website: WebsiteData,
    },
    /// 变更接入: new access data of this provider.
    ChangeAccess {
        website_number: String,
        access: AccessData,
    },
    /// 注销主体: the sponsor and all its websites.
    CancelSponsor {
        sponsor_number: String,
        #[serde(default)]
        reason: String,
    },
    /// 注销网站: one website.
    CancelWebsite {
        website_number: String,
        #[serde(default)]
        reason: String,
    },
    /// APP 首次备案 (extension `urn:beian:miit-ext:app:1`, `XZBA`): a sponsor not in the
    /// registry, with its APP.
    FirstFilingApp { sponsor: SponsorData, app: AppData },
    /// 新增APP (`XZAPP`) of a sponsor this provider hosts; the APP's `-NA` comes from the
    /// sponsor's one sequence shared with its websites.
    NewApp {
        sponsor_number: String,
        app: AppData,
    },
    /// 新增接入 of an APP (`XZJR` of the extension): this provider hosts the filed APP
    /// `app_number` too.
    AppAccess {
        sponsor_number: String,
        app_number: String,
    },
    /// 变更APP (`BGAPP`): the filed APP `app_number` takes `app` (its name, service content,
    /// 特征信息 and responsible person); its number stays.
    ChangeApp {
        sponsor_number: String,
        app_number: String,
        app: AppData,
    },
    /// 取消接入 of an APP (`QXJR`): this provider no longer hosts the filed APP; the number
    /// stays. `password` is `ICPmm`, as V3.0's 取消接入 carries it.
    CancelAppAccess {
        sponsor_number: String,
        app_number: String,
        password: String,
    },
    /// 注销APP (`ZXAPP`): the APP's filing ends, its accesses with it.
    CancelApp {
        sponsor_number: String,
        app_number: String,
    },
}

impl FilingRequest {
    /// The kind of this request.
    pub fn kind(&self) -> FilingKind {
        match self {
            FilingRequest::FirstFiling { .. } => FilingKind::FirstFiling,
            FilingRequest::NewWebsite { .. } => FilingKind::NewWebsite,
            FilingRequest::NewWebsiteElsewhereSponsor { .. } => {
                FilingKind::NewWebsiteElsewhereSponsor
            }
            FilingRequest::NewAccess { .. } => FilingKind::NewAccess,
            FilingRequest::ContinueAccess { .. } => FilingKind::ContinueAccess,
            FilingRequest::CancelAccess { .. } => FilingKind::CancelAccess,
            FilingRequest::ChangeSponsor { .. } => FilingKind::ChangeSponsor,
            FilingRequest::ChangeWebsite { .. } => FilingKind::ChangeWebsite,
            FilingRequest::ChangeAccess { .. } => FilingKind::ChangeAccess,
            FilingRequest::CancelSponsor { .. } => FilingKind::CancelSponsor,
            FilingRequest::CancelWebsite { .. } => FilingKind::CancelWebsite,
            FilingRequest::FirstFilingApp { .. } => FilingKind::FirstFiling,
            FilingRequest::NewApp { .. } => FilingKind::NewWebsite,
            FilingRequest::ChangeApp { .. } => FilingKind::ChangeWebsite,
            FilingRequest::AppAccess { .. } => FilingKind::NewAccess,
            FilingRequest::CancelAppAccess { .. } => FilingKind::CancelAccess,
            FilingRequest::CancelApp { .. } => FilingKind::CancelWebsite,
        }
    }
}

/// The state of a submission at the bureau.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubmissionState {
    /// Waiting for the responsible persons to enter the SMS codes.
    SmsPending,
    /// In the bureau's review queue.
    Queued,
    Approved,
    /// Refused by a rule or an officer.
    Refused,
    /// Returned without review: SMS window expired or too many wrong codes.
    Returned,
}

impl SubmissionState {
    pub fn as_str(self) -> &'static str {
        match self {
            SubmissionState::SmsPending => "sms_pending",
            SubmissionState::Queued => "queued",
            SubmissionState::Approved => "approved",
            SubmissionState::Refused => "refused",
            SubmissionState::Returned => "returned",
        }
    }

    pub fn parse(s: &str) -> Option<SubmissionState> {
        [
            SubmissionState::SmsPending,
            SubmissionState::Queued,
            SubmissionState::Approved,
            SubmissionState::Refused,
            SubmissionState::Returned,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }

    pub fn is_open(self) -> bool {
        matches!(self, SubmissionState::SmsPending | SubmissionState::Queued)
    }
}

/// One code of the spec's 数据处理结果代码表 with its text, as a result carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodedReason {
    pub code: u32,
    pub text: String,
}

impl From<ResultCode> for CodedReason {
    fn from(code: ResultCode) -> CodedReason {
        CodedReason {
            code: code.code().into(),
            text: code.description_zh().to_owned(),
        }
    }
}

/// The numbers an approval issued or touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedNumbers {
    /// 主体备案号.
    pub sponsor_number: Option<String>,
    /// 网站备案号 with the domain each was issued for.
    pub websites: Vec<(String, String)>,
}

/// What the bureau sends back to the provider through `isp_download`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilingResult {
    /// The submission decided; `None` for a problem with the upload file itself.
    pub submission_id: Option<i64>,
    /// Opaque to the simulator: what the provider's upload named (file name, its own record
    /// ids…), echoed so the download can refer back to it.
    pub upload_ref: String,
    /// The kind decided; `None` for a problem with the upload file itself.
    pub kind: Option<FilingKind>,
    pub outcome: Outcome,
    /// RFC 3339 instant of the decision.
    pub decided_at: String,
}

/// Approved with numbers, or not with codes and reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// 1001 管局审核通过.
    Approved { numbers: IssuedNumbers },
    /// Refused by the bureau (1002 for an officer's refusal, or a rule's own code).
    Refused {
        codes: Vec<CodedReason>,
        reasons: Vec<String>,
    },
    /// Returned before review (SMS check failed or expired); carries 1002 and the reason.
    Returned {
        codes: Vec<CodedReason>,
        reasons: Vec<String>,
    },
}

/// One pending `isp_download` file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DownloadFile {
    pub file_name: String,
    pub result: FilingResult,
    /// How many times it was handed out before (re-sent until acknowledged).
    pub sent_before: u32,
}

/// What `isp_querybeianstatus` answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FilingStatus {
    /// Not filed (Bazt 1).
    NotFiled,
    /// A filed website (Bazt 0).
    Website {
        website_name: String,
        sponsor_number: String,
        website_number: String,
    },
    /// A filed sponsor (Bazt 0).
    Sponsor { sponsor_number: String },
}
