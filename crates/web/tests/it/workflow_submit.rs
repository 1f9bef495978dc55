//! Submission (missing items, provider review), the provider's return and resubmission,
//! concurrent submissions, and abandon, over both backends.

use crate::harness::services::*;

#[tokio::test]
async fn submit_incomplete_names_what_is_missing() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let input = check("missing.cn", &credit_code(80), "杭州示例科技有限公司");
        let id = wf.create_order(&a, &input).await.unwrap().order_id;
        let e = wf.submit(&a, &id).await.unwrap_err();
        let WorkflowError::NotReady {
            transition,
            materials,
            fields,
        } = &e
        else {
            panic!("expected not_ready, got {e:?}");
        };
        let Refusal::NotReady { missing } = &transition.refusal else {
            panic!("{transition:?}");
        };
        assert_eq!(
            missing,
            &[
                Requirement::FormsComplete,
                Requirement::MaterialsComplete,
                Requirement::ProductVerified
            ]
        );
        assert!(fields.contains(&"sponsor.address".to_owned()), "{fields:?}");
        assert!(
            fields.contains(&"website.home_url".to_owned()),
            "{fields:?}"
        );
        let names: Vec<&str> = materials.iter().map(|m| m.as_str()).collect();
        assert!(names.contains(&"business_license"), "{names:?}");
        assert!(names.contains(&"verification_form"), "{names:?}");
        assert_eq!(e.status(), 409);
        assert!(
            e.fields(beian_core::i18n::Locale::ZhCn)
                .contains_key("materials.business_license")
        );
        assert_eq!(store.order(&id).await.unwrap().state, "draft");
    })
    .await;
}

#[tokio::test]
async fn submit_return_edit_resubmit() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "flow.cn", "SN-FLOW").await;
        let submitted = wf.submit(&a, &id).await.unwrap();
        assert_eq!(submitted.state, OrderState::ProviderReview);
        let view = wf.order_view(&a, &id).await.unwrap();
        use beian_core::order::{PhotoMethod, Step};
        assert_eq!(
            view.steps[..3],
            [
                Step::Application,
                Step::ProviderReview,
                Step::Photo(PhotoMethod::Backdrop)
            ],
            "a Zhejiang server order: review, then the backdrop photo"
        );
        assert!(store.order_workflow(&id).await.unwrap().flow.is_some());
        assert_eq!(store.order(&id).await.unwrap().state, "provider_review");
        assert_eq!(
            store.service_number("SN-FLOW").await.unwrap().status,
            ServiceNumberStatus::Filing
        );
        // Not editable under review.
        let input = check("flow.cn", &credit_code(1), "杭州示例科技有限公司");
        let e = wf.update_sponsor(&a, &id, &sponsor_form(&input)).await.unwrap_err();
        assert_eq!(e.code(), "order_not_editable");
        // An applicant cannot return it.
        assert!(wf.provider_return(&a, &id, &[]).await.is_err());
        let (pending_before, _, _, _) = store.job_counts().await.unwrap();
        let reasons = [ReturnReasonInput {
            field: "sponsor.address".into(),
            message: "地址应与营业执照一致".into(),
        }];
        let returned = wf.provider_return(&reviewer(), &id, &reasons).await.unwrap();
        assert_eq!(returned.state, OrderState::Returned);
        let (pending_after, _, _, _) = store.job_counts().await.unwrap();
        assert_eq!(pending_after - pending_before, 2, "email and SMS jobs queued");

        // Only the returned field may change now.
        let mut form = sponsor_form(&input);
        form.responsible.name = "王五".into();
        let e = wf.update_sponsor(&a, &id, &form).await.unwrap_err();
        assert!(
            matches!(&e, WorkflowError::FieldLocked { fields } if fields == &["sponsor.responsible.name"]),
            "{e:?}"
        );
        let mut form = sponsor_form(&input);
        form.address = "浙江省杭州市西湖区文三路 2 号".into();
        wf.update_sponsor(&a, &id, &form).await.unwrap();
        let again = wf.resubmit(&a, &id).await.unwrap();
        assert_eq!(again.state, OrderState::ProviderReview);
        let order = store.order(&id).await.unwrap();
        assert_eq!(order.return_reasons, serde_json::json!([]));
        let events: Vec<String> = store
            .order_timeline(&id)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.event)
            .collect();
        assert_eq!(
            events,
            [
                "create",
                "sponsor_updated",
                "website_updated",
                "product_verified",
                "submit",
                "provider_return",
                "sponsor_updated",
                "resubmit"
            ]
        );
        let head = beian_store::audit::head_file_path(store);
        let report = beian_store::verify_audit(store, &head).await.unwrap();
        assert!(report.records > 0);
    })
    .await;
}

