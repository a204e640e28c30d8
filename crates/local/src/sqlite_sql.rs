//! The SQL of [`SqliteStore`](crate::SqliteStore)'s reads that filter or count in the statement:
//! the migrations that index them and the statements written to use those indexes.

use app::ports::{Condition, Filter, StoreError};
use rusqlite::types::Value;

/// Schema migrations, applied in order; migration `i` brings the schema to version `i + 1`.
/// Append, never edit: a file opened by this code records which ones it has applied.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: the records table. Sort keys compare with SQLite's BINARY collation, i.e. byte order of
    // UTF-8, which is Rust's `str` order and DynamoDB's sort-key order.
    "CREATE TABLE records (
         pk         TEXT    NOT NULL,
         sk         TEXT    NOT NULL,
         version    INTEGER NOT NULL,
         data       TEXT    NOT NULL,
         expires_at INTEGER,
         PRIMARY KEY (pk, sk)
     ) WITHOUT ROWID;
     CREATE INDEX records_expiry ON records (expires_at) WHERE expires_at IS NOT NULL;",
    // 2: the integration log filtered on severity (the console's "errors only") reads only the
    // matching lines, newest first, instead of every line of the dossier. The expression is
    // `back_statement`'s, letter for letter (else SQLite does not use the index); `json_valid`
    // keeps an unreadable item writable and readable as `Corrupt`.
    "CREATE INDEX records_severity ON records
         (pk, (CASE WHEN json_valid(data) THEN json_extract(data, '$.severity') END), sk);",
    // 3: a dossier's documents counted by state (the console's dossiers page) from this index
    // alone, without reading the items: `count_statement`'s expression, letter for letter, and
    // `expires_at` so the index covers the query.
    "CREATE INDEX records_state ON records (pk,
         (CASE WHEN json_valid(data) AND json_type(data, '$.state') = 'text'
               THEN json_extract(data, '$.state') END),
         expires_at);",
    // 4: the integration log's text search. `log_text` (FTS5, trigram: substrings of 3
    // characters or more, case folded) indexes the fields of `LOG_TEXT_FIELDS`; FTS5 needs an
    // integer row id, which the WITHOUT ROWID records lack, so `log_keys` gives each log line
    // one. Triggers keep both in step with every write and purge, in the writing statement.
    "CREATE TABLE log_keys (
         id INTEGER PRIMARY KEY,
         pk TEXT NOT NULL,
         sk TEXT NOT NULL,
         UNIQUE (pk, sk)
     );
     CREATE VIRTUAL TABLE log_text USING fts5 (
         message, action, object_id,
         content = '', contentless_delete = 1, tokenize = 'trigram'
     );
     CREATE TRIGGER log_text_insert AFTER INSERT ON records WHEN new.pk GLOB 'LOG#*' BEGIN
         INSERT INTO log_keys (pk, sk) VALUES (new.pk, new.sk);
         INSERT INTO log_text (rowid, message, action, object_id) VALUES (
             last_insert_rowid(),
             CASE WHEN json_valid(new.data) THEN json_extract(new.data, '$.message') END,
             CASE WHEN json_valid(new.data) THEN json_extract(new.data, '$.action') END,
             CASE WHEN json_valid(new.data) THEN json_extract(new.data, '$.object_id') END);
     END;
     CREATE TRIGGER log_text_update AFTER UPDATE OF data ON records WHEN new.pk GLOB 'LOG#*'
     BEGIN
         DELETE FROM log_text
             WHERE rowid = (SELECT id FROM log_keys WHERE pk = new.pk AND sk = new.sk);
         INSERT INTO log_text (rowid, message, action, object_id) VALUES (
             (SELECT id FROM log_keys WHERE pk = new.pk AND sk = new.sk),
             CASE WHEN json_valid(new.data) THEN json_extract(new.data, '$.message') END,
             CASE WHEN json_valid(new.data) THEN json_extract(new.data, '$.action') END,
             CASE WHEN json_valid(new.data) THEN json_extract(new.data, '$.object_id') END);
     END;
     CREATE TRIGGER log_text_delete AFTER DELETE ON records WHEN old.pk GLOB 'LOG#*' BEGIN
         DELETE FROM log_text
             WHERE rowid = (SELECT id FROM log_keys WHERE pk = old.pk AND sk = old.sk);
         DELETE FROM log_keys WHERE pk = old.pk AND sk = old.sk;
     END;
     INSERT INTO log_keys (pk, sk) SELECT pk, sk FROM records WHERE pk GLOB 'LOG#*';
     INSERT INTO log_text (rowid, message, action, object_id)
         SELECT k.id,
             CASE WHEN json_valid(r.data) THEN json_extract(r.data, '$.message') END,
             CASE WHEN json_valid(r.data) THEN json_extract(r.data, '$.action') END,
             CASE WHEN json_valid(r.data) THEN json_extract(r.data, '$.object_id') END
         FROM log_keys k JOIN records r ON r.pk = k.pk AND r.sk = k.sk;",
];

