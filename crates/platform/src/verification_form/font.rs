//! The CJK font the form is set in, loaded at run time from a file (never compiled in). The
//! default is WenQuanYi Micro Hei from the Debian package `fonts-wqy-microhei`, a run-time
//! requirement of the server wherever it generates forms.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::{FontRef, MetadataProvider};

use super::FormError;

/// Where `fonts-wqy-microhei` installs its font collection.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";
/// Index of "WenQuanYi Micro Hei" in that collection.
pub const DEFAULT_FONT_INDEX: u32 = 0;
/// The Debian package that provides [`DEFAULT_FONT_PATH`].
pub const DEFAULT_FONT_PACKAGE: &str = "fonts-wqy-microhei";

/// Where to find the form's font: a setting of the server's configuration
/// (`path`, `index`; both optional, defaulting to WenQuanYi Micro Hei).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct FontConfig {
    pub path: PathBuf,
    /// The face within a collection (`.ttc`); 0 for a single font.
    pub index: u32,
}

impl Default for FontConfig {
    fn default() -> FontConfig {
        FontConfig {
            path: PathBuf::from(DEFAULT_FONT_PATH),
            index: DEFAULT_FONT_INDEX,
        }
    }
}

impl FontConfig {
    pub fn load(&self) -> Result<FormFont, FormError> {
        FormFont::load(&self.path, self.index)
    }
}

/// A loaded font: the bytes (shared with the PDF writer, which subsets and embeds them).
#[derive(Clone)]
pub struct FormFont {
    data: Arc<Vec<u8>>,
    index: u32,
    pdf: krilla::text::Font,
}

impl std::fmt::Debug for FormFont {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormFont")
            .field("bytes", &self.data.len())
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

    /// [`FormFont::load`] of [`DEFAULT_FONT_PATH`].
    pub fn load_default() -> Result<FormFont, FormError> {
        FontConfig::default().load()
    }

    /// A font from bytes already read.
    pub fn from_bytes(data: Vec<u8>, index: u32) -> Result<FormFont, FormError> {
        let invalid = || FormError::FontInvalid {
            path: PathBuf::from("<bytes>"),
        };
        let data = Arc::new(data);
        FontRef::from_index(&data, index).map_err(|_| invalid())?;
        let pdf = krilla::text::Font::new(data.clone().into(), index).ok_or_else(invalid)?;
        Ok(FormFont { data, index, pdf })
    }

    pub(super) fn pdf(&self) -> &krilla::text::Font {
        &self.pdf
    }

    /// Glyph widths, for laying text out.
    pub(super) fn measure(&self) -> Result<Measure<'_>, FormError> {
        let font =
            FontRef::from_index(&self.data, self.index).map_err(|_| FormError::FontInvalid {
                path: PathBuf::from("<loaded>"),
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
