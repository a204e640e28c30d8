//! The one-shot commands: demo, dry run then sync, status and log, check-config, help.

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
    for m in &mails[1..] {
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
    assert_eq!(checks["checks"].as_array().unwrap().len(), 2, "{checks}");
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

#[test]
fn check_config_lists_every_invalid_field_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    // Dossier fields and the runtime's sections wrong together: all reported in one go.
    let broken = format!(
        "[service]\nhttp_listen = \"localhost\"\nnightly_at = \"25:00\"\ntime_zone = \"Paris\"\n{}\n[dossier.ledger]\nkind = \"pennylane\"\n",
        example
            .replace("sales = \"VT\"", "sales = \"VENTES\"")
            .replace("rounding_debit = \"658000\"", "")
            .replace("start_date = \"2026-01-01\"", "start_date = \"2026-13-01\"")
    );
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, broken).unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    for field in [
        "journals.sales",
        "accounts.rounding_debit",
        "start_date",
        "service.http_listen",
        "service.nightly_at",
        "service.time_zone",
        "dossier[0].ledger.token",
    ] {
        assert!(err.contains(field), "{field} missing from: {err}");
    }
    assert!(err.starts_with("7 problems"), "{err}");
    // serve validates exactly like check-config, before anything starts.
    let out = bin()
        .args(["serve", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8_lossy(&out.stderr), err);
    assert!(err.contains("Fix:"));
    let ok = bin()
        .args(["check-config", "--config"])
        .arg(repo().join("infra/dossiers.example.toml"))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
}

#[test]
fn every_command_has_help_with_an_example() {
    for cmd in [
        "demo",
        "serve",
        "push",
        "test-connection",
        "check-config",
        "sync",
        "ingest",
        "export-fec",
        "status",
        "log",
    ] {
        let out = bin().args([cmd, "--help"]).output().unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Example"), "{cmd} --help has no example");
    }
}
