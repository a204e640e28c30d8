//! The `passerelle` binary as a user runs it: the demo end to end (its FEC through the
//! independent checker), a dry run that writes nothing, a real sync, status, log,
//! check-config listing every invalid field, `ingest` of e-invoice files, and `serve` as a real
//! process (signed and unsigned `/sync`, mail over SMTP from Python's smtplib, then `status`
//! and `log`). One test binary; a module per subject.

mod commands;
mod ingest;
mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sellsy_sim::{Sim, SimConfig};

pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passerelle"))
}

pub fn run(cmd: &mut Command) -> Output {
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

pub fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./scripts/setup",
        python.display()
    );
    python
}

pub fn fec_check(path: &str) -> serde_json::Value {
    let out = Command::new(python())
        .arg(repo().join("tools/fec_check.py"))
        .arg(path)
        .output()
        .unwrap();
    serde_json::from_slice(&out.stdout).expect("checker JSON")
}

pub async fn small_sim(invoices: usize, credit_notes: usize) -> Sim {
    Sim::start(SimConfig {
        invoices,
        credit_notes,
        per_second: 200,
        per_minute: 10_000,
        ..SimConfig::default()
    })
    .await
    .unwrap()
}

/// `passerelle <args> --config <cfg>` with the simulator's secret in the environment.
pub fn with_config(args: &[&str], cfg: &Path, sellsy_secret: &str) -> Command {
    let mut c = bin();
    c.args(args)
        .arg("--config")
        .arg(cfg)
        .env("PASSERELLE_TEST_SELLSY_SECRET", sellsy_secret);
    c
}

pub fn config(dir: &Path, sim: &Sim) -> PathBuf {
    config_with(dir, sim, "")
}

/// The example dossier pointed at the simulator, with more `[service]` keys.
pub fn config_with(dir: &Path, sim: &Sim, service: &str) -> PathBuf {
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let text = format!(
        "[service]\ndata_dir = \"data\"\nmail_domains = [\"collecte.example.fr\"]\n{service}\n{example}\n[dossier.sellsy]\nclient_id = \"{}\"\nclient_secret_env = \"PASSERELLE_TEST_SELLSY_SECRET\"\napi_base = \"{}\"\ntoken_url = \"{}\"\n",
        sim.client_id(),
        sim.api_base(),
        sim.token_url()
    );
    let path = dir.join("dossiers.toml");
    std::fs::write(&path, text).unwrap();
    path
}
