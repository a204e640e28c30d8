//! Sample mails of the demo: what a document platform such as Welyb sends, a spoofed copy, a
//! file in a format the ledger does not take, and a file lying about its type.

use base64::Engine;

/// A minimal valid PDF (one empty page).
pub fn sample_pdf(label: &str) -> Vec<u8> {
    let body = format!(
        "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n% {label}\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    );
    body.into_bytes()
}

/// A mail with attachments; `dmarc` is what our MTA wrote in its `Authentication-Results`.
pub fn mail(
    from: &str,
    to: &str,
    subject: &str,
    dmarc: &str,
    authserv_id: &str,
    files: &[(&str, &str, Vec<u8>)],
) -> Vec<u8> {
    let domain = from.rsplit_once('@').map(|(_, d)| d).unwrap_or("");
    let mut out = format!(
        "Authentication-Results: {authserv_id}; spf=pass smtp.mailfrom={domain}; dkim={dkim} header.d={domain}; dmarc={dmarc} header.from={domain}\r\n\
         From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{id}@{domain}>\r\nDate: Mon, 23 Nov 2026 08:00:00 +0100\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"sep\"\r\n\r\n\
         --sep\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nveuillez trouver les pièces ci-jointes.\r\n",
        dkim = if dmarc == "pass" { "pass" } else { "fail" },
        id = subject.replace(' ', "-").to_lowercase(),
    );
    for (name, ctype, bytes) in files {
        out.push_str(&format!(
            "--sep\r\nContent-Type: {ctype}; name=\"{name}\"\r\nContent-Disposition: attachment; filename=\"{name}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        ));
        let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
        for line in encoded.as_bytes().chunks(76) {
            out.push_str(std::str::from_utf8(line).unwrap_or(""));
            out.push_str("\r\n");
        }
    }
    out.push_str("--sep--\r\n");
    out.into_bytes()
}
