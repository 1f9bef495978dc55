//! The `bureau.upload` job: record the order's (or cancel request's) upload with the next
//! `dataSequence`, send every pending upload in number order, and on acceptance move the
//! order to the bureau with its notifications, in one transaction.
//!
//! Gap-free numbering: the number is taken in the transaction that records the upload
//! ([`beian_store::Tx::next_upload_sequence`]); a failed send leaves the upload pending and
//! the next try sends the same number and the same file. Uploads go out strictly in number
//! order, so an earlier undelivered upload holds the later ones back (the bureau would refuse
//! them with code 14). When the answer is lost or the bureau says the number is used, the
//! bureau's last accepted number (`isp_querypreviousupload`) settles whether it arrived.
//!
//! Abandoned orders (docs/bureau-interop.md, "Abandoned after approval"): an order abandoned
//! before its upload is numbered takes no number (the job reads the order again once it holds
//! the counter, which the abandon takes too); one abandoned after keeps its upload unless the
//! abandon withdrew it ([`beian_store::Tx::withdraw_upload`]), and the job still sends it.
//!
//! Sending and acceptance: [`super::deliver`]; the submission deadline: [`super::deadline`].

use std::net::Ipv4Addr;

use beian_core::kind::FilingKind;
use beian_core::order::OrderState;
use beian_core::province::Province;
use beian_miit::v3::codes::OperationType;
use beian_miit::v3::personal::Secret;
use beian_store::StoreError;
use beian_store::bureau::{NewUpload, Upload};
use beian_store::jobs::Job;
use beian_store::orders::Order;
use serde::Deserialize;

use super::build::{MaterialFile, RegistryIds, UploadInput, build};
use super::{Bureau, upload_retry_delay};
use crate::notify::JobOutcome;
use crate::workflow::{Forms, RegistryPrefill};

/// The actor of the bureau jobs' timeline entries and audit records.
pub const ACTOR: &str = "system:bureau";

/// A `bureau.upload` payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum UploadJob {
    Order { order_id: String },
    CancelAccess { cancel_access: CancelAccess },
    CancelAppAccess { cancel_app_access: CancelAppAccess },
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CancelAccess {
    pub access_id: String,
}

/// An APP's 取消接入 (issue 18).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CancelAppAccess {
    pub app_access_id: String,
}

