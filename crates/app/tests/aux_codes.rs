//! Issue 14, defect 5, through the pipeline and its registry (`AUX#` / `AUXCODE#`): a code set
//! in Sellsy obeys the rule and belongs to one party, across mappings and runs.

use std::time::Duration;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::{PullWindow, RecordStore, SystemClock};
use app::testing::fakes::{FakeLedger, FakeSource};
use app::testing::pipeline::OneDossier;
use app::usecases::records::{DocumentRecord, doc_pk};
use app::usecases::{Pipeline, Settings};
use chrono::NaiveDate;
use domain::SourceDocument;

type MemPipeline = Pipeline<MemoryStore, MemoryBlobs, MemoryQueue, SystemClock>;

fn invoice(id: &str, party: &str, name: &str, code: &str) -> SourceDocument {
    let mut doc = domain::testkit::sellsy_example_invoice();
    doc.source.source_id = id.into();
    doc.number = format!("FACT-2026-{id}");
    doc.party.source_id = party.into();
    doc.party.name = name.into();
    doc.party.auxiliary_code = Some(code.into());
    doc
}

async fn code_of(p: &MemPipeline, dossier: &str, id: &str) -> String {
    let key = format!("sellsy:sales_invoice:{id}");
    let record = p.store.get(&doc_pk(dossier), &key).await.unwrap();
    let record = DocumentRecord::from_record(&record.expect("recorded")).unwrap();
    let entry = record
        .entry
        .unwrap_or_else(|| panic!("{key} not mapped: {:?}", record.reason));
    entry.lines()[0].auxiliary.as_ref().unwrap().code.clone()
}

#[tokio::test]
async fn two_parties_with_one_sellsy_code_get_two_codes_each_by_the_rule() {
    let p = Pipeline::new(
        MemoryStore::new(),
        MemoryBlobs::new(),
        MemoryQueue::new(),
        SystemClock,
    )
    .with_settings(Settings {
        retry_delay: Duration::from_millis(50),
        ..Settings::default()
    });
    let cfg = domain::testkit::example_config();
    let source = FakeSource::new(
        vec![
            invoice("1", "100", "Dupont SARL", "DUPONT"),
            invoice("2", "200", "Dupont Frères", "DUPONT"),
            invoice("3", "100", "Dupont SARL", "dupont"),
        ],
        0,
        1,
    );
    let window = PullWindow {
        from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: NaiveDate::from_ymd_opt(2026, 12, 31).unwrap(),
    };
    p.pull(&cfg, &source, window, None).await.unwrap();
    let ledger = FakeLedger::new(0, 1);
    let one = OneDossier {
        cfg: cfg.clone(),
        source: &source,
        sink: &ledger,
    };
    p.run_until_idle(&one, Duration::from_millis(150), Duration::from_secs(20))
        .await
        .unwrap();
    let (first, second, third) = (
        code_of(&p, &cfg.id, "1").await,
        code_of(&p, &cfg.id, "2").await,
        code_of(&p, &cfg.id, "3").await,
    );
    // Whichever was mapped first, each party has one code, every code one party.
    assert_ne!(first, second, "two parties on one code");
    assert_eq!(first, third, "one party, one code");
    for code in [&first, &second] {
        assert!(code.len() <= 8, "{code}");
        assert!(code.starts_with(|c: char| c.is_ascii_uppercase()), "{code}");
        assert!(
            code.chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
            "{code}"
        );
    }
    assert!([&first, &second].contains(&&"DUPONT".to_string()));
}
