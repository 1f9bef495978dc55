//! A walk over a JPEG's marker structure, to refuse a truncated file: the decoder is lenient
//! and would fill a missing tail in grey, which a reviewer might take for a damaged document.
//! A JPEG is complete when its segments and scans run, well-formed, to an EOI marker; bytes
//! after the EOI are allowed here (re-encoding drops them).

/// Whether `bytes` is a structurally complete JPEG.
pub(super) fn is_complete(bytes: &[u8]) -> bool {
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return false;
    }
    let mut i = 2;
    loop {
        if bytes.get(i) != Some(&0xFF) {
            return false;
        }
        // A marker may be preceded by any number of 0xFF fill bytes.
        while bytes.get(i) == Some(&0xFF) {
            i += 1;
        }
        let Some(&marker) = bytes.get(i) else {
            return false;
        };
        i += 1;
        match marker {
            0xD9 => return true,
            0x01 | 0xD0..=0xD7 => continue,
            _ => {}
        }
        let Some(length) = bytes.get(i..i + 2) else {
            return false;
        };
        let length = usize::from(u16::from_be_bytes([length[0], length[1]]));
        if length < 2 || i + length > bytes.len() {
            return false;
        }
        i += length;
        if marker == 0xDA {
            match skip_entropy_coded(bytes, i) {
                Some(next) => i = next,
                None => return false,
            }
        }
    }
}

/// From the start of a scan's data, the index of the next real marker (not a stuffed
/// `FF 00` nor a restart marker), or `None` if the data runs out first.
fn skip_entropy_coded(bytes: &[u8], mut i: usize) -> Option<usize> {
    loop {
        match bytes.get(i)? {
            0xFF => match bytes.get(i + 1)? {
                0x00 | 0xD0..=0xD7 => i += 2,
                0xFF => i += 1,
                _ => return Some(i),
            },
            _ => i += 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structure() {
        let minimal: &[u8] = &[
            0xFF, 0xD8, // SOI
            0xFF, 0xE0, 0x00, 0x04, 0xAA, 0xBB, // APP0 with 2 bytes
            0xFF, 0xDA, 0x00, 0x02, // SOS, empty header
            0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, // data, a stuffed FF, a restart
            0xFF, 0xD9, // EOI
        ];
        let cases: Vec<(&str, Vec<u8>, bool)> = vec![
            ("minimal", minimal.to_vec(), true),
            (
                "trailing bytes after EOI",
                [minimal, b"junk"].concat(),
                true,
            ),
            ("no EOI", minimal[..minimal.len() - 2].to_vec(), false),
            ("cut in a segment", minimal[..7].to_vec(), false),
            ("cut after FF", minimal[..minimal.len() - 1].to_vec(), false),
            (
                "segment length past the end",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 0x10, 0x00],
                false,
            ),
            (
                "segment length below 2",
                vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01, 0xFF, 0xD9],
                false,
            ),
            ("not a marker", vec![0xFF, 0xD8, 0x00, 0xFF, 0xD9], false),
            ("no SOI", vec![0xFF, 0xD9], false),
        ];
        for (name, bytes, expected) in cases {
            assert_eq!(is_complete(&bytes), expected, "{name}");
        }
    }
}
