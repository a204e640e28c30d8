//! The pipeline under faults over the local adapters (SQLite file, files directory, in-process
//! queue): 1,000 documents, 30 % injected faults, two workers; exactly once, nothing lost.

use std::time::Duration;

use app::testing::pipeline::pipeline_fault_suite;
use local::{DirBlobs, InProcessQueue, SqliteStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_under_faults_with_local_adapters() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("passerelle.sqlite3")).unwrap();
    let blobs = DirBlobs::open(dir.path().join("files")).unwrap();
    let report = pipeline_fault_suite(
        store,
        blobs,
        InProcessQueue::new(),
        1_000,
        300,
        Duration::from_millis(100),
    )
    .await;
    println!("{report:#?}");
    assert_eq!((report.booked, report.duplicates), (1_000, 0));
}
