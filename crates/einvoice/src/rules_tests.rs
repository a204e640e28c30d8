//! The tolerances of the rules, case by case, as the CEN Schematron 1.3.16 (CII and UBL
//! bindings) and Factur-X 1.09 EXTENDED write them.

use rust_decimal::Decimal;

use crate::checks::check;
use crate::model::{
    AllowanceCharge, DocumentTotals, Identifier, Invoice, InvoiceLine, LineRole, Profile, Syntax,
    TradeParty, VatBreakdown,
};

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn party(name: &str) -> TradeParty {
    TradeParty {
        present: true,
        name: Some(name.into()),
        legal_ids: vec![Identifier {
            scheme: Some("0002".into()),
            value: "732829320".into(),
        }],
        vat_id: Some("FR44732829320".into()),
        has_address: true,
        country: Some("FR".into()),
        ..TradeParty::default()
    }
}

fn line(amount: &str, cat: &str, rate: &str) -> InvoiceLine {
    InvoiceLine {
        id: Some("1".into()),
        parent_id: None,
        role: LineRole::Normal,
        name: Some("x".into()),
        quantity: Some(Decimal::ONE),
        net_price: Some(d(amount).abs()),
        base_quantity: None,
        adjustments: Decimal::ZERO,
        net_amount: Some(d(amount)),
        category: Some(cat.into()),
        rate: Some(d(rate)),
        accounting_ref: None,
    }
}

fn row(cat: &str, rate: &str, basis: &str, vat: &str) -> VatBreakdown {
    VatBreakdown {
        category: Some(cat.into()),
        rate: Some(d(rate)),
        basis: Some(d(basis)),
        amount: Some(d(vat)),
        ..VatBreakdown::default()
    }
}

/// A consistent one-line invoice at `rate`, VAT as given (the totals follow the VAT).
fn invoice(syntax: Syntax, profile: Profile, basis: &str, rate: &str, vat: &str) -> Invoice {
    let grand = d(basis) + d(vat);
    Invoice {
        syntax,
        ubl_credit_note: false,
        specification_id: Some("urn:cen.eu:en16931:2017".into()),
        profile,
        type_code: Some("380".into()),
        number: Some("F1".into()),
        issue_date: chrono::NaiveDate::from_ymd_opt(2026, 9, 1),
        due_date: None,
        currency: Some("EUR".into()),
        tax_currency: None,
        buyer_reference: None,
        buyer_accounting_ref: None,
        preceding_invoice: None,
        seller: party("Vendeur"),
        seller_tax_representative_vat_id: None,
        delivery_date_or_period: true,
        deliver_to_country: Some("FR".into()),
        buyer: party("Acheteur"),
        vat_breakdown: vec![row("S", rate, basis, vat)],
        allowances_charges: Vec::new(),
        totals: DocumentTotals {
            line_total: Some(d(basis)),
            tax_basis_total: Some(d(basis)),
            vat_total: Some(d(vat)),
            vat_total_count: 1,
            grand_total: Some(grand),
            due_payable: Some(grand),
            ..DocumentTotals::default()
        },
        lines: vec![line(basis, "S", rate)],
        malformed: Vec::new(),
    }
}

fn rules(inv: &Invoice) -> Vec<String> {
    check(inv).into_iter().map(|v| v.rule).collect()
}

#[test]
fn a_consistent_invoice_passes() {
    let inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    assert_eq!(rules(&inv), Vec::<String>::new());
}

#[test]
fn vat_per_rate_allows_one_unit_inclusive_in_cii_exclusive_in_ubl() {
    // Whole-forint rounding (the CEN HUF example): 69180 × 27 % = 18678.60, stated 18679.
    let huf = invoice(Syntax::Cii, Profile::En16931, "69180.00", "27", "18679.00");
    assert!(!rules(&huf).contains(&"BR-CO-17".to_string()));
    // Exactly one unit off: CII accepts (<=), UBL refuses (<); BR-S-09 refuses in both.
    let cii = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "21.00");
    let mut ubl = cii.clone();
    ubl.syntax = Syntax::Ubl;
    assert!(!rules(&cii).contains(&"BR-CO-17".to_string()));
    assert!(rules(&cii).contains(&"BR-S-09".to_string()));
    assert!(rules(&ubl).contains(&"BR-CO-17".to_string()));
    // More than a unit off: refused everywhere.
    let far = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "21.50");
    assert!(rules(&far).contains(&"BR-CO-17".to_string()));
}

