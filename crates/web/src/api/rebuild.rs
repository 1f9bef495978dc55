//! Answers lost in a crash, rebuilt (issue 16).
//!
//! An idempotent request commits its key with its effects, and stores its answer just after
//! ([`crate::api::idempotency`]). If its process dies in between (or it fails after its
//! commit), a retry with the key must not run it again, and has no stored answer to replay.
//! The pending key records what the commit did ([`Effect`]: its audit entries), and this
//! module rebuilds the route's answer from them and from the resource as it now stands:
//!
//! - What the commit decided comes from its effects, exactly: the state and version a
//!   transition left, the id of what it created (order, material, photo check, account).
//! - What the answer shows of a resource beyond that (an order's forms, timeline, steps) is
//!   read now: if the order moved on since, the answer shows it as it is now, as `GET` would.
//! - `POST /orders`: the filing check's `registry` (what the ministry's registry holds) is
//!   not kept, so a rebuilt answer leaves it out; `POST /filing-checks` asks again.
//! - A login (`POST /sessions`) and a new API key hand out a secret, which is never stored:
//!   their keys are freed and the request runs again (a new session, a new key).
//! - Routes not listed in [`rebuild`] (the administrators' and the bureau's rarer ones) keep
//!   409 `request_answer_lost`: the client looks the result up.
//!
//! The answer rebuilt is stored with the key, so later retries replay it as any other.

use axum::http::StatusCode;
use beian_core::contact::Mobile;
use beian_core::i18n::Locale;
use beian_platform::workflow::{
    ABANDON_ACCESS_WARNING, Acting, PhotoStepDone, UploadWithdrawal, messages,
};
use beian_store::idempotency::Effect;
use serde_json::{Value, json};

use crate::api::accounts::AccountView;
use crate::api::auth::CurrentAccount;
use crate::api::orders::{AbandonView, BureauUpload, created_body};
use crate::api::photo::StateView;
use crate::api::review::{TransitionView, to_json};
use crate::error::ApiError;
use crate::startup::AppState;

/// What became of a lost answer.
#[derive(Debug)]
pub enum Rebuilt {
    /// The answer, to be stored with the key and given.
    Answer(StatusCode, Value),
    /// The request hands out a secret and is never replayed: its key is freed, it runs again.
    RunAgain,
    /// This route's answer cannot be rebuilt (or what the commit did was not recorded, for a
    /// key from before this was built): 409 `request_answer_lost`.
    Lost,
}

/// The id created or changed by the first effect with `action`, of the subject's `kind`.
fn id_of<'a>(effects: &'a [Effect], action: &str, kind: &str) -> Option<&'a str> {
    effects
        .iter()
        .find(|e| e.action == action)
        .and_then(|e| e.id_of(kind))
}

/// The `after` value of the first effect with `action`.
fn after<'a>(effects: &'a [Effect], action: &str) -> Option<&'a Value> {
    effects
        .iter()
        .find(|e| e.action == action)
        .and_then(|e| e.after.as_ref())
}

/// The state and version the order's (last) transition in the commit left.
fn transitioned(effects: &[Effect], order_id: &str) -> Option<(String, i64)> {
    let subject = format!("order:{order_id}");
    let after = effects
        .iter()
        .rev()
        .find(|e| e.action == "order.transition" && e.subject == subject)?
        .after
        .as_ref()?;
    Some((
        after["state"].as_str()?.to_owned(),
        after["version"].as_i64()?,
    ))
}

/// Rebuilds the answer of the idempotent POST to `path` (relative to `/api/v1`, or with it)
/// whose commit did `effects`, for the same caller (`account`, `locale`) retrying it.
pub async fn rebuild(
    state: &AppState,
    account: Option<&CurrentAccount>,
    path: &str,
    effects: &[Effect],
    locale: Locale,
) -> Result<Rebuilt, ApiError> {
    let path = path.split('?').next().unwrap_or_default();
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    if let ["sessions"] | ["api-keys"] = segments.as_slice() {
        return Ok(Rebuilt::RunAgain);
    }
    if segments.as_slice() == ["accounts"] {
        return Ok(match id_of(effects, "account.create", "account") {
            Some(id) => account_created(state, id).await?,
            None => Rebuilt::Lost,
        });
    }
    let Some(account) = account else {
        return Ok(Rebuilt::Lost);
    };
    let acting = account.acting();
    let rebuilt = match segments.as_slice() {
        ["orders"] => match id_of(effects, "order.create", "order") {
            Some(id) => order_created(state, &acting, id, effects).await?,
            None => Rebuilt::Lost,
        },
        ["sponsor", "orders"] | ["websites", _, "orders"] | ["apps", _, "orders"] => {
            match id_of(effects, "order.create", "order") {
                Some(id) => order_view(state, &acting, id, StatusCode::CREATED).await?,
                None => Rebuilt::Lost,
            }
        }
        ["orders", id, "submit" | "password-verification"] => {
            order_view(state, &acting, id, StatusCode::OK).await?
        }
        ["orders", _, "materials"] => material_added(effects),
        ["orders", id, "photo"] => photo_submitted(effects, id),
        ["orders", id, "abandon"] => abandoned(state, &acting, id, effects, locale).await?,
        ["review", "orders", id, "approve" | "return"] => match transitioned(effects, id) {
            Some((state, version)) => {
                Rebuilt::Answer(StatusCode::OK, to_json(&TransitionView { state, version })?)
            }
            None => Rebuilt::Lost,
        },
        ["review", "orders", id, "photo", "approve" | "reject"] => {
            photo_decided(state, effects, id).await?
        }
        ["review", "orders", id, "app-identity"] => {
            // The state does not change; the answer is the order's state and version.
            let order = state.store.order(id).await?;
            Rebuilt::Answer(
                StatusCode::OK,
                to_json(&StateView {
                    state: order.state,
                    version: order.version,
                })?,
            )
        }
        _ => Rebuilt::Lost,
    };
    Ok(rebuilt)
}

