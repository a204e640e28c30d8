//! Pages of text for the readable PDF: base-14 Helvetica in WinAnsiEncoding (windows-1252, a
//! character it cannot write becomes `?`), A4 portrait, a cursor that moves down and starts a
//! new page when the current one is full, at most [`MAX_PAGES`] pages.

use chrono::NaiveDate;
use rust_decimal::Decimal;

/// A4 portrait, in points.
pub const PAGE_WIDTH: f32 = 595.0;
pub const PAGE_HEIGHT: f32 = 842.0;
pub const LEFT: f32 = 50.0;
pub const RIGHT: f32 = PAGE_WIDTH - 50.0;
const TOP: f32 = PAGE_HEIGHT - 50.0;
/// The footer lives below this line.
const BOTTOM: f32 = 78.0;
/// No document grows beyond this many pages, whatever its XML holds.
pub const MAX_PAGES: usize = 40;

/// The two fonts of the resources (`/F1` Helvetica, `/F2` Helvetica-Bold).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

impl Font {
    fn resource(self) -> &'static str {
        match self {
            Font::Regular => "F1",
            Font::Bold => "F2",
        }
    }
}

/// The page contents being written.
#[derive(Debug)]
pub struct Pages {
    done: Vec<Vec<u8>>,
    current: Vec<u8>,
    /// Baseline of the next row.
    y: f32,
    /// Set when the page limit stopped the text: nothing more is written.
    full: bool,
}

impl Pages {
    pub fn new() -> Pages {
        Pages {
            done: Vec::new(),
            current: Vec::new(),
            y: TOP,
            full: false,
        }
    }

    /// Pages started so far (the current one included).
    pub fn count(&self) -> usize {
        self.done.len() + 1
    }

    /// Whether a row of `height` still fits on the current page.
    pub fn fits(&self, height: f32) -> bool {
        self.y - height >= BOTTOM
    }

    /// Moves to the next row `height` below, on a new page when this one is full; false (and
    /// nothing more written) once [`MAX_PAGES`] pages are used.
    pub fn row(&mut self, height: f32) -> bool {
        if self.full {
            return false;
        }
        if !self.fits(height) {
            if self.count() >= MAX_PAGES {
                self.full = true;
                return false;
            }
            self.done.push(std::mem::take(&mut self.current));
            self.y = TOP;
        }
        self.y -= height;
        true
    }

    /// Leaves `height` of blank space (nothing when it would need a new page).
    pub fn gap(&mut self, height: f32) {
        if self.fits(height) {
            self.y -= height;
        }
    }

    /// Writes `text` with its left edge at `x` on the current row.
    pub fn text(&mut self, x: f32, font: Font, size: f32, text: &str) {
        let y = self.y;
        self.text_at(x, y, font, size, &encode(text));
    }

    /// Writes `text` cut to `max_width` (ending with `…`) on the current row.
    pub fn text_fit(&mut self, x: f32, max_width: f32, font: Font, size: f32, text: &str) {
        let y = self.y;
        self.text_at(x, y, font, size, &fit(&encode(text), max_width, size));
    }

    /// Writes `text` with its right edge at `right` on the current row.
    pub fn text_right(&mut self, right: f32, font: Font, size: f32, text: &str) {
        let bytes = encode(text);
        let x = right - width(&bytes, size);
        let y = self.y;
        self.text_at(x, y, font, size, &bytes);
    }

    /// A thin horizontal rule just below the current row.
    pub fn rule(&mut self) {
        if self.full {
            return;
        }
        let y = self.y - 3.0;
        self.current.extend_from_slice(
            format!("0.5 w {LEFT:.2} {y:.2} m {RIGHT:.2} {y:.2} l S\n").as_bytes(),
        );
    }

    fn text_at(&mut self, x: f32, y: f32, font: Font, size: f32, bytes: &[u8]) {
        if self.full || bytes.is_empty() {
            return;
        }
        push_text(&mut self.current, x, y, font, size, bytes);
    }

    /// The content stream of every page, each with `footer` (one or more lines) and its page
    /// number at the bottom.
    pub fn finish(mut self, footer: &[String]) -> Vec<Vec<u8>> {
        self.done.push(std::mem::take(&mut self.current));
        let total = self.done.len();
        for (i, page) in self.done.iter_mut().enumerate() {
            page.extend_from_slice(
                format!("0.5 w {LEFT:.2} 66.00 m {RIGHT:.2} 66.00 l S\n").as_bytes(),
            );
            let mut y = 56.0;
            for line in footer {
                push_text(
                    page,
                    LEFT,
                    y,
                    Font::Regular,
                    7.0,
                    &fit(&encode(line), RIGHT - LEFT, 7.0),
                );
                y -= 9.0;
            }
            let number = encode(&format!("Page {} / {total}", i + 1));
            let x = RIGHT - width(&number, 7.0);
            push_text(page, x, y.min(30.0), Font::Regular, 7.0, &number);
        }
        self.done
    }
}

