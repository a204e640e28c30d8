//! End to end, across the crates and over real protocols, in one test binary (one link of the
//! AWS SDK and the simulators; a module per suite):
//!
//! - `pipeline`: the `passerelle` binary as a user runs it on the Sellsy simulator: the demo
//!   end to end, then a dry run that writes nothing, a real sync (pull, map, SQLite, push to the
//!   FEC), status, log, export-fec, each FEC through the independent checker.
//! - `ingest`: e-invoice files (Factur-X PDF, CII XML) through `passerelle ingest`.
//! - `serve`: `passerelle serve` as a real process (signed and unsigned `/sync`, mail over SMTP
//!   from Python's smtplib, the worker, then `status` and `log` from another process, SIGTERM).
//! - `handlers`: each Lambda function's handler over moto_server, the Sellsy simulator and the
//!   Inqom mock.
//!
//! The `passerelle` binary is found next to this test's directory (see [`bin`]); the servers
//! (the simulator, moto, `serve`) are started on 127.0.0.1 by the tests themselves.

mod handlers;
mod ingest;
mod pipeline;
mod serve;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use simulators::sellsy::{Sim, SimConfig};

/// `passerelle`, the binary a user runs.
pub fn bin() -> Command {
    Command::new(passerelle_exe())
}

/// The `passerelle` binary of this target directory. `CARGO_BIN_EXE_passerelle` exists only in
/// the passerelle package's own tests, so it is found the way assert_cmd's `cargo_bin` finds a
/// binary: in the directory above this test executable's `deps/`.
fn passerelle_exe() -> PathBuf {
    static EXE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    EXE.get_or_init(|| {
        let test = std::env::current_exe().expect("the test executable's path");
        let mut dir = test.parent().expect("its directory").to_path_buf();
        if dir.ends_with("deps") {
            dir.pop();
        }
        let exe = dir.join(format!("passerelle{}", std::env::consts::EXE_SUFFIX));
        assert!(
            exe.is_file(),
            "{} is missing: these tests run the passerelle binary, and cargo builds it only for \
             the passerelle package's tests. Run `cargo test -p passerelle -p e2e` (or the \
             whole workspace), not `cargo test -p e2e` alone.",
            exe.display()
        );
        exe
    })
    .clone()
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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
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
