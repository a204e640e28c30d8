//! "Test the connection" of a dossier, for `passerelle test-connection` and the console's
//! "Tester la connexion": the source's credentials, quotas and scopes (one line per missing
//! scope with what its absence disables), the journal codes, the ledger's check (credentials
//! and journals) and its chart against the accounts the dossier books on. Each line that is
//! not ok says what to do.

use domain::config::{DossierConfig, Mode};

use crate::dossiers::Unconnected;
use crate::ports::{LedgerSink, SourceApi};

/// How one check ended: a warning (a scope whose absence only degrades the pull) does not fail
/// the command; a failure does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Ok,
    Warning,
    Failed,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Warning => "warning",
            Verdict::Failed => "error",
        }
    }
}

/// One line of the report.
pub struct Check {
    pub check: String,
    pub verdict: Verdict,
    pub detail: String,
    pub action: String,
}

impl Check {
    pub fn new(check: impl Into<String>, verdict: Verdict, detail: String, action: String) -> Self {
        Check {
            check: check.into(),
            verdict,
            detail,
            action,
        }
    }
}

/// Every check of the dossier `cfg`: its connections left out (`unconnected`, those of this
/// dossier), then its source when it has one (`source_section`: the configuration has a source
/// section, so a missing source is explained by `unconnected`), then its ledger. Calls the
/// source's and the ledger's APIs; changes nothing.
pub async fn connection_checks<Src: SourceApi, Sink: LedgerSink>(
    cfg: &DossierConfig,
    unconnected: &[Unconnected],
    source: Option<&Src>,
    source_section: bool,
    sink: Option<&Sink>,
) -> Vec<Check> {
    let mut checks: Vec<Check> = unconnected
        .iter()
        .filter(|u| u.dossier == cfg.id)
        .map(|u| {
            let section = u.section.rsplit('.').next().unwrap_or("connection");
            Check::new(
                section,
                Verdict::Failed,
                u.problem.clone(),
                u.action.clone(),
            )
        })
        .collect();
    match source {
        None if source_section => {}
        None => checks.push(Check::new(
            "Sellsy",
            Verdict::Failed,
            "no [dossier.sellsy] section".into(),
            "add client_id and client_secret_env to [dossier.sellsy] (see infra/dossiers.example.toml)".into(),
        )),
        Some(source) => {
            let report = source.test_connection().await;
            if let Ok(r) = &report {
                checks.extend(journal_code_checks(cfg, r));
            }
            checks.extend(source_checks(report));
        }
    }
    if let Some(sink) = sink {
        checks.push(match sink.test_connection(cfg).await {
            Ok(()) => Check::new(
                sink.name(),
                Verdict::Ok,
                "reachable, journals found".into(),
                String::new(),
            ),
            Err(e) => Check::new(
                sink.name(),
                Verdict::Failed,
                e.message.clone(),
                e.action.clone(),
            ),
        });
        checks.extend(account_checks(
            cfg,
            sink.chart(cfg).await,
            sink.third_party_records(),
        ));
    }
    checks
}

/// One line per account the dossier books on with its counterpart in the ledger's chart, and
/// each missing one as a failure with the fix; a ledger without a chart (FEC) says so.
fn account_checks(
    cfg: &domain::config::DossierConfig,
    chart: Result<Option<Vec<crate::ports::ChartAccount>>, crate::ports::SinkError>,
    third_party_records: bool,
) -> Vec<Check> {
    let chart = match chart {
        Ok(Some(c)) => c,
        Ok(None) => {
            return vec![Check::new(
                "accounts",
                Verdict::Ok,
                "this ledger has no chart of its own: every PCG account is valid".into(),
                String::new(),
            )];
        }
        Err(e) => {
            return vec![Check::new(
                "accounts",
                Verdict::Failed,
                format!("the chart of accounts could not be read: {}", e.message),
                e.action,
            )];
        }
    };
    let numbers: Vec<&str> = chart.iter().map(|a| a.number.as_str()).collect();
    let (records, wanted): (Vec<_>, Vec<_>) = domain::chart::ledger::dossier_accounts(cfg)
        .into_iter()
        .partition(|(n, _)| third_party_records && (n.starts_with("411") || n.starts_with("401")));
    let rows = domain::chart::ledger::map_accounts(&wanted, &numbers, &cfg.accounts_map);
    let records = records.into_iter().map(|(n, used_for)| {
        Check::new(
            format!("account {n}"),
            Verdict::Ok,
            format!("→ the ledger's client or supplier record of {n}, matched or created at the first push ({used_for})"),
            String::new(),
        )
    });
    records
        .chain(rows.iter().map(|r| match (&r.ledger, &r.found) {
            (Some(l), Some(how)) => Check::new(
                format!("account {}", r.account),
                Verdict::Ok,
                format!("→ {l} ({}; {})", how.as_str(), r.used_for),
                String::new(),
            ),
            _ => Check::new(
                format!("account {}", r.account),
                Verdict::Failed,
                format!("missing in the ledger's chart ({})", r.used_for),
                r.action(),
            ),
        }))
        .collect()
}

