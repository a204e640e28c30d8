//! Limits checked on the raw bytes, before mail-parser allocates anything per header or per
//! part: a 40 MB message made of millions of header lines or of MIME parts is refused here, in
//! one pass and without copying it.
//!
//! The count is an upper bound of what mail-parser 0.11.9 would build: it starts a part at
//! every `--<boundary>` it finds **anywhere** (not only at a line start: `seek_next_part`,
//! `decode_base64_mime`), reads a header section up to the first empty line whatever follows,
//! and parses base64 or quoted-printable `message/rfc822` parts again, three levels deep. So do
//! we: every occurrence of `--` followed by any boundary declared so far counts as a part, every
//! header section is measured, and encoded forwarded messages are decoded and scanned too.

use mail_parser::{HeaderName, HeaderValue, MessageParser, MimeHeaders};

/// Largest raw message accepted (SES receiving limit: 40 MB).
pub const MAX_MESSAGE_BYTES: usize = 40 * 1024 * 1024;
/// Largest decoded file accepted.
pub const MAX_FILE_BYTES: usize = 25 * 1024 * 1024;
/// Largest total of decoded candidate files in one mail.
pub const MAX_TOTAL_DECODED_BYTES: usize = 60 * 1024 * 1024;
/// Most candidate files read from one mail; further ones are rejected.
pub const MAX_CANDIDATES: usize = 50;
/// Deepest forwarded `message/rfc822` whose parts are read (the top message is depth 0).
pub const MAX_NESTING: usize = 3;

/// Largest header section (the message's, a part's or a forwarded message's).
pub const MAX_HEADER_SECTION_BYTES: usize = 256 * 1024;
/// Most fields in one header section.
pub const MAX_HEADER_FIELDS: usize = 1_000;
/// Most header fields over the whole message, every part included.
pub const MAX_TOTAL_HEADER_FIELDS: usize = 10_000;
/// Most MIME parts (header sections) in the whole message.
pub const MAX_MIME_PARTS: usize = 1_000;
/// Deepest nesting of multiparts and forwarded messages.
pub const MAX_MIME_DEPTH: usize = 32;
/// Most distinct multipart boundaries in one message (each is looked for at every `--`).
pub const MAX_BOUNDARIES: usize = 64;
/// Encoded forwarded messages mail-parser parses again (its `MAX_NESTED_ENCODED`).
const MAX_ENCODED_NESTING: usize = 3;

/// Which limit a message breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitError {
    HeaderSectionTooLarge { bytes: usize },
    TooManyHeaderFields { fields: usize, in_one_section: bool },
    TooManyParts { parts: usize },
    TooDeep { depth: usize },
    TooManyBoundaries { boundaries: usize },
}

/// One field of the message's own header section, as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawField<'a> {
    /// The name, white space before the colon removed (obsolete syntax, RFC 5322 §4.5).
    pub name: &'a [u8],
    /// The value after the colon, folding included, up to (not including) the final line end.
    pub value: &'a [u8],
}

impl RawField<'_> {
    pub fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name.as_bytes())
    }
}

/// What the scan learnt: the top header section, split into fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scanned<'a> {
    pub fields: Vec<RawField<'a>>,
    pub parts: usize,
}

/// Scan `raw`; `Err` names the first limit broken.
pub fn scan(raw: &[u8]) -> Result<Scanned<'_>, LimitError> {
    let mut s = Scanner::default();
    let top = section(raw, 0)?;
    let fields = split_fields(&raw[..top.end]);
    s.count_fields(top.fields)?;
    s.message(raw, top, 0, 0)?;
    Ok(Scanned {
        fields,
        parts: s.parts,
    })
}

#[derive(Default)]
struct Scanner {
    parts: usize,
    fields: usize,
}

/// A measured header section: where it ends (after its empty line) and how many fields.
#[derive(Clone, Copy)]
struct Section {
    start: usize,
    end: usize,
    fields: usize,
}

/// The line starting at `at`: (end of its content, start of the next line).
fn line(data: &[u8], at: usize) -> (usize, usize) {
    match data[at..].iter().position(|&b| b == b'\n') {
        Some(n) => {
            let end = at + n;
            let content = if end > at && data[end - 1] == b'\r' {
                end - 1
            } else {
                end
            };
            (content, end + 1)
        }
        None => (data.len(), data.len()),
    }
}

/// Measure the header section starting at `start`, up to its empty line (or the end).
fn section(data: &[u8], start: usize) -> Result<Section, LimitError> {
    let mut at = start;
    let mut fields = 0usize;
    while at < data.len() {
        let (content, next) = line(data, at);
        if content == at {
            return Ok(Section {
                start,
                end: next,
                fields,
            });
        }
        if !matches!(data[at], b' ' | b'\t') {
            fields += 1;
            if fields > MAX_HEADER_FIELDS {
                return Err(LimitError::TooManyHeaderFields {
                    fields,
                    in_one_section: true,
                });
            }
        }
        if next - start > MAX_HEADER_SECTION_BYTES {
            return Err(LimitError::HeaderSectionTooLarge {
                bytes: next - start,
            });
        }
        at = next;
    }
    Ok(Section {
        start,
        end: data.len(),
        fields,
    })
}

