//! A tiny page layout for the form: text wrapped to a width, boxes and lines, laid out top to
//! bottom on A4 pages in points (origin top left, y growing down). It only produces drawing
//! operations; [`super::render`] turns them into PDF. Blocks are never split across pages: a
//! block that does not fit below the current one starts the next page.

use super::font::Measure;

pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
pub const MARGIN: f32 = 42.0;
const CELL_PAD: f32 = 5.0;
pub const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN;

/// One drawing operation.
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Text with its baseline at `y`.
    Text {
        x: f32,
        y: f32,
        size: f32,
        text: String,
    },
    Line {
        x1: f32,
        y1: f32,
        x2: f32,
        y2: f32,
        width: f32,
    },
}

/// Where the next block goes, and the pages so far.
pub struct Flow<'a> {
    pub measure: Measure<'a>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'a> Flow<'a> {
    pub fn new(measure: Measure<'a>) -> Flow<'a> {
        Flow {
            measure,
            pages: vec![Vec::new()],
            y: MARGIN,
        }
    }

    pub fn into_pages(self) -> Vec<Vec<Op>> {
        self.pages
    }

    /// Makes room for a block `height` high, starting a new page if it does not fit.
    fn reserve(&mut self, height: f32) -> f32 {
        if self.y + height > PAGE_HEIGHT - MARGIN && self.y > MARGIN {
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
        let top = self.y;
        self.y += height;
        top
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    pub fn space(&mut self, height: f32) {
        self.y += height;
    }

    /// Lines of `text` no wider than `width`; breaks at spaces between Latin words, anywhere
    /// between CJK characters, and inside a word only when it is wider than the line.
    pub fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for token in tokens(paragraph) {
                let candidate = format!("{line}{token}");
                if self.measure.width(&candidate, size) <= width || line.trim().is_empty() {
                    line = candidate;
                } else {
                    lines.push(line.trim_end().to_owned());
                    line = token.trim_start().to_owned();
                }
                // A single token wider than the line: cut it by characters.
                while self.measure.width(&line, size) > width {
                    let (head, tail) = self.split_at_width(&line, size, width);
                    lines.push(head);
                    line = tail;
                }
            }
            lines.push(line.trim_end().to_owned());
        }
        lines
    }

    fn split_at_width(&self, text: &str, size: f32, width: f32) -> (String, String) {
        let mut used = 0.0;
        for (i, c) in text.char_indices() {
            used += self.measure.char_width(c, size);
            if used > width && i > 0 {
                return (text[..i].to_owned(), text[i..].to_owned());
            }
        }
        (text.to_owned(), String::new())
    }

    /// A paragraph of wrapped text.
    pub fn paragraph(&mut self, text: &str, size: f32, x: f32, width: f32) {
        let leading = size * 1.45;
        let lines = self.wrap(text, size, width);
        let top = self.reserve(leading * lines.len() as f32);
        for (i, line) in lines.into_iter().enumerate() {
            self.push(text_op(
                x,
                top + leading * i as f32 + size * 1.1,
                size,
                line,
            ));
        }
    }

    /// One line of text centred on the page.
    pub fn centred(&mut self, text: &str, size: f32) {
        let width = self.measure.width(text, size);
        let top = self.reserve(size * 1.6);
        self.push(text_op(
            (PAGE_WIDTH - width) / 2.0,
            top + size * 1.1,
            size,
            text.to_owned(),
        ));
    }

    /// A table row: cells side by side (widths summing to the content width), each with its
    /// text wrapped, at least `min_height` high, framed. A row taller than what is left of
    /// the page continues on the next one, unless `keep` asks to move it whole (a signature
    /// box is never cut); a row taller than a whole page is cut all the same.
    pub fn row(&mut self, cells: &[(f32, &str)], size: f32, min_height: f32, keep: bool) {
        let leading = size * 1.45;
        let wrapped: Vec<Vec<String>> = cells
            .iter()
            .map(|(w, text)| self.wrap(text, size, w - 2.0 * CELL_PAD))
            .collect();
        let total = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        let widths: Vec<f32> = cells.iter().map(|(w, _)| *w).collect();
        let lines_fitting =
            |space: f32| ((space - 2.0 * CELL_PAD) / leading).floor().max(0.0) as usize;
        let mut start = 0;
        loop {
            let remaining = total - start;
            let height = (remaining as f32 * leading + 2.0 * CELL_PAD).max(min_height);
            let left = PAGE_HEIGHT - MARGIN - self.y;
            if height <= left {
                self.row_part(&widths, &wrapped, start..total, size, height);
                return;
            }
            let here = lines_fitting(left);
            if self.y <= MARGIN {
                // Taller than a whole page: fill this one (at least one line) and go on.
                let n = here.max(1).min(remaining);
                self.row_part(&widths, &wrapped, start..start + n, size, left);
                start += n;
                if start == total {
                    return;
                }
            } else if !keep && here >= 3 && remaining > here {
                self.row_part(&widths, &wrapped, start..start + here, size, left);
                start += here;
            }
            self.pages.push(Vec::new());
            self.y = MARGIN;
        }
    }

    fn row_part(
        &mut self,
        widths: &[f32],
        wrapped: &[Vec<String>],
        lines: std::ops::Range<usize>,
        size: f32,
        height: f32,
    ) {
        let leading = size * 1.45;
        let top = self.y;
        self.y += height;
        let bottom = top + height;
        let mut x = MARGIN;
        self.push(line(MARGIN, top, MARGIN + CONTENT_WIDTH, top));
        self.push(line(MARGIN, bottom, MARGIN + CONTENT_WIDTH, bottom));
        self.push(line(MARGIN, top, MARGIN, bottom));
        for (w, cell) in widths.iter().zip(wrapped) {
            let shown = cell.iter().skip(lines.start).take(lines.len());
            for (i, text) in shown.enumerate() {
                let y = top + CELL_PAD + leading * i as f32 + size * 1.05;
                self.push(text_op(x + CELL_PAD, y, size, text.clone()));
            }
            x += w;
            self.push(line(x, top, x, bottom));
        }
    }
}

