//! Cleaning an upload before it is stored: the type is judged by content ([`super::sniff`]);
//! JPEG and PNG are decoded under limits (against decompression bombs: width and height, a
//! pixel count checked from the header before any pixel is decoded — 40 megapixels by
//! default — and the decoder's memory), at most [`MAX_CONCURRENT_DECODES`] at once in the
//! process (the others wait their turn),
//! and re-encoded in their own format, which drops EXIF (GPS position, camera serial…),
//! text chunks, and anything appended after the image; the EXIF orientation is applied to
//! the pixels first so a phone photo stays upright. PDFs are passed through after checking
//! their header, their `%%EOF` trailer and their size, and that they have no active content
//! ([`pdf`]: refused, not stripped).

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::error::ImageError;
use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};

use super::error::{FILE_FIELD, UploadError};
use super::sniff::{FileType, sniff};

/// JPEG quality of re-encoded images: scans of documents stay legible.
pub const JPEG_QUALITY: u8 = 90;

/// How far from the end `%%EOF` may sit (PDF readers look in the last 1024 bytes).
const PDF_TRAILER_WINDOW: usize = 1024;

/// What an upload may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UploadLimits {
    /// Largest file, in bytes (also the cap for reading the body).
    pub max_bytes: usize,
    pub max_width: u32,
    pub max_height: u32,
    /// Most pixels (width × height), checked from the header before decoding.
    pub max_pixels: u64,
    /// Most memory the decoder may allocate, in bytes.
    pub max_decode_bytes: u64,
}

/// The default pixel cap: 40 megapixels (a phone photo is 12, an A4 scan at 600 dpi 35).
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;

impl Default for UploadLimits {
    /// 10 MiB, 10000×10000 pixels and at most 40 megapixels, 192 MiB of decoder memory.
    fn default() -> UploadLimits {
        UploadLimits {
            max_bytes: 10 * 1024 * 1024,
            max_width: 10_000,
            max_height: 10_000,
            max_pixels: DEFAULT_MAX_PIXELS,
            max_decode_bytes: 192 * 1024 * 1024,
        }
    }
}

/// How many images the process decodes at once (each may take up to
/// [`UploadLimits::max_decode_bytes`]): the core count, at most 4.
pub static MAX_CONCURRENT_DECODES: std::sync::LazyLock<usize> = std::sync::LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(2, std::num::NonZeroUsize::get)
        .clamp(1, 4)
});

/// A counting semaphore for blocking threads (decoding runs on the blocking pool).
struct DecodeGate {
    in_use: std::sync::Mutex<usize>,
    freed: std::sync::Condvar,
}

/// A decode slot, given back when dropped.
struct DecodeSlot<'a>(&'a DecodeGate);

impl DecodeGate {
    fn enter(&self) -> DecodeSlot<'_> {
        let mut in_use = self
            .in_use
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        while *in_use >= *MAX_CONCURRENT_DECODES {
            in_use = self
                .freed
                .wait(in_use)
                .unwrap_or_else(std::sync::PoisonError::into_inner);
        }
        *in_use += 1;
        DecodeSlot(self)
    }
}

impl Drop for DecodeSlot<'_> {
    fn drop(&mut self) {
        let mut in_use = self
            .0
            .in_use
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *in_use = in_use.saturating_sub(1);
        self.0.freed.notify_one();
    }
}

static DECODES: DecodeGate = DecodeGate {
    in_use: std::sync::Mutex::new(0),
    freed: std::sync::Condvar::new(),
};

/// A cleaned upload, ready to be stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Sanitized {
    pub file_type: FileType,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Sanitized {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sanitized")
            .field("file_type", &self.file_type)
            .field("len", &self.bytes.len())
            .finish()
    }
}

