//! Unit tests of the workflow module: every message key it uses exists in both languages.

use beian_core::i18n::Locale;

use super::error::ServiceNumberRefusal;
use super::*;

#[test]
fn every_workflow_message_key_exists() {
    let m = messages();
    let keys = [
        "workflow.invalid_input",
        "workflow.required",
        "workflow.too_long",
        "workflow.unknown_choice",
        "workflow.certificate_number_shape",
        "workflow.certificate_type_for_nature",
        "workflow.person_certificate_type",
        "workflow.emergency_mobile_same",
        "workflow.home_url_domain",
        "workflow.material_missing",
        "workflow.field_locked_one",
        ABANDON_ACCESS_WARNING,
    ];
    for key in keys {
        assert!(m.has_key(key), "{key}");
    }
    let errors = [
        WorkflowError::Invalid(FieldErrors::new()),
        WorkflowError::SponsorOfOtherAccount,
        WorkflowError::DomainInUse,
        WorkflowError::FieldLocked { fields: vec![] },
        WorkflowError::NotEditable {
            state: beian_core::order::OrderState::ProviderReview,
        },
        WorkflowError::NotForThisKind,
        WorkflowError::ServiceNumber(ServiceNumberRefusal::Unknown),
        WorkflowError::ServiceNumber(ServiceNumberRefusal::Used),
        WorkflowError::ServiceNumber(ServiceNumberRefusal::WrongProduct),
        WorkflowError::ServiceNumber(ServiceNumberRefusal::InstanceNotRunning),
        WorkflowError::ServiceNumber(ServiceNumberRefusal::NoPublicIp),
        WorkflowError::ServiceNumber(ServiceNumberRefusal::TermTooShort),
        WorkflowError::ServiceNumber(ServiceNumberRefusal::InstanceLimitReached),
        WorkflowError::NoStorefront,
        WorkflowError::PasswordIncorrect,
        WorkflowError::PasswordLocked { bureau: "x".into() },
        WorkflowError::Conflict,
        WorkflowError::OwnOrder,
        WorkflowError::NotFound { what: "order" },
        WorkflowError::Registry("x".into()),
        WorkflowError::Store(beian_store::StoreError::Corrupt("x")),
    ];
    for e in errors {
        assert!(m.has_key(e.message_key()), "{}", e.message_key());
        for locale in Locale::ALL {
            assert_ne!(e.localize(locale), e.message_key(), "{e:?}");
        }
    }
}

#[test]
fn password_lock_names_where_to_recover() {
    let e = WorkflowError::PasswordLocked {
        bureau: "浙江省通信管理局".into(),
    };
    let zh = e.localize(Locale::ZhCn);
    assert!(
        zh.contains("浙江省通信管理局") && zh.contains("beian.miit.gov.cn"),
        "{zh}"
    );
    assert_eq!(e.status(), 429);
}

#[test]
fn a_person_form_debug_shows_no_personal_data_whole() {
    let p = PersonForm {
        name: "欧阳明月".into(),
        certificate_type: "resident_id".into(),
        certificate_number: "330106199001010018".into(),
        mobile: "13800138000".into(),
        email: "mingyue@example.cn".into(),
        emergency_mobile: "13900139000".into(),
        office_phone: String::new(),
    };
    let shown = format!("{p:?}");
    for secret in [
        "欧阳明月",
        "330106199001010018",
        "13800138000",
        "13900139000",
        "mingyue@example.cn",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("欧***"), "{shown}");
}
