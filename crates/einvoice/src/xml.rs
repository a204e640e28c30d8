//! Bounded XML: size, depth and node-count limits checked, no DTD at all (so no external entity
//! and no entity expansion can ever happen), text decoded from the declared encoding.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::NaiveDate;
use roxmltree::{Document, Node, ParsingOptions};
use rust_decimal::Decimal;

use crate::error::Refusal;

/// Limits applied to every file before and while it is parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest file accepted (a PDF or an XML), in bytes.
    pub max_file_bytes: usize,
    /// Largest XML document (standalone or embedded in a PDF, after decompression), in bytes.
    pub max_xml_bytes: usize,
    /// Deepest element nesting accepted (CII and UBL invoices are about 10 deep).
    pub max_depth: usize,
    /// Most XML nodes (elements, attributes, texts) accepted in one document.
    pub max_nodes: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_file_bytes: 40 * 1024 * 1024,
            max_xml_bytes: 16 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 2_000_000,
        }
    }
}

/// The text of an XML file, decoded: UTF-8 (with or without BOM), UTF-16 with a BOM, or the
/// encoding its declaration names (ISO-8859-1, windows-1252...).
pub fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, Refusal> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, had_errors) = encoding.decode_without_bom_handling(&bytes[bom..]);
        return if had_errors {
            Err(Refusal::BadEncoding(encoding.name().into()))
        } else {
            Ok(text)
        };
    }
    // UTF-16 without a BOM, known by its first `<?` (XML 1.0 Appendix F: 00 3C 00 3F is
    // UTF-16BE, 3C 00 3F 00 UTF-16LE), as an encoding="UTF-16BE" declaration allows.
    let utf16 = match bytes.get(..4) {
        Some([0, b'<', 0, b'?']) => Some(encoding_rs::UTF_16BE),
        Some([b'<', 0, b'?', 0]) => Some(encoding_rs::UTF_16LE),
        _ => None,
    };
    if let Some(encoding) = utf16 {
        let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
        return if had_errors {
            Err(Refusal::BadEncoding(encoding.name().into()))
        } else {
            Ok(text)
        };
    }
    let declared = declared_encoding(bytes);
    let encoding = match declared.as_deref() {
        None => encoding_rs::UTF_8,
        Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
            .ok_or_else(|| Refusal::BadEncoding(label.to_string()))?,
    };
    if encoding == encoding_rs::UTF_8 {
        return std::str::from_utf8(bytes)
            .map(Cow::Borrowed)
            .map_err(|_| Refusal::BadEncoding("UTF-8".into()));
    }
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(Refusal::BadEncoding(encoding.name().into()));
    }
    Ok(text)
}

/// `encoding="..."` of the XML declaration, when there is one.
fn declared_encoding(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(256)];
    if !head.starts_with(b"<?xml") {
        return None;
    }
    let end = head.windows(2).position(|w| w == b"?>")?;
    let decl = std::str::from_utf8(&head[..end]).ok()?;
    let at = decl.find("encoding")?;
    let rest = decl[at + "encoding".len()..]
        .trim_start()
        .strip_prefix('=')?;
    let rest = rest.trim_start();
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[1..];
    Some(value[..value.find(quote)?].to_string())
}

/// Parses an XML text within the limits. A document type declaration is refused outright:
/// e-invoices never carry one, and it is the door of XXE and "billion laughs" attacks.
pub fn parse<'a>(text: &'a str, limits: &Limits) -> Result<Document<'a>, Refusal> {
    if text.len() > limits.max_xml_bytes {
        return Err(Refusal::TooLarge {
            what: "XML document",
            size: text.len(),
            limit: limits.max_xml_bytes,
        });
    }
    if has_doctype(text) {
        return Err(Refusal::Dtd);
    }
    let options = ParsingOptions {
        allow_dtd: false,
        nodes_limit: limits.max_nodes,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Refusal::Dtd,
        roxmltree::Error::NodesLimitReached => Refusal::TooManyNodes(limits.max_nodes),
        other => Refusal::MalformedXml(other.to_string()),
    })?;
    // Document order visits a parent before its children: one pass gives every depth.
    let mut depths = vec![0usize; doc.descendants().count() + 1];
    for node in doc.root().descendants().filter(|n| n.is_element()) {
        let parent = node.parent().map_or(0, |p| depths[p.id().get_usize()]);
        let depth = parent + 1;
        if depth > limits.max_depth {
            return Err(Refusal::TooDeep(limits.max_depth));
        }
        depths[node.id().get_usize()] = depth;
    }
    Ok(doc)
}

/// Whether a `<!DOCTYPE` appears before the root element (outside comments and processing
/// instructions, which is the only place XML allows it).
fn has_doctype(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}');
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("<!--") {
            match after.find("-->") {
                Some(end) => rest = &after[end + 3..],
                None => return false,
            }
        } else if let Some(after) = rest.strip_prefix("<?") {
            match after.find("?>") {
                Some(end) => rest = &after[end + 2..],
                None => return false,
            }
        } else {
            return rest.len() >= 9 && rest[..9].eq_ignore_ascii_case("<!DOCTYPE");
        }
    }
}

// ---- navigation by local name (the root's namespace was checked when it was detected) ----

/// The first child element with one of these local names.
pub fn child<'a, 'i>(node: Node<'a, 'i>, names: &[&str]) -> Option<Node<'a, 'i>> {
    node.children()
        .find(|c| c.is_element() && names.contains(&c.tag_name().name()))
}

