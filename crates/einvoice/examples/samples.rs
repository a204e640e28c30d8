//! Runs e-invoice files by hand: detect, read, check, map (purchase side) and book with the
//! example dossier; prints one Markdown table row per file.
//!
//! `cargo run -p einvoice --example samples -- DIR_OR_FILES...`

use std::collections::BTreeMap;
use std::path::PathBuf;

use domain::auxcode::AuxCodes;
use domain::mapping::{Mapped, map_document};
use einvoice::map::MapOptions;
use einvoice::{Detection, Side};
use rust_decimal::Decimal;

fn main() {
    let mut files: Vec<PathBuf> = Vec::new();
    for arg in std::env::args().skip(1) {
        let path = PathBuf::from(arg);
        if path.is_dir() {
            let mut entries: Vec<PathBuf> = std::fs::read_dir(&path)
                .expect("readable directory")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| !p.extension().is_some_and(|x| x.eq_ignore_ascii_case("md")))
                .collect();
            entries.sort();
            files.extend(entries);
        } else {
            files.push(path);
        }
    }
    let mut cfg = domain::testkit::example_config();
    // Book every rate the samples carry, so the table shows the per-rate outcome.
    for rate in [
        "0", "5.5", "6", "7", "10", "12", "15", "19", "20", "21", "25", "27",
    ] {
        cfg.vat
            .purchases
            .entry(rate.parse().unwrap())
            .or_insert_with(|| "44566".into());
    }
    cfg.sync_without_pdf = true;
    cfg.scope = domain::config::Scope::Both;
    let options = MapOptions {
        known_rates: cfg.vat.purchases.keys().copied().collect(),
        suppliers: cfg.einvoice.clone(),
    };
    println!("| file | detected | profile | type | outcome |");
    println!("|---|---|---|---|---|");
    for path in files {
        let bytes = std::fs::read(&path).expect("readable file");
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let (kind, profile, code, outcome) = run(&bytes, &name, &cfg, &options);
        println!("| {name} | {kind} | {profile} | {code} | {outcome} |");
    }
}

fn run(
    bytes: &[u8],
    name: &str,
    cfg: &domain::config::DossierConfig,
    options: &MapOptions,
) -> (String, String, String, String) {
    let file = match einvoice::detect(bytes, name) {
        Detection::EInvoice(f) => f,
        Detection::OtherXml { reason } => {
            return (
                "other XML".into(),
                "-".into(),
                "-".into(),
                format!("refused: {reason}"),
            );
        }
        Detection::Refused(r) => {
            return (
                "refused".into(),
                "-".into(),
                "-".into(),
                format!("refused: {r}"),
            );
        }
        Detection::NotEInvoice { note } => {
            return (
                "not an e-invoice".into(),
                "-".into(),
                "-".into(),
                note.unwrap_or_default(),
            );
        }
    };
    let kind = file.kind_label();
    let inv = match einvoice::read(&file) {
        Ok(inv) => inv,
        Err(e) => return (kind, "-".into(), "-".into(), format!("refused: {e}")),
    };
    let profile = inv.profile.label();
    let code = inv.type_code.clone().unwrap_or_else(|| "-".into());
    let violations = einvoice::check(&inv);
    if !violations.is_empty() {
        let list: Vec<String> = violations.iter().map(|v| v.to_string()).collect();
        return (kind, profile, code, format!("refused: {}", list.join("; ")));
    }
    let mapped = match einvoice::to_source_document(&inv, Side::Purchase, options) {
        Ok(m) => m,
        Err(e) => return (kind, profile, code, format!("not mapped: {e}")),
    };
    let doc = &mapped.document;
    let breakdown: Vec<String> = per_rate(doc.taxes.iter().map(|t| (t.rate, t.amount)))
        .into_iter()
        .map(|(r, a)| format!("{r} %: {a}"))
        .collect();
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let outcome = match map_document(doc, cfg, &mut aux) {
        Ok(Mapped::Entry(entry)) => {
            let vat_accounts: Vec<&String> = cfg.vat.purchases.values().collect();
            // One VAT line per non-zero rate: compare them with the breakdown, rate by rate.
            let mut booked: Vec<Decimal> = entry
                .lines()
                .iter()
                .filter(|l| vat_accounts.contains(&&l.account))
                .map(|l| (l.debit - l.credit).abs())
                .collect();
            let mut stated: Vec<Decimal> = per_rate(doc.taxes.iter().map(|t| (t.rate, t.amount)))
                .values()
                .map(|a| a.abs())
                .filter(|a| !a.is_zero())
                .collect();
            booked.sort();
            stated.sort();
            let debit: Decimal = entry.lines().iter().map(|l| l.debit).sum();
            let credit: Decimal = entry.lines().iter().map(|l| l.credit).sum();
            format!(
                "booked {}: D {debit} = C {credit}; VAT per rate [{}] {} the breakdown{}",
                doc.source.kind.as_str(),
                breakdown.join(", "),
                if booked == stated {
                    "="
                } else {
                    "DIFFERS FROM"
                },
                if mapped.notes.is_empty() {
                    String::new()
                } else {
                    format!(" (notes: {})", mapped.notes.join("; "))
                }
            )
        }
        Ok(Mapped::NotBooked(nb)) => format!("not booked: {}", nb.message()),
        Err(e) => format!("mapping refused: {e}"),
    };
    (kind, profile, code, outcome)
}

fn per_rate(items: impl Iterator<Item = (Decimal, Decimal)>) -> BTreeMap<Decimal, Decimal> {
    let mut map = BTreeMap::new();
    for (rate, amount) in items {
        *map.entry(rate.normalize()).or_default() += amount;
    }
    map
}
