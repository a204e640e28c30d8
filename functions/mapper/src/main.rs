//! mapper: SQS map queue → entries and PDFs (partial batch failures). See `lambda_handlers`.

use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use lambda_handlers::cloud::Needs;
use lambda_handlers::{Cloud, steps};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_handlers::init_tracing();
    // Built once per sandbox, shared by every invocation.
    let cloud: &'static Cloud = Box::leak(Box::new(
        Cloud::from_env(Needs {
            sources: true,
            ..Needs::NOTHING
        })
        .await?,
    ));
    lambda_runtime::run(service_fn(|event: LambdaEvent<SqsEvent>| async move {
        Ok::<SqsBatchResponse, Error>(steps::map_batch(cloud, &event.payload).await)
    }))
    .await
}