/// The credentials and quotas, then one line per missing scope with what its absence disables:
/// a failure when the pull cannot run without it, a warning when it only degrades.
fn source_checks(
    result: Result<crate::ports::ConnectionReport, crate::ports::SourceError>,
) -> Vec<Check> {
    let r = match result {
        Ok(r) => r,
        Err(e) => {
            return vec![Check::new(
                "Sellsy",
                Verdict::Failed,
                e.to_string(),
                "check client_id and the secret in the environment variable client_secret_env names; a 'Personal' API client is needed".into(),
            )];
        }
    };
    let quota = |v: Option<u64>| v.map(|n| n.to_string()).unwrap_or_else(|| "?".into());
    let detail = format!(
        "credentials accepted; quotas {}/s, {}/min, {}/day ({} used today)",
        quota(r.limit_per_second),
        quota(r.limit_per_minute),
        quota(r.limit_per_day),
        quota(r.used_today)
    );
    let mut checks = vec![Check::new("Sellsy", Verdict::Ok, detail, String::new())];
    for missing in &r.disabled {
        let verdict = if missing.blocks_pull {
            Verdict::Failed
        } else {
            Verdict::Warning
        };
        checks.push(Check::new(
            format!("scope {}", missing.scope),
            verdict,
            format!("missing: {}", missing.disables),
            format!(
                "grant the scope {} to the API client in Sellsy (Settings → API → your client)",
                missing.scope
            ),
        ));
    }
    // A source that names a missing scope without saying what it disables still fails it.
    for scope in &r.missing_scopes {
        if !r.disabled.iter().any(|d| &d.scope == scope) {
            checks.push(Check::new(
                format!("scope {scope}"),
                Verdict::Failed,
                "missing".into(),
                format!("grant the scope {scope} to the API client in Sellsy (Settings → API → your client)"),
            ));
        }
    }
    checks
}

/// The journal names read from the source that the dossier would book under one code: one
/// EcritureNum series under two labels (issue 14, defect 9), held at booking until mapped.
/// Mode `journal` only: mode `documents` books sales and purchases in the dossier's own
/// `[dossier.journals]`, whatever Sellsy's journals are called.
fn journal_code_checks(cfg: &DossierConfig, r: &crate::ports::ConnectionReport) -> Vec<Check> {
    if cfg.mode != Mode::Journal {
        return Vec::new();
    }
    let names: Vec<&str> = r
        .sales_journals
        .iter()
        .chain(&r.purchase_journals)
        .map(String::as_str)
        .collect();
    let clashes = cfg.journal_code_clashes(names.iter().copied());
    if clashes.is_empty() {
        if names.is_empty() {
            return Vec::new();
        }
        let codes: Vec<String> = names
            .iter()
            .map(|n| match cfg.journal_code_of(n) {
                Some(code) => format!("\"{n}\" → {code}"),
                None => format!("\"{n}\" → (no code)"),
            })
            .collect();
        return vec![Check::new(
            "journal codes",
            Verdict::Ok,
            codes.join(", "),
            String::new(),
        )];
    }
    clashes
        .into_iter()
        .map(|(code, journals)| {
            // Codes have 2 to 4 characters: three of the shared code and a digit.
            let stem: String = code.chars().take(3).collect();
            let example: Vec<String> = journals
                .iter()
                .enumerate()
                .map(|(i, n)| format!("\"{n}\" = \"{stem}{}\"", i + 1))
                .collect();
            Check::new(
                format!("journal code {code}"),
                Verdict::Failed,
                format!(
                    "the Sellsy journals \"{}\" would all be booked as {code}: one number series under two labels; their documents are held",
                    journals.join("\", \"")
                ),
                format!(
                    "give each its own code in [dossier.journal_codes], e.g. {}",
                    example.join(", ")
                ),
            )
        })
        .collect()
}
