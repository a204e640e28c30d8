//! Each simulator checked against its spec, one test binary: the Sellsy simulator against
//! Sellsy's official OpenAPI document, the Pennylane mock against the vendored extract of the
//! official spec, the Chift mock against Chift's official OpenAPI 3.1 document, the Inqom mock
//! against the documented facts listed in its module docs.

mod chift;
mod inqom;
mod pennylane;
mod sellsy;
