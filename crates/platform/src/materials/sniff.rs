//! What an upload is, judged by its first bytes (magic numbers), never by its name or the
//! client's `Content-Type`. Only JPEG, PNG and PDF are accepted.

use serde::{Deserialize, Serialize};

use super::error::{FILE_FIELD, UploadError};

const JPEG_MAGIC: &[u8] = &[0xFF, 0xD8, 0xFF];
const PNG_MAGIC: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
const PDF_MAGIC: &[u8] = b"%PDF-";

/// The accepted file types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    Jpeg,
    Png,
    Pdf,
}

impl FileType {
    /// The media type to store and serve it with.
    pub fn mime(self) -> &'static str {
        match self {
            FileType::Jpeg => "image/jpeg",
            FileType::Png => "image/png",
            FileType::Pdf => "application/pdf",
        }
    }

    /// The file name extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            FileType::Jpeg => "jpg",
            FileType::Png => "png",
            FileType::Pdf => "pdf",
        }
    }

    pub fn is_image(self) -> bool {
        matches!(self, FileType::Jpeg | FileType::Png)
    }
}

/// The type of `bytes` by content; an empty file or anything else is refused.
pub fn sniff(bytes: &[u8]) -> Result<FileType, UploadError> {
    if bytes.is_empty() {
        Err(UploadError::Empty { field: FILE_FIELD })
    } else if bytes.starts_with(JPEG_MAGIC) {
        Ok(FileType::Jpeg)
    } else if bytes.starts_with(PNG_MAGIC) {
        Ok(FileType::Png)
    } else if bytes.starts_with(PDF_MAGIC) {
        Ok(FileType::Pdf)
    } else {
        Err(UploadError::UnsupportedType { field: FILE_FIELD })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn by_content() {
        let unsupported = Err(UploadError::UnsupportedType { field: "file" });
        let cases: &[(&[u8], Result<FileType, UploadError>)] = &[
            (&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10], Ok(FileType::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", Ok(FileType::Png)),
            (b"%PDF-1.7\n", Ok(FileType::Pdf)),
            (b"GIF89a\x01\0\x01\0", unsupported.clone()),
            (b"RIFF\0\0\0\0WEBPVP8 ", unsupported.clone()),
            (b"hello, world", unsupported.clone()),
            (
                b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>",
                unsupported.clone(),
            ),
            // Magic numbers cut short, or not at the start.
            (&[0xFF, 0xD8], unsupported.clone()),
            (b"\x89PNG\r\n", unsupported.clone()),
            (b" %PDF-1.4", unsupported.clone()),
            (b"", Err(UploadError::Empty { field: "file" })),
        ];
        for (i, (bytes, expected)) in cases.iter().enumerate() {
            assert_eq!(&sniff(bytes), expected, "case {i}");
        }
    }

    #[test]
    fn names() {
        assert_eq!(FileType::Jpeg.mime(), "image/jpeg");
        assert_eq!(FileType::Png.extension(), "png");
        assert!(!FileType::Pdf.is_image());
    }
}