#[test]
fn standard_rated_basis_is_exact_in_cii_within_a_unit_in_ubl() {
    let mut cii = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    cii.vat_breakdown[0].basis = Some(d("100.50"));
    cii.vat_breakdown[0].amount = Some(d("20.10"));
    cii.totals.vat_total = Some(d("20.10"));
    cii.totals.grand_total = Some(d("120.10"));
    cii.totals.due_payable = Some(d("120.10"));
    let mut ubl = cii.clone();
    ubl.syntax = Syntax::Ubl;
    assert!(rules(&cii).contains(&"BR-S-08".to_string()));
    assert!(!rules(&ubl).contains(&"BR-S-08".to_string()));
}

#[test]
fn extended_sums_allow_a_cent_per_amount() {
    let mut inv = invoice(Syntax::Cii, Profile::Extended, "30.00", "20", "6.00");
    inv.lines = vec![
        line("10.01", "S", "20"),
        line("10.00", "S", "20"),
        line("10.00", "S", "20"),
    ];
    // Lines add up to 30.01 against 30.00: within 3 × 0.01.
    assert!(!rules(&inv).iter().any(|r| r.contains("CO-10")));
    inv.lines[0].net_amount = Some(d("10.04"));
    assert!(rules(&inv).contains(&"BR-FXEXT-CO-10".to_string()));
    // The same 0.01 in EN 16931 is refused.
    let mut exact = inv.clone();
    exact.profile = Profile::En16931;
    exact.lines[0].net_amount = Some(d("10.01"));
    assert!(rules(&exact).contains(&"BR-CO-10".to_string()));
}

#[test]
fn group_lines_are_not_counted_and_must_equal_their_details() {
    let mut inv = invoice(Syntax::Cii, Profile::Extended, "30.00", "20", "6.00");
    let mut group = line("30.00", "S", "20");
    group.id = Some("G".into());
    group.role = LineRole::Group;
    let detail = |amount: &str| {
        let mut l = line(amount, "S", "20");
        l.parent_id = Some("G".into());
        l.role = LineRole::Detail;
        l
    };
    inv.lines = vec![group, detail("20.00"), detail("10.00")];
    assert_eq!(rules(&inv), Vec::<String>::new());
    inv.lines[0].net_amount = Some(d("29.00"));
    assert_eq!(rules(&inv), vec!["BR-FXEXT-08".to_string()]);
}

#[test]
fn exempt_categories_need_a_reason_and_no_vat() {
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "0", "0.00");
    inv.vat_breakdown = vec![row("E", "0", "100.00", "0.00")];
    inv.lines = vec![line("100.00", "E", "0")];
    assert_eq!(rules(&inv), vec!["BR-E-10".to_string()]);
    inv.vat_breakdown[0].exemption_reason = Some("Article 261 du CGI".into());
    assert_eq!(rules(&inv), Vec::<String>::new());
    inv.vat_breakdown[0].amount = Some(d("1.00"));
    assert!(rules(&inv).contains(&"BR-E-09".to_string()));
}

#[test]
fn not_subject_to_vat_excludes_other_rows() {
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    let mut o = row("O", "0", "0.00", "0.00");
    o.rate = None;
    o.exemption_reason = Some("Non soumis".into());
    inv.vat_breakdown.push(o);
    assert!(rules(&inv).contains(&"BR-O-11".to_string()));
}

#[test]
fn allowances_count_in_totals_and_per_rate() {
    let mut inv = invoice(Syntax::Ubl, Profile::En16931, "90.00", "20", "18.00");
    inv.lines = vec![line("100.00", "S", "20")];
    inv.totals.line_total = Some(d("100.00"));
    inv.totals.allowance_total = Some(d("10.00"));
    inv.allowances_charges = vec![AllowanceCharge {
        charge: false,
        amount: Some(d("10.00")),
        category: Some("S".into()),
        rate: Some(d("20")),
        reason: Some("Remise".into()),
        ..AllowanceCharge::default()
    }];
    assert_eq!(rules(&inv), Vec::<String>::new());
    // An allowance without its total: BR-CO-11.
    inv.totals.allowance_total = None;
    assert!(rules(&inv).contains(&"BR-CO-11".to_string()));
}

