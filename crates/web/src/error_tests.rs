//! Tests of the API error bodies and their messages.

use super::*;

#[test]
fn every_key_used_exists_in_both_locales() {
    let errors = [
        ApiError::BadRequest("bad_request"),
        ApiError::BadRequest("invalid_body"),
        ApiError::BadRequest("bad_idempotency_key"),
        ApiError::Unauthenticated,
        ApiError::InvalidCredentials,
        ApiError::Forbidden,
        ApiError::NotFound,
        ApiError::Conflict,
        ApiError::PayloadTooLarge,
        ApiError::field("username", "api.field.taken"),
        ApiError::TooManyRequests {
            code: "too_many_attempts",
            retry_after_secs: 61,
        },
        ApiError::TooManyRequests {
            code: "too_many_requests",
            retry_after_secs: 1,
        },
        ApiError::Unavailable,
    ];
    for e in &errors {
        let key = e.parts().message.key;
        assert!(messages().has_key(key), "{key} missing");
    }
    for constraint in [
        "accounts_username_key",
        "sponsors_certificate_key",
        "websites_domain_key",
    ] {
        let (_, key) = unique_field(constraint).unwrap();
        assert!(messages().has_key(key), "{key} missing");
    }
    for key in messages().keys() {
        assert!(messages().has_key(key), "{key} lacks a locale");
    }
}

#[test]
fn bodies_follow_the_contract() {
    let cases: [(ApiError, u16, &str, Option<&str>); 5] = [
        (ApiError::Unauthenticated, 401, "unauthenticated", None),
        (ApiError::NotFound, 404, "not_found", None),
        (
            StoreError::Unique {
                constraint: "accounts_username_key",
            }
            .into(),
            422,
            "validation_failed",
            Some("username"),
        ),
        (
            StoreError::Conflict { what: "order" }.into(),
            409,
            "conflict",
            None,
        ),
        (
            ApiError::TooManyRequests {
                code: "too_many_attempts",
                retry_after_secs: 90,
            },
            429,
            "too_many_attempts",
            None,
        ),
    ];
    for (e, status, code, field) in cases {
        let parts = e.parts();
        assert_eq!(parts.status.as_u16(), status);
        let body = parts.body(Locale::En);
        assert_eq!(body["error"]["code"], code);
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
        if let Some(field) = field {
            assert_eq!(body["error"]["fields"][field], "already taken");
        } else {
            assert!(body["error"].get("fields").is_none());
        }
    }
    let attempts = ApiError::TooManyRequests {
        code: "too_many_attempts",
        retry_after_secs: 90,
    };
    let en = attempts.parts().body(Locale::En);
    assert_eq!(
        en["error"]["message"],
        "too many failed sign-ins; try again in 2 minutes"
    );
    let zh = attempts.parts().body(Locale::ZhCn);
    assert_eq!(zh["error"]["message"], "登录失败次数过多，请 2 分钟后再试");
}

#[test]
fn internal_causes_are_not_sent() {
    let e = ApiError::internal(std::io::Error::other("secret path /etc/x"));
    let body = e.parts().body(Locale::En).to_string();
    assert!(!body.contains("secret"), "{body}");
    assert!(body.contains("\"internal\""));
}

#[test]
fn workflow_refusals_keep_their_status_code_message_and_fields() {
    use beian_platform::workflow::{FieldError as WfField, FieldErrors};
    let mut invalid = FieldErrors::new();
    invalid.insert(
        "sponsor.address".to_owned(),
        WfField::new("workflow.required"),
    );
    let cases: [(WorkflowError, u16, &str, Option<&str>); 4] = [
        (
            WorkflowError::Invalid(invalid),
            422,
            "invalid_input",
            Some("sponsor.address"),
        ),
        (
            WorkflowError::NotFound { what: "order" },
            404,
            "not_found",
            None,
        ),
        (WorkflowError::Conflict, 409, "conflict", None),
        (
            WorkflowError::FieldLocked {
                fields: vec!["website.domain".to_owned()],
            },
            409,
            "field_locked",
            Some("website.domain"),
        ),
    ];
    for (wf, status, code, field) in cases {
        let en_message = wf.localize(Locale::En);
        let zh_message = wf.localize(Locale::ZhCn);
        let parts = ApiError::from(wf).parts();
        assert_eq!(parts.status.as_u16(), status, "{code}");
        assert_eq!(parts.code, code);
        let en = parts.body(Locale::En);
        let zh = parts.body(Locale::ZhCn);
        assert_eq!(en["error"]["code"], code);
        assert_eq!(en["error"]["message"], en_message.as_str());
        assert_eq!(zh["error"]["message"], zh_message.as_str());
        assert_ne!(en_message, zh_message, "{code} is translated");
        match field {
            Some(f) => assert!(en["error"]["fields"][f].is_string(), "{en}"),
            None => assert!(en["error"].get("fields").is_none(), "{en}"),
        }
    }
    let store = WorkflowError::Store(StoreError::Corrupt("x"));
    assert_eq!(ApiError::from(store).parts().code, "internal");
}