/// Checks and cleans one upload.
pub fn sanitize(bytes: &[u8], limits: &UploadLimits) -> Result<Sanitized, UploadError> {
    if bytes.len() > limits.max_bytes {
        return Err(UploadError::TooLarge {
            field: FILE_FIELD,
            cap: limits.max_bytes,
        });
    }
    let file_type = sniff(bytes)?;
    let bytes = match file_type {
        FileType::Jpeg => reencode(bytes, ImageFormat::Jpeg, limits)?,
        FileType::Png => reencode(bytes, ImageFormat::Png, limits)?,
        FileType::Pdf => check_pdf(bytes)?.to_vec(),
    };
    Ok(Sanitized { file_type, bytes })
}

fn reencode(
    bytes: &[u8],
    format: ImageFormat,
    limits: &UploadLimits,
) -> Result<Vec<u8>, UploadError> {
    if format == ImageFormat::Jpeg && !jpeg::is_complete(bytes) {
        return Err(UploadError::Undecodable { field: FILE_FIELD });
    }
    let image = decode(bytes, format, limits)?;
    let mut out = Vec::new();
    let written = match format {
        ImageFormat::Jpeg => {
            // JPEG has no alpha, and 16-bit samples are not written: keep grey as grey.
            let image = if image.color().has_color() {
                DynamicImage::ImageRgb8(image.to_rgb8())
            } else {
                DynamicImage::ImageLuma8(image.to_luma8())
            };
            image.write_with_encoder(JpegEncoder::new_with_quality(&mut out, JPEG_QUALITY))
        }
        _ => image.write_with_encoder(PngEncoder::new(&mut out)),
    };
    written.map_err(|_| UploadError::Reencode { field: FILE_FIELD })?;
    Ok(out)
}

fn decode(
    bytes: &[u8],
    format: ImageFormat,
    limits: &UploadLimits,
) -> Result<DynamicImage, UploadError> {
    let too_large = UploadError::ImageTooLarge {
        field: FILE_FIELD,
        max_width: limits.max_width,
        max_height: limits.max_height,
    };
    let map = |e: ImageError| match e {
        ImageError::Limits(_) => too_large.clone(),
        _ => UploadError::Undecodable { field: FILE_FIELD },
    };
    let mut decoder_limits = Limits::default();
    decoder_limits.max_image_width = Some(limits.max_width);
    decoder_limits.max_image_height = Some(limits.max_height);
    decoder_limits.max_alloc = Some(limits.max_decode_bytes);
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    reader.limits(decoder_limits.clone());
    let mut decoder = reader.into_decoder().map_err(map)?;
    let (width, height) = decoder.dimensions();
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(UploadError::TooManyPixels {
            field: FILE_FIELD,
            max_megapixels: limits.max_pixels / 1_000_000,
        });
    }
    let _slot = DECODES.enter();
    // Dimensions were checked by `into_decoder`; the output buffer counts against the budget.
    decoder_limits.reserve(decoder.total_bytes()).map_err(map)?;
    let orientation = decoder.orientation().map_err(map)?;
    let mut image = DynamicImage::from_decoder(decoder).map_err(map)?;
    image.apply_orientation(orientation);
    Ok(image)
}

/// A PDF must start with `%PDF-` and end (within the last 1024 bytes) with `%%EOF`, and have
/// no active content ([`pdf`]).
fn check_pdf(bytes: &[u8]) -> Result<&[u8], UploadError> {
    let tail = &bytes[bytes.len().saturating_sub(PDF_TRAILER_WINDOW)..];
    if !(bytes.starts_with(b"%PDF-") && tail.windows(5).any(|w| w == b"%%EOF")) {
        return Err(UploadError::MalformedPdf { field: FILE_FIELD });
    }
    match pdf::active_content(bytes) {
        None => Ok(bytes),
        Some(pdf::Finding::Active(what)) => Err(UploadError::PdfActiveContent {
            field: FILE_FIELD,
            what,
        }),
        Some(pdf::Finding::TooDeep) => Err(UploadError::PdfActiveContent {
            field: FILE_FIELD,
            what: "FlateDecode",
        }),
    }
}

mod jpeg;
pub(crate) mod pdf;

#[cfg(test)]
mod tests;