#[test]
fn minimum_carries_no_totals_rule_but_its_mandatory_fields() {
    let mut inv = invoice(Syntax::Cii, Profile::Minimum, "100.00", "20", "20.00");
    inv.vat_breakdown.clear();
    inv.lines.clear();
    inv.totals.line_total = None;
    // A prepayment MINIMUM cannot state (FNFE sample F20220025): amount due below the total.
    inv.totals.due_payable = Some(d("100.00"));
    assert_eq!(rules(&inv), Vec::<String>::new());
    inv.seller.name = None;
    assert_eq!(rules(&inv), vec!["BR-06".to_string()]);
}

#[test]
fn unreadable_values_and_unknown_codes_are_named() {
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    inv.malformed.push(("BT-112".into(), "120,00".into()));
    inv.type_code = Some("999".into());
    let r = rules(&inv);
    assert!(
        r.contains(&"XSD".to_string()) && r.contains(&"BR-CL-01".to_string()),
        "{r:?}"
    );
    inv.profile = Profile::Unknown("urn:example".into());
    assert!(rules(&inv).contains(&"BT-24".to_string()));
}

#[test]
fn a_line_far_from_price_times_quantity_is_noted_and_refused_in_a_peppol_invoice() {
    let note = |inv: &Invoice| {
        let mut notes = Vec::new();
        crate::lines::line_notes(inv, &mut notes);
        notes
    };
    let r120 = vec![crate::lines::LINE_RULE.to_string()];
    // Mustang's invalidArithmetics.xml: 2 × 160.00 stated 160.00, header totals consistent.
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "160.00", "20", "32.00");
    inv.lines[0].quantity = Some(d("2"));
    inv.lines[0].net_price = Some(d("160.00"));
    assert_eq!(
        rules(&inv),
        Vec::<String>::new(),
        "EN 16931 has no such rule"
    );
    let notes = note(&inv);
    assert!(
        notes.len() == 1 && notes[0].contains("2 × 160 gives 320"),
        "{notes:?}"
    );
    // Peppol BIS 3 makes it fatal.
    let mut bis = inv.clone();
    bis.specification_id =
        Some("urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0".into());
    let refused = check(&bis);
    assert_eq!(rules(&bis), r120);
    assert!(
        refused[0].message.contains("2 × 160 gives 320"),
        "{refused:?}"
    );
    assert_eq!(note(&bis), Vec::<String>::new());
    // A price per 10 units: 20 / 10 × 80.00 = 160.00; an allowance of 5.00 not deducted.
    for inv in [&mut inv, &mut bis] {
        inv.lines[0].quantity = Some(d("20"));
        inv.lines[0].base_quantity = Some(d("10"));
        inv.lines[0].net_price = Some(d("80.00"));
    }
    assert_eq!(note(&inv), Vec::<String>::new());
    assert_eq!(rules(&bis), Vec::<String>::new());
    inv.lines[0].adjustments = d("-5.00");
    bis.lines[0].adjustments = d("-5.00");
    assert_eq!(note(&inv).len(), 1);
    assert_eq!(rules(&bis), r120);
    // CEN's CII_example1 line 20: a return, 6 × 18.33 stated -109.98: noted, even in Peppol.
    for inv in [&mut inv, &mut bis] {
        inv.lines[0].adjustments = Decimal::ZERO;
        inv.lines[0].quantity = Some(d("6"));
        inv.lines[0].base_quantity = None;
        inv.lines[0].net_price = Some(d("18.33"));
        inv.lines[0].net_amount = Some(d("-109.98"));
        assert!(!rules(inv).contains(&crate::lines::LINE_RULE.to_string()));
        let notes = note(inv);
        assert!(
            notes.len() == 1 && notes[0].contains("other sign"),
            "{notes:?}"
        );
    }
    // Whole-forint rounding per line (CEN's HUF example): 64 × 361.09 = 23109.76, stated 23110.
    let mut huf = invoice(Syntax::Cii, Profile::En16931, "23110", "27", "6239.70");
    huf.lines[0].quantity = Some(d("64"));
    huf.lines[0].net_price = Some(d("361.09"));
    assert_eq!(note(&huf), Vec::<String>::new());
}

