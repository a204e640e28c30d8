//! `passerelle export-fec <dossier> <year | closing date>`: the FEC of a fiscal year and its
//! description, written into a directory, streamed from the booked entries (a year is never
//! held in memory), in the dossier's variant or the one the flags ask for.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use app::ports::SystemClock;
use chrono::NaiveDate;
use domain::config::DossierConfig;
use domain::fec::description_name;
use ledgers::LedgerSection;
use ledgers::fec::FecSink;
use ledgers::fec::section::FecSection;

use crate::context;

/// The variant asked on the command line (`None`: the dossier's `[dossier.ledger]` setting).
pub struct Variant<'a> {
    pub separator: Option<&'a str>,
    pub charset: Option<&'a str>,
}

impl Variant<'_> {
    /// The options asked, over the defaults (tab, UTF-8).
    pub fn options(&self) -> Result<domain::fec::FecOptions> {
        let section = FecSection {
            separator: self.separator.map(str::to_string),
            charset: self.charset.map(str::to_string),
            time_zone: None,
        };
        Ok(section.config("--").map_err(refused)?.options)
    }
}

/// The problems of the variant asked, as one error.
fn refused(issues: Vec<domain::config::ConfigIssue>) -> anyhow::Error {
    anyhow::anyhow!(
        "{}",
        issues
            .iter()
            .map(|i| format!("{}: {} ({})", i.field, i.problem, i.fix))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

pub async fn run(
    config: &Path,
    dossier: &str,
    period: &str,
    out: &Path,
    variant: Variant<'_>,
) -> Result<ExitCode> {
    let loaded = match context::load(config) {
        Ok(l) => l,
        Err(code) => return Ok(code),
    };
    let cfg = context::dossier(&loaded, config, dossier)?;
    let section = match loaded.ledgers.get(dossier) {
        Some(LedgerSection::Fec(s)) => s.clone(),
        Some(other) => bail!(
            "{dossier} books into {}, not a FEC file: export the FEC from that ledger",
            other.kind()
        ),
        None => FecSection::default(),
    };
    let asked = FecSection {
        separator: variant.separator.map(str::to_string).or(section.separator),
        charset: variant.charset.map(str::to_string).or(section.charset),
        time_zone: section.time_zone,
    };
    let fec_config = asked.config("export-fec").map_err(refused)?;
    let closing = closing(cfg, period)?;
    let data = context::data_dir(&loaded)?;
    let options = fec_config.options;
    let booked_key =
        FecSink::new(Arc::new(data.files), SystemClock, fec_config).booked_key(cfg, closing);
    let blobs = local::DirBlobs::open(loaded.service.data_dir.join(local::FILES_DIR))?;
    let booked_path = blobs
        .path_of(&booked_key)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let booked = match File::open(&booked_path) {
        Ok(f) => BufReader::with_capacity(1 << 20, f),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "no FEC for {dossier} closing {closing}: nothing was booked in that fiscal year yet (run passerelle sync {dossier})"
        ),
        Err(e) => return Err(e).with_context(|| format!("reading {}", booked_path.display())),
    };
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let name = domain::fec::file_name(&cfg.siren, closing);
    let fec_path = out.join(&name);
    let partial = out.join(format!("{name}.partial"));
    let mut writer = BufWriter::with_capacity(
        1 << 20,
        File::create(&partial).with_context(|| format!("writing {}", partial.display()))?,
    );
    let exported =
        ledgers::fec::export_year(booked, &booked_key, &mut writer, cfg, closing, options)
            .map_err(|e| {
                let _ = std::fs::remove_file(&partial);
                anyhow::anyhow!("{} ({})", e.message, e.action)
            })?;
    writer.flush()?;
    drop(writer);
    std::fs::rename(&partial, &fec_path)?;
    let description_path = out.join(description_name(&exported.name));
    std::fs::write(&description_path, exported.description.as_bytes())
        .with_context(|| format!("writing {}", description_path.display()))?;
    println!("{}", fec_path.display());
    println!("{}", description_path.display());
    Ok(ExitCode::SUCCESS)
}

/// The closing date `period` names: a closing date (`2027-08-31`), or a calendar year in which
/// exactly one fiscal year closes (`2026`).
fn closing(cfg: &DossierConfig, period: &str) -> Result<NaiveDate> {
    if let Ok(day) = NaiveDate::parse_from_str(period, "%Y-%m-%d") {
        let (_, closing) = cfg.fiscal_year_of(day);
        if closing != day {
            bail!(
                "{day} is not a closing date of {}: the fiscal year holding it closes on {closing}",
                cfg.id
            );
        }
        return Ok(closing);
    }
    let year: i32 = period
        .parse()
        .ok()
        .filter(|y| (1900..=9999).contains(y))
        .with_context(|| {
            format!("'{period}' is neither a year (2026) nor a closing date (2027-08-31)")
        })?;
    // Years that close before the dossier's first document hold nothing of it.
    let closings: Vec<NaiveDate> = cfg
        .closings_in(year)
        .into_iter()
        .filter(|c| *c >= cfg.start_date)
        .collect();
    match closings.as_slice() {
        [one] => Ok(*one),
        [] => bail!(
            "no fiscal year of {} closes in {year} (see [[dossier.exercises]]); give the closing date, e.g. {}",
            cfg.id,
            cfg.fiscal_year_of(NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or_default())
                .1
        ),
        several => bail!(
            "{} fiscal years of {} close in {year}: give the closing date, one of {}",
            several.len(),
            cfg.id,
            several
                .iter()
                .map(NaiveDate::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
