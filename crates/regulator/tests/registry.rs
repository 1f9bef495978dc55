//! The registry's filing logic through the business API: approvals, each refusal code, access
//! records, downloads re-sent until acknowledged, manual refusals, and the public query.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use beian_core::province::Province;
use beian_regulator::bureau::Decision;
use beian_regulator::fixture::{self, PASSWORD, PROVIDER_A, PROVIDER_B};
use beian_regulator::model::{AccessData, FilingRequest, FilingStatus, Outcome, SubmissionState};
use beian_regulator::password::{self, PasswordCheck};
use beian_regulator::query::PublicQuery;
use beian_regulator::{Config, ReviewDelay, ReviewMode};
use common::{codes_of, first_filing, manual_without_sms, sim};

#[tokio::test]
async fn first_filing_issues_numbers_and_texts_the_password() {
    let sim = sim(Config {
        review: ReviewMode::Auto(ReviewDelay::Minutes(30)),
        ..manual_without_sms()
    })
    .await;
    let r = &sim.regulator;
    let request = first_filing(
        "new-site.cn",
        "http://www.new-site.cn/",
        "91330106MA2HY1234X",
    );
    let id = r.submit(PROVIDER_A, "up-1", &request).await.unwrap();

    // Not due yet.
    assert!(r.tick().await.unwrap().decided.is_empty());
    assert_eq!(
        r.submission(id).await.unwrap().state,
        SubmissionState::Queued
    );
    sim.clock.advance_minutes(30).unwrap();
    assert_eq!(r.tick().await.unwrap().decided, vec![id]);

    let file = sim.take_download(PROVIDER_A).await;
    assert_eq!(file.result.upload_ref, "up-1");
    let Outcome::Approved { numbers } = file.result.outcome else {
        panic!("not approved: {:?}", file.result.outcome);
    };
    assert_eq!(
        numbers.sponsor_number.as_deref(),
        Some("浙ICP备2026000001号")
    );
    assert_eq!(
        numbers.websites,
        vec![("浙ICP备2026000001号-1".to_owned(), "new-site.cn".to_owned())]
    );
    assert_eq!(
        r.status_by_domain("NEW-SITE.cn").await.unwrap(),
        FilingStatus::Website {
            website_name: "新站".into(),
            sponsor_number: "浙ICP备2026000001号".into(),
            website_number: "浙ICP备2026000001号-1".into(),
        }
    );
    assert_eq!(
        r.status_by_certificate("91330106MA2HY1234X").await.unwrap(),
        FilingStatus::Sponsor {
            sponsor_number: "浙ICP备2026000001号".into()
        }
    );

    // The password reaches the sponsor by SMS, not the provider, and it works.
    let texts = sim.inbox("13800000001").await;
    assert_eq!(texts.len(), 1, "{texts:?}");
    let password = texts[0]
        .split("备案密码：")
        .nth(1)
        .and_then(|rest| rest.split('，').next())
        .unwrap()
        .to_owned();
    assert_eq!(
        r.verify_password("浙ICP备2026000001号-1", &password)
            .await
            .unwrap(),
        PasswordCheck::Correct
    );

    // The next first filing of the same bureau and year gets the next serial.
    let second = first_filing(
        "second-site.cn",
        "http://second-site.cn",
        "91330106MA2HY5678Y",
    );
    let Outcome::Approved { numbers } = sim.submit_and_approve(PROVIDER_A, &second).await else {
        panic!("second not approved");
    };
    assert_eq!(
        numbers.sponsor_number.as_deref(),
        Some("浙ICP备2026000002号")
    );
}

