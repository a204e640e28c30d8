//! Text a sender wrote (From, Subject, Message-ID, file names), made safe to print on a
//! terminal or in a log line: C0 and C1 controls (ECMA-48: they move the cursor, clear the
//! screen, set the window title) and the Unicode bidirectional controls (UAX #9: U+202A–U+202E
//! and U+2066–U+2069 reorder what follows, `facture\u{202E}fdp.exe` shows as `factureexe.pdf`;
//! U+200E, U+200F and U+061C too) are written as `\u{…}` escapes; a backslash is doubled so an
//! escape cannot be faked.

use std::borrow::Cow;

/// A character that must not reach a terminal or a log line as is.
pub fn is_unsafe(c: char) -> bool {
    c.is_control() // C0, DEL, C1
        || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// `s` with every unsafe character escaped (see the module docs); borrowed when nothing is.
pub fn for_terminal(s: &str) -> Cow<'_, str> {
    if !s.chars().any(|c| is_unsafe(c) || c == '\\') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// [`for_terminal`], then cut to at most `max` bytes (on a character boundary) with "…" when
/// cut: for values a sender can make megabytes long (Subject, Message-ID).
pub fn for_terminal_bounded(s: &str, max: usize) -> String {
    let escaped = for_terminal(s);
    if escaped.len() <= max {
        return escaped.into_owned();
    }
    let mut end = max;
    while !escaped.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &escaped[..end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn controls_and_bidi_overrides_are_escaped() {
        assert_eq!(for_terminal("facture.pdf"), "facture.pdf");
        assert!(matches!(for_terminal("facture.pdf"), Cow::Borrowed(_)));
        assert_eq!(
            for_terminal("facture\u{202E}fdp.exe"),
            "facture\\u{202e}fdp.exe"
        );
        assert_eq!(
            for_terminal("a\x1b]0;pwned\x07b"),
            "a\\u{1b}]0;pwned\\u{7}b"
        );
        assert_eq!(for_terminal("x\u{9b}31m\r\n"), "x\\u{9b}31m\\u{d}\\u{a}");
        assert_eq!(for_terminal("\u{2066}\u{2069}"), "\\u{2066}\\u{2069}");
        assert_eq!(for_terminal("C:\\u{41}"), "C:\\\\u{41}");
        assert_eq!(for_terminal("é ü 日本"), "é ü 日本");
    }

    #[test]
    fn bounded_output_is_cut_on_a_character_boundary() {
        let s = "é".repeat(100);
        let out = for_terminal_bounded(&s, 11);
        assert_eq!(out, format!("{}…", "é".repeat(5)));
        assert_eq!(for_terminal_bounded("short", 100), "short");
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_unsafe_character(s in "\\PC*|[\\x00-\\x1f\\x7f-\\x9f\u{202a}-\u{202e}\u{2066}-\u{2069}a\\\\]{0,50}") {
            let out = for_terminal(&s);
            prop_assert!(!out.chars().any(is_unsafe));
        }
    }
}
