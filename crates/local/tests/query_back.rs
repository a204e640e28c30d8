//! `query_back` in SQL (filters in the statement, on the severity index) returns what the
//! port's reference reading (the default method, here over the memory store) returns.

use app::memory::MemoryStore;
use app::ports::{Condition, Filter, Record, RecordStore};
use local::SqliteStore;
use serde_json::json;

fn records() -> Vec<Record> {
    (0..300)
        .map(|i| {
            let severity = ["info", "warning", "error"][i % 3];
            let message = if i % 7 == 0 {
                format!("Écriture {i} REFUSÉE")
            } else {
                format!("écriture {i} poussée")
            };
            let mut r = Record::new(
                "LOG#acme",
                format!("2026-11-{:02}T10:00:00Z#{i:04}", 1 + i / 20),
                json!({"severity": severity, "message": message, "object_id": format!("doc-{i}")}),
            );
            r.expires_at = Some(i64::MAX);
            r
        })
        .chain([Record::new(
            "LOG#other",
            "2026-11-05T10:00:00Z#0000",
            json!({"severity": "error", "message": "Écriture refusée"}),
        )])
        .collect()
}

#[tokio::test]
async fn sql_and_reference_readings_agree_on_order_bounds_filters_and_limit() {
    let sqlite = SqliteStore::in_memory().unwrap();
    let memory = MemoryStore::new();
    for r in records() {
        sqlite.create(&r).await.unwrap();
        memory.create(&r).await.unwrap();
    }
    let severity = |values: &[&str]| Condition::OneOf {
        field: "severity",
        values: values.iter().map(|v| v.to_string()).collect(),
    };
    let text = |needle: &str| Condition::Contains {
        fields: vec!["message", "object_id"],
        needle: needle.into(),
    };
    // (from, below, filter, limit)
    type Case<'a> = (Option<&'a str>, Option<&'a str>, Vec<Condition>, usize);
    let cases: Vec<Case> = vec![
        (None, None, vec![], 50),
        (None, None, vec![severity(&["error"])], 1000),
        (
            None,
            Some("2026-11-10T10:00:00Z#0190"),
            vec![severity(&["warning", "error"])],
            40,
        ),
        (
            Some("2026-11-03"),
            Some("2026-11-08"),
            vec![text("refusée")],
            1000,
        ),
        (None, None, vec![severity(&["error"]), text("DOC-1")], 7),
        (None, None, vec![text("nothing like this")], 10),
        (None, None, vec![], 0),
    ];
    for (from, below, all, limit) in cases {
        let filter = Filter { all };
        let got = sqlite
            .query_back("LOG#acme", from, below, &filter, limit)
            .await
            .unwrap();
        let want = memory
            .query_back("LOG#acme", from, below, &filter, limit)
            .await
            .unwrap();
        let keys = |rs: &[Record]| rs.iter().map(|r| r.sk.clone()).collect::<Vec<_>>();
        assert_eq!(
            keys(&got),
            keys(&want),
            "{from:?} {below:?} {filter:?} {limit}"
        );
        assert!(got.windows(2).all(|w| w[0].sk > w[1].sk), "newest first");
        assert!(got.iter().all(|r| filter.matches(&r.data)));
    }
    // Concretely: "refusée" matches "REFUSÉE" (Unicode case), every seventh line.
    let refused = sqlite
        .query_back(
            "LOG#acme",
            None,
            None,
            &Filter {
                all: vec![text("refusée")],
            },
            1000,
        )
        .await
        .unwrap();
    assert_eq!(refused.len(), 300_usize.div_ceil(7));
    assert_eq!(refused[0].sk, "2026-11-15T10:00:00Z#0294");
}

#[tokio::test]
async fn a_filter_field_that_is_not_a_plain_name_is_refused() {
    let sqlite = SqliteStore::in_memory().unwrap();
    let filter = Filter {
        all: vec![Condition::OneOf {
            field: "severity') OR 1=1 --",
            values: vec!["error".into()],
        }],
    };
    let err = sqlite
        .query_back("LOG#acme", None, None, &filter, 10)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("not a plain name"), "{err}");
}

fn text_filter(needle: &str) -> Filter {
    Filter {
        all: vec![Condition::Contains {
            fields: vec!["message", "action", "object_id"],
            needle: needle.into(),
        }],
    }
}

