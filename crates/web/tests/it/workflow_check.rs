//! The filing check (every kind, every refusal, field errors) and order creation, over both
//! backends (`each_backend`), with the in-test registry of `harness::services`.

use crate::harness::services::*;

#[tokio::test]
async fn filing_check_decides_every_kind() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let b = account(store, "b").await;
        let c = account(store, "c").await;
        let (cert_here, cert_elsewhere) = (credit_code(10), credit_code(11));
        filed_sponsor(store, &a, &cert_here, "杭州甲公司", ZJ_SPONSOR).await;
        let registry = FakeRegistry::default()
            .sponsor(&cert_here, ZJ_SPONSOR, "pw")
            .sponsor(&cert_elsewhere, OTHER_SPONSOR, "pw2")
            .website("filed-here-sponsor.cn", ZJ_SPONSOR)
            .website("filed-elsewhere.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);

        let cases = [
            (
                &c,
                check("new.cn", &credit_code(12), "新公司"),
                FilingKind::FirstFiling,
            ),
            (
                &a,
                check("second.cn", &cert_here, "杭州甲公司"),
                FilingKind::NewWebsite,
            ),
            (
                &b,
                check("third.cn", &cert_elsewhere, "乙公司"),
                FilingKind::NewWebsiteElsewhereSponsor,
            ),
            (
                &b,
                check("filed-elsewhere.cn", &cert_elsewhere, "乙公司"),
                FilingKind::NewAccess,
            ),
            (
                &a,
                check("filed-here-sponsor.cn", &cert_here, "杭州甲公司"),
                FilingKind::ContinueAccess,
            ),
        ];
        for (acting, input, kind) in cases {
            let result = wf.filing_check(acting, &input).await.unwrap();
            assert_eq!(result.kind, kind, "{}", input.domain);
            assert_eq!(result.access_only, kind.is_access());
            assert_eq!(result.needs_filing_password, kind.needs_filing_password());
        }
        let access = wf
            .filing_check(&b, &check("filed-elsewhere.cn", &cert_elsewhere, "乙公司"))
            .await
            .unwrap();
        assert_eq!(
            access.registry.sponsor_number.as_deref(),
            Some(OTHER_SPONSOR)
        );
        assert_eq!(
            access.registry.website_number.as_deref(),
            Some(format!("{OTHER_SPONSOR}-1").as_str())
        );
    })
    .await;
}

