//! The dataset rendered as spec-shaped JSON: `Company`, `Individual`, `Invoice`/`InvoiceOne`,
//! `CreditNote`/`CreditNoteOne` (with rows and embeds) and `AccountingJournal` lines.

use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::{
    CODE_CLIENTS, CODE_DISCOUNT, Company, Dataset, Doc, Individual, Kind, PartyRef, RowAmounts,
    RowData, RowType, compute, money,
};

impl Dataset {
    pub fn company_json(&self, c: &Company) -> Value {
        json!({
            "id": c.id, "type": "client", "name": c.name, "email": c.email, "website": null,
            "phone_number": "+33 1 23 45 67 89", "mobile_number": null, "fax_number": null,
            "legal_france": {
                "siret": c.siret, "siren": c.siren, "vat": c.vat, "ape_naf_code": c.ape,
                "company_type": c.company_type, "rcs_immatriculation": format!("RCS {}", c.city)
            },
            "capital": "10000.00", "reference": c.reference, "note": "", "auxiliary_code": c.auxiliary_code,
            "social": { "twitter": null, "facebook": null, "linkedin": null, "viadeo": null },
            "rate_category_id": null, "main_contact_id": null, "dunning_contact_id": null,
            "invoicing_contact_id": null, "invoicing_address_id": c.id + 1, "delivery_address_id": c.id + 2,
            "accounting_code_id": CODE_CLIENTS, "accounting_purchase_code_id": null,
            "owner": { "id": 69391, "type": "staff" },
            "created": "2024-03-04T10:00:00+01:00", "updated_at": "2026-10-02T11:22:03+02:00",
            "is_archived": false, "business_segment": null, "number_of_employees": null,
            "marketing_campaigns_subscriptions": []
        })
    }

    pub fn individual_json(&self, p: &Individual) -> Value {
        json!({
            "id": p.id, "type": "client", "last_name": p.last_name, "first_name": p.first_name,
            "civility": p.civility, "email": p.email, "website": null, "phone_number": null,
            "mobile_number": "+33 6 12 34 56 78", "fax_number": null, "reference": p.reference, "note": "",
            "auxiliary_code": p.auxiliary_code,
            "social": { "twitter": null, "facebook": null, "linkedin": null, "viadeo": null },
            "rate_category_id": null, "main_contact_id": null, "dunning_contact_id": null,
            "invoicing_contact_id": null, "invoicing_address_id": p.id + 1, "delivery_address_id": p.id + 2,
            "accounting_code_id": CODE_CLIENTS, "accounting_purchase_code_id": null,
            "owner": { "id": 69391, "type": "staff" },
            "created": "2024-03-04T10:00:00+01:00", "updated_at": "2026-10-02T11:22:03+02:00",
            "is_archived": false, "marketing_campaigns_subscriptions": []
        })
    }

    fn party_name(&self, p: PartyRef) -> (String, String, u64, &'static str) {
        match p {
            PartyRef::Company(i) => {
                let c = &self.companies[i];
                (c.name.clone(), c.reference.clone(), c.id, "company")
            }
            PartyRef::Individual(i) => {
                let x = &self.individuals[i];
                (
                    format!("{} {}", x.first_name, x.last_name),
                    x.reference.clone(),
                    x.id,
                    "individual",
                )
            }
        }
    }

