//! Applying one downloaded file, in one transaction: the file is recorded by name first, and
//! a file recorded before changes nothing. Each result (`BAJG`/`Jg_xx`) is matched to the
//! accepted upload it answers by its operation `Czlx` and identifier `Bs`:
//!
//! - 1001 (approved) for an order: `at_bureau` (or `sms_pending`: the bureau sends nothing
//!   when the SMS check passes, so `sms_verified` is recorded with the approval) → `approved`, with the sponsor's and website's numbers from the registry data
//!   (`BASJ`), the access record, the service number `filed`, and the `Approved` (and, for a
//!   first filing, `FilingPasswordIssued`) notifications. The timeline's approval entry says
//!   the record is being synced (`workflow.bureau_syncing`, "审核信息同步中") until
//!   [`super::poll`] sees it in the registry.
//! - any other code for an order: `bureau_returned` with the bureau's reasons (a failed or
//!   expired SMS check included: the simulator returns the filing with its reason), and the
//!   `ReturnedByBureau` notification.
//! - a change (变更主体, 变更网站, 变更接入) comes back as three results, one per part
//!   (sponsor, website, access): the first two are `bureau_part_approved` timeline entries,
//!   the order is approved with the last; any refused part returns it. On approval the
//!   forms become our records; 变更接入 moves the access to the order's service number;
//!   注销网站 / 注销主体 cancel the access(es) here and clear the numbers (see
//!   [`apply_cancellation`]).
//! - for a cancel-access upload (a website's, or an APP's: `app_access_id`): approved →
//!   access `cancelled`; refused → back to `active`, and the `CancelAccessRefused`
//!   notification with the bureau's reasons.
//! - an APP's order (issue 18) records the APP's access here (`app_accesses`) when it files
//!   or accesses the APP; 注销APP cancels that access and clears the APP's number, touching
//!   no website.
//!
//! - for an order abandoned here after its upload was numbered: a timeline entry
//!   `bureau_result_after_abandon` (approved or not, the codes) and nothing else; the order
//!   stays abandoned and the file is listed for the admins as not acted on.
//!
//! Whatever is not acted on (results matching no upload, 1060 for materials, blacklists,
//! notices, cancellations of records not ours) stays recorded with `acted = 0`, listed for
//! the admins.

use beian_core::kind::FilingKind;
use beian_core::order::{Event, OrderState, apply};
use beian_core::province::Province;
use beian_miit::v3::client::ReceivedFile;
use beian_miit::v3::download::{FilingResult, IcpDownload, Registration};
use beian_miit::v3::results::ResultCode;
use beian_store::StoreError;
use beian_store::accesses::{AccessStatus, NewAccess};
use beian_store::app_accesses::NewAppAccess;
use beian_store::bureau::DownloadRecord;
use beian_store::orders::{TimelineEvent, TransitionExtras};
use beian_store::products::ServiceNumberStatus;
use beian_store::workflow_support::FiledTable;
use serde_json::{Value, json};

use super::Bureau;
use super::build::RegistryIds;
use super::deliver::order_flow;
use super::submit::ACTOR;
use crate::notify::{Notification, ReturnReason};

/// The timeline event of one approved part of a change (not its last).
pub const PART_APPROVED: &str = "bureau_part_approved";

/// The timeline event of a bureau result for an order abandoned here (ignored).
pub const RESULT_AFTER_ABANDON: &str = "bureau_result_after_abandon";

/// The message key the approval's timeline entry carries until the record is synced.
pub const SYNCING_KEY: &str = "workflow.bureau_syncing";

/// What applying a file did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// Recorded now; `acted` says whether anything was changed.
    New { acted: bool },
    /// Recorded before: nothing done.
    Repeat,
}

