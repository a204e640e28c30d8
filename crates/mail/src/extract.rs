//! Walk every MIME part ourselves (mail-parser's `attachments()` files a named inline text part
//! as body) and decide for each leaf: skipped (body, signature, invite, inline logo…) or a
//! candidate file with its decoded bytes.

use std::collections::HashSet;

use mail_parser::{Message, MessagePart, MimeHeaders, PartType};

use crate::limits::MAX_NESTING;
use crate::reason::{ReasonCode, Rejection, SkipReason};

/// What the walk found for one part.
pub(crate) enum Found<'a> {
    Skipped(SkipReason),
    Rejected(Rejection),
    Candidate {
        name: Option<String>,
        bytes: std::borrow::Cow<'a, [u8]>,
        tnef: bool,
    },
}

pub(crate) struct WalkedPart<'a> {
    /// Part ids from the top message down, joined by '/' (nested messages add a level).
    pub path: String,
    pub content_type: String,
    /// Decoded name (disposition filename or Content-Type name), if any.
    pub name: Option<String>,
    pub found: Found<'a>,
}

/// Bound on the number of parts visited (mail-parser parts are heap-allocated; this caps our
/// own work on pathological messages).
const MAX_PARTS_VISITED: usize = 10_000;

fn content_type_of(part: &MessagePart<'_>) -> (String, String) {
    match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or_default().to_ascii_lowercase(),
        ),
        None => ("text".into(), "plain".into()),
    }
}

/// Content-IDs referenced as `cid:` from the HTML parts of `msg`.
fn referenced_cids(msg: &Message<'_>) -> HashSet<String> {
    let mut cids = HashSet::new();
    for part in &msg.parts {
        if let PartType::Html(html) = &part.body {
            let lower = html.to_ascii_lowercase();
            let mut rest = lower.as_str();
            while let Some(i) = rest.find("cid:") {
                rest = &rest[i + 4..];
                let end = rest
                    .find(|c: char| {
                        c == '"' || c == '\'' || c == '>' || c == ')' || c.is_whitespace()
                    })
                    .unwrap_or(rest.len());
                cids.insert(rest[..end].to_string());
            }
        }
    }
    cids
}

/// The transfer encoding the part's header declares. mail-parser resets `part.encoding` to
/// none when it could not decode (a missing closing boundary), so it is read again here.
fn declared_encoding(part: &MessagePart<'_>) -> mail_parser::Encoding {
    match part.content_transfer_encoding().map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("base64") => mail_parser::Encoding::Base64,
        Some(t) if t.eq_ignore_ascii_case("quoted-printable") => {
            mail_parser::Encoding::QuotedPrintable
        }
        _ => mail_parser::Encoding::None,
    }
}

/// Bytes of a part as sent (transfer-decoded, not charset-converted), so that a Windows-1252
/// CSV keeps its bytes and its SHA-256.
///
/// mail-parser 0.11.9 decodes a base64 or quoted-printable part only up to its boundary; when
/// the message ends without the closing boundary (`--b--`, a common mailer bug) it marks the
/// last part `is_encoding_problem` and keeps it undecoded, as text. Other readers (Python's
/// `email`, Thunderbird) decode it to the end of the message; so do we, from its raw bytes.
fn raw_part_bytes<'a>(
    msg: &'a Message<'_>,
    part: &'a MessagePart<'_>,
) -> std::borrow::Cow<'a, [u8]> {
    let raw = msg.raw_message();
    let slice = raw.get(part.offset_body as usize..part.offset_end as usize);
    let encoding = if part.is_encoding_problem {
        declared_encoding(part)
    } else {
        part.encoding
    };
    let decoded = match (slice, encoding) {
        (None, _) => None,
        (Some(s), mail_parser::Encoding::Base64) => {
            // Trailing white space or a lone "--" line left by the broken ending is not data.
            let s = s.trim_ascii_end();
            let s = s.strip_suffix(b"--").unwrap_or(s);
            mail_parser::decoders::base64::base64_decode(s).map(std::borrow::Cow::Owned)
        }
        (Some(s), mail_parser::Encoding::QuotedPrintable) => {
            mail_parser::decoders::quoted_printable::quoted_printable_decode(s)
                .map(std::borrow::Cow::Owned)
        }
        (Some(_), _) if part.is_encoding_problem => None,
        (Some(s), mail_parser::Encoding::None) => Some(std::borrow::Cow::Borrowed(s)),
    };
    decoded.unwrap_or_else(|| std::borrow::Cow::Borrowed(part.contents()))
}