/// Each documented refusal, produced by a filing that breaks exactly that rule.
#[tokio::test]
async fn each_refusal_code() {
    let sim = sim(manual_without_sms()).await;
    sim.regulator
        .blacklist_sponsor("91330106MA2BLACK0X", "测试")
        .await
        .unwrap();
    let (zj_sponsor, _, zj_name, _) = fixture::SPONSORS[0];
    let cases: Vec<(u32, i64, FilingRequest)> = vec![
        (
            1041,
            PROVIDER_A,
            first_filing(
                "good-domain.cn",
                "http://www.other-domain.cn/",
                "91330106MA2HY0001A",
            ),
        ),
        (
            1005,
            PROVIDER_A,
            first_filing(
                "yunqi-example.com",
                "http://yunqi-example.com/",
                "91330106MA2HY0002B",
            ),
        ),
        (
            1065,
            PROVIDER_A,
            first_filing(
                "black-sponsor.cn",
                "http://black-sponsor.cn/",
                "91330106MA2BLACK0X",
            ),
        ),
        (
            1046,
            PROVIDER_A,
            FilingRequest::ChangeSponsor {
                sponsor_number: zj_sponsor.into(),
                sponsor: fixture::sponsor(
                    Province::SHANGHAI,
                    fixture::SPONSORS[0].1,
                    zj_name,
                    "13900000000",
                ),
            },
        ),
        (
            1025,
            PROVIDER_A,
            FilingRequest::CancelAccess {
                website_number: format!("{zj_sponsor}-1"),
                password: password::icp_mm(PASSWORD),
            },
        ),
        (
            1018,
            PROVIDER_A,
            FilingRequest::NewAccess {
                website_number: "京ICP备2019000001号-1".into(),
                password: password::icp_mm("wrong-pw"),
                access: AccessData::default(),
            },
        ),
        (
            1038,
            PROVIDER_B,
            FilingRequest::ContinueAccess {
                website_number: "京ICP备2019000001号-1".into(),
                password: password::icp_mm(PASSWORD),
                access: AccessData::default(),
            },
        ),
        (
            1047,
            PROVIDER_A,
            FilingRequest::CancelAccess {
                website_number: "京ICP备2019000001号-2".into(),
                password: password::icp_mm(PASSWORD),
            },
        ),
        (
            1016,
            PROVIDER_A,
            FilingRequest::NewAccess {
                website_number: "浙ICP备2099999999号-1".into(),
                password: password::icp_mm(PASSWORD),
                access: AccessData::default(),
            },
        ),
        (
            1003,
            PROVIDER_A,
            first_filing(
                "dup-sponsor.cn",
                "http://dup-sponsor.cn/",
                fixture::SPONSORS[0].1,
            ),
        ),
    ];
    for (want, provider, request) in cases {
        let outcome = sim.submit_and_approve(provider, &request).await;
        let Outcome::Refused { codes, reasons } = &outcome else {
            panic!("{want}: not refused: {outcome:?}");
        };
        assert_eq!(codes.iter().map(|c| c.code).collect::<Vec<_>>(), vec![want]);
        assert!(!codes[0].text.is_empty() && !reasons.is_empty());
        // The refusal changed nothing: the result still reaches the provider.
        let file = sim.take_download(provider).await;
        assert_eq!(codes_of(&file.result.outcome), vec![want]);
    }
    // The blacklisted domain (1064), while at it.
    sim.regulator
        .blacklist_domain("bad.cn", "测试")
        .await
        .unwrap();
    let outcome = sim
        .submit_and_approve(
            PROVIDER_A,
            &first_filing("bad.cn", "http://bad.cn", "91330106MA2HY0003C"),
        )
        .await;
    assert_eq!(codes_of(&outcome), vec![1064]);
}

#[tokio::test]
async fn access_records_are_added_and_removed_and_the_number_stays() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let site = "浙ICP备2020000001号-1";
    let outcome = sim
        .submit_and_approve(
            PROVIDER_B,
            &FilingRequest::NewAccess {
                website_number: site.into(),
                password: password::icp_mm(PASSWORD),
                access: AccessData::default(),
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Approved { .. }), "{outcome:?}");
    // Now two accesses: A may cancel its own.
    let cancel = FilingRequest::CancelAccess {
        website_number: site.into(),
        password: password::icp_mm(PASSWORD),
    };
    let outcome = sim.submit_and_approve(PROVIDER_A, &cancel).await;
    assert!(matches!(outcome, Outcome::Approved { .. }), "{outcome:?}");
    // The number stays; B is now the only access, and cannot cancel it.
    assert!(matches!(
        r.status_by_domain("yunqi-example.com").await.unwrap(),
        FilingStatus::Website { .. }
    ));
    let outcome = sim
        .submit_and_approve(
            PROVIDER_B,
            &FilingRequest::CancelAccess {
                website_number: site.into(),
                password: password::icp_mm(PASSWORD),
            },
        )
        .await;
    assert_eq!(codes_of(&outcome), vec![1025]);
    // A no longer hosts it, so A's change of the website is not A's to make.
    let outcome = sim
        .submit_and_approve(
            PROVIDER_A,
            &FilingRequest::ChangeAccess {
                website_number: site.into(),
                access: AccessData::default(),
            },
        )
        .await;
    assert_eq!(codes_of(&outcome), vec![1048]);
}

