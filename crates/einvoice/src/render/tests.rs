//! The readable PDF, read back with lopdf: its text, its attachment, its pages.

use lopdf::{Document, Object};

use super::{RENAMED_ATTACHMENT, attachment_name, readable_pdf};
use crate::testkit::forge::{self, Cat, Kind, Level, Spec};
use crate::testkit::xmlout;
use crate::{Detection, detect};

/// The text of every page, in order: the operands of `Tj`, decoded from windows-1252.
pub fn page_texts(pdf: &[u8]) -> Vec<String> {
    let doc = Document::load_mem(pdf).expect("the PDF loads");
    doc.get_pages()
        .values()
        .map(|&id| {
            let content = doc.get_page_content(id);
            let ops = lopdf::content::Content::decode(&content).expect("content decodes");
            let mut text = String::new();
            for op in ops.operations.iter().filter(|o| o.operator == "Tj") {
                if let Some(Object::String(bytes, _)) = op.operands.first() {
                    text.push_str(
                        &encoding_rs::WINDOWS_1252
                            .decode_without_bom_handling(bytes)
                            .0,
                    );
                    text.push('\n');
                }
            }
            text
        })
        .collect()
}

/// The attached files: (the file specification's /UF, the embedded stream decoded).
pub fn attachments(pdf: &[u8]) -> Vec<(String, Vec<u8>, Object)> {
    let doc = Document::load_mem(pdf).unwrap();
    let catalog = doc.catalog().unwrap();
    let af = catalog.get(b"AF").unwrap().as_array().unwrap();
    af.iter()
        .map(|r| {
            let spec = doc.get_dictionary(r.as_reference().unwrap()).unwrap();
            let name = lopdf::decode_text_string(spec.get(b"UF").unwrap()).unwrap();
            let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
            let stream = doc
                .get_object(ef.get(b"F").unwrap().as_reference().unwrap())
                .unwrap()
                .as_stream()
                .unwrap();
            let relationship = spec.get(b"AFRelationship").unwrap().clone();
            assert_eq!(
                stream.dict.get(b"Subtype").unwrap().as_name().unwrap(),
                b"text/xml"
            );
            (name, stream.decompressed_content().unwrap(), relationship)
        })
        .collect()
}

/// `1 234,50`, grouped by thousands.
fn french(amount: rust_decimal::Decimal) -> String {
    let text = format!("{amount:.2}");
    let (int, frac) = text.split_once('.').unwrap();
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(*c);
    }
    format!("{out},{frac}")
}

#[test]
fn a_cii_and_a_ubl_invoice_read_back_with_their_figures_and_the_xml_attached() {
    for (kind, name) in [
        (Kind::Cii(Level::En16931), "FA-2026-0042.xml"),
        (Kind::UblInvoice, "FA-2026-0042-ubl.xml"),
        (Kind::UblCreditNote, "AV-1.xml"),
    ] {
        let spec = Spec::typical(kind);
        let xml = xmlout::write(&spec).into_bytes();
        let pdf = readable_pdf(&xml, name).unwrap();
        let texts = page_texts(&pdf);
        assert_eq!(texts.len(), 1, "{name}");
        let text = &texts[0];
        let f = spec.figures();
        let title = if spec.credit_note {
            "Avoir (type 381)"
        } else {
            "Facture (type 380)"
        };
        for wanted in [
            title,
            "FA-2026-0042",
            "15/09/2026",
            "15/10/2026",
            "EUR",
            "Fournitures Dupont SARL",
            "732829320",
            &spec.seller.vat,
            "Cabinet Martin SAS",
            "Ramettes papier A4",
            "Livres de référence",
            "Remise fidélité",
            &french(f.basis),
            &french(f.vat),
            &french(f.grand),
            &french(f.rows[0].basis),
            "est le fichier XML original",
            "Page 1 / 1",
        ] {
            assert!(
                text.contains(wanted),
                "{name}: {wanted:?} missing from\n{text}"
            );
        }
        let files = attachments(&pdf);
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].0, name);
        assert!(
            files[0].1 == xml,
            "the attachment is the XML, byte for byte"
        );
        assert_eq!(files[0].2, Object::Name(b"Source".to_vec()));
        // Taken in again, it is an ordinary PDF: never a second e-invoice.
        match detect(&pdf, "visualisation.pdf") {
            Detection::NotEInvoice { .. } => {}
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(readable_pdf(&xml, name).unwrap(), pdf, "deterministic");
        assert!(!String::from_utf8_lossy(&pdf).contains("Metadata"));
    }
}

