//! The mock's state: one consumer, its folders, the accounting data it serves, what it received.

use chrono::NaiveDate;
use serde_json::Value;

/// A folder of the consumer (`FolderItem`); only selected ones may be named in `folder_id`.
#[derive(Debug, Clone)]
pub struct Folder {
    pub id: String,
    pub name: String,
    pub selected: bool,
}

/// A journal (`Journal`: `journal_type` one of the spec's `JournalType`).
#[derive(Debug, Clone)]
pub struct Journal {
    pub id: String,
    pub code: String,
    pub name: String,
    pub journal_type: String,
}

/// A VAT code (`AccountingVatCode`: `type` one of `sale`, `purchase`, `both`).
#[derive(Debug, Clone)]
pub struct VatCode {
    pub id: String,
    pub code: String,
    pub label: String,
    pub rate: f64,
    pub kind: String,
    /// `payable_account` (sales) or `deductible_account` (purchases).
    pub account: Option<String>,
    /// `scope`: `nat`, `eu`, `int`.
    pub scope: String,
    /// A reverse-charge (self-assessed) code.
    pub reversed: bool,
}

/// A book year (`BookYear`).
#[derive(Debug, Clone)]
pub struct BookYear {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub closed: bool,
}

/// A client or supplier. Seed with [`super::ChiftMock::add_client`]: an empty `id` or
/// `account_number` is generated; `company_number` is the SIREN/SIRET (Chift's `company_number`).
#[derive(Debug, Clone, Default)]
pub struct Partner {
    pub id: String,
    pub folder_id: String,
    pub name: String,
    pub external_reference: Option<String>,
    pub vat: Option<String>,
    pub company_number: Option<String>,
    pub account_number: String,
    /// The `ClientItemIn`/`SupplierItemIn` received (`Null` for a seeded partner).
    pub body: Value,
}

/// An entry received by `POST journal-entries`.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    pub folder_id: String,
    pub number: String,
    /// The `GenericJournalEntry` received.
    pub body: Value,
    /// The decoded `pdf`, when sent.
    pub pdf: Option<Vec<u8>>,
    /// The `JournalEntryMultiAnalyticPlan` answered.
    pub answer: Value,
}

#[derive(Debug, Default)]
pub struct ChiftState {
    pub consumer_id: String,
    pub tokens: Vec<String>,
    pub token_requests: usize,
    /// API requests received (all but `POST /token`).
    pub requests: usize,
    pub folders: Vec<Folder>,
    pub journals: Vec<Journal>,
    pub vat_codes: Vec<VatCode>,
    pub book_years: Vec<BookYear>,
    /// The chart of accounts: (number, name, `AccountItemType`).
    pub accounts: Vec<(String, String, String)>,
    pub clients: Vec<Partner>,
    pub suppliers: Vec<Partner>,
    pub entries: Vec<Entry>,
    /// One record per company for clients and suppliers: a creation of the other role needs
    /// `force_merge` (software such as Odoo; the spec's parameter).
    pub unified_partners: bool,
    /// The most items a page holds (see `ChiftMock::cap_pages`).
    pub page_cap: Option<usize>,
    /// Entries still to book with their answer lost (see `ChiftMock::lose_entry_answers`).
    pub lose_answers: usize,
    /// Entry numbers refused whatever their content (see `ChiftMock::reject_number`).
    pub rejected_numbers: Vec<String>,
    /// Requests that do not follow the spec: "METHOD path: reason".
    pub violations: Vec<String>,
    /// Answers of the mock itself that do not follow the spec's response schemas.
    pub answer_violations: Vec<String>,
    pub(super) next_id: u64,
}

impl ChiftState {
    /// A new technical id (a counter, as a string like Chift's ids).
    pub fn id(&mut self) -> String {
        self.next_id += 1;
        (1000 + self.next_id).to_string()
    }

    /// Adds a partner to `clients` (`supplier` false) or `suppliers`; returns its id.
    pub fn add_partner(&mut self, supplier: bool, mut p: Partner) -> String {
        if p.id.is_empty() {
            p.id = self.id();
        }
        if p.folder_id.is_empty() {
            p.folder_id = self.folders[0].id.clone();
        }
        if p.account_number.is_empty() {
            let root = if supplier { "401" } else { "411" };
            p.account_number = match &p.external_reference {
                Some(r) => format!("{root}{r}"),
                None => format!("{root}{}", p.id),
            };
        }
        let id = p.id.clone();
        if supplier {
            self.suppliers.push(p);
        } else {
            self.clients.push(p);
        }
        id
    }

    /// The partner of `id` among clients (`supplier` false) or suppliers.
    pub fn partner(&self, supplier: bool, id: &str) -> Option<&Partner> {
        let list = if supplier {
            &self.suppliers
        } else {
            &self.clients
        };
        list.iter().find(|p| p.id == id)
    }
}
