//! Typed errors of the connector. Messages carry Sellsy's own message (often French) and the
//! HTTP status, never a credential.

use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum SellsyError {
    /// The token endpoint refused the client credentials, or a renewed token was refused too.
    #[error("Sellsy authentication failed (HTTP {status}): {message}")]
    Auth { status: u16, message: String },
    /// 402: a plan or feature limit (research §3.7).
    #[error("Sellsy plan limit reached (HTTP 402){}: {message}", limit.as_ref().map(|l| format!(" [{l}]")).unwrap_or_default())]
    PlanLimit {
        message: String,
        /// The limit Sellsy names (error `context` or a `details` entry), when it does.
        limit: Option<String>,
    },
    /// 403: the API client lacks a scope or the staff member lacks a privilege.
    #[error("Sellsy refused access (HTTP 403), scope {scope} required: {message}")]
    Forbidden {
        message: String,
        /// The scope the refused call needs.
        scope: String,
    },
    /// Any other refusal (400 with a validation message, 404, 409, ...).
    #[error("Sellsy rejected {what} (HTTP {status}): {message}")]
    Api {
        status: u16,
        what: String,
        message: String,
        context: Option<String>,
        details: BTreeMap<String, String>,
    },
    /// 429, 5xx or timeouts that outlasted the retry budget.
    #[error("Sellsy unavailable for {what} after {attempts} attempts (last: {last})")]
    Exhausted {
        what: String,
        attempts: u32,
        status: Option<u16>,
        last: String,
    },
    /// A response that does not follow the spec (or not JSON where JSON is due).
    #[error("unexpected Sellsy response for {what}: {reason}")]
    Decode { what: String, reason: String },
    /// A downloaded "PDF" that is not one.
    #[error("document {what}: the downloaded file is not a PDF ({reason})")]
    NotPdf { what: String, reason: String },
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl SellsyError {
    /// The HTTP status behind the error, when there is one.
    pub fn status(&self) -> Option<u16> {
        match self {
            SellsyError::Auth { status, .. } | SellsyError::Api { status, .. } => Some(*status),
            SellsyError::PlanLimit { .. } => Some(402),
            SellsyError::Forbidden { .. } => Some(403),
            SellsyError::Exhausted { status, .. } => *status,
            _ => None,
        }
    }

    /// Sellsy's own message, when the error came from Sellsy.
    pub fn sellsy_message(&self) -> Option<&str> {
        match self {
            SellsyError::Auth { message, .. }
            | SellsyError::PlanLimit { message, .. }
            | SellsyError::Forbidden { message, .. }
            | SellsyError::Api { message, .. } => Some(message),
            _ => None,
        }
    }

    pub fn is_transient(&self) -> bool {
        matches!(self, SellsyError::Exhausted { .. })
    }
}

impl From<SellsyError> for app::ports::SourceError {
    fn from(e: SellsyError) -> Self {
        use app::ports::SourceError as S;
        let message = e.to_string();
        match e {
            SellsyError::Auth { status, .. } => S::Auth { status, message },
            SellsyError::PlanLimit { limit, .. } => S::Rejected {
                status: 402,
                message,
                detail: limit,
            },
            SellsyError::Forbidden { scope, .. } => S::Rejected {
                status: 403,
                message,
                detail: Some(scope),
            },
            SellsyError::Api { status, .. } => S::Rejected {
                status,
                message,
                detail: None,
            },
            SellsyError::Exhausted { attempts, .. } => S::Unavailable { attempts, message },
            SellsyError::Decode { .. } | SellsyError::Config(_) => S::Protocol(message),
            SellsyError::NotPdf { .. } => S::InvalidFile(message),
        }
    }
}
