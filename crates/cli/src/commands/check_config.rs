//! `passerelle check-config`: every invalid field with its fix, exit 3; then the web
//! console's `[console]` (users, roles, collaborators' dossiers, Argon2 password hashes), one
//! line per problem with its fix, also exit 3.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;

use crate::context::CONFIG_INVALID;

pub fn run(config: &Path) -> Result<ExitCode> {
    let console = console_problems(config);
    match wiring::Config::load(config) {
        Ok(l) if console.is_empty() => {
            println!(
                "{}: {} dossier(s) valid: {}",
                config.display(),
                l.file.dossiers.len(),
                l.file
                    .dossiers
                    .iter()
                    .map(|d| d.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        loaded => {
            if let Err(e) = loaded {
                eprint!("{e}");
            }
            print_console(&console);
            Ok(ExitCode::from(CONFIG_INVALID))
        }
    }
}

fn print_console(problems: &[String]) {
    if problems.is_empty() {
        return;
    }
    eprintln!(
        "{} problem{} in [console]:",
        problems.len(),
        if problems.len() == 1 { "" } else { "s" }
    );
    for p in problems {
        eprintln!("  {p}");
    }
}

/// `[console]` read on its own (the dossiers' ids from the raw file), so its problems are
/// listed even when the rest of the file has some; nothing when the file is not TOML (the
/// loader says why) or has no `[console]` (the console is off).
fn console_problems(config: &Path) -> Vec<String> {
    let Ok(text) = std::fs::read_to_string(config) else {
        return Vec::new();
    };
    let Ok(raw) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    let Some(table) = raw.get("console").and_then(|c| c.as_table()) else {
        return Vec::new();
    };
    let ids: Vec<String> = raw
        .get("dossier")
        .and_then(|d| d.as_array())
        .into_iter()
        .flatten()
        .filter_map(|d| d.get("id")?.as_str().map(str::to_string))
        .collect();
    match web_console::Users::parse(table, &ids) {
        Ok(_) => Vec::new(),
        Err(problems) => problems,
    }
}