impl Default for Pages {
    fn default() -> Pages {
        Pages::new()
    }
}

fn push_text(out: &mut Vec<u8>, x: f32, y: f32, font: Font, size: f32, bytes: &[u8]) {
    out.extend_from_slice(
        format!("BT /{} {size:.1} Tf {x:.2} {y:.2} Td (", font.resource()).as_bytes(),
    );
    for &b in bytes {
        if matches!(b, b'(' | b')' | b'\\') {
            out.push(b'\\');
        }
        out.push(b);
    }
    out.extend_from_slice(b") Tj ET\n");
}

/// `text` in windows-1252 (what WinAnsiEncoding is, to within the five codes it leaves
/// undefined): a character it cannot write becomes `?`, a control character a space.
pub fn encode(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut buf = [0u8; 4];
    for c in text.chars() {
        if c.is_control() {
            out.push(b' ');
        } else if c.is_ascii() {
            out.push(c as u8);
        } else {
            let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(c.encode_utf8(&mut buf));
            match bytes.as_ref() {
                [b] if !unmappable && !matches!(b, 0x81 | 0x8D | 0x8F | 0x90 | 0x9D) => {
                    out.push(*b)
                }
                _ => out.push(b'?'),
            }
        }
    }
    out
}

/// Helvetica's advance widths (thousandths of the font size) of the printable ASCII
/// characters, from Adobe's Helvetica AFM.
const ASCII_WIDTHS: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, // ' '../
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, // 0..?
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, // @..O
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556, // P.._
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, // `..o
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584, // p..~
];

/// The width of windows-1252 `bytes` in Helvetica at `size` (bytes above 127 are taken as
/// wide as the widest letters they are, so a cut line never runs over).
pub fn width(bytes: &[u8], size: f32) -> f32 {
    let units: u32 = bytes
        .iter()
        .map(|&b| match b {
            32..=126 => u32::from(ASCII_WIDTHS[usize::from(b - 32)]),
            0x85 | 0x89 | 0x8C | 0x97 | 0x99 | 0xC6 => 1000,
            0x9C | 0xE6 => 944,
            _ => 778,
        })
        .sum();
    units as f32 * size / 1000.0
}

/// `bytes` cut so they fit in `max_width`, ending with `…` when something was cut.
pub fn fit(bytes: &[u8], max_width: f32, size: f32) -> Vec<u8> {
    if width(bytes, size) <= max_width {
        return bytes.to_vec();
    }
    let ellipsis = width(&[0x85], size);
    let mut out = Vec::new();
    let mut used = 0.0;
    for &b in bytes {
        let w = width(&[b], size);
        if used + w + ellipsis > max_width {
            break;
        }
        used += w;
        out.push(b);
    }
    out.push(0x85);
    out
}

/// An amount as the file writes it (its own decimals, unrounded), French style: `1 234,50`.
pub fn amount(value: Option<Decimal>) -> String {
    let Some(value) = value else {
        return String::new();
    };
    let text = value.to_string();
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text.as_str()),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped},{frac}")
    }
}

/// A rate in percent: `20 %`, `5,5 %`.
pub fn rate(value: Option<Decimal>) -> String {
    match value {
        Some(r) => format!("{} %", r.normalize().to_string().replace('.', ",")),
        None => String::new(),
    }
}

/// `15/09/2026`, or empty.
pub fn date(value: Option<NaiveDate>) -> String {
    value
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_windows_1252_with_question_marks_for_the_rest() {
        assert_eq!(encode("Été €"), b"\xC9t\xE9 \x80");
        assert_eq!(encode("東京\u{1F600}"), b"???");
        assert_eq!(encode("a\tb\u{0}"), b"a b ");
    }

    #[test]
    fn amounts_rates_and_cuts() {
        assert_eq!(
            amount(Some("-1234567.50".parse().unwrap())),
            "-1 234 567,50"
        );
        assert_eq!(amount(Some("999".parse().unwrap())), "999");
        assert_eq!(rate(Some("5.50".parse().unwrap())), "5,5 %");
        let cut = fit(&encode(&"W".repeat(100)), 100.0, 10.0);
        assert!(width(&cut, 10.0) <= 100.0 && cut.ends_with(&[0x85]));
        assert_eq!(fit(b"abc", 100.0, 10.0), b"abc");
    }

    #[test]
    fn pages_stop_at_the_limit() {
        let mut p = Pages::new();
        let mut rows = 0;
        while p.row(12.0) {
            p.text(LEFT, Font::Regular, 9.0, "x");
            rows += 1;
        }
        assert!(rows > 1000);
        assert_eq!(p.finish(&["footer".into()]).len(), MAX_PAGES);
    }
}
