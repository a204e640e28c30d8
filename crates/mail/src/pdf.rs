//! What a file must be to be booked as a PDF, and what in it is worth a warning.
//!
//! - Structure (ISO 32000-1 §7.5.2, §7.5.5): the header `%PDF-` at offset 0 (a UTF-8 BOM or
//!   white space only before it), and `%%EOF` at the end (white space only after it). The old
//!   "anywhere in the first 1024 bytes" tolerance is what lets an HTML page that starts with a
//!   few bytes of text pass as a PDF.
//! - Polyglots: a file that is also a ZIP (a central directory at its end), an HTML page or a
//!   script (markup or code a browser, a shell or PHP would run) is refused, whatever it is to
//!   a PDF reader ([`polyglot`], shared with the image types): markup and PHP anywhere, batch
//!   commands at a line start.
//! - Active content (§12.6.4.16 JavaScript, §12.6.4.5 Launch): flagged, not refused. Names are
//!   read with their `#xx` escapes decoded (§7.3.5: `/J#61vaScript` is `/JavaScript`), in the
//!   file and inside compressed object streams (§7.5.7), inflated up to a bound.

use std::io::Read;

/// Bound on the bytes inflated from the object streams of one file.
const MAX_INFLATED: u64 = 16 * 1024 * 1024;

/// PDF white space (ISO 32000-1 §7.2.2, Table 1).
fn is_pdf_space(b: u8) -> bool {
    matches!(b, 0 | b'\t' | b'\n' | 0x0C | b'\r' | b' ')
}

/// Where `%PDF-` starts after an optional BOM and white space, if it does.
pub fn header_at_start(data: &[u8]) -> bool {
    let body = data.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(data);
    let start = body
        .iter()
        .position(|&b| !is_pdf_space(b))
        .unwrap_or(body.len());
    body[start..].starts_with(b"%PDF-")
}

/// Does the file end with `%%EOF` (white space after it allowed)?
pub fn ends_with_eof(data: &[u8]) -> bool {
    let end = data
        .iter()
        .rposition(|&b| !is_pdf_space(b))
        .map_or(0, |i| i + 1);
    data[..end].ends_with(b"%%EOF")
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What else the bytes are, if they are also a ZIP archive, an HTML page or a script.
pub fn polyglot(data: &[u8]) -> Option<&'static str> {
    if crate::container::zip_entries(data).is_some_and(|(names, _)| !names.is_empty()) {
        return Some("a ZIP archive");
    }
    // Markup a browser renders and runs wherever it sits in the file; the tag must be
    // followed by a delimiter, so that compressed streams cannot match by chance.
    for (marker, what) in [
        (&b"<html"[..], "an HTML page"),
        (b"<!doctype html", "an HTML page"),
        (b"<script", "an HTML page with a script"),
        (b"<iframe", "an HTML page"),
        (b"<?php", "a PHP script"),
    ] {
        if find_tag(data, marker) {
            return Some(what);
        }
    }
    // A batch file runs every line it can (the `%PDF-` line fails, the next ones run).
    let batch = data.split(|&b| b == b'\n' || b == b'\r').any(|l| {
        let l = l.trim_ascii_start();
        l.len() >= 9 && l[..9].eq_ignore_ascii_case(b"@echo off")
    });
    batch.then_some("a batch script")
}

/// `marker` (it starts with `<`; case-insensitive) followed by white space, `>` or `/`.
fn find_tag(hay: &[u8], marker: &[u8]) -> bool {
    hay.iter()
        .enumerate()
        .filter(|(_, b)| **b == b'<')
        .any(|(i, _)| {
            hay.get(i..i + marker.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(marker))
                && hay
                    .get(i + marker.len())
                    .is_some_and(|&b| b.is_ascii_whitespace() || b == b'>' || b == b'/')
        })
}

/// Active content found in a PDF, as warnings for the log.
pub fn active_content(data: &[u8]) -> Vec<String> {
    let (mut javascript, mut launch) = (false, false);
    let mut look = |bytes: &[u8]| {
        for name in names(bytes) {
            match name.as_slice() {
                b"JS" | b"JavaScript" => javascript = true,
                b"Launch" => launch = true,
                _ => {}
            }
        }
    };
    look(data);
    let mut budget = MAX_INFLATED;
    for stream in object_streams(data) {
        if budget == 0 {
            break;
        }
        let mut out = Vec::new();
        // A damaged stream still yields what inflated before the damage.
        let _ = flate2::read::ZlibDecoder::new(stream)
            .take(budget)
            .read_to_end(&mut out);
        budget = budget.saturating_sub(out.len() as u64);
        look(&out);
    }
    let mut warnings = Vec::new();
    if javascript {
        warnings.push("it contains JavaScript (/JS, /JavaScript)".to_string());
    }
    if launch {
        warnings
            .push("it contains a launch action (/Launch), which can start a program".to_string());
    }
    warnings
}

