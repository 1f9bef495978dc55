//! Materials of an order (`POST /orders/{id}/materials`) and the data of its verification
//! form (`GET /orders/{id}/verification-form`).
//!
//! [`Workflow::add_material`] takes an upload already checked and cleaned
//! ([`crate::materials::sanitize`]): only the order's owner may add one, only while the order
//! is editable (`draft`, `returned`, `bureau_returned`). The bytes go to the object store
//! first (under a random key); the metadata row, the timeline entry `material_added` and the
//! audit records are then one transaction that moves the order's version. A material of the
//! same kind is replaced: its row is deleted in that transaction and its object after the
//! commit. When the transaction fails, the new object is deleted again.

use beian_core::sponsor::{Certificate, CertificateType, SponsorNature};
use beian_store::objects::Objects;
use beian_store::orders::{NewMaterial, TimelineEvent};
use serde::Serialize;
use serde_json::json;

use super::error::WorkflowError;
use super::forms::{PersonForm, validate_sponsor, validate_website};
use super::{Acting, Workflow};
use crate::materials::{MaterialKind, Sanitized};
use crate::verification_form::VerificationFormData;

/// A stored material, as `POST /orders/{id}/materials` answers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddedMaterial {
    pub id: String,
    pub kind: MaterialKind,
    pub content_type: String,
    pub size: i64,
    /// SHA-256 of the stored (cleaned) bytes, hex.
    pub sha256: String,
}

impl Workflow<'_> {
    /// Stores a cleaned upload as the order's material of `kind` (replacing one of that kind).
    pub async fn add_material(
        &self,
        acting: &Acting,
        order_id: &str,
        kind: MaterialKind,
        file: Sanitized,
        objects: &Objects,
    ) -> Result<AddedMaterial, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        if !l.state.is_editable() {
            return Err(WorkflowError::NotEditable { state: l.state });
        }
        // An APP's icon: PNG or JPEG of at most 100 KB, as the filing sends it.
        if kind == MaterialKind::AppIcon {
            let mut errors = super::error::FieldErrors::new();
            if !l.forms.is_app() {
                errors.insert(
                    "kind".into(),
                    super::error::FieldError::new("workflow.only_for_app"),
                );
            } else if let Err(e) = beian_core::app::icon(&file.bytes) {
                errors.insert("file".into(), super::error::FieldError::from_localized(&e));
            }
            if !errors.is_empty() {
                return Err(WorkflowError::Invalid(errors));
            }
        }
        let replaced: Vec<_> = self
            .store
            .materials(&l.order.id)
            .await?
            .into_iter()
            .filter(|m| m.kind == kind.as_str())
            .collect();
        let content_type = file.file_type.mime();
        let stored = objects.put(file.bytes).await?;
        let actor = acting.actor();
        let written = async {
            let mut tx = self.store.begin().await?;
            let mut ev = TimelineEvent::new(&actor, "material_added");
            ev.note = json!({ "kind": kind.as_str(), "replaced": !replaced.is_empty() });
            tx.transition_order(&l.order.id, l.order.version, l.state.as_str(), &ev)
                .await?;
            for old in &replaced {
                tx.delete_material(&actor, &old.id).await?;
            }
            let id = tx
                .insert_material(
                    &actor,
                    &NewMaterial {
                        order_id: &l.order.id,
                        kind: kind.as_str(),
                        object_key: &stored.key,
                        content_type,
                        size: stored.size,
                        sha256_hex: &stored.sha256_hex,
                    },
                )
                .await?;
            tx.commit().await?;
            Ok::<String, beian_store::StoreError>(id)
        }
        .await;
        let id = match written {
            Ok(id) => id,
            Err(e) => {
                if let Err(cleanup) = objects.delete(&stored.key).await {
                    tracing::warn!(error = %cleanup, "orphan material object left behind");
                }
                return Err(e.into());
            }
        };
        for old in &replaced {
            // Objects of other origins (e.g. seeded rows) are not ours to find: logged only.
            if let Err(e) = objects.delete(&old.object_key).await {
                tracing::warn!(error = %e, material = %old.id, "replaced material's object kept");
            }
        }
        Ok(AddedMaterial {
            id,
            kind,
            content_type: content_type.to_owned(),
            size: stored.size,
            sha256: stored.sha256_hex,
        })
    }

    /// The data of the order's verification form; the owner only (404 otherwise). Forms that
    /// are not complete yet are refused with their field errors (422).
    pub async fn verification_form_data(
        &self,
        acting: &Acting,
        order_id: &str,
        access_provider: &str,
        ips: Vec<String>,
    ) -> Result<VerificationFormData, WorkflowError> {
        let l = self.load(acting, order_id).await?;
        let mut errors = validate_sponsor(&l.forms.sponsor);
        errors.append(&mut validate_website(&l.forms.website));
        if !errors.is_empty() {
            return Err(WorkflowError::Invalid(errors));
        }
        let sponsor = &l.forms.sponsor;
        let website = &l.forms.website;
        let corrupt =
            || WorkflowError::Store(beian_store::StoreError::Corrupt("order_workflow.forms"));
        let certificate = |t: &str, n: &str| {
            CertificateType::parse(t)
                .map(|t| Certificate::new(t, n))
                .ok_or_else(corrupt)
        };
        let person = |p: &PersonForm| certificate(&p.certificate_type, &p.certificate_number);
        let date = self
            .store
            .now()
            .with_timezone(&chrono_tz::Asia::Shanghai)
            .date_naive();
        Ok(VerificationFormData {
            order_id: l.order.id.clone(),
            kind: l.kind,
            sponsor_name: sponsor.identity.name.clone(),
            sponsor_nature: SponsorNature::parse(&sponsor.identity.nature).ok_or_else(corrupt)?,
            sponsor_certificate: certificate(
                &sponsor.identity.certificate_type,
                &sponsor.identity.certificate_number,
            )?,
            sponsor_address: sponsor.address.clone(),
            sponsor_responsible: sponsor.responsible.name.clone(),
            website_name: website.name.clone(),
            domain: website.domain.clone(),
            home_url: website.home_url.clone(),
            service_content: website.service_content.clone(),
            website_responsible: website.responsible.name.clone(),
            website_responsible_certificate: person(&website.responsible)?,
            access_provider: access_provider.to_owned(),
            ips,
            date,
        })
    }
}
