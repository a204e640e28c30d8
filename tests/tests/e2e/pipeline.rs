//! The pipeline end to end through the `passerelle` binary and the Sellsy simulator: the demo,
//! then a dry run, a sync (pull, map, SQLite, push to the FEC sink), status, log, export-fec,
//! push and test-connection; each FEC written passes the independent checker.

use super::*;

#[test]
fn the_demo_runs_end_to_end_and_its_fec_passes_the_independent_checker() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(bin()
        .args(["demo", "--invoices", "120", "--json", "--dir"])
        .arg(dir.path().join("demo")));
    assert!(out.status.success());
    let report = json(&out);
    assert!(report["documents_pulled"].as_u64().unwrap() > 100);
    assert!(report["entries_booked"].as_u64().unwrap() > 100);
    assert_eq!(report["files_filed"], 2);
    assert_eq!(report["second_run"]["new"], 0);
    assert_eq!(report["second_run"]["modified_after_copy"], 1);
    let mails = report["mails"].as_array().unwrap();
    assert_eq!(mails[0]["accepted"].as_array().unwrap().len(), 2);
    // The Factur-X invoice Welyb forwards is booked from its data, as a purchase.
    assert_eq!(
        mails[1]["accepted"].as_array().unwrap().len(),
        1,
        "{}",
        mails[1]
    );
    assert_eq!(report["einvoices_booked"], 1, "{report}");
    for m in &mails[2..] {
        assert!(m["accepted"].as_array().unwrap().is_empty(), "{m}");
        assert!(!m["rejected"].as_array().unwrap().is_empty(), "{m}");
    }
    let warnings = report["warnings"].as_array().unwrap();
    assert!(
        warnings
            .iter()
            .any(|w| w["action"].as_str().unwrap().contains("credit note"))
    );
    assert!(
        warnings
            .iter()
            .any(|w| w["action"].as_str().unwrap().contains("sync_without_pdf"))
    );
    let checked = fec_check(report["fec"].as_str().unwrap());
    assert_eq!(checked["ok"], true, "{checked}");
    assert_eq!(checked["errors"].as_array().unwrap().len(), 0);
    assert_eq!(checked["stats"]["ecritures"], report["entries_booked"]);
    // Issue 17: the demo dossier books sales and purchases; purchases land in journal HA.
    let purchases = report["purchases_booked"].as_u64().unwrap();
    assert!(purchases >= 5, "{report}");
    let fec = std::fs::read_to_string(report["fec"].as_str().unwrap()).unwrap();
    let ha = fec
        .lines()
        .filter(|l| l.starts_with("HA\t") || l.starts_with("HA|"))
        .count();
    assert!(
        ha as u64 >= 3 * purchases,
        "{ha} lines in journal HA for {purchases} purchases"
    );
    assert!(
        warnings.iter().any(|w| w["message"]
            .as_str()
            .unwrap()
            .contains("still pending in Sellsy")),
        "incoming documents not yet purchases are listed: {warnings:?}"
    );
}

