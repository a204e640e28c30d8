//! `passerelle test-connection <dossier>`: the source's credentials, scopes and quotas, and the
//! ledger's check, and one line per missing Sellsy scope with what its absence disables
//! (`app::usecases::connection`, which the console's "Tester la connexion" runs too). Exit 0
//! when nothing failed (a scope whose absence only degrades the pull is a warning), 1 otherwise;
//! each line that is not ok says what to do.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use app::usecases::connection::{Check, Verdict, connection_checks};
use serde_json::json;

use crate::context;
use crate::print::{GREEN, RED, YELLOW, paint};

pub async fn run(config: &Path, dossier: &str, json_out: bool) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cfg = context::dossier(&loaded, config, dossier)?.clone();
    let data = context::data_dir(&loaded)?;
    let dossiers = context::connect(&loaded, Arc::new(data.files)).await;
    let sink = dossiers.sinks.get(dossier);
    let checks = connection_checks(
        &cfg,
        &dossiers.unconnected,
        dossiers.sources.get(dossier),
        loaded.sellsy.contains_key(dossier),
        sink,
    )
    .await;
    if sink.is_none() && checks.is_empty() {
        bail!("the dossier has no ledger");
    }
    let ok = checks.iter().all(|c| c.verdict != Verdict::Failed);
    print(dossier, ok, &checks, json_out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn print(dossier: &str, ok: bool, checks: &[Check], json_out: bool) -> Result<()> {
    if json_out {
        let list: Vec<_> = checks
            .iter()
            .map(|c| {
                json!({
                    "check": c.check,
                    "ok": c.verdict != Verdict::Failed,
                    "severity": c.verdict.as_str(),
                    "detail": c.detail,
                    "action": c.action,
                })
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"dossier": dossier, "ok": ok, "checks": list}))?
        );
        return Ok(());
    }
    for c in checks {
        let verdict = match c.verdict {
            Verdict::Ok => paint(&format!("{:<7}", "ok"), GREEN),
            Verdict::Warning => paint(&format!("{:<7}", "WARNING"), YELLOW),
            Verdict::Failed => paint(&format!("{:<7}", "FAILED"), RED),
        };
        println!("{:<27} {verdict} {}", c.check, c.detail);
        if !c.action.is_empty() {
            println!("{:<35}→ {}", "", c.action);
        }
    }
    Ok(())
}
