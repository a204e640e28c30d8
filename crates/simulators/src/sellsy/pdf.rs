//! A small, valid PDF 1.4 document (header, objects, xref table with exact offsets, trailer).

use super::data::{Dataset, Doc, Kind};

/// Renders `lines` (Latin-1 subset; other characters become '?') on one A4 page.
pub fn render(title: &str, lines: &[String]) -> Vec<u8> {
    let mut content = String::from("BT /F1 16 Tf 50 790 Td (");
    content.push_str(&escape(title));
    content.push_str(") Tj /F1 11 Tf");
    for l in lines {
        content.push_str(" 0 -18 Td (");
        content.push_str(&escape(l));
        content.push_str(") Tj");
    }
    content.push_str(" ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        format!("<< /Length {} >>\nstream\n{}\nendstream", content.len(), content),
    ];
    let mut out = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{}\nendobj\n", i + 1, o).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

fn escape(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '(' | ')' | '\\' => format!("\\{c}"),
            c if (c as u32) < 0x20 => " ".to_string(),
            c if (c as u32) < 0x80 => c.to_string(),
            // WinAnsi covers Latin-1's accented letters with the same codes: emit octal escapes.
            c if (c as u32) < 0x100 => format!("\\{:03o}", c as u32),
            '€' => "\\200".to_string(),
            _ => "?".to_string(),
        })
        .collect()
}

/// The PDF of a document: its number, date, subject, rows and totals.
pub(crate) fn document(data: &Dataset, doc: &Doc) -> Vec<u8> {
    let a = super::data::compute(doc, &data.taxes);
    let title = match doc.kind {
        Kind::Invoice => format!("Facture {}", doc.number),
        Kind::CreditNote => format!("Avoir {}", doc.number),
    };
    let mut lines = vec![
        format!("Date : {}", doc.date),
        format!("Objet : {}", doc.subject),
        format!("Version : {}", doc.version),
    ];
    for (r, ra) in doc.rows.iter().zip(&a.rows) {
        lines.push(format!(
            "{} x {} : {} EUR HT",
            r.quantity,
            r.description,
            super::data::money(ra.excl)
        ));
    }
    lines.push(format!("Total HT : {} EUR", super::data::money(a.excl)));
    lines.push(format!("Total TVA : {} EUR", super::data::money(a.vat)));
    lines.push(format!("Total TTC : {} EUR", super::data::money(a.incl)));
    render(&title, &lines)
}
