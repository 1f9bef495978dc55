//! What the bureau sends that beian does not act on (a rectification notice, a result that
//! answers no upload of ours) is kept and listed for admins at
//! `GET /api/v1/admin/bureau-downloads` (admins only); a job of an unknown kind ends `dead`
//! with its reason, visible, not dropped; an upload that cannot be built ends `dead` with an
//! alert for the admins, and takes no `dataSequence`.

use crate::harness::TestApp;
use crate::harness::setup::{queue_for_bureau, state_of};
use beian_miit::v3::client::ReceivedFile;
use beian_miit::v3::codes::{NoticeCategory, OperationType};
use beian_miit::v3::download::{
    DownloadData, FilingResult, FilingResults, IcpDownload, Notice, Notices, ResultItem,
};
use beian_miit::v3::results::ResultCode;
use beian_platform::bureau::Bureau;
use beian_platform::bureau::apply::{Applied, apply_file};
use beian_store::accounts::Role;
use beian_store::jobs::JobStatus;
use beian_store::testing;
use reqwest::StatusCode;
use serde_json::json;

fn notice() -> ReceivedFile {
    ReceivedFile {
        file_name: "1_20260309150000_0000000007.xml".into(),
        data: DownloadData::icp(IcpDownload {
            notices: Some(Notices {
                items: vec![Notice {
                    category: NoticeCategory::WebsiteRectification,
                    icp_number: Some("浙ICP备2021012345号-1".into()),
                    record_id: Some(330_011),
                    content: "请于10个工作日内更正网站负责人信息".into(),
                    remark: None,
                }],
            }),
            ..IcpDownload::default()
        }),
    }
}

fn stray_result() -> ReceivedFile {
    ReceivedFile {
        file_name: "1_20260309150000_0000000008.xml".into(),
        data: DownloadData::icp(IcpDownload {
            results: Some(FilingResults {
                results: vec![FilingResult {
                    items: vec![ResultItem::of(ResultCode::BureauApproved)],
                    operation: OperationType::NewAccess,
                    subject: Some("浙ICP备2099000001号-1".into()),
                    remark: None,
                }],
                reviews: None,
            }),
            ..IcpDownload::default()
        }),
    }
}

#[tokio::test]
async fn items_not_acted_on_are_listed_for_admins() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().auto_review_after(10).start(t).await;
        let store = &bed.store;
        let bureau = Bureau {
            store,
            objects: &bed.objects,
            client: bed.client.as_ref(),
            isp_id: 1,
            poll_interval: std::time::Duration::from_secs(60),
            storefront_ips: "203.0.113.80",
        };
        for file in [notice(), stray_result()] {
            assert_eq!(
                apply_file(&bureau, &file).await.unwrap(),
                Applied::New { acted: false }
            );
            assert_eq!(apply_file(&bureau, &file).await.unwrap(), Applied::Repeat);
        }

        bed.new_account("ada", Role::Admin, None).await;
        let ada = bed.login("ada").await;
        let (status, list) = ada.get("/admin/bureau-downloads?unacted=true").await;
        assert_eq!(status, StatusCode::OK, "{list}");
        let downloads = list["downloads"].as_array().unwrap();
        assert_eq!(downloads.len(), 2, "{list}");
        let notice = downloads
            .iter()
            .find(|d| d["category"] == "notice")
            .unwrap();
        assert_eq!(notice["acted"], false);
        assert_eq!(notice["summary"]["notices"], 1);
        assert!(
            notice["file"].to_string().contains("更正网站负责人信息"),
            "{notice}"
        );
        let stray = downloads
            .iter()
            .find(|d| d["category"] == "result")
            .unwrap();
        assert_eq!(stray["summary"]["results"][0]["codes"], json!([1001]));
        assert!(stray["applied_to"].is_null());

        let alice = bed.new_applicant("alice").await;
        let (status, _) = alice.get("/admin/bureau-downloads").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let rita = bed.new_reviewer("rita").await;
        let (status, _) = rita.get("/admin/bureau-downloads").await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    })
    .await;
}

#[tokio::test]
async fn a_job_of_an_unknown_kind_fails_visibly() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().auto_review_after(10).start(t).await;
        let store = &bed.store;
        let mut tx = store.begin().await.unwrap();
        let id = tx
            .enqueue_job("photo.purge-not-yet", &json!({"x": 1}), store.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        bed.eventually("the unknown job is dead", || async {
            store.job_info(&id).await.unwrap().status == JobStatus::Dead
        })
        .await;
        let info = store.job_info(&id).await.unwrap();
        assert_eq!(info.attempts, 1);
        assert!(
            info.last_error.unwrap().contains("unknown job kind"),
            "the reason is kept"
        );
    })
    .await;
}

#[tokio::test]
async fn an_upload_that_cannot_be_built_fails_visibly_without_burning_a_number() {
    testing::each_backend(async |t| {
        let bed = TestApp::new().auto_review_after(10).start(t).await;
        let store = &bed.store;
        let id = bed.reviewed_order("alice", 51, "broken-example.cn").await;
        // A material's file is gone from the object store.
        let material = store.materials(&id).await.unwrap().remove(0);
        bed.objects.delete(&material.object_key).await.unwrap();
        queue_for_bureau(store, &id).await;
        bed.eventually("the upload job is dead", || async {
            store
                .jobs_of_kind("bureau.upload")
                .await
                .unwrap()
                .iter()
                .all(|(_, status, _, _)| *status == JobStatus::Dead)
        })
        .await;
        let alerts = store.open_alerts().await.unwrap();
        assert_eq!(alerts.len(), 1, "{alerts:?}");
        assert_eq!(alerts[0].kind, "bureau_upload_failed");
        assert_eq!(alerts[0].subject, format!("order:{id}"));
        assert!(
            alerts[0].details["reason"]
                .as_str()
                .unwrap()
                .contains("missing from the object store"),
            "{alerts:?}"
        );
        assert_eq!(store.last_upload_sequence().await.unwrap(), 0);
        assert_eq!(state_of(store, &id).await, "queued_for_bureau");
    })
    .await;
}