/// A small simulated account, fast enough for the tests.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_then_sync_status_and_log_tell_what_happened() {
    let sim = small_sim(40, 5).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sim);
    let secret = sim.client_secret();
    let cmd = |args: &[&str]| with_config(args, &cfg, &secret);

    let out = tokio::task::spawn_blocking({
        let mut c = cmd(&[
            "sync",
            "acme",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--dry-run",
            "--json",
        ]);
        move || run(&mut c)
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let dry = json(&out);
    assert_eq!(dry["dry_run"], true);
    let documents = dry["documents"].as_array().unwrap();
    assert_eq!(documents.len() as u64, dry["pulled"].as_u64().unwrap());
    for d in documents {
        match d["fate"].as_str().unwrap() {
            "would_be_booked" => {}
            "held" | "skipped" => {
                assert!(d["reason"].is_string() && d["action"].is_string(), "{d}")
            }
            other => panic!("unknown fate {other}: {d}"),
        }
    }
    let entries: Vec<&serde_json::Value> = documents
        .iter()
        .filter(|d| d["fate"] == "would_be_booked")
        .collect();
    assert_eq!(
        entries.len() as u64,
        dry["would_be_booked"].as_u64().unwrap()
    );
    assert!(entries.len() > 30, "{}", entries.len());
    assert!(entries[0]["entry"]["lines"].as_array().unwrap().len() >= 2);
    assert!(
        !dir.path().join("data").exists(),
        "a dry run writes nothing"
    );

    let out = tokio::task::spawn_blocking({
        let mut c = cmd(&[
            "sync",
            "acme",
            "--from",
            "2026-01-01",
            "--to",
            "2026-12-31",
            "--json",
        ]);
        move || run(&mut c)
    })
    .await
    .unwrap();
    assert!(out.status.success());
    let synced = json(&out);
    assert_eq!(
        synced["states"]["pushed"].as_u64().unwrap() as usize,
        entries.len()
    );

    let out = run(&mut cmd(&["status", "--json"]));
    let status = json(&out);
    assert_eq!(status[0]["dossier"], "acme");
    assert_eq!(
        status[0]["states"]["pushed"].as_u64().unwrap() as usize,
        entries.len()
    );
    let out = run(&mut cmd(&["log", "acme", "--json"]));
    let log = json(&out);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("booked"))
    );
    let out_dir = dir.path().to_str().unwrap().to_string();
    let out = run(&mut cmd(&["export-fec", "acme", "2026", "--out", &out_dir]));
    assert!(out.status.success());
    let checked = fec_check(
        dir.path()
            .join("732829320FEC20261231.txt")
            .to_str()
            .unwrap(),
    );
    assert_eq!(checked["ok"], true, "{checked}");
    exports_in_every_variant(dir.path(), &cmd);

    // Nothing is left to push; the connections answer.
    let out = run(&mut cmd(&["push", "--json"]));
    assert_eq!(out.status.code(), Some(0));
    let pushed = json(&out);
    assert_eq!(pushed[0]["dossier"], "acme");
    assert_eq!(pushed[0]["queued"], 0);
    assert_eq!(pushed[0]["failed"], 0);
    let out = tokio::task::spawn_blocking({
        let mut c = cmd(&["test-connection", "acme", "--json"]);
        move || run(&mut c)
    })
    .await
    .unwrap();
    let checks = json(&out);
    assert_eq!(checks["ok"], true, "{checks}");
    assert_eq!(out.status.code(), Some(0));
    // Sellsy, the ledger, and its chart (the FEC has none: every PCG account is valid).
    let names: Vec<&str> = checks["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Sellsy", "fec", "accounts"], "{checks}");
    let out = run(&mut with_config(
        &["test-connection", "acme"],
        &cfg,
        "a wrong secret",
    ));
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("FAILED") && text.contains("→"), "{text}");
    sim.stop().await;
}
/// Beside each export its description; the variants firms ask for (issue 14, defect 11).
fn exports_in_every_variant(dir: &std::path::Path, cmd: &dyn Fn(&[&str]) -> std::process::Command) {
    let description = std::fs::read_to_string(dir.join("732829320FEC20261231.description.txt"))
        .expect("the description beside the export");
    assert!(
        description.contains("Field separator: tabulation"),
        "{description}"
    );
    let tab = std::fs::read(dir.join("732829320FEC20261231.txt")).unwrap();
    let variant_dir = dir.join("pipe-latin9");
    let out = run(&mut cmd(&[
        "export-fec",
        "acme",
        "2026-12-31",
        "--separator",
        "pipe",
        "--charset",
        "iso-8859-15",
        "--out",
        variant_dir.to_str().unwrap(),
    ]));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let pipe = std::fs::read(variant_dir.join("732829320FEC20261231.txt")).unwrap();
    // The same entries, numbers, dates and amounts in the other variant.
    let key = |text: &str, sep: char| -> Vec<String> {
        text.lines()
            .map(|l| {
                let f: Vec<&str> = l.split(sep).collect();
                [0, 2, 3, 4, 11, 12, 15].map(|i| f[i]).join(" ")
            })
            .collect()
    };
    assert_eq!(
        key(&encoding_rs::ISO_8859_15.decode(&pipe).0, '|'),
        key(&String::from_utf8(tab).unwrap(), '\t')
    );
    let description =
        std::fs::read_to_string(variant_dir.join("732829320FEC20261231.description.txt")).unwrap();
    assert!(
        description.contains("ISO 8859-15") && description.contains("vertical bar"),
        "{description}"
    );
    let checked = fec_check(
        variant_dir
            .join("732829320FEC20261231.txt")
            .to_str()
            .unwrap(),
    );
    assert_eq!(checked["ok"], true, "{checked}");
    let out = run(&mut cmd(&["export-fec", "acme", "2026-06-30"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("closes on 2026-12-31"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Issue 13: every missing scope is listed with what it disables; a scope the pull can do
/// without is a warning (exit 0), one it cannot is a failure (exit 1).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_connection_lists_each_missing_scope_with_what_it_disables() {
    let sim = small_sim(3, 1).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sim);
    let secret = sim.client_secret();
    let granted = |without: &[&str]| -> Vec<&str> {
        simulators::sellsy::ALL_SCOPES
            .iter()
            .copied()
            .filter(|s| !without.contains(s))
            .collect()
    };
    let check = |args: &'static [&'static str]| {
        let mut c = with_config(args, &cfg, &secret);
        tokio::task::spawn_blocking(move || run(&mut c))
    };

    sim.set_scopes(&granted(&["accounts.read", "companies.read"]));
    let out = check(&["test-connection", "acme", "--json"]).await.unwrap();
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    let checks = report["checks"].as_array().unwrap();
    for scope in ["accounts.read", "companies.read"] {
        let line = checks
            .iter()
            .find(|c| c["check"] == format!("scope {scope}"))
            .unwrap_or_else(|| panic!("no line for {scope}: {report}"));
        assert_eq!(line["severity"], "warning", "{line}");
        assert!(line["detail"].as_str().unwrap().len() > 20, "{line}");
        assert!(line["action"].as_str().unwrap().contains(scope), "{line}");
    }
    assert!(
        checks
            .iter()
            .find(|c| c["check"] == "scope accounts.read")
            .unwrap()["detail"]
            .as_str()
            .unwrap()
            .contains("default quotas")
    );

    sim.set_scopes(&granted(&["credit-notes.read"]));
    let out = check(&["test-connection", "acme"]).await.unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("scope credit-notes.read") && l.contains("FAILED")),
        "{text}"
    );
    assert!(text.contains("every pull fails"), "{text}");
    sim.stop().await;
}

