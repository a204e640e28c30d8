//! What the files directory guarantees beyond the shared suite: one creator among concurrent
//! writers, keys that cannot leave the root, files a person can find, no temporary file listed.

use std::sync::{Arc, Barrier};

use app::ports::{BlobError, BlobStore, PutOnce};
use local::DirBlobs;

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
        .block_on(f)
}

#[test]
fn concurrent_put_once_of_one_key_creates_it_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..10 {
        let key = format!("acme/raw/mail-{round}.eml");
        let barrier = Arc::new(Barrier::new(8));
        let threads: Vec<_> = (0..8)
            .map(|t| {
                // Each thread has its own handle, as separate processes would.
                let blobs = DirBlobs::open(dir.path()).unwrap();
                let (barrier, key) = (Arc::clone(&barrier), key.clone());
                std::thread::spawn(move || {
                    let body = format!("from thread {t}").repeat(1000);
                    barrier.wait();
                    let outcome = block_on(blobs.put_once(&key, body.as_bytes(), "message/rfc822"));
                    (outcome.unwrap(), body)
                })
            })
            .collect();
        let outcomes: Vec<_> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let winners: Vec<_> = outcomes
            .iter()
            .filter(|(o, _)| *o == PutOnce::Created)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
        let stored = block_on(DirBlobs::open(dir.path()).unwrap().get(&key))
            .unwrap()
            .unwrap();
        assert_eq!(stored, winners[0].1.as_bytes(), "the winner's bytes, whole");
    }
    let left: Vec<_> = std::fs::read_dir(dir.path().join("acme/raw"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| !n.starts_with("mail-"))
        .collect();
    assert!(left.is_empty(), "no temporary file left: {left:?}");
}

#[tokio::test]
async fn keys_that_would_leave_the_root_are_refused() {
    let outer = tempfile::tempdir().unwrap();
    let root = outer.path().join("files");
    let blobs = DirBlobs::open(&root).unwrap();
    std::fs::write(outer.path().join("x"), b"outside").unwrap();
    for bad in [
        "../x",
        "a/../../x",
        "/etc/passwd",
        "..",
        "./x",
        "a\\..\\x",
        "a/./b",
        "x\0",
    ] {
        assert!(
            matches!(
                blobs.put(bad, b"evil", "text/plain").await,
                Err(BlobError::BadKey(_))
            ),
            "put {bad:?}"
        );
        assert!(
            matches!(
                blobs.put_once(bad, b"evil", "text/plain").await,
                Err(BlobError::BadKey(_))
            ),
            "put_once {bad:?}"
        );
        assert!(
            matches!(blobs.get(bad).await, Err(BlobError::BadKey(_))),
            "get {bad:?}"
        );
    }
    assert_eq!(std::fs::read(outer.path().join("x")).unwrap(), b"outside");
    assert!(blobs.list("../").await.unwrap().is_empty());
    assert!(blobs.list("/").await.unwrap().is_empty());
    let long = "a".repeat(256);
    assert!(matches!(
        blobs.put(&long, b"x", "text/plain").await,
        Err(BlobError::BadKey(_))
    ));
}

#[tokio::test]
async fn objects_are_plain_files_under_their_key() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = DirBlobs::open(dir.path()).unwrap();
    blobs
        .put_once(
            "acme/pdf/sellsy:invoice:4711.pdf",
            b"%PDF-1.7",
            "application/pdf",
        )
        .await
        .unwrap();
    blobs
        .put("acme/fec/FEC.txt", b"JournalCode|...", "text/plain")
        .await
        .unwrap();
    assert_eq!(
        std::fs::read(dir.path().join("acme/pdf/sellsy:invoice:4711.pdf")).unwrap(),
        b"%PDF-1.7"
    );
    assert_eq!(
        blobs.path_of("acme/fec/FEC.txt").unwrap(),
        dir.path().join("acme/fec/FEC.txt")
    );
    // Reopening sees the same objects.
    let again = DirBlobs::open(dir.path()).unwrap();
    assert_eq!(
        again.get("acme/fec/FEC.txt").await.unwrap().unwrap(),
        b"JournalCode|..."
    );
}

