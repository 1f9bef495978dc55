//! What reaches providers and the public: downloads re-sent until acknowledged, upload records
//! and upload-problem results, and the public ICP query.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use beian_regulator::bureau::Decision;
use beian_regulator::fixture::{PROVIDER_A, PROVIDER_B};
use beian_regulator::model::Outcome;
use beian_regulator::query::PublicQuery;
use common::{codes_of, first_filing, manual_without_sms, sim};

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