    /// `Invoice`/`CreditNote` (list items) or `InvoiceOne`/`CreditNoteOne` (`with_rows`).
    pub fn doc_json(&self, doc: &Doc, with_rows: bool, embeds: &[String], base: &str) -> Value {
        let a = compute(doc, &self.taxes);
        let (name, reference, party_id, party_type) = self.party_name(doc.party);
        let mut v = json!({
            "id": doc.id, "number": doc.number, "status": doc.status,
            "date": doc.date.to_string(),
            "created": doc.created.to_rfc3339(),
            "subject": doc.subject,
            "amounts": {
                "total_raw_excl_tax": money(a.raw_excl),
                "total_after_discount_excl_tax": money(a.after_discount),
                "total_packaging": "0.00",
                "total_shipping": money(a.shipping),
                "total_excl_tax": money(a.excl),
                "total_incl_tax": money(a.incl),
                "total_remaining_due_incl_tax": if matches!(doc.status, "paid" | "spent") { "0.00".to_string() } else { money(a.incl) },
                "total_primes_incl_tax": "0.00"
            },
            "currency": "EUR",
            "taxes": a.per_rate.iter().map(|(t, _, amount)| json!({
                "id": self.taxes[*t].id, "label": self.taxes[*t].label,
                "rate": format!("{:.2}", self.taxes[*t].rate), "amount": money(*amount)
            })).collect::<Vec<_>>(),
            "discount": doc.discount_pct.map(|p| json!({
                "percent": format!("{:.2}", p), "amount": money(a.discount), "type": "percent"
            })),
            "related": [ { "id": party_id, "type": party_type } ],
            "public_link": { "enabled": false, "url": format!("https://sellsy.link/sim{}", doc.id) },
            "owner": { "id": 69391, "type": "staff" },
            "fiscal_year_id": doc.fiscal_year_id,
            "pdf_link": self.pdf_link(doc, base),
            "decimal_number": { "main": 2, "unit_price": 2, "quantity": 2 },
            "assigned_staff_id": 69391,
            "contact_id": null,
            "invoicing_address_id": party_id + 1,
            "delivery_address_id": party_id + 2,
            "issuer_address_id": 1001,
            "is_deposit": false,
            "rate_category_id": 85028,
            "service_dates": null,
            "note": "",
            "is_sent_to_accounting": doc.sent_to_accounting,
            "company_reference": reference,
            "company_name": name,
            "analytic_code": null,
            "sale_type": doc.sale_type,
        });
        let o = v.as_object_mut().unwrap();
        if doc.kind == Kind::Invoice {
            o.insert(
                "due_date".into(),
                json!((doc.date + Duration::days(30)).to_string()),
            );
            o.insert("file_id".into(), json!(90_000_000 + doc.id));
            o.insert("parent".into(), Value::Null);
            o.insert("order_reference".into(), json!(""));
            o.insert("shipping_date".into(), Value::Null);
            o.insert("vat_mode".into(), json!("debit"));
            o.insert("is_progress_invoice".into(), json!(false));
            o.insert("bank_account_id".into(), Value::Null);
            o.insert("payment_method_ids".into(), json!([2016308]));
            o.insert("check_label_id".into(), Value::Null);
        }
        if with_rows {
            let rows: Vec<Value> = doc
                .rows
                .iter()
                .zip(&a.rows)
                .map(|(r, ra)| self.row_json(r, ra))
                .collect();
            o.insert("rows".into(), Value::Array(rows));
        }
        let mut embed = serde_json::Map::new();
        for e in embeds {
            match e.as_str() {
                "company" => {
                    let c = match doc.party {
                        PartyRef::Company(i) => self.company_json(&self.companies[i]),
                        PartyRef::Individual(_) => Value::Null,
                    };
                    embed.insert("company".into(), c);
                }
                "individual" => {
                    let c = match doc.party {
                        PartyRef::Individual(i) => self.individual_json(&self.individuals[i]),
                        PartyRef::Company(_) => Value::Null,
                    };
                    embed.insert("individual".into(), c);
                }
                _ => {}
            }
        }
        if !embeds.is_empty() {
            o.insert("_embed".into(), Value::Object(embed));
        }
        v
    }

    fn row_json(&self, r: &RowData, a: &RowAmounts) -> Value {
        let tax = &self.taxes[r.tax];
        match r.row_type {
            RowType::Comment => json!({ "id": r.id, "type": "comment", "text": r.description }),
            _ => {
                let mut v = json!({
                    "id": r.id,
                    "type": match r.row_type { RowType::Catalog => "catalog", RowType::Shipping => "shipping", _ => "single" },
                    "unit_amount": format!("{:.2}", r.unit_amount),
                    "tax_id": tax.id,
                    "quantity": r.quantity.normalize().to_string(),
                    "reference": r.reference,
                    "description": r.description,
                    "discount": r.discount_pct.map(|p| json!({ "type": "percent", "value": format!("{:.2}", p), "total": money(a.discount) })),
                    "tax_rate": format!("{:.2}", tax.rate),
                    "tax_amount": money(a.tax),
                    "tax_label": tax.label,
                    "amount_tax_inc": money(a.incl),
                    "amount_tax_exc": money(a.excl),
                    "accounting_code_id": r.accounting_code_id,
                    "analytic_code": null,
                    "is_optional": r.optional,
                });
                let o = v.as_object_mut().unwrap();
                match r.row_type {
                    RowType::Catalog => {
                        let (id, t) = r.related.unwrap_or((1, "product"));
                        o.insert(
                            "related".into(),
                            json!({ "id": id, "type": t, "declination_id": null }),
                        );
                        o.insert("purchase_amount".into(), json!("0.00"));
                        o.insert("unit_id".into(), json!(3));
                        o.insert("eco_tax".into(), Value::Null);
                        o.insert("warehouse_id".into(), Value::Null);
                        o.insert("sku_id".into(), Value::Null);
                    }
                    RowType::Shipping => {
                        o.insert("related".into(), json!({ "id": 1, "type": "shipping" }));
                    }
                    _ => {
                        o.insert("purchase_amount".into(), json!("0.00"));
                        o.insert("unit_id".into(), json!(3));
                    }
                }
                v
            }
        }
    }

