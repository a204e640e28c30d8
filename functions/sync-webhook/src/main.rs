//! sync-webhook: the Function URL (POST /sync, GET /runs/{id}, POST /sellsy/{dossier}). See
//! `lambda_handlers::sync_webhook`.

use aws_lambda_events::event::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use lambda_handlers::Cloud;
use lambda_handlers::cloud::Needs;
use lambda_handlers::sync_webhook::{self, LambdaLauncher};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_handlers::init_tracing();
    // Built once per sandbox, shared by every invocation.
    let cloud: &'static Cloud = Box::leak(Box::new(
        Cloud::from_env(Needs {
            webhook_keys: true,
            ..Needs::NOTHING
        })
        .await?,
    ));
    let function = std::env::var("PASSERELLE_PULL_FUNCTION")
        .map_err(|_| "set PASSERELLE_PULL_FUNCTION to the sellsy-pull function's name or ARN")?;
    let sync_secret = std::env::var("PASSERELLE_SYNC_SECRET").ok();
    let secrets: &'static _ = Box::leak(Box::new(
        sync_webhook::secrets(cloud, sync_secret.as_deref()).await?,
    ));
    let sdk = aws::load_sdk_config(std::env::var("AWS_ENDPOINT_URL").ok().as_deref()).await;
    let launcher: &'static LambdaLauncher = Box::leak(Box::new(LambdaLauncher::new(
        aws_sdk_lambda::Client::new(&sdk),
        function,
    )));
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<LambdaFunctionUrlRequest>| async move {
            Ok::<LambdaFunctionUrlResponse, Error>(
                sync_webhook::handle(cloud, secrets, launcher, &event.payload).await,
            )
        },
    ))
    .await
}
