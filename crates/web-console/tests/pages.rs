//! What the pages show: the dossiers with their marks, a dossier's log with its severities and
//! filters, the held and rejected documents, the mail settings, the language.

mod harness;

use app::ports::{IntegrationLog, LogEvent, ObjectKind, Record, RecordStore, Severity};
use app::usecases::records::{Content, DocState, DocumentRecord, Outbox, doc_pk};
use chrono::{Duration, Utc};
use harness::{Client, World};

async fn event(world: &World, dossier: &str, severity: Severity, message: &str, days_ago: i64) {
    world
        .pipeline
        .log()
        .record(LogEvent {
            at: Utc::now() - Duration::days(days_ago),
            dossier: dossier.into(),
            object: ObjectKind::Document,
            object_id: format!("sellsy:sales_invoice:{message}"),
            severity,
            message: message.into(),
            action: format!("action for {message}"),
            run: None,
        })
        .await
        .unwrap();
}

async fn document(world: &World, dossier: &str, key: &str, state: DocState, reason: &str) {
    let doc = DocumentRecord {
        dossier: dossier.into(),
        key: key.into(),
        state,
        reason: Some(reason.into()),
        action: Some(format!("fix {reason}")),
        content_hash: "00".into(),
        content: Content::Unread(app::ports::ProblemSubject::JournalLine {
            source: "sellsy".into(),
            id: key.into(),
            date: None,
        }),
        changed_hash: None,
        entry: None,
        pdf_key: None,
        pdf_sha256: None,
        outbox: Outbox::default(),
        ledger_id: None,
        updated_at: Utc::now(),
    };
    world
        .pipeline
        .store
        .create(&Record::new(doc_pk(dossier), key, doc.to_data()))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_dossiers_page_marks_what_needs_action() {
    let world = World::new();
    document(
        &world,
        "acme",
        "mail:achat:1",
        DocState::Rejected,
        "account 706100 missing",
    )
    .await;
    document(&world, "globex", "mail:achat:2", DocState::Held, "no PDF").await;
    let mut c = Client::logged_in(&world, "alice").await;
    let page = c.get(&world, "/console/").await;
    assert_eq!(page.status, 200);
    let row = |id: &str| {
        let at = page.body.find(&format!("<small>{id}</small>")).unwrap();
        let end = page.body[at..].find("</tr>").unwrap();
        page.body[at..at + end].to_string()
    };
    assert!(row("acme").contains("mark-red"), "{}", row("acme"));
    assert!(row("globex").contains("mark-yellow"), "{}", row("globex"));
    assert!(row("acme").contains("fec"));
}

#[tokio::test]
async fn the_log_is_coloured_and_filtered() {
    let world = World::new();
    event(&world, "acme", Severity::Info, "pulled-one", 1).await;
    event(&world, "acme", Severity::Warning, "held-two", 1).await;
    event(&world, "acme", Severity::Error, "rejected-three", 1).await;
    event(&world, "acme", Severity::Error, "old-four", 60).await;
    event(&world, "globex", Severity::Error, "other-dossier", 1).await;
    let mut c = Client::logged_in(&world, "alice").await;
    let all = c.get(&world, "/console/dossiers/acme").await;
    assert_eq!(all.status, 200);
    for (class, msg) in [
        ("sev-info", "pulled-one"),
        ("sev-warning", "held-two"),
        ("sev-error", "rejected-three"),
    ] {
        let at = all
            .body
            .find(msg)
            .unwrap_or_else(|| panic!("{msg} missing"));
        let row_start = all.body[..at].rfind("<tr").unwrap();
        assert!(all.body[row_start..at].contains(class), "{msg} not {class}");
    }
    assert!(all.body.contains("action for rejected-three"));
    assert!(
        !all.body.contains("old-four"),
        "older than 30 days by default"
    );
    assert!(!all.body.contains("other-dossier"));
    let errors = c.get(&world, "/console/dossiers/acme?severity=error").await;
    assert!(errors.body.contains("rejected-three"));
    assert!(!errors.body.contains("held-two") && !errors.body.contains("pulled-one"));
    let problems = c
        .get(&world, "/console/dossiers/acme?severity=warning")
        .await;
    assert!(problems.body.contains("held-two") && !problems.body.contains("pulled-one"));
    let old = Utc::now() - Duration::days(61);
    let dated = c
        .get(
            &world,
            &format!(
                "/console/dossiers/acme?from={}&to={}",
                old.format("%Y-%m-%d"),
                (old + Duration::days(2)).format("%Y-%m-%d")
            ),
        )
        .await;
    assert!(dated.body.contains("old-four") && !dated.body.contains("rejected-three"));
    let text = c.get(&world, "/console/dossiers/acme?q=HELD").await;
    assert!(text.body.contains("held-two") && !text.body.contains("rejected-three"));
    assert!(
        text.body.contains("1 lignes affichées sur 1"),
        "{}",
        text.body
    );
}

#[tokio::test]
async fn held_and_rejected_documents_and_the_mail_settings_are_shown() {
    let world = World::new();
    document(
        &world,
        "acme",
        "mail:achat:abc",
        DocState::Held,
        "duplicate piece number",
    )
    .await;
    document(
        &world,
        "acme",
        "mail:achat:def",
        DocState::Pushed,
        "pushed fine",
    )
    .await;
    let mut c = Client::logged_in(&world, "alice").await;
    let page = c.get(&world, "/console/dossiers/acme").await;
    assert!(
        page.body.contains("duplicate piece number")
            && page.body.contains("fix duplicate piece number")
    );
    assert!(!page.body.contains("pushed fine"));
    for address in [
        "achat.acme@collecte.example.fr",
        "vente.acme@collecte.example.fr",
        "ndf.acme@collecte.example.fr",
        "admin.acme@collecte.example.fr",
    ] {
        assert!(page.body.contains(address), "{address}");
    }
    assert!(page.body.contains("pdf, png, jpg"));
    assert!(page.body.contains("id=\"sync-now\""));
}

#[tokio::test]
async fn french_by_default_english_on_request() {
    let world = World::new();
    let mut c = Client::logged_in(&world, "alice").await;
    let fr = c.get(&world, "/console/dossiers/acme").await;
    assert!(fr.body.contains("<html lang=\"fr\">") && fr.body.contains("Synchroniser maintenant"));
    let en = c.get(&world, "/console/dossiers/acme?lang=en").await;
    assert!(en.body.contains("<html lang=\"en\">") && en.body.contains("Synchronise now"));
    // The choice is kept in a cookie.
    let again = c.get(&world, "/console/").await;
    assert!(again.body.contains("<html lang=\"en\">"));
    let mut browser = Client::default();
    let mut req = harness::request("GET", "/console/login", "");
    req.headers
        .push(("Accept-Language".into(), "en-GB,en;q=0.9".into()));
    assert!(browser.send(&world, req).await.body.contains("Sign in"));
}

#[tokio::test]
async fn a_message_is_escaped() {
    let world = World::new();
    event(
        &world,
        "acme",
        Severity::Error,
        "<script>alert(1)</script>",
        1,
    )
    .await;
    let mut c = Client::logged_in(&world, "alice").await;
    let page = c.get(&world, "/console/dossiers/acme").await;
    assert!(!page.body.contains("<script>alert"), "not escaped");
    assert!(page.body.contains("&lt;script&gt;"));
}

/// "Relancer": a held document is mapped again with the current settings and the log says who
/// asked; a read-only user cannot; a document the source could not be read for is refused with
/// what to do instead.
#[tokio::test]
async fn relancer_retries_a_held_document_and_logs_who_asked() {
    let world = World::new();
    let source = domain::testkit::invoices(1, 1, 3).remove(0);
    let key = source.key();
    let held = DocumentRecord {
        dossier: "acme".into(),
        key: key.clone(),
        state: DocState::Held,
        reason: Some("no VAT account for the 5.5 % rate".into()),
        action: Some("map the rate in [dossier.vat.sales]".into()),
        content_hash: "00".into(),
        content: Content::Source {
            document: source,
            journal: Vec::new(),
        },
        changed_hash: None,
        entry: None,
        pdf_key: None,
        pdf_sha256: None,
        outbox: Outbox::default(),
        ledger_id: None,
        updated_at: Utc::now(),
    };
    let store = &world.pipeline.store;
    store
        .create(&Record::new(doc_pk("acme"), &key, held.to_data()))
        .await
        .unwrap();
    document(
        &world,
        "acme",
        "sellsy:journal_line:7",
        DocState::Held,
        "no date",
    )
    .await;

    let mut romain = Client::logged_in(&world, "romain").await;
    let page = romain.get(&world, "/console/dossiers/acme").await;
    assert!(
        !page.body.contains("/retry\""),
        "read-only users get no Relancer button"
    );
    let token = romain.csrf(&world).await;
    let refused = romain
        .post(
            &world,
            "/console/dossiers/acme/retry",
            &[("csrf", &token), ("key", &key)],
        )
        .await;
    assert_eq!(refused.status, 403);

    let mut alice = Client::logged_in(&world, "alice").await;
    let page = alice.get(&world, "/console/dossiers/acme").await;
    assert!(page.body.contains("Relancer") && page.body.contains(&key));
    let token = alice.csrf(&world).await;
    let done = alice
        .post(
            &world,
            "/console/dossiers/acme/retry",
            &[("csrf", &token), ("key", &key)],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("Document relancé"), "{}", done.body);
    let rec = store.get(&doc_pk("acme"), &key).await.unwrap().unwrap();
    assert_eq!(
        DocumentRecord::from_record(&rec).unwrap().state,
        DocState::Received
    );
    let log = alice.get(&world, "/console/dossiers/acme").await;
    assert!(
        log.body
            .contains("retry asked by alice (admin) in the console"),
        "{}",
        log.body
    );

    let unread = alice
        .post(
            &world,
            "/console/dossiers/acme/retry",
            &[("csrf", &token), ("key", "sellsy:journal_line:7")],
        )
        .await;
    assert_eq!(unread.status, 409);
    assert!(
        unread.body.contains("every sync reads it again"),
        "{}",
        unread.body
    );
}
