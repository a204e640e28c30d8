//! The FEC sink over S3 (moto) with four workers pushing 2,000 entries of one dossier at once:
//! the booked list is replaced only by `If-Match` writes, so every entry is in the FEC exactly
//! once and every journal's numbering is continuous.

use std::collections::{BTreeMap, HashSet};

use app::ports::{BlobStore, Clock, EntryToPush, LedgerSink};
use aws::testing::TestEnv;
use chrono::{DateTime, TimeZone, Utc};
use domain::auxcode::AuxCodes;
use domain::mapping::{Mapped, map_document};
use domain::testkit::{example_config, invoices};
use ledgers::{FecConfig, FecSink};

#[derive(Clone, Copy)]
struct January;
impl Clock for January {
    fn now(&self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2027, 1, 5, 9, 0, 0).unwrap()
    }
}

fn entries(n: usize) -> Vec<EntryToPush> {
    let cfg = example_config();
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    invoices(n, 2, 77)
        .iter()
        .map(|doc| match map_document(doc, &cfg, &mut aux) {
            Ok(Mapped::Entry(entry)) => EntryToPush {
                external_id: entry.source.key(),
                entry,
                pdf: None,
            },
            other => panic!("{}: {other:?}", doc.number),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn four_workers_push_2000_entries_of_one_dossier_against_moto() {
    let env = TestEnv::new().await;
    let cfg = example_config();
    let items = entries(2_000);
    let mut tasks = Vec::new();
    for w in 0..4 {
        let (blobs, cfg) = (env.adapters.blobs.clone(), cfg.clone());
        let mine: Vec<EntryToPush> = items.iter().skip(w).step_by(4).cloned().collect();
        tasks.push(tokio::spawn(async move {
            let sink = FecSink::new(std::sync::Arc::new(blobs), January, FecConfig::default());
            for chunk in mine.chunks(50) {
                let r = sink.push_entries(&cfg, chunk).await;
                assert!(r.iter().all(Result::is_ok), "worker {w}: {r:?}");
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let key = format!("fec/{}/20261231/{}FEC20261231.txt", cfg.id, cfg.siren);
    let bytes = env
        .adapters
        .blobs
        .get(&key)
        .await
        .unwrap()
        .expect("the FEC");
    let text = String::from_utf8(bytes).unwrap();
    let mut last: BTreeMap<String, u64> = BTreeMap::new();
    let mut numbers = HashSet::new();
    let mut pieces = HashSet::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split('\t').collect();
        if numbers.insert(f[2].to_string()) {
            let n: u64 = f[2].rsplit('-').next().unwrap().parse().unwrap();
            let prev = last.entry(f[0].to_string()).or_insert(0);
            assert_eq!(n, *prev + 1, "{} follows {}", f[2], prev);
            *prev = n;
            assert!(pieces.insert(f[8].to_string()), "{} twice", f[8]);
        }
    }
    let expected: HashSet<String> = items.iter().map(|e| e.entry.piece_ref.clone()).collect();
    assert_eq!(pieces, expected, "every entry exactly once, none lost");
    println!(
        "moto: 4 workers, {} entries, journals {last:?}: each once, numbering continuous",
        pieces.len()
    );
}
