//! `passerelle ingest` of e-invoice files (Factur-X PDF, CII XML).

use std::path::Path;

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_einvoice_file_is_ingested_booked_from_its_data_once_and_another_companys_is_held() {
    use einvoice::testkit::forge::{Kind, Level, Party, Spec};
    use einvoice::testkit::{pdfout, xmlout};
    let dir = tempfile::tempdir().unwrap();
    let sim = small_sim(0, 0).await;
    let cfg = config(dir.path(), &sim);
    // Purchases are in the dossier's scope.
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, text.replace("scope = \"sales\"", "scope = \"both\"")).unwrap();
    let siren = domain::testkit::example_config().siren;
    let mut spec = Spec::typical(Kind::Cii(Level::En16931));
    spec.buyer = Party::french("Acme SAS", &siren);
    let pdf = dir.path().join("factur-x.pdf");
    std::fs::write(
        &pdf,
        pdfout::pdf("factur-x.xml", xmlout::write(&spec).as_bytes(), true, 0),
    )
    .unwrap();
    let to = ["--to", "achat.acme@collecte.example.fr"];
    let ingest = |file: &Path| {
        let mut c = with_config(&["ingest"], &cfg, &sim.client_secret());
        c.arg(file).args(to).arg("--json");
        run(&mut c)
    };
    let out = ingest(&pdf);
    assert!(out.status.success());
    let v = json(&out);
    assert_eq!(v["status"], "booked", "{v}");
    let key = v["detail"].as_str().unwrap().to_string();
    assert!(key.starts_with("einvoice:purchase_invoice:"), "{v}");
    let log = run(&mut with_config(
        &["log", "acme", "--json"],
        &cfg,
        &sim.client_secret(),
    ));
    let log = String::from_utf8_lossy(&log.stdout).to_string();
    assert!(log.contains(&key) && log.contains("booked"), "{log}");
    // The same invoice as its bare XML: one document, not booked twice.
    let xml = dir.path().join("factur-x.xml");
    std::fs::write(&xml, xmlout::write(&spec)).unwrap();
    let v = json(&ingest(&xml));
    assert_eq!(v["status"], "duplicate", "{v}");
    // Addressed to another company: held with the reason, exit code 1.
    spec.buyer = Party::french("Autre SAS", "552081317");
    spec.number = "FA-2026-0077".into();
    std::fs::write(&xml, xmlout::write(&spec)).unwrap();
    let out = ingest(&xml);
    assert_eq!(out.status.code(), Some(1));
    let v = json(&out);
    assert_eq!(v["status"], "held", "{v}");
    assert!(
        v["detail"].as_str().unwrap().contains("another company"),
        "{v}"
    );
}
