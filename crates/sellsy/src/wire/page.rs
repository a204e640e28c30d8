//! The envelope of every list answer (spec `Pagination` and the `{pagination, data}` shape).

use serde::Deserialize;
use serde_json::Value;

use super::lenient;

/// Spec `Pagination`: `limit`, `total`, `count` (integers ≥ 0) and `offset` (an integer in
/// numeric mode, an opaque string cursor in seek mode) are all required; read leniently, a
/// value that cannot be read is unknown and paging falls back on the other signals.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Pagination {
    #[serde(default, deserialize_with = "lenient::de_count")]
    pub limit: Option<u64>,
    #[serde(default, deserialize_with = "lenient::de_count")]
    pub count: Option<u64>,
    #[serde(default, deserialize_with = "lenient::de_count")]
    pub total: Option<u64>,
    #[serde(default)]
    pub offset: Option<Value>,
}

/// A list answer `{pagination, data}` (both required by every list schema read here).
#[derive(Debug, Clone, Deserialize)]
pub struct Page<T> {
    #[serde(default)]
    pub pagination: Pagination,
    pub data: Vec<T>,
}
