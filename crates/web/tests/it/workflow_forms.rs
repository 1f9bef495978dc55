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

        let outcome = wf.abandon(&a, &id).await.unwrap();
        assert_eq!(outcome.warning, Some(ABANDON_ACCESS_WARNING));

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
