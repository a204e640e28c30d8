//! `passerelle test-connection <dossier>`: the source's credentials, scopes and quotas, and the
//! ledger's check. Exit 0 when every check passed, 1 otherwise (each failed line says what to do).

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use app::ports::{LedgerSink, SourceApi};
use serde_json::json;

use crate::context;
use crate::print::{GREEN, RED, paint};

/// One line of the report: (check, ok, detail, action).
type Check = (String, bool, String, String);

pub async fn run(config: &Path, dossier: &str, json_out: bool) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cfg = context::dossier(&loaded, config, dossier)?.clone();
    let data = context::data_dir(&loaded)?;
    let dossiers = context::connect(&loaded, Arc::new(data.files)).await;
    let mut checks: Vec<Check> = dossiers
        .unconnected
        .iter()
        .filter(|u| u.dossier == dossier)
        .map(|u| {
            (
                u.section
                    .rsplit('.')
                    .next()
                    .unwrap_or("connection")
                    .to_string(),
                false,
                u.problem.clone(),
                u.action.clone(),
            )
        })
        .collect();
    match dossiers.sources.get(dossier) {
        None if loaded.sellsy.contains_key(dossier) => {}
        None => checks.push((
            "Sellsy".into(),
            false,
            "no [dossier.sellsy] section".into(),
            "add client_id and client_secret_env to [dossier.sellsy] (see infra/dossiers.example.toml)".into(),
        )),
        Some(source) => checks.push(source_check(source.test_connection().await)),
    }
    if let Some(sink) = dossiers.sinks.get(dossier) {
        match sink.test_connection(&cfg).await {
            Ok(()) => checks.push((
                sink.name().to_string(),
                true,
                "reachable, journals found".into(),
                String::new(),
            )),
            Err(e) => checks.push((
                sink.name().to_string(),
                false,
                e.message.clone(),
                e.action.clone(),
            )),
        }
    } else if checks.is_empty() {
        bail!("the dossier has no ledger");
    }
    let ok = checks.iter().all(|c| c.1);
    print(dossier, ok, &checks, json_out)?;
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn source_check(result: Result<app::ports::ConnectionReport, app::ports::SourceError>) -> Check {
    match result {
        Ok(r) => {
            let quota = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
            let detail = format!(
                "credentials accepted; quotas {}/s, {}/min, {}/day ({} used today)",
                quota(r.limit_per_second),
                quota(r.limit_per_minute),
                quota(r.limit_per_day),
                quota(r.used_today)
            );
            if r.is_ok() {
                ("Sellsy".into(), true, detail, String::new())
            } else {
                (
                    "Sellsy scopes".into(),
                    false,
                    format!("{detail}; missing scopes: {}", r.missing_scopes.join(", ")),
                    "grant these scopes to the API client in Sellsy (Settings → API → your client)".into(),
                )
            }
        }
        Err(e) => (
            "Sellsy".into(),
            false,
            e.to_string(),
            "check client_id and the secret in the environment variable client_secret_env names; a 'Personal' API client is needed".into(),
        ),
    }
}

fn print(dossier: &str, ok: bool, checks: &[Check], json_out: bool) -> Result<()> {
    if json_out {
        let list: Vec<_> = checks
            .iter()
            .map(|(check, ok, detail, action)| json!({"check": check, "ok": ok, "detail": detail, "action": action}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"dossier": dossier, "ok": ok, "checks": list}))?
        );
        return Ok(());
    }
    for (check, ok, detail, action) in checks {
        let verdict = if *ok {
            paint(&format!("{:<6}", "ok"), GREEN)
        } else {
            paint(&format!("{:<6}", "FAILED"), RED)
        };
        println!("{check:<14} {verdict} {detail}");
        if !action.is_empty() {
            println!("{:<21}→ {action}", "");
        }
    }
    Ok(())
}
