//! Running blocking work (SQLite calls, file system calls with `fsync`) off the async runtime.

/// Runs `f` on Tokio's blocking pool when called inside a Tokio runtime, so a slow `fsync` or a
/// writer waiting on SQLite's lock never stalls the runtime's worker threads. Outside a Tokio
/// runtime (another executor, a plain `block_on`), it runs `f` in place rather than panicking.
///
/// `Err` carries a message when the blocking task could not finish (it panicked or the runtime
/// is shutting down); callers turn it into their port's "unavailable" error.
pub(crate) async fn run_blocking<T, F>(f: F) -> Result<T, String>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(f)
            .await
            .map_err(|e| format!("blocking task failed: {e}")),
        Err(_) => Ok(f()),
    }
}