/// Issue 14, defect 9: in mode `journal`, two Sellsy journals whose names give one code
/// ("Ventes France", "Ventes export" → VENT) never share one number series: a sync books the
/// first journal's documents under VENT and holds the other's, whatever run they come in;
/// `test-connection` finds the clash with the `[dossier.journal_codes]` fix; once mapped, the
/// held documents are booked under their own code and the check passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_sellsy_journals_that_would_share_one_code_are_found_and_never_mixed() {
    let sim = sim_with_two_sales_journals().await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sim);
    let text = std::fs::read_to_string(&cfg).unwrap();
    let journal_mode = text.replacen("mode = \"documents\"", "mode = \"journal\"", 1);
    assert_ne!(journal_mode, text, "the example dossier has no mode line");
    std::fs::write(&cfg, &journal_mode).unwrap();
    let secret = sim.client_secret();
    let command = |args: &'static [&'static str]| {
        let mut c = with_config(args, &cfg, &secret);
        tokio::task::spawn_blocking(move || run(&mut c))
    };
    let sync: &[&str] = &[
        "sync",
        "acme",
        "--from",
        "2026-01-01",
        "--to",
        "2026-12-31",
        "--json",
    ];

    let out = command(sync).await.unwrap();
    let synced = json(&out);
    let held = synced["states"]["held"].as_u64().unwrap_or(0);
    let pushed = synced["states"]["pushed"].as_u64().unwrap_or(0);
    assert!(
        held >= 1 && pushed >= 1,
        "one journal booked, the other held: {synced}"
    );
    let log = json(&command(&["log", "acme", "--json"]).await.unwrap());
    let clash = log
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["message"].as_str())
        .find(|m| m.contains("the code already booked for"))
        .unwrap_or_else(|| panic!("no journal-code hold in the log: {log}"))
        .to_string();
    let first = if clash.ends_with(
        "booked for \"Ventes France\": one number series under two labels; it is not booked",
    ) {
        "Ventes France"
    } else {
        "Ventes export"
    };
    assert!(clash.contains(first), "{clash}");

    let out = command(&["test-connection", "acme", "--json"])
        .await
        .unwrap();
    let report = json(&out);
    assert_eq!(out.status.code(), Some(1), "{report}");
    let line = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "journal code VENT")
        .unwrap_or_else(|| panic!("no journal-code line: {report}"));
    assert_eq!(line["severity"], "error", "{line}");
    let detail = line["detail"].as_str().unwrap();
    assert!(
        detail.contains("Ventes France") && detail.contains("Ventes export"),
        "{line}"
    );
    assert!(
        line["action"]
            .as_str()
            .unwrap()
            .contains("[dossier.journal_codes]"),
        "{line}"
    );

    // The journal booked first keeps VENT (its entries are validated); the other gets VEXP.
    let other = if first == "Ventes France" {
        "Ventes export"
    } else {
        "Ventes France"
    };
    let mapped = journal_mode.replacen(
        "[dossier.journals]",
        &format!("[dossier.journal_codes]\n\"{first}\" = \"VENT\"\n\"{other}\" = \"VEXP\"\n\n[dossier.journals]"),
        1,
    );
    std::fs::write(&cfg, &mapped).unwrap();
    // A sync alone does not map unchanged documents again: "Relancer" does.
    let out = command(sync).await.unwrap();
    assert_eq!(
        json(&out)["states"]["held"].as_u64(),
        Some(held),
        "still held until retried"
    );
    let out = command(&["retry", "acme", "--all", "--json"])
        .await
        .unwrap();
    let retried = json(&out);
    assert_eq!(out.status.code(), Some(0), "{retried}");
    let rows = retried.as_array().unwrap();
    assert_eq!(rows.len() as u64, held, "{retried}");
    assert!(
        rows.iter()
            .all(|r| r["retried"] == true && r["state"] == "pushed"),
        "{retried}"
    );
    let status = json(&command(&["status", "--json"]).await.unwrap());
    assert_eq!(
        status[0]["states"]["pushed"].as_u64().unwrap(),
        pushed + held,
        "{status}"
    );
    assert!(status[0]["states"]["held"].is_null(), "{status}");
    let log = json(&command(&["log", "acme", "--json"]).await.unwrap());
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|e| e["message"].as_str().unwrap().contains("retry asked by")),
        "the retry and who asked it are in the log: {log}"
    );
    a_booked_document_is_never_retried(&cfg, &secret, rows[0]["key"].as_str().unwrap()).await;
    let out = command(&["test-connection", "acme", "--json"])
        .await
        .unwrap();
    let report = json(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    let line = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["check"] == "journal codes")
        .unwrap_or_else(|| panic!("no journal-codes line: {report}"));
    let detail = line["detail"].as_str().unwrap();
    assert!(
        detail.contains(&format!("\"{first}\" → VENT"))
            && detail.contains(&format!("\"{other}\" → VEXP")),
        "{line}"
    );
    sim.stop().await;
}

