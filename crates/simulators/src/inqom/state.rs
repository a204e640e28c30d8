//! The mock's credentials, example dossier and state, shared by its routes.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use serde_json::Value;

use crate::mock::Faults;

pub const USER: &str = "systeme@cabinet.fr";
pub const PASSWORD: &str = "mot-de-passe-secret";
pub const CLIENT_ID: &str = "passerelle";
pub const CLIENT_SECRET: &str = "client-secret-value";
pub const DOSSIER: u64 = 80548;

#[derive(Debug, Clone)]
pub struct StoredEntry {
    pub id: i64,
    pub journal_id: i64,
    pub date: String,
    pub reference: String,
    pub external_id: String,
    pub lines: Vec<Value>,
}

#[derive(Debug, Default)]
pub struct InqomState {
    pub token_requests: usize,
    pub current_token: Option<String>,
    pub journals: Vec<(i64, String)>,
    /// (begin, end, locked)
    pub periods: Vec<(String, String, bool)>,
    /// (number, name, parent)
    pub accounts: Vec<(String, String, Option<String>)>,
    pub accounts_created: Vec<(String, String)>,
    pub entries: Vec<StoredEntry>,
    pub entry_posts: usize,
    pub batch_sizes: Vec<usize>,
    pub attachments: Vec<BTreeSet<String>>,
    /// The files attached to entries: (file name, bytes).
    pub attached_files: Vec<(String, Vec<u8>)>,
    pub documents: Vec<(i64, HashMap<String, String>)>,
    pub document_fields: Vec<BTreeSet<String>>,
    pub expense_bills: Vec<HashMap<String, String>>,
    pub expense_fields: Vec<BTreeSet<String>>,
    pub violations: Vec<String>,
    pub requests: usize,
    /// Uploads answered with this redirect status to the upload host (see `redirect_uploads`).
    pub redirect_uploads: Option<(u16, String)>,
    /// What reached the upload host: (method, path, with a valid bearer token).
    pub upload_host_requests: Vec<(String, String, bool)>,
    /// Entry batches still to book with their answer lost (see `InqomMock::lose_entry_answers`).
    pub lose_answers: usize,
    pub(crate) next_id: i64,
}

impl InqomState {
    pub(crate) fn id(&mut self) -> i64 {
        self.next_id += 1;
        1_000 + self.next_id
    }
}

/// The state every route is handed.
pub(super) type St = (Arc<Mutex<InqomState>>, Faults);
pub(super) type S = State<St>;
