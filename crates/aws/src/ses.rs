//! Notices by mail through SES v2 (`SendEmail`, simple content, text only).

use app::ports::{Notifier, NotifyError};
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};

use crate::error::describe;

/// [`Notifier`] over SES v2, from one verified identity.
#[derive(Debug, Clone)]
pub struct SesNotifier {
    client: Client,
    from: String,
    configuration_set: Option<String>,
}

impl SesNotifier {
    /// `from` must be an SES identity verified in the account (an address or its domain).
    pub fn new(client: Client, from: impl Into<String>) -> SesNotifier {
        SesNotifier {
            client,
            from: from.into(),
            configuration_set: None,
        }
    }

    /// Attaches an SES configuration set (bounce and complaint events) to every notice.
    pub fn with_configuration_set(mut self, name: impl Into<String>) -> SesNotifier {
        self.configuration_set = Some(name.into());
        self
    }

    pub fn from_address(&self) -> &str {
        &self.from
    }
}

fn utf8(text: &str) -> Result<Content, NotifyError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| NotifyError(format!("SES content: {e}")))
}

impl Notifier for SesNotifier {
    async fn send(&self, to: &str, subject: &str, text: &str) -> Result<(), NotifyError> {
        let to = to.trim();
        if to.is_empty() || to.contains(['\r', '\n', ',', ';']) || !to.contains('@') {
            return Err(NotifyError(format!(
                "'{to}' is not one mail address; a notice goes to exactly one recipient"
            )));
        }
        // SES encodes the subject itself; a line break would still end up in a header.
        let subject = subject.replace(['\r', '\n'], " ");
        let message = Message::builder()
            .subject(utf8(&subject)?)
            .body(Body::builder().text(utf8(text)?).build())
            .build();
        self.client
            .send_email()
            .from_email_address(&self.from)
            .destination(Destination::builder().to_addresses(to).build())
            .content(EmailContent::builder().simple(message).build())
            .set_configuration_set_name(self.configuration_set.clone())
            .send()
            .await
            .map_err(|err| NotifyError(format!("{} to {to}", describe("SES SendEmail", &err))))?;
        tracing::info!(to, from = %self.from, "notice sent");
        Ok(())
    }
}
