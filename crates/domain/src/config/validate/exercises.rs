//! `[[dossier.exercises]]`: the fiscal years a dossier declares, when they are not all 12 months
//! closing on `fiscal_year_end` (a first exercise of 18 months, a change of closing date).
//!
//! The rules, and where they come from:
//! - a fiscal year normally lasts 12 months: the Code de commerce (art. L123-12, al. 2) asks for
//!   an inventory "au moins une fois tous les douze mois"; it sets no maximum, but the first
//!   exercise, or one changed by a decision of the partners, may be shorter or longer; practice
//!   (Infogreffe's lexicon: "sans excéder 23 mois" for the first one) never goes past 24 months,
//!   so neither do we;
//! - each calendar year has a closing, except the year an exercise starts: the Code général des
//!   impôts taxes a year without a balance sheet on a provisional one at 31 December (art. 37),
//!   and lets a new company close its first exercise in the year after its creation (art.
//!   209-I); passerelle writes no provisional balance, so an exercise must close by 31 December
//!   of the year after its start;
//! - exercises follow each other with no gap and no overlap (each opens the day after the
//!   previous one closes), and the years after the last one close on its day: `fiscal_year_end`,
//!   when given too, must be that day.
//!
//! Each FEC is named after its exercise's real closing date (art. A47 A-1 LPF: the file is named
//! `<SIREN>FEC<AAAAMMJJ>`, AAAAMMJJ the closing date of the exercise).

use chrono::{Datelike, Months, NaiveDate};

use super::report::Report;
use crate::config::raw::{DateInput, RawExercise};
use crate::config::types::Exercise;

/// The longest exercise accepted, in months.
const MAX_MONTHS: u32 = 24;

/// The declared exercises and the closing day of the years after them, or `None` for either
/// when it is wrong (reported).
pub(super) fn validate(
    raw: Vec<RawExercise>,
    fiscal_year_end: Option<(u32, u32)>,
    fiscal_year_end_given: bool,
    report: &mut Report,
) -> (Option<Vec<Exercise>>, Option<(u32, u32)>) {
    let mut exercises = Vec::new();
    let mut ok = true;
    for (i, e) in raw.into_iter().enumerate() {
        let at = format!("exercises[{i}]");
        let start = date(e.start.as_ref(), &format!("{at}.start"), report);
        let end = date(e.end.as_ref(), &format!("{at}.end"), report);
        let (Some(start), Some(end)) = (start, end) else {
            ok = false;
            continue;
        };
        ok &= check_one(start, end, &at, report);
        if let Some(previous) = exercises.last().map(|p: &Exercise| p.end)
            && previous.succ_opt() != Some(start)
        {
            let expected = previous.succ_opt().unwrap_or(previous);
            report.err(
                &format!("{at}.start"),
                format!(
                    "starts on {start}, but the exercise before it closes on {previous}: exercises follow each other with no gap and no overlap"
                ),
                format!("write start = \"{expected}\" (the day after the previous closing)"),
            );
            ok = false;
        }
        exercises.push(Exercise { start, end });
    }
    let Some(last) = exercises.last().copied() else {
        return (Some(exercises), fiscal_year_end);
    };
    let last_day = (last.end.month(), last.end.day());
    let year_end = match fiscal_year_end {
        Some(given) if fiscal_year_end_given && !same_closing_day(given, last_day) => {
            report.err(
                "fiscal_year_end",
                format!(
                    "says the years close on {:02}-{:02}, but the last declared exercise closes on {}: the years after it close on its day",
                    given.0, given.1, last.end
                ),
                format!(
                    "write fiscal_year_end = \"{:02}-{:02}\", or remove it (the last exercise gives it)",
                    last_day.0, last_day.1
                ),
            );
            None
        }
        Some(given) if fiscal_year_end_given => Some(given),
        _ => Some(last_day),
    };
    (ok.then_some(exercises), year_end)
}

/// 02-28 and 02-29 are the same closing day (the last day of February).
fn same_closing_day(a: (u32, u32), b: (u32, u32)) -> bool {
    a == b || (a.0 == 2 && b.0 == 2 && a.1 >= 28 && b.1 >= 28)
}

/// One exercise on its own: closes after it opens, lasts at most 24 months, closes by 31
/// December of the year after its start.
fn check_one(start: NaiveDate, end: NaiveDate, at: &str, report: &mut Report) -> bool {
    if end <= start {
        report.err(
            &format!("{at}.end"),
            format!("closes on {end}, not after it opens ({start})"),
            "write the exercise's closing date after its start, e.g. end = \"2026-12-31\"",
        );
        return false;
    }
    let limit = start
        .checked_add_months(Months::new(MAX_MONTHS))
        .and_then(|d| d.pred_opt())
        .unwrap_or(NaiveDate::MAX);
    if end > limit {
        report.err(
            &format!("{at}.end"),
            format!(
                "the exercise {start} – {end} lasts more than {MAX_MONTHS} months: an exercise normally lasts 12 months (Code de commerce, art. L123-12), a first or changed one never more than {MAX_MONTHS}"
            ),
            format!("close it on {limit} at the latest, as the statutes or the partners' decision say"),
        );
        return false;
    }
    if end.year() > start.year() + 1 {
        report.err(
            &format!("{at}.end"),
            format!(
                "the exercise {start} – {end} has no closing in {}: every calendar year after the one an exercise starts needs a balance sheet (CGI art. 37 and 209-I)",
                start.year() + 1
            ),
            format!(
                "close it by {}-12-31, or declare two exercises",
                start.year() + 1
            ),
        );
        return false;
    }
    true
}

fn date(input: Option<&DateInput>, field: &str, report: &mut Report) -> Option<NaiveDate> {
    let Some(input) = input else {
        report.err(
            field,
            "is missing",
            "give both days of the exercise, e.g. start = \"2026-01-01\" and end = \"2027-06-30\"",
        );
        return None;
    };
    let text = match input {
        DateInput::Text(t) => t.clone(),
        DateInput::Toml(d) => d.to_string(),
    };
    let parsed = NaiveDate::parse_from_str(&text, "%Y-%m-%d").ok();
    if parsed.is_none() {
        report.err(
            field,
            format!("'{text}' is not a date"),
            "write it as YYYY-MM-DD, e.g. \"2027-06-30\"",
        );
    }
    parsed
}
