//! Why an uploaded file is refused. Every variant names the form field it is about (`file`,
//! the multipart part of API.md's `POST /orders/{id}/materials`), so the API can answer with
//! `fields: {"file": "…"}`; the texts live in `crates/core/messages/materials.toml`.

use beian_core::i18n::Localized;
use thiserror::Error;

/// The multipart field that carries the upload.
pub const FILE_FIELD: &str = "file";

/// An upload refused while checking or cleaning it. Carries no file content.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum UploadError {
    /// Larger than the cap (answer 413).
    #[error("{field}: larger than {cap} bytes")]
    TooLarge { field: &'static str, cap: usize },
    #[error("{field}: empty")]
    Empty { field: &'static str },
    /// Not JPEG, PNG or PDF by its content.
    #[error("{field}: not a JPEG, PNG or PDF file")]
    UnsupportedType { field: &'static str },
    /// Says it is JPEG or PNG but does not decode (truncated, corrupt).
    #[error("{field}: the image cannot be decoded")]
    Undecodable { field: &'static str },
    /// Wider or taller than allowed, or would need too much memory to decode.
    #[error("{field}: the image is larger than {max_width}x{max_height} pixels")]
    ImageTooLarge {
        field: &'static str,
        max_width: u32,
        max_height: u32,
    },
    /// More pixels than allowed (checked from the header, before decoding).
    #[error("{field}: the image has more than {max_megapixels} megapixels")]
    TooManyPixels {
        field: &'static str,
        max_megapixels: u64,
    },
    /// Has the PDF header but no `%%EOF` trailer near its end.
    #[error("{field}: not a complete PDF file")]
    MalformedPdf { field: &'static str },
    /// A PDF with active content (`what`: JavaScript, OpenAction, AA, Launch, EmbeddedFile,
    /// XFA, RichMedia, SubmitForm, ImportData), or one that cannot be checked (`Encrypt`,
    /// streams past the decompression budget): refused, not stripped (see `sanitize::pdf`).
    #[error("{field}: the PDF has active content ({what})")]
    PdfActiveContent {
        field: &'static str,
        what: &'static str,
    },
    /// Decoded but could not be written again (an internal fault, not the applicant's).
    #[error("{field}: the image could not be re-encoded")]
    Reencode { field: &'static str },
}

impl UploadError {
    /// The form field the error is about.
    pub fn field(&self) -> &'static str {
        match self {
            UploadError::TooLarge { field, .. }
            | UploadError::Empty { field }
            | UploadError::UnsupportedType { field }
            | UploadError::Undecodable { field }
            | UploadError::ImageTooLarge { field, .. }
            | UploadError::TooManyPixels { field, .. }
            | UploadError::MalformedPdf { field }
            | UploadError::PdfActiveContent { field, .. }
            | UploadError::Reencode { field } => field,
        }
    }
}

impl Localized for UploadError {
    fn message_key(&self) -> &'static str {
        match self {
            UploadError::TooLarge { .. } => "materials.too_large",
            UploadError::Empty { .. } => "materials.empty",
            UploadError::UnsupportedType { .. } => "materials.unsupported_type",
            UploadError::Undecodable { .. } => "materials.undecodable",
            UploadError::ImageTooLarge { .. } => "materials.image_too_large",
            UploadError::TooManyPixels { .. } => "materials.too_many_pixels",
            UploadError::MalformedPdf { .. } => "materials.malformed_pdf",
            UploadError::PdfActiveContent { .. } => "materials.pdf_active_content",
            UploadError::Reencode { .. } => "materials.reencode_failed",
        }
    }

    fn message_args(&self) -> Vec<(&'static str, String)> {
        let mut args = vec![("field", self.field().to_owned())];
        match self {
            UploadError::TooLarge { cap, .. } => args.push(("cap_mb", mebibytes(*cap))),
            UploadError::ImageTooLarge {
                max_width,
                max_height,
                ..
            } => {
                args.push(("max_width", max_width.to_string()));
                args.push(("max_height", max_height.to_string()));
            }
            UploadError::TooManyPixels { max_megapixels, .. } => {
                args.push(("max_megapixels", max_megapixels.to_string()));
            }
            UploadError::PdfActiveContent { what, .. } => args.push(("what", (*what).to_owned())),
            _ => {}
        }
        args
    }
}

/// A byte count in MiB, one decimal when not whole (`10`, `0.5`).
fn mebibytes(bytes: usize) -> String {
    let tenths = (bytes as u128 * 10).div_ceil(1024 * 1024);
    if tenths.is_multiple_of(10) {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    }
}

#[cfg(test)]
mod tests {
    use beian_core::i18n::{Locale, has_key};

    use super::*;

    #[test]
    fn every_error_has_a_message_that_names_its_values() {
        let f = FILE_FIELD;
        let errors = [
            UploadError::TooLarge {
                field: f,
                cap: 10 * 1024 * 1024,
            },
            UploadError::Empty { field: f },
            UploadError::UnsupportedType { field: f },
            UploadError::Undecodable { field: f },
            UploadError::ImageTooLarge {
                field: f,
                max_width: 10000,
                max_height: 8000,
            },
            UploadError::TooManyPixels {
                field: f,
                max_megapixels: 40,
            },
            UploadError::MalformedPdf { field: f },
            UploadError::PdfActiveContent {
                field: f,
                what: "JavaScript",
            },
            UploadError::Reencode { field: f },
        ];
        for error in errors {
            assert_eq!(error.field(), "file");
            assert!(has_key(error.message_key()), "{}", error.message_key());
            for locale in Locale::ALL {
                let text = error.localize(locale);
                assert!(!text.contains('{'), "{text}");
            }
        }
        let too_large = UploadError::TooLarge {
            field: f,
            cap: 10 * 1024 * 1024,
        };
        assert!(too_large.localize(Locale::En).contains("10 MB"));
    }

    #[test]
    fn mebibytes_rounds_up_to_a_tenth() {
        for (bytes, text) in [(10 * 1024 * 1024, "10"), (512 * 1024, "0.5"), (1, "0.1")] {
            assert_eq!(mebibytes(bytes), text);
        }
    }
}
