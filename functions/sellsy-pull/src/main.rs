//! sellsy-pull: the nightly schedule → a run per active dossier; sync-webhook's launches → the
//! queued run, or the re-fetch of a document. See `lambda_handlers::pull`.

use lambda_handlers::Cloud;
use lambda_handlers::cloud::Needs;
use lambda_handlers::pull::{self, PullEvent, PullOutcome};
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
    lambda_runtime::run(service_fn(|event: LambdaEvent<PullEvent>| async move {
        Ok::<PullOutcome, Error>(pull::handle(cloud, &event.payload).await?)
    }))
    .await
}
