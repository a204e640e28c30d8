//! Who the dossier is (id, name, SIREN), from when and over which fiscal years it is synchronised,
//! and the choices that shape its entries (scope, mode, labels).

use chrono::NaiveDate;

use super::report::Report;
use crate::config::raw::{DateInput, RawDossier};
use crate::config::rules::{is_slug, is_valid_siren, parse_month_day};
use crate::config::types::{LabelOption, Mode, Scope};

pub(super) struct Identity {
    pub id: String,
    pub name: String,
    pub siren: String,
    pub start_date: Option<NaiveDate>,
    pub fiscal_year_end: Option<(u32, u32)>,
}

pub(super) fn validate(raw: &RawDossier, report: &mut Report) -> Identity {
    let id = match &raw.id {
        Some(id) if is_slug(id) => id.clone(),
        Some(id) => {
            report.err(
                "id",
                format!("'{id}' is not a valid dossier id"),
                "use lower-case letters, digits and '-' only, e.g. \"acme\"",
            );
            String::new()
        }
        None => {
            report.err(
                "id",
                "is missing",
                "add id = \"acme\" (lower-case letters, digits, '-')",
            );
            String::new()
        }
    };
    let name = raw.name.clone().unwrap_or_else(|| id.clone());
    let siren = match &raw.siren {
        Some(s) if is_valid_siren(s) => s.clone(),
        Some(s) => {
            report.err(
                "siren",
                format!("'{s}' is not a valid SIREN (9 digits with a valid check digit)"),
                "copy the 9-digit SIREN from the company's Kbis",
            );
            String::new()
        }
        None => {
            report.err(
                "siren",
                "is missing",
                "add siren = \"123456782\" (it names the FEC file)",
            );
            String::new()
        }
    };
    Identity {
        id,
        name,
        siren,
        start_date: start_date(raw.start_date.as_ref(), report),
        fiscal_year_end: fiscal_year_end(raw.fiscal_year_end.as_deref(), report),
    }
}

fn start_date(input: Option<&DateInput>, report: &mut Report) -> Option<NaiveDate> {
    let Some(input) = input else {
        report.err(
            "start_date",
            "is missing",
            "add start_date = \"2026-01-01\" (the first document date to synchronise)",
        );
        return None;
    };
    let text = match input {
        DateInput::Text(t) => t.clone(),
        DateInput::Toml(d) => d.to_string(),
    };
    match NaiveDate::parse_from_str(&text, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            report.err(
                "start_date",
                format!("'{text}' is not a date"),
                "write it as YYYY-MM-DD, e.g. \"2026-01-01\"",
            );
            None
        }
    }
}

fn fiscal_year_end(text: Option<&str>, report: &mut Report) -> Option<(u32, u32)> {
    let Some(text) = text else {
        return Some((12, 31));
    };
    let parsed = parse_month_day(text);
    if parsed.is_none() {
        report.err(
            "fiscal_year_end",
            format!("'{text}' is not a month and day"),
            "write it as MM-DD, e.g. \"12-31\" or \"06-30\"",
        );
    }
    parsed
}

pub(super) struct Choices {
    pub scope: Option<Scope>,
    pub mode: Option<Mode>,
    pub labels: Option<LabelOption>,
}

pub(super) fn choices(raw: &RawDossier, report: &mut Report) -> Choices {
    let scope = match raw.scope.as_deref().unwrap_or("sales") {
        "sales" => Some(Scope::Sales),
        "purchases" => Some(Scope::Purchases),
        "both" => Some(Scope::Both),
        other => {
            report.err(
                "scope",
                format!("'{other}' is not a scope"),
                "use \"sales\", \"purchases\" or \"both\"",
            );
            None
        }
    };
    let mode = match raw.mode.as_deref().unwrap_or("documents") {
        "documents" => Some(Mode::Documents),
        "journal" => Some(Mode::Journal),
        other => {
            report.err(
                "mode",
                format!("'{other}' is not a mode"),
                "use \"documents\" (map invoice rows) or \"journal\" (copy Sellsy's sales journal)",
            );
            None
        }
    };
    let labels = match raw.labels.unwrap_or(1) {
        1 => Some(LabelOption::PartyThenDescription),
        2 => Some(LabelOption::Party),
        3 => Some(LabelOption::PartyAndDescription),
        4 => Some(LabelOption::PartyAndNumber),
        other => {
            report.err(
                "labels",
                format!("{other} is not a label option"),
                "use 1 (party name on the third-party line, description elsewhere), 2 (party name everywhere), 3 (party name + description) or 4 (party name + document number)",
            );
            None
        }
    };
    Choices {
        scope,
        mode,
        labels,
    }
}
