//! The worker: works the queues until `stop`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::events::event;
use crate::service::Service;

pub async fn work(service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    loop {
        let busy = match service.pipeline.work_once(&*service.dossiers).await {
            Ok(stats) => {
                if stats.done + stats.retried + stats.dropped > 0 {
                    event(
                        "worker",
                        &format!(
                            "{} step(s) done, {} to retry, {} dropped",
                            stats.done, stats.retried, stats.dropped
                        ),
                    );
                }
                stats.received > 0
            }
            Err(e) => {
                event("worker", &format!("queue unavailable, retrying: {e}"));
                false
            }
        };
        if *stop.borrow() {
            return;
        }
        if !busy {
            tokio::select! {
                _ = stop.changed() => return,
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
    }
}