fn text_op(x: f32, y: f32, size: f32, text: String) -> Op {
    Op::Text { x, y, size, text }
}

fn line(x1: f32, y1: f32, x2: f32, y2: f32) -> Op {
    Op::Line {
        x1,
        y1,
        x2,
        y2,
        width: 0.8,
    }
}

/// Splits text into break opportunities: a CJK character alone, a Latin word with the
/// spaces before it.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    for c in text.chars() {
        if is_closing(c) && current.is_empty() {
            // 避头: closing punctuation never starts a line; it sticks to what precedes it.
            match out.last_mut() {
                Some(last) => last.push(c),
                None => current.push(c),
            }
            in_word = false;
        } else if is_wide(c) {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            out.push(c.to_string());
            in_word = false;
        } else if c.is_whitespace() {
            if in_word {
                out.push(std::mem::take(&mut current));
                in_word = false;
            }
            current.push(c);
        } else {
            current.push(c);
            in_word = true;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// Full-width closing punctuation.
fn is_closing(c: char) -> bool {
    matches!(
        c,
        '，' | '。' | '、' | '；' | '：' | '）' | '」' | '』' | '”' | '！' | '？' | '》'
    )
}

/// CJK ideographs, kana, hangul and full-width punctuation: each may stand at a line break.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFFEF
        | 0x20000..=0x3FFFF)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_split_cjk_by_character_and_latin_by_word() {
        let cases: &[(&str, &[&str])] = &[
            ("网站", &["网", "站"]),
            ("a b", &["a", " b"]),
            ("浙江abc 公司", &["浙", "江", "abc", " ", "公", "司"]),
            ("1.2.3.4, 5.6.7.8", &["1.2.3.4,", " 5.6.7.8"]),
            (
                "真实，愿（盖章）。",
                &["真", "实，", "愿", "（", "盖", "章）。"],
            ),
            ("", &[]),
        ];
        for (text, expected) in cases {
            assert_eq!(&tokens(text), expected, "{text}");
        }
    }
}
