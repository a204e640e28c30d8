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
        text.body
            .contains("1 lignes affichées, les plus récentes en premier"),
        "{}",
        text.body
    );
}

/// The log lines of a page, in the order shown (their messages).
fn shown(html: &str) -> Vec<String> {
    html.split("<tr class=\"sev-")
        .skip(1)
        .filter_map(|row| {
            let at = row.find("line-")?;
            Some(row.get(at..at + "line-000".len())?.to_string())
        })
        .collect()
}

/// The "older lines" link of a page, decoded for the test client.
fn next_link(html: &str) -> Option<String> {
    let at = html.find("id=\"log-next\" rel=\"next\" href=\"")?;
    let rest = &html[at + "id=\"log-next\" rel=\"next\" href=\"".len()..];
    // As a browser reads the attribute: the template escapes `&` and `/`.
    Some(
        rest[..rest.find('"')?]
            .replace("&#x2f;", "/")
            .replace("&amp;", "&"),
    )
}

#[tokio::test]
async fn the_log_is_paged_newest_first_with_the_filters_applied_before_the_limit() {
    let world = World::new();
    // 450 lines, one a minute, the newest last; every fifth one an error, whose message has
    // an accented capital (the text filter ignores case beyond ASCII).
    let start = Utc::now() - Duration::days(2);
    for i in 0..450 {
        let severity = if i % 5 == 0 {
            Severity::Error
        } else {
            Severity::Info
        };
        let message = if i % 5 == 0 {
            format!("line-{i:03} Écriture refusée")
        } else {
            format!("line-{i:03} poussée")
        };
        world
            .pipeline
            .log()
            .record(LogEvent {
                at: start + Duration::minutes(i),
                dossier: "acme".into(),
                object: ObjectKind::Document,
                object_id: format!("doc-{i}"),
                severity,
                message,
                action: "no action needed".into(),
                run: None,
            })
            .await
            .unwrap();
    }
    let mut c = Client::logged_in(&world, "alice").await;
    let want = |range: &mut dyn Iterator<Item = i64>| -> Vec<String> {
        range.map(|i| format!("line-{i:03}")).collect()
    };
    // Everything: 200, 200, then 50, newest first, each page starting where the last ended.
    let first = c.get(&world, "/console/dossiers/acme").await;
    assert_eq!(shown(&first.body), want(&mut (250..450).rev()));
    assert!(first.body.contains("200 lignes affichées"));
    let second = c.get(&world, &next_link(&first.body).unwrap()).await;
    assert_eq!(shown(&second.body), want(&mut (50..250).rev()));
    assert!(second.body.contains("id=\"log-newest\""));
    let third = c.get(&world, &next_link(&second.body).unwrap()).await;
    assert_eq!(shown(&third.body), want(&mut (0..50).rev()));
    assert_eq!(next_link(&third.body), None, "the oldest page has no next");
    // Errors only: the 90 errors on one page (the limit counts matching lines only).
    let errors = c.get(&world, "/console/dossiers/acme?severity=error").await;
    assert_eq!(
        shown(&errors.body),
        want(&mut (0..450).rev().filter(|i| i % 5 == 0))
    );
    assert_eq!(next_link(&errors.body), None);
    // Text, case-insensitive beyond ASCII, with a period: the filter survives the paging.
    let day = start.format("%Y-%m-%d");
    let text = c
        .get(
            &world,
            &format!("/console/dossiers/acme?q=%C3%A9criture&from={day}&to={day}"),
        )
        .await;
    let today: Vec<String> = want(&mut (0..450).rev().filter(|i| {
        i % 5 == 0 && (start + Duration::minutes(*i)).date_naive() == start.date_naive()
    }));
    let mut got = shown(&text.body);
    let mut link = next_link(&text.body);
    while let Some(l) = link {
        let page = c.get(&world, &l).await;
        got.extend(shown(&page.body));
        link = next_link(&page.body);
    }
    assert_eq!(got, today);
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

/// "Tester la connexion": the checks of `passerelle test-connection` (the same use case),
/// Sellsy's quotas and missing scope, the ledger's journals and each account with its
/// counterpart, the missing one with its fix, coloured as the log; open to a read-only user
/// (it changes nothing), a POST with the CSRF token, and logged with who asked.
#[tokio::test]
async fn tester_la_connexion_shows_scopes_quotas_journals_and_accounts() {
    let World {
        site,
        pipeline,
        launcher,
    } = World::new();
    let acme = site.dossiers[0].config.clone();
    let missing = domain::chart::ledger::dossier_accounts(&acme)[0].0.clone();
    let missing: &'static str = Box::leak(missing.into_boxed_str());
    let world = World {
        site: site.with_tester(harness::connection::tester(acme, missing)),
        pipeline,
        launcher,
    };
    let mut c = Client::logged_in(&world, "romain").await;
    let dossier = c.get(&world, "/console/dossiers/acme").await;
    assert!(
        dossier.body.contains("id=\"test-connection\""),
        "a read-only user has the button"
    );
    let no_token = c
        .post(&world, "/console/dossiers/acme/test-connection", &[])
        .await;
    assert_eq!(no_token.status, 403);
    let csrf = c.csrf(&world).await;
    let page = c
        .post(
            &world,
            "/console/dossiers/acme/test-connection",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let row = |needle: &str| {
        let at = page
            .body
            .find(needle)
            .unwrap_or_else(|| panic!("{needle} missing: {}", page.body));
        let start = page.body[..at].rfind("<tr").unwrap();
        let end = at + page.body[at..].find("</tr>").unwrap();
        page.body[start..end].to_string()
    };
    let quotas = row("quotas 5&#x2f;s, 180&#x2f;min, 100000&#x2f;day (1234 used today)");
    assert!(
        quotas.contains("sev-info") && quotas.contains("OK"),
        "{quotas}"
    );
    let scope = row("scope quotas.read");
    assert!(scope.contains("sev-warning"), "{scope}");
    assert!(scope.contains("grant the scope quotas.read"), "{scope}");
    let journals = row("reachable, journals found");
    assert!(journals.contains("sev-info"), "{journals}");
    let found = row("(exact;");
    assert!(found.contains("sev-info"), "{found}");
    let lacking = row(&format!("account {missing}<"));
    assert!(
        lacking.contains("sev-error") && lacking.contains("Échec"),
        "{lacking}"
    );
    assert!(
        lacking.contains("missing in the ledger&#x27;s chart"),
        "{lacking}"
    );
    assert!(
        lacking.contains(&format!(
            "create {missing} in the ledger, or map it in [dossier.accounts_map]"
        )),
        "{lacking}"
    );
    assert!(
        page.body.contains("1 vérification(s) en échec"),
        "{}",
        page.body
    );
    // Logged with who asked.
    let log = c.get(&world, "/console/dossiers/acme?q=tester").await;
    assert!(
        log.body
            .contains("Tester la connexion: requested by romain (read_only) in the console"),
        "{}",
        log.body
    );
    // Another dossier's, by URL, is refused to a collaborator limited to acme.
    let mut colette = Client::logged_in(&world, "colette").await;
    let csrf = colette.csrf(&world).await;
    let other = colette
        .post(
            &world,
            "/console/dossiers/globex/test-connection",
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(other.status, 403);
}
