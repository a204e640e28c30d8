//! What `serve` says on stderr: one line per event (time, what, detail).

use chrono::Utc;

/// One line per event on stderr: time, what, detail.
pub fn event(what: &str, detail: &str) {
    eprintln!(
        "{} {what:<9} {detail}",
        Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
}
