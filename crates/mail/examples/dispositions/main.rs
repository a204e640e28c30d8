//! The intake's disposition of every message of a directory, one stable line per message and
//! per part (format in `report.rs`), sorted by path: run it before and after a change and diff.
//!
//! ```sh
//! cargo run -p mail --example dispositions -- [--profile open|listed] [--authserv-id ID] DIR...
//! ```
//! Every regular file under DIR is a message, except licences, READMEs and golden files.
//! A summary (messages, accepted files per kind, reasons) goes to stderr.

mod report;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use report::{Profile, Settings};

fn main() -> ExitCode {
    // mail-parser 0.11.9 has debug assertions that panic on some corrupted nestings; the intake
    // catches them (the mail becomes `unparseable`). One line each instead of a backtrace.
    std::panic::set_hook(Box::new(|info| {
        eprintln!("dispositions: panic (caught?): {info}")
    }));
    let mut args = std::env::args().skip(1);
    let mut profiles = Profile::ALL.to_vec();
    let mut settings = Settings::default();
    let mut dirs = Vec::new();
    while let Some(a) = args.next() {
        match a.as_str() {
            "--profile" => match args.next().as_deref().and_then(Profile::parse) {
                Some(p) => profiles = vec![p],
                None => return usage("--profile takes open or listed"),
            },
            "--authserv-id" => match args.next() {
                Some(id) => settings.authserv_id = Some(id),
                None => return usage("--authserv-id takes a value"),
            },
            "-h" | "--help" => return usage(""),
            _ => dirs.push(PathBuf::from(a)),
        }
    }
    if dirs.is_empty() {
        return usage("give at least one directory");
    }
    let mut files = Vec::new();
    for d in &dirs {
        if let Err(e) = collect(d, d, &mut files) {
            eprintln!("dispositions: {}: {e}", d.display());
            return ExitCode::from(2);
        }
    }
    files.sort();
    let mut tally: BTreeMap<String, usize> = BTreeMap::new();
    for (rel, path) in &files {
        let raw = match std::fs::read(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("dispositions: {}: {e}", path.display());
                return ExitCode::from(2);
            }
        };
        for p in &profiles {
            for line in report::lines(rel, &raw, *p, &settings) {
                let f: Vec<&str> = line.split('\t').collect();
                let key = if f[2] == "-" {
                    format!("{} message {} {}", f[1], f[3], f[5])
                } else {
                    format!("{} part {} {} {}", f[1], f[3], f[4], f[5])
                };
                *tally.entry(key).or_default() += 1;
                println!("{line}");
            }
        }
    }
    eprintln!("dispositions: {} message(s)", files.len());
    for (k, n) in &tally {
        eprintln!("  {n:6}  {k}");
    }
    ExitCode::SUCCESS
}

/// Every message file under `dir`, as (path relative to `root` with `/`, full path).
fn collect(root: &Path, dir: &Path, out: &mut Vec<(String, PathBuf)>) -> std::io::Result<()> {
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        if p.is_dir() {
            if report::is_message_dir(name) {
                collect(root, &p, out)?;
            }
        } else if p.is_file() && report::is_message_file(name) {
            let base = root.file_name().map(PathBuf::from).unwrap_or_default();
            let rel = base
                .join(p.strip_prefix(root).unwrap_or(&p))
                .to_string_lossy()
                .replace('\\', "/");
            out.push((rel, p));
        }
    }
    Ok(())
}

fn usage(problem: &str) -> ExitCode {
    if !problem.is_empty() {
        eprintln!("dispositions: {problem}");
    }
    eprintln!(
        "usage: cargo run -p mail --example dispositions -- [--profile open|listed] [--authserv-id ID] DIR..."
    );
    ExitCode::from(2)
}
