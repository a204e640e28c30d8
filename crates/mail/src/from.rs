//! The `From` field: exactly one mailbox (RFC 5322 §3.6.2 allows a list; we do not), read by
//! the grammar of RFC 5322 §3.4 from the raw field, never from a lenient parser's guess.
//!
//! ```text
//! mailbox    = name-addr / addr-spec
//! name-addr  = [display-name] angle-addr
//! angle-addr = [CFWS] "<" addr-spec ">" [CFWS]
//! addr-spec  = local-part "@" domain         ; dot-atom or quoted-string "@" dot-atom
//! ```
//!
//! Refused, each with its own reason: no `From`, several `From` fields, several mailboxes,
//! group syntax (`undisclosed:;`), anything after the mailbox (`<a@evil.example>
//! no-reply@welyb.fr`), a domain literal, and an RFC 2047 encoded word standing for an address
//! (RFC 2047 §5 forbids them in an addr-spec; in a display name one that decodes to an address
//! is a spoof). UTF-8 is allowed in atoms (RFC 6532 §3.2).

/// Why the From field is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FromError {
    Missing,
    /// Several `From` fields.
    Duplicate(usize),
    /// Several mailboxes in the field.
    SeveralMailboxes,
    /// `name: a@b, c@d;` or `undisclosed:;`.
    Group,
    /// An RFC 2047 encoded word in the addr-spec, or one in the display name that decodes to
    /// an address.
    EncodedAddress,
    /// A domain literal (`[192.0.2.1]`): no domain can authenticate it.
    DomainLiteral,
    /// Not a mailbox by the grammar; what was wrong.
    Syntax(&'static str),
}

impl FromError {
    /// Plain words for the rejection.
    pub fn describe(&self) -> String {
        match self {
            FromError::Missing => "the message has no From field".into(),
            FromError::Duplicate(n) => format!("the message has {n} From fields"),
            FromError::SeveralMailboxes => "the From field names several mailboxes".into(),
            FromError::Group => "the From field is a group of addresses, not a mailbox".into(),
            FromError::EncodedAddress => {
                "the From field spells an address with an encoded word (RFC 2047), which hides the real sender".into()
            }
            FromError::DomainLiteral => {
                "the From address has an IP literal instead of a domain name".into()
            }
            FromError::Syntax(what) => format!("the From field is not a valid mailbox ({what})"),
        }
    }
}

/// The one mailbox of a From field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// `local@domain`, the local part as written (quotes kept when it needed them), the
    /// domain lower-cased.
    pub addr_spec: String,
    pub domain: String,
    /// The display name's words as written (encoded words not decoded).
    pub display_name: Option<String>,
}

/// Parse the raw value of the single From field (folding included).
pub fn parse_mailbox(value: &[u8]) -> Result<Mailbox, FromError> {
    let mut p = P { s: value, i: 0 };
    p.cfws()?;
    if p.peek().is_none() {
        return Err(FromError::Syntax("it is empty"));
    }
    // Words before '<' form the display name; a lone addr-spec has none.
    let start = p.i;
    let mut words: Vec<String> = Vec::new();
    loop {
        p.cfws()?;
        match p.peek() {
            Some(b'<') => break,
            Some(b'"') => words.push(format!("\"{}\"", p.quoted()?)),
            Some(b) if is_atext(b) || b == b'.' => words.push(p.atom_or_dots()),
            Some(b'@') if !words.is_empty() => {
                // An addr-spec without angle brackets: re-read it from the start.
                p.i = start;
                let m = p.addr_spec(None)?;
                return p.finish(m);
            }
            Some(b':') => return Err(FromError::Group),
            Some(b',') => return Err(FromError::SeveralMailboxes),
            Some(_) => return Err(FromError::Syntax("a character that cannot start a word")),
            None => return Err(FromError::Syntax("no address")),
        }
    }
    p.i += 1; // '<'
    p.cfws()?;
    if p.peek() == Some(b'@') {
        return Err(FromError::Syntax("an obsolete source route"));
    }
    let display_name = (!words.is_empty()).then(|| words.join(" "));
    if display_name
        .as_deref()
        .is_some_and(encoded_word_spells_address)
    {
        return Err(FromError::EncodedAddress);
    }
    let m = p.addr_spec(display_name)?;
    p.cfws()?;
    if p.peek() != Some(b'>') {
        return Err(FromError::Syntax("the address is not closed by '>'"));
    }
    p.i += 1;
    p.finish(m)
}

