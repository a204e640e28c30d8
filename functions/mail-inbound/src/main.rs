//! mail-inbound: SES receipt rule (S3 action, then this Lambda action) → intake. See
//! `lambda_handlers`.

use aws_lambda_events::event::ses::SimpleEmailEvent;
use lambda_handlers::cloud::Needs;
use lambda_handlers::{Cloud, inbound};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_handlers::init_tracing();
    // Built once per sandbox, shared by every invocation.
    let cloud: &'static Cloud = Box::leak(Box::new(Cloud::from_env(Needs::NOTHING).await?));
    let prefix: &'static str = Box::leak(inbound::inbound_prefix().into_boxed_str());
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<SimpleEmailEvent>| async move {
            let reports = inbound::handle(cloud, &event.payload, prefix).await?;
            Ok::<usize, Error>(reports.iter().map(|r| r.queued).sum())
        },
    ))
    .await
}