/// What a part is by its declared type alone (signatures, invites, reports, encrypted or
/// external bodies), if that decides it.
fn by_type<'a>(content_type: &str) -> Option<Found<'a>> {
    Some(match content_type {
        "text/calendar" | "application/ics" => Found::Skipped(SkipReason::CalendarInvite),
        "application/pkcs7-signature"
        | "application/x-pkcs7-signature"
        | "application/pgp-signature" => Found::Skipped(SkipReason::Signature),
        "message/delivery-status"
        | "message/disposition-notification"
        | "message/feedback-report"
        | "text/rfc822-headers"
        | "message/global-delivery-status" => Found::Skipped(SkipReason::DeliveryReport),
        "application/pkcs7-mime" | "application/x-pkcs7-mime" | "application/pgp-encrypted" => {
            Found::Rejected(Rejection::new(
                ReasonCode::EncryptedMail,
                "The message (or a part of it) is encrypted (S/MIME or PGP) and cannot be read.",
                "Ask the sender to send the documents without mail encryption.",
            ))
        }
        "message/external-body" => Found::Rejected(Rejection::new(
            ReasonCode::UnsupportedFormat,
            "A part only points to a file stored elsewhere (message/external-body); the file itself was not sent.",
            "Ask the sender to attach the document itself.",
        )),
        _ => return None,
    })
}

/// Walk `msg` depth-first in document order.
pub(crate) fn walk<'a>(msg: &'a Message<'a>) -> Vec<WalkedPart<'a>> {
    let mut out = Vec::new();
    // (message, part id, nesting depth, path prefix)
    let mut stack: Vec<(&'a Message<'a>, u32, usize, String)> = vec![(msg, 0, 0, String::new())];
    let mut visited: HashSet<(usize, u32)> = HashSet::new();
    let mut cid_cache: Vec<(usize, HashSet<String>)> = Vec::new();
    let mut steps = 0usize;

    while let Some((m, id, depth, prefix)) = stack.pop() {
        steps += 1;
        if steps > MAX_PARTS_VISITED {
            break;
        }
        let key = (m as *const Message<'_> as usize, id);
        if !visited.insert(key) {
            continue;
        }
        let Some(part) = m.parts.get(id as usize) else {
            continue;
        };
        let path = if prefix.is_empty() {
            id.to_string()
        } else {
            format!("{prefix}/{id}")
        };
        let (ctype, subtype) = content_type_of(part);
        let content_type = format!("{ctype}/{subtype}");
        let name = part.attachment_name().map(str::to_string);

        let mut typed = by_type(&content_type);
        let found = match &part.body {
            PartType::Multipart(children) => {
                for &child in children.iter().rev() {
                    stack.push((m, child, depth, prefix.clone()));
                }
                continue;
            }
            PartType::Message(nested) => {
                if depth + 1 > MAX_NESTING {
                    Found::Rejected(Rejection::new(
                        ReasonCode::NestedTooDeep,
                        format!(
                            "A forwarded message is nested more than {MAX_NESTING} levels deep; its attachments were not read."
                        ),
                        "Ask the sender to forward the documents themselves, not a chain of forwarded mails.",
                    ))
                } else {
                    stack.push((nested, 0, depth + 1, path.clone()));
                    Found::Skipped(SkipReason::ForwardedMessage)
                }
            }
            _ if typed.is_some() => typed
                .take()
                .unwrap_or(Found::Skipped(SkipReason::MessageBody)),
            _ if ctype == "multipart" && name.is_none() => Found::Rejected(Rejection::new(
                ReasonCode::MalformedPart,
                format!(
                    "A {content_type} section of the message is damaged (its boundary is missing) and could not be split into files."
                ),
                "Ask the sender to resend the documents as ordinary attachments.",
            )),
            PartType::Text(_) | PartType::Html(_) => {
                let is_attachment = part
                    .content_disposition()
                    .is_some_and(|d| d.is_attachment());
                // A non-text part that mail-parser could not decode came back as text.
                let undecoded_file = part.is_encoding_problem && ctype != "text";
                if name.is_none() && !is_attachment && !undecoded_file {
                    Found::Skipped(SkipReason::MessageBody)
                } else {
                    Found::Candidate {
                        name: name.clone(),
                        bytes: raw_part_bytes(m, part),
                        tnef: false,
                    }
                }
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
                let inline = matches!(part.body, PartType::InlineBinary(_));
                let is_image = ctype == "image";
                let cid_referenced = part.content_id().is_some_and(|cid| {
                    let cid = cid
                        .trim_matches(|c| c == '<' || c == '>')
                        .to_ascii_lowercase();
                    let mkey = key.0;
                    let set = match cid_cache.iter().position(|(k, _)| *k == mkey) {
                        Some(i) => &cid_cache[i].1,
                        None => {
                            cid_cache.push((mkey, referenced_cids(m)));
                            &cid_cache[cid_cache.len() - 1].1
                        }
                    };
                    set.contains(&cid)
                });
                let tnef = content_type == "application/ms-tnef"
                    || content_type == "application/vnd.ms-tnef"
                    || name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case("winmail.dat"));
                if is_image && (cid_referenced || (inline && name.is_none())) {
                    Found::Skipped(SkipReason::InlineImage)
                } else {
                    Found::Candidate {
                        name: name.clone(),
                        bytes: std::borrow::Cow::Borrowed(bytes.as_ref()),
                        tnef,
                    }
                }
            }
        };
        out.push(WalkedPart {
            path,
            content_type,
            name,
            found,
        });
    }
    out
}
