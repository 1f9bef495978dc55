//! Active content in PDFs: an uploaded PDF that can act when opened (JavaScript, an action on
//! opening or on an event, a launched program, embedded files, an XFA form, rich media) is
//! refused, not stripped. Stripping means rewriting the file, and a rewritten file is no
//! longer the document the applicant signed and stamped (its bytes, and any signature over
//! them, change), while a reviewer who opens what is kept must be safe: refusing keeps both.
//! A legitimate scan or an export from an office program has none of these; the applicant
//! can print to PDF again or upload images.
//!
//! The check reads every name in the file (with `#xx` escapes decoded, so `/J#61vaScript` is
//! `/JavaScript`), also inside compressed streams (object streams hide dictionaries there),
//! decompressed up to a budget; an encrypted PDF cannot be read that way and is refused too.

use std::io::Read;

use flate2::read::ZlibDecoder;

/// Names that make a PDF act (or hide what it holds), and what the message calls them.
const ACTIVE: &[(&[u8], &str)] = &[
    (b"JavaScript", "JavaScript"),
    (b"JS", "JavaScript"),
    (b"OpenAction", "OpenAction"),
    (b"AA", "AA"),
    (b"Launch", "Launch"),
    (b"EmbeddedFile", "EmbeddedFile"),
    (b"EmbeddedFiles", "EmbeddedFile"),
    (b"XFA", "XFA"),
    (b"RichMedia", "RichMedia"),
    (b"SubmitForm", "SubmitForm"),
    (b"ImportData", "ImportData"),
    (b"Encrypt", "Encrypt"),
];

/// Most bytes decompressed from one file's streams; past it the file is refused.
const INFLATE_BUDGET: usize = 64 * 1024 * 1024;

/// What [`active_content`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Finding {
    /// Names this active feature.
    Active(&'static str),
    /// The streams decompress to more than the budget (a bomb): cannot be checked.
    TooDeep,
}

/// The first active feature in `pdf`, if any.
pub(crate) fn active_content(pdf: &[u8]) -> Option<Finding> {
    if let Some(found) = active_name(pdf) {
        return Some(Finding::Active(found));
    }
    let mut budget = INFLATE_BUDGET;
    for stream in streams(pdf) {
        let mut out = Vec::new();
        let limit = u64::try_from(budget).unwrap_or(u64::MAX).saturating_add(1);
        // Streams that are not zlib (images, other filters) yield nothing here: they carry no
        // dictionaries. A damaged one yields what inflated before the damage.
        let _ = ZlibDecoder::new(stream).take(limit).read_to_end(&mut out);
        if out.len() > budget {
            return Some(Finding::TooDeep);
        }
        budget -= out.len();
        if let Some(found) = active_name(&out) {
            return Some(Finding::Active(found));
        }
    }
    None
}

/// The bodies of `stream … endstream` sections.
fn streams(pdf: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = pdf;
    std::iter::from_fn(move || {
        loop {
            let at = find(rest, b"stream")?;
            let before = &rest[..at];
            let mut body = &rest[at + 6..];
            rest = body;
            // `endstream` also contains `stream`; a body starts after an EOL.
            if before.ends_with(b"end") {
                continue;
            }
            if let Some(b) = body.strip_prefix(b"\r\n") {
                body = b;
            } else if let Some(b) = body
                .strip_prefix(b"\n")
                .or_else(|| body.strip_prefix(b"\r"))
            {
                body = b;
            } else {
                continue;
            }
            let end = find(body, b"endstream").unwrap_or(body.len());
            rest = &body[end..];
            return Some(&body[..end]);
        }
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The first active name among the names (`/Name`) in `bytes`.
fn active_name(bytes: &[u8]) -> Option<&'static str> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'/' {
            i += 1;
            continue;
        }
        i += 1;
        let mut name = Vec::new();
        while i < bytes.len() && !is_delimiter(bytes[i]) {
            if bytes[i] == b'#'
                && i + 2 < bytes.len()
                && let Some(b) = hex_byte(bytes[i + 1], bytes[i + 2])
            {
                name.push(b);
                i += 3;
            } else {
                name.push(bytes[i]);
                i += 1;
            }
        }
        if let Some((_, what)) = ACTIVE.iter().find(|(n, _)| *n == name.as_slice()) {
            return Some(what);
        }
    }
    None
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || b == 0 || b"()<>[]{}/%".contains(&b)
}

