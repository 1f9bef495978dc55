//! The verification form (网站备案信息真实性核验单): a one-page A4 PDF prefilled with the
//! order's data, which the applicant prints, signs with a black pen (and stamps, for an
//! organisation), scans and uploads as the `verification_form` material.
//!
//! Chinese is set in a CJK font loaded at run time ([`FormFont`], by default WenQuanYi Micro
//! Hei from the Debian package `fonts-wqy-microhei`); the PDF writer (krilla) shapes the text,
//! embeds a subset of the font and writes a ToUnicode map, so the text can be searched and
//! copied. The texts of the form live in `crates/core/messages/verification_form.toml`; the
//! form is always rendered in zh-CN, the bureau's language.
//!
//! The certificate numbers are printed whole, as on the bureau's form: the signature vouches
//! for exactly these data, and the reviewer matches the scan against the order. The PDF is
//! served only to the order's own account. `Debug` of [`VerificationFormData`] masks them.

mod content;
mod font;
mod layout;
mod lazy;
mod render;

use std::path::PathBuf;

use beian_core::i18n::Localized;
use beian_core::kind::FilingKind;
use beian_core::sponsor::{Certificate, SponsorNature};
use chrono::NaiveDate;
use thiserror::Error;

pub use font::{EMBEDDED_FONT, FontConfig, FormFont};
pub use lazy::LazyFont;

/// The data printed on the form.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationFormData {
    pub order_id: String,
    pub kind: FilingKind,
    pub sponsor_name: String,
    pub sponsor_nature: SponsorNature,
    pub sponsor_certificate: Certificate,
    pub sponsor_address: String,
    /// 主体负责人 (an individual sponsor: themself).
    pub sponsor_responsible: String,
    pub website_name: String,
    pub domain: String,
    pub home_url: String,
    pub service_content: String,
    /// 网站负责人.
    pub website_responsible: String,
    pub website_responsible_certificate: Certificate,
    /// 接入服务提供者: this provider's name.
    pub access_provider: String,
    pub ips: Vec<String>,
    /// The day the form is generated (Asia/Shanghai).
    pub date: NaiveDate,
}

impl std::fmt::Debug for VerificationFormData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationFormData")
            .field("order_id", &self.order_id)
            .field("kind", &self.kind)
            .field("sponsor_certificate", &self.sponsor_certificate)
            .field("domain", &self.domain)
            .field(
                "website_responsible_certificate",
                &self.website_responsible_certificate,
            )
            .field("date", &self.date)
            .finish_non_exhaustive()
    }
}

/// Why a form could not be generated. None of these is the applicant's fault: the API maps
/// them to a 500 and logs them.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormError {
    #[error(
        "the configured form font {path} cannot be read ({reason}); fix the path, or \
         leave it unset to use the embedded font"
    )]
    FontMissing { path: PathBuf, reason: String },
    #[error("{path} is not a usable font")]
    FontInvalid { path: PathBuf },
    #[error("writing the PDF failed: {0}")]
    Pdf(String),
}

impl Localized for FormError {
    fn message_key(&self) -> &'static str {
        "verification_form.unavailable"
    }
}

/// Generates the form as PDF bytes.
pub fn generate(data: &VerificationFormData, font: &FormFont) -> Result<Vec<u8>, FormError> {
    let measure = font.measure()?;
    let uncovered: usize = content::all_text(data)
        .chars()
        .filter(|c| !measure.covers(*c))
        .count();
    if uncovered > 0 {
        // Rare characters (生僻字) the font lacks print as empty boxes; the applicant may
        // write them by hand. Counted, not logged: the text is personal data.
        tracing::warn!(
            uncovered,
            "verification form: characters missing from the font"
        );
    }
    let pages = content::lay_out(data, measure);
    render::pdf(&pages, font, data)
}

#[cfg(test)]
mod tests;
