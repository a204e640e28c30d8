//! The `passerelle` binary as a user runs it: the demo end to end (its FEC through the
//! independent checker), a dry run that writes nothing, a real sync, status, log, and
//! check-config listing every invalid field.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sellsy_sim::{Sim, SimConfig};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passerelle"))
}

fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().expect("run passerelle");
    if !out.status.success() {
        eprintln!(
            "stdout: {}\nstderr: {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fec_check(path: &str) -> serde_json::Value {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run scripts/setup",
        python.display()
    );
    let out = Command::new(python)
        .arg(repo().join("tools/fec_check.py"))
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("checker JSON")
}

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
}

fn config(dir: &Path, sim: &Sim) -> PathBuf {
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let text = format!(
        "[service]\ndata_dir = \"data\"\nmail_domains = [\"collecte.example.fr\"]\n\n{example}\n[dossier.sellsy]\nclient_id = \"{}\"\nclient_secret_env = \"PASSERELLE_TEST_SELLSY_SECRET\"\napi_base = \"{}\"\ntoken_url = \"{}\"\n",
        sim.client_id(),
        sim.api_base(),
        sim.token_url()
    );
    let path = dir.join("dossiers.toml");
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dry_run_writes_nothing_then_sync_status_and_log_tell_what_happened() {
    let sim = Sim::start(SimConfig {
        invoices: 40,
        credit_notes: 5,
        per_second: 200,
        per_minute: 10_000,
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), &sim);
    let secret = sim.client_secret();
    let cmd = |args: &[&str]| {
        let mut c = bin();
        c.args(args)
            .arg("--config")
            .arg(&cfg)
            .env("PASSERELLE_TEST_SELLSY_SECRET", &secret);
        c
    };

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
    let entries = dry["entries"].as_array().unwrap();
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
    sim.stop().await;
}

#[test]
fn check_config_lists_every_invalid_field_with_exit_code_3() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let broken = example
        .replace("sales = \"VT\"", "sales = \"VENTES\"")
        .replace("rounding_debit = \"658000\"", "")
        .replace("start_date = \"2026-01-01\"", "start_date = \"2026-13-01\"");
    let path = dir.path().join("bad.toml");
    std::fs::write(&path, broken).unwrap();
    let out = bin()
        .args(["check-config", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8_lossy(&out.stderr);
    for field in ["journals.sales", "accounts.rounding_debit", "start_date"] {
        assert!(err.contains(field), "{field} missing from: {err}");
    }
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
