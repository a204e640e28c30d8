//! The committed subset of third-party corpora (`tests/corpora/`, origins and licences in its
//! README) through the intake under both profiles of `examples/dispositions`: every message gets
//! a disposition with a reason, every part a disposition with a reason, nothing panics, and the
//! lines are exactly `tests/corpora/dispositions.golden`, which is what
//! `cargo run -p mail --example dispositions -- crates/mail/tests/corpora` prints.
//!
//! After a deliberate change: `UPDATE_DISPOSITIONS=1 cargo test -p mail --test dispositions`,
//! then review the diff of the golden file (docs/mail-corpora.md).

#[allow(dead_code)]
#[path = "../examples/dispositions/report.rs"]
mod report;

use std::path::{Path, PathBuf};

use report::{Profile, Settings};

fn corpora() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpora")
}

/// (path as the example prints it, full path), sorted.
fn messages(dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for e in std::fs::read_dir(dir).expect("tests/corpora") {
        let p = e.expect("entry").path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            if report::is_message_dir(name) {
                messages(&p, out);
            }
        } else if report::is_message_file(name) {
            let rel = p.strip_prefix(corpora()).expect("under tests/corpora");
            let rel = Path::new("corpora").join(rel);
            out.push((rel.to_string_lossy().replace('\\', "/"), p));
        }
    }
}

#[test]
fn every_message_of_the_subset_gets_a_disposition_with_a_reason_as_golden() {
    let mut files = Vec::new();
    messages(&corpora(), &mut files);
    files.sort();
    assert!(
        files.len() >= 40,
        "only {} messages in tests/corpora",
        files.len()
    );
    let mut lines = Vec::new();
    for (rel, path) in &files {
        let raw = std::fs::read(path).expect("read message");
        for profile in Profile::ALL {
            let got = report::lines(rel, &raw, profile, &Settings::default());
            let heads: Vec<&String> = got
                .iter()
                .filter(|l| l.split('\t').nth(2) == Some("-"))
                .collect();
            assert_eq!(heads.len(), 1, "{rel} [{}]: {got:?}", profile.name());
            for l in &got {
                let f: Vec<&str> = l.split('\t').collect();
                assert_eq!(f.len(), 8, "{l}");
                assert!(
                    matches!(f[3], "accepted" | "held" | "rejected" | "skipped"),
                    "{rel}: no disposition in {l}"
                );
                assert!(
                    !f[5].is_empty() && f[5] != "-" && f[5] != "unnamed_reason",
                    "{rel}: no reason in {l}"
                );
                assert!(f[3] != "accepted" || f[2] == "-" || f[4] != "-", "{l}");
            }
            lines.extend(got);
        }
    }
    let text = lines.iter().map(|l| format!("{l}\n")).collect::<String>();
    let golden = corpora().join("dispositions.golden");
    if std::env::var_os("UPDATE_DISPOSITIONS").is_some() {
        std::fs::write(&golden, &text).expect("write the golden file");
        return;
    }
    let want = std::fs::read_to_string(&golden).expect("tests/corpora/dispositions.golden");
    let want: Vec<&str> = want.lines().collect();
    let diffs: Vec<String> = want
        .iter()
        .filter(|l| !lines.iter().any(|g| g == *l))
        .map(|l| format!("- {l}"))
        .chain(
            lines
                .iter()
                .filter(|g| !want.contains(&g.as_str()))
                .map(|g| format!("+ {g}")),
        )
        .collect();
    assert!(
        diffs.is_empty() && want.len() == lines.len(),
        "{} lines differ from tests/corpora/dispositions.golden (UPDATE_DISPOSITIONS=1 to accept, then review):\n{}",
        diffs.len(),
        diffs.join("\n")
    );
    let accepted = lines
        .iter()
        .filter(|l| l.split('\t').nth(3) == Some("accepted"))
        .count();
    assert!(accepted > 10, "the subset should collect files: {accepted}");
}
