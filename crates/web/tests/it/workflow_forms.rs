//! The order forms (field errors, the access-kind and identity locks), product verification
//! (service-number rules, storefront subscription, app identity) and the filing-password
//! check with its lockout, over both backends, with the in-test registry of
//! `harness::services`.

use crate::harness::services::*;

#[tokio::test]
async fn forms_name_every_bad_field() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("forms.cn", &credit_code(40), "杭州示例科技有限公司");
        let id = wf.create_order(&a, &input).await.unwrap().order_id;

        let mut form = sponsor_form(&input);
        form.address = String::new();
        form.responsible.mobile = "1380013800".into();
        form.responsible.email = "not-an-email".into();
        form.responsible.emergency_mobile = "13800138000".into();
        let mut bad_id = resident_id(123);
        let last = bad_id.pop().unwrap();
        bad_id.push(if last == '0' { '1' } else { '0' });
        form.responsible.certificate_number = bad_id;
        let WorkflowError::Invalid(errors) = wf.update_sponsor(&a, &id, &form).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "sponsor.address",
                "sponsor.responsible.certificate_number",
                "sponsor.responsible.email",
                "sponsor.responsible.mobile",
            ],
            "the emergency mobile is compared only with a valid mobile"
        );
        form.responsible.mobile = "13800138000".into();
        let WorkflowError::Invalid(errors) = wf.update_sponsor(&a, &id, &form).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        assert_eq!(
            errors["sponsor.responsible.emergency_mobile"].key,
            "workflow.emergency_mobile_same"
        );

        let mut site = website_form("forms.cn");
        site.home_url = "https://forms.com/".into();
        site.languages = vec![];
        site.responsible = person(2);
        site.responsible.office_phone = "12".into();
        let WorkflowError::Invalid(errors) = wf.update_website(&a, &id, &site).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "website.home_url",
                "website.languages",
                "website.responsible.office_phone"
            ]
        );
        // Nothing was saved.
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(view.forms.sponsor.address, "");
        // The domain decided the kind: changing it is refused even in a draft.
        let mut moved = website_form("other.cn");
        moved.home_url = "https://other.cn".into();
        let e = wf.update_website(&a, &id, &moved).await.unwrap_err();
        assert!(
            matches!(&e, WorkflowError::FieldLocked { fields } if fields == &["website.domain"]),
            "{e:?}"
        );
        // A valid form saves, and the responsible person may differ from the sponsor's.
        wf.update_website(&a, &id, &site_ok("forms.cn"))
            .await
            .unwrap();
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(
            view.forms.website.responsible.certificate_number,
            resident_id(2)
        );
    })
    .await;
}

fn site_ok(domain: &str) -> WebsiteForm {
    let mut site = website_form(domain);
    site.responsible = person(2);
    site
}

#[tokio::test]
async fn access_filing_changes_contact_fields_only() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let cert = credit_code(50);
        let registry = FakeRegistry::default()
            .sponsor(&cert, OTHER_SPONSOR, "secret")
            .website("access.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("access.cn", &cert, "乙公司");
        let created = wf.create_order(&a, &input).await.unwrap();
        assert_eq!(created.check.kind, FilingKind::NewAccess);
        let id = created.order_id;
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(
            view.forms.website.name, "已备案网站",
            "prefilled from the registry"
        );

        // First fill of the empty fields is allowed (V3 does not return them).
        let form = sponsor_form(&input);
        wf.update_sponsor(&a, &id, &form).await.unwrap();
        // Then only contact fields change.
        let mut changed = form.clone();
        changed.address = "别的地址".into();
        changed.responsible.name = "李四".into();
        changed.responsible.mobile = "13700137000".into();
        let e = wf.update_sponsor(&a, &id, &changed).await.unwrap_err();
        let WorkflowError::FieldLocked { fields } = &e else {
            panic!("expected field_locked, got {e:?}");
        };
        assert_eq!(fields, &["sponsor.address", "sponsor.responsible.name"]);
        assert_eq!(e.code(), "field_locked");
        assert_eq!(e.status(), 409);
        let mut contact = form.clone();
        contact.responsible.mobile = "13700137000".into();
        contact.responsible.email = "new@example.cn".into();
        wf.update_sponsor(&a, &id, &contact).await.unwrap();
        let mut renamed = website_form("access.cn");
        renamed.name = "另一个名字".into();
        let e = wf.update_website(&a, &id, &renamed).await.unwrap_err();
        assert!(
            matches!(e, WorkflowError::FieldLocked { ref fields } if fields == &["website.name"])
        );
    })
    .await;
}

