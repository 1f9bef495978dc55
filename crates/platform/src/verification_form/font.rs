//! The CJK font the form is set in. By default a subset of WenQuanYi Micro Hei (Apache-2.0,
//! every GB 2312 and GBK hanzi; see `crates/platform/fonts/README.md`) compiled into the
//! binary, so the form renders on a machine with no fonts at all; a configured font file (a
//! TTF, OTF or TTC face) overrides it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::FormError;

/// The embedded font: a single face (index 0).
pub static EMBEDDED_FONT: &[u8] = include_bytes!("../../fonts/wqy-microhei-subset.ttf");

/// Which font the form uses: a setting of the server's configuration (`path`, `index`; both
/// optional). No `path` is the embedded font.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FontConfig {
    /// A font file to use instead of the embedded one.
    pub path: Option<PathBuf>,
    /// The face within a collection (`.ttc`); 0 for a single font.
    pub index: u32,
}

impl FontConfig {
    pub fn load(&self) -> Result<FormFont, FormError> {
        match &self.path {
            Some(path) => FormFont::load(path, self.index),
            None => FormFont::embedded(),
        }
    }
}

/// A font's bytes: compiled in, or read from a file.
#[derive(Clone)]
enum FontData {
    Embedded(&'static [u8]),
    Read(Arc<Vec<u8>>),
}

impl FontData {
    fn bytes(&self) -> &[u8] {
        match self {
            FontData::Embedded(b) => b,
            FontData::Read(b) => b,
        }
    }
}

/// A loaded font: the bytes (shared with the PDF writer, which subsets and embeds them).
#[derive(Clone)]
pub struct FormFont {
    data: FontData,
    index: u32,
    pdf: krilla::text::Font,
}

impl std::fmt::Debug for FormFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormFont")
            .field("bytes", &self.data.bytes().len())
            .field("index", &self.index)
            .finish()
    }
}

impl FormFont {
    /// Loads the font at `index` of the file (a TTF, OTF, or a TTC collection).
    pub fn load(path: &Path, index: u32) -> Result<FormFont, FormError> {
        let data = std::fs::read(path).map_err(|e| FormError::FontMissing {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        FormFont::from_bytes(data, index).map_err(|_| FormError::FontInvalid {
            path: path.to_path_buf(),
        })
    }

    /// The font compiled into the binary ([`EMBEDDED_FONT`]).
    pub fn embedded() -> Result<FormFont, FormError> {
        let invalid = || FormError::FontInvalid {
            path: PathBuf::from("<embedded>"),
        };
        FontRef::from_index(EMBEDDED_FONT, 0).map_err(|_| invalid())?;
        let pdf = krilla::text::Font::new(EMBEDDED_FONT.into(), 0).ok_or_else(invalid)?;
        Ok(FormFont {
            data: FontData::Embedded(EMBEDDED_FONT),
            index: 0,
            pdf,
        })
    }

    /// A font from bytes already read.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<FormFont, FormError> {
        let invalid = || FormError::FontInvalid {
            path: PathBuf::from("<bytes>"),
        };
        let data = Arc::new(data);
        FontRef::from_index(&data, index).map_err(|_| invalid())?;
        let pdf = krilla::text::Font::new(data.clone().into(), index).ok_or_else(invalid)?;
        Ok(FormFont {
            data: FontData::Read(data),
            index,
            pdf,
        })
    }

    pub(super) fn pdf(&self) -> &krilla::text::Font {
        &self.pdf
    }

    /// Glyph widths, for laying text out.
    pub(super) fn measure(&self) -> Result<Measure<'_>, FormError> {
        let font = FontRef::from_index(self.data.bytes(), self.index).map_err(|_| {
            FormError::FontInvalid {
                path: PathBuf::from("<loaded>"),
            }
        })?;
        let metrics = font.metrics(Size::unscaled(), LocationRef::default());
        Ok(Measure {
            charmap: font.charmap(),
            glyphs: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em: f32::from(metrics.units_per_em.max(1)),
        })
    }
}

/// Advance widths of a font, in points at a given size.
pub(super) struct Measure<'a> {
    charmap: Charmap<'a>,
    glyphs: GlyphMetrics<'a>,
    units_per_em: f32,
}

impl Measure<'_> {
    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        c.is_whitespace() || self.charmap.map(c).is_some()
    }

    /// The width of `c` at `size` points (a missing glyph counts as one em, as `.notdef`).
    pub fn char_width(&self, c: char, size: f32) -> f32 {
        let units = self
            .charmap
            .map(c)
            .and_then(|gid| self.glyphs.advance_width(gid))
            .unwrap_or(self.units_per_em);
        units / self.units_per_em * size
    }

    pub fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|c| self.char_width(c, size)).sum()
    }
}
