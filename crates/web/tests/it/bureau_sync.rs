//! Submission to the bureau and results sync against the in-process simulator over real
//! SOAP, on each backend, time driven by the simulated clock: an order queued for the bureau
//! is delivered, passes the SMS check, is approved and completed; the same result downloaded
//! twice is applied once; a job overdue at start runs once.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::harness::TestApp;
use crate::harness::bureau::MOBILE;
use crate::harness::setup::state_of;
use async_trait::async_trait;
use beian_miit::v3::client::{
    ClientError, DownloadOutcome, PreviousUploadOutcome, RegulatorClient,
};
use beian_miit::v3::codes::{QueryConditionType, ReturnCode};
use beian_miit::v3::returns::MethodReturn;
use beian_miit::v3::sequence::DataSequence;
use beian_miit::v3::upload::UploadData;
use beian_platform::bureau::{Bureau, poll};
use beian_platform::notify::open_notify_payload;
use beian_store::Store;
use beian_store::accesses::AccessStatus;
use beian_store::jobs::JobStatus;
use beian_store::outbox::Channel;
use beian_store::products::ServiceNumberStatus;
use beian_store::testing;
use serde_json::Value;

/// The events of the notification jobs enqueued so far (payloads opened).
async fn notify_events(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    for (_, _, _, payload) in store.jobs_of_kind("notify").await.unwrap() {
        let text = open_notify_payload(store, &payload).unwrap();
        let job: Value = serde_json::from_str(&text).unwrap();
        out.push(format!(
            "{}.{}",
            job["notification"]["event"].as_str().unwrap(),
            job["channel"].as_str().unwrap()
        ));
    }
    out
}

#[tokio::test]
async fn a_queued_order_is_delivered_approved_synced_and_completed() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().auto_review_after(10).start(t).await;
        let store = &bed.store;
        let id = bed.queued_order("alice", 11, "sync-example.cn").await;
        bed.deliver_and_verify_sms(&id).await;

        let uploads = store.uploads_of_order(&id).await.unwrap();
        assert_eq!(uploads.len(), 1);
        assert_eq!(
            (uploads[0].sequence, uploads[0].status.as_str()),
            (1, "sent")
        );
        let order = store.order(&id).await.unwrap();
        let work = store.order_workflow(&id).await.unwrap();
        let number = work.service_number.clone().unwrap();
        assert_eq!(
            store.service_number(&number).await.unwrap().status,
            ServiceNumberStatus::Filing
        );

        // The bureau decides 10 minutes after the SMS check; the next poll (a minute of the
        // clock later) applies it.
        bed.advance_minutes(11);
        bed.bureau_approved(1).await;
        bed.eventually("the order is completed", || async {
            state_of(store, &id).await == "completed"
        })
        .await;

        let sponsor = store
            .sponsor(order.sponsor_id.as_deref().unwrap())
            .await
            .unwrap();
        let website = store
            .website(order.website_id.as_deref().unwrap())
            .await
            .unwrap();
        let sponsor_number = sponsor.icp_number.clone().unwrap();
        let website_number = website.icp_number.clone().unwrap();
        assert!(sponsor_number.starts_with("浙ICP备"), "{sponsor_number}");
        assert_eq!(website_number, format!("{sponsor_number}-1"));
        // The registry's own ids, for later changes and cancellations.
        for record in [
            format!("sponsor:{}", sponsor.id),
            format!("website:{}", website.id),
        ] {
            assert!(
                store.registry_id(&record).await.unwrap().is_some(),
                "{record}"
            );
        }
        let access_id = store
            .open_access_of_website(&website.id)
            .await
            .unwrap()
            .unwrap()
            .id;
        assert!(
            store
                .registry_id(&format!("access:{access_id}"))
                .await
                .unwrap()
                .is_some(),
            "the access's Jrid, which a cancel access names"
        );
        let access = store
            .open_access_of_website(&website.id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(access.status, AccessStatus::Active);
        assert_eq!(access.order_id.as_deref(), Some(id.as_str()));
        assert_eq!(
            store.service_number(&number).await.unwrap().status,
            ServiceNumberStatus::Filed
        );

        let timeline = store.order_timeline(&id).await.unwrap();
        let events: Vec<&str> = timeline.iter().map(|e| e.event.as_str()).collect();
        let tail = &events[events.len() - 5..];
        assert_eq!(
            tail,
            [
                "sent_to_bureau",
                "sms_required",
                "sms_verified",
                "bureau_approve",
                "synced"
            ]
        );
        let approval = timeline
            .iter()
            .find(|e| e.event == "bureau_approve")
            .unwrap();
        assert_eq!(approval.note["sync"], "workflow.bureau_syncing");
        assert_eq!(
            beian_platform::workflow::messages().render(
                beian_core::i18n::Locale::ZhCn,
                "workflow.bureau_syncing",
                &[]
            ),
            "审核信息同步中"
        );

        let events = notify_events(store).await;
        for want in [
            "submitted_to_bureau.email",
            "sms_check_coming.sms",
            "approved.email",
            "filing_password_issued.email",
        ] {
            assert_eq!(
                events.iter().filter(|e| *e == want).count(),
                1,
                "{want} in {events:?}"
            );
        }
        // The jobs carry no contact data in clear, and the worker delivered them.
        for (_, status, _, payload) in store.jobs_of_kind("notify").await.unwrap() {
            assert!(!payload.to_string().contains(MOBILE), "{payload}");
            assert!(!payload.to_string().contains("@example.com"), "{payload}");
            assert_ne!(status, JobStatus::Dead);
        }
        bed.eventually("the notifications are sent", || async {
            store
                .jobs_of_kind("notify")
                .await
                .unwrap()
                .iter()
                .all(|(_, s, _, _)| *s == JobStatus::Done)
        })
        .await;
        let mails = store.outbox(Channel::Mail, "sent", 100).await.unwrap();
        assert!(
            mails.iter().any(|m| m.payload["to"] == "alice@example.com"),
            "{mails:?}"
        );
        // The applied download is recorded and acted on.
        let downloads = store.bureau_downloads(false, 10).await.unwrap();
        assert_eq!(downloads.len(), 1, "{downloads:?}");
        assert!(downloads[0].acted);
        assert_eq!(
            downloads[0].applied_to.as_deref(),
            Some(format!("order:{id}").as_str())
        );
    })
    .await;
}

