//! The integration log kept in the record store: `LOG#<dossier>` / `<time>#<unique>`, so a
//! dossier's events come back in time order and a time range is one query.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};

use super::records::log_pk;
use crate::ports::{
    Condition, Filter, IntegrationLog, LogEvent, LogPage, LogQuery, Record, RecordStore, Severity,
    StoreError,
};

pub struct StoreLog<'a, S> {
    store: &'a S,
    retention_days: i64,
}

impl<'a, S> StoreLog<'a, S> {
    pub fn new(store: &'a S, retention_days: i64) -> Self {
        StoreLog {
            store,
            retention_days,
        }
    }
}

fn time_key(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A suffix unique across workers writing in the same nanosecond.
fn unique() -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let seq = SEQ.fetch_add(1, Ordering::Relaxed);
    let salt = {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(seq);
        h.finish()
    };
    // Zero-padded: events of one process at the same instant sort in the order they happened
    // ("10" would sort before "9").
    format!("{}-{seq:020}-{salt:016x}", std::process::id())
}

impl<S: RecordStore> IntegrationLog for StoreLog<'_, S> {
    async fn record(&self, event: LogEvent) -> Result<(), StoreError> {
        let data = serde_json::to_value(&event).map_err(|e| StoreError::Corrupt {
            pk: log_pk(&event.dossier),
            sk: String::new(),
            message: e.to_string(),
        })?;
        let expires = event.at.timestamp() + self.retention_days * 86_400;
        for _ in 0..3 {
            let mut record = Record::new(
                log_pk(&event.dossier),
                format!("{}#{}", time_key(event.at), unique()),
                data.clone(),
            );
            record.expires_at = Some(expires);
            match self.store.create(&record).await {
                Err(StoreError::Conflict { .. }) => continue,
                other => return other,
            }
        }
        Err(StoreError::Unavailable(
            "could not find a free log key".into(),
        ))
    }

    async fn query(
        &self,
        dossier: &str,
        min: Severity,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<LogEvent>, StoreError> {
        let pk = log_pk(dossier);
        let mut out = Vec::new();
        let mut cursor = time_key(from);
        let end = time_key(to);
        loop {
            let page = self
                .store
                .query(&pk, Some(&cursor), Some(&end), 1000)
                .await?;
            let last = page.last().map(|r| r.sk.clone());
            let full = page.len() == 1000;
            for record in page {
                let event: LogEvent =
                    serde_json::from_value(record.data).map_err(|e| StoreError::Corrupt {
                        pk: record.pk.clone(),
                        sk: record.sk.clone(),
                        message: e.to_string(),
                    })?;
                if event.severity >= min && event.at < to && event.at >= from {
                    out.push(event);
                }
            }
            match (full, last) {
                // Next page starts just after the last key ('\u{1}' sorts right after it).
                (true, Some(last)) => cursor = format!("{last}\u{1}"),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn page(&self, dossier: &str, query: &LogQuery) -> Result<LogPage, StoreError> {
        let pk = log_pk(dossier);
        let mut all = Vec::new();
        if query.min > Severity::Info {
            let values = [Severity::Info, Severity::Warning, Severity::Error]
                .into_iter()
                .filter(|s| *s >= query.min)
                .map(|s| s.as_str().to_string())
                .collect();
            all.push(Condition::OneOf {
                field: "severity",
                values,
            });
        }
        if !query.text.is_empty() {
            all.push(Condition::Contains {
                fields: vec!["message", "action", "object_id"],
                needle: query.text.clone(),
            });
        }
        // A key at `to` is "<to>#…", above "<to>": `below = <to>` leaves it out.
        let end = time_key(query.to);
        let below = match &query.before {
            Some(cursor) if *cursor < end => cursor.clone(),
            _ => end,
        };
        let from = time_key(query.from);
        let mut records = self
            .store
            .query_back(
                &pk,
                Some(&from),
                Some(&below),
                &Filter { all },
                query.limit + 1,
            )
            .await?;
        let next = (records.len() > query.limit).then(|| {
            records.truncate(query.limit);
            records.last().map(|r| r.sk.clone())
        });
        let events = records
            .into_iter()
            .map(|record| {
                serde_json::from_value(record.data).map_err(|e| StoreError::Corrupt {
                    pk: record.pk.clone(),
                    sk: record.sk.clone(),
                    message: e.to_string(),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(LogPage {
            events,
            next: next.flatten(),
        })
    }
}
