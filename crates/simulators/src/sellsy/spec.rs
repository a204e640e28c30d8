//! Sellsy's official OpenAPI 3.0.2 document (v2.264.0, vendored in `crates/sellsy/spec/`) and the
//! strict checker the simulator runs on every exchange ([`crate::openapi`]).
//!
//! Documented deviation from the raw document: error bodies of statuses an operation does not
//! declare are checked against [`error_body_schema`].

use std::sync::OnceLock;

use serde_json::{Value, json};

pub use crate::openapi::{Operation, Spec, pointer};

/// The vendored spec, byte-for-byte (see `crates/sellsy/spec/README.md`).
pub const SPEC_YAML: &str = include_str!("../../../sellsy/spec/sellsy-v2-openapi.yaml");

/// Sellsy's error envelope (spec `info.description` and `components.schemas.Error`); most
/// operations do not declare their 4xx responses, so error bodies are checked against this.
const ERROR_ENVELOPE_REF: &str = "#/components/schemas/Error";

/// The shared strict instance (parsing 2 MB of YAML once per process).
pub fn spec() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| {
        Spec::parse(SPEC_YAML, true)
            .expect("vendored Sellsy spec parses")
            .with_error_schema(error_body_schema())
    })
}

/// `components.schemas.Error` (`{"error":{code,message,details,context}}`), the envelope of
/// every Sellsy error (spec `info.description`, research §3.7). `error`, its `code` and
/// `message` are required here although the spec only states it in prose.
pub fn error_body_schema() -> Value {
    json!({ "allOf": [
        { "$ref": ERROR_ENVELOPE_REF },
        { "required": ["error"], "properties": { "error": { "required": ["code", "message"] } } }
    ]})
}