/// `retry` on a booked document is refused with the reason, exit 1.
async fn a_booked_document_is_never_retried(cfg: &Path, secret: &str, booked: &str) {
    let out = tokio::task::spawn_blocking({
        let mut c = with_config(&["retry", "acme", booked, "--json"], cfg, secret);
        move || run(&mut c)
    })
    .await
    .unwrap();
    let refused = json(&out);
    assert_eq!(out.status.code(), Some(1), "{refused}");
    assert_eq!(refused[0]["retried"], false, "{refused}");
    assert!(
        refused[0]["reason"]
            .as_str()
            .unwrap()
            .contains("only held and rejected"),
        "{refused}"
    );
}

/// A small simulated account whose invoices alternate between the Sellsy journals "Ventes
/// France" and "Ventes export".
async fn sim_with_two_sales_journals() -> Sim {
    use simulators::sellsy::Kind;
    let sim = small_sim(6, 0).await;
    let ids: Vec<u64> = sim
        .documents(Kind::Invoice)
        .iter()
        .filter(|d| d.status != "draft")
        .map(|d| d.id)
        .collect();
    assert!(ids.len() >= 2, "the simulator made too few invoices");
    for (i, id) in ids.iter().enumerate() {
        let name = if i % 2 == 0 {
            "Ventes France"
        } else {
            "Ventes export"
        };
        assert!(sim.set_journal(Kind::Invoice, *id, name));
    }
    sim
}
