//! `Authentication-Results` header fields, read by the grammar of RFC 8601 §2.2.
//!
//! ```text
//! authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
//!                   ( no-result / 1*resinfo ) [CFWS] CRLF
//! resinfo    = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
//! methodspec = [CFWS] method [CFWS] "=" [CFWS] result
//! reasonspec = "reason" [CFWS] "=" [CFWS] value
//! propspec   = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue
//! pvalue     = [CFWS] ( value / [ [ local-part ] "@" ] domain-name ) [CFWS]
//! ```
//!
//! What matters for security: a `;` only separates results **outside** quoted strings
//! (RFC 5322 §3.2.4, with quoted-pairs) and comments (§3.2.2, nested). A result whose syntax is
//! broken is skipped up to the next such `;`, never re-read from the middle, so nothing the
//! sender writes inside a quoted `smtp.mailfrom="…"` (or the `envelope-from=` SES echoes) can
//! become a result. An unterminated quoted string or comment swallows the rest of the field:
//! the results after it are lost, which fails closed. Properties that are not `ptype.property`
//! (SES writes `client-ip=…; envelope-from=…; helo=…` in its `spf` result) are skipped as
//! opaque words, quotes and comments honoured.
//!
//! No maintained Rust crate parses this header by the RFC: `mail-auth` only writes it, and
//! `msg-auth-status` 0.x has no DMARC result type.

/// One `ptype.property=pvalue` of a result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Property {
    /// Lower-cased (`header`, `smtp`, `policy`, `body`).
    pub ptype: String,
    /// Lower-cased (`from`, `d`, `i`, `mailfrom`).
    pub property: String,
    /// As written, quotes removed and quoted-pairs resolved.
    pub value: String,
}

/// One `method=result` entry (`resinfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResInfo {
    /// Lower-cased (`dkim`, `dmarc`, `spf`, …).
    pub method: String,
    /// Lower-cased (`pass`, `fail`, `none`, …).
    pub result: String,
    pub reason: Option<String>,
    pub properties: Vec<Property>,
}

impl ResInfo {
    /// The value of `ptype.property`, case-insensitively.
    pub fn property(&self, ptype: &str, property: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|p| {
                p.ptype.eq_ignore_ascii_case(ptype) && p.property.eq_ignore_ascii_case(property)
            })
            .map(|p| p.value.as_str())
    }
}

/// A parsed `Authentication-Results` field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthResults {
    /// As written (quotes removed); compare case-insensitively.
    pub authserv_id: String,
    pub version: Option<u32>,
    pub results: Vec<ResInfo>,
    /// Sections between two top-level `;` that are not a well-formed `methodspec`
    /// (skipped; SES's `envelope-from=…` and `helo=…` land here).
    pub skipped: usize,
}

impl AuthResults {
    /// The results of one method (lower-case name).
    pub fn method<'a>(&'a self, method: &'a str) -> impl Iterator<Item = &'a ResInfo> + 'a {
        self.results.iter().filter(move |r| r.method == method)
    }
}

/// Why a field has no usable authserv-id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthResultsError {
    #[error("the field has no authserv-id")]
    NoAuthservId,
}

