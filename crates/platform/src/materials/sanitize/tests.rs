use image::{GenericImageView, ImageFormat, Rgb, RgbImage};

use super::*;

const SECRET: &[u8] = b"GPS-31.2304N-121.4737E-SERIAL-XYZ";

fn picture(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, 128])
    })
}

fn encoded(image: &RgbImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image.write_to(&mut out, format).unwrap();
    out.into_inner()
}

/// An APP1 Exif segment: a big-endian TIFF with one IFD entry (Orientation = `orientation`),
/// followed by `SECRET` as if it were a GPS block.
fn exif_app1(orientation: u16) -> Vec<u8> {
    let mut tiff = b"MM\0\x2a\0\0\0\x08".to_vec();
    tiff.extend_from_slice(&1u16.to_be_bytes()); // one entry
    tiff.extend_from_slice(&0x0112u16.to_be_bytes()); // Orientation
    tiff.extend_from_slice(&3u16.to_be_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_be_bytes()); // count
    tiff.extend_from_slice(&orientation.to_be_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_be_bytes()); // no next IFD
    tiff.extend_from_slice(SECRET);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend_from_slice(&tiff);
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&((payload.len() + 2) as u16).to_be_bytes());
    segment.extend_from_slice(&payload);
    segment
}

/// A JPEG with an EXIF segment spliced right after SOI and a payload appended after EOI.
fn jpeg_with_exif(width: u32, height: u32, orientation: u16) -> Vec<u8> {
    let plain = encoded(&picture(width, height), ImageFormat::Jpeg);
    let mut jpeg = plain[..2].to_vec();
    jpeg.extend_from_slice(&exif_app1(orientation));
    jpeg.extend_from_slice(&plain[2..]);
    jpeg.extend_from_slice(b"PK\x03\x04 appended zip ");
    jpeg.extend_from_slice(SECRET);
    jpeg
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn png_chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut chunk = (data.len() as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(kind);
    chunk.extend_from_slice(data);
    // The CRC is not checked by every decoder; write a real one anyway.
    let crc = crc32(&chunk[4..]);
    chunk.extend_from_slice(&crc.to_be_bytes());
    chunk
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[test]
fn jpeg_loses_exif_and_trailing_payload_and_still_decodes() {
    let input = jpeg_with_exif(64, 48, 1);
    // The spliced file is a valid JPEG that carries the secrets.
    assert!(contains(&input, b"Exif\0\0") && contains(&input, SECRET));
    assert!(image::load_from_memory(&input).is_ok());

    let out = sanitize(&input, &UploadLimits::default()).unwrap();
    assert_eq!(out.file_type, FileType::Jpeg);
    assert!(out.bytes.starts_with(&[0xFF, 0xD8, 0xFF]));
    assert!(out.bytes.ends_with(&[0xFF, 0xD9]), "nothing after EOI");
    assert!(!contains(&out.bytes, b"Exif"));
    assert!(!contains(&out.bytes, SECRET));
    assert!(!contains(&out.bytes, b"appended zip"));
    let decoded = image::load_from_memory_with_format(&out.bytes, ImageFormat::Jpeg).unwrap();
    assert_eq!(decoded.dimensions(), (64, 48));
}

#[test]
fn jpeg_orientation_is_applied_before_the_exif_goes() {
    // Orientation 6: the camera was turned; the upright picture is 48 wide and 64 high.
    let out = sanitize(&jpeg_with_exif(64, 48, 6), &UploadLimits::default()).unwrap();
    let decoded = image::load_from_memory(&out.bytes).unwrap();
    assert_eq!(decoded.dimensions(), (48, 64));
}

#[test]
fn png_loses_text_chunks_and_trailing_payload() {
    let plain = encoded(&picture(40, 30), ImageFormat::Png);
    // Signature (8) + IHDR chunk (4 + 4 + 13 + 4 = 25).
    let mut input = plain[..33].to_vec();
    input.extend_from_slice(&png_chunk(
        b"tEXt",
        &[b"Comment\0".as_slice(), SECRET].concat(),
    ));
    input.extend_from_slice(&plain[33..]);
    input.extend_from_slice(SECRET);
    assert!(image::load_from_memory(&input).is_ok());

    let out = sanitize(&input, &UploadLimits::default()).unwrap();
    assert_eq!(out.file_type, FileType::Png);
    assert!(!contains(&out.bytes, b"tEXt"));
    assert!(!contains(&out.bytes, SECRET));
    let decoded = image::load_from_memory_with_format(&out.bytes, ImageFormat::Png).unwrap();
    assert_eq!(decoded.dimensions(), (40, 30));
    // PNG is lossless: the pixels are the same.
    assert_eq!(decoded.to_rgb8(), picture(40, 30));
}

#[test]
fn colour_types_survive_re_encoding() {
    use image::{ColorType, DynamicImage, GrayImage, Luma, Rgba, RgbaImage};
    let grey = DynamicImage::ImageLuma8(GrayImage::from_fn(20, 10, |x, _| Luma([x as u8 * 10])));
    let rgba = DynamicImage::ImageRgba8(RgbaImage::from_fn(20, 10, |x, y| {
        Rgba([x as u8, y as u8, 0, (x * 12) as u8])
    }));
    let deep = DynamicImage::ImageRgb16(DynamicImage::ImageRgb8(picture(20, 10)).to_rgb16());
    let cases = [
        (&grey, ImageFormat::Jpeg, ColorType::L8),
        (&grey, ImageFormat::Png, ColorType::L8),
        (&rgba, ImageFormat::Png, ColorType::Rgba8),
        (&deep, ImageFormat::Png, ColorType::Rgb16),
    ];
    for (image, format, colour) in cases {
        let mut input = Cursor::new(Vec::new());
        image.write_to(&mut input, format).unwrap();
        let out = sanitize(input.get_ref(), &UploadLimits::default()).unwrap();
        let decoded = image::load_from_memory_with_format(&out.bytes, format).unwrap();
        assert_eq!(decoded.color(), colour, "{format:?}");
        if format == ImageFormat::Png {
            assert_eq!(&decoded, image, "PNG is lossless");
        }
    }
}

#[test]
fn refused_uploads() {
    let jpeg = encoded(&picture(64, 64), ImageFormat::Jpeg);
    let png = encoded(&picture(64, 64), ImageFormat::Png);
    let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;".to_vec();
    let unsupported = UploadError::UnsupportedType { field: "file" };
    let undecodable = UploadError::Undecodable { field: "file" };
    let cases: Vec<(&str, Vec<u8>, UploadError)> = vec![
        ("gif", gif, unsupported.clone()),
        ("text", b"just some text\n".to_vec(), unsupported.clone()),
        (
            "html",
            b"<html><script>alert(1)</script>".to_vec(),
            unsupported,
        ),
        (
            "truncated jpeg",
            jpeg[..jpeg.len() / 2].to_vec(),
            undecodable.clone(),
        ),
        ("jpeg header only", jpeg[..20].to_vec(), undecodable.clone()),
        (
            "truncated png",
            png[..png.len() / 2].to_vec(),
            undecodable.clone(),
        ),
        ("empty", Vec::new(), UploadError::Empty { field: "file" }),
        (
            "pdf without trailer",
            b"%PDF-1.4\n1 0 obj\n".to_vec(),
            UploadError::MalformedPdf { field: "file" },
        ),
    ];
    for (name, bytes, expected) in cases {
        let got = sanitize(&bytes, &UploadLimits::default());
        assert_eq!(got, Err(expected), "{name}");
    }
}

#[test]
fn image_limits_guard_dimensions_and_memory() {
    let limits = UploadLimits {
        max_width: 100,
        max_height: 100,
        ..UploadLimits::default()
    };
    let expected = Err(UploadError::ImageTooLarge {
        field: "file",
        max_width: 100,
        max_height: 100,
    });
    let wide = encoded(&picture(101, 10), ImageFormat::Png);
    assert_eq!(sanitize(&wide, &limits), expected);
    let tall = encoded(&picture(10, 101), ImageFormat::Jpeg);
    assert_eq!(sanitize(&tall, &limits), expected);
    assert!(sanitize(&encoded(&picture(100, 100), ImageFormat::Png), &limits).is_ok());

    // A decompression bomb: 3000×3000 of one colour compresses to a few kB but decodes to
    // 27 MB; a 1 MiB budget refuses it before the pixels are allocated.
    let bomb = encoded(&RgbImage::new(3000, 3000), ImageFormat::Png);
    assert!(bomb.len() < 200_000, "{}", bomb.len());
    let budget = UploadLimits {
        max_decode_bytes: 1024 * 1024,
        ..UploadLimits::default()
    };
    assert!(matches!(
        sanitize(&bomb, &budget),
        Err(UploadError::ImageTooLarge { .. })
    ));

    // The pixel count is refused from the header, naming the field.
    let pixels = UploadLimits {
        max_pixels: 2_000_000,
        ..UploadLimits::default()
    };
    assert_eq!(
        sanitize(&bomb, &pixels),
        Err(UploadError::TooManyPixels {
            field: "file",
            max_megapixels: 2
        })
    );
}

#[test]
fn file_size_cap() {
    let png = encoded(&picture(10, 10), ImageFormat::Png);
    let limits = UploadLimits {
        max_bytes: png.len() - 1,
        ..UploadLimits::default()
    };
    assert_eq!(
        sanitize(&png, &limits),
        Err(UploadError::TooLarge {
            field: "file",
            cap: png.len() - 1
        })
    );
}

#[test]
fn pdfs_pass_through_when_whole() {
    let pdf = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n".to_vec();
    let out = sanitize(&pdf, &UploadLimits::default()).unwrap();
    assert_eq!(out.file_type, FileType::Pdf);
    assert_eq!(out.bytes, pdf);
    // %%EOF buried more than 1 KiB before the end: something was appended.
    let mut padded = pdf.clone();
    padded.extend(std::iter::repeat_n(b'x', 2000));
    assert_eq!(
        sanitize(&padded, &UploadLimits::default()),
        Err(UploadError::MalformedPdf { field: "file" })
    );
}