/// Why a try failed: retry later, or give up (a data problem).
enum Failure {
    Retry(String),
    Fatal(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Failure {
        Failure::Retry(format!("store: {e}"))
    }
}

/// Runs one `bureau.upload` job.
pub async fn run_upload(b: &Bureau<'_>, job: &Job) -> JobOutcome {
    let request: UploadJob = match serde_json::from_value(job.payload.clone()) {
        Ok(r) => r,
        Err(e) => return JobOutcome::Failed(format!("bad bureau.upload payload: {e}")),
    };
    let upload = match ensure_upload(b, &request).await {
        Ok(Some(u)) => u,
        Ok(None) => return JobOutcome::Done,
        Err(Failure::Fatal(reason)) => {
            // A data problem no retry will fix: the admins must see it.
            if let UploadJob::Order { order_id } = &request
                && let Err(e) = super::deadline::upload_failed_alert(b, order_id, &reason).await
            {
                tracing::warn!(order = %order_id, error = %e, "upload failure alert not recorded");
            }
            return JobOutcome::Failed(reason);
        }
        Err(Failure::Retry(reason)) => {
            return JobOutcome::RetryAfter(upload_retry_delay(job.attempt), reason);
        }
    };
    if upload.status == "sent" {
        return JobOutcome::Done;
    }
    let flushed = super::deliver::flush(b).await;
    let delivered = match b.store.upload_by_key(&upload.job_key).await {
        Ok(u) => u.is_some_and(|u| u.status == "sent"),
        Err(e) => return JobOutcome::RetryAfter(upload_retry_delay(job.attempt), e.to_string()),
    };
    if delivered {
        return JobOutcome::Done;
    }
    if let Some(order_id) = &upload.order_id
        && let Err(e) = super::deadline::check_deadline(b, order_id).await
    {
        tracing::warn!(order = %order_id, error = %e, "deadline alert not recorded");
    }
    let reason = match flushed {
        Err(reason) => reason,
        Ok(()) => "an earlier upload is still pending".to_owned(),
    };
    tracing::warn!(upload = %upload.file_name, %reason, "bureau upload not delivered yet");
    JobOutcome::RetryAfter(upload_retry_delay(job.attempt), reason)
}

/// The upload of the job's subject: the one recorded before, or a new one (built and
/// recorded with the next number). `None` when there is nothing to send any more (an order
/// abandoned before its upload was numbered takes no number: docs/bureau-interop.md,
/// "Abandoned after approval").
async fn ensure_upload(b: &Bureau<'_>, request: &UploadJob) -> Result<Option<Upload>, Failure> {
    match request {
        UploadJob::Order { order_id } => {
            let order = b.store.order(order_id).await?;
            if order.state != OrderState::QueuedForBureau.as_str() {
                // Already delivered (or abandoned): send what may still be pending.
                return Ok(b
                    .store
                    .uploads_of_order(order_id)
                    .await?
                    .into_iter()
                    .find(|u| u.status == "pending"));
            }
            let key = format!("order:{order_id}:v{}", order.version);
            if let Some(u) = b.store.upload_by_key(&key).await? {
                return Ok(Some(u));
            }
            record_order_upload(b, &order, &key).await
        }
        UploadJob::CancelAccess { cancel_access } => {
            let key = format!("access:{}:cancel", cancel_access.access_id);
            if let Some(u) = b.store.upload_by_key(&key).await? {
                return Ok(Some(u));
            }
            let access = b.store.access(&cancel_access.access_id).await?;
            if access.status != beian_store::accesses::AccessStatus::Cancelling {
                return Ok(None);
            }
            record_cancel_upload(b, &access, &key).await.map(Some)
        }
        UploadJob::CancelAppAccess { cancel_app_access } => {
            let key = format!("app_access:{}:cancel", cancel_app_access.app_access_id);
            if let Some(u) = b.store.upload_by_key(&key).await? {
                return Ok(Some(u));
            }
            let access = b.store.app_access(&cancel_app_access.app_access_id).await?;
            if access.status != beian_store::accesses::AccessStatus::Cancelling {
                return Ok(None);
            }
            record_app_cancel_upload(b, &access, &key).await.map(Some)
        }
    }
}

fn parse_ips(ip: Option<&str>) -> Vec<Ipv4Addr> {
    ip.into_iter()
        .flat_map(|s| s.split([',', ' ']))
        .filter_map(|s| s.trim().parse().ok())
        .collect()
}

/// Everything the upload of an order is built from, read before the transaction.
struct OrderData {
    kind: FilingKind,
    province: Province,
    forms: Forms,
    sponsor_number: Option<String>,
    website_number: Option<String>,
    materials: Vec<MaterialFile>,
    ips: Vec<Ipv4Addr>,
    password_hash: Option<Secret>,
    registry_ids: RegistryIds,
}

async fn order_data(b: &Bureau<'_>, order: &Order) -> Result<OrderData, Failure> {
    let corrupt = |what: &str| Failure::Fatal(format!("order {}: bad {what}", order.id));
    let kind = FilingKind::parse(&order.kind).ok_or_else(|| corrupt("kind"))?;
    let province = Province::parse(&order.province).map_err(|_| corrupt("province"))?;
    let work = b.store.order_workflow(&order.id).await?;
    let forms = Forms::from_json(work.forms.as_ref()).map_err(|_| corrupt("forms"))?;
    let registry: RegistryPrefill =
        serde_json::from_value(work.registry.clone()).unwrap_or_default();
    let sponsor_number = match &order.sponsor_id {
        Some(id) => b.store.sponsor(id).await?.icp_number,
        None => None,
    }
    .or(registry.sponsor_number.clone());
    let website_number = match &order.website_id {
        Some(id) => b.store.website(id).await?.icp_number,
        None => None,
    }
    .or(registry.website_number.clone());
    let mut materials = Vec::new();
    for m in b.store.materials(&order.id).await? {
        let bytes = b.objects.get(&m.object_key).await.map_err(|e| match e {
            StoreError::NotFound { .. } => Failure::Fatal(format!(
                "material {} is missing from the object store",
                m.id
            )),
            e => Failure::Retry(format!("object store: {e}")),
        })?;
        materials.push(MaterialFile {
            kind: m.kind,
            content_type: m.content_type,
            bytes,
        });
    }
    // The server the order binds; for a 变更主体 or 变更网站 (no product of its own) the one
    // the website's access here is on: the change record carries the access as it stands.
    let mut service_number = work.service_number.clone();
    let mut storefront = work.product_line.as_deref() == Some("storefront");
    if work.product_line.is_none()
        && matches!(kind, FilingKind::ChangeSponsor | FilingKind::ChangeWebsite)
        && let Some(id) = &order.website_id
        && let Some(access) = b.store.open_access_of_website(id).await?
    {
        storefront = access.service_number.is_none();
        service_number = access.service_number;
    }
    let ips = match &service_number {
        None if storefront => parse_ips(Some(b.storefront_ips)),
        Some(n) => {
            let sn = b.store.service_number(n).await?;
            let instance = b.store.instance(&sn.instance_id).await?;
            parse_ips(instance.public_ip.as_deref())
        }
        None => Vec::new(),
    };
    let password_hash = b
        .store
        .bureau_secret(&format!("order:{}", order.id))
        .await?
        .map(Secret::new);
    let mut registry_ids = RegistryIds::default();
    if let Some(id) = &order.sponsor_id {
        registry_ids.sponsor = b.store.registry_id(&format!("sponsor:{id}")).await?;
    }
    if let Some(id) = &order.website_id {
        registry_ids.website = b.store.registry_id(&format!("website:{id}")).await?;
        if let Some(access) = b.store.open_access_of_website(id).await? {
            registry_ids.access = b
                .store
                .registry_id(&format!("access:{}", access.id))
                .await?;
        }
    }
    Ok(OrderData {
        registry_ids,
        kind,
        province,
        forms,
        sponsor_number,
        website_number,
        materials,
        ips,
        password_hash,
    })
}

/// Whether the order is still queued for the bureau as it was read (`order`), checked in
/// `tx` once it holds the `dataSequence` counter: an abandon that committed meanwhile is seen
/// (it takes the counter too), and then nothing is numbered for the order.
async fn still_queued(tx: &mut beian_store::Tx, order: &Order) -> Result<bool, StoreError> {
    let now = tx.order_now(&order.id).await?;
    Ok(now.state == OrderState::QueuedForBureau.as_str() && now.version == order.version)
}

/// Records the order's upload with the next number; `None` (nothing numbered) when the order
/// left `queued_for_bureau` meanwhile (abandoned).
async fn record_order_upload(
    b: &Bureau<'_>,
    order: &Order,
    key: &str,
) -> Result<Option<Upload>, Failure> {
    let data = order_data(b, order).await?;
    if data.forms.is_app() {
        return record_app_upload(b, order, key, &data).await;
    }
    let mut tx = b.store.begin().await?;
    let sequence = tx.next_upload_sequence().await?;
    if !still_queued(&mut tx, order).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    let built = build(&UploadInput {
        kind: data.kind,
        isp_id: b.isp_id,
        province: data.province,
        sequence,
        forms: &data.forms,
        sponsor_number: data.sponsor_number.as_deref(),
        website_number: data.website_number.as_deref(),
        registry_ids: data.registry_ids,
        materials: &data.materials,
        ips: &data.ips,
        password_hash: data.password_hash.clone(),
    })
    .map_err(|e| Failure::Fatal(format!("order {}: {e}", order.id)))?;
    insert(b, tx, sequence, key, Some(&order.id), None, &built)
        .await
        .map(Some)
}

/// An APP's order: beian's APP extension document (`urn:beian:miit-ext:app:1`,
/// [`super::build_app`]) with the upload's number as its record id (`IspAppid`), which the
/// bureau's result echoes. The simulator reports it under V3.0's operation codes (XZBA as
/// 新增备案, XZAPP as 新增网站, BGAPP as 变更备案).
async fn record_app_upload(
    b: &Bureau<'_>,
    order: &Order,
    key: &str,
    data: &OrderData,
) -> Result<Option<Upload>, Failure> {
    let fatal = |e: String| Failure::Fatal(format!("order {}: {e}", order.id));
    let Some(form) = &data.forms.app else {
        return Err(fatal("no APP form".to_owned()));
    };
    let app = form
        .checked()
        .ok_or_else(|| fatal("the APP's 特征信息 does not check".to_owned()))?;
    // The APP's number: ours once filed here, else the registry's (an access filing).
    let app_number = b
        .store
        .app_of_order(&order.id)
        .await?
        .and_then(|a| a.icp_number)
        .or(data.website_number.clone());
    let icon = data
        .materials
        .iter()
        .find(|m| m.kind == crate::materials::MaterialKind::AppIcon.as_str())
        .map(|m| {
            beian_core::app::icon(&m.bytes)
                .map(|t| (t, m.bytes.as_slice()))
                .map_err(|e| fatal(format!("APP icon: {e}")))
        })
        .transpose()?;
    let mut tx = b.store.begin().await?;
    let sequence = tx.next_upload_sequence().await?;
    if !still_queued(&mut tx, order).await? {
        tx.rollback().await?;
        return Ok(None);
    }
    let doc = super::build_app::build_app(&super::build_app::AppUploadInput {
        kind: data.kind,
        record_id: sequence,
        requester_id: b.isp_id,
        sponsor: &data.forms.sponsor,
        sponsor_number: data.sponsor_number.as_deref(),
        app_number: app_number.as_deref(),
        app: &app,
        service_content: &form.service_content,
        responsible: &form.responsible,
        icon,
        password_hash: data.password_hash.as_ref().map(Secret::expose),
    })
    .map_err(|e| fatal(e.to_string()))?;
    doc.check().map_err(|e| fatal(e.to_string()))?;
    let operation = match data.kind {
        FilingKind::FirstFiling => OperationType::FirstFiling,
        FilingKind::NewWebsite | FilingKind::NewWebsiteElsewhereSponsor => {
            OperationType::NewWebsite
        }
        FilingKind::ChangeWebsite => OperationType::Change,
        // V3.0 reports 继续接入 as 新增接入 (it has no code of its own).
        FilingKind::NewAccess | FilingKind::ContinueAccess => OperationType::NewAccess,
        FilingKind::CancelWebsite => OperationType::CancelWebsite,
        other => return Err(fatal(format!("APP filing of kind {other} is not built"))),
    };
    let xml = beian_miit::v3::xml::to_gbk_document(&doc)
        .map_err(|e| Failure::Fatal(format!("upload document: {e}")))?;
    let subject = sequence.to_string();
    let upload = tx
        .insert_upload(
            b.isp_id,
            sequence,
            &NewUpload {
                job_key: key,
                order_id: Some(&order.id),
                access_id: None,
                app_access_id: None,
                operation: i64::from(operation.code()),
                subject: &subject,
                xml: &xml,
            },
        )
        .await?;
    tx.commit().await?;
    tracing::info!(sequence, file = %upload.file_name, "bureau APP upload recorded");
    Ok(Some(upload))
}

/// An APP's 取消接入: the extension's `QXJR` with the sponsor's and the APP's numbers and
/// `ICPmm` (the password's hash put by the confirming request), the upload's number as its
/// record id; reported as V3.0's 取消接入.
async fn record_app_cancel_upload(
    b: &Bureau<'_>,
    access: &beian_store::app_accesses::AppAccess,
    key: &str,
) -> Result<Upload, Failure> {
    let fatal = |e: String| Failure::Fatal(format!("app access {}: {e}", access.id));
    let app = b.store.app(&access.app_id).await?;
    let sponsor = b.store.sponsor(&access.sponsor_id).await?;
    let password_hash = b
        .store
        .bureau_secret(&format!("app_access:{}", access.id))
        .await?
        .map(Secret::new);
    let mut tx = b.store.begin().await?;
    let sequence = tx.next_upload_sequence().await?;
    let doc = super::build_app::build_app_cancel_access(
        sequence,
        b.isp_id,
        sponsor.icp_number.as_deref(),
        app.icp_number.as_deref(),
        password_hash.as_ref().map(Secret::expose),
    )
    .map_err(|e| fatal(e.to_string()))?;
    doc.check().map_err(|e| fatal(e.to_string()))?;
    let xml = beian_miit::v3::xml::to_gbk_document(&doc)
        .map_err(|e| Failure::Fatal(format!("upload document: {e}")))?;
    let subject = sequence.to_string();
    let upload = tx
        .insert_upload(
            b.isp_id,
            sequence,
            &NewUpload {
                job_key: key,
                order_id: None,
                access_id: None,
                app_access_id: Some(&access.id),
                operation: i64::from(OperationType::CancelAccess.code()),
                subject: &subject,
                xml: &xml,
            },
        )
        .await?;
    tx.commit().await?;
    tracing::info!(sequence, file = %upload.file_name, "bureau APP cancel-access upload recorded");
    Ok(upload)
}

async fn record_cancel_upload(
    b: &Bureau<'_>,
    access: &beian_store::accesses::Access,
    key: &str,
) -> Result<Upload, Failure> {
    let website = b.store.website(&access.website_id).await?;
    let sponsor = b.store.sponsor(&access.sponsor_id).await?;
    let province = Province::parse(&sponsor.data.province)
        .map_err(|_| Failure::Fatal("access sponsor: bad province".to_owned()))?;
    let password_hash = b
        .store
        .bureau_secret(&format!("access:{}", access.id))
        .await?
        .map(Secret::new);
    let registry_ids = RegistryIds {
        sponsor: b
            .store
            .registry_id(&format!("sponsor:{}", sponsor.id))
            .await?,
        website: b
            .store
            .registry_id(&format!("website:{}", website.id))
            .await?,
        access: b
            .store
            .registry_id(&format!("access:{}", access.id))
            .await?,
    };
    let forms = Forms::default();
    let mut tx = b.store.begin().await?;
    let sequence = tx.next_upload_sequence().await?;
    let built = build(&UploadInput {
        kind: FilingKind::CancelAccess,
        isp_id: b.isp_id,
        province,
        sequence,
        forms: &forms,
        sponsor_number: sponsor.icp_number.as_deref(),
        website_number: website.icp_number.as_deref(),
        registry_ids,
        materials: &[],
        ips: &[],
        password_hash,
    })
    .map_err(|e| Failure::Fatal(format!("access {}: {e}", access.id)))?;
    insert(b, tx, sequence, key, None, Some(&access.id), &built).await
}

async fn insert(
    b: &Bureau<'_>,
    mut tx: beian_store::Tx,
    sequence: i64,
    key: &str,
    order_id: Option<&str>,
    access_id: Option<&str>,
    built: &super::build::BuiltUpload,
) -> Result<Upload, Failure> {
    let xml = beian_miit::v3::xml::to_gbk_document(&built.data)
        .map_err(|e| Failure::Fatal(format!("upload document: {e}")))?;
    let upload = tx
        .insert_upload(
            b.isp_id,
            sequence,
            &NewUpload {
                job_key: key,
                order_id,
                access_id,
                app_access_id: None,
                operation: i64::from(built.operation.code()),
                subject: &built.subject,
                xml: &xml,
            },
        )
        .await?;
    tx.commit().await?;
    tracing::info!(sequence, file = %upload.file_name, "bureau upload recorded");
    Ok(upload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn payloads_parse() {
        let cases = [
            (json!({"order_id": "o1"}), Some("order")),
            (
                json!({"cancel_access": {"access_id": "a1"}}),
                Some("cancel"),
            ),
            (
                json!({"cancel_app_access": {"app_access_id": "x1"}}),
                Some("cancel app"),
            ),
            (json!({"nothing": 1}), None),
        ];
        for (payload, want) in cases {
            let got = serde_json::from_value::<UploadJob>(payload.clone())
                .ok()
                .map(|j| match j {
                    UploadJob::Order { .. } => "order",
                    UploadJob::CancelAccess { .. } => "cancel",
                    UploadJob::CancelAppAccess { .. } => "cancel app",
                });
            assert_eq!(got, want, "{payload}");
        }
    }

    #[test]
    fn ips_are_read_from_the_instance() {
        assert_eq!(
            parse_ips(Some("203.0.113.7, 198.51.100.1")),
            vec![
                Ipv4Addr::new(203, 0, 113, 7),
                Ipv4Addr::new(198, 51, 100, 1)
            ]
        );
        assert!(parse_ips(Some("::1")).is_empty());
        assert!(parse_ips(None).is_empty());
    }
}