async fn account_created(state: &AppState, id: &str) -> Result<Rebuilt, ApiError> {
    let account = state.store.account(id).await?;
    let mobile = account
        .mobile
        .as_deref()
        .and_then(|m| Mobile::parse(m).ok())
        .map(|m| m.masked())
        .unwrap_or_default();
    Ok(Rebuilt::Answer(
        StatusCode::CREATED,
        to_json(&AccountView {
            id: account.id,
            username: account.username,
            email: account.email,
            mobile,
            role: account.role.as_str().to_owned(),
        })?,
    ))
}

async fn order_view(
    state: &AppState,
    acting: &Acting,
    id: &str,
    status: StatusCode,
) -> Result<Rebuilt, ApiError> {
    let view = state.workflow().order_view(acting, id).await?;
    Ok(Rebuilt::Answer(status, to_json(&view)?))
}

/// `POST /orders`: the order's view with the created ids and what its kind implies; the
/// registry's answer is not kept (see the module documentation).
async fn order_created(
    state: &AppState,
    acting: &Acting,
    id: &str,
    effects: &[Effect],
) -> Result<Rebuilt, ApiError> {
    let view = state.workflow().order_view(acting, id).await?;
    let order = state.store.order(id).await?;
    // A website's order has no APP; an APP's was created with it or taken up again.
    let app_id = match (id_of(effects, "app.create", "app"), &order.website_id) {
        (Some(app), _) => Some(app.to_owned()),
        (None, Some(_)) => None,
        (None, None) => state.store.app_of_order(id).await?.map(|a| a.id),
    };
    let mut check = json!({
        "order_id": id,
        "sponsor_id": order.sponsor_id,
        "needs_filing_password": view.kind.needs_filing_password(),
        "access_only": view.kind.is_access(),
    });
    if let Some(w) = &order.website_id {
        check["website_id"] = json!(w);
    }
    if let Some(a) = app_id {
        check["app_id"] = json!(a);
    }
    Ok(Rebuilt::Answer(
        StatusCode::CREATED,
        created_body(&view, &check)?,
    ))
}

/// `POST /orders/{id}/materials`: what the upload stored (`material.add`).
fn material_added(effects: &[Effect]) -> Rebuilt {
    let Some(a) = after(effects, "material.add") else {
        return Rebuilt::Lost;
    };
    match (&a["material"], &a["content_type"]) {
        (Value::String(id), Value::String(content_type)) => Rebuilt::Answer(
            StatusCode::CREATED,
            json!({
                "id": id,
                "kind": a["kind"],
                "content_type": content_type,
                "size": a["size"],
                "sha256": a["sha256"],
            }),
        ),
        _ => Rebuilt::Lost,
    }
}

/// `POST /orders/{id}/photo` (a photo or a Shanghai code): the transition and the photo
/// check it recorded (`photo.submit`).
fn photo_submitted(effects: &[Effect], order_id: &str) -> Rebuilt {
    let (Some((state, version)), Some(photo)) = (
        transitioned(effects, order_id),
        after(effects, "photo.submit"),
    ) else {
        return Rebuilt::Lost;
    };
    let Some(photo_id) = photo["photo"].as_str() else {
        return Rebuilt::Lost;
    };
    let done = PhotoStepDone {
        state,
        version,
        photo_id: photo_id.to_owned(),
        sha256: photo["sha256"].as_str().map(str::to_owned),
    };
    match serde_json::to_value(&done) {
        Ok(v) => Rebuilt::Answer(StatusCode::OK, v),
        Err(_) => Rebuilt::Lost,
    }
}

