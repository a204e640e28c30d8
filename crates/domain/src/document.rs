//! Source documents: what a source (Sellsy today) hands to the pipeline before mapping.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::party::Party;

/// What kind of business document this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    SalesInvoice,
    SalesCreditNote,
    /// Shape ready for purchases; no source produces it yet.
    PurchaseInvoice,
    PurchaseCreditNote,
}

impl DocumentKind {
    /// Credit notes reverse the sides of the matching invoice.
    pub fn is_credit_note(self) -> bool {
        matches!(
            self,
            DocumentKind::SalesCreditNote | DocumentKind::PurchaseCreditNote
        )
    }

    pub fn is_sales(self) -> bool {
        matches!(
            self,
            DocumentKind::SalesInvoice | DocumentKind::SalesCreditNote
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::SalesInvoice => "sales_invoice",
            DocumentKind::SalesCreditNote => "sales_credit_note",
            DocumentKind::PurchaseInvoice => "purchase_invoice",
            DocumentKind::PurchaseCreditNote => "purchase_credit_note",
        }
    }
}

/// Identifies a document across runs: (source, kind, source id). Sellsy ids are unique per
/// Sellsy account only (spec, 2024-08-22), so the dossier completes the key in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct SourceRef {
    /// The source system ("sellsy").
    pub source: String,
    pub kind: DocumentKind,
    pub source_id: String,
}

impl SourceRef {
    /// `sellsy:sales_invoice:4711`: the document key used as external id in ledgers.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.source, self.kind.as_str(), self.source_id)
    }
}

/// Status at the source. Only finalized documents are ever mapped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Draft,
    /// Finalized (Sellsy: due, payinprogress, paid, late; stored, partialspend, spent).
    Finalized,
    Cancelled,
    /// A status the source added after this code was written; kept verbatim.
    Other(String),
}

/// Goods or services: decides the default revenue (707 / 706) and discount (7097 / 7096) accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Nature {
    Goods,
    Services,
}

/// The kind of a document row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    /// A free line.
    Single,
    /// A catalogue item (product or service).
    Catalog,
    Shipping,
    Packaging,
    /// A deposit deduction line.
    Deposit,
    /// Non-money rows: comment, title, sub-total, line and page breaks.
    Comment,
    Title,
    SubTotal,
    Break,
}

impl RowKind {
    /// Whether the row carries money that the ledger must see.
    pub fn carries_money(self) -> bool {
        matches!(
            self,
            RowKind::Single
                | RowKind::Catalog
                | RowKind::Shipping
                | RowKind::Packaging
                | RowKind::Deposit
        )
    }
}

/// One row of an invoice or credit note.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Row {
    pub kind: RowKind,
    pub description: String,
    pub reference: Option<String>,
    pub quantity: Decimal,
    pub unit_price: Decimal,
    /// Total of the row's own discount, excluding tax (0 when none).
    pub discount_excl_tax: Decimal,
    /// Row amount excluding tax, after the row's discount (Sellsy `amount_tax_exc`).
    pub amount_excl_tax: Decimal,
    /// VAT rate in percent (20, 10, 5.5, 2.1, 0).
    pub tax_rate: Decimal,
    pub tax_amount: Decimal,
    /// Revenue account number the source resolved for this row, when set.
    pub account: Option<String>,
    /// Goods or services, when the source knows (catalogue product / service).
    pub nature: Option<Nature>,
    /// Optional rows are excluded from the document totals (Sellsy `is_optional`).
    pub optional: bool,
}

/// Document-level VAT total for one rate: authoritative against the sum of rows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaxTotal {
    pub rate: Decimal,
    pub amount: Decimal,
    pub label: Option<String>,
}

/// Totals of a document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    /// Total excluding tax, after every discount.
    pub excl_tax: Decimal,
    /// Total including tax: what the third party owes (or is owed, on a credit note).
    pub incl_tax: Decimal,
}

/// A reference to the PDF of a document, as recorded once it was downloaded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PdfRef {
    /// Where the blob store keeps it (or where it can be downloaded before that).
    pub location: String,
    pub sha256: Option<String>,
    pub size: Option<u64>,
}

/// A sales invoice or credit note (or a purchase invoice later) as pulled from a source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SourceDocument {
    pub source: SourceRef,
    pub number: String,
    pub status: DocumentStatus,
    pub date: NaiveDate,
    pub due_date: Option<NaiveDate>,
    pub subject: String,
    /// ISO 4217 code ("EUR").
    pub currency: String,
    pub party: Party,
    pub rows: Vec<Row>,
    pub taxes: Vec<TaxTotal>,
    /// Document-level discount excluding tax, applied after the rows (0 when none).
    pub discount_excl_tax: Decimal,
    pub totals: Totals,
    /// Default nature when rows do not say (Sellsy `sale_type`: product → goods, service/mixed → services).
    pub default_nature: Option<Nature>,
    pub pdf: Option<PdfRef>,
    /// For a credit note: the number of the invoice it cancels, when known.
    pub linked_invoice: Option<String>,
    /// Purchases only: VAT the buyer self-assesses (autoliquidation) on amounts the supplier
    /// invoiced without VAT; each is booked as deductible VAT and VAT due of the same amount.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub self_assessed_vat: Vec<SelfAssessedVat>,
}

/// Why the buyer, not the supplier, accounts for the VAT of a purchase.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SelfAssessment {
    /// Intra-community acquisition (EN 16931 VAT category K): CGI art. 256 bis and 283-2.
    IntraCommunity,
    /// Domestic reverse charge (VAT category AE), e.g. construction subcontracting: CGI art. 283-2 nonies.
    ReverseCharge,
}

/// One amount the buyer self-assesses VAT on (a VAT breakdown row of category AE or K).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SelfAssessedVat {
    pub regime: SelfAssessment,
    /// Taxable amount excluding tax (BT-116), signed as the document's rows are.
    pub basis: Decimal,
    /// The rate the invoice states when it is not 0; `None`: the dossier's `vat.self_assessed.rate`.
    pub rate: Option<Decimal>,
}

impl SourceDocument {
    pub fn key(&self) -> String {
        self.source.key()
    }
}