    /// Sales-journal lines of one finalized document (`AccountingJournal` items): third party
    /// on 411, revenue per account, the document discount on 709, VAT per rate. Credit notes
    /// reverse the sides.
    pub fn journal_lines(&self, doc: &Doc) -> Vec<Value> {
        let a = compute(doc, &self.taxes);
        let (name, reference, party_id, party_type) = self.party_name(doc.party);
        let aux = match doc.party {
            PartyRef::Company(i) => self.companies[i].auxiliary_code.clone(),
            PartyRef::Individual(i) => self.individuals[i].auxiliary_code.clone(),
        };
        let credit_note = doc.kind == Kind::CreditNote;
        let (dr, cr) = if credit_note {
            ("credit", "debit")
        } else {
            ("debit", "credit")
        };
        let prefix = if credit_note { "Avoir" } else { "Facture" };
        let label = format!("{prefix} n°{} - {name}", doc.number);
        let document = json!({
            "type": doc.kind.as_str(), "id": doc.id, "number": doc.number,
            "due_date": (doc.date + Duration::days(30)).to_string(), "subject": doc.subject,
            "public_link": format!("https://sellsy.link/sim{}", doc.id),
            "service_start_date": null, "service_end_date": null, "currency": "EUR", "external_reference": null
        });
        let mut lines = Vec::new();
        let mut push = |n: u64,
                        code_id: u64,
                        direction: &str,
                        amount: Decimal,
                        aux: Option<&str>| {
            if amount.is_zero() {
                return;
            }
            let code = self.code(code_id).expect("code in chart");
            let (direction, amount) = if amount.is_sign_negative() {
                (
                    if direction == "debit" {
                        "credit"
                    } else {
                        "debit"
                    },
                    -amount,
                )
            } else {
                (direction, amount)
            };
            let mut companies = Vec::new();
            let mut individuals = Vec::new();
            let entry = json!({ "id": party_id, "name": name, "reference": reference });
            if party_type == "company" {
                companies.push(entry)
            } else {
                individuals.push(entry)
            }
            lines.push(json!({
                "id": doc.id * 100 + n + if credit_note { 50 } else { 0 },
                "related": [ { "type": party_type, "id": party_id }, { "type": doc.kind.as_str(), "id": doc.id } ],
                "analytic_code": null,
                "amount": { "direction": direction, "value": money(amount) },
                "code": { "label": code.label, "value": code.code },
                "type": doc.journal.as_deref().unwrap_or("SALES"),
                "date": doc.date.to_string(),
                "label": label,
                "recorded": doc.sent_to_accounting,
                "accounting_type": 1,
                "analytic_plan": 1,
                "auxiliary_code": aux,
                "document": document,
                "documents": [document],
                "companies": companies,
                "individuals": individuals,
            }));
        };
        push(1, CODE_CLIENTS, dr, a.incl, Some(&aux));
        let mut n = 2;
        for (code, amount) in &a.per_account {
            push(n, *code, cr, *amount, None);
            n += 1;
        }
        push(n, CODE_DISCOUNT, dr, a.discount, None);
        n += 1;
        for (t, _, vat) in &a.per_rate {
            push(n, self.taxes[*t].account_id, cr, *vat, None);
            n += 1;
        }
        lines
    }
}
