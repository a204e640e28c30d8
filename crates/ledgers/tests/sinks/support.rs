//! Test support of the ledgers tests: data (mapped invoices, collected documents), the sinks'
//! configurations for the Inqom, Pennylane and Chift mocks of `simulators`, and the independent FEC
//! checker.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use app::ports::{Attachment, DocumentToPush, EntryToPush, Secret};
use domain::Category;
use domain::auxcode::AuxCodes;
use domain::config::DossierConfig;
use domain::mapping::{Mapped, map_document};
use domain::testkit::{example_config, invoices};
use ledgers::{
    ChiftConfig, InqomConfig, PartyBook, PennylaneAuth, PennylaneConfig, RateLimit, RetryPolicy,
};
use sha2::Digest;
use simulators::chift::{self, ChiftMock};
use simulators::inqom::{self, InqomMock};
use simulators::pennylane::{self, PennylaneMock};

pub fn config() -> DossierConfig {
    example_config()
}

pub fn sha256(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

pub fn pdf(name: &str) -> Attachment {
    let bytes = format!("%PDF-1.4\n% {name}\n%%EOF\n").into_bytes();
    Attachment {
        file_name: format!("{name}.pdf"),
        content_type: "application/pdf".into(),
        sha256: sha256(&bytes),
        bytes,
    }
}

/// `n` mapped invoices of the example dossier, with their PDF; their parties go to `book`.
pub fn entries(n: usize, seed: u64, book: &PartyBook) -> Vec<EntryToPush> {
    let cfg = config();
    let mut aux = AuxCodes::new(cfg.auxiliary.length);
    let mut out = Vec::new();
    let mut batch = 0;
    while out.len() < n {
        for mut doc in invoices(n, 3, seed + batch) {
            doc.source.source_id = format!("{}-{}", batch, doc.source.source_id);
            doc.number = format!("F{}-{}", batch, doc.number);
            let Ok(Mapped::Entry(entry)) = map_document(&doc, &cfg, &mut aux) else {
                continue;
            };
            for l in entry.lines() {
                if let Some(a) = &l.auxiliary {
                    book.remember(&cfg.id, &a.code, &doc.party);
                }
            }
            out.push(EntryToPush {
                external_id: entry.source.key(),
                pdf: Some(pdf(&entry.piece_ref)),
                entry,
            });
            if out.len() == n {
                break;
            }
        }
        batch += 1;
    }
    out
}

/// `n` collected documents cycling through the four categories.
pub fn documents(n: usize) -> Vec<DocumentToPush> {
    (0..n)
        .map(|i| {
            let category = Category::ALL[i % 4];
            let file = pdf(&format!("scan-{i}"));
            DocumentToPush {
                external_id: format!("mail:{}:{}", file.sha256, category.prefix()),
                category,
                file,
                sender: "no-reply@welyb.fr".into(),
            }
        })
        .collect()
}

/// Fast retries for tests.
pub fn retry() -> RetryPolicy {
    RetryPolicy {
        attempts: 4,
        backoff: Duration::from_millis(20),
        max_wait: Duration::from_secs(5),
        timeout: Duration::from_secs(5),
    }
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Runs the independent checker (tools/fec_check.py, installed by scripts/setup); returns
/// (exit code, JSON report).
pub fn independent_check(path: &Path) -> (i32, serde_json::Value) {
    let python = std::env::var_os("PASSERELLE_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join(".venv/bin/python"));
    assert!(
        python.exists(),
        "the independent FEC checker is not installed ({} is missing): run scripts/setup first",
        python.display()
    );
    let out = Command::new(&python)
        .arg(repo_root().join("tools/fec_check.py"))
        .arg(path)
        .output()
        .expect("run tools/fec_check.py");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "fec_check failed to run (exit {code}): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        code,
        serde_json::from_slice(&out.stdout).expect("fec_check prints JSON"),
    )
}

/// No client-side pacing in the tests: the mocks do not throttle unless told to.
fn no_pacing() -> RateLimit {
    RateLimit {
        requests: 1_000,
        per: Duration::from_secs(1),
    }
}

/// The Inqom sink's configuration for a mock.
pub trait InqomMockConfig {
    fn config(&self) -> InqomConfig;
}

impl InqomMockConfig for InqomMock {
    fn config(&self) -> InqomConfig {
        let mut c = InqomConfig::production(
            inqom::DOSSIER,
            inqom::USER,
            Secret::new(inqom::PASSWORD),
            inqom::CLIENT_ID,
            Secret::new(inqom::CLIENT_SECRET),
        );
        c.token_url = self.token_url();
        c.api_url = self.api_url();
        c.documents_url = self.api_url();
        c.retry = retry();
        c.rate = no_pacing();
        c
    }
}

/// The Pennylane sink's configurations for a mock: the company token, or OAuth.
pub trait PennylaneMockConfig {
    fn config(&self) -> PennylaneConfig;
    fn oauth_config(&self) -> PennylaneConfig;
}

impl PennylaneMockConfig for PennylaneMock {
    fn config(&self) -> PennylaneConfig {
        let mut c = PennylaneConfig::with_token(Secret::new(pennylane::API_TOKEN));
        c.base_url = self.api_base();
        c.retry = retry();
        c.rate = no_pacing();
        c
    }

    fn oauth_config(&self) -> PennylaneConfig {
        let mut c = self.config();
        c.auth = PennylaneAuth::OAuth {
            token_url: self.token_url(),
            client_id: pennylane::CLIENT_ID.into(),
            client_secret: Secret::new(pennylane::CLIENT_SECRET),
            refresh_token: Secret::new(pennylane::REFRESH_TOKEN),
            access_token: None,
        };
        c
    }
}

/// The Chift sink's configuration for a mock.
pub trait ChiftMockConfig {
    fn config(&self) -> ChiftConfig;
}

impl ChiftMockConfig for ChiftMock {
    fn config(&self) -> ChiftConfig {
        let mut c = ChiftConfig::production(
            chift::CLIENT_ID,
            Secret::new(chift::CLIENT_SECRET),
            chift::ACCOUNT_ID,
            chift::CONSUMER_ID,
        );
        c.base_url = self.base_url();
        c.retry = retry();
        c.rate = no_pacing();
        c
    }
}

/// An entry whose third party is `DUPONT` "Dupont SARL", with VAT, SIREN and SIRET known.
pub fn dupont(book: &PartyBook) -> app::ports::EntryToPush {
    let cfg = config();
    let doc = domain::testkit::sellsy_example_invoice();
    let mut aux = domain::auxcode::AuxCodes::new(8);
    let domain::mapping::Mapped::Entry(entry) =
        domain::mapping::map_document(&doc, &cfg, &mut aux).unwrap()
    else {
        panic!("mapped")
    };
    book.remember(&cfg.id, "DUPONT", &doc.party);
    app::ports::EntryToPush {
        external_id: entry.source.key(),
        pdf: Some(pdf("FACT-2026-00042")),
        entry,
    }
}

/// A generated CII e-invoice (EN 16931), as the XML file an entry booked from it carries.
pub fn einvoice_xml(name: &str) -> Attachment {
    use einvoice::testkit::{forge, xmlout};
    let spec = forge::Spec::typical(forge::Kind::Cii(forge::Level::En16931));
    xml_file(name, xmlout::write(&spec).as_bytes())
}

pub fn xml_file(name: &str, bytes: &[u8]) -> Attachment {
    Attachment {
        file_name: name.into(),
        content_type: "application/xml".into(),
        sha256: sha256(bytes),
        bytes: bytes.to_vec(),
    }
}

/// The files a PDF embeds (its `/AF` file specifications): name and decoded bytes.
pub fn embedded_files(pdf: &[u8]) -> Vec<(String, Vec<u8>)> {
    let doc = lopdf::Document::load_mem(pdf).expect("a PDF");
    let af = doc
        .catalog()
        .unwrap()
        .get(b"AF")
        .unwrap()
        .as_array()
        .unwrap();
    af.iter()
        .map(|r| {
            let spec = doc.get_dictionary(r.as_reference().unwrap()).unwrap();
            let name = lopdf::decode_text_string(spec.get(b"UF").unwrap()).unwrap();
            let ef = spec.get(b"EF").unwrap().as_dict().unwrap();
            let id = ef.get(b"F").unwrap().as_reference().unwrap();
            let stream = doc.get_object(id).unwrap().as_stream().unwrap();
            (name, stream.decompressed_content().unwrap())
        })
        .collect()
}