/// Every child element with one of these local names.
pub fn children<'a, 'i>(
    node: Node<'a, 'i>,
    names: &'static [&'static str],
) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |c| c.is_element() && names.contains(&c.tag_name().name()))
}

/// Follows a path of local names (each step: one of several names), first match at each step.
pub fn path<'a, 'i>(node: Node<'a, 'i>, steps: &[&[&str]]) -> Option<Node<'a, 'i>> {
    let mut current = node;
    for names in steps {
        current = child(current, names)?;
    }
    Some(current)
}

/// Whether some element anywhere below `node` starts this path and has text at its end (the
/// Schematron's `exists(//a/b/c)`).
pub fn anywhere(node: Node<'_, '_>, first: &[&str], rest: &[&[&str]]) -> bool {
    node.descendants()
        .filter(|d| d.is_element() && first.contains(&d.tag_name().name()))
        .any(|d| text(path(d, rest)).is_some())
}

/// The trimmed text of an element, `None` when empty.
pub fn text(node: Option<Node<'_, '_>>) -> Option<String> {
    let node = node?;
    let text: String = node
        .descendants()
        .filter(|d| d.is_text())
        .filter_map(|d| d.text())
        .collect();
    let trimmed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    (!trimmed.is_empty()).then_some(trimmed)
}

/// What reading one value gave: absent, a value, or present but not of the expected type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value<T> {
    Absent,
    Present(T),
    Invalid(String),
}

impl<T: Clone> Value<T> {
    pub fn get(&self) -> Option<T> {
        match self {
            Value::Present(v) => Some(v.clone()),
            _ => None,
        }
    }
}

/// An `xs:decimal` (optional sign, digits, optional fraction; no exponent, no thousands
/// separator), as EN 16931 amounts, quantities and percentages are written.
pub fn decimal(node: Option<Node<'_, '_>>) -> Value<Decimal> {
    match text(node) {
        None => Value::Absent,
        Some(t) => match parse_decimal(&t) {
            Some(d) => Value::Present(d),
            None => Value::Invalid(t),
        },
    }
}

pub fn parse_decimal(t: &str) -> Option<Decimal> {
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let (int, frac) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (int.is_empty() && frac.is_empty()) || !digits(int) || !digits(frac) {
        return None;
    }
    let normalized = t.strip_prefix('+').unwrap_or(t);
    // Bounded so that sums of up to `max_nodes` values and products by a rate never overflow.
    Decimal::from_str(normalized)
        .ok()
        .filter(|d| d.abs() < Decimal::from(MAX_MAGNITUDE))
}

/// Largest magnitude read (10^15: a thousand billion, far above any invoice amount).
pub const MAX_MAGNITUDE: i64 = 1_000_000_000_000_000;

/// A date: CII `udt:DateTimeString` (format 102 `YYYYMMDD`, or ISO), UBL `xs:date`.
pub fn date(node: Option<Node<'_, '_>>) -> Value<NaiveDate> {
    match text(node) {
        None => Value::Absent,
        Some(t) => {
            let compact = t.len() == 8 && t.bytes().all(|b| b.is_ascii_digit());
            let parsed = if compact {
                NaiveDate::parse_from_str(&t, "%Y%m%d").ok()
            } else {
                t.get(..10)
                    .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
            };
            match parsed {
                Some(d) => Value::Present(d),
                None => Value::Invalid(t),
            }
        }
    }
}

/// An attribute's trimmed value, `None` when absent or empty.
pub fn attr(node: Option<Node<'_, '_>>, name: &str) -> Option<String> {
    let value = node?.attribute(name)?.trim();
    (!value.is_empty()).then(|| value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_follow_xs_decimal() {
        assert_eq!(parse_decimal("12.50"), Some(Decimal::new(1250, 2)));
        assert_eq!(parse_decimal("+3"), Some(Decimal::from(3)));
        assert_eq!(parse_decimal("-.5"), Some(Decimal::new(-5, 1)));
        assert_eq!(parse_decimal("12."), Some(Decimal::from(12)));
        for bad in ["", "1,5", "1e3", ".", "--1", "1 000", "0x10", "NaN"] {
            assert_eq!(parse_decimal(bad), None, "{bad}");
        }
        // Beyond Decimal's 28 digits: refused, not wrapped.
        assert_eq!(parse_decimal("123456789012345678901234567890"), None);
        assert_eq!(parse_decimal("1000000000000000"), None);
    }

    #[test]
    fn doctype_found_behind_comments_and_declaration() {
        assert!(has_doctype(
            "<?xml version=\"1.0\"?>\n<!-- x --><!doctype a []><a/>"
        ));
        assert!(!has_doctype("<?xml version=\"1.0\"?><a><!DOCTYPE</a>"));
    }

    #[test]
    fn utf16_without_bom_is_decoded() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16BE\"?><a>caf\u{e9}</a>";
        let be: Vec<u8> = xml.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let le: Vec<u8> = xml.encode_utf16().flat_map(u16::to_le_bytes).collect();
        assert_eq!(decode(&be).unwrap(), xml);
        assert_eq!(decode(&le).unwrap(), xml);
    }

    #[test]
    fn declared_latin1_is_decoded() {
        let bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        assert_eq!(
            decode(bytes).unwrap(),
            "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\u{e9}</a>"
        );
    }

    #[test]
    fn depth_is_bounded() {
        let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
        let limits = Limits::default();
        assert_eq!(parse(&deep, &limits).unwrap_err(), Refusal::TooDeep(64));
    }
}