#[tokio::test]
async fn listing_matches_the_whole_key_like_s3_and_skips_what_is_not_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = DirBlobs::open(dir.path()).unwrap();
    for key in [
        "acme/a.pdf",
        "acme/ab/c.pdf",
        "acme/b.pdf",
        "acmex/a.pdf",
        "top.txt",
    ] {
        blobs.put(key, key.as_bytes(), "text/plain").await.unwrap();
    }
    // A write in progress and a file someone dropped there by hand are not objects.
    std::fs::write(dir.path().join("acme/.~tmp.1.2.3"), b"partial").unwrap();
    std::fs::write(dir.path().join("acme/notes with spaces.txt"), b"x").unwrap();

    assert_eq!(
        blobs.list("acme/").await.unwrap(),
        ["acme/a.pdf", "acme/ab/c.pdf", "acme/b.pdf"]
    );
    assert_eq!(
        blobs.list("acme").await.unwrap(),
        ["acme/a.pdf", "acme/ab/c.pdf", "acme/b.pdf", "acmex/a.pdf"]
    );
    assert_eq!(
        blobs.list("acme/a").await.unwrap(),
        ["acme/a.pdf", "acme/ab/c.pdf"]
    );
    assert_eq!(blobs.list("acme/ab/").await.unwrap(), ["acme/ab/c.pdf"]);
    assert_eq!(blobs.list("").await.unwrap().len(), 5);
    assert!(blobs.list("nothing/here/").await.unwrap().is_empty());
    assert!(blobs.list("acme/a.pdf/").await.unwrap().is_empty());
}

#[tokio::test]
async fn a_folder_of_other_keys_is_not_an_object() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = DirBlobs::open(dir.path()).unwrap();
    blobs
        .put("acme/raw/m.eml", b"x", "message/rfc822")
        .await
        .unwrap();
    assert!(blobs.get("acme/raw").await.unwrap().is_none());
    assert!(blobs.get("acme/raw/m.eml/deeper").await.unwrap().is_none());
    assert!(matches!(
        blobs.put_once("acme/raw", b"y", "text/plain").await,
        Err(BlobError::BadKey(_))
    ));
    assert!(matches!(
        blobs.put("acme/raw", b"y", "text/plain").await,
        Err(BlobError::BadKey(_))
    ));
    assert!(matches!(
        blobs.put("acme/raw/m.eml/deeper", b"y", "text/plain").await,
        Err(BlobError::BadKey(_))
    ));
    assert_eq!(blobs.get("acme/raw/m.eml").await.unwrap().unwrap(), b"x");
}

#[test]
fn works_outside_a_tokio_runtime() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = DirBlobs::open(dir.path()).unwrap();
    // A bare executor with no Tokio context: the adapter runs the file calls in place.
    let created = futures_lite_block_on(blobs.put_once("k", b"v", "text/plain"));
    assert_eq!(created.unwrap(), PutOnce::Created);
    assert_eq!(
        futures_lite_block_on(blobs.get("k")).unwrap().unwrap(),
        b"v"
    );
}

/// Polls a future to completion on this thread without any runtime.
fn futures_lite_block_on<F: Future>(f: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut f = std::pin::pin!(f);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(out) = f.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

#[test]
fn opening_sweeps_temporary_files_left_by_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("acme/raw")).unwrap();
    let stale = dir.path().join("acme/raw/.~tmp.42.0.1");
    let fresh = dir.path().join("acme/raw/.~tmp.42.1.2");
    std::fs::write(&stale, b"half").unwrap();
    std::fs::write(&fresh, b"in progress").unwrap();
    let two_hours_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(7200);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(two_hours_ago)
        .unwrap();
    DirBlobs::open(dir.path()).unwrap();
    assert!(!stale.exists(), "a crash's left-over is removed");
    assert!(
        fresh.exists(),
        "a write that may be in progress elsewhere is left alone"
    );
}