/// Parse one field value (the text after `Authentication-Results:`, folding included).
pub fn parse(value: &str) -> Result<AuthResults, AuthResultsError> {
    let mut c = Cursor {
        s: value.as_bytes(),
        i: 0,
    };
    c.cfws();
    let authserv_id = c.value().ok_or(AuthResultsError::NoAuthservId)?;
    if authserv_id.is_empty() {
        return Err(AuthResultsError::NoAuthservId);
    }
    let mut out = AuthResults {
        authserv_id,
        ..Default::default()
    };
    c.cfws();
    if c.peek().is_some_and(|b| b.is_ascii_digit()) {
        let digits = c.take_while(|b| b.is_ascii_digit());
        out.version = digits.parse().ok();
        c.cfws();
    }
    loop {
        // Anything before the next top-level ';' is not a resinfo: skip it.
        if !c.at(b';') {
            if c.peek().is_none() {
                break;
            }
            out.skipped += 1;
            c.skip_to_semicolon();
            continue;
        }
        c.i += 1;
        c.cfws();
        if c.peek().is_none() {
            break; // a trailing ';' (SES writes one)
        }
        match c.resinfo() {
            Some(r) if r.method == "none" && r.result.is_empty() => {}
            Some(r) => out.results.push(r),
            None => {
                out.skipped += 1;
                c.skip_to_semicolon();
            }
        }
    }
    Ok(out)
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

/// RFC 2045 tspecials, plus SP and CTLs: what ends a token.
fn is_tspecial(b: u8) -> bool {
    matches!(
        b,
        b'(' | b')'
            | b'<'
            | b'>'
            | b'@'
            | b','
            | b';'
            | b':'
            | b'\\'
            | b'"'
            | b'/'
            | b'['
            | b']'
            | b'?'
            | b'='
    ) || b <= b' '
        || b == 0x7f
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn at(&self, b: u8) -> bool {
        self.peek() == Some(b)
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> String {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
    }

    /// `[CFWS]`: folding white space and (nested) comments. An unterminated comment runs to
    /// the end of the field.
    fn cfws(&mut self) {
        loop {
            match self.peek() {
                Some(b' ' | b'\t' | b'\r' | b'\n') => self.i += 1,
                Some(b'(') => self.comment(),
                _ => return,
            }
        }
    }

    fn comment(&mut self) {
        let mut depth = 0usize;
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'\\' => self.i += 1, // quoted-pair
                b'(' => depth += 1,
                b')' => {
                    depth -= 1;
                    if depth == 0 {
                        return;
                    }
                }
                _ => {}
            }
        }
        self.i = self.s.len();
    }

    /// A quoted-string (cursor on `"`): its content, quoted-pairs resolved. Unterminated: runs
    /// to the end of the field.
    fn quoted(&mut self) -> String {
        self.i += 1;
        let mut out = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => return String::from_utf8_lossy(&out).into_owned(),
                b'\\' => {
                    if let Some(n) = self.peek() {
                        out.push(n);
                        self.i += 1;
                    }
                }
                b'\r' | b'\n' => {}
                b => out.push(b),
            }
        }
        self.i = self.s.len();
        String::from_utf8_lossy(&out).into_owned()
    }

    /// `value = token / quoted-string` (RFC 2045 §5.1).
    fn value(&mut self) -> Option<String> {
        match self.peek()? {
            b'"' => Some(self.quoted()),
            b if !is_tspecial(b) => Some(self.take_while(|b| !is_tspecial(b))),
            _ => None,
        }
    }

    /// `Keyword`: letters, digits, hyphens (RFC 8601 §2.2, Ldh-str of RFC 5321).
    fn keyword(&mut self) -> Option<String> {
        if !self.peek()?.is_ascii_alphanumeric() {
            return None;
        }
        Some(
            self.take_while(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                .to_ascii_lowercase(),
        )
    }

    /// Skip to the next top-level `;` (or the end), honouring quotes and comments.
    fn skip_to_semicolon(&mut self) {
        while let Some(b) = self.peek() {
            match b {
                b';' => return,
                b'"' => {
                    self.quoted();
                }
                b'(' => self.comment(),
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
    }

    /// A `methodspec` and what follows, up to the next top-level `;` (cursor after `;` and CFWS).
    fn resinfo(&mut self) -> Option<ResInfo> {
        let method = self.keyword()?;
        self.cfws();
        if self.at(b'/') {
            self.i += 1;
            self.cfws();
            self.take_while(|b| b.is_ascii_digit());
            self.cfws();
        }
        if !self.at(b'=') {
            // RFC 8601 §2.2 no-result: "none" alone.
            return (method == "none" && (self.at(b';') || self.peek().is_none())).then(|| {
                ResInfo {
                    method,
                    result: String::new(),
                    reason: None,
                    properties: Vec::new(),
                }
            });
        }
        self.i += 1;
        self.cfws();
        let result = self.keyword()?;
        // The result must end here: `prvs=…` or `"x;…"@evil` is not a result keyword.
        if !matches!(
            self.peek(),
            None | Some(b' ' | b'\t' | b'\r' | b'\n' | b'(' | b';')
        ) {
            return None;
        }
        let mut r = ResInfo {
            method,
            result,
            reason: None,
            properties: Vec::new(),
        };
        loop {
            self.cfws();
            match self.peek() {
                None | Some(b';') => return Some(r),
                _ => {}
            }
            let start = self.i;
            if let Some((ptype, property, value)) = self.propspec() {
                if ptype == "reason" && property.is_empty() {
                    r.reason = Some(value);
                } else if !property.is_empty() {
                    r.properties.push(Property {
                        ptype,
                        property,
                        value,
                    });
                }
            } else {
                // Not `ptype.property=pvalue` (SES's `client-ip=…`): skip one opaque word.
                self.i = start;
                self.opaque_word();
            }
        }
    }

    /// `ptype "." property "=" pvalue`, or `reason "=" value` (property empty).
    fn propspec(&mut self) -> Option<(String, String, String)> {
        let ptype = self.keyword()?;
        self.cfws();
        if ptype == "reason" && self.at(b'=') {
            self.i += 1;
            self.cfws();
            return Some((ptype, String::new(), self.value()?));
        }
        if !self.at(b'.') {
            return None;
        }
        self.i += 1;
        self.cfws();
        let property = self.keyword()?;
        self.cfws();
        if !self.at(b'=') {
            return None;
        }
        self.i += 1;
        self.cfws();
        let value = self.pvalue();
        Some((ptype, property, value))
    }

    /// `pvalue`: a quoted string, or a run of word characters, optionally followed by
    /// `@domain` (a quoted local-part). Stops at white space, `(`, `;` or the end.
    fn pvalue(&mut self) -> String {
        let mut out = String::new();
        while let Some(b) = self.peek() {
            match b {
                b'"' => out.push_str(&self.quoted()),
                b' ' | b'\t' | b'\r' | b'\n' | b'(' | b';' | b')' => break,
                _ => {
                    let start = self.i;
                    while self.peek().is_some_and(|b| {
                        !matches!(b, b'"' | b' ' | b'\t' | b'\r' | b'\n' | b'(' | b';' | b')')
                    }) {
                        self.i += 1;
                    }
                    out.push_str(&String::from_utf8_lossy(&self.s[start..self.i]));
                }
            }
        }
        out
    }

    /// Skip one white-space-delimited word, quoted strings and comments inside it included.
    fn opaque_word(&mut self) {
        let start = self.i;
        while let Some(b) = self.peek() {
            match b {
                b'"' => {
                    self.quoted();
                }
                b' ' | b'\t' | b'\r' | b'\n' | b'(' | b';' => break,
                b'\\' => self.i += 2,
                _ => self.i += 1,
            }
        }
        if self.i == start {
            self.i += 1; // a stray ')': never loop on it
        }
        self.i = self.i.min(self.s.len());
    }
}
