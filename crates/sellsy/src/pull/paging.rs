//! Walking a Sellsy list (spec "Pagination on list and search requests"): `limit=100`, and
//! the `pagination.offset` of each answer passed back unchanged (seek mode, the default: an
//! opaque string naming the last item), or, if Sellsy answers with an integer offset (numeric
//! mode), the number of items received so far.
//!
//! Paging goes on while `pagination.total` says items are still to come, whatever the size of
//! the page: a short page is not the end. It stops, with a warning, when a page brings nothing
//! new or the cursor does not move (so an answer that keeps saying "more" cannot loop forever).

use std::collections::HashSet;

use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::client::{Call, SellsyClient};
use crate::error::SellsyError;
use crate::wire;

/// research §2.1: maximum page size.
pub(crate) const PAGE: usize = 100;
/// Numeric paging is capped at 100 000 results (spec); seek paging has no stated cap. This
/// bounds a listing that never ends (2 000 pages of 100).
const MAX_PAGES: usize = 2_000;

/// How a listing ended.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Why the listing stopped before `pagination.total` items, when it did.
    pub incomplete: Option<String>,
}

/// The identity of a list item, to notice a page that repeats an earlier one: its id and its
/// content. Two different items under one id (a broken answer, or an item changed between two
/// pages) are both given to the caller, which decides (documents are read once by id); dropping
/// the second would lose what it names without a trace.
fn identity(item: &Value) -> String {
    let digest = hex::encode(&Sha256::digest(item.to_string().as_bytes())[..12]);
    match item.get("id") {
        Some(id @ (Value::Number(_) | Value::String(_))) => format!("id:{id}:{digest}"),
        _ => format!("item:{digest}"),
    }
}

impl SellsyClient {
    /// Walks a list, giving each item (raw: decoding is the caller's, item by item) to
    /// `visit`; `visit` returning `false` ends the listing after the current page.
    pub(crate) async fn paginate(
        &self,
        call: Call,
        mut visit: impl FnMut(Value) -> bool,
    ) -> Result<Listing, SellsyError> {
        let what = format!("{} {}", call.method, call.path);
        let mut offset: Option<Value> = None;
        let mut seen: HashSet<String> = HashSet::new();
        let mut received: u64 = 0;
        for _ in 0..MAX_PAGES {
            let mut c = call.clone().q("limit", PAGE);
            match &offset {
                Some(Value::String(s)) => c = c.q("offset", s),
                Some(Value::Number(n)) => c = c.q("offset", n),
                _ => {}
            }
            let answer = self.call(c).await?;
            let Some(data) = answer.get("data").and_then(Value::as_array) else {
                return Err(SellsyError::Decode {
                    what,
                    reason: "the list answer has no data array".into(),
                });
            };
            let pagination: wire::Pagination = answer
                .get("pagination")
                .and_then(|p| serde_json::from_value(p.clone()).ok())
                .unwrap_or_default();
            let n = data.len() as u64;
            received += n;
            let mut fresh = 0u64;
            let mut go_on = true;
            for item in data {
                if seen.insert(identity(item)) {
                    fresh += 1;
                    go_on &= visit(item.clone());
                }
            }
            if !go_on {
                return Ok(Listing::default());
            }
            let read = seen.len() as u64;
            let more = match pagination.total {
                Some(total) => read < total,
                // No readable total: a full page means there may be more.
                None => n > 0 && n >= pagination.limit.unwrap_or(PAGE as u64).max(1),
            };
            if !more {
                return Ok(Listing::default());
            }
            let total = pagination
                .total
                .map(|t| t.to_string())
                .unwrap_or_else(|| "?".into());
            let stalled = |why: &str| Listing {
                incomplete: Some(format!(
                    "{what}: the listing stopped after {read} of {total} items: {why}"
                )),
            };
            if fresh == 0 {
                return Ok(stalled("a page brought nothing new"));
            }
            offset = match pagination.offset {
                Some(Value::String(s)) if s.is_empty() => {
                    return Ok(stalled("Sellsy sent an empty cursor"));
                }
                Some(Value::String(s)) => {
                    if offset.as_ref().and_then(Value::as_str) == Some(s.as_str()) {
                        return Ok(stalled("the cursor did not move"));
                    }
                    Some(Value::String(s))
                }
                // Numeric mode: the next offset is the number of items received so far.
                Some(Value::Number(_)) => Some(Value::from(received)),
                _ => return Ok(stalled("Sellsy sent no cursor")),
            };
        }
        Ok(Listing {
            incomplete: Some(format!("{what}: stopped after {MAX_PAGES} pages")),
        })
    }
}
