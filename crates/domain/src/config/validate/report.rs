//! Where a section's problems go.

use crate::config::issues::ConfigIssue;

/// Where a section's problems go, each field named with the dossier's position in the file.
pub(crate) struct Report<'a> {
    pub(super) prefix: &'a str,
    pub(super) errors: &'a mut Vec<ConfigIssue>,
}

impl Report<'_> {
    /// Records a problem of `field` (relative to the dossier).
    pub fn err(&mut self, field: &str, problem: impl Into<String>, fix: impl Into<String>) {
        self.errors.push(ConfigIssue::new(
            format!("{}{field}", self.prefix),
            problem,
            fix,
        ));
    }

    /// The full name of a field, for problems found by helpers.
    pub fn field(&self, field: &str) -> String {
        format!("{}{field}", self.prefix)
    }

    /// Records a problem whose field name is already full.
    pub fn push(&mut self, issue: ConfigIssue) {
        self.errors.push(issue);
    }
}