/// The fields of a header section (its final empty line included or not).
fn split_fields(block: &[u8]) -> Vec<RawField<'_>> {
    let mut out: Vec<RawField<'_>> = Vec::new();
    let mut at = 0;
    while at < block.len() {
        let (content, next) = line(block, at);
        if content == at {
            break;
        }
        if matches!(block[at], b' ' | b'\t') {
            // A continuation line: extend the previous field's value.
            if let Some(last) = out.last_mut() {
                let start = last.value.as_ptr() as usize - block.as_ptr() as usize;
                last.value = &block[start..content];
            }
        } else if let Some(colon) = block[at..content].iter().position(|&b| b == b':') {
            let mut name = &block[at..at + colon];
            while let Some((&b' ' | &b'\t', rest)) = name.split_last() {
                name = rest;
            }
            out.push(RawField {
                name,
                value: &block[at + colon + 1..content],
            });
        }
        at = next;
    }
    out
}

/// What a header section says about its body.
struct Kind {
    boundary: Option<Vec<u8>>,
    digest: bool,
    message: bool,
    explicit_type: bool,
    encoded: Option<bool>, // Some(true) base64, Some(false) quoted-printable
}

fn kind(section: &[u8]) -> Kind {
    let parsed = MessageParser::default().parse_headers(section);
    let Some(msg) = parsed else {
        return Kind {
            boundary: None,
            digest: false,
            message: false,
            explicit_type: false,
            encoded: None,
        };
    };
    let ct = msg.content_type();
    let multipart = ct.is_some_and(|c| c.ctype().eq_ignore_ascii_case("multipart"));
    let encoded = match msg.header(HeaderName::ContentTransferEncoding) {
        Some(HeaderValue::Text(t)) if t.eq_ignore_ascii_case("base64") => Some(true),
        Some(HeaderValue::Text(t)) if t.eq_ignore_ascii_case("quoted-printable") => Some(false),
        _ => None,
    };
    Kind {
        boundary: ct
            .filter(|_| multipart)
            .and_then(|c| c.attribute("boundary"))
            .filter(|b| !b.is_empty())
            .map(|b| b.as_bytes().to_vec()),
        digest: multipart && ct.and_then(|c| c.subtype()) == Some("digest"),
        message: ct.is_some_and(|c| {
            c.ctype() == "message" && matches!(c.subtype(), Some("rfc822" | "global"))
        }),
        explicit_type: ct.is_some(),
        encoded,
    }
}

struct Bound {
    text: Vec<u8>,
    depth: usize,
    digest: bool,
}

/// The next `--<boundary>` at or after `from`: (index in `bounds`, start, end of the match).
fn next_delimiter(data: &[u8], from: usize, bounds: &[Bound]) -> Option<(usize, usize, usize)> {
    if bounds.is_empty() {
        return None;
    }
    let mut at = from;
    while let Some(n) = data.get(at..)?.iter().position(|&b| b == b'-') {
        let dash = at + n;
        if data.get(dash + 1) == Some(&b'-') {
            let rest = &data[dash + 2..];
            // Several boundaries can match (`l1` and `l10`): the longest is the one meant.
            let best = (0..bounds.len())
                .filter(|&i| rest.starts_with(&bounds[i].text))
                .max_by_key(|&i| bounds[i].text.len());
            if let Some(i) = best {
                return Some((i, dash, dash + 2 + bounds[i].text.len()));
            }
        }
        at = dash + 1;
    }
    None
}

impl Scanner {
    fn count_fields(&mut self, n: usize) -> Result<(), LimitError> {
        self.fields += n;
        if self.fields > MAX_TOTAL_HEADER_FIELDS {
            return Err(LimitError::TooManyHeaderFields {
                fields: self.fields,
                in_one_section: false,
            });
        }
        Ok(())
    }

    fn count_part(&mut self) -> Result<(), LimitError> {
        self.parts += 1;
        if self.parts > MAX_MIME_PARTS {
            return Err(LimitError::TooManyParts { parts: self.parts });
        }
        Ok(())
    }

