//! `passerelle serve` as a real process, started on free ports and stopped by its PID.

use std::path::PathBuf;
use std::process::Command;

use super::*;

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

/// A running `serve` and what the steps need to talk to it.
struct Service {
    served: Served,
    http_port: u16,
    smtp_port: u16,
    cfg: PathBuf,
    sellsy_secret: String,
    dir: tempfile::TempDir,
}

const SYNC_SECRET: &str = "a sync secret of the test";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_as_a_real_process_answers_sync_and_smtp_then_status_and_log_tell() {
    let sim = small_sim(30, 4).await;
    let mut service = start(&sim).await;
    let pulled = sync_now(&service).await;
    mail_over_smtp(&service).await;
    worker_pushes_and_status_tells(&service, pulled).await;
    graceful_stop(&mut service.served).await;
    sim.stop().await;
}

/// Starts `serve` on free ports; ready when both listeners accept.
async fn start(sim: &Sim) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let (http_port, smtp_port) = (free_port(), free_port());
    let cfg = config_with(
        dir.path(),
        sim,
        &format!(
            "http_listen = \"127.0.0.1:{http_port}\"\nsmtp_listen = \"127.0.0.1:{smtp_port}\"\nsync_secret_env = \"PASSERELLE_TEST_SYNC_SECRET\"\nmax_message_bytes = 65536\n"
        ),
    );
    let sellsy_secret = sim.client_secret();
    let log = dir.path().join("serve.log");
    let mut served = Served {
        child: bin()
            .args(["serve", "--config"])
            .arg(&cfg)
            .env("PASSERELLE_TEST_SELLSY_SECRET", &sellsy_secret)
            .env("PASSERELLE_TEST_SYNC_SECRET", SYNC_SECRET)
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

    Service {
        served,
        http_port,
        smtp_port,
        cfg,
        sellsy_secret,
        dir,
    }
}

/// `/sync`: unsigned → 401, nothing started; signed → 202, a run id, then the run pulled.
async fn sync_now(service: &Service) -> u64 {
    let Service {
        served, http_port, ..
    } = service;
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
    let signed = |req: reqwest::RequestBuilder, method: &str, path: &str, signed_body: &[u8]| {
        let [(h1, v1), (h2, v2)] = webhook::sign(
            SYNC_SECRET.as_bytes(),
            chrono::Utc::now().timestamp(),
            method,
            path,
            signed_body,
        );
        req.header(h1, v1).header(h2, v2)
    };
    let accepted = signed(
        http.post(format!("{base}/sync")).body(body.clone()),
        "POST",
        "/sync",
        &body,
    )
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
            "GET",
            &status_url,
            b"",
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

    pulled
}

/// Mail over SMTP, sent by Python's smtplib: accepted, unknown mailbox (550), spoofed, too big.
async fn mail_over_smtp(service: &Service) {
    let python = python();
    let Service {
        served,
        smtp_port,
        dir,
        ..
    } = service;
    let smtp_port = *smtp_port;
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
}

/// The worker maps and pushes; `status` and `log` show it from another process.
async fn worker_pushes_and_status_tells(service: &Service, pulled: u64) {
    let Service {
        served,
        cfg,
        sellsy_secret,
        ..
    } = service;
    let cmd = |args: &[&str]| with_config(args, cfg, sellsy_secret);
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
}

/// SIGTERM: a graceful stop, exit code 0, and the serve log tells what happened.
async fn graceful_stop(served: &mut Served) {
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
}
