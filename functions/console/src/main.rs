//! console-url: the firm's web console behind its Function URL. See `lambda_handlers::console`.

use aws_lambda_events::event::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use lambda_handlers::Cloud;
use lambda_handlers::cloud::Needs;
use lambda_handlers::console;
use lambda_handlers::sync_webhook::LambdaLauncher;
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_handlers::init_tracing();
    // Built once per sandbox, shared by every invocation. The console reads no credential:
    // sellsy-pull connects Sellsy when a run is started.
    let cloud: &'static Cloud = Box::leak(Box::new(Cloud::from_env(Needs::NOTHING).await?));
    let site: &'static Option<_> = Box::leak(Box::new(console::site(cloud)?));
    let function = std::env::var("PASSERELLE_PULL_FUNCTION")
        .map_err(|_| "set PASSERELLE_PULL_FUNCTION to the sellsy-pull function's name or ARN")?;
    let nightly: &'static Option<String> =
        Box::leak(Box::new(std::env::var("PASSERELLE_NIGHTLY_SCHEDULE").ok()));
    let sdk = aws::load_sdk_config(std::env::var("AWS_ENDPOINT_URL").ok().as_deref()).await;
    let launcher: &'static LambdaLauncher = Box::leak(Box::new(LambdaLauncher::new(
        aws_sdk_lambda::Client::new(&sdk),
        function,
    )));
    lambda_runtime::run(service_fn(
        |event: LambdaEvent<LambdaFunctionUrlRequest>| async move {
            Ok::<LambdaFunctionUrlResponse, Error>(
                console::handle(
                    cloud,
                    site.as_ref(),
                    launcher,
                    nightly.as_deref(),
                    &event.payload,
                )
                .await,
            )
        },
    ))
    .await
}
