//! The FEC as it evolves (art. A47 A-1 LPF; PCG art. 420-5: a validated entry is never changed,
//! entries appear in the order of their validation): numbers fixed at booking, ValidDate the day
//! of booking in the dossier's time zone, documents dated later held, drafts refused, and
//! concurrent workers that never lose or double an entry.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::support::{config, entries, independent_check};
use app::memory::MemoryBlobs;
use app::ports::{BlobStore, Clock, EntryToPush, LedgerSink, SinkErrorKind};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use ledgers::{FecConfig, FecSink, PartyBook};

/// A clock the test moves.
#[derive(Clone)]
struct Moving(Arc<Mutex<DateTime<Utc>>>);
impl Moving {
    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Moving {
        Moving(Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap(),
        )))
    }
    fn set(&self, y: i32, m: u32, d: u32, h: u32, min: u32) {
        *self.0.lock().unwrap() = Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap();
    }
}
impl Clock for Moving {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap()
    }
}

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

const KEY: &str = "fec/acme/20261231/732829320FEC20261231.txt";

async fn fec_text(blobs: &MemoryBlobs) -> String {
    String::from_utf8(blobs.get(KEY).await.unwrap().expect("a FEC")).unwrap()
}

/// The rows of a FEC, header excluded.
fn rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .skip(1)
        .map(|l| l.split('\t').map(str::to_string).collect())
        .collect()
}

fn checked(text: &str) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("732829320FEC20261231.txt");
    std::fs::write(&path, text).unwrap();
    let (code, report) = independent_check(&path);
    assert_eq!(code, 0, "{report:#}");
    report
}

/// Every journal's EcritureNum runs 1, 2, 3… in file order; each piece appears in one entry.
fn assert_continuous(rows: &[Vec<String>]) -> usize {
    let mut last: BTreeMap<String, (String, u64)> = BTreeMap::new();
    let mut pieces = HashSet::new();
    for r in rows {
        let (journal, num) = (&r[0], &r[2]);
        let n: u64 = num.rsplit('-').next().unwrap().parse().unwrap();
        match last.get(journal) {
            Some((prev, p)) if prev == num => assert_eq!(*p, n),
            Some((_, p)) => {
                assert_eq!(n, p + 1, "{num} follows {journal}-{p:06}");
                assert!(pieces.insert(r[8].clone()), "{} twice", r[8]);
            }
            None => {
                assert_eq!(n, 1, "{journal} starts at 1");
                assert!(pieces.insert(r[8].clone()), "{} twice", r[8]);
            }
        }
        last.insert(journal.clone(), (num.clone(), n));
    }
    pieces.len()
}

fn dated(mut items: Vec<EntryToPush>, from: NaiveDate, to: NaiveDate) -> Vec<EntryToPush> {
    let span = (to - from).num_days() + 1;
    for (i, e) in items.iter_mut().enumerate() {
        e.entry.date = from + chrono::Days::new((i as i64 % span) as u64);
        e.entry.piece_date = e.entry.date;
    }
    items
}

#[tokio::test]
async fn a_later_export_keeps_every_earlier_entry_unchanged_and_adds_after() {
    let blobs = Arc::new(MemoryBlobs::new());
    let clock = Moving::at(2026, 12, 20, 9, 0);
    let sink = FecSink::new(blobs.clone(), clock.clone(), FecConfig::default());
    let cfg = config();
    let all = entries(100, 31, &PartyBook::new());
    // March to December first, as a new user syncs; then January and February.
    let late = dated(all[..75].to_vec(), day(2026, 3, 1), day(2026, 12, 15));
    let early = dated(all[75..].to_vec(), day(2026, 1, 1), day(2026, 2, 28));
    assert!(
        sink.push_entries(&cfg, &late)
            .await
            .iter()
            .all(Result::is_ok)
    );
    let first = fec_text(&blobs).await;
    checked(&first);
    clock.set(2026, 12, 21, 9, 0);
    let r = sink.push_entries(&cfg, &early).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let second = fec_text(&blobs).await;
    checked(&second);
    assert!(
        second.starts_with(&first),
        "the second export holds the first one's lines unchanged, in the same order"
    );
    let added = rows(&format!("header\r\n{}", &second[first.len()..]));
    assert!(
        added.iter().all(|r| r[15] == "20261221"),
        "new entries come after, validated on their booking day"
    );
    assert_eq!(assert_continuous(&rows(&second)), 100);
}

