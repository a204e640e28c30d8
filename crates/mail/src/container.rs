//! ZIP containers read by hand from their central directory (APPNOTE.TXT §4.3.16, §4.3.12):
//! robust to entry order and to data prepended to the archive, bounded in entries, and one
//! entry (`[Content_Types].xml`) inflated with a size bound.

/// Bound on ZIP central-directory entries read (OOXML documents have a few dozen).
const MAX_ZIP_ENTRIES: usize = 10_000;

fn u16_at(d: &[u8], at: usize) -> Option<usize> {
    let b = d.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]) as usize)
}

fn u32_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64)
}

fn u64_at(d: &[u8], at: usize) -> Option<u64> {
    let b = d.get(at..at.checked_add(8)?)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Some(u64::from_le_bytes(a))
}

/// One central-directory entry.
#[derive(Debug, Clone)]
pub(crate) struct Entry {
    pub name: String,
    pub encrypted: bool,
    method: usize,
    compressed: u64,
    /// Offset of the local header, corrected for data prepended to the archive.
    local: u64,
}

/// The entries of a ZIP read from its central directory (robust to entry order). `None` when
/// there is no readable central directory.
pub(crate) fn directory(data: &[u8]) -> Option<Vec<Entry>> {
    // End of central directory: 22 bytes + comment (≤ 65535), searched backwards.
    let min_start = data.len().saturating_sub(22 + 65_535);
    let mut eocd = None;
    let mut pos = data.len().checked_sub(22)?;
    loop {
        if data.get(pos..pos + 4) == Some(b"PK\x05\x06") {
            eocd = Some(pos);
            break;
        }
        if pos == min_start {
            break;
        }
        pos -= 1;
    }
    let eocd = eocd?;
    let mut cd_size = u32_at(data, eocd + 12)?;
    let mut cd_offset = u32_at(data, eocd + 16)?;
    if cd_offset == 0xFFFF_FFFF || cd_size == 0xFFFF_FFFF {
        // ZIP64: the locator sits just before the EOCD.
        let loc = eocd.checked_sub(20)?;
        if data.get(loc..loc + 4) != Some(b"PK\x06\x07") {
            return None;
        }
        let z64 = usize::try_from(u64_at(data, loc + 8)?).ok()?;
        if data.get(z64..z64.checked_add(4)?) != Some(b"PK\x06\x06") {
            return None;
        }
        cd_size = u64_at(data, z64 + 40)?;
        cd_offset = u64_at(data, z64 + 48)?;
    }
    // Data prepended to the archive shifts offsets: fall back to "just before the EOCD".
    let mut start = usize::try_from(cd_offset).ok()?;
    let mut shift = 0u64;
    if data.get(start..start.saturating_add(4)) != Some(b"PK\x01\x02") {
        start = eocd.checked_sub(usize::try_from(cd_size).ok()?)?;
        shift = (start as u64).wrapping_sub(cd_offset);
    }
    let mut entries = Vec::new();
    let mut p = start;
    while entries.len() < MAX_ZIP_ENTRIES && data.get(p..p.saturating_add(4)) == Some(b"PK\x01\x02")
    {
        let flags = u16_at(data, p + 8)?;
        let name_len = u16_at(data, p + 28)?;
        let extra_len = u16_at(data, p + 30)?;
        let comment_len = u16_at(data, p + 32)?;
        let name = data.get(p + 46..p + 46 + name_len)?;
        entries.push(Entry {
            name: String::from_utf8_lossy(name).into_owned(),
            encrypted: flags & 1 == 1,
            method: u16_at(data, p + 10)?,
            compressed: u32_at(data, p + 20)?,
            local: u32_at(data, p + 42)?.wrapping_add(shift),
        });
        p += 46 + name_len + extra_len + comment_len;
    }
    Some(entries)
}

/// Entry names of a ZIP and whether any entry is encrypted; `None` without a readable
/// central directory.
pub(crate) fn zip_entries(data: &[u8]) -> Option<(Vec<String>, bool)> {
    let entries = directory(data)?;
    let encrypted = entries.iter().any(|e| e.encrypted);
    Some((entries.into_iter().map(|e| e.name).collect(), encrypted))
}

/// The content of one entry, stored or deflated, at most `max` bytes (`None`: unreadable,
/// encrypted, another compression, or larger than `max`).
pub(crate) fn read(data: &[u8], entry: &Entry, max: u64) -> Option<Vec<u8>> {
    use std::io::Read;
    if entry.encrypted {
        return None;
    }
    let at = usize::try_from(entry.local).ok()?;
    if data.get(at..at.checked_add(4)?) != Some(b"PK\x03\x04") {
        return None;
    }
    let body = at + 30 + u16_at(data, at + 26)? + u16_at(data, at + 28)?;
    let raw = data.get(body..body.checked_add(usize::try_from(entry.compressed).ok()?)?)?;
    let mut out = Vec::new();
    match entry.method {
        0 => out.extend_from_slice(raw),
        8 => {
            flate2::read::DeflateDecoder::new(raw)
                .take(max + 1)
                .read_to_end(&mut out)
                .ok()?;
        }
        _ => return None,
    }
    (out.len() as u64 <= max).then_some(out)
}

/// What `[Content_Types].xml` declares for the part `part_name` (`/word/document.xml`): its
/// `Override`, else the `Default` of its extension (ECMA-376 Part 2, §10.1.2.2). `Err` when
/// the file cannot be read as such a document.
pub(crate) fn content_type_of(
    data: &[u8],
    entries: &[Entry],
    part_name: &str,
) -> Result<Option<String>, ()> {
    let types = entries
        .iter()
        .find(|e| e.name == "[Content_Types].xml")
        .ok_or(())?;
    let xml = read(data, types, 1024 * 1024).ok_or(())?;
    let text =
        std::str::from_utf8(xml.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&xml)).map_err(|_| ())?;
    let doc = roxmltree::Document::parse(text).map_err(|_| ())?;
    let ext = part_name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    let mut default = None;
    for node in doc.root_element().children().filter(|n| n.is_element()) {
        match node.tag_name().name() {
            // Part names compare case-insensitively (ECMA-376 Part 2, §9.1.1.1).
            "Override"
                if node
                    .attribute("PartName")
                    .is_some_and(|p| p.eq_ignore_ascii_case(part_name)) =>
            {
                return Ok(node.attribute("ContentType").map(str::to_string));
            }
            "Default"
                if node
                    .attribute("Extension")
                    .is_some_and(|e| e.eq_ignore_ascii_case(ext)) =>
            {
                default = node.attribute("ContentType").map(str::to_string);
            }
            _ => {}
        }
    }
    Ok(default)
}