/// Every PDF name in `data` (after a `/`), `#xx` escapes decoded (§7.3.5), at most 64 bytes
/// of each kept.
fn names(data: &[u8]) -> impl Iterator<Item = Vec<u8>> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let n = data.get(i..)?.iter().position(|&b| b == b'/')?;
        let mut j = i + n + 1;
        let mut name = Vec::new();
        while let Some(&b) = data.get(j) {
            if is_pdf_space(b) || b"()<>[]{}/%".contains(&b) {
                break;
            }
            let escaped = (b == b'#')
                .then(|| data.get(j + 1..j + 3))
                .flatten()
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok());
            let (byte, width) = escaped.map_or((b, 1), |v| (v, 3));
            if name.len() < 64 {
                name.push(byte);
            }
            j += width;
        }
        i = j;
        Some(name)
    })
}

/// The raw data of the Flate-compressed object streams (`/Type /ObjStm`), where objects
/// (actions included) can hide from a plain byte scan.
fn object_streams(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(n) = find(&data[at..], b"stream") {
        let kw = at + n;
        at = kw + 6;
        if kw >= 3 && &data[kw - 3..kw] == b"end" {
            continue;
        }
        // The stream's dictionary: back to the object's "obj" keyword, at most 4 KiB.
        let from = kw.saturating_sub(4096);
        let dict_start = data[from..kw]
            .windows(3)
            .rposition(|w| w == b"obj")
            .map_or(from, |p| from + p);
        let dict: Vec<Vec<u8>> = names(&data[dict_start..kw]).collect();
        if !(dict.iter().any(|n| n == b"ObjStm") && dict.iter().any(|n| n == b"FlateDecode")) {
            continue;
        }
        // Data starts after the EOL that follows "stream" (§7.3.8.1) and ends at "endstream".
        let mut s = at;
        if data.get(s) == Some(&b'\r') {
            s += 1;
        }
        if data.get(s) == Some(&b'\n') {
            s += 1;
        }
        let Some(e) = find(&data[s..], b"endstream") else {
            break;
        };
        out.push(&data[s..s + e]);
        at = s + e + 9;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn header_and_trailer_positions() {
        assert!(header_at_start(b"%PDF-1.7\n"));
        assert!(header_at_start(b"\xEF\xBB\xBF \r\n%PDF-1.7"));
        assert!(!header_at_start(b"<p>hi</p>%PDF-1.7"));
        assert!(!header_at_start(b"x%PDF-1.7"));
        assert!(ends_with_eof(b"...%%EOF"));
        assert!(ends_with_eof(b"...%%EOF\r\n\0 "));
        assert!(!ends_with_eof(b"...%%EOF\n<html>"));
        assert!(!ends_with_eof(b"...%%EO"));
    }

    #[test]
    fn polyglots_are_named() {
        assert_eq!(polyglot(b"%PDF-1.4\n%%EOF\n"), None);
        assert_eq!(
            polyglot(b"%PDF-1.4\n<HTML><body>x</body></html>\n%%EOF"),
            Some("an HTML page")
        );
        assert_eq!(
            polyglot(b"%PDF-1.4\n<?php system($_GET[1]); ?>%%EOF"),
            Some("a PHP script")
        );
        assert_eq!(
            polyglot(b"%PDF-1.4\r\n  @ECHO OFF\r\ndel *\r\n%%EOF"),
            Some("a batch script")
        );
    }

    #[test]
    fn javascript_and_launch_are_found_escaped_and_compressed() {
        assert!(active_content(b"%PDF-1.4 1 0 obj<</Type/Catalog>>endobj %%EOF").is_empty());
        let w = active_content(b"%PDF-1.4 1 0 obj<</S/J#61vaScript/JS(app.alert(1))>>endobj %%EOF");
        assert_eq!(w.len(), 1, "{w:?}");
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(b"5 0 << /S /Launch /F (cmd.exe) >>").unwrap();
        let packed = z.finish().unwrap();
        let mut pdf = b"%PDF-1.5\n4 0 obj\n<< /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length 9 >>\nstream\r\n".to_vec();
        pdf.extend_from_slice(&packed);
        pdf.extend_from_slice(b"\nendstream\nendobj\n%%EOF\n");
        let w = active_content(&pdf);
        assert_eq!(w.len(), 1, "{w:?}");
        assert!(w[0].contains("/Launch"));
    }
}