#[test]
fn reserved_names_are_renamed_so_the_pdf_is_never_read_as_factur_x() {
    let xml = xmlout::write(&Spec::typical(Kind::Cii(Level::Basic))).into_bytes();
    for name in [
        "factur-x.xml",
        "dir/ZUGFeRD-invoice.xml",
        "XRECHNUNG.XML",
        " factur-x.xml ",
        "",
    ] {
        assert_eq!(attachment_name(name), RENAMED_ATTACHMENT, "{name:?}");
        let pdf = readable_pdf(&xml, name).unwrap();
        assert_eq!(attachments(&pdf)[0].0, RENAMED_ATTACHMENT);
        assert!(matches!(
            detect(&pdf, "x.pdf"),
            Detection::NotEInvoice { .. }
        ));
    }
    assert_eq!(attachment_name("C:\\in\\facture été"), "facture été.xml");
    assert_eq!(attachment_name("factur-x.xml.xml"), "factur-x.xml.xml");
}

#[test]
fn thousands_of_lines_take_bounded_pages_and_say_what_is_left_out() {
    let mut spec = Spec::typical(Kind::UblInvoice);
    spec.lines = (0..6_000)
        .map(|i| {
            forge::line(
                &format!("Article n° {i} — 東京"),
                "1",
                "1.25",
                Cat::S(2000),
                None,
            )
        })
        .collect();
    let xml = xmlout::write(&spec).into_bytes();
    let pdf = readable_pdf(&xml, "big.xml").unwrap();
    let texts = page_texts(&pdf);
    assert!(
        texts.len() > 5 && texts.len() <= super::MAX_PAGES,
        "{}",
        texts.len()
    );
    let all = texts.concat();
    assert!(
        all.contains("Article n° 0 — ??"),
        "unmappable characters become '?'"
    );
    assert!(all.contains("autres lignes ne sont pas affichées : voir le XML joint"));
    let last = texts.last().unwrap();
    assert!(
        last.contains(&french(spec.figures().grand)),
        "the totals come after the lines"
    );
    assert!(
        texts.iter().all(|t| t.contains("fichier XML original")),
        "a footer on every page"
    );
    assert!(attachments(&pdf)[0].1 == xml);

    spec.lines.truncate(150);
    let pdf = readable_pdf(&xmlout::write(&spec).into_bytes(), "mid.xml").unwrap();
    let texts = page_texts(&pdf);
    assert!(texts.len() >= 3, "{}", texts.len());
    assert!(
        texts.concat().contains("Article n° 149"),
        "every line shown"
    );
    assert!(!texts.concat().contains("autres lignes"));
}