/// The partitions whose items `log_text` indexes (`app`'s integration log, `LOG#<dossier>`),
/// and the fields it indexes.
const LOG_PREFIX: &str = "LOG#";
const LOG_TEXT_FIELDS: [&str; 3] = ["message", "action", "object_id"];

/// Trigram search finds substrings of at least this many characters; shorter needles are
/// looked for line by line.
const TRIGRAM: usize = 3;

/// A text search first reads this many of the newest lines of the range: a word found in most
/// lines fills the page there, where the text index would hand over all its matches in every
/// dossier; only when the page is not full is the index asked.
pub(crate) const PROBE: usize = 2000;

/// Can `log_text` find the lines of this condition?
fn text_indexed(pk: &str, condition: &Condition) -> bool {
    matches!(condition, Condition::Contains { fields, needle }
        if pk.starts_with(LOG_PREFIX)
            && needle.chars().count() >= TRIGRAM
            && fields.iter().all(|f| LOG_TEXT_FIELDS.contains(f)))
}

/// Does a reading with this filter use the text index?
pub(crate) fn uses_text_index(pk: &str, filter: &Filter) -> bool {
    filter.all.iter().any(|c| text_indexed(pk, c))
}

pub(crate) const COLUMNS: &str = "pk, sk, version, data, expires_at";

/// Field names are spliced into the JSON path (an index matches on the literal path), so only
/// plain names are accepted.
fn plain(field: &str) -> Result<&str, StoreError> {
    if !field.is_empty() && field.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        Ok(field)
    } else {
        Err(StoreError::Unavailable(format!(
            "sqlite: filter field {field:?} is not a plain name"
        )))
    }
}

/// The SQL of [`RecordStore::count_by`](app::ports::RecordStore::count_by) for `values`
/// values (`?3`…): one count per value, each on `records_state` alone when the field is
/// `state` (migration 3's expression). SQLite reads an indexed expression from the index when
/// the expression is compared to a value, not when it is grouped by, hence one arm per value.
pub(crate) fn count_statement(field: &str, values: usize) -> Result<String, StoreError> {
    let field = plain(field)?;
    let value = format!(
        "(CASE WHEN json_valid(data) AND json_type(data, '$.{field}') = 'text'
               THEN json_extract(data, '$.{field}') END)"
    );
    let arms: Vec<String> = (0..values)
        .map(|i| {
            format!(
                "SELECT {i}, count(*) FROM records
                 WHERE pk = ?1 AND (expires_at IS NULL OR expires_at >= ?2) AND {value} = ?{}",
                i + 3
            )
        })
        .collect();
    Ok(arms.join(" UNION ALL "))
}