#[tokio::test]
async fn service_number_binding_rules() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("binding.cn", &credit_code(60), "杭州示例科技有限公司");
        let id = wf.create_order(&a, &input).await.unwrap().order_id;

        service_number(store, "SN-SHORT", "ecs", Some("203.0.113.1"), 60, "running").await;
        service_number(store, "SN-NOIP", "ecs", None, 365, "running").await;
        service_number(
            store,
            "SN-STOPPED",
            "ecs",
            Some("203.0.113.2"),
            365,
            "stopped",
        )
        .await;
        service_number(
            store,
            "SN-EXPIRED",
            "ecs",
            Some("203.0.113.3"),
            -1,
            "running",
        )
        .await;
        service_number(
            store,
            "SN-SHOP",
            "storefront",
            Some("203.0.113.4"),
            365,
            "running",
        )
        .await;
        service_number(store, "SN-USED", "ecs", Some("203.0.113.5"), 365, "running").await;
        service_number(store, "SN-GOOD", "ecs", Some("203.0.113.6"), 365, "running").await;
        service_number(
            store,
            "SN-GOOD2",
            "ecs",
            Some("203.0.113.7"),
            365,
            "running",
        )
        .await;
        let mut tx = store.begin().await.unwrap();
        tx.set_service_number_status(
            "system",
            "SN-USED",
            ServiceNumberStatus::Unbound,
            ServiceNumberStatus::Filed,
            None,
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();

        for (number, refusal) in [
            ("SN-NONE", ServiceNumberRefusal::Unknown),
            ("SN-SHORT", ServiceNumberRefusal::TermTooShort),
            ("SN-NOIP", ServiceNumberRefusal::NoPublicIp),
            ("SN-STOPPED", ServiceNumberRefusal::InstanceNotRunning),
            ("SN-EXPIRED", ServiceNumberRefusal::InstanceNotRunning),
            ("SN-SHOP", ServiceNumberRefusal::WrongProduct),
            ("SN-USED", ServiceNumberRefusal::Used),
        ] {
            let e = wf.bind_service_number(&a, &id, number).await.unwrap_err();
            assert!(
                matches!(e, WorkflowError::ServiceNumber(r) if r == refusal),
                "{number}: {e:?}"
            );
        }
        wf.bind_service_number(&a, &id, "SN-GOOD").await.unwrap();
        let sn = store.service_number("SN-GOOD").await.unwrap();
        assert_eq!(sn.status, ServiceNumberStatus::Bound);
        assert_eq!(sn.order_id.as_deref(), Some(id.as_str()));
        // A bound number cannot back another order.
        let b = account(store, "b").await;
        let other = wf
            .create_order(&b, &check("binding2.cn", &credit_code(61), "另一公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .bind_service_number(&b, &other, "SN-GOOD")
            .await
            .unwrap_err();
        assert!(matches!(
            e,
            WorkflowError::ServiceNumber(ServiceNumberRefusal::Used)
        ));
        // Binding another number releases the first.
        wf.bind_service_number(&a, &id, "SN-GOOD2").await.unwrap();
        assert_eq!(
            store.service_number("SN-GOOD").await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(view.service_number.as_deref(), Some("SN-GOOD2"));
    })
    .await;
}

#[tokio::test]
async fn storefront_needs_an_active_subscription() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = wf
            .create_order(&a, &check("shop.cn", &credit_code(70), "旺铺公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf.verify_storefront(&a, &id).await.unwrap_err();
        assert_eq!(e.code(), "no_storefront_subscription");
        let now = store.now().timestamp_millis();
        let mut tx = store.begin().await.unwrap();
        tx.insert_storefront_subscription("system", &a.account_id, "expired", now - 1)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        assert!(wf.verify_storefront(&a, &id).await.is_err());
        let mut tx = store.begin().await.unwrap();
        tx.insert_storefront_subscription("system", &a.account_id, "active", now + 86_400_000)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        wf.verify_storefront(&a, &id).await.unwrap();
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(
            view.product_line,
            Some(beian_core::order::ProductLine::Storefront)
        );
        assert!(view.steps.contains(&beian_core::order::Step::AppIdentity));
        assert!(
            !view
                .steps
                .iter()
                .any(|s| matches!(s, beian_core::order::Step::Photo(_))),
            "a storefront order outside Shanghai has no photo step: {:?}",
            view.steps
        );
        // The storefront flow asks for the app identity check before the submission.
        let missing = |e: WorkflowError| match e {
            WorkflowError::NotReady { transition, .. } => match transition.refusal {
                Refusal::NotReady { missing } => missing,
                other => panic!("{other:?}"),
            },
            other => panic!("expected not_ready, got {other:?}"),
        };
        let before = missing(wf.submit(&a, &id).await.unwrap_err());
        assert!(
            before.contains(&Requirement::IdentityVerified),
            "{before:?}"
        );
        assert!(
            !before.contains(&Requirement::ProductVerified),
            "{before:?}"
        );
        wf.record_app_identity("system:storefront-app", &id)
            .await
            .unwrap();
        let after = missing(wf.submit(&a, &id).await.unwrap_err());
        assert!(!after.contains(&Requirement::IdentityVerified), "{after:?}");
        // A server-product order has no app identity step.
        let b = account(store, "b").await;
        let server = wf
            .create_order(&b, &check("server-shop.cn", &credit_code(71), "服务器公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .record_app_identity("system:storefront-app", &server)
            .await
            .unwrap_err();
        assert_eq!(e.code(), "no_app_identity");
    })
    .await;
}

#[tokio::test]
async fn access_filing_password_and_abandon_warning() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let cert = credit_code(90);
        let registry = FakeRegistry::default()
            .sponsor(&cert, OTHER_SPONSOR, "secret")
            .website("pw.cn", OTHER_SPONSOR);
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = wf
            .create_order(&a, &check("pw.cn", &cert, "乙公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .verify_filing_password(&a, &id, "wrong")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "filing_password_incorrect");
        wf.verify_filing_password(&a, &id, "secret").await.unwrap();
        assert!(wf.order_view(&a, &id).await.unwrap().password_verified);
        for _ in 1..PASSWORD_ATTEMPTS {
            let e = wf
                .verify_filing_password(&a, &id, "wrong")
                .await
                .unwrap_err();
            assert_eq!(e.code(), "filing_password_incorrect");
        }
        let e = wf
            .verify_filing_password(&a, &id, "secret")
            .await
            .unwrap_err();
        let WorkflowError::PasswordLocked { bureau } = &e else {
            panic!("expected the lockout, got {e:?}");
        };
        assert_eq!(
            bureau,
            beian_core::province::Province::parse("33")
                .unwrap()
                .bureau()
        );
        assert!(
            e.localize(beian_core::i18n::Locale::ZhCn)
                .contains("找回备案密码")
        );

        // The password's hash is kept for the bureau upload until the order is abandoned.
        let key = format!("order:{id}");
        assert!(store.bureau_secret(&key).await.unwrap().is_some());
        let outcome = wf.abandon(&a, &id).await.unwrap();
        assert_eq!(outcome.warning, Some(ABANDON_ACCESS_WARNING));
        assert_eq!(store.bureau_secret(&key).await.unwrap(), None);

        // A first filing has no password step.
        let b = account(store, "b").await;
        let first = wf
            .create_order(&b, &check("nopw.cn", &credit_code(91), "丙公司"))
            .await
            .unwrap()
            .order_id;
        let e = wf
            .verify_filing_password(&b, &first, "x")
            .await
            .unwrap_err();
        assert_eq!(e.code(), "not_for_this_kind");
    })
    .await;
}

/// A resident ID of `region` (6 digits) born on `birth` (YYYYMMDD), with its check character.
fn resident_id_of(region: &str, birth: &str) -> String {
    let body = format!("{region}{birth}123");
    let check = beian_core::resident_id::check_character(&body).unwrap();
    format!("{body}{check}")
}

/// The province variants of 2026 (issue 18) in the forms and the materials, by the rules in
/// force today (they date from 2025-12-31; Jiangsu's documents from 2021-06-01).
#[tokio::test]
async fn province_variants_in_the_forms_and_materials() {
    use chrono::Datelike;
    each_backend(async |t| {
        let store = &t.store;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let today = beian_core::calendar::local_date(store.now());

        // 广东: an enterprise's responsible person must be its legal representative.
        let a = account(store, "gd").await;
        let mut input = check("variants-gd.cn", &credit_code(61), "广州示例科技有限公司");
        input.sponsor.province = "44".into();
        let id = wf.create_order(&a, &input).await.unwrap().order_id;
        let mut form = sponsor_form(&input);
        for said in [None, Some(false)] {
            form.responsible_is_legal_representative = said;
            let WorkflowError::Invalid(errors) =
                wf.update_sponsor(&a, &id, &form).await.unwrap_err()
            else {
                panic!("expected field errors");
            };
            let paths: Vec<&str> = errors.keys().map(String::as_str).collect();
            assert_eq!(paths, ["sponsor.responsible_is_legal_representative"]);
            let error = &errors["sponsor.responsible_is_legal_representative"];
            assert_eq!(error.key, "workflow.legal_representative_required");
            let zh = error.localize(beian_core::i18n::Locale::ZhCn);
            assert!(zh.contains("广东"), "{zh}");
        }
        form.responsible_is_legal_representative = Some(true);
        wf.update_sponsor(&a, &id, &form).await.unwrap();

        // 浙江 has no such rule: the same form without the answer is fine there.
        let z = account(store, "zj").await;
        let input = check("variants-zj.cn", &credit_code(62), "杭州示例科技有限公司");
        let id = wf.create_order(&z, &input).await.unwrap().order_id;
        wf.update_sponsor(&z, &id, &sponsor_form(&input))
            .await
            .unwrap();

        // 天津: a person filing must be 18; 17 and 364 days is refused, 18 today passes.
        let birth = |years_ago: i32, days: i64| {
            let d = today.with_year(today.year() - years_ago).unwrap_or(today)
                + chrono::Duration::days(days);
            d.format("%Y%m%d").to_string()
        };
        let individual = |name: &str, domain: &str, cert: &str, province: &str| {
            let mut input = check(domain, cert, name);
            input.sponsor.province = province.into();
            input.sponsor.nature = "individual".into();
            input.sponsor.certificate_type = "resident_id".into();
            input
        };
        let tj = account(store, "tj").await;
        let young = resident_id_of("120101", &birth(18, 1));
        let input = individual("李小明", "variants-tj.cn", &young, "12");
        let id = wf.create_order(&tj, &input).await.unwrap().order_id;
        let mut form = sponsor_form(&input);
        form.responsible.certificate_number = young.clone();
        let WorkflowError::Invalid(errors) = wf.update_sponsor(&tj, &id, &form).await.unwrap_err()
        else {
            panic!("expected field errors");
        };
        assert_eq!(
            errors["sponsor.certificate_number"].key,
            "workflow.under_min_age"
        );
        let en = errors["sponsor.certificate_number"].localize(beian_core::i18n::Locale::En);
        assert!(en.contains("18") && en.contains("Tianjin"), "{en}");

        // 广东 asks 16, and a residence permit of someone whose ID is from elsewhere: a
        // 17-year-old from Zhejiang files there with the permit among the materials.
        let gd = account(store, "gd-person").await;
        let seventeen = resident_id_of("330106", &birth(17, 0));
        let input = individual("王小红", "variants-gd-person.cn", &seventeen, "44");
        let id = wf.create_order(&gd, &input).await.unwrap().order_id;
        let mut form = sponsor_form(&input);
        form.responsible.certificate_number = seventeen.clone();
        wf.update_sponsor(&gd, &id, &form).await.unwrap();
        let WorkflowError::NotReady { materials, .. } = wf.submit(&gd, &id).await.unwrap_err()
        else {
            panic!("expected not ready");
        };
        let names: Vec<&str> = materials.iter().map(|m| m.as_str()).collect();
        assert!(names.contains(&"residence_permit"), "{names:?}");
        assert!(!names.contains(&"truthfulness_notice"), "{names:?}");

        // 江苏: the truthfulness notice and commitment, and the legal representative's
        // authorisation when the responsible person is not said to be the legal representative.
        let js = account(store, "js").await;
        let mut input = check("variants-js.cn", &credit_code(63), "南京示例科技有限公司");
        input.sponsor.province = "32".into();
        let id = wf.create_order(&js, &input).await.unwrap().order_id;
        let mut form = sponsor_form(&input);
        form.responsible_is_legal_representative = Some(false);
        wf.update_sponsor(&js, &id, &form).await.unwrap();
        let WorkflowError::NotReady { materials, .. } = wf.submit(&js, &id).await.unwrap_err()
        else {
            panic!("expected not ready");
        };
        let names: Vec<&str> = materials.iter().map(|m| m.as_str()).collect();
        for needed in [
            "truthfulness_notice",
            "truthfulness_commitment",
            "authorization_letter",
        ] {
            assert!(names.contains(&needed), "{needed} in {names:?}");
        }
        assert!(!names.contains(&"residence_permit"), "{names:?}");
        form.responsible_is_legal_representative = Some(true);
        wf.update_sponsor(&js, &id, &form).await.unwrap();
        let WorkflowError::NotReady { materials, .. } = wf.submit(&js, &id).await.unwrap_err()
        else {
            panic!("expected not ready");
        };
        assert!(
            !materials
                .iter()
                .any(|m| m.as_str() == "authorization_letter")
        );
        assert!(
            materials
                .iter()
                .any(|m| m.as_str() == "truthfulness_notice")
        );
    })
    .await;
}