/// Does a display name carry an RFC 2047 encoded word whose text contains '@'?
fn encoded_word_spells_address(name: &str) -> bool {
    let mut rest = name;
    while let Some(start) = rest.find("=?") {
        let word = &rest[start + 2..];
        let mut it = word.splitn(3, '?');
        let (Some(_charset), Some(enc), Some(tail)) = (it.next(), it.next(), it.next()) else {
            return false;
        };
        let Some(end) = tail.find("?=") else {
            return false;
        };
        let text = &tail[..end];
        let decoded = match enc {
            "B" | "b" => mail_parser::decoders::base64::base64_decode(text.as_bytes()),
            "Q" | "q" => mail_parser::decoders::quoted_printable::quoted_printable_decode(
                text.replace('_', " ").as_bytes(),
            ),
            _ => None,
        };
        // '@' in any ASCII-compatible charset; UTF-16 spells it 0x00 0x40 (or 0x40 0x00).
        if decoded.is_some_and(|d| d.contains(&b'@') || d.windows(2).any(|w| w == b"\0@")) {
            return true;
        }
        rest = &tail[end + 2..];
    }
    false
}

/// RFC 5322 §3.2.3 atext, and any UTF-8 byte (RFC 6532 §3.2).
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b) || b >= 0x80
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    /// `[CFWS]`. An unterminated comment is a syntax error.
    fn cfws(&mut self) -> Result<(), FromError> {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'(') => {
                    let mut depth = 0usize;
                    loop {
                        match self.peek() {
                            None => return Err(FromError::Syntax("an unterminated comment")),
                            Some(b'\\') => self.i += 2,
                            Some(b'(') => {
                                depth += 1;
                                self.i += 1;
                            }
                            Some(b')') => {
                                depth -= 1;
                                self.i += 1;
                                if depth == 0 {
                                    break;
                                }
                            }
                            Some(_) => self.i += 1,
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// A quoted-string's content (cursor on '"'), quoted-pairs resolved.
    fn quoted(&mut self) -> Result<String, FromError> {
        self.i += 1;
        let mut out = Vec::new();
        loop {
            match self.peek() {
                None => return Err(FromError::Syntax("an unterminated quoted string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(String::from_utf8_lossy(&out).into_owned());
                }
                Some(b'\\') => {
                    let Some(&n) = self.s.get(self.i + 1) else {
                        return Err(FromError::Syntax("an unterminated quoted string"));
                    };
                    out.push(n);
                    self.i += 2;
                }
                Some(b'\r' | b'\n') => self.i += 1,
                Some(b) if b < 0x20 && b != b'\t' || b == 0x7f => {
                    return Err(FromError::Syntax("a control character"));
                }
                Some(b) => {
                    out.push(b);
                    self.i += 1;
                }
            }
        }
    }

    /// An atom, with the dots of obs-phrase (RFC 5322 §4.1) inside a display name.
    fn atom_or_dots(&mut self) -> String {
        let start = self.i;
        while self.peek().is_some_and(|b| is_atext(b) || b == b'.') {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    fn dot_atom(&mut self) -> Result<String, FromError> {
        let start = self.i;
        loop {
            let atom = self.i;
            while self.peek().is_some_and(is_atext) {
                self.i += 1;
            }
            if self.i == atom {
                return Err(FromError::Syntax("an empty part between dots"));
            }
            if self.peek() != Some(b'.') {
                break;
            }
            self.i += 1;
        }
        Ok(String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    fn addr_spec(&mut self, display_name: Option<String>) -> Result<Mailbox, FromError> {
        self.cfws()?;
        let local = match self.peek() {
            Some(b'"') => {
                let q = self.quoted()?;
                let needs_quotes = q.is_empty()
                    || q.split('.')
                        .any(|a| a.is_empty() || !a.bytes().all(is_atext));
                if needs_quotes {
                    format!("\"{}\"", q.replace('\\', "\\\\").replace('"', "\\\""))
                } else {
                    q
                }
            }
            Some(b) if is_atext(b) => self.dot_atom()?,
            _ => return Err(FromError::Syntax("no local part before '@'")),
        };
        self.cfws()?;
        if self.peek() != Some(b'@') {
            return Err(FromError::Syntax("no '@' in the address"));
        }
        self.i += 1;
        self.cfws()?;
        if self.peek() == Some(b'[') {
            return Err(FromError::DomainLiteral);
        }
        if !self.peek().is_some_and(is_atext) {
            return Err(FromError::Syntax("no domain after '@'"));
        }
        let domain = self.dot_atom()?.to_lowercase();
        if local.contains("=?") || domain.contains("=?") {
            return Err(FromError::EncodedAddress);
        }
        Ok(Mailbox {
            addr_spec: format!("{local}@{domain}"),
            domain,
            display_name,
        })
    }

    /// Only CFWS may follow the mailbox.
    fn finish(&mut self, m: Mailbox) -> Result<Mailbox, FromError> {
        self.cfws()?;
        match self.peek() {
            None => Ok(m),
            Some(b',') => Err(FromError::SeveralMailboxes),
            Some(b';' | b':') => Err(FromError::Group),
            Some(_) => Err(FromError::Syntax("text after the address")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(v: &str) -> String {
        parse_mailbox(v.as_bytes())
            .unwrap_or_else(|e| panic!("{v}: {e:?}"))
            .addr_spec
    }

    fn err(v: &str) -> FromError {
        parse_mailbox(v.as_bytes()).expect_err(v)
    }

    #[test]
    fn the_usual_forms_give_the_addr_spec() {
        assert_eq!(ok(" Welyb <no-reply@welyb.fr>"), "no-reply@welyb.fr");
        assert_eq!(ok("no-reply@Welyb.FR"), "no-reply@welyb.fr");
        assert_eq!(ok("no-reply@welyb.fr (Welyb)"), "no-reply@welyb.fr");
        assert_eq!(ok("\"Welyb, Factures\" <f@welyb.fr>"), "f@welyb.fr");
        assert_eq!(
            ok("=?utf-8?q?Soci=C3=A9t=C3=A9?= <f@welyb.fr>"),
            "f@welyb.fr"
        );
        assert_eq!(ok("J. Dupont <j@x.fr>"), "j@x.fr");
        assert_eq!(ok("\r\n (c) <\"a b\"@x.fr> (c)\r\n"), "\"a b\"@x.fr");
        assert_eq!(ok("\"ab\"@x.fr"), "ab@x.fr");
        assert_eq!(ok("Élodie <élodie@exemple.fr>"), "élodie@exemple.fr");
    }

    #[test]
    fn what_is_not_exactly_one_mailbox_is_refused() {
        assert_eq!(
            err("<a@evil.example> no-reply@welyb.fr"),
            FromError::Syntax("text after the address")
        );
        assert_eq!(err("a@welyb.fr, b@welyb.fr"), FromError::SeveralMailboxes);
        assert_eq!(err("A <a@x.fr>, B <b@x.fr>"), FromError::SeveralMailboxes);
        assert_eq!(err("undisclosed-recipients:;"), FromError::Group);
        assert_eq!(err("Team: a@x.fr;"), FromError::Group);
        assert_eq!(err("a@[192.0.2.1]"), FromError::DomainLiteral);
        assert_eq!(
            err("=?utf-8?q?no-reply=40welyb.fr?= <x@evil.example>"),
            FromError::EncodedAddress
        );
        assert_eq!(
            err("=?utf-8?b?bm8tcmVwbHlAd2VseWIuZnI=?= <x@evil.example>"),
            FromError::EncodedAddress
        );
        assert_eq!(
            err("=?utf-8?q?no-reply?=@welyb.fr"),
            FromError::EncodedAddress
        );
        assert_eq!(
            err("=?utf-8?b?bm8tcmVwbHlAd2VseWIuZnI=?="),
            FromError::Syntax("no address")
        );
        assert!(matches!(err("<@route:a@x.fr>"), FromError::Syntax(_)));
        assert!(matches!(err("a@x.fr (open"), FromError::Syntax(_)));
        assert!(matches!(err("\"open@x.fr"), FromError::Syntax(_)));
        assert!(matches!(err("a..b@x.fr"), FromError::Syntax(_)));
        assert!(matches!(err(""), FromError::Syntax(_)));
        assert!(matches!(err("Welyb"), FromError::Syntax(_)));
    }
}