fn summary(icp: Option<&IcpDownload>) -> Value {
    let Some(icp) = icp else {
        return json!({});
    };
    let results: Vec<Value> = icp
        .results
        .iter()
        .flat_map(|r| &r.results)
        .map(|r| {
            json!({
                "operation": r.operation.code(),
                "subject": r.subject,
                "codes": r.items.iter().map(|i| i.code).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({
        "results": results,
        "registrations": icp.registrations.as_ref().map_or(0, |r| r.items.len()),
        "cancelled": icp.cancelled.as_ref().map_or(0, |c| c.items.len()),
        "blacklist": icp.blacklist.is_some(),
        "notices": icp.notices.as_ref().map_or(0, |n| n.items.len()),
    })
}

fn category(icp: Option<&IcpDownload>) -> &'static str {
    match icp {
        Some(i) if i.results.is_some() => "result",
        Some(i) if i.blacklist.is_some() => "blacklist",
        Some(i) if i.notices.is_some() => "notice",
        Some(i) if i.registrations.is_some() => "registration",
        Some(i) if i.cancelled.is_some() => "cancellation",
        _ => "other",
    }
}

/// Applies `file` (see the module doc). Returns whether it was new.
pub async fn apply_file(b: &Bureau<'_>, file: &ReceivedFile) -> Result<Applied, StoreError> {
    let store = b.store;
    let icp = file.data.icp.as_ref();
    let mut tx = store.begin().await?;
    let mut acted_on = Vec::new();
    let mut ok = true;
    for result in icp.iter().flat_map(|i| &i.results).flat_map(|r| &r.results) {
        match apply_result(b, &mut tx, result, icp).await? {
            Some(target) => acted_on.push(target),
            None => ok = false,
        }
    }
    let acted = !acted_on.is_empty()
        && ok
        && icp.is_some_and(|i| i.blacklist.is_none() && i.notices.is_none());
    let payload = serde_json::to_value(&file.data)?;
    let recorded = tx
        .record_download(&DownloadRecord {
            file_name: file.file_name.clone(),
            category: category(icp).to_owned(),
            acted,
            applied_to: (!acted_on.is_empty()).then(|| acted_on.join(",")),
            summary: summary(icp),
            payload,
            received_at: store.now().timestamp_millis(),
        })
        .await?;
    if !recorded {
        tx.rollback().await?;
        return Ok(Applied::Repeat);
    }
    tx.commit().await?;
    Ok(Applied::New { acted })
}

fn approved(result: &FilingResult) -> bool {
    result
        .items
        .iter()
        .any(|i| i.result_code() == Some(ResultCode::BureauApproved))
}

fn reasons(result: &FilingResult) -> Vec<ReturnReason> {
    let mut out: Vec<ReturnReason> = result
        .items
        .iter()
        .map(|i| ReturnReason {
            field: "bureau".to_owned(),
            message: match &i.description {
                Some(d) => format!("{} {}", i.code, d.trim()),
                None => i.code.to_string(),
            },
        })
        .collect();
    if let Some(remark) = result.remark.as_ref().filter(|r| !r.trim().is_empty()) {
        out.push(ReturnReason {
            field: "bureau".to_owned(),
            message: remark.trim().to_owned(),
        });
    }
    out
}

/// Applies one result in `tx`; returns what it was applied to, or `None` if nothing.
async fn apply_result(
    b: &Bureau<'_>,
    tx: &mut beian_store::Tx,
    result: &FilingResult,
    icp: Option<&IcpDownload>,
) -> Result<Option<String>, StoreError> {
    let Some(subject) = result.subject.as_deref() else {
        return Ok(None);
    };
    let Some(upload) = b
        .store
        .sent_upload_by_subject(i64::from(result.operation.code()), subject)
        .await?
    else {
        return Ok(None);
    };
    if let Some(access_id) = &upload.access_id {
        let access = b.store.access(access_id).await?;
        if access.status != AccessStatus::Cancelling {
            return Ok(None);
        }
        let to = if approved(result) {
            AccessStatus::Cancelled
        } else {
            AccessStatus::Active
        };
        tx.set_access_status(ACTOR, access_id, AccessStatus::Cancelling, to)
            .await?;
        if to == AccessStatus::Active {
            // Refused (e.g. 1025, the site's only access): the customer is told why.
            let sponsor = b.store.sponsor(&access.sponsor_id).await?;
            if let Some(account_id) = &sponsor.data.account_id {
                let recipients = super::applicant_recipients(b.store, account_id).await?;
                let domain = b.store.website(&access.website_id).await?.data.domain;
                super::enqueue_notification(
                    tx,
                    &format!("access:{access_id}:refused:{subject}"),
                    &Notification::CancelAccessRefused {
                        domain,
                        reasons: reasons(result),
                    },
                    &recipients,
                )
                .await?;
            }
        }
        return Ok(Some(format!("access:{access_id}")));
    }
    if let Some(access_id) = &upload.app_access_id {
        return apply_app_cancel_access(b, tx, result, access_id, subject).await;
    }
    let Some(order_id) = &upload.order_id else {
        return Ok(None);
    };
    let order = b.store.order(order_id).await?;
    let (Some(kind), Ok(province), Some(state)) = (
        FilingKind::parse(&order.kind),
        Province::parse(&order.province),
        OrderState::parse(&order.state),
    ) else {
        return Err(StoreError::Corrupt("orders"));
    };
    if state == OrderState::Abandoned {
        // Abandoned after it was numbered (docs/bureau-interop.md, "Abandoned after
        // approval"): the bureau's decision is recorded on the order (timeline and audit)
        // and changes nothing; the file stays listed for the admins (not acted on).
        let mut event = TimelineEvent::new("bureau", RESULT_AFTER_ABANDON);
        event.note = json!({
            "upload": upload.job_key,
            "approved": approved(result),
            "codes": result.items.iter().map(|i| i.code).collect::<Vec<_>>(),
        });
        // The version as this transaction left it (one file may answer several parts).
        let version = tx.order_now(order_id).await?.version;
        tx.transition_order(order_id, version, state.as_str(), &event)
            .await?;
        return Ok(None);
    }
    if !matches!(state, OrderState::AtBureau | OrderState::SmsPending) {
        return Ok(None);
    }
    let work = b.store.order_workflow(order_id).await?;
    let now = b.store.now();
    let flow = order_flow(
        kind,
        province,
        work.flow.as_ref(),
        work.product_line.as_deref(),
        now,
    );
    // An APP's order (issue 18) names its APP where a website's names its domain.
    let app = match &order.website_id {
        Some(_) => None,
        None => b.store.app_of_order(order_id).await?,
    };
    let domain = match (&order.website_id, &app) {
        (Some(w), _) => b.store.website(w).await?.data.domain,
        (None, Some(a)) => a.data.name.clone(),
        (None, None) => String::new(),
    };
    let to = super::applicant_recipients(b.store, &order.account_id).await?;
    let mut version = order.version;
    let mut state = state;
    if approved(result) {
        // A change comes back part by part (sponsor, website, access): the order is approved
        // with its last part; the earlier ones are timeline entries.
        // An APP's change (BGAPP) comes back as one result.
        let parts = match app {
            Some(_) => 1,
            None => super::build::change_parts(kind),
        };
        if parts > 1 {
            let seen = b
                .store
                .order_timeline(order_id)
                .await?
                .iter()
                .filter(|e| {
                    e.event == PART_APPROVED
                        && e.note.get("upload").and_then(Value::as_str)
                            == Some(upload.job_key.as_str())
                })
                .count();
            if seen + 1 < parts {
                // The SMS check is over once the bureau decides a part.
                let next = if state == OrderState::SmsPending {
                    apply(state, Event::SmsVerified, &flow).unwrap_or(OrderState::AtBureau)
                } else {
                    state
                };
                let mut event = TimelineEvent::new("bureau", PART_APPROVED);
                event.note = json!({ "upload": upload.job_key, "part": seen + 1, "of": parts });
                tx.transition_order(order_id, version, next.as_str(), &event)
                    .await?;
                return Ok(Some(format!("order:{order_id}")));
            }
        }
        if state == OrderState::SmsPending {
            let next = apply(state, Event::SmsVerified, &flow).unwrap_or(OrderState::AtBureau);
            version = tx
                .transition_order(
                    order_id,
                    version,
                    next.as_str(),
                    &TimelineEvent::new("bureau", "sms_verified"),
                )
                .await?;
            state = next;
        }
        let next = apply(state, Event::BureauApprove, &flow).unwrap_or(OrderState::Approved);
        let mut event = TimelineEvent::new("bureau", "bureau_approve");
        event.note = json!({ "sync": SYNCING_KEY });
        version = tx
            .transition_order(order_id, version, next.as_str(), &event)
            .await?;
        let registration = icp
            .and_then(|i| i.registrations.as_ref())
            .and_then(|r| r.items.first());
        // Access kinds may come without registry data: the numbers are those the filing
        // check found.
        let prefill: crate::workflow::RegistryPrefill =
            serde_json::from_value(work.registry.clone()).unwrap_or_default();
        let (sponsor_number, website_number) = numbers(registration, &domain);
        let sponsor_number = sponsor_number.or(prefill.sponsor_number);
        let website_number = website_number.or(prefill.website_number);
        // The APP's `-NA` number: the registry data's `App_xx` (beian's APP extension).
        let app_filed = app.as_ref().and_then(|a| {
            let apps = &registration?.apps;
            apps.iter().find(|x| x.name == a.data.name).or(apps.first())
        });
        let website_number = website_number.or(app_filed.map(|x| x.icp_number.clone()));
        let cancels = matches!(kind, FilingKind::CancelSponsor | FilingKind::CancelWebsite);
        if let (true, Some(a)) = (cancels, &app) {
            apply_app_cancellation(b, tx, a).await?;
        } else if cancels {
            apply_cancellation(b, tx, &order, kind).await?;
        } else {
            if let (Some(id), Some(n)) = (&order.sponsor_id, &sponsor_number) {
                tx.set_icp_number(ACTOR, FiledTable::Sponsor, id, n).await?;
            }
            if let (Some(id), Some(n)) = (&order.website_id, &website_number) {
                tx.set_icp_number(ACTOR, FiledTable::Website, id, n).await?;
            }
            if let (Some(a), Some(filed)) = (&app, app_filed) {
                tx.set_icp_number(ACTOR, FiledTable::App, &a.id, &filed.icp_number)
                    .await?;
                tx.set_registry_id(&format!("app:{}", a.id), filed.id)
                    .await?;
            }
            record_filed_details(tx, &order, work.forms.as_ref(), app.as_ref()).await?;
        }
        let creates_access = kind.creates_access();
        let ids = registry_ids(registration, &domain, b.isp_id);
        if !cancels && let (Some(id), Some(z)) = (&order.sponsor_id, ids.sponsor) {
            tx.set_registry_id(&format!("sponsor:{id}"), z).await?;
        }
        if !cancels && let (Some(id), Some(w)) = (&order.website_id, ids.website) {
            tx.set_registry_id(&format!("website:{id}"), w).await?;
        }
        // 变更接入: the access here is now on the server the order binds.
        if kind == FilingKind::ChangeAccess
            && let (Some(website_id), Some(n)) = (&order.website_id, &work.service_number)
            && let Some(access) = b.store.open_access_of_website(website_id).await?
        {
            tx.set_access_service_number(ACTOR, &access.id, n).await?;
        }
        // An APP's access here (issue 18): its own record, never the gate's.
        if creates_access
            && let (Some(sponsor_id), Some(a)) = (&order.sponsor_id, &app)
            && b.store.open_access_of_app(&a.id).await?.is_none()
        {
            tx.insert_app_access(
                ACTOR,
                &NewAppAccess {
                    app_id: &a.id,
                    sponsor_id,
                    order_id: Some(order_id),
                    service_number: work.service_number.as_deref(),
                },
            )
            .await?;
        }
        if creates_access
            && let (Some(sponsor_id), Some(website_id)) = (&order.sponsor_id, &order.website_id)
            && b.store.open_access_of_website(website_id).await?.is_none()
        {
            let access_id = tx
                .insert_access(
                    ACTOR,
                    &NewAccess {
                        website_id,
                        sponsor_id,
                        order_id: Some(order_id),
                        service_number: work.service_number.as_deref(),
                    },
                )
                .await?;
            if let Some(j) = ids.access {
                tx.set_registry_id(&format!("access:{access_id}"), j)
                    .await?;
            }
        }
        if let Some(n) = &work.service_number {
            let sn = b.store.service_number(n).await?;
            if matches!(
                sn.status,
                ServiceNumberStatus::Bound | ServiceNumberStatus::Filing
            ) {
                tx.set_service_number_status(
                    ACTOR,
                    n,
                    sn.status,
                    ServiceNumberStatus::Filed,
                    Some(order_id),
                )
                .await?;
            }
        }
        let event_id = format!("order:{order_id}:v{version}");
        let notification = if cancels {
            // 注销主体 names no website: the sponsor's name stands in the texts.
            let subject = match (&order.sponsor_id, domain.is_empty()) {
                (Some(id), true) => b.store.sponsor(id).await?.data.name,
                _ => domain.clone(),
            };
            Notification::FilingCancelled {
                order_id: order_id.clone(),
                domain: subject,
                icp_number: match kind {
                    FilingKind::CancelSponsor => sponsor_number.clone(),
                    _ => website_number.clone(),
                }
                .unwrap_or_default(),
            }
        } else {
            Notification::Approved {
                order_id: order_id.clone(),
                domain: domain.clone(),
                icp_number: website_number.clone().unwrap_or_default(),
            }
        };
        super::enqueue_notification(tx, &event_id, &notification, &to).await?;
        if kind == FilingKind::FirstFiling
            && let Some(n) = &sponsor_number
        {
            let sponsor_name = registration.map(|r| r.sponsor.name.clone());
            super::enqueue_notification(
                tx,
                &format!("{event_id}.password"),
                &Notification::FilingPasswordIssued {
                    sponsor_name: sponsor_name.unwrap_or_default(),
                    icp_number: n.clone(),
                },
                &to,
            )
            .await?;
        }
    } else {
        let reasons = reasons(result);
        let next = apply(state, Event::BureauReturn, &flow).unwrap_or(OrderState::BureauReturned);
        let reasons_json = serde_json::to_value(&reasons)?;
        let mut event = TimelineEvent::new("bureau", "bureau_return");
        event.note = json!({ "codes": result.items.iter().map(|i| i.code).collect::<Vec<_>>() });
        version = tx
            .transition_order_with(
                order_id,
                version,
                next.as_str(),
                &event,
                &TransitionExtras {
                    return_reasons: Some(reasons_json),
                    ..TransitionExtras::default()
                },
            )
            .await?;
        super::enqueue_notification(
            tx,
            &format!("order:{order_id}:v{version}"),
            &Notification::ReturnedByBureau {
                order_id: order_id.clone(),
                domain,
                reasons,
            },
            &to,
        )
        .await?;
    }
    Ok(Some(format!("order:{order_id}")))
}

/// The bureau's result of an APP's 取消接入 (`QXJR`): approved → the APP's access here
/// `cancelled`; refused (1025 for the APP's only access, a wrong password) → back to
/// `active`, and the customer told why (`CancelAccessRefused`, naming the APP).
async fn apply_app_cancel_access(
    b: &Bureau<'_>,
    tx: &mut beian_store::Tx,
    result: &FilingResult,
    access_id: &str,
    subject: &str,
) -> Result<Option<String>, StoreError> {
    let access = b.store.app_access(access_id).await?;
    if access.status != AccessStatus::Cancelling {
        return Ok(None);
    }
    let to = if approved(result) {
        AccessStatus::Cancelled
    } else {
        AccessStatus::Active
    };
    tx.set_app_access_status(ACTOR, access_id, AccessStatus::Cancelling, to)
        .await?;
    if to == AccessStatus::Active {
        let sponsor = b.store.sponsor(&access.sponsor_id).await?;
        if let Some(account_id) = &sponsor.data.account_id {
            let recipients = super::applicant_recipients(b.store, account_id).await?;
            let name = b.store.app(&access.app_id).await?.data.name;
            super::enqueue_notification(
                tx,
                &format!("app_access:{access_id}:refused:{subject}"),
                &Notification::CancelAccessRefused {
                    domain: name,
                    reasons: reasons(result),
                },
                &recipients,
            )
            .await?;
        }
    }
    Ok(Some(format!("app_access:{access_id}")))
}

/// 注销APP approved: the APP's access here becomes `cancelled` and its filing ends here (its
/// `-NA` number cleared). No website is touched, nor the gate.
async fn apply_app_cancellation(
    b: &Bureau<'_>,
    tx: &mut beian_store::Tx,
    app: &beian_store::apps::App,
) -> Result<(), StoreError> {
    if let Some(access) = b.store.open_access_of_app(&app.id).await? {
        tx.set_app_access_status(ACTOR, &access.id, access.status, AccessStatus::Cancelled)
            .await?;
    }
    if app.icp_number.is_some() {
        tx.clear_icp_number(ACTOR, FiledTable::App, &app.id).await?;
    }
    Ok(())
}

/// 注销 approved: the website's (注销网站) or every website's of the sponsor (注销主体) access
/// here becomes `cancelled` (the gate stops serving the domain: `set_access_status` records
/// it for the gate in the same transaction) and their filing ends here (numbers cleared);
/// for 注销主体 the sponsor's too.
async fn apply_cancellation(
    b: &Bureau<'_>,
    tx: &mut beian_store::Tx,
    order: &beian_store::orders::Order,
    kind: FilingKind,
) -> Result<(), StoreError> {
    let Some(sponsor_id) = &order.sponsor_id else {
        return Err(StoreError::Corrupt("orders.sponsor_id"));
    };
    let websites: Vec<String> = match (kind, &order.website_id) {
        (FilingKind::CancelWebsite, Some(w)) => vec![w.clone()],
        _ => b
            .store
            .websites_of_sponsor(sponsor_id)
            .await?
            .into_iter()
            .map(|w| w.id)
            .collect(),
    };
    for access in b.store.accesses_of_sponsor(sponsor_id).await? {
        if websites.contains(&access.website_id) && access.status != AccessStatus::Cancelled {
            tx.set_access_status(ACTOR, &access.id, access.status, AccessStatus::Cancelled)
                .await?;
        }
    }
    for w in &websites {
        if b.store.website(w).await?.icp_number.is_some() {
            tx.clear_icp_number(ACTOR, FiledTable::Website, w).await?;
        }
    }
    if kind == FilingKind::CancelSponsor {
        tx.clear_icp_number(ACTOR, FiledTable::Sponsor, sponsor_id)
            .await?;
    }
    Ok(())
}

/// The registry's ids (`Ztid`, `Wzid`, and this provider's `Jrid`) of the sponsor and of the
/// website with `domain`, from the registry data.
fn registry_ids(registration: Option<&Registration>, domain: &str, isp_id: i64) -> RegistryIds {
    let Some(r) = registration else {
        return RegistryIds::default();
    };
    let website = r.websites.iter().find(|w| {
        w.domains
            .iter()
            .any(|d| d.domain.trim().eq_ignore_ascii_case(domain.trim()))
    });
    RegistryIds {
        sponsor: Some(r.sponsor.id),
        website: website.map(|w| w.id),
        access: website
            .and_then(|w| w.accesses.iter().find(|a| a.provider_id == isp_id))
            .map(|a| a.id),
    }
}

/// The sponsor's number and the number of the website with `domain`, from the registry data.
fn numbers(registration: Option<&Registration>, domain: &str) -> (Option<String>, Option<String>) {
    let Some(r) = registration else {
        return (None, None);
    };
    let website = r
        .websites
        .iter()
        .find(|w| {
            w.domains
                .iter()
                .any(|d| d.domain.trim().eq_ignore_ascii_case(domain.trim()))
        })
        .or(r.websites.first())
        .and_then(|w| w.icp_number.clone());
    (r.sponsor.icp_number.clone(), website)
}

/// The order's forms become the sponsor's and website's records here: what the registry now
/// holds (the responsible persons' contacts among them, which 取消接入 texts).
async fn record_filed_details(
    tx: &mut beian_store::Tx,
    order: &beian_store::orders::Order,
    forms: Option<&serde_json::Value>,
    app: Option<&beian_store::apps::App>,
) -> Result<(), StoreError> {
    let Ok(forms) = crate::workflow::Forms::from_json(forms) else {
        return Err(StoreError::Corrupt("order_workflow.forms"));
    };
    let person = |p: &crate::workflow::PersonForm| beian_store::sponsors::Person {
        name: p.name.clone(),
        certificate_type: p.certificate_type.clone(),
        certificate_number: p.certificate_number.clone(),
        mobile: p.mobile.clone(),
        email: p.email.clone(),
    };
    if let Some(id) = &order.sponsor_id
        && !forms.sponsor.responsible.mobile.is_empty()
    {
        tx.set_sponsor_details(
            ACTOR,
            id,
            &forms.sponsor.address,
            &person(&forms.sponsor.responsible),
        )
        .await?;
    }
    if let (Some(a), Some(form)) = (app, &forms.app) {
        tx.set_app_details(
            ACTOR,
            &a.id,
            &beian_store::apps::AppData {
                sponsor_id: a.data.sponsor_id.clone(),
                name: form.name.trim().to_owned(),
                package: a.data.package.clone(),
                service_content: form.service_content.clone(),
                details: json!({ "platforms": form.platforms }),
                responsible: person(&form.responsible),
            },
        )
        .await?;
    }
    if let Some(id) = &order.website_id
        && !forms.website.responsible.mobile.is_empty()
    {
        let w = &forms.website;
        tx.set_website_details(
            ACTOR,
            id,
            &beian_store::sponsors::WebsiteData {
                sponsor_id: order.sponsor_id.clone().unwrap_or_default(),
                name: w.name.clone(),
                domain: w.domain.clone(),
                home_url: w.home_url.clone(),
                service_content: w.service_content.clone(),
                details: json!({"languages": w.languages, "pre_approvals": w.pre_approvals}),
                responsible: person(&w.responsible),
            },
        )
        .await?;
    }
    Ok(())
}