#[test]
fn obsolete_profile_spellings_are_read_as_their_level_with_a_note() {
    // Factur-X 1.0 release candidates (Mustang's invalidXMP.pdf, invalidV2.xml).
    let id = "urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:extended";
    assert_eq!(Profile::from_id(Some(id)), Profile::Extended);
    // A ZUGFeRD 1.0 id in a D16B invoice (CEN's CII-BR-CO-10-RoundingIssue): EN 16931 rules.
    let zf1 = "urn:ferd:CrossIndustryDocument:invoice:1p0:comfort";
    assert_eq!(
        Profile::from_id(Some(zf1)).for_en16931_syntax(),
        Profile::En16931
    );
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    inv.specification_id = Some(zf1.into());
    assert_eq!(rules(&inv), Vec::<String>::new());
    let note = crate::model::obsolete_id_note(&inv).unwrap();
    assert!(
        note.contains("obsolete") && note.contains("EN 16931"),
        "{note}"
    );
    // In a real ZUGFeRD 1.0 document it is the right id: no note.
    inv.syntax = Syntax::Zugferd1;
    assert_eq!(crate::model::obsolete_id_note(&inv), None);
    inv.syntax = Syntax::Cii;
    inv.specification_id = Some("urn:cen.eu:en16931:2017".into());
    assert_eq!(crate::model::obsolete_id_note(&inv), None);
}

#[test]
fn a_ubl_credit_note_without_its_type_code_breaks_br_04() {
    // UBL 2.1 lets CreditNoteTypeCode out; EN 16931 does not (BT-3 1..1).
    let mut inv = invoice(Syntax::Ubl, Profile::En16931, "100.00", "20", "20.00");
    inv.ubl_credit_note = true;
    inv.type_code = None;
    assert_eq!(rules(&inv), vec!["BR-04".to_string()]);
}

#[test]
fn vat_identifiers_by_category_br_x_02_to_04() {
    // BR-S-02: a line at S without BT-31, BT-32 or BT-63.
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    inv.seller.vat_id = None;
    assert_eq!(rules(&inv), vec!["BR-S-02".to_string()]);
    inv.seller_tax_representative_vat_id = Some("FR44732829320".into());
    assert_eq!(rules(&inv), Vec::<String>::new());
    // BR-IC-02: intra-community supply needs the buyer's VAT identifier (BT-48) too; BR-IC-04
    // the same for a charge in K.
    let mut ic = invoice(Syntax::Cii, Profile::En16931, "100.00", "0", "0.00");
    ic.lines = vec![line("100.00", "K", "0")];
    ic.vat_breakdown = vec![VatBreakdown {
        exemption_code: Some("VATEX-EU-IC".into()),
        ..row("K", "0", "100.00", "0.00")
    }];
    assert_eq!(
        rules(&ic),
        Vec::<String>::new(),
        "the buyer party has a VAT id"
    );
    ic.buyer.vat_id = None;
    assert_eq!(rules(&ic), vec!["BR-IC-02".to_string()]);
    // BR-IC-11 / BR-IC-12: the delivery date or invoicing period, and the deliver-to country.
    ic.buyer.vat_id = Some("FR44552081317".into());
    ic.delivery_date_or_period = false;
    ic.deliver_to_country = None;
    assert_eq!(
        rules(&ic),
        vec!["BR-IC-11".to_string(), "BR-IC-12".to_string()]
    );
    // ZUGFeRD 1.0 predates these rules.
    let mut zf1 = invoice(Syntax::Zugferd1, Profile::En16931, "100.00", "20", "20.00");
    zf1.profile = Profile::from_id(Some("urn:ferd:CrossIndustryDocument:invoice:1p0:comfort"));
    zf1.seller.vat_id = None;
    assert!(!rules(&zf1).contains(&"BR-S-02".to_string()));
}

#[test]
fn trailing_zeros_count_as_decimals_br_dec() {
    // 120.000 equals 120.00 but has three decimals as written (CEN Schematron BR-DEC-14).
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    inv.totals.grand_total = Some(d("120.000"));
    assert_eq!(rules(&inv), vec!["BR-DEC-14".to_string()]);
    inv.totals.grand_total = Some(d("120.0"));
    assert_eq!(rules(&inv), Vec::<String>::new());
}