/// `POST /review/orders/{id}/photo/approve|reject`: the transition and the photo check
/// decided (`photo.decide`), with its digest as stored.
async fn photo_decided(
    state: &AppState,
    effects: &[Effect],
    order_id: &str,
) -> Result<Rebuilt, ApiError> {
    let (Some((next, version)), Some(photo_id)) = (
        transitioned(effects, order_id),
        id_of(effects, "photo.decide", "photo"),
    ) else {
        return Ok(Rebuilt::Lost);
    };
    let sha256 = state
        .store
        .photo_checks(order_id)
        .await?
        .into_iter()
        .find(|p| p.id == photo_id)
        .and_then(|p| p.sha256_hex);
    Ok(Rebuilt::Answer(
        StatusCode::OK,
        to_json(&PhotoStepDone {
            state: next,
            version,
            photo_id: photo_id.to_owned(),
            sha256,
        })?,
    ))
}

/// `POST /orders/{id}/abandon`: the state and version left, the access kinds' warning, and
/// what became of the bureau upload (the abandon timeline entry's note).
async fn abandoned(
    state: &AppState,
    acting: &Acting,
    order_id: &str,
    effects: &[Effect],
    locale: Locale,
) -> Result<Rebuilt, ApiError> {
    let Some((next, version)) = transitioned(effects, order_id) else {
        return Ok(Rebuilt::Lost);
    };
    let view = state.workflow().order_view(acting, order_id).await?;
    let bureau_upload = view
        .timeline
        .iter()
        .rev()
        .find(|t| t.to_state == next)
        .and_then(|t| {
            t.note
                .value()
                .get_mut("bureau_upload")
                .map(serde_json::Value::take)
        })
        .and_then(|o| serde_json::from_value::<UploadWithdrawal>(o).ok())
        .map(BureauUpload::from);
    let warning = view
        .kind
        .is_access()
        .then(|| messages().render(locale, ABANDON_ACCESS_WARNING, &[]));
    Ok(Rebuilt::Answer(
        StatusCode::OK,
        to_json(&AbandonView {
            state: next,
            version,
            warning,
            bureau_upload,
        })?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn effect(action: &str, subject: &str, after: Value) -> Effect {
        Effect {
            action: action.into(),
            subject: subject.into(),
            after: Some(after),
        }
    }

    #[test]
    fn a_transition_is_read_from_the_commits_effects() {
        let effects = vec![
            effect("order.forms", "order:o1", json!({})),
            effect(
                "order.transition",
                "order:o1",
                json!({"state": "photo_pending", "version": 7, "event": "approve"}),
            ),
            effect(
                "order.transition",
                "order:o2",
                json!({"state": "draft", "version": 2}),
            ),
        ];
        assert_eq!(
            transitioned(&effects, "o1"),
            Some(("photo_pending".to_owned(), 7))
        );
        assert_eq!(transitioned(&effects, "o3"), None);
    }

    #[test]
    fn a_material_answer_needs_what_the_upload_recorded() {
        let effects = vec![effect(
            "material.add",
            "order:o1",
            json!({"material": "m1", "kind": "id_front", "content_type": "image/jpeg",
                   "size": 12, "sha256": "ab"}),
        )];
        match material_added(&effects) {
            Rebuilt::Answer(status, body) => {
                assert_eq!(status, StatusCode::CREATED);
                assert_eq!(
                    body,
                    json!({"id": "m1", "kind": "id_front", "content_type": "image/jpeg",
                           "size": 12, "sha256": "ab"})
                );
            }
            other => panic!("{other:?}"),
        }
        // A record from before the content type was kept cannot make the answer whole.
        let old = vec![effect(
            "material.add",
            "order:o1",
            json!({"material": "m1", "kind": "id_front", "size": 12, "sha256": "ab"}),
        )];
        assert!(matches!(material_added(&old), Rebuilt::Lost));
        assert!(matches!(material_added(&[]), Rebuilt::Lost));
    }

    #[test]
    fn a_photo_answer_takes_the_check_and_the_transition() {
        let effects = vec![
            effect(
                "photo.submit",
                "order:o1",
                json!({"photo": "p1", "method": "backdrop_photo", "sha256": "cd", "size": 3}),
            ),
            effect(
                "order.transition",
                "order:o1",
                json!({"state": "photo_review", "version": 9}),
            ),
        ];
        match photo_submitted(&effects, "o1") {
            Rebuilt::Answer(StatusCode::OK, body) => assert_eq!(
                body,
                json!({"state": "photo_review", "version": 9, "photo_id": "p1", "sha256": "cd"})
            ),
            other => panic!("{other:?}"),
        }
        assert!(matches!(photo_submitted(&effects, "o2"), Rebuilt::Lost));
    }
}
