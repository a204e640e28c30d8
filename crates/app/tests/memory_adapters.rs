//! The in-memory adapters pass the same behavioural suite as the SQLite/files and AWS ones.

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::testing::{blob_store_suite, queue_suite, record_store_suite};

#[tokio::test]
async fn memory_store_passes_the_port_suite() {
    record_store_suite(&MemoryStore::new()).await;
}

#[tokio::test]
async fn memory_blobs_pass_the_port_suite() {
    blob_store_suite(&MemoryBlobs::new()).await;
}

#[tokio::test]
async fn memory_queue_passes_the_port_suite() {
    queue_suite(&MemoryQueue::new()).await;
}

#[tokio::test]
async fn pipeline_under_faults_with_memory_adapters() {
    let report = app::testing::pipeline::pipeline_fault_suite(
        MemoryStore::new(),
        MemoryBlobs::new(),
        MemoryQueue::new(),
        1_000,
        300,
        std::time::Duration::from_millis(100),
    )
    .await;
    println!("{report:#?}");
}