#[test]
fn the_groups_carry_their_mandatory_terms() {
    let base = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    // BR-32 / BR-33: an allowance without VAT category nor reason (the amounts still add up).
    let mut inv = base.clone();
    inv.allowances_charges.push(AllowanceCharge {
        charge: false,
        amount: Some(d("0.00")),
        ..AllowanceCharge::default()
    });
    inv.totals.allowance_total = Some(d("0.00"));
    assert_eq!(rules(&inv), vec!["BR-32".to_string(), "BR-33".to_string()]);
    // BR-48: a rate on every row but O's.
    let mut inv = base.clone();
    inv.vat_breakdown[0].rate = None;
    assert!(rules(&inv).contains(&"BR-48".to_string()));
    // BR-27: a negative net price (a credit line has a negative quantity instead).
    let mut inv = base.clone();
    inv.lines[0].net_price = Some(d("-100.00"));
    inv.lines[0].quantity = Some(d("-1"));
    assert_eq!(rules(&inv), vec!["BR-27".to_string()]);
    inv.lines[0].net_price = Some(d("100.00"));
    assert_eq!(rules(&inv), Vec::<String>::new());
    // BR-CO-04: every line has its VAT category.
    let mut inv = base.clone();
    inv.lines[0].category = None;
    assert!(rules(&inv).contains(&"BR-CO-04".to_string()));
    // BR-CO-26: a seller known by nothing but its name.
    let mut inv = base.clone();
    inv.seller.legal_ids.clear();
    inv.seller.vat_id = None;
    inv.seller_tax_representative_vat_id = Some("FR44732829320".into());
    assert_eq!(rules(&inv), vec!["BR-CO-26".to_string()]);
    // BR-53: a VAT accounting currency (BT-6) needs the VAT total in it (BT-111).
    let mut inv = base.clone();
    inv.tax_currency = Some("USD".into());
    assert_eq!(rules(&inv), vec!["BR-53".to_string()]);
    inv.totals.vat_total_accounting = Some(d("23.40"));
    assert_eq!(rules(&inv), Vec::<String>::new());
    // An unreadable issue date is an XSD error, not also a missing one (BR-03).
    let mut inv = base;
    inv.issue_date = None;
    inv.malformed.push(("BT-2".into(), "123".into()));
    assert_eq!(rules(&inv), vec!["XSD".to_string()]);
}

#[test]
fn vat_identifiers_start_with_their_country_br_co_09() {
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    inv.seller.vat_id = Some("732829320".into());
    assert_eq!(rules(&inv), vec!["BR-CO-09".to_string()]);
    // Greece writes EL.
    inv.seller.vat_id = Some("EL094259216".into());
    assert_eq!(rules(&inv), Vec::<String>::new());
    // The CEN CII Schematron (and Factur-X's) still lists AN, the former Netherlands Antilles:
    // a CII invoice with an AN VAT identifier is officially valid.
    inv.seller.vat_id = Some("AN12345678".into());
    assert_eq!(rules(&inv), Vec::<String>::new());
}

/// A consistent invoice of one line in `cat` at 0 % (no rate for O), with an allowance and a
/// charge of 10.00 in the same category, its exemption reason stated.
fn without_vat(cat: &str) -> Invoice {
    let rate = (cat != "O").then(|| d("0"));
    let mut inv = invoice(Syntax::Cii, Profile::En16931, "100.00", "0", "0.00");
    inv.lines[0].category = Some(cat.into());
    inv.lines[0].rate = rate;
    inv.vat_breakdown[0].category = Some(cat.into());
    inv.vat_breakdown[0].rate = rate;
    inv.vat_breakdown[0].exemption_reason = Some("Autoliquidation".into());
    for charge in [false, true] {
        inv.allowances_charges.push(AllowanceCharge {
            charge,
            amount: Some(d("10.00")),
            category: Some(cat.into()),
            rate,
            reason: Some("x".into()),
            ..AllowanceCharge::default()
        });
    }
    inv.totals.allowance_total = Some(d("10.00"));
    inv.totals.charge_total = Some(d("10.00"));
    if cat == "O" {
        inv.seller.vat_id = None;
        inv.buyer.vat_id = None;
    }
    inv
}

#[test]
fn items_without_vat_are_at_0_percent_and_o_states_no_rate_br_x_05_to_07() {
    for (cat, p) in [
        ("AE", "AE"),
        ("K", "IC"),
        ("G", "G"),
        ("E", "E"),
        ("Z", "Z"),
    ] {
        let mut inv = without_vat(cat);
        if cat == "Z" {
            inv.vat_breakdown[0].exemption_reason = None;
        }
        assert_eq!(rules(&inv), Vec::<String>::new(), "{cat}");
        inv.lines[0].rate = Some(d("20"));
        inv.allowances_charges[0].rate = Some(d("20"));
        inv.allowances_charges[1].rate = Some(d("5.5"));
        let expected: Vec<String> = ["05", "06", "07"]
            .iter()
            .map(|n| format!("BR-{p}-{n}"))
            .collect();
        assert_eq!(rules(&inv), expected, "{cat}");
    }
    let mut o = without_vat("O");
    assert_eq!(rules(&o), Vec::<String>::new());
    o.lines[0].rate = Some(d("0"));
    assert_eq!(rules(&o), vec!["BR-O-05".to_string()]);
}

