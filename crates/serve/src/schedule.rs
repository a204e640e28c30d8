//! The nightly scheduler: at each night, one run per dossier with a Sellsy connection.

use std::sync::Arc;

use app::ports::PullWindow;
use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use tokio::sync::watch;

use crate::events::event;
use crate::runs::pull_run;
use crate::service::Service;

/// The next nightly instant strictly after `now`. A local time that does not exist (spring
/// forward) runs at the first valid minute after it; an ambiguous one (fall back) at its first
/// occurrence.
pub fn next_night(now: DateTime<Utc>, at: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut day = now.with_timezone(&tz).date_naive();
    loop {
        let mut local = day.and_time(at);
        let instant = loop {
            match tz.from_local_datetime(&local).earliest() {
                Some(t) => break t.with_timezone(&Utc),
                None => local += chrono::Duration::minutes(1),
            }
        };
        if instant > now {
            return instant;
        }
        day = day.succ_opt().unwrap_or(day);
    }
}

/// The run id of a dossier's scheduled night: the instant itself, so that a restart or a
/// second instance never runs the same night twice (`start_run` is idempotent by id).
pub fn nightly_run_id(dossier: &str, instant: DateTime<Utc>) -> String {
    format!("nightly-{dossier}-{}", instant.format("%Y%m%dT%H%MZ"))
}

/// Runs every night until `stop`.
pub async fn schedule(service: Arc<Service>, mut stop: watch::Receiver<bool>) {
    let (at, tz) = service.config.service.nightly();
    loop {
        let night = next_night(Utc::now(), at, tz);
        event(
            "schedule",
            &format!("next nightly run at {night} ({} {tz})", at.format("%H:%M")),
        );
        let wait = (night - Utc::now()).to_std().unwrap_or_default();
        tokio::select! {
            _ = stop.changed() => return,
            _ = tokio::time::sleep(wait) => {}
        }
        let today = night.with_timezone(&tz).date_naive();
        for cfg in &service.config.file.dossiers {
            if !service.dossiers.sources.contains_key(&cfg.id) {
                continue;
            }
            let window = PullWindow {
                from: cfg.start_date,
                to: today,
            };
            pull_run(
                &service,
                &cfg.id,
                window,
                &nightly_run_id(&cfg.id, night),
                "schedule",
            )
            .await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_night_is_in_paris_time_and_skips_the_missing_hour() {
        let at = NaiveTime::from_hms_opt(2, 0, 0).unwrap();
        let utc =
            |d: u32, m: u32, h: u32, min: u32| Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap();
        for (now, expected, why) in [
            (
                utc(23, 11, 14, 0),
                utc(24, 11, 1, 0),
                "winter: 02:00 Paris = 01:00 UTC",
            ),
            (
                utc(24, 11, 0, 59),
                utc(24, 11, 1, 0),
                "just before tonight's run: tonight",
            ),
            (
                utc(24, 11, 1, 0),
                utc(25, 11, 1, 0),
                "at the instant: the next night, never twice",
            ),
            // 29 March 2026: 02:00 does not exist in Paris; the run is at 03:00 local.
            (utc(28, 3, 12, 0), utc(29, 3, 1, 0), "spring forward"),
            (
                utc(1, 7, 12, 0),
                utc(2, 7, 0, 0),
                "summer: 02:00 Paris = 00:00 UTC",
            ),
        ] {
            assert_eq!(
                next_night(now, at, chrono_tz::Europe::Paris),
                expected,
                "{why}"
            );
        }
        assert_eq!(
            nightly_run_id("acme", Utc.with_ymd_and_hms(2026, 7, 2, 0, 0, 0).unwrap()),
            "nightly-acme-20260702T0000Z"
        );
    }
}
