//! What went wrong with an AWS call, in the terms the ports care about: retry later (throttled,
//! server error, timeout, network) or not (the request was rejected).

use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

/// The kind of failure of an SDK call, after the SDK's own retries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The service throttled us (429, `ThrottlingException`, `ProvisionedThroughputExceeded`,
    /// S3 `SlowDown`...).
    Throttled,
    /// A 5xx, an internal error code, or a response that could not be read.
    ServerError,
    /// The attempt or the whole operation ran out of time.
    Timeout,
    /// The service could not be reached (DNS, connection refused, TLS).
    Network,
    /// The service refused the request (4xx: access denied, validation, missing resource...):
    /// retrying the same request will not help.
    Rejected,
}

impl ErrorClass {
    /// Whether the same request may succeed later.
    pub fn is_transient(self) -> bool {
        !matches!(self, ErrorClass::Rejected)
    }

    fn label(self) -> &'static str {
        match self {
            ErrorClass::Throttled => "throttled, retry later",
            ErrorClass::ServerError => "service error, retry later",
            ErrorClass::Timeout => "timed out, retry later",
            ErrorClass::Network => "service unreachable, retry later",
            ErrorClass::Rejected => "request rejected",
        }
    }
}

/// Error codes AWS services use for throttling (the SDK's retry classifier uses the same list).
const THROTTLING_CODES: &[&str] = &[
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "BandwidthLimitExceeded",
    "LimitExceededException",
    "RequestThrottled",
    "SlowDown",
    "PriorRequestNotComplete",
];

/// Error codes of transient server-side failures that may come with a 4xx status.
const TRANSIENT_CODES: &[&str] = &[
    "RequestTimeout",
    "RequestTimeoutException",
    "InternalError",
    "InternalServerError",
    "InternalFailure",
    "ServiceUnavailable",
    "TransactionConflictException",
];

/// Classifies any SDK error (every `aws-sdk-*` crate shares these types).
pub fn classify<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> ErrorClass {
    match err {
        SdkError::TimeoutError(_) => ErrorClass::Timeout,
        SdkError::DispatchFailure(failure) => match failure.as_connector_error() {
            Some(c) if c.is_timeout() => ErrorClass::Timeout,
            _ => ErrorClass::Network,
        },
        SdkError::ResponseError(_) => ErrorClass::ServerError,
        SdkError::ConstructionFailure(_) => ErrorClass::Rejected,
        SdkError::ServiceError(service) => {
            let status = service.raw().status().as_u16();
            let code = service.err().code().unwrap_or_default();
            if status == 429 || THROTTLING_CODES.contains(&code) {
                ErrorClass::Throttled
            } else if status >= 500 || TRANSIENT_CODES.contains(&code) {
                ErrorClass::ServerError
            } else {
                ErrorClass::Rejected
            }
        }
        _ => ErrorClass::ServerError,
    }
}

/// One line for an error: the operation, the class, and the service's code and message (or the
/// transport error chain). It never contains request content, so no secret can leak through it.
pub(crate) fn describe<E>(operation: &str, err: &SdkError<E, HttpResponse>) -> String
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let class = classify(err);
    match err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            format!(
                "{operation}: {} ({}, HTTP {}: {})",
                class.label(),
                e.code().unwrap_or("no error code"),
                service.raw().status().as_u16(),
                e.message().unwrap_or("no message"),
            )
        }
        _ => format!(
            "{operation}: {} ({})",
            class.label(),
            DisplayErrorContext(err)
        ),
    }
}

/// The service error code, if the service answered with one.
pub(crate) fn code<E: ProvideErrorMetadata>(err: &SdkError<E, HttpResponse>) -> Option<&str> {
    match err {
        SdkError::ServiceError(service) => service.err().code(),
        _ => None,
    }
}

/// The HTTP status of the service's answer, if it answered.
pub(crate) fn status<E>(err: &SdkError<E, HttpResponse>) -> Option<u16> {
    err.raw_response().map(|r| r.status().as_u16())
}