/// Validates a download file against the V3.0 schema with xmllint (skipped with a notice
/// when xmllint is missing, unless `CI=true`), and asserts that no schema error concerns the
/// accesses (`Jr_xx`, which a cancel access relies on). The simulator's registry data has
/// known gaps elsewhere (empty `Zjzs`, a sponsor's `Fzr` without contact, empty `Yylb`),
/// which are the regulator's to fix, so they are printed, not asserted.
fn check_download_accesses(data: &beian_miit::v3::download::DownloadData) {
    use std::process::Command;
    if Command::new("xmllint").arg("--version").output().is_err() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "xmllint is required in CI"
        );
        eprintln!("NOTICE: xmllint not found; schema validation skipped");
        return;
    }
    let xsd =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../miit/xsd/download-data.xsd");
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("download.xml");
    std::fs::write(&file, beian_miit::v3::xml::to_utf8_document(data).unwrap()).unwrap();
    let out = Command::new("xmllint")
        .arg("--noout")
        .arg("--schema")
        .arg(&xsd)
        .arg(&file)
        .output()
        .unwrap();
    let errors = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        eprintln!("NOTICE: the simulator's download has schema gaps:\n{errors}");
    }
    for element in [
        "Jr_xx", "Jrid", "Ispid", "Wzfb", "Fbdd", "Wzjrfs", "Jrfs", "Ip_xx", "Ipid", "Qsip", "Zzip",
    ] {
        assert!(
            !errors.contains(&format!("element {element}:")),
            "{element}: {errors}"
        );
    }
}

/// A client that loses the first acknowledgement (the bureau sends the file again).
struct LosesFirstAck {
    inner: Arc<dyn RegulatorClient>,
    lost: AtomicBool,
    seen: std::sync::Mutex<Vec<beian_miit::v3::download::DownloadData>>,
}

#[async_trait]
impl RegulatorClient for LosesFirstAck {
    async fn upload(
        &self,
        data: &UploadData,
        sequence: DataSequence,
        file_name: &str,
    ) -> Result<MethodReturn, ClientError> {
        self.inner.upload(data, sequence, file_name).await
    }
    async fn download(&self) -> Result<DownloadOutcome, ClientError> {
        let outcome = self.inner.download().await?;
        if let Some(file) = &outcome.file {
            self.seen.lock().unwrap().push(file.data.clone());
        }
        Ok(outcome)
    }
    async fn download_ack(&self, file_name: &str) -> Result<MethodReturn, ClientError> {
        if !self.lost.swap(true, Ordering::SeqCst) {
            return Ok(MethodReturn::of(ReturnCode::Success));
        }
        self.inner.download_ack(file_name).await
    }
    async fn query_previous_upload(&self) -> Result<PreviousUploadOutcome, ClientError> {
        self.inner.query_previous_upload().await
    }
    async fn query_beian_status(
        &self,
        condition_type: QueryConditionType,
        condition: &str,
    ) -> Result<MethodReturn, ClientError> {
        self.inner
            .query_beian_status(condition_type, condition)
            .await
    }
    async fn verify_password(
        &self,
        icp_number: &str,
        password: &str,
    ) -> Result<MethodReturn, ClientError> {
        self.inner.verify_password(icp_number, password).await
    }
}

