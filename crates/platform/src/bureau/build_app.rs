//! The APP extension upload (`urn:beian:miit-ext:app:1`, docs/interface-extensions.md) of an
//! APP filing: the client end of the extension. A pure function like [`super::build`]: it
//! takes the order's kind, its sponsor form, the APP's checked data ([`beian_core::app`]),
//! the numbers the registry gave and the icon, and returns the `AppUploadData` whose record
//! id is the result identifier the bureau's result will carry.
//!
//! The `bureau.upload` job calls it for an APP's order ([`super::submit`]), and
//! [`build_app_cancel_access`] for an APP's 取消接入 (no order: confirmed by code and password).

use beian_core::app::{AppInfo, IconType};
use beian_core::kind::FilingKind;
use beian_miit::ext::app::{
    AppInfo as ExtApp, AppOperation, AppPerson, AppRecord, AppSponsor, AppUploadData, Features,
    Icon, PlatformFeatures,
};
use beian_miit::v3::mapping::SponsorNature;

use super::build::BuildError;
use super::build_parts::{b64, certificate_code};
use crate::workflow::{PersonForm, SponsorForm};

/// What an APP upload is built from.
#[derive(Debug, Clone, Copy)]
pub struct AppUploadInput<'a> {
    pub kind: FilingKind,
    /// The record id echoed in the result (the order's upload number).
    pub record_id: i64,
    /// The provider's `ispId`.
    pub requester_id: i64,
    pub sponsor: &'a SponsorForm,
    /// The sponsor's number, for every kind but a first filing.
    pub sponsor_number: Option<&'a str>,
    /// The APP's `-NA` number, for the kinds on a filed APP.
    pub app_number: Option<&'a str>,
    pub app: &'a AppInfo,
    pub service_content: &'a str,
    pub responsible: &'a PersonForm,
    pub icon: Option<(IconType, &'a [u8])>,
    /// `ICPmm`, the filing password's hash: 取消接入 only.
    pub password_hash: Option<&'a str>,
}

/// The extension's operation for a filing kind, or `None` for a kind an APP has no use for
/// (the sponsor kinds go through V3.0 as they are).
pub fn operation_of(kind: FilingKind) -> Option<AppOperation> {
    Some(match kind {
        FilingKind::FirstFiling => AppOperation::FirstFiling,
        FilingKind::NewWebsite | FilingKind::NewWebsiteElsewhereSponsor => AppOperation::NewApp,
        FilingKind::NewAccess => AppOperation::NewAccess,
        FilingKind::ContinueAccess => AppOperation::ContinueAccess,
        FilingKind::CancelAccess => AppOperation::CancelAccess,
        FilingKind::ChangeWebsite => AppOperation::Change,
        FilingKind::CancelWebsite => AppOperation::Cancel,
        FilingKind::ChangeSponsor | FilingKind::ChangeAccess | FilingKind::CancelSponsor => {
            return None;
        }
    })
}

fn person(p: &PersonForm) -> Result<AppPerson, BuildError> {
    Ok(AppPerson {
        name: p.name.trim().to_owned(),
        certificate_type: certificate_code(&p.certificate_type, "person certificate type")?,
        certificate_number: p.certificate_number.trim().to_owned(),
        mobile: p.mobile.trim().to_owned(),
        email: Some(p.email.trim().to_owned()).filter(|e| !e.is_empty()),
    })
}

/// Builds the extension document of one APP filing.
pub fn build_app(input: &AppUploadInput<'_>) -> Result<AppUploadData, BuildError> {
    let operation = operation_of(input.kind).ok_or(BuildError::NoCode {
        what: "APP operation",
        value: input.kind.as_str().to_owned(),
    })?;
    let s = input.sponsor;
    let sponsor = if operation == AppOperation::FirstFiling {
        Some(AppSponsor {
            name: s.identity.name.trim().to_owned(),
            nature: SponsorNature::from_api_name(&s.identity.nature)
                .map(SponsorNature::code)
                .map_err(|_| BuildError::NoCode {
                    what: "sponsor nature",
                    value: s.identity.nature.clone(),
                })?,
            certificate_type: certificate_code(
                &s.identity.certificate_type,
                "sponsor certificate type",
            )?,
            certificate_number: s.identity.certificate_number.trim().to_owned(),
            province: s.identity.province.trim().to_owned(),
            address: s.address.trim().to_owned(),
            responsible: person(&s.responsible)?,
        })
    } else {
        None
    };
    let sponsor_number = if operation == AppOperation::FirstFiling {
        None
    } else {
        Some(
            input
                .sponsor_number
                .ok_or(BuildError::MissingNumber("sponsor"))?
                .to_owned(),
        )
    };
    let app_number = if operation.names_app() {
        Some(
            input
                .app_number
                .ok_or(BuildError::MissingNumber("APP"))?
                .to_owned(),
        )
    } else {
        None
    };
    let app = if operation.carries_app() {
        Some(ExtApp {
            name: input.app.name.clone(),
            service_content: input.service_content.trim().to_owned(),
            responsible: person(input.responsible)?,
            features: Features {
                platforms: input
                    .app
                    .platforms
                    .iter()
                    .map(|p| PlatformFeatures {
                        platform: p.platform.as_str().to_owned(),
                        package: p.package.clone(),
                        public_key: p.public_key.as_str().to_owned(),
                        signature_digest: p.signature_digest.clone(),
                    })
                    .collect(),
            },
            icon: input.icon.map(|(t, bytes)| Icon {
                mime: t.mime().to_owned(),
                base64: b64(bytes),
            }),
        })
    } else {
        None
    };
    Ok(AppUploadData::new(
        input.requester_id,
        vec![AppRecord {
            operation,
            record_id: input.record_id,
            sponsor,
            sponsor_number,
            app_number,
            password_hash: if operation.carries_password() {
                Some(
                    input
                        .password_hash
                        .ok_or(BuildError::MissingNumber("filing password (ICPmm)"))?
                        .to_owned(),
                )
            } else {
                None
            },
            app,
        }],
    ))
}

/// The extension document of an APP's 取消接入 (`QXJR`): the sponsor's and the APP's numbers
/// and `ICPmm`, the filing password's hash (as V3.0's 取消接入 carries it).
pub fn build_app_cancel_access(
    record_id: i64,
    requester_id: i64,
    sponsor_number: Option<&str>,
    app_number: Option<&str>,
    password_hash: Option<&str>,
) -> Result<AppUploadData, BuildError> {
    Ok(AppUploadData::new(
        requester_id,
        vec![AppRecord {
            operation: AppOperation::CancelAccess,
            record_id,
            sponsor: None,
            sponsor_number: Some(
                sponsor_number
                    .ok_or(BuildError::MissingNumber("sponsor"))?
                    .to_owned(),
            ),
            app_number: Some(
                app_number
                    .ok_or(BuildError::MissingNumber("APP"))?
                    .to_owned(),
            ),
            password_hash: Some(
                password_hash
                    .ok_or(BuildError::MissingNumber("filing password (ICPmm)"))?
                    .to_owned(),
            ),
            app: None,
        }],
    ))
}

#[cfg(test)]
#[path = "build_app_tests.rs"]
mod tests;
