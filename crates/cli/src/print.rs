//! How the commands print for people: colours on a terminal, severities, warnings with their
//! action, document states.

use std::collections::BTreeMap;

use anyhow::Result;
use app::ports::{LogEvent, RecordStore, Severity};
use app::usecases::records::{DocumentRecord, doc_pk};

pub const RED: &str = "31";
pub const GREEN: &str = "32";
pub const YELLOW: &str = "33";

/// `text` in an ANSI colour when stdout is a terminal and `NO_COLOR` is not set
/// (https://no-color.org).
pub fn paint(text: &str, colour: &str) -> String {
    use std::io::IsTerminal;
    if std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal() {
        format!("\x1b[{colour}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// A severity padded to `width`, coloured by how bad it is.
pub fn severity_label(s: Severity, width: usize) -> String {
    let text = format!("{:<width$}", s.as_str());
    match s {
        Severity::Info => text,
        Severity::Warning => paint(&text, YELLOW),
        _ => paint(&text, RED),
    }
}

pub fn print_warnings(events: &[LogEvent], at_most: usize) {
    if events.is_empty() {
        println!("No warning.");
        return;
    }
    println!(
        "Warnings and errors ({}), with the action to take:",
        events.len()
    );
    for e in events.iter().rev().take(at_most).rev() {
        println!("  [{}] {}", severity_label(e.severity, 0), e.message);
        println!("          → {}", e.action);
    }
    if events.len() > at_most {
        println!(
            "  … {} more: passerelle log <dossier> --severity warning",
            events.len() - at_most
        );
    }
}

/// How many of a dossier's documents are in each state.
pub async fn states<S: RecordStore>(store: &S, dossier: &str) -> Result<BTreeMap<String, usize>> {
    let mut states = BTreeMap::new();
    for r in store
        .query(&doc_pk(dossier), None, None, usize::MAX)
        .await?
    {
        let doc = DocumentRecord::from_record(&r)?;
        *states.entry(doc.state.as_str().to_string()).or_default() += 1;
    }
    Ok(states)
}