#[tokio::test]
async fn the_same_result_downloaded_twice_is_applied_once() {
    testing::each_backend(async |t| {
        // The worker's own polls are a month apart: this test polls by hand.
        let bed = TestApp::new()
            .auto_review_after(10)
            .settings(|s| s.worker.poll_interval = std::time::Duration::from_secs(30 * 86_400))
            .start(t)
            .await;
        let store = &bed.store;
        let id = bed.queued_order("bob", 12, "twice-example.cn").await;
        bed.deliver_and_verify_sms(&id).await;
        bed.advance_minutes(11);
        bed.bureau_approved(1).await;

        let client = LosesFirstAck {
            inner: bed.client.clone(),
            lost: AtomicBool::new(false),
            seen: std::sync::Mutex::new(Vec::new()),
        };
        let bureau = Bureau {
            store,
            objects: &bed.objects,
            client: &client,
            isp_id: 1,
            poll_interval: std::time::Duration::from_secs(60),
            storefront_ips: "203.0.113.80",
        };
        let report = poll::poll_once(&bureau).await.unwrap();
        assert_eq!((report.files, report.repeats), (2, 1), "{report:?}");
        assert_eq!(report.completed, 1);
        // A later poll finds nothing: the second download was acknowledged.
        let again = poll::poll_once(&bureau).await.unwrap();
        assert_eq!(again.files, 0, "{again:?}");

        assert_eq!(state_of(store, &id).await, "completed");
        // The simulated bureau's registry data lists our access (Jrid), schema-valid.
        let seen = client.seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen[0], seen[1], "the same file twice");
        let registration = &seen[0]
            .icp
            .as_ref()
            .unwrap()
            .registrations
            .as_ref()
            .unwrap()
            .items[0];
        assert_eq!(registration.websites[0].accesses[0].provider_id, 1);
        check_download_accesses(&seen[0]);
        let timeline = store.order_timeline(&id).await.unwrap();
        assert_eq!(
            timeline
                .iter()
                .filter(|e| e.event == "bureau_approve")
                .count(),
            1
        );
        let order = store.order(&id).await.unwrap();
        let sponsor = order.sponsor_id.unwrap();
        assert_eq!(store.accesses_of_sponsor(&sponsor).await.unwrap().len(), 1);
        let approvals = notify_events(store)
            .await
            .into_iter()
            .filter(|e| e.starts_with("approved."))
            .count();
        assert_eq!(approvals, 2, "one email and one SMS");
        assert_eq!(store.bureau_downloads(false, 10).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn a_job_overdue_at_start_runs_once() {
    testing::each_backend(async |t| {
        // Queued while "the server was down": due an hour ago.
        let store = &t.store;
        let overdue = store.now() - chrono::Duration::hours(1);
        let notification = beian_platform::notify::Notification::SubmittedToBureau {
            order_id: "o-overdue".into(),
            domain: "overdue-example.cn".into(),
        };
        let to = beian_platform::notify::Recipients {
            email: Some(beian_platform::notify::Contact::new("late@example.com")),
            mobile: None,
            locale: beian_core::i18n::Locale::ZhCn,
        };
        let job = beian_platform::notify::jobs_for("overdue", &notification, &to)
            .pop()
            .unwrap();
        let payload = beian_platform::notify::seal_notify_job(store, &job).unwrap();
        let mut tx = store.begin().await.unwrap();
        let id = tx.enqueue_job("notify", &payload, overdue).await.unwrap();
        tx.commit().await.unwrap();
        let mail_to_late = async |store: &Store| {
            store
                .outbox(Channel::Mail, "sent", 100)
                .await
                .unwrap()
                .into_iter()
                .filter(|m| m.payload["to"] == "late@example.com")
                .count()
        };
        // Two instances start (two workers): the job runs once, at start.
        let one = TestApp::new().auto_review_after(10).start(t).await;
        let two = TestApp::new().auto_review_after(10).start(t).await;
        one.settle().await;
        two.settle().await;
        assert_eq!(store.job_info(&id).await.unwrap().status, JobStatus::Done);
        let info = store.job_info(&id).await.unwrap();
        assert_eq!(info.attempts, 1, "{info:?}");
        assert_eq!(mail_to_late(&one.store).await, 1);
        assert_eq!(mail_to_late(&two.store).await, 1);
    })
    .await;
}
