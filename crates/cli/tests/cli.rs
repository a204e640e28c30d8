//! The `passerelle` binary as a user runs it: the demo end to end (its FEC through the
//! independent checker), a dry run that writes nothing, a real sync, status, log,
//! check-config listing every invalid field, and `serve` as a real process (signed and unsigned
//! `/sync`, mail over SMTP from Python's smtplib, then `status` and `log`).

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

fn python() -> PathBuf {
    let python = repo().join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run ./scripts/setup",
        python.display()
    );
    python
}

fn fec_check(path: &str) -> serde_json::Value {
    let out = Command::new(python())
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

/// A small simulated account, fast enough for the tests.
async fn small_sim(invoices: usize, credit_notes: usize) -> Sim {
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
fn with_config(args: &[&str], cfg: &Path, sellsy_secret: &str) -> Command {
    let mut c = bin();
    c.args(args)
        .arg("--config")
        .arg(cfg)
        .env("PASSERELLE_TEST_SELLSY_SECRET", sellsy_secret);
    c
}

fn config(dir: &Path, sim: &Sim) -> PathBuf {
    config_with(dir, sim, "")
}

/// The example dossier pointed at the simulator, with more `[service]` keys.
fn config_with(dir: &Path, sim: &Sim, service: &str) -> PathBuf {
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

/// A port free on 127.0.0.1 right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `passerelle serve` as a child process, killed by PID when dropped (also on a failed assert).
struct Served {
    child: std::process::Child,
    log: PathBuf,
}

impl Served {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A mail as our MTA hands it over: its `Authentication-Results` says whether DMARC passed.
fn eml(to: &str, subject: &str, dmarc: &str, file: &str) -> String {
    let pdf = "JVBERi0xLjQKMSAwIG9iaiA8PCAvVHlwZSAvQ2F0YWxvZyAvUGFnZXMgMiAwIFIgPj4gZW5kb2JqCjIgMCBvYmogPDwgL1R5cGUgL1BhZ2VzIC9LaWRzIFszIDAgUl0gL0NvdW50IDEgPj4gZW5kb2JqCjMgMCBvYmogPDwgL1R5cGUgL1BhZ2UgL1BhcmVudCAyIDAgUiAvTWVkaWFCb3ggWzAgMCA1OTUgODQyXSA+PiBlbmRvYmoKdHJhaWxlciA8PCAvUm9vdCAxIDAgUiA+PgolJUVPRgo=";
    format!(
        "Authentication-Results: passerelle.local; spf=pass smtp.mailfrom=welyb.fr; dkim={dmarc} header.d=welyb.fr; dmarc={dmarc} header.from=welyb.fr\r\n\
         From: no-reply@welyb.fr\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{subject}@welyb.fr>\r\n\
         Date: Mon, 23 Nov 2026 08:00:00 +0100\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n\
         --sep\r\nContent-Type: text/plain\r\n\r\nBonjour,\r\n.une ligne qui commence par un point\r\n\
         --sep\r\nContent-Type: application/pdf; name=\"{file}\"\r\nContent-Disposition: attachment; filename=\"{file}\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{pdf}\r\n--sep--\r\n"
    )
}

const SMTPLIB: &str = r#"
import json, smtplib, sys
host, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def read(name):
    with open(folder + "/" + name, "rb") as f:
        return f.read()
out = {}
s = smtplib.SMTP(host, port, timeout=60)
out["accepted"] = s.sendmail("no-reply@welyb.fr", ["achat.acme@collecte.example.fr"], read("ok.eml"))
try:
    s.sendmail("no-reply@welyb.fr", ["achat.nobody@collecte.example.fr"], read("ok.eml"))
    out["unknown"] = "accepted"
except smtplib.SMTPRecipientsRefused as e:
    out["unknown"] = {k: [v[0], v[1].decode()] for k, v in e.recipients.items()}
out["spoofed"] = s.sendmail("no-reply@welyb.fr", ["achat.acme@collecte.example.fr"], read("spoofed.eml"))
try:
    s.sendmail("no-reply@welyb.fr", ["achat.acme@collecte.example.fr"], b"X" * 70000)
    out["too_big"] = "accepted"
except smtplib.SMTPDataError as e:
    out["too_big"] = [e.smtp_code, e.smtp_error.decode()]
s.quit()
print(json.dumps(out))
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_as_a_real_process_answers_sync_and_smtp_then_status_and_log_tell() {
    let python = python();
    let sim = small_sim(30, 4).await;
    let dir = tempfile::tempdir().unwrap();
    let (http_port, smtp_port) = (free_port(), free_port());
    let cfg = config_with(
        dir.path(),
        &sim,
        &format!(
            "http_listen = \"127.0.0.1:{http_port}\"\nsmtp_listen = \"127.0.0.1:{smtp_port}\"\nsync_secret_env = \"PASSERELLE_TEST_SYNC_SECRET\"\nmax_message_bytes = 65536\n"
        ),
    );
    let secret = "a sync secret of the test";
    let sellsy_secret = sim.client_secret();
    let log = dir.path().join("serve.log");
    let mut served = Served {
        child: bin()
            .args(["serve", "--config"])
            .arg(&cfg)
            .env("PASSERELLE_TEST_SELLSY_SECRET", &sellsy_secret)
            .env("PASSERELLE_TEST_SYNC_SECRET", secret)
            .stdout(std::fs::File::create(dir.path().join("serve.out")).unwrap())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start passerelle serve"),
        log,
    };
    // Ready when both listeners accept.
    let ready = std::time::Instant::now();
    loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            panic!("serve exited with {status}:\n{}", served.log());
        }
        let up = |port| std::net::TcpStream::connect(("127.0.0.1", port)).is_ok();
        if up(http_port) && up(smtp_port) {
            break;
        }
        assert!(
            ready.elapsed() < std::time::Duration::from_secs(30),
            "serve not ready in 30 s:\n{}",
            served.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // /sync: unsigned → 401, nothing started; signed → 202 and a run id.
    let http = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{http_port}");
    let body = br#"{"dossier":"acme","from":"2026-01-01","to":"2026-12-31"}"#.to_vec();
    let unsigned = http
        .post(format!("{base}/sync"))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), 401);
    let refusal: serde_json::Value = unsigned.json().await.unwrap();
    assert!(refusal["action"].as_str().is_some(), "{refusal}");
    let signed = |req: reqwest::RequestBuilder, signed_body: &[u8]| {
        let [(h1, v1), (h2, v2)] = webhook::sign(
            secret.as_bytes(),
            chrono::Utc::now().timestamp(),
            signed_body,
        );
        req.header(h1, v1).header(h2, v2)
    };
    let accepted = signed(http.post(format!("{base}/sync")).body(body.clone()), &body)
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 202);
    let accepted: serde_json::Value = accepted.json().await.unwrap();
    let run_id = accepted["run_id"].as_str().unwrap().to_string();
    let status_url = accepted["status_url"].as_str().unwrap().to_string();
    let the_run = loop {
        let r = signed(
            http.get(format!("{base}{status_url}")),
            status_url.as_bytes(),
        )
        .send()
        .await
        .unwrap();
        assert_eq!(r.status(), 200, "{}", served.log());
        let r: serde_json::Value = r.json().await.unwrap();
        match r["run"]["state"].as_str().unwrap() {
            "pulled" => break r["run"].clone(),
            "failed" => panic!("run failed: {r}\n{}", served.log()),
            // A GET may be signed again within the same second: polls are never refused.
            _ => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
        }
    };
    assert_eq!(the_run["id"], run_id.as_str());
    let pulled = the_run["pulled"].as_u64().unwrap();
    assert!(pulled >= 30, "{the_run}");

    // Mail over SMTP, sent by Python's smtplib.
    for (name, subject, dmarc) in [("ok", "facture-edf", "pass"), ("spoofed", "urgent", "fail")] {
        let mail = eml(
            "achat.acme@collecte.example.fr",
            subject,
            dmarc,
            &format!("{subject}.pdf"),
        );
        std::fs::write(dir.path().join(format!("{name}.eml")), mail).unwrap();
    }
    let out = tokio::task::spawn_blocking({
        let folder = dir.path().to_path_buf();
        move || {
            Command::new(python)
                .args(["-c", SMTPLIB, "127.0.0.1", &smtp_port.to_string()])
                .arg(folder)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "smtplib: {}\n{}",
        String::from_utf8_lossy(&out.stderr),
        served.log()
    );
    let smtp = json(&out);
    assert_eq!(smtp["accepted"], serde_json::json!({}), "{smtp}");
    assert_eq!(smtp["spoofed"], serde_json::json!({}), "{smtp}");
    let unknown = &smtp["unknown"]["achat.nobody@collecte.example.fr"];
    assert_eq!(unknown[0], 550, "{smtp}");
    assert!(
        unknown[1].as_str().unwrap().contains("no dossier"),
        "{smtp}"
    );
    assert_eq!(smtp["too_big"][0], 552, "{smtp}");

    // The worker maps and pushes; `status` shows it from another process.
    let cmd = |args: &[&str]| with_config(args, &cfg, &sellsy_secret);
    let waited = std::time::Instant::now();
    let states = loop {
        let status = json(&run(&mut cmd(&["status", "--json"])));
        let states = status[0]["states"].clone();
        let n = |k: &str| states[k].as_u64().unwrap_or(0);
        if n("received") + n("mapped") == 0 && n("pushed") > 0 {
            break states;
        }
        assert!(
            waited.elapsed() < std::time::Duration::from_secs(120),
            "not pushed in 2 minutes: {states}\n{}",
            served.log()
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    };
    let pushed = states["pushed"].as_u64().unwrap();
    // Every pulled document is booked or set aside, plus the mailed PDF.
    assert!(pushed >= 20, "{states}");
    let total: u64 = states
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(total, pulled + 1, "{states}");
    let text = run(&mut cmd(&["status"]));
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.lines()
            .any(|l| l.starts_with("acme") && l.contains(&pushed.to_string())),
        "{text}"
    );

    // `log` tells the rejection's reason and action; the unsigned request started no run.
    let out = run(&mut cmd(&["log", "acme"]));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("fails DMARC"), "{text}");
    assert!(text.contains("→"), "{text}");
    assert_eq!(text.matches("run started").count(), 1, "{text}");

    // SIGTERM: a graceful stop, exit code 0.
    let pid = served.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let stopped = std::time::Instant::now();
    let code = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopped.elapsed() < std::time::Duration::from_secs(30),
            "serve did not stop on SIGTERM"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert!(code.success(), "{code}\n{}", served.log());
    let log = served.log();
    for line in [
        "POST /sync → 401",
        "POST /sync → 202",
        "550",
        "1 file(s) accepted",
        "stopped",
    ] {
        assert!(log.contains(line), "'{line}' not in the serve log:\n{log}");
    }
    sim.stop().await;
}
