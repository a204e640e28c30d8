//! Sellsy's list envelope and seek pagination with opaque cursors.

use serde_json::{Value, json};

use crate::sellsy::envelope::sellsy_error;

pub(super) fn qget<'a>(q: &'a [(String, String)], name: &str) -> Option<&'a str> {
    q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

pub(super) fn qall(q: &[(String, String)], name: &str) -> Vec<String> {
    let key = format!("{name}[]");
    q.iter()
        .filter(|(k, _)| *k == key)
        .map(|(_, v)| v.clone())
        .collect()
}

pub(super) fn limit(q: &[(String, String)]) -> usize {
    qget(q, "limit").and_then(|l| l.parse().ok()).unwrap_or(25)
}

pub(super) fn page(items: Vec<Value>, total: usize, limit: usize, cursor: Option<String>) -> Value {
    let count = items.len();
    json!({
        "pagination": { "limit": limit, "count": count, "total": total.max(count), "offset": cursor.map(Value::from).unwrap_or(json!(0)) },
        "data": items
    })
}

/// Seek pagination by id for small reference lists.
pub(super) fn paged_ids(items: Vec<Value>, q: &[(String, String)]) -> (u16, Value) {
    let keyed: Vec<(String, u64, Value)> = items
        .into_iter()
        .map(|v| {
            (
                format!("{:020}", v["id"].as_u64().unwrap_or(0)),
                v["id"].as_u64().unwrap_or(0),
                v,
            )
        })
        .collect();
    seek(keyed, q, false)
}

/// Opaque seek cursor: base64 of `["<sort key>", id]`, like Sellsy's `WyIxMSJd`.
pub(super) fn seek(
    mut keyed: Vec<(String, u64, Value)>,
    q: &[(String, String)],
    desc: bool,
) -> (u16, Value) {
    keyed.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    if desc {
        keyed.reverse();
    }
    let total = keyed.len();
    let limit = limit(q);
    let start = match qget(q, "offset") {
        None => 0,
        Some(o) if o.chars().all(|c| c.is_ascii_digit()) => o.parse().unwrap_or(0),
        Some(o) => {
            let Some((k, id)) = decode_cursor(o) else {
                return (
                    400,
                    sellsy_error(
                        400,
                        "Le paramètre offset est invalide",
                        Some("invalid_offset"),
                        json!({ "offset": "invalide" }),
                    ),
                );
            };
            keyed
                .iter()
                .position(|(kk, ii, _)| {
                    let ord = (kk.as_str(), *ii).cmp(&(k.as_str(), id));
                    if desc {
                        ord == std::cmp::Ordering::Less
                    } else {
                        ord == std::cmp::Ordering::Greater
                    }
                })
                .unwrap_or(total)
        }
    };
    let slice: Vec<(String, u64, Value)> = keyed.into_iter().skip(start).take(limit).collect();
    let cursor = slice
        .last()
        .map(|(k, id, _)| encode_cursor(k, *id))
        .or_else(|| qget(q, "offset").map(str::to_string));
    let items = slice.into_iter().map(|(_, _, v)| v).collect();
    (
        200,
        page(
            items,
            total,
            limit,
            Some(cursor.unwrap_or_else(|| encode_cursor("", 0))),
        ),
    )
}

const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn encode_cursor(key: &str, id: u64) -> String {
    let raw = serde_json::to_vec(&json!([key, id])).unwrap();
    let mut out = String::new();
    for chunk in raw.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode_cursor(s: &str) -> Option<(String, u64)> {
    let mut bits = 0u32;
    let mut n = 0;
    let mut raw = Vec::new();
    for c in s.bytes().filter(|c| *c != b'=') {
        let v = B64.iter().position(|x| *x == c)? as u32;
        bits = bits << 6 | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            raw.push((bits >> n & 0xff) as u8);
        }
    }
    let v: Value = serde_json::from_slice(&raw).ok()?;
    Some((v[0].as_str()?.to_string(), v[1].as_u64()?))
}