#[tokio::test]
async fn valid_date_is_the_booking_day_in_paris_and_a_later_document_waits_for_its_date() {
    let blobs = Arc::new(MemoryBlobs::new());
    // 23:30 UTC on 23 November is 00:30 on the 24th in Paris.
    let clock = Moving::at(2026, 11, 23, 23, 30);
    let sink = FecSink::new(blobs.clone(), clock.clone(), FecConfig::default());
    let cfg = config();
    let items = entries(2, 32, &PartyBook::new());
    let past = dated(vec![items[0].clone()], day(2026, 11, 20), day(2026, 11, 20));
    let future = dated(vec![items[1].clone()], day(2026, 11, 30), day(2026, 11, 30));
    assert!(sink.push_entries(&cfg, &past).await[0].is_ok());
    let held = sink
        .push_entries(&cfg, &future)
        .await
        .remove(0)
        .unwrap_err();
    assert_eq!(held.kind, SinkErrorKind::Retryable, "{held:?}");
    assert!(held.message.contains("held"), "{}", held.message);
    // Until 30 November 00:00 in Paris (29 November 23:00 UTC).
    assert_eq!(
        held.retry_after,
        Some(std::time::Duration::from_secs(6 * 86_400 - 1_800))
    );
    assert_eq!(sink.find_entry(&cfg, &future[0]).await.unwrap(), None);
    let text = fec_text(&blobs).await;
    let r = rows(&text);
    assert!(r.iter().all(|r| r[15] == "20261124"), "Paris day: {r:?}");
    assert!(!text.contains(&future[0].entry.piece_ref), "not booked yet");

    clock.set(2026, 11, 29, 23, 5); // 30 November, 00:05 in Paris
    assert!(sink.push_entries(&cfg, &future).await[0].is_ok());
    let text = fec_text(&blobs).await;
    checked(&text);
    let last = rows(&text).pop().unwrap();
    assert_eq!(
        (last[3].as_str(), last[15].as_str()),
        ("20261130", "20261130")
    );
}

#[tokio::test]
async fn a_draft_is_refused_never_booked_and_absent() {
    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(
        blobs.clone(),
        Moving::at(2027, 1, 5, 9, 0),
        FecConfig::default(),
    );
    let cfg = config();
    let mut items = entries(2, 33, &PartyBook::new());
    items[1].entry.draft = true;
    let r = sink.push_entries(&cfg, &items).await;
    assert!(r[0].is_ok());
    let e = r[1].clone().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(e.action.contains("draft_entries = false"), "{}", e.action);
    assert_eq!(sink.find_entry(&cfg, &items[1]).await.unwrap(), None);
}

/// Four workers (four sinks, as four Lambda instances) push 2,000 entries of one dossier at
/// once over one store: every entry is in the FEC exactly once, numbering continuous.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_workers_lose_nothing_in_process() {
    let blobs = Arc::new(MemoryBlobs::new());
    let cfg = config();
    let items = entries(2_000, 34, &PartyBook::new());
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (blobs, cfg) = (blobs.clone(), cfg.clone());
        let mine: Vec<EntryToPush> = items.iter().skip(w).step_by(4).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let sink = FecSink::new(blobs, Moving::at(2027, 1, 5, 9, 0), FecConfig::default());
            for chunk in mine.chunks(25) {
                let r = sink.push_entries(&cfg, chunk).await;
                assert!(r.iter().all(Result::is_ok), "{r:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let text = fec_text(&blobs).await;
    assert_eq!(assert_continuous(&rows(&text)), 2_000);
    let report = checked(&text);
    assert_eq!(report["stats"]["ecritures"], 2_000);
}