#[tokio::test]
async fn change_and_cancel_do_what_the_spec_says() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let (number, code, _, _) = fixture::SPONSORS[2];
    // 变更主体 within the province: the name changes, the number stays.
    let outcome = sim
        .submit_and_approve(
            PROVIDER_B,
            &FilingRequest::ChangeSponsor {
                sponsor_number: number.into(),
                sponsor: fixture::sponsor(
                    Province::BEIJING,
                    code,
                    "北京新名称科技有限公司",
                    "13911112222",
                ),
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Approved { .. }), "{outcome:?}");
    let found = r
        .public_query(&PublicQuery::Sponsor("新名称科技".into()))
        .await
        .unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.iter().all(|f| f.sponsor_number == number));
    // Both name indexes follow the change.
    assert_eq!(
        r.public_query(&PublicQuery::Sponsor("新名".into()))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        r.public_query(&PublicQuery::Sponsor("中关".into()))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        r.public_query(&PublicQuery::Sponsor("中关村".into()))
            .await
            .unwrap()
            .is_empty()
    );
    // 注销网站: that website leaves the registry; the other stays.
    let outcome = sim
        .submit_and_approve(
            PROVIDER_B,
            &FilingRequest::CancelWebsite {
                website_number: format!("{number}-2"),
                reason: String::new(),
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Approved { .. }), "{outcome:?}");
    assert_eq!(
        r.status_by_domain("zgc-example.net").await.unwrap(),
        FilingStatus::NotFiled
    );
    // 注销主体: everything goes; a second cancel is refused as cancelled (1049).
    let cancel = FilingRequest::CancelSponsor {
        sponsor_number: number.into(),
        reason: String::new(),
    };
    assert!(matches!(
        sim.submit_and_approve(PROVIDER_B, &cancel).await,
        Outcome::Approved { .. }
    ));
    assert_eq!(
        r.status_by_domain("zgc-example.com.cn").await.unwrap(),
        FilingStatus::NotFiled
    );
    assert_eq!(
        r.status_by_certificate(code).await.unwrap(),
        FilingStatus::NotFiled
    );
    assert_eq!(
        codes_of(&sim.submit_and_approve(PROVIDER_B, &cancel).await),
        vec![1049]
    );
}

