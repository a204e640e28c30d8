//! The `passerelle` command line's own behaviour, as a user runs the binary: `check-config`
//! lists every invalid field with exit code 3 (and `serve` validates the same way), every
//! command's `--help` has an example. The suites that cross crates (the pipeline through the
//! binary, `ingest`, `serve` as a real process) are in the top-level `tests/` package (`e2e`);
//! this test target also makes `cargo test --workspace` build the binary they run.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_passerelle"))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
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

#[test]
fn check_config_and_serve_refuse_drafts_with_the_fec_ledger() {
    // Issue 14, defect 3: a FEC has no brouillard; drafts would be "booked" yet absent.
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let path = dir.path().join("drafts.toml");
    std::fs::write(
        &path,
        example.replace("draft_entries = false", "draft_entries = true"),
    )
    .unwrap();
    for command in ["check-config", "serve"] {
        let out = bin()
            .args([command, "--config"])
            .arg(&path)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(3), "{command}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("dossier[0].draft_entries"), "{command}: {err}");
        assert!(
            err.contains("set draft_entries = false"),
            "{command}: {err}"
        );
    }
}

/// `test-connection` against the Pennylane simulator: every account the dossier books on with
/// its counterpart in the chart (exact, padding, `[dossier.accounts_map]`), each missing one
/// failed with the fix, in text and in `--json`.
#[tokio::test(flavor = "multi_thread")]
async fn test_connection_lists_the_accounts_and_the_missing_ones_against_pennylane() {
    let mock = simulators::pennylane::start().await;
    {
        let mut st = mock.state();
        st.add_account("60700000", "Achats de marchandises");
        st.add_account("44566", "TVA déductible");
    }
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let text = format!(
        "[service]\ndata_dir = \"{}\"\n{}\n[dossier.accounts_map]\n\"445660\" = \"44566\"\n\n[dossier.ledger]\nkind = \"pennylane\"\ntoken_env = \"CLI_TEST_PL_TOKEN\"\nbase_url = \"{}\"\n",
        dir.path().join("data").display(),
        example,
        mock.api_base()
    );
    let path = dir.path().join("dossiers.toml");
    std::fs::write(&path, text).unwrap();
    let run = move |json: bool| {
        let mut c = bin();
        c.args(["test-connection", "acme", "--config"]).arg(&path);
        if json {
            c.arg("--json");
        }
        c.env("CLI_TEST_PL_TOKEN", simulators::pennylane::API_TOKEN)
            .env("NO_COLOR", "1");
        c.output().unwrap()
    };
    let out = tokio::task::spawn_blocking(move || (run(false), run(true)))
        .await
        .unwrap();
    let (text_out, json_out) = out;
    let stdout = String::from_utf8_lossy(&text_out.stdout);
    println!("{stdout}");
    assert_eq!(
        text_out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&text_out.stderr)
    );
    assert!(
        stdout.contains("→ 706000 (exact; accounts.sales_services)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("→ 60700000 (padding; accounts.purchases)"),
        "{stdout}"
    );
    assert!(stdout.contains("→ 44566 (accounts_map;"), "{stdout}");
    assert!(stdout.contains("account 4011DIVERS"), "{stdout}");
    assert!(
        stdout.contains("missing in the ledger's chart (accounts.supplier_fallback)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("create 4011DIVERS in the ledger, or map it in [dossier.accounts_map]"),
        "{stdout}"
    );
    let v: serde_json::Value = serde_json::from_slice(&json_out.stdout).unwrap();
    let checks = v["checks"].as_array().unwrap();
    let missing: Vec<&str> = checks
        .iter()
        .filter(|c| c["check"].as_str().unwrap().starts_with("account ") && c["ok"] == false)
        .map(|c| c["check"].as_str().unwrap())
        .collect();
    assert!(missing.contains(&"account 4011DIVERS"), "{missing:?}");
    assert!(!missing.contains(&"account 706000"), "{missing:?}");
    println!("missing accounts (json): {missing:?}");
}

/// `[console]` is checked too: one line per problem with its fix (a hash that is not a PHC
/// string, a hash of another algorithm, a collaborator's dossier that does not exist, a role
/// that does not exist), exit 3; a correct `[console]` passes.
#[test]
fn check_config_checks_the_console_users() {
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let good = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0mNAPS0ZOsPbBBG4Mw4lVpM3PdIKjTfTXfqYUgb0ZtU";
    let check = |name: &str, console: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{console}\n{example}")).unwrap();
        let out = bin()
            .args(["check-config", "--config"])
            .arg(&path)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    let (code, err) = check(
        "users.toml",
        &format!(
            "[[console.users]]\nname = \"alice\"\npassword_hash = \"hunter2\"\nrole = \"admin\"\n\
             [[console.users]]\nname = \"bob\"\npassword_hash = \"$pbkdf2-sha256$i=600000$c29tZXNhbHRzb21lc2FsdA$0mNAPS0ZOsPbBBG4Mw4lVpM3PdIKjTfTXfqYUgb0ZtU\"\nrole = \"admin\"\n\
             [[console.users]]\nname = \"colette\"\npassword_hash = \"{good}\"\nrole = \"collaborator\"\ndossiers = [\"acme\", \"globex\"]\n"
        ),
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(err.starts_with("3 problems in [console]:"), "{err}");
    let lines: Vec<&str> = err.lines().skip(1).collect();
    assert_eq!(lines.len(), 3, "one line per problem: {err}");
    assert!(lines[0].contains("console.users[0] (alice): password_hash is not a PHC string; make one with passerelle hash-password"), "{err}");
    assert!(
        lines[1].contains("(bob): password_hash is a pbkdf2-sha256 hash, not Argon2"),
        "{err}"
    );
    assert!(
        lines[2].contains(
            "(colette): dossier globex is not in the configuration; remove it or add the dossier"
        ),
        "{err}"
    );
    let (code, err) = check(
        "role.toml",
        &format!(
            "[[console.users]]\nname = \"alice\"\npassword_hash = \"{good}\"\nrole = \"boss\"\n"
        ),
    );
    assert_eq!(code, Some(3), "{err}");
    assert!(err.contains("unknown variant `boss`"), "{err}");
    let (code, err) = check(
        "ok.toml",
        &format!(
            "[[console.users]]\nname = \"colette\"\npassword_hash = \"{good}\"\nrole = \"collaborator\"\ndossiers = [\"acme\"]\n"
        ),
    );
    assert_eq!(code, Some(0), "{err}");
}

/// The account table on Chift: general accounts against the folder's chart (exact, padding,
/// missing with the fix), the customer and supplier fallbacks as client / supplier records.
#[tokio::test(flavor = "multi_thread")]
async fn test_connection_lists_the_accounts_journals_and_vat_codes_on_chift() {
    let mock = simulators::chift::start().await;
    mock.state().accounts.retain(|(n, _, _)| n != "607000");
    mock.state().accounts.push((
        "6070".into(),
        "Achats de marchandises".into(),
        "expense".into(),
    ));
    mock.state().accounts.retain(|(n, _, _)| n != "758000");
    let dir = tempfile::tempdir().unwrap();
    let example = std::fs::read_to_string(repo().join("infra/dossiers.example.toml")).unwrap();
    let text = format!(
        "[service]\ndata_dir = \"{}\"\n{}\n[dossier.ledger]\nkind = \"chift\"\nconsumer_id = \"{}\"\naccount_id = \"{}\"\nclient_id = \"{}\"\nclient_secret_env = \"CLI_TEST_CHIFT_SECRET\"\nbase_url = \"{}\"\n",
        dir.path().join("data").display(),
        example,
        simulators::chift::CONSUMER_ID,
        simulators::chift::ACCOUNT_ID,
        simulators::chift::CLIENT_ID,
        mock.base_url()
    );
    let path = dir.path().join("dossiers.toml");
    std::fs::write(&path, text).unwrap();
    let out = tokio::task::spawn_blocking(move || {
        bin()
            .args(["test-connection", "acme", "--config"])
            .arg(&path)
            .env("CLI_TEST_CHIFT_SECRET", simulators::chift::CLIENT_SECRET)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    println!("{stdout}");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("reachable, journals found"), "{stdout}");
    assert!(
        stdout.contains("→ 706000 (exact; accounts.sales_services)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("→ 6070 (padding; accounts.purchases)"),
        "{stdout}"
    );
    assert!(stdout.contains("account 4111DIVERS"), "{stdout}");
    assert!(
        stdout.contains("client or supplier record of 4111DIVERS"),
        "{stdout}"
    );
    assert!(
        stdout.contains("missing in the ledger's chart (accounts.rounding_credit)"),
        "{stdout}"
    );
    assert!(
        stdout.contains("create 758000 in the ledger, or map it in [dossier.accounts_map]"),
        "{stdout}"
    );
    assert_eq!(mock.state().violations, Vec::<String>::new());
}

/// `passerelle demo --ledger chift`: the nightly job into the Chift mock, every entry with its
/// PDF (the mailed Factur-X invoice among them), no request off the spec (the demo fails
/// otherwise).
#[test]
fn the_demo_books_into_chift() {
    let dir = tempfile::tempdir().unwrap();
    let out = bin()
        .args([
            "demo",
            "--ledger",
            "chift",
            "--invoices",
            "40",
            "--json",
            "--dir",
        ])
        .arg(dir.path().join("demo"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let booked = v["entries_booked"].as_u64().unwrap();
    assert!(booked >= 40, "{v}");
    assert_eq!(v["chift"]["entries"].as_u64(), Some(booked), "{v}");
    assert_eq!(v["chift"]["entries_with_pdf"].as_u64(), Some(booked), "{v}");
    assert_eq!(v["chift"]["spec_violations"], serde_json::json!([]), "{v}");
    assert!(v["fec"].is_null());
    assert_eq!(
        v["einvoices_booked"],
        serde_json::json!(1),
        "the mailed Factur-X, from its data"
    );
}
