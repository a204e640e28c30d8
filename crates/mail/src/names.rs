//! File-name sanitizing. A decoded attachment name is attacker-controlled: it may contain path
//! separators (`../`), control characters (`\n`), reserved Windows names or be kilobytes long.

/// Maximum length in bytes of a sanitized name.
pub const MAX_NAME_BYTES: usize = 200;

/// Sanitize a decoded file name: keep the last path component, drop control, bidirectional
/// (`facture\u{202E}fdp.exe`) and reserved characters, trim dots and spaces, bound the length (keeping the extension). `None` when
/// nothing usable remains.
pub fn sanitize_file_name(raw: &str) -> Option<String> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or(raw);
    let mut out = String::with_capacity(last.len());
    let mut prev_space = false;
    for c in last.chars() {
        let c = match c {
            c if crate::escape::is_unsafe(c) || c == '\u{FEFF}' => ' ',
            '<' | '>' | ':' | '"' | '|' | '?' | '*' => '_',
            c if c.is_whitespace() => ' ',
            c => c,
        };
        if c == ' ' {
            if prev_space {
                continue;
            }
            prev_space = true;
        } else {
            prev_space = false;
        }
        out.push(c);
    }
    let trimmed = out.trim_matches(|c: char| c == ' ' || c == '.');
    if trimmed.is_empty() {
        return None;
    }
    let mut name = trimmed.to_string();
    let stem_upper = name
        .split('.')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_uppercase();
    const RESERVED: [&str; 22] = [
        "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
        "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
    ];
    if RESERVED.contains(&stem_upper.as_str()) {
        name.insert(0, '_');
    }
    // Windows drops a trailing dot or space, so a cut name must not end with one either.
    let bounded = bound_length(&name);
    let bounded = bounded.trim_end_matches([' ', '.']);
    (!bounded.is_empty()).then(|| bounded.to_string())
}

fn floor_char_boundary(s: &str, max: usize) -> usize {
    let mut i = max.min(s.len());
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn bound_length(name: &str) -> String {
    if name.len() <= MAX_NAME_BYTES {
        return name.to_string();
    }
    match name.rsplit_once('.') {
        Some((stem, ext)) if !ext.is_empty() && ext.len() <= 10 => {
            let keep = floor_char_boundary(stem, MAX_NAME_BYTES - ext.len() - 1);
            format!("{}.{ext}", &stem[..keep])
        }
        _ => name[..floor_char_boundary(name, MAX_NAME_BYTES)].to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn strips_paths_and_controls() {
        assert_eq!(
            sanitize_file_name("../../etc/passwd").as_deref(),
            Some("passwd")
        );
        assert_eq!(
            sanitize_file_name("C:\\Users\\x\\facture\n2024.pdf").as_deref(),
            Some("facture 2024.pdf")
        );
        assert_eq!(sanitize_file_name(" .. ").as_deref(), None);
        assert_eq!(sanitize_file_name("con.pdf").as_deref(), Some("_con.pdf"));
        assert_eq!(
            sanitize_file_name("facture\u{202E}fdp.exe").as_deref(),
            Some("facture fdp.exe")
        );
        // Cut at the bound, the name must not end with a dot or a space.
        let cut = format!("{} {}", "a".repeat(MAX_NAME_BYTES - 1), "b".repeat(20));
        let s = sanitize_file_name(&cut).expect("name");
        assert!(!s.ends_with('.') && !s.ends_with(' '), "{s:?}");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "é".repeat(300));
        let s = sanitize_file_name(&long).expect("name");
        assert!(s.len() <= MAX_NAME_BYTES);
        assert!(s.ends_with(".pdf"));
    }

    proptest! {
        #[test]
        fn sanitized_names_are_safe(raw in ".{0,400}|[a .\u{202e}]{190,210}") {
            if let Some(s) = sanitize_file_name(&raw) {
                prop_assert!(!s.is_empty());
                prop_assert!(s.len() <= MAX_NAME_BYTES);
                prop_assert!(!s.contains('/') && !s.contains('\\'));
                prop_assert!(!s.chars().any(char::is_control));
                prop_assert!(!s.starts_with('.'));
                prop_assert!(!s.ends_with('.') && !s.ends_with(' '));
                prop_assert!(!s.chars().any(crate::escape::is_unsafe));
            }
        }
    }
}