fn hex_byte(hi: u8, lo: u8) -> Option<u8> {
    let d = |c: u8| char::from(c).to_digit(16);
    u8::try_from(d(hi)? * 16 + d(lo)?).ok()
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use flate2::Compression;
    use flate2::write::ZlibEncoder;

    use super::*;

    fn zlib(bytes: &[u8]) -> Vec<u8> {
        let mut e = ZlibEncoder::new(Vec::new(), Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn with_stream(dict: &str, body: &[u8]) -> Vec<u8> {
        let mut pdf = format!(
            "%PDF-1.7\n1 0 obj\n<< {dict} /Length {} >>\nstream\r\n",
            body.len()
        )
        .into_bytes();
        pdf.extend_from_slice(body);
        pdf.extend_from_slice(b"\r\nendstream\nendobj\ntrailer << /Root 2 0 R >>\n%%EOF\n");
        pdf
    }

    #[test]
    fn a_javascript_open_action_is_found() {
        let pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript \
                    /JS (app.alert(1)) >> >> endobj\n%%EOF\n";
        assert_eq!(active_content(pdf), Some(Finding::Active("OpenAction")));
        let js_only = b"%PDF-1.4\n<</S/JavaScript/JS(x)>>\n%%EOF";
        assert_eq!(active_content(js_only), Some(Finding::Active("JavaScript")));
    }

    #[test]
    fn each_kind_of_active_content_is_found_also_when_escaped() {
        for (name, what) in [
            ("/Launch", "Launch"),
            ("/EmbeddedFiles", "EmbeddedFile"),
            ("/XFA", "XFA"),
            ("/AA", "AA"),
            ("/RichMedia", "RichMedia"),
            ("/Encrypt", "Encrypt"),
            ("/J#61vaScript", "JavaScript"),
            ("/Open#41ction", "OpenAction"),
        ] {
            let pdf = format!("%PDF-1.7\n1 0 obj << /Type /Catalog {name} 5 0 R >>\n%%EOF\n");
            assert_eq!(
                active_content(pdf.as_bytes()),
                Some(Finding::Active(what)),
                "{name}"
            );
        }
    }

    #[test]
    fn names_inside_a_compressed_object_stream_are_found() {
        let objects = zlib(b"<< /S /JavaScript /JS (app.alert(1)) >>");
        let pdf = with_stream("/Type /ObjStm /Filter /FlateDecode", &objects);
        assert_eq!(active_content(&pdf), Some(Finding::Active("JavaScript")));
    }

    #[test]
    fn an_ordinary_pdf_passes_and_near_names_are_not_active() {
        let content = zlib(b"BT /F1 12 Tf 72 712 Td (JavaScript is only text here) Tj ET");
        let mut pdf = with_stream("/Filter /FlateDecode", &content);
        pdf.extend_from_slice(b"<< /Type /Page /AAA 1 /JSON 2 /Launcher 3 >>\n%%EOF\n");
        assert_eq!(active_content(&pdf), None);
        // A binary (non-zlib) stream, e.g. a JPEG image, is skipped.
        let image = with_stream("/Filter /DCTDecode", b"\xff\xd8\xff\xe0 binary /JS-free");
        assert_eq!(active_content(&image), None);
    }

    #[test]
    fn a_decompression_bomb_is_not_checked_but_refused() {
        let bomb = zlib(&vec![b' '; INFLATE_BUDGET + 1024]);
        let pdf = with_stream("/Filter /FlateDecode", &bomb);
        assert_eq!(active_content(&pdf), Some(Finding::TooDeep));
    }
}