#[test]
fn a_category_without_vat_has_exactly_one_breakdown_row_br_x_01() {
    let mut inv = without_vat("AE");
    let mut second = inv.vat_breakdown[0].clone();
    second.basis = Some(d("0"));
    inv.vat_breakdown.push(second);
    assert!(
        rules(&inv).contains(&"BR-AE-01".to_string()),
        "{:?}",
        rules(&inv)
    );
    // Standard-rated items need at least one S row.
    let mut s = invoice(Syntax::Cii, Profile::En16931, "100.00", "20", "20.00");
    s.vat_breakdown[0].category = Some("Z".into());
    s.vat_breakdown[0].rate = Some(d("0"));
    assert!(
        rules(&s).contains(&"BR-S-01".to_string()),
        "{:?}",
        rules(&s)
    );
}

#[test]
fn not_subject_to_vat_names_no_vat_id_and_stays_alone_br_o_02_to_04_and_12_to_14() {
    let mut o = without_vat("O");
    o.buyer.vat_id = Some("FR44732829320".into());
    assert_eq!(
        rules(&o),
        ["BR-O-02", "BR-O-03", "BR-O-04"].map(String::from)
    );
    let mut o = without_vat("O");
    o.allowances_charges[1].category = Some("S".into());
    o.allowances_charges[1].rate = Some(d("20"));
    let got = rules(&o);
    assert!(got.contains(&"BR-O-14".to_string()), "{got:?}");
    assert!(!got.contains(&"BR-O-12".to_string()), "{got:?}");
}

#[test]
fn extended_lines_need_no_quantity_price_nor_category() {
    // Factur-X 1.09 EXTENDED has no BR-22, BR-26, BR-27, BR-38, BR-CO-04.
    let mut inv = invoice(Syntax::Cii, Profile::Extended, "100.00", "20", "20.00");
    inv.lines[0].quantity = None;
    inv.lines[0].net_price = Some(d("-100.00"));
    assert_eq!(rules(&inv), Vec::<String>::new());
    inv.profile = Profile::En16931;
    assert_eq!(rules(&inv), vec!["BR-22".to_string(), "BR-27".to_string()]);
}

#[test]
fn not_subject_to_vat_names_no_tax_representative_vat_id_either_br_o_02() {
    // CEN unit test BR-O-02: a tax representative's VAT id (BT-63) on an O invoice.
    let mut o = without_vat("O");
    o.seller_tax_representative_vat_id = Some("SE999999999901".into());
    assert_eq!(
        rules(&o),
        ["BR-O-02", "BR-O-03", "BR-O-04"].map(String::from)
    );
}

#[test]
fn extended_has_no_br_o_02_and_asks_at_least_one_row_per_category() {
    // Factur-X 1.09 EXTENDED has no BR-O-02 to -04 nor BR-x-01 (BR-FXEXT-S/E/AE/O-01: at least
    // one row): an EXTENDED O invoice naming the seller's VAT id is officially valid.
    let mut o = without_vat("O");
    o.seller.vat_id = Some("FR32123456789".into());
    o.profile = Profile::Extended;
    assert_eq!(rules(&o), Vec::<String>::new());
    o.vat_breakdown[0].category = Some("S".into());
    o.vat_breakdown[0].rate = Some(d("0"));
    assert!(rules(&o).contains(&"BR-FXEXT-O-01".to_string()));
    o.profile = Profile::En16931;
    assert!(rules(&o).contains(&"BR-O-01".to_string()));
}

#[test]
fn basic_wl_has_no_br_x_01() {
    // Factur-X 1.09 BASIC WL: two E rows (two exemption reasons) with an E allowance are valid.
    let mut e = without_vat("E");
    e.profile = Profile::BasicWl;
    e.vat_breakdown.push(e.vat_breakdown[0].clone());
    assert!(
        !rules(&e).contains(&"BR-E-01".to_string()),
        "{:?}",
        rules(&e)
    );
    e.profile = Profile::En16931;
    assert!(rules(&e).contains(&"BR-E-01".to_string()));
}
