//! The staff pages of the bureau and the administration (issue 11): the bureau status page
//! (reviewers and admins) and the admins' products, storefronts, rules, holidays and outbox
//! pages, for each role in zh-CN and en with their key content; the holiday editor's year
//! seen by the API afterwards and its past-the-calendar warning; a dead message retried from
//! the outbox page; a service number revoked from the page and seen revoked by the API; a
//! form without the CSRF token refused. On SQLite and PostgreSQL (PostgreSQL skipped with a
//! notice when there is none, unless CI=true).

use beian_store::accounts::Role;
use beian_store::bureau::{DownloadRecord, NewUpload};
use beian_store::testing;
use chrono::{DateTime, Duration, Utc};
use reqwest::StatusCode;
use serde_json::json;

use crate::harness::TestApp;
use crate::harness::browser::Browser;

const BUREAU_PAGE: &str = "/staff/bureau";
const ADMIN_PAGES: [&str; 5] = [
    "/staff/products",
    "/staff/storefronts",
    "/staff/rules",
    "/staff/holidays",
    "/staff/outbox",
];

/// Monday 2026-12-07, 10:00 in Shanghai: the builtin holidays reach 2026-12-21.
fn start() -> DateTime<Utc> {
    "2026-12-07T02:00:00Z".parse().unwrap()
}

fn save(name: &str, body: &str) {
    if let Some(dir) = std::env::var_os("BEIAN_SAVE_PAGES") {
        std::fs::write(std::path::Path::new(&dir).join(name), body).unwrap();
    }
}

