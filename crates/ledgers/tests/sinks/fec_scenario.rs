//! Issue 14, acceptance 2: the FEC over several nights and two exercises, the second one of 18
//! months (a change of closing date). Back-dated documents booked later, a document held for its
//! date and one held weeks for its PDF, re-exports in every variant: each export holds the
//! previous one's lines unchanged, in validation order, new lines after; each passes the
//! independent checker (django-accounting-fr) and the checks of the DGFiP's own tool,
//! Test Compta Demat (`dgfip` below, read from its sources).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use crate::support::{config, entries, independent_check};
use app::memory::MemoryBlobs;
use app::ports::{BlobStore, Clock, EntryToPush, LedgerSink, SinkErrorKind};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use domain::config::{DossierConfig, Exercise};
use domain::fec::{COLUMNS, Charset, FecOptions, Separator};
use ledgers::fec::export_year;
use ledgers::{FecConfig, FecSink, PartyBook};

#[derive(Clone)]
struct Moving(Arc<Mutex<DateTime<Utc>>>);
impl Moving {
    /// 02:00 in Paris (01:00 UTC in winter, 00:00 in summer: the nightly run).
    fn night(&self, y: i32, m: u32, d: u32) {
        let paris = chrono_tz::Europe::Paris
            .with_ymd_and_hms(y, m, d, 2, 0, 0)
            .unwrap();
        *self.0.lock().unwrap() = paris.with_timezone(&Utc);
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

/// The example dossier with two declared exercises: 2026, then 18 months to 30 June 2028.
fn dossier() -> DossierConfig {
    let mut cfg = config();
    cfg.exercises = vec![
        Exercise {
            start: day(2026, 1, 1),
            end: day(2026, 12, 31),
        },
        Exercise {
            start: day(2027, 1, 1),
            end: day(2028, 6, 30),
        },
    ];
    cfg.fiscal_year_end = (6, 30);
    cfg
}

/// `n` new documents of night `night`, dated from `from` on, one a day; every other one a
/// credit note in its own journal, so two series run side by side.
fn documents(night: usize, n: usize, from: NaiveDate) -> Vec<EntryToPush> {
    let mut items = entries(n, 100 + night as u64, &PartyBook::new());
    for (i, e) in items.iter_mut().enumerate() {
        e.external_id = format!("sellsy:sales_invoice:n{night}-{i}");
        e.entry.piece_ref = format!("F{night}-{i:03}");
        e.entry.date = from + chrono::Days::new(i as u64);
        e.entry.piece_date = e.entry.date;
        if i % 2 == 1 {
            e.entry.journal_code = "AV".into();
            e.entry.journal_label = "Avoirs".into();
        }
    }
    items
}

struct Fec {
    sink: FecSink<MemoryBlobs, Moving>,
    blobs: Arc<MemoryBlobs>,
    cfg: DossierConfig,
    /// The last export of each exercise, by closing date.
    last: BTreeMap<NaiveDate, String>,
}

impl Fec {
    async fn push(&self, items: &[EntryToPush]) -> Vec<Result<(), SinkErrorKind>> {
        self.sink
            .push_entries(&self.cfg, items)
            .await
            .into_iter()
            .map(|r| r.map(|_| ()).map_err(|e| e.kind))
            .collect()
    }

    /// Exports the exercise closing on `closing` (streamed from the booked entries, in
    /// `options`), checks it on its own and against the previous export.
    async fn export(&mut self, closing: NaiveDate, options: FecOptions) -> String {
        let booked = self
            .blobs
            .get(&self.sink.booked_key(&self.cfg, closing))
            .await
            .unwrap()
            .expect("booked entries");
        let mut bytes = Vec::new();
        let exported = export_year(
            &booked[..],
            "booked",
            &mut bytes,
            &self.cfg,
            closing,
            options,
        )
        .unwrap();
        assert_eq!(
            exported.name,
            format!("732829320FEC{}.txt", closing.format("%Y%m%d"))
        );
        let text = match options.charset {
            Charset::Utf8 => String::from_utf8(bytes.clone()).unwrap(),
            Charset::Iso8859_15 => encoding_rs::ISO_8859_15.decode(&bytes).0.into_owned(),
        };
        let sep = match options.separator {
            Separator::Tab => '\t',
            Separator::Pipe => '|',
        };
        let year = self.cfg.fiscal_year_of(closing);
        checked(&bytes, &exported.name);
        dgfip(&text, sep, year);
        in_validation_order(&text, sep);
        assert!(
            exported
                .description
                .contains(&format!("Entries: {}", exported.summary.entries))
        );
        // In the default variant, the same bytes as the FEC the sink keeps beside them.
        let tab_rows = rows(&text, sep).join("\n");
        if options == FecOptions::default() {
            let kept = self
                .blobs
                .get(&self.sink.fec_key(&self.cfg, closing))
                .await
                .unwrap();
            assert_eq!(kept.as_deref(), Some(&bytes[..]), "export = the sink's FEC");
        }
        if let Some(previous) = self.last.get(&closing) {
            assert!(
                tab_rows.starts_with(previous.as_str()),
                "the export of {closing} holds the previous one's lines unchanged and in order"
            );
        }
        self.last.insert(closing, tab_rows);
        text
    }
}

/// Rows joined back with tabs (so variants compare equal), header excluded.
fn rows(text: &str, sep: char) -> Vec<String> {
    text.lines()
        .skip(1)
        .map(|l| l.split(sep).collect::<Vec<_>>().join("\t"))
        .collect()
}

fn checked(bytes: &[u8], name: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    let (code, report) = independent_check(&path);
    assert_eq!(code, 0, "{report:#}");
}

/// ValidDate never goes back down the file; EcritureNum continuous per journal.
fn in_validation_order(text: &str, sep: char) {
    let mut valid = String::new();
    let mut last: BTreeMap<String, (String, u64)> = BTreeMap::new();
    for line in text.lines().skip(1) {
        let f: Vec<&str> = line.split(sep).collect();
        assert!(f[15] >= valid.as_str(), "ValidDate {} after {valid}", f[15]);
        valid = f[15].to_string();
        let n: u64 = f[2].rsplit('-').next().unwrap().parse().unwrap();
        match last.get(f[0]) {
            Some((num, p)) if num == f[2] => assert_eq!(*p, n),
            Some((_, p)) => assert_eq!(n, p + 1, "{} after {p}", f[2]),
            None => assert_eq!(n, 1, "{} starts at 1", f[0]),
        }
        last.insert(f[0].to_string(), (f[2].to_string(), n));
    }
}

/// The checks of Test Compta Demat (github.com/DGFiP/Test-Compta-Demat, src/testeur/trt_txt.pl
/// and SQL/VUES.sql, CeCILL 2.1): the header's field names; as many fields on every line as in
/// the header; mandatory fields filled; CompteNum starts with three digits; amounts with a
/// comma, no point, no thousands separator; calendar dates AAAAMMJJ, EcritureDate within the
/// exercise; a line never has both a debit and a credit, nor neither; within one EcritureNum
/// (vue_erreur): one JournalCode, one EcritureDate, one PieceRef, one PieceDate, one lettering,
/// debit = credit.
fn dgfip(text: &str, sep: char, (start, end): (NaiveDate, NaiveDate)) {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(sep).collect();
    assert_eq!(header, COLUMNS, "field names");
    let amount = |s: &str| {
        !s.is_empty()
            && !s.contains('.')
            && s.trim_start_matches('-')
                .split_once(',')
                .map_or(s, |(i, d)| {
                    if d.chars().all(|c| c.is_ascii_digit()) {
                        i
                    } else {
                        "x"
                    }
                })
                .chars()
                .all(|c| c.is_ascii_digit())
    };
    let mut by_num: BTreeMap<String, (Vec<String>, i64, i64)> = BTreeMap::new();
    for (n, line) in lines.enumerate() {
        let f: Vec<&str> = line.split(sep).collect();
        assert_eq!(f.len(), header.len(), "line {}: field count", n + 2);
        for i in [0, 1, 2, 3, 4, 5, 8, 9, 10, 11, 12, 15] {
            assert!(
                !f[i].trim().is_empty(),
                "line {}: {} empty",
                n + 2,
                COLUMNS[i]
            );
        }
        assert!(
            f[4].len() >= 3 && f[4][..3].chars().all(|c| c.is_ascii_digit()),
            "line {}: CompteNum {}",
            n + 2,
            f[4]
        );
        for i in [11, 12] {
            assert!(amount(f[i]), "line {}: {} = {:?}", n + 2, COLUMNS[i], f[i]);
        }
        for i in [3, 9, 15] {
            NaiveDate::parse_from_str(f[i], "%Y%m%d")
                .unwrap_or_else(|_| panic!("line {}: {} {:?}", n + 2, COLUMNS[i], f[i]));
        }
        let date = NaiveDate::parse_from_str(f[3], "%Y%m%d").unwrap();
        assert!(
            start <= date && date <= end,
            "line {}: {date} outside the exercise",
            n + 2
        );
        let cents = |s: &str| -> i64 {
            let (i, d) = s.split_once(',').unwrap_or((s, "0"));
            i.parse::<i64>().unwrap() * 100 + format!("{d:0<2}")[..2].parse::<i64>().unwrap()
        };
        let (debit, credit) = (cents(f[11]), cents(f[12]));
        assert!(
            (debit == 0) != (credit == 0),
            "line {}: debit {} and credit {} (one of them, not both, not neither)",
            n + 2,
            f[11],
            f[12]
        );
        let same = vec![f[0], f[3], f[8], f[9], f[13]]
            .into_iter()
            .map(str::to_string)
            .collect::<Vec<_>>();
        let e = by_num
            .entry(f[2].to_string())
            .or_insert_with(|| (same.clone(), 0, 0));
        assert_eq!(
            e.0, same,
            "EcritureNum {}: journal, dates, piece, lettering differ",
            f[2]
        );
        e.1 += debit;
        e.2 += credit;
    }
    for (num, (_, d, c)) in by_num {
        assert_eq!(d, c, "EcritureNum {num} is unbalanced");
    }
}

#[tokio::test]
async fn night_after_night_over_two_exercises_every_export_extends_the_previous_one() {
    let clock = Moving(Arc::new(Mutex::new(Utc::now())));
    let blobs = Arc::new(MemoryBlobs::new());
    let mut fec = Fec {
        sink: FecSink::new(blobs.clone(), clock.clone(), FecConfig::default()),
        blobs,
        cfg: dossier(),
        last: BTreeMap::new(),
    };
    let (first, second) = (day(2026, 12, 31), day(2028, 6, 30));
    let tab = FecOptions::default();

    // Night 1, 10 March 2026: February and March documents.
    clock.night(2026, 3, 10);
    let night1 = documents(1, 12, day(2026, 2, 20));
    let held_for_pdf = documents(9, 1, day(2026, 2, 15)); // no PDF yet: the pipeline holds it
    assert!(fec.push(&night1).await.iter().all(Result::is_ok));
    fec.export(first, tab).await;

    // Night 2: back-dated January documents, and one dated 2 April: it waits for its date.
    clock.night(2026, 3, 11);
    let back = documents(2, 10, day(2026, 1, 5));
    let future = documents(3, 1, day(2026, 4, 2));
    assert!(fec.push(&back).await.iter().all(Result::is_ok));
    assert_eq!(fec.push(&future).await, vec![Err(SinkErrorKind::Retryable)]);
    let text = fec.export(first, tab).await;
    assert!(!text.contains("F3-000"), "not booked before its date");

    // Night 3, 2 April: the dated document is booked, and the one held three weeks for its PDF
    // is released, back-dated to 15 February.
    clock.night(2026, 4, 2);
    assert!(fec.push(&future).await.iter().all(Result::is_ok));
    assert!(fec.push(&held_for_pdf).await.iter().all(Result::is_ok));
    let text = fec.export(first, tab).await;
    let last = text.lines().last().unwrap();
    assert!(
        last.contains("F9-000") && last.contains("\t20260215\t"),
        "{last}"
    );
    assert!(
        last.ends_with("\t20260402\t\t"),
        "validated the day it is booked: {last}"
    );

    // A re-push (redelivery) and a re-export change nothing; every variant holds the same rows.
    assert!(fec.push(&night1).await.iter().all(Result::is_ok));
    let again = fec.export(first, tab).await;
    assert_eq!(again, text, "a re-export is the same file");
    for separator in [Separator::Tab, Separator::Pipe] {
        for charset in [Charset::Utf8, Charset::Iso8859_15] {
            fec.export(first, FecOptions { separator, charset }).await;
        }
    }

    // Night 4, 1 February 2027: December documents into the first exercise (not closed yet),
    // January ones into the second, an exercise of 18 months.
    clock.night(2027, 2, 1);
    let december = documents(4, 6, day(2026, 12, 20));
    let january = documents(5, 8, day(2027, 1, 4));
    assert!(fec.push(&december).await.iter().all(Result::is_ok));
    assert!(fec.push(&january).await.iter().all(Result::is_ok));
    fec.export(first, tab).await;
    assert_eq!(
        fec.sink.fec_key(&fec.cfg, day(2027, 1, 4)),
        "fec/acme/20280630/732829320FEC20280630.txt",
        "named after the real closing, not 31 December 2027"
    );
    fec.export(second, tab).await;

    // Night 5, 1 May 2028: back-dated December 2027 and April 2028 documents, same exercise.
    clock.night(2028, 5, 1);
    let later = [
        documents(6, 5, day(2027, 12, 1)),
        documents(7, 5, day(2028, 4, 1)),
    ]
    .concat();
    assert!(fec.push(&later).await.iter().all(Result::is_ok));
    let text = fec.export(second, tab).await;
    assert!(text.lines().any(|l| l.ends_with("\t20280501\t\t")));
    for separator in [Separator::Tab, Separator::Pipe] {
        fec.export(
            second,
            FecOptions {
                separator,
                charset: Charset::Iso8859_15,
            },
        )
        .await;
    }
    let keys = fec.blobs.list("fec/acme").await.unwrap();
    assert!(
        !keys.iter().any(|k| k.contains("20271231")),
        "no file for a closing that never happens: {keys:?}"
    );
}

/// Issue 14, defect 9: a journal code is one series under one label; a second source journal
/// on the same code is refused with the mapping to add, never mixed into the first one's series.
#[tokio::test]
async fn a_second_journal_label_on_one_code_is_refused() {
    let clock = Moving(Arc::new(Mutex::new(Utc::now())));
    clock.night(2026, 5, 4);
    let blobs = Arc::new(MemoryBlobs::new());
    let sink = FecSink::new(blobs.clone(), clock, FecConfig::default());
    let cfg = dossier();
    let mut items = documents(1, 2, day(2026, 5, 1));
    for (e, label) in items.iter_mut().zip(["Ventes France", "Ventes export"]) {
        e.entry.journal_code = "VENT".into();
        e.entry.journal_label = label.into();
    }
    let r = sink.push_entries(&cfg, &items).await;
    assert!(r[0].is_ok(), "{r:?}");
    let e = r[1].clone().unwrap_err();
    assert_eq!(e.kind, SinkErrorKind::Permanent);
    assert!(e.message.contains("\"Ventes France\""), "{}", e.message);
    assert!(e.action.contains("[dossier.journal_codes]"), "{}", e.action);
    assert_eq!(sink.find_entry(&cfg, &items[1]).await.unwrap(), None);
}
