//! The local adapters pass the same behavioural suite as the in-memory and AWS ones.

use app::testing::{blob_store_suite, queue_suite, record_store_suite};
use local::{DataDir, DirBlobs, InProcessQueue, SqliteStore};

#[tokio::test]
async fn sqlite_file_passes_the_record_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("records.sqlite3")).unwrap();
    record_store_suite(&store).await;
}

#[tokio::test]
async fn sqlite_in_memory_passes_the_record_store_suite() {
    record_store_suite(&SqliteStore::in_memory().unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_file_passes_the_suite_on_a_multi_thread_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("records.sqlite3")).unwrap();
    record_store_suite(&store).await;
}

#[tokio::test]
async fn files_directory_passes_the_blob_store_suite() {
    let dir = tempfile::tempdir().unwrap();
    blob_store_suite(&DirBlobs::open(dir.path()).unwrap()).await;
}

#[tokio::test]
async fn in_process_queue_passes_the_queue_suite() {
    queue_suite(&InProcessQueue::new()).await;
}

#[tokio::test]
async fn data_dir_lays_out_the_sqlite_file_and_the_files_folder() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::open(dir.path().join("data")).unwrap();
    record_store_suite(&data.records).await;
    blob_store_suite(&data.files).await;
    assert!(dir.path().join("data").join(local::RECORDS_FILE).is_file());
    assert!(dir.path().join("data").join(local::FILES_DIR).is_dir());
    assert_eq!(data.files.root(), dir.path().join("data/files"));
}
