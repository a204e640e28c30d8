//! Notices and reports sent by mail (SES in the cloud). Never to an unauthenticated sender.

use std::future::Future;

#[derive(Debug, thiserror::Error)]
#[error("notice not sent: {0}")]
pub struct NotifyError(pub String);

pub trait Notifier: Send + Sync {
    fn send(
        &self,
        to: &str,
        subject: &str,
        text: &str,
    ) -> impl Future<Output = Result<(), NotifyError>> + Send;
}