#[tokio::test]
async fn the_bureau_and_admin_pages_for_each_role_in_both_languages() {
    testing::each_backend(async |t| {
        let app = TestApp::new()
            .clock_at(start())
            .without_worker()
            .start(t)
            .await;
        let alice = app.new_user("alice", Role::Applicant).await;
        let h = Duration::hours;
        // One order queued for the bureau with a failed send; one blacklist file not acted on.
        let queued = app
            .order_through(
                &alice.account_id,
                &[
                    (h(1), "provider_review", None),
                    (h(1), "queued_for_bureau", None),
                ],
            )
            .await;
        let mut tx = app.store.begin().await.unwrap();
        let sequence = tx.next_upload_sequence().await.unwrap();
        let key = format!("order:{queued}:v3");
        let upload = tx
            .insert_upload(
                1,
                sequence,
                &NewUpload {
                    job_key: &key,
                    order_id: Some(&queued),
                    access_id: None,
                    app_access_id: None,
                    operation: 1,
                    subject: "bs-queued",
                    xml: b"<x/>",
                },
            )
            .await
            .unwrap();
        tx.record_download(&DownloadRecord {
            file_name: "download-blacklist-0001.xml".into(),
            category: "blacklist".into(),
            acted: false,
            applied_to: None,
            summary: json!({"operation": "blacklist", "entries": 1}),
            payload: json!({"name": "张三丰", "id": "330106199001011234"}),
            received_at: app.clock.now().timestamp_millis(),
        })
        .await
        .unwrap();
        tx.commit().await.unwrap();
        app.store
            .note_upload_failure(&upload.id, "connection refused by 192.0.2.1 (test)")
            .await
            .unwrap();

        // An applicant: 403 everywhere.
        for lang in ["zh-CN", "en"] {
            let mut b = Browser::of(&app, &alice, lang);
            for path in ADMIN_PAGES.iter().chain([&BUREAU_PAGE]) {
                let page = b.get(path).await;
                assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
                page.lacks(&["href=\"/staff/bureau\""]);
            }
        }

        // A reviewer: the bureau page (in the navigation), 403 on the admins' pages.
        let wang = app.new_reviewer("wang").await;
        let mut zh = Browser::of(&app, &wang, "zh-CN");
        let page = zh.open(BUREAU_PAGE).await;
        save("bureau.html", &page.body);
        page.has(&[
            "管局报送",
            "待报送管局的订单",
            &format!("href=\"/staff/orders/{queued}\""),
            "报送失败的上传",
            "connection refused",
            "未处理的下发文件",
            "黑名单",
            "download-blacklist-0001.xml",
            "entries: 1",
            "href=\"/staff/bureau\"",
        ]);
        // The file's persons stay out of the page.
        page.lacks(&["张三丰", "330106199001011234", "href=\"/staff/outbox\""]);
        let mut en = Browser::of(&app, &wang, "en");
        let page = en.open(BUREAU_PAGE).await;
        save("bureau-en.html", &page.body);
        page.has(&[
            "Bureau status",
            "Queued for the bureau",
            "Failed sends",
            "Downloads not acted on",
            "Blacklist",
        ]);
        for path in ADMIN_PAGES {
            for b in [&mut zh, &mut en] {
                assert_eq!(b.get(path).await.status, StatusCode::FORBIDDEN, "{path}");
            }
        }

        // An admin: every page, each in the navigation.
        let root = app.new_admin("root").await;
        let (status, sub) = root
            .post(
                "/admin/storefront-subscriptions",
                json!({"username": "alice",
                   "term_end": (app.clock.now() + Duration::days(365)).timestamp_millis()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{sub}");
        let mut zh = Browser::of(&app, &root, "zh-CN");
        let mut en = Browser::of(&app, &root, "en");
        let nav = zh.open(BUREAU_PAGE).await;
        for path in ADMIN_PAGES {
            nav.has(&[&format!("href=\"{path}\"")]);
        }
        let zh_content: [(&str, &[&str]); 5] = [
            (
                "/staff/products",
                &[
                    "产品与服务号",
                    "服务号策略",
                    "每个实例最多有效服务号数",
                    "还没有产品实例",
                ],
            ),
            ("/staff/storefronts", &["旺铺订阅", "alice", "有效"]),
            (
                "/staff/rules",
                &[
                    "省份规则",
                    "sms-pilot-7-provinces",
                    "生效中",
                    "已被",
                    "全国",
                ],
            ),
            (
                "/staff/holidays",
                &[
                    "节假日",
                    "已载入的年份",
                    "2026",
                    "内置数据",
                    "录入或替换一年的放假安排",
                ],
            ),
            (
                "/staff/outbox?channel=sms",
                &["消息与报送", "短信", "发送任务", "发件记录"],
            ),
        ];
        for (path, texts) in zh_content {
            let page = zh.open(path).await;
            save(
                &format!(
                    "{}.html",
                    path.trim_start_matches("/staff/")
                        .split('?')
                        .next()
                        .unwrap()
                ),
                &page.body,
            );
            page.has(texts);
        }
        let en_content: [(&str, &[&str]); 5] = [
            (
                "/staff/products",
                &["Products and numbers", "Service-number policy"],
            ),
            ("/staff/storefronts", &["Storefronts", "alice", "Active"]),
            (
                "/staff/rules",
                &["Province rules", "In force", "Superseded by"],
            ),
            (
                "/staff/holidays",
                &["Holidays", "Years loaded", "Builtin data"],
            ),
            ("/staff/outbox", &["Outbox", "Mail", "Delivery jobs"]),
        ];
        for (path, texts) in en_content {
            let page = en.open(path).await;
            save(
                &format!("{}-en.html", path.trim_start_matches("/staff/")),
                &page.body,
            );
            page.has(texts);
        }
        // The rules as of a day before the nationwide SMS check: that version is still to come.
        zh.open("/staff/rules?at=2019-06-01&province=12")
            .await
            .has(&["尚未生效", "2019-06-01", "sms-pilot-7-provinces"]);
        assert_eq!(
            zh.get("/staff/rules?at=notaday").await.status,
            StatusCode::BAD_REQUEST
        );
    })
    .await;
}

#[tokio::test]
async fn a_year_added_in_the_holiday_editor_is_in_force_and_lifts_the_warning() {
    testing::each_backend(async |t| {
        let app = TestApp::new()
            .clock_at(start())
            .without_worker()
            .start(t)
            .await;
        let alice = app.new_user("alice", Role::Applicant).await;
        // An order due to the bureau on 2027-01-05: past the data (2027 has no notice yet).
        let due: DateTime<Utc> = "2027-01-05T15:59:59.999Z".parse().unwrap();
        let late = app
            .order_through(
                &alice.account_id,
                &[(
                    Duration::hours(1),
                    "queued_for_bureau",
                    Some(json!({"bureau_submit": due.timestamp_millis()})),
                )],
            )
            .await;
        let root = app.new_admin("root").await;
        let mut b = Browser::of(&app, &root, "zh-CN");
        let page = b.open("/staff/holidays").await;
        page.has(&[
            "节假日数据将于 2026-12-21 后用完",
            "有 1 个未完结订单的截止日期超出了节假日数据",
            "数据截至 2026-12-21",
            &format!("{late}（2027-01-05）"),
        ]);
        b.in_lang("en")
            .open("/staff/holidays")
            .await
            .has(&["1 open order has a deadline past the holiday data"]);

        // A bad line is named beside the schedule; nothing is stored.
        let bad = b
            .fill(
                "/staff/holidays",
                "/staff/holidays",
                &[
                    ("year", "2027"),
                    (
                        "notice",
                        "国务院办公厅关于2027年部分节假日安排的通知（测试）",
                    ),
                    ("schedule", "元旦: 2027-01-01\n春节 2027-02-05"),
                ],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        bad.has(&["id=\"e-schedule\"", "第 2 行：名称后应有冒号"]);
        // A date the service refuses: named by its holiday.
        let refused = b
            .fill(
                "/staff/holidays",
                "/staff/holidays",
                &[
                    ("year", "2027"),
                    ("notice", "测试"),
                    (
                        "schedule",
                        "元旦: 2027-01-01\n春节: 2027-02-30 ~ 2027-03-01",
                    ),
                ],
            )
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        refused.has(&["id=\"e-schedule\"", "第 2 个假期"]);
        let (_, year) = root.get("/admin/holidays/2027").await;
        assert_eq!(year["source"], "none", "{year}");

        let saved = b
            .fill(
                "/staff/holidays",
                "/staff/holidays",
                &[
                    ("year", "2027"),
                    (
                        "notice",
                        "国务院办公厅关于2027年部分节假日安排的通知（测试）",
                    ),
                    (
                        "schedule",
                        "元旦 / New Year's Day: 2027-01-01 ~ 2027-01-03\n\
                     春节 / Spring Festival: 2027-02-05 ~ 2027-02-11; 班 2027-02-20",
                    ),
                ],
            )
            .await;
        assert_eq!(saved.location(), "/staff/holidays", "{}", saved.body);
        // The API sees the year as entered.
        let (status, year) = root.get("/admin/holidays/2027").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(year["source"], "database", "{year}");
        let holidays = year["schedule"]["holidays"].as_array().unwrap();
        assert_eq!(holidays.len(), 2, "{year}");
        assert_eq!(holidays[1]["name_en"], "Spring Festival");
        assert_eq!(holidays[1]["make_up"], json!(["2027-02-20"]));
        // The warning is gone, the flash said so, and the year is listed as an admin's.
        let page = b.open("/staff/holidays").await;
        page.has(&[
            "放假安排已保存",
            "节假日数据覆盖至 2027-12-21",
            "管理员录入（root，",
        ]);
        // The admin by login name, not by account id.
        page.lacks(&["超出了节假日数据", "account:"]);
        // Its schedule fills the form again for a change.
        b.open("/staff/holidays?year=2027")
            .await
            .has(&["春节 / Spring Festival: 2027-02-05 ~ 2027-02-11; 班 2027-02-20"]);
        // Deleted from the page: the API sees none again.
        b.fill(
            "/staff/holidays",
            "/staff/holidays/delete",
            &[("year", "2027")],
        )
        .await;
        let (_, year) = root.get("/admin/holidays/2027").await;
        assert_eq!(year["source"], "none", "{year}");
    })
    .await;
}

#[tokio::test]
async fn a_dead_message_is_retried_from_the_outbox_page() {
    testing::each_backend(async |t| {
        let app = TestApp::new()
            .clock_at(start())
            .without_worker()
            .start(t)
            .await;
        // A text that failed for good (its one attempt used up).
        let mut tx = app.store.begin().await.unwrap();
        let job = tx
            .enqueue_job_with(
                "notify",
                &json!({"channel": "sms", "to": "13812345678",
                    "notification": {"event": "order_approved"}}),
                app.clock.now(),
                1,
            )
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let claimed = app
            .store
            .claim_jobs("test", 10, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        let ours = claimed.iter().find(|j| j.id == job).unwrap();
        app.store
            .fail_job(ours, "gateway said 503 for 13812345678")
            .await
            .unwrap();

        let root = app.new_admin("root").await;
        let job_status = async |root: &crate::harness::Session| {
            let (status, page) = root.get("/admin/outbox?channel=sms").await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let j = page["jobs"]
                .as_array()
                .unwrap()
                .iter()
                .find(|j| j["id"] == job.as_str())
                .cloned()
                .unwrap();
            (
                j["status"].as_str().unwrap().to_owned(),
                j["attempts"].as_i64().unwrap(),
            )
        };
        assert_eq!(job_status(&root).await, ("dead".to_owned(), 1));

        let mut b = Browser::of(&app, &root, "zh-CN");
        let page = b.open("/staff/outbox?channel=sms").await;
        save("outbox-dead.html", &page.body);
        page.has(&[
            "1 条消息已失败且不再重试",
            "order_approved",
            "138****5678",
            "已失败",
            "重新发送：order_approved",
        ]);
        // Masked: the mobile appears nowhere in full, not even in the stored error.
        page.lacks(&["13812345678"]);
        b.in_lang("en")
            .open("/staff/outbox?channel=sms")
            .await
            .has(&["failed for good", "Retry: order_approved"]);

        // Without the token: refused, nothing changes.
        let base = app.base.clone();
        let refused = b
            .post_raw(
                "/staff/outbox/retry",
                &[("job", job.as_str()), ("channel", "sms")],
                Some(&base),
            )
            .await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert_eq!(job_status(&root).await.0, "dead");

        let retried = b
            .fill(
                "/staff/outbox?channel=sms",
                "/staff/outbox/retry",
                &[("job", job.as_str())],
            )
            .await;
        assert_eq!(
            retried.location(),
            "/staff/outbox?channel=sms",
            "{}",
            retried.body
        );
        assert_eq!(job_status(&root).await, ("pending".to_owned(), 0));
        b.open("/staff/outbox?channel=sms")
            .await
            .has(&["已重新排队发送", "等待发送"]);
        // A job that is not dead is not retried: the page says why.
        let again = b
            .post(
                "/staff/outbox/retry",
                &[("job", job.as_str()), ("channel", "sms")],
            )
            .await;
        assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
        again.has(&["只有已失败（不再重试）的消息可以重新发送"]);
        // The API's twin: refused while pending; once dead again, retried.
        let api_retry = format!("/admin/outbox/jobs/{job}/retry");
        let (status, err) = root.post(&api_retry, json!({})).await;
        assert_eq!(status, StatusCode::CONFLICT, "{err}");
        assert_eq!(err["error"]["code"], "job_not_dead", "{err}");
        let claimed = app
            .store
            .claim_jobs("test", 10, std::time::Duration::from_secs(60))
            .await
            .unwrap();
        let ours = claimed.iter().find(|j| j.id == job).unwrap();
        app.store.fail_job(ours, "gateway said 503").await.unwrap();
        assert_eq!(job_status(&root).await.0, "dead");
        let (status, retried) = root.post(&api_retry, json!({})).await;
        assert_eq!(status, StatusCode::OK, "{retried}");
        assert_eq!(
            (retried["status"].as_str(), retried["attempts"].as_i64()),
            (Some("pending"), Some(0))
        );
        // The retry is in the audit log.
        let (_, audit) = root.get("/admin/audit").await;
        assert_eq!(audit["records"][0]["action"], "job.retry", "{audit}");
    })
    .await;
}

#[tokio::test]
async fn service_numbers_issued_and_revoked_from_the_pages() {
    testing::each_backend(async |t| {
        let app = TestApp::new()
            .clock_at(start())
            .without_worker()
            .start(t)
            .await;
        let root = app.new_admin("root").await;
        let (status, created) = root
            .post(
                "/admin/instances",
                json!({"product": "ecs", "public_ip": "203.0.113.9",
                   "term_end": (app.clock.now() + Duration::days(400)).timestamp_millis()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        let ecs = created["id"].as_str().unwrap().to_owned();
        // An instance of a customer's: the pages name its owner by login name, not by id.
        let zhao = app.new_user("zhao", Role::Applicant).await;
        let (status, owned) = root
            .post(
                "/admin/instances",
                json!({"product": "ecs", "public_ip": "203.0.113.10",
                   "account_id": zhao.account_id,
                   "term_end": (app.clock.now() + Duration::days(400)).timestamp_millis()}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{owned}");
        let owned = owned["id"].as_str().unwrap().to_owned();
        let mut b = Browser::of(&app, &root, "zh-CN");
        let list = b.open("/staff/products").await;
        list.has(&[
            &format!("href=\"/staff/products/{ecs}\""),
            "203.0.113.9",
            "运行中",
            "<td data-label=\"所属账号\" class=\"nw\">zhao</td>",
        ]);
        list.lacks(&[&zhao.account_id]);
        let page = b.open(&format!("/staff/products/{owned}")).await;
        page.has(&["zhao"]);
        page.lacks(&[&zhao.account_id]);
        let page_path = format!("/staff/products/{ecs}");
        // Without an owner: 无.
        b.open(&page_path)
            .await
            .has(&["<dt>所属账号</dt><dd>无</dd>"]);
        let issue = format!("{page_path}/issue");
        // A count out of range is named beside the field.
        let bad = b.fill(&page_path, &issue, &[("count", "0")]).await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        bad.has(&["id=\"e-count\""]);
        let issued = b.fill(&page_path, &issue, &[("count", "2")]).await;
        assert_eq!(issued.location(), page_path, "{}", issued.body);
        let (_, list) = root
            .get(&format!("/admin/instances/{ecs}/service-numbers"))
            .await;
        let numbers: Vec<String> = list["numbers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["number"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(numbers.len(), 2, "{list}");
        let page = b.open(&page_path).await;
        page.has(&[
            "签发服务号",
            "作废服务号",
            &numbers[0],
            &numbers[1],
            "未绑定",
        ]);
        b.in_lang("en").open(&page_path).await.has(&[
            "Issue service numbers",
            "Revoke a service number",
            "Unbound",
        ]);

        let revoked = b
            .fill(
                &page_path,
                &format!("{page_path}/revoke"),
                &[("number", &numbers[1])],
            )
            .await;
        assert_eq!(revoked.location(), page_path, "{}", revoked.body);
        let (_, list) = root
            .get(&format!("/admin/instances/{ecs}/service-numbers"))
            .await;
        let status_of = |n: &str| {
            list["numbers"]
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["number"] == n)
                .unwrap()["status"]
                .clone()
        };
        assert_eq!(status_of(&numbers[1]), "expired", "{list}");
        assert_eq!(status_of(&numbers[0]), "unbound", "{list}");
        b.open(&page_path).await.has(&["服务号已作废", "已失效"]);
        // A number of another instance is not revoked from this page.
        let refused = b
            .post(&format!("{page_path}/revoke"), &[("number", "SN-NOT-OURS")])
            .await;
        assert_eq!(refused.status, StatusCode::NOT_FOUND);

        // The policy: a limit out of range is named beside it; a good one is saved.
        let bad = b
            .fill(
                "/staff/products",
                "/staff/products/policy",
                &[("per_instance_limit", "0")],
            )
            .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", bad.body);
        bad.has(&["id=\"e-per_instance_limit\""]);
        let saved = b
            .fill(
                "/staff/products",
                "/staff/products/policy",
                &[("per_instance_limit", "7")],
            )
            .await;
        assert_eq!(saved.location(), "/staff/products", "{}", saved.body);
        let (_, policy) = root.get("/admin/service-number-policy").await;
        assert_eq!(policy["per_instance_limit"], 7, "{policy}");

        // Without the token nothing is revoked or issued.
        let base = app.base.clone();
        let page = b
            .post_raw(
                &format!("{page_path}/revoke"),
                &[("number", numbers[0].as_str())],
                Some(&base),
            )
            .await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
        page.has(&["表单已过期或来自其他网站"]);
        let (_, list) = root
            .get(&format!("/admin/instances/{ecs}/service-numbers"))
            .await;
        assert_eq!(list["numbers"][0]["status"], "unbound", "{list}");

        // A reviewer may not post to the admins' forms either.
        let wang = app.new_reviewer("wang").await;
        let mut r = Browser::of(&app, &wang, "zh-CN");
        r.open("/staff/review").await;
        let page = r.post(&issue, &[("count", "1")]).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN);
    })
    .await;
}
