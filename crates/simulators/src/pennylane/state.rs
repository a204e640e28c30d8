//! The mock's state, shared by its gate and routes.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use serde_json::Value;

use crate::mock::Faults;

#[derive(Debug, Clone, Default)]
pub struct ThirdParty {
    pub id: i64,
    pub name: String,
    pub reg_no: Option<String>,
    pub establishment_no: Option<String>,
    pub vat_number: Option<String>,
    pub external_reference: Option<String>,
    pub ledger_account_id: i64,
}

#[derive(Debug, Default)]
pub struct PennylaneState {
    pub tokens: Vec<String>,
    pub refresh_token: String,
    pub token_requests: usize,
    pub journals: Vec<(i64, String, String)>,
    pub ledger_accounts: Vec<(i64, String, String)>,
    pub customers: Vec<ThirdParty>,
    pub suppliers: Vec<ThirdParty>,
    pub accounts_created: Vec<String>,
    pub suppliers_created: Vec<String>,
    pub file_attachments: Vec<String>,
    pub entries: Vec<Value>,
    /// JSON request bodies validated against their schema in the extract.
    pub validated: usize,
    /// Answers checked against the documented shapes.
    pub answers_checked: usize,
    /// Requests and answers that do not follow the extract (see [`spec`]).
    pub violations: Vec<String>,
    pub requests: usize,
    pub(crate) next_id: i64,
}

impl PennylaneState {
    pub(super) fn id(&mut self) -> i64 {
        self.next_id += 1;
        5_000 + self.next_id
    }

    /// Adds a ledger account; returns its id.
    pub fn add_account(&mut self, number: &str, label: &str) -> i64 {
        let id = self.id();
        self.ledger_accounts.push((id, number.into(), label.into()));
        id
    }

    /// Adds a customer with its own 411 account; returns the account id.
    pub fn add_customer(&mut self, number: &str, mut c: ThirdParty) -> i64 {
        let la = self.add_account(number, &c.name);
        c.id = self.id();
        c.ledger_account_id = la;
        self.customers.push(c);
        la
    }
}

/// The state every route is handed.
pub(super) type S = State<(Arc<Mutex<PennylaneState>>, Faults)>;