#[tokio::test]
async fn manual_mode_waits_for_the_officer() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let id = r
        .submit(
            PROVIDER_A,
            "x",
            &first_filing("wait.cn", "http://wait.cn", "91330106MA2HY0009Z"),
        )
        .await
        .unwrap();
    sim.clock.advance_minutes(60 * 24 * 30).unwrap();
    assert!(r.tick().await.unwrap().decided.is_empty());
    let pending = r.reviews(Some(SubmissionState::Queued)).await.unwrap();
    assert_eq!(pending.iter().map(|s| s.id).collect::<Vec<_>>(), vec![id]);
    r.decide(id, Decision::Approve).await.unwrap();
    assert!(
        r.decide(id, Decision::Approve).await.is_err(),
        "decided twice"
    );
    assert!(
        r.reviews(Some(SubmissionState::Queued))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn auto_review_in_working_days_skips_the_weekend() {
    // Submitted on Friday 2026-03-06 10:00 Shanghai; 1 working day later is Monday 10:00.
    let sim = sim(Config {
        review: ReviewMode::Auto(ReviewDelay::WorkingDays(1)),
        ..manual_without_sms()
    })
    .await;
    let r = &sim.regulator;
    sim.clock.advance_minutes(4 * 24 * 60).unwrap();
    let id = r
        .submit(
            PROVIDER_A,
            "fri",
            &first_filing("weekend.cn", "http://weekend.cn", "91330106MA2HY0077W"),
        )
        .await
        .unwrap();
    sim.clock.advance_minutes(3 * 24 * 60 - 1).unwrap();
    assert!(
        r.tick().await.unwrap().decided.is_empty(),
        "decided before Monday 10:00"
    );
    sim.clock.advance_minutes(1).unwrap();
    assert_eq!(r.tick().await.unwrap().decided, vec![id]);
}

/// APP 备案: an APP's `-NA` comes from the same sequence as the sponsor's websites' `-N`,
/// and the public query finds the APP by its name and by its number.
#[tokio::test]
async fn apps_and_websites_share_one_sequence_per_sponsor() {
    use beian_regulator::Clock;
    use beian_regulator::model::{AppData, AppPlatformData};
    use beian_regulator::registry;

    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let at = sim.clock.now();
    let mut tx = r.pool().begin().await.unwrap();
    // The fixture's first sponsor already holds website -1.
    let sponsor_id: i64 = sqlx::query_scalar("SELECT id FROM sponsors WHERE number = ?")
        .bind("浙ICP备2020000001号")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let app = AppData {
        name: "云栖助手".into(),
        service_content: "企业办公".into(),
        platforms: vec![
            AppPlatformData {
                platform: "android".into(),
                package: "com.yunqi.example.assistant".into(),
                public_key: "864a1e0b529c3f7d11e860af2b93c458dd0761fa3e4295b80c7ae15629d3840f"
                    .into(),
                signature_digest: "18c867f0717aa67b2ab7347505ba07ed".into(),
            },
            AppPlatformData {
                platform: "ios".into(),
                package: "com.yunqi.example.assistant".into(),
                public_key: "5b8e2f4c0d6a19e3b7c42f8d1a0e6b3c9f2d7a4e8b1c5f0a3d6e9b2c7f4a1d8e"
                    .into(),
                signature_digest: "8f3a914c0e6bd21755a90c3e71b4289d6ae0f512".into(),
            },
        ],
        responsible: fixture::person("王芳", "13600000000"),
    };
    let (app_id, app_number) = registry::insert_app(&mut tx, r.crypto(), sponsor_id, &app, at)
        .await
        .unwrap();
    registry::insert_app_access(&mut tx, app_id, PROVIDER_A, at)
        .await
        .unwrap();
    let site = fixture::website("云栖博客", "yunqi-blog-example.cn", "13700000000");
    let (_, site_number) = registry::insert_website(&mut tx, r.crypto(), sponsor_id, &site, at)
        .await
        .unwrap();
    let mut second = app.clone();
    second.name = "云栖会议".into();
    second.platforms.truncate(1);
    second.platforms[0].package = "com.yunqi.example.meeting".into();
    let (_, second_number) = registry::insert_app(&mut tx, r.crypto(), sponsor_id, &second, at)
        .await
        .unwrap();
    // The same package cannot be filed for a second APP.
    assert!(
        registry::insert_app(&mut tx, r.crypto(), sponsor_id, &second, at)
            .await
            .is_err()
    );
    tx.rollback().await.unwrap();
    // Rolled back: do it again for real, in one transaction.
    let mut tx = r.pool().begin().await.unwrap();
    let (_, app_number_2) = registry::insert_app(&mut tx, r.crypto(), sponsor_id, &app, at)
        .await
        .unwrap();
    let (_, site_number_2) = registry::insert_website(&mut tx, r.crypto(), sponsor_id, &site, at)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(app_number, "浙ICP备2020000001号-2A");
    assert_eq!(site_number, "浙ICP备2020000001号-3");
    assert_eq!(second_number, "浙ICP备2020000001号-4A");
    assert_eq!(app_number_2, app_number);
    assert_eq!(site_number_2, site_number);
    let parsed = beian_core::icp_number::IcpNumber::parse(&app_number).unwrap();
    assert_eq!(
        parsed.suffix().map(|s| (s.number, s.kind)),
        Some((2, beian_core::icp_number::SuffixKind::App))
    );

    let mut conn = r.pool().acquire().await.unwrap();
    let by_name = registry::find_apps(&mut conn, "云栖助", 10).await.unwrap();
    assert_eq!(by_name.len(), 1);
    assert_eq!(by_name[0].number, "浙ICP备2020000001号-2A");
    assert_eq!(by_name[0].sponsor_name, "杭州云栖示例科技有限公司");
    let by_number = registry::find_apps(&mut conn, "浙ICP备2020000001号-2A", 10)
        .await
        .unwrap();
    assert_eq!(by_number, by_name);
    assert!(
        registry::find_apps(&mut conn, "不存在的应用", 10)
            .await
            .unwrap()
            .is_empty()
    );
    // A LIKE wildcard in the query is a literal character, not "anything".
    assert!(
        registry::find_apps(&mut conn, "%", 10)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn a_two_character_name_query_is_one_bigram_and_one_character_is_refused() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let names = |found: Vec<beian_regulator::query::PublicRecord>| {
        let mut n: Vec<String> = found.into_iter().map(|f| f.sponsor_name).collect();
        n.sort();
        n.dedup();
        n
    };
    // Adjacent in every fixture name.
    let found = r
        .public_query(&PublicQuery::Sponsor("有限".into()))
        .await
        .unwrap();
    assert_eq!(
        names(found),
        vec![
            "北京中关村示例信息技术有限公司",
            "杭州云栖示例科技有限公司",
            "杭州西湖双接入网络有限公司"
        ]
    );
    // The same two characters in each name, never adjacent in this order: nothing.
    for part in ["司有", "州限", "限有"] {
        let found = r
            .public_query(&PublicQuery::Sponsor(part.into()))
            .await
            .unwrap();
        assert!(found.is_empty(), "{part}: {found:?}");
    }
    // A name search's records are the records their domains' lookups give, field for field
    // (the approval date included), in the order of the sponsors and their websites.
    for part in ["有限", "有限公司"] {
        let found = r
            .public_query(&PublicQuery::Sponsor(part.into()))
            .await
            .unwrap();
        assert!(found.len() >= 3, "{part}: {found:?}");
        let mut by_domain = Vec::new();
        for f in &found {
            let one = r
                .public_query(&PublicQuery::Domain(f.domain.clone()))
                .await
                .unwrap();
            assert_eq!(one.len(), 1, "{}", f.domain);
            by_domain.extend(one);
        }
        assert_eq!(found, by_domain, "{part}");
        assert!(
            found
                .iter()
                .all(|f| f.approved_on.len() == 10 && f.approved_on.starts_with("20")),
            "{found:?}"
        );
        let sponsors: Vec<&str> = found.iter().map(|f| f.sponsor_number.as_str()).collect();
        let mut grouped = sponsors.clone();
        grouped.dedup();
        let mut distinct = grouped.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(
            grouped.len(),
            distinct.len(),
            "{part}: a sponsor's websites together"
        );
    }
    // Whitespace is not part of a name's pieces.
    let found = r
        .public_query(&PublicQuery::Sponsor(" 云 栖 ".into()))
        .await
        .unwrap();
    assert_eq!(names(found), vec!["杭州云栖示例科技有限公司"]);
    // One character would match nearly every sponsor: refused, naming the minimum.
    match r.public_query(&PublicQuery::Sponsor("有".into())).await {
        Err(beian_regulator::Error::QueryTooShort { min: 2 }) => {}
        other => panic!("expected QueryTooShort, got {other:?}"),
    }
}

/// A record received again (its upload's receipt cut short by a crash before the upload was
/// recorded, and the upload sent again) is the same submission, not a second one.
#[tokio::test]
async fn a_record_received_again_is_one_submission() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let request = first_filing("again.cn", "http://www.again.cn/", "91330106MA2HY1234X");
    let first = r.submit(PROVIDER_A, "up-again", &request).await.unwrap();
    let again = r.submit(PROVIDER_A, "up-again", &request).await.unwrap();
    assert_eq!(first, again);
    let mine: Vec<_> = r
        .reviews(None)
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.upload_ref == "up-again")
        .collect();
    assert_eq!(mine.len(), 1, "{mine:?}");
}