/// The SQL of [`RecordStore::query_back`](app::ports::RecordStore::query_back), with every
/// condition in SQL so the limit counts matching rows only: a backwards range scan of the
/// primary key; for a severity, of `records_severity`, one arm per severity merged in key order
/// (SQLite's planner, without statistics, prefers the primary key and reads every line until
/// enough errors turn up; one `IN` over the index would sort every match); for a text, the
/// lines `log_text` finds. With `probe`, the text index is left aside and only the newest
/// `probe` lines of the range are read (see [`PROBE`]).
pub(crate) fn back_statement(
    pk: &str,
    from: Option<&str>,
    below: Option<&str>,
    filter: &Filter,
    limit: usize,
    now: i64,
    probe: Option<usize>,
) -> Result<(String, Vec<Value>), StoreError> {
    let mut conditions = String::new();
    let mut params = vec![Value::Text(pk.to_owned()), Value::Integer(now)];
    let param = |v: String, params: &mut Vec<Value>| {
        params.push(Value::Text(v));
        format!("?{}", params.len())
    };
    for (op, bound) in [(">=", from), ("<", below)] {
        if let Some(bound) = bound {
            conditions += &format!(" AND sk {op} {}", param(bound.to_owned(), &mut params));
        }
    }
    if let Some(n) = probe {
        // From the key of the `n`th newest line of the range (all of it when shorter).
        params.push(Value::Integer(
            i64::try_from(n.max(1) - 1).unwrap_or(i64::MAX),
        ));
        conditions = format!(
            "{conditions} AND sk >= COALESCE((SELECT sk FROM records WHERE pk = ?1{conditions}
                                    ORDER BY sk DESC LIMIT 1 OFFSET ?{}), '')",
            params.len()
        );
    }
    let path = |field: &str| {
        Ok::<_, StoreError>(format!(
            "(CASE WHEN json_valid(data) THEN json_extract(data, '$.{}') END)",
            plain(field)?
        ))
    };
    // The severities, each the arm of a merge over `records_severity`.
    let mut severities: Option<Vec<String>> = None;
    for condition in &filter.all {
        match condition {
            Condition::OneOf { field, values } if *field == "severity" && severities.is_none() => {
                severities = Some(
                    values
                        .iter()
                        .map(|v| param(v.clone(), &mut params))
                        .collect(),
                );
            }
            Condition::OneOf { field, values } => {
                let list: Vec<String> = values
                    .iter()
                    .map(|v| param(v.clone(), &mut params))
                    .collect();
                conditions += &format!(" AND {} IN ({})", path(field)?, list.join(", "));
            }
            Condition::Contains { fields, needle } => {
                if probe.is_none() && text_indexed(pk, condition) {
                    // The lines whose indexed fields contain the needle (a quoted FTS5 phrase
                    // is a substring for the trigram tokenizer); `pl_contains` below still
                    // decides, so the meaning is the memory store's on the few lines found.
                    let phrase = format!("\"{}\"", needle.replace('"', "\"\""));
                    let m = param(phrase, &mut params);
                    conditions += &format!(
                        " AND sk IN (SELECT k.sk FROM log_text t JOIN log_keys k ON k.id = t.rowid
                                     WHERE log_text MATCH {m} AND k.pk = ?1)"
                    );
                }
                let n = param(needle.clone(), &mut params);
                let any: Vec<String> = fields
                    .iter()
                    .map(|f| Ok(format!("pl_contains({}, {n})", path(f)?)))
                    .collect::<Result<_, StoreError>>()?;
                conditions += &format!(" AND ({})", any.join(" OR "));
            }
        }
    }
    let select = |index: &str, more: &str| {
        format!(
            "SELECT {COLUMNS} FROM records{index}
             WHERE pk = ?1 AND (expires_at IS NULL OR expires_at >= ?2){conditions}{more}"
        )
    };
    let mut statement = match severities {
        None => select("", ""),
        Some(values) if values.is_empty() => select("", " AND 0"),
        Some(values) => {
            let severity = path("severity")?;
            let arms: Vec<String> = values
                .iter()
                .map(|v| {
                    select(
                        " INDEXED BY records_severity",
                        &format!(" AND {severity} = {v}"),
                    )
                })
                .collect();
            arms.join(" UNION ALL ")
        }
    };
    params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
    statement += &format!(" ORDER BY sk DESC LIMIT ?{}", params.len());
    Ok((statement, params))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::Connection;

    fn schema() -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        crate::sqlite::register_functions(&conn).unwrap();
        crate::sqlite::migrate(&mut conn).unwrap();
        conn
    }

    /// SQLite's plan for a statement, one step a line.
    fn plan(conn: &Connection, (statement, params): (String, Vec<Value>)) -> String {
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {statement}"))
            .unwrap();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("\n")
    }

    fn one_of(values: &[&str]) -> Condition {
        Condition::OneOf {
            field: "severity",
            values: values.iter().map(|v| v.to_string()).collect(),
        }
    }

    fn text(needle: &str) -> Condition {
        Condition::Contains {
            fields: vec!["message", "action", "object_id"],
            needle: needle.into(),
        }
    }

    fn back(all: Vec<Condition>) -> (String, Vec<Value>) {
        let (from, below) = (Some("2026-11-01"), Some("2026-12-01"));
        back_statement("LOG#acme", from, below, &Filter { all }, 201, 0, None).unwrap()
    }

    #[test]
    fn each_read_uses_its_index() {
        let conn = schema();
        let p = plan(&conn, back(vec![]));
        assert!(
            p.contains("USING PRIMARY KEY") && !p.contains("TEMP B-TREE"),
            "{p}"
        );
        for values in [&["error"][..], &["warning", "error"]] {
            let p = plan(&conn, back(vec![one_of(values)]));
            assert!(
                p.contains("INDEX records_severity") && !p.contains("TEMP B-TREE"),
                "{values:?}: {p}"
            );
        }
        let p = plan(&conn, back(vec![text("F-4242")]));
        // The lines found, each read by its key, in key order (no sort).
        assert!(
            p.contains("VIRTUAL TABLE INDEX") && p.contains("(pk=? AND sk=?)"),
            "{p}"
        );
        assert!(!p.contains("TEMP B-TREE"), "{p}");
        let p = plan(&conn, back(vec![text("F-")]));
        assert!(!p.contains("log_text"), "two characters: a scan, {p}");
        let count = count_statement("state", 2).unwrap();
        let doc = |v: &str| Value::from(v.to_string());
        let p = plan(
            &conn,
            (count, vec![doc("DOC#acme"), 0.into(), doc("a"), doc("b")]),
        );
        assert_eq!(p.matches("COVERING INDEX records_state").count(), 2, "{p}");
    }
}