#[test]
fn what_is_not_an_invoice_is_an_error() {
    for bytes in [
        &b""[..],
        b"<note>hi</note>",
        b"%PDF-1.7\n",
        b"<?xml version=\"1.0\"?><a",
        &[0xFF, 0xD8, 0xFF, 0x00],
    ] {
        assert!(readable_pdf(bytes, "x.xml").is_err(), "{bytes:?}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(200))]

    /// Malformed input never panics: it is an error, or (still an invoice) a PDF that loads
    /// and is no e-invoice itself.
    #[test]
    fn mutated_invoices_are_an_error_or_a_pdf_never_a_panic(
        ubl in proptest::prelude::any::<bool>(),
        cuts in proptest::collection::vec((proptest::prelude::any::<proptest::sample::Index>(), proptest::prelude::any::<u8>(), 0usize..4), 1..8),
    ) {
        let kind = if ubl { Kind::UblInvoice } else { Kind::Cii(Level::Extended) };
        let mut bytes = xmlout::write(&Spec::typical(kind)).into_bytes();
        for (at, byte, how) in cuts {
            if bytes.is_empty() {
                break;
            }
            let i = at.index(bytes.len());
            match how {
                0 => bytes[i] = byte,
                1 => bytes.truncate(i),
                2 => bytes.insert(i, byte),
                _ => {
                    bytes.splice(i..i, "<x a='1'>(é\\)&amp;</x>".bytes());
                }
            }
        }
        if let Ok(pdf) = readable_pdf(&bytes, "mutated.xml") {
            proptest::prop_assert!(Document::load_mem(&pdf).is_ok());
            let again = detect(&pdf, "r.pdf");
            proptest::prop_assert!(matches!(again, Detection::NotEInvoice { .. }), "{:?}", again);
        }
    }

    #[test]
    fn random_bytes_are_an_error(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..600)) {
        proptest::prop_assert!(readable_pdf(&bytes, "random.xml").is_err());
    }
}

/// The project's Python (`PASSERELLE_PYTHON`, else the `.venv` scripts/setup makes).
fn python() -> std::path::PathBuf {
    let python = std::env::var_os("PASSERELLE_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../.venv/bin/python")
        });
    assert!(
        python.exists(),
        "the independent PDF reader (pypdf) needs the project's virtualenv ({} is missing): run ./scripts/setup",
        python.display()
    );
    python
}

/// pypdf, an independent reader, finds in the readable PDF of an XML invoice its number, seller
/// and total, and the XML itself as its one attachment.
#[test]
fn pypdf_reads_the_readable_pdf_and_its_attached_xml() {
    const SCRIPT: &str = r#"
import hashlib, json, sys
from pypdf import PdfReader
out = {}
for path in sys.argv[1:]:
    r = PdfReader(path)
    out[path] = {
        "text": "\n".join(p.extract_text() for p in r.pages),
        "attachments": {n: [hashlib.sha256(b).hexdigest() for b in bs] for n, bs in r.attachments.items()},
    }
print(json.dumps(out))
"#;
    let dir = tempfile::tempdir().unwrap();
    let mut cases = Vec::new();
    for (kind, name) in [
        (Kind::Cii(Level::En16931), "cii"),
        (Kind::UblInvoice, "ubl"),
    ] {
        let spec = Spec::typical(kind);
        let xml = xmlout::write(&spec).into_bytes();
        let pdf = readable_pdf(&xml, &format!("{name}.xml")).unwrap();
        let path = dir.path().join(format!("{name}.pdf"));
        std::fs::write(&path, pdf).unwrap();
        cases.push((path, name, spec, xml));
    }
    let out = std::process::Command::new(python())
        .arg("-c")
        .arg(SCRIPT)
        .args(cases.iter().map(|c| &c.0))
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "pypdf failed (run ./scripts/setup if it is missing):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for (path, name, spec, xml) in cases {
        let got = &read[path.to_str().unwrap()];
        let text = got["text"].as_str().unwrap();
        let total = format!("{:.2}", spec.figures().grand).replace('.', ",");
        for wanted in [
            spec.number.as_str(),
            &spec.seller.name,
            &total,
            "Facture (type 380)",
        ] {
            assert!(text.contains(wanted), "{name}: {wanted:?} not in\n{text}");
        }
        let sha = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&xml));
        assert_eq!(
            got["attachments"],
            serde_json::json!({ format!("{name}.xml"): [sha] }),
            "{name}"
        );
    }
}
