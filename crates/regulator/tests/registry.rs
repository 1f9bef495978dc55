//! The registry's filing logic through the business API: approvals, each refusal code, access
//! records, downloads re-sent until acknowledged, manual refusals, and the public query.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use beian_core::province::Province;
use beian_regulator::bureau::Decision;
use beian_regulator::fixture::{self, PASSWORD, PROVIDER_A, PROVIDER_B};
use beian_regulator::model::{
    AccessData, FilingRequest, FilingStatus, NewWebsite, Outcome, SubmissionState,
};
use beian_regulator::password::PasswordCheck;
use beian_regulator::query::PublicQuery;
use beian_regulator::{Config, ReviewDelay, ReviewMode};
use common::{codes_of, manual_without_sms, sim};

fn first_filing(domain: &str, home_url: &str, credit_code: &str) -> FilingRequest {
    let mut website = fixture::website("新站", domain, "13800000002");
    website.home_url = home_url.to_owned();
    FilingRequest::FirstFiling {
        sponsor: fixture::sponsor(
            Province::ZHEJIANG,
            credit_code,
            "杭州新申请人科技有限公司",
            "13800000001",
        ),
        websites: vec![NewWebsite {
            website,
            access: AccessData {
                ips: vec!["203.0.113.7".into()],
                method: "virtual_host".into(),
            },
        }],
    }
}

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
                password: PASSWORD.into(),
            },
        ),
        (
            1018,
            PROVIDER_A,
            FilingRequest::NewAccess {
                website_number: "京ICP备2019000001号-1".into(),
                password: "wrong-pw".into(),
                access: AccessData::default(),
            },
        ),
        (
            1038,
            PROVIDER_B,
            FilingRequest::ContinueAccess {
                website_number: "京ICP备2019000001号-1".into(),
                password: PASSWORD.into(),
                access: AccessData::default(),
            },
        ),
        (
            1047,
            PROVIDER_A,
            FilingRequest::CancelAccess {
                website_number: "京ICP备2019000001号-2".into(),
                password: PASSWORD.into(),
            },
        ),
        (
            1016,
            PROVIDER_A,
            FilingRequest::NewAccess {
                website_number: "浙ICP备2099999999号-1".into(),
                password: PASSWORD.into(),
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
                password: PASSWORD.into(),
                access: AccessData::default(),
            },
        )
        .await;
    assert!(matches!(outcome, Outcome::Approved { .. }), "{outcome:?}");
    // Now two accesses: A may cancel its own.
    let cancel = FilingRequest::CancelAccess {
        website_number: site.into(),
        password: PASSWORD.into(),
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
                password: PASSWORD.into(),
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
async fn downloads_are_resent_until_acknowledged() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    assert!(r.next_download(PROVIDER_A).await.unwrap().is_none());
    for domain in ["one.cn", "two.cn"] {
        let request = first_filing(
            domain,
            &format!("http://{domain}"),
            &format!("9133010{}MA2HY0001A", domain.len()),
        );
        let id = r.submit(PROVIDER_A, domain, &request).await.unwrap();
        r.decide(
            id,
            Decision::Refuse {
                reasons: vec!["材料不清晰".into()],
            },
        )
        .await
        .unwrap();
    }
    let (first, waiting) = r.next_download(PROVIDER_A).await.unwrap().unwrap();
    assert_eq!((first.sent_before, waiting), (0, 2));
    let (again, _) = r.next_download(PROVIDER_A).await.unwrap().unwrap();
    assert_eq!(again.file_name, first.file_name);
    assert_eq!(again.sent_before, 1);
    // Another provider cannot acknowledge it, nor see it.
    assert!(!r.ack_download(PROVIDER_B, &first.file_name).await.unwrap());
    assert!(r.next_download(PROVIDER_B).await.unwrap().is_none());
    assert!(r.ack_download(PROVIDER_A, &first.file_name).await.unwrap());
    assert!(!r.ack_download(PROVIDER_A, &first.file_name).await.unwrap());
    let (second, waiting) = r.next_download(PROVIDER_A).await.unwrap().unwrap();
    assert_ne!(second.file_name, first.file_name);
    assert_eq!(waiting, 1);
    assert_eq!(second.result.upload_ref, "two.cn");
    let Outcome::Refused { codes, reasons } = second.result.outcome else {
        panic!("not refused");
    };
    assert_eq!(codes[0].code, 1002);
    assert_eq!(reasons, vec!["材料不清晰".to_owned()]);
    assert!(r.ack_download(PROVIDER_A, &second.file_name).await.unwrap());
    assert!(r.next_download(PROVIDER_A).await.unwrap().is_none());
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
async fn public_query_by_domain_number_and_name() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    let by_domain = r
        .public_query(&PublicQuery::Domain("Shared-Example.cn".into()))
        .await
        .unwrap();
    assert_eq!(by_domain.len(), 1);
    assert_eq!(by_domain[0].website_number, "浙ICP备2020000002号-1");
    assert_eq!(by_domain[0].sponsor_name, "杭州西湖双接入网络有限公司");

    let by_sponsor_number = r
        .public_query(&PublicQuery::Number("京ICP备2019000001号".into()))
        .await
        .unwrap();
    assert_eq!(by_sponsor_number.len(), 2);
    let by_site_number = r
        .public_query(&PublicQuery::Number("京ICP备2019000001号-2".into()))
        .await
        .unwrap();
    assert_eq!(by_site_number.len(), 1);
    assert_eq!(by_site_number[0].domain, "zgc-example.net");

    // Three characters or more: the trigram index; fewer: the scan.
    for (part, want) in [
        ("中关村示例", 2),
        ("双接入", 1),
        ("杭州", 2),
        ("示例", 3),
        ("有限公司", 4),
        ("不存在的公司", 0),
    ] {
        let found = r
            .public_query(&PublicQuery::Sponsor(part.into()))
            .await
            .unwrap();
        assert_eq!(found.len(), want, "{part}");
        assert!(
            found.iter().all(|f| f.sponsor_name.contains(part)),
            "{part}"
        );
    }
    assert!(
        r.public_query(&PublicQuery::Domain("nowhere.cn".into()))
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn uploads_keep_their_sequence_and_file_problems_reach_the_provider() {
    let sim = sim(manual_without_sms()).await;
    let r = &sim.regulator;
    assert!(r.last_upload(PROVIDER_A).await.unwrap().is_none());
    r.record_upload(PROVIDER_A, 7, "a.xml", "{\"hash\":\"x\"}")
        .await
        .unwrap();
    assert!(r.record_upload(PROVIDER_A, 7, "b.xml", "{}").await.is_err());
    assert!(r.record_upload(PROVIDER_A, 6, "b.xml", "{}").await.is_err());
    r.record_upload(PROVIDER_B, 1, "other.xml", "{}")
        .await
        .unwrap();
    r.record_upload(PROVIDER_A, 9, "c.xml", "t").await.unwrap();
    let last = r.last_upload(PROVIDER_A).await.unwrap().unwrap();
    assert_eq!(
        (
            last.sequence,
            last.file_name.as_str(),
            last.transfer.as_str()
        ),
        (9, "c.xml", "t")
    );

    let file = r
        .report_upload_problem(
            PROVIDER_A,
            "c.xml",
            5001,
            "数据文件格式不符合接口XSD规范，请核实后再次报备",
        )
        .await
        .unwrap();
    let got = sim.take_download(PROVIDER_A).await;
    assert_eq!(got.file_name, file);
    assert_eq!((got.result.submission_id, got.result.kind), (None, None));
    assert_eq!(codes_of(&got.result.outcome), vec![5001]);
}