/// The public query's connections are lent and put back without sqlx's pool (issue 14): many
/// queries at once all answer, and queries whose futures are dropped half-way (clients that
/// went away) leave nothing behind for the next borrower.
#[tokio::test]
async fn queries_beyond_the_read_connections_wait_and_dropped_ones_leave_nothing_behind() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let expected = r
        .public_query(&PublicQuery::Sponsor("有限公司".into()))
        .await
        .unwrap();
    assert!(expected.len() >= 3, "{expected:?}");
    // 32 at once, against 4 connections.
    let q = PublicQuery::Sponsor("有限公司".into());
    let all = futures_util::future::join_all((0..32).map(|_| r.public_query(&q))).await;
    for found in all {
        assert_eq!(found.unwrap(), expected);
    }
    // Dropped after their first poll (each is waiting its turn or has sent its statement).
    for _ in 0..16 {
        // A zero timeout polls the query once, then drops it.
        let _ = tokio::time::timeout(
            std::time::Duration::ZERO,
            r.public_query(&PublicQuery::Sponsor("有限".into())),
        )
        .await;
    }
    for _ in 0..8 {
        assert_eq!(
            r.public_query(&PublicQuery::Sponsor("有限公司".into()))
                .await
                .unwrap(),
            expected
        );
        let domain = &expected[0].domain;
        let one = r
            .public_query(&PublicQuery::Domain(domain.clone()))
            .await
            .unwrap();
        assert_eq!(one.len(), 1, "{domain}");
    }
}