#[tokio::test]
async fn concurrent_submits_one_wins() {
    each_backend(async |t| {
        let store = &t.store;
        let other = t.open_another().await;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let wf2 = Workflow::new(&other, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "race.cn", "SN-RACE").await;
        let (r1, r2) = tokio::join!(wf.submit(&a, &id), wf2.submit(&a, &id));
        let results = [r1, r2];
        let wins = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(wins, 1, "{results:?}");
        let loser = results.into_iter().find_map(Result::err).unwrap();
        // Both read version N; the second writer finds it moved (conflict). If it read after
        // the first commit, the state machine refuses instead (not in this state).
        assert!(
            matches!(loser, WorkflowError::Conflict)
                || matches!(&loser, WorkflowError::InvalidTransition(t) if t.refusal == Refusal::NotInThisState),
            "{loser:?}"
        );
        eprintln!("loser: {}", loser.code());
        let timeline = store.order_timeline(&id).await.unwrap();
        assert_eq!(timeline.iter().filter(|e| e.event == "submit").count(), 1);
        other.close().await;
    })
    .await;
}

#[tokio::test]
async fn stale_version_is_a_conflict() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "stale.cn", "SN-STALE").await;
        let order = store.order(&id).await.unwrap();
        // Another writer moves the order after we read it.
        wf.submit(&a, &id).await.unwrap();
        let mut tx = store.begin().await.unwrap();
        let e = tx
            .transition_order(
                &id,
                order.version,
                "provider_review",
                &beian_store::orders::TimelineEvent::new("x", "submit"),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, beian_store::StoreError::Conflict { .. }));
        assert!(matches!(WorkflowError::from(e), WorkflowError::Conflict));
    })
    .await;
}

#[tokio::test]
async fn abandon_releases_the_service_number() {
    each_backend(async |t| {
        let store = &t.store;
        let a = account(store, "a").await;
        let registry = FakeRegistry::default();
        let wf = Workflow::new(store, &registry, PROVIDER);
        let id = ready_first_filing(&wf, &a, "quit.cn", "SN-QUIT").await;
        wf.submit(&a, &id).await.unwrap();
        let outcome = wf.abandon(&a, &id).await.unwrap();
        assert_eq!(outcome.state, OrderState::Abandoned);
        assert_eq!(
            outcome.warning, None,
            "a first filing has no access warning"
        );
        assert_eq!(
            store.service_number("SN-QUIT").await.unwrap().status,
            ServiceNumberStatus::Unbound
        );
        let view = wf.order_view(&a, &id).await.unwrap();
        assert_eq!(view.service_number, None);
        assert!(view.allowed_events.is_empty());
        let e = wf.abandon(&a, &id).await.unwrap_err();
        assert_eq!(e.code(), "order_closed");
        // The sponsor is free for a new order; the number can back it.
        let input = check("quit2.cn", &credit_code(1), "杭州示例科技有限公司");
        let next = wf.create_order(&a, &input).await.unwrap().order_id;
        wf.bind_service_number(&a, &next, "SN-QUIT").await.unwrap();
    })
    .await;
}