#[tokio::test]
async fn filing_check_refusals() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let b = account(store, "b").await;
        let cert_a = credit_code(20);
        filed_sponsor(store, &a, &cert_a, "杭州甲公司", ZJ_SPONSOR).await;
        // A website of ours, filed and hosted here.
        let sponsor = store
            .sponsor_of_account(&a.account_id)
            .await
            .unwrap()
            .unwrap();
        let mut tx = store.begin().await.unwrap();
        let w = tx
            .insert_website(
                "system",
                &beian_store::sponsors::WebsiteData {
                    sponsor_id: sponsor.id.clone(),
                    name: "甲网站".into(),
                    domain: "hosted.cn".into(),
                    home_url: "https://hosted.cn".into(),
                    service_content: "x".into(),
                    details: serde_json::json!({}),
                    responsible: sponsor.data.responsible.clone(),
                },
            )
            .await
            .unwrap();
        tx.set_icp_number(
            "system",
            FiledTable::Website,
            &w,
            &format!("{ZJ_SPONSOR}-1"),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let registry = FakeRegistry::default()
            .sponsor(&cert_a, ZJ_SPONSOR, "pw")
            .website("hosted.cn", ZJ_SPONSOR)
            .website("others.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);

        let r = refusal(
            wf.filing_check(&a, &check("hosted.cn", &cert_a, "杭州甲公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(r, FilingRefusal::DomainAccessedHere);
        let r = refusal(
            wf.filing_check(&a, &check("others.cn", &cert_a, "杭州甲公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(r.code(), "domain_of_other_sponsor");
        let r = refusal(
            wf.filing_check(&a, &check("x.cn", &cert_a, "杭州乙公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            r,
            FilingRefusal::SponsorMismatch {
                fields: vec![SponsorField::Name]
            }
        );
        let mut shanghai = check("x.cn", &cert_a, "杭州甲公司");
        shanghai.sponsor.province = "31".into();
        let r = refusal(wf.filing_check(&a, &shanghai).await.unwrap_err());
        assert_eq!(r.fields(), &[SponsorField::Province]);
        let r = refusal(
            wf.filing_check(&a, &check("x.cn", &credit_code(21), "别的公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(r, FilingRefusal::AccountHasOtherSponsor);
        let e = wf
            .filing_check(&b, &check("x.cn", &cert_a, "杭州甲公司"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "sponsor_of_other_account");

        // An open order blocks the sponsor's next check, naming the order.
        let open = wf
            .create_order(&a, &check("new-one.cn", &cert_a, "杭州甲公司"))
            .await
            .unwrap();
        assert_eq!(open.check.kind, FilingKind::NewWebsite);
        let view = wf.order_view(&a, &open.order_id).await.unwrap();
        assert_eq!(
            view.forms.sponsor.address, "杭州市",
            "prefilled from our sponsor"
        );
        assert_eq!(view.forms.sponsor.responsible.name, "张三");
        assert_eq!(view.forms.sponsor.responsible.mobile, "13800138000");
        let r = refusal(
            wf.filing_check(&a, &check("new-two.cn", &cert_a, "杭州甲公司"))
                .await
                .unwrap_err(),
        );
        assert_eq!(
            r,
            FilingRefusal::OrderInProgress {
                order_id: open.order_id.clone()
            }
        );
        assert_eq!(r.code(), "order_in_progress");
    })
    .await;
}

#[tokio::test]
async fn filing_check_names_every_bad_field() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let mut input = check("not a domain", "91330106000000XX", " ");
        input.sponsor.province = "99".into();
        input.sponsor.nature = "company".into();
        let WorkflowError::Invalid(errors) = wf.filing_check(&a, &input).await.unwrap_err() else {
            panic!("expected field errors");
        };
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "domain",
                "sponsor.certificate_number",
                "sponsor.name",
                "sponsor.nature",
                "sponsor.province"
            ]
        );
        assert_eq!(errors["sponsor.name"].key, "workflow.required");
        // An individual with a credit code.
        let mut input = check("ok.cn", &credit_code(1), "张三");
        input.sponsor.nature = "individual".into();
        let WorkflowError::Invalid(errors) = wf.filing_check(&a, &input).await.unwrap_err() else {
            panic!("expected field errors");
        };
        assert_eq!(
            errors["sponsor.certificate_type"].key,
            "workflow.certificate_type_for_nature"
        );
    })
    .await;
}

#[tokio::test]
async fn create_order_makes_sponsor_website_and_draft() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let b = account(store, "b").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("Example.CN", &credit_code(30), "杭州示例科技有限公司");
        let created = wf.create_order(&a, &input).await.unwrap();
        assert_eq!(created.state, OrderState::Draft);
        assert_eq!(created.check.kind, FilingKind::FirstFiling);

        let order = store.order(&created.order_id).await.unwrap();
        assert_eq!(order.kind, "first_filing");
        assert_eq!(order.state, "draft");
        assert_eq!(order.province, "33");
        let sponsor = store
            .sponsor_of_account(&a.account_id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(sponsor.id, created.sponsor_id);
        assert_eq!(sponsor.data.certificate_number, credit_code(30));
        let website = store
            .website_by_domain("example.cn")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(Some(website.id), created.website_id);
        let timeline = store.order_timeline(&created.order_id).await.unwrap();
        assert_eq!(timeline.len(), 1);
        assert_eq!(timeline[0].event, "create");
        let list = wf.orders(&a).await.unwrap();
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].domain.as_deref(), Some("example.cn"));
        assert_eq!(list[0].state, OrderState::Draft);
        assert!(wf.orders(&b).await.unwrap().is_empty());
        let view = wf.order_view(&a, &created.order_id).await.unwrap();
        assert_eq!(view.forms.website.domain, "example.cn");
        assert_eq!(view.forms.sponsor.identity.name, "杭州示例科技有限公司");
        // The audit chain holds the creation and verifies.
        let head = beian_store::audit::head_file_path(store);
        let report = beian_store::verify_audit(store, &head).await.unwrap();
        assert!(report.records > 0);
        // Another account cannot see it, nor take the domain.
        assert!(matches!(
            wf.order_view(&b, &created.order_id).await,
            Err(WorkflowError::NotFound { .. })
        ));
        let e = wf
            .create_order(&b, &check("example.cn", &credit_code(31), "别人"))
            .await
            .unwrap_err();
        assert_eq!(e.code(), "domain_in_use");
    })
    .await;
}

#[tokio::test]
async fn concurrent_creations_leave_one_open_order() {
    each_backend(async |t| {
        let store = &t.store;
        let other = t.open_another().await;
        let a = account(store, "a").await;
        let cert = credit_code(100);
        filed_sponsor(store, &a, &cert, "杭州甲公司", ZJ_SPONSOR).await;
        let registry = FakeRegistry::default().sponsor(&cert, ZJ_SPONSOR, "pw");
        let wf = Workflow::new(store, &registry, PROVIDER);
        let wf2 = Workflow::new(&other, &registry, PROVIDER);
        let one = check("one.cn", &cert, "杭州甲公司");
        let two = check("two.cn", &cert, "杭州甲公司");
        let (r1, r2) = tokio::join!(wf.create_order(&a, &one), wf2.create_order(&a, &two));
        let results = [r1, r2];
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "{results:?}"
        );
        let loser = results.into_iter().find_map(Result::err).unwrap();
        assert!(
            matches!(
                loser,
                WorkflowError::Refused(FilingRefusal::OrderInProgress { .. })
                    | WorkflowError::Conflict
            ),
            "{loser:?}"
        );
        let sponsor = store
            .sponsor_of_account(&a.account_id)
            .await
            .unwrap()
            .unwrap();
        let open = store
            .orders_of_sponsor(&sponsor.id)
            .await
            .unwrap()
            .into_iter()
            .filter(|o| o.state == "draft")
            .count();
        assert_eq!(open, 1);
        other.close().await;
    })
    .await;
}

/// 陕 caps a sponsor at 30 websites (rules data, issue 18): with 29 filed here a new website
/// is a 新增网站; with 30 the filing check refuses it with `site_cap_reached`.
#[tokio::test]
async fn shaanxi_caps_a_sponsor_at_30_websites() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "sx").await;
        let cert = credit_code(71);
        let number = "陕ICP备2020000001号";
        filed_sponsor(store, &a, &cert, "西安示例科技有限公司", number).await;
        let sponsor = store
            .sponsor_of_account(&a.account_id)
            .await
            .unwrap()
            .unwrap();
        let add_sites = async |from: u32, to: u32| {
            let mut tx = store.begin().await.unwrap();
            for n in from..=to {
                let w = tx
                    .insert_website(
                        "system",
                        &beian_store::sponsors::WebsiteData {
                            sponsor_id: sponsor.id.clone(),
                            name: format!("网站{n}"),
                            domain: format!("site{n}-sx.cn"),
                            home_url: format!("https://site{n}-sx.cn"),
                            service_content: "x".into(),
                            details: serde_json::json!({}),
                            responsible: sponsor.data.responsible.clone(),
                        },
                    )
                    .await
                    .unwrap();
                tx.set_icp_number("system", FiledTable::Website, &w, &format!("{number}-{n}"))
                    .await
                    .unwrap();
            }
            tx.commit().await.unwrap();
        };
        add_sites(1, 29).await;
        let registry = FakeRegistry::default().sponsor(&cert, number, "pw");
        let wf = Workflow::new(store, &registry, PROVIDER);
        let mut input = check("one-more-sx.cn", &cert, "西安示例科技有限公司");
        input.sponsor.province = "61".into();
        let result = wf.filing_check(&a, &input).await.unwrap();
        assert_eq!(result.kind, FilingKind::NewWebsite);
        add_sites(30, 30).await;
        let refused = wf.filing_check(&a, &input).await.unwrap_err();
        assert!(
            matches!(
                &refused,
                WorkflowError::Refused(FilingRefusal::SiteCapReached {
                    cap: 30,
                    websites: 30
                })
            ),
            "{refused:?}"
        );
        assert_eq!(refused.code(), "site_cap_reached");
    })
    .await;
}