async fn found(store: &SqliteStore, needle: &str) -> Vec<String> {
    let lines = store
        .query_back("LOG#acme", None, None, &text_filter(needle), 100)
        .await
        .unwrap();
    lines.into_iter().map(|r| r.sk).collect()
}

fn line(sk: &str, message: &str, expires_at: i64) -> Record {
    let mut r = Record::new(
        "LOG#acme",
        sk,
        json!({"message": message, "action": "none"}),
    );
    r.expires_at = Some(expires_at);
    r
}

#[tokio::test]
async fn the_text_index_follows_updates_replacements_and_purges() {
    let store = SqliteStore::in_memory().unwrap();
    let kept = line("2026-11-01#1", "Facture F-100 \"payée\"", i64::MAX);
    store.create(&kept).await.unwrap();
    store
        .create(&line("2026-11-01#2", "facture f-200", 1))
        .await
        .unwrap();
    assert_eq!(found(&store, "F-1").await, ["2026-11-01#1"]);
    assert_eq!(found(&store, "\"PAYÉE\"").await, ["2026-11-01#1"], "quotes");
    assert_eq!(
        found(&store, "f-").await,
        ["2026-11-01#1"],
        "two characters"
    );
    assert_eq!(
        found(&store, "f-200").await,
        Vec::<String>::new(),
        "expired"
    );

    // An update re-indexes the line; a create over an expired line replaces its text.
    store
        .update(&kept.next(json!({"message": "avoir A-7"})))
        .await
        .unwrap();
    assert_eq!(found(&store, "F-100").await, Vec::<String>::new());
    assert_eq!(found(&store, "a-7").await, ["2026-11-01#1"]);
    store
        .create(&line("2026-11-01#2", "relance R-300", i64::MAX))
        .await
        .unwrap();
    assert_eq!(found(&store, "R-300").await, ["2026-11-01#2"]);
    assert_eq!(found(&store, "facture").await, Vec::<String>::new());

    // A purged line leaves the index with it.
    store
        .create(&line("2026-11-01#3", "relance R-301", 1))
        .await
        .unwrap();
    assert_eq!(store.purge_expired().await.unwrap(), 1);
    store
        .create(&line("2026-11-01#3", "relance R-302", i64::MAX))
        .await
        .unwrap();
    assert_eq!(
        found(&store, "relance").await,
        ["2026-11-01#3", "2026-11-01#2"]
    );
}

#[tokio::test]
async fn a_file_of_schema_2_gets_its_log_lines_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("store.sqlite3");
    drop(SqliteStore::open(&path).unwrap());
    {
        // Back to schema 2, with a log line written by that version.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "DROP TRIGGER log_text_insert; DROP TRIGGER log_text_update;
             DROP TRIGGER log_text_delete; DROP TABLE log_text; DROP TABLE log_keys;
             DROP INDEX records_state; DELETE FROM schema_version WHERE version > 2;
             INSERT INTO records VALUES ('LOG#acme', '2026-11-01#1', 1,
                 '{\"message\": \"Écriture E-12 refusée\"}', NULL);",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(found(&store, "e-12 REFUSÉE").await, ["2026-11-01#1"]);
}

#[tokio::test]
async fn a_text_search_agrees_whether_the_newest_lines_fill_the_page_or_not() {
    let sqlite = SqliteStore::in_memory().unwrap();
    let memory = MemoryStore::new();
    // More lines than the store's first reading of the newest ones (2,000).
    for i in 0..2_500 {
        let message = if i < 40 {
            "ancienne relance"
        } else {
            "facture"
        };
        let r = line(&format!("2026-11-01#{i:05}"), message, i64::MAX);
        sqlite.create(&r).await.unwrap();
        memory.create(&r).await.unwrap();
    }
    for (needle, limit) in [("facture", 201), ("relance", 201), ("FACT", 3000)] {
        let filter = text_filter(needle);
        let got = sqlite.query_back("LOG#acme", None, None, &filter, limit);
        let want = memory.query_back("LOG#acme", None, None, &filter, limit);
        let keys = |rs: Vec<Record>| rs.into_iter().map(|r| r.sk).collect::<Vec<_>>();
        assert_eq!(
            keys(got.await.unwrap()),
            keys(want.await.unwrap()),
            "{needle}"
        );
    }
}
