//! The pipeline under faults over the AWS adapters against moto_server (DynamoDB, S3, SQS over
//! HTTP): 1,000 documents, 30 % injected faults, two workers; exactly once, nothing lost.

use std::time::Duration;

use app::testing::pipeline::pipeline_fault_suite;
use aws::testing::TestEnv;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_under_faults_with_aws_adapters() {
    let env = TestEnv::new().await;
    let a = &env.adapters;
    // SQS visibility timeouts are whole seconds.
    let report = pipeline_fault_suite(
        &a.store,
        &a.blobs,
        &a.queue,
        1_000,
        300,
        Duration::from_secs(1),
    )
    .await;
    println!("{report:#?}");
    assert_eq!((report.booked, report.duplicates), (1_000, 0));
}
