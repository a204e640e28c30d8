//! What a pull found that it could not use (problems, with a fate) and what is worth a warning,
//! gathered as the pull goes and handed to the pipeline in `Pulled`.

use app::ports::{ProblemFate, ProblemSubject, PullProblem, PullWarning};

use crate::convert::Notes;
use crate::error::SellsyError;

#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub problems: Vec<PullProblem>,
    pub warnings: Vec<PullWarning>,
}

impl Findings {
    pub fn problem(
        &mut self,
        subject: ProblemSubject,
        fate: ProblemFate,
        reason: impl Into<String>,
        action: impl Into<String>,
    ) {
        let p = PullProblem {
            subject,
            fate,
            reason: reason.into(),
            action: action.into(),
        };
        tracing::warn!(subject = %p.subject.label(), fate = ?p.fate, reason = %p.reason, "sellsy: not usable as sent");
        self.problems.push(p);
    }

    pub fn warn(
        &mut self,
        subject: impl Into<String>,
        message: impl Into<String>,
        action: impl Into<String>,
    ) {
        let w = PullWarning {
            subject: subject.into(),
            message: message.into(),
            action: action.into(),
        };
        tracing::warn!(subject = %w.subject, message = %w.message, "sellsy: warning");
        self.warnings.push(w);
    }

    /// Values changed on the way in (roundings): one warning each.
    pub fn notes(&mut self, subject: &str, notes: Notes) {
        for n in notes.0 {
            self.warn(subject, n, "no action needed");
        }
    }
}

/// Errors that end the pull as a whole: the source is unavailable (the next run retries), the
/// credentials are refused, the plan is exhausted, the client is misconfigured. Anything else
/// concerns one answer and is contained.
pub(crate) fn ends_the_pull(e: &SellsyError) -> bool {
    matches!(
        e,
        SellsyError::Exhausted { .. }
            | SellsyError::Auth { .. }
            | SellsyError::PlanLimit { .. }
            | SellsyError::Config(_)
    )
}

/// What to do about a refused or unreadable answer.
pub(crate) fn action_for(e: &SellsyError, consequence: &str) -> String {
    match e {
        SellsyError::Forbidden { scope, .. } => format!(
            "grant the {scope} scope to the Sellsy API client (Sellsy: Settings > Developer portal > API V2); until then {consequence}"
        ),
        _ => format!(
            "no action needed if it happens once ({consequence}); if it persists, send this message to Sellsy support"
        ),
    }
}
