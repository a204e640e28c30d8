//! sellsy-pull: the nightly schedule → a run per active dossier. See `lambda_handlers`.

use lambda_handlers::Cloud;
use lambda_handlers::pull::{self, PullSummary, ScheduledPull};
use lambda_runtime::{Error, LambdaEvent, service_fn};

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_handlers::init_tracing();
    // Built once per sandbox, shared by every invocation.
    let cloud: &'static Cloud = Box::leak(Box::new(Cloud::from_env().await?));
    lambda_runtime::run(service_fn(|event: LambdaEvent<ScheduledPull>| async move {
        Ok::<PullSummary, Error>(pull::scheduled(cloud, &event.payload).await?)
    }))
    .await
}