    /// Scan one message whose header section `first` is already measured.
    fn message(
        &mut self,
        data: &[u8],
        first: Section,
        depth: usize,
        encoded_level: usize,
    ) -> Result<(), LimitError> {
        let mut bounds: Vec<Bound> = Vec::new();
        // (section, depth, inside a digest)
        let mut current = Some((first, depth, false));
        let mut pos = first.end;
        loop {
            if let Some((sec, depth, in_digest)) = current.take() {
                self.count_part()?;
                if depth > MAX_MIME_DEPTH {
                    return Err(LimitError::TooDeep { depth });
                }
                let k = kind(&data[sec.start..sec.end]);
                pos = sec.end;
                if let Some(text) = k.boundary {
                    if !bounds.iter().any(|b| b.text == text) {
                        if bounds.len() >= MAX_BOUNDARIES {
                            return Err(LimitError::TooManyBoundaries {
                                boundaries: bounds.len() + 1,
                            });
                        }
                        bounds.push(Bound {
                            text,
                            depth: depth + 1,
                            digest: k.digest,
                        });
                    }
                } else if k.message || (in_digest && !k.explicit_type) {
                    match k.encoded {
                        None => {
                            let nested = section(data, pos)?;
                            self.count_fields(nested.fields)?;
                            current = Some((nested, depth + 1, false));
                            continue;
                        }
                        Some(base64) if encoded_level < MAX_ENCODED_NESTING => {
                            let end =
                                next_delimiter(data, pos, &bounds).map_or(data.len(), |d| d.1);
                            let body = &data[pos..end];
                            let decoded = if base64 {
                                mail_parser::decoders::base64::base64_decode(body)
                            } else {
                                mail_parser::decoders::quoted_printable::quoted_printable_decode(
                                    body,
                                )
                            };
                            if let Some(inner) = decoded {
                                let top = section(&inner, 0)?;
                                self.count_fields(top.fields)?;
                                self.message(&inner, top, depth + 1, encoded_level + 1)?;
                            }
                            pos = end;
                        }
                        Some(_) => {}
                    }
                }
            }
            let Some((i, _, after)) = next_delimiter(data, pos, &bounds) else {
                return Ok(());
            };
            let (depth, digest) = (bounds[i].depth, bounds[i].digest);
            if data.get(after..after + 2) == Some(b"--") {
                pos = after + 2;
                continue;
            }
            // mail-parser reads the part's headers right after the delimiter's line.
            let (_, next) = line(data, after);
            let sec = section(data, next)?;
            self.count_fields(sec.fields)?;
            current = Some((sec, depth, digest));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ordinary_message_passes_and_its_fields_are_split() {
        let raw = b"From: a@x.fr\r\nSubject: hi\r\n  there\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nx\r\n--b\r\nContent-Type: application/pdf\r\n\r\n%PDF\r\n--b--\r\n";
        let s = scan(raw).unwrap();
        assert_eq!(s.parts, 3);
        assert_eq!(s.fields.len(), 3);
        assert_eq!(s.fields[1].value, b" hi\r\n  there");
        assert!(s.fields[0].is("from"));
    }

    #[test]
    fn header_and_part_bombs_are_refused() {
        let mut raw = b"From: a@x.fr\r\n".to_vec();
        for _ in 0..2000 {
            raw.extend_from_slice(b"X: y\r\n");
        }
        assert!(matches!(
            scan(&raw),
            Err(LimitError::TooManyHeaderFields { .. })
        ));
        let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        for _ in 0..2000 {
            raw.extend_from_slice(b"--b\r\n\r\n");
        }
        assert!(matches!(scan(&raw), Err(LimitError::TooManyParts { .. })));
        // Delimiters glued to base64 text count too (mail-parser finds them anywhere).
        let mut raw = b"Content-Type: multipart/mixed; boundary=b\r\n\r\n".to_vec();
        for _ in 0..2000 {
            raw.extend_from_slice(b"AA==--b\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        }
        assert!(matches!(scan(&raw), Err(LimitError::TooManyParts { .. })));
        let long = format!("Subject: {}\r\n\r\n", "x".repeat(MAX_HEADER_SECTION_BYTES));
        assert!(matches!(
            scan(long.as_bytes()),
            Err(LimitError::HeaderSectionTooLarge { .. })
        ));
    }

    #[test]
    fn nesting_is_bounded_even_inside_base64_forwarded_messages() {
        let mut inner = String::from("From: a@x.fr\r\n");
        for i in 0..40 {
            inner.push_str(&format!(
                "Content-Type: multipart/mixed; boundary=l{i}\r\n\r\n--l{i}\r\n"
            ));
        }
        assert!(matches!(
            scan(inner.as_bytes()),
            Err(LimitError::TooDeep { .. })
        ));
        let mut bomb = String::from("Content-Type: multipart/mixed; boundary=p\r\n\r\n");
        for _ in 0..1500 {
            bomb.push_str("--p\r\n\r\n");
        }
        let b64 =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD, bomb.as_bytes());
        let outer = format!(
            "From: a@x.fr\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{b64}\r\n"
        );
        assert!(matches!(
            scan(outer.as_bytes()),
            Err(LimitError::TooManyParts { .. })
        ));
    }
}
