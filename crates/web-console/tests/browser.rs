//! The console in headless Chromium through WebDriver: log in, open a dossier, filter its log on
//! errors, "Synchroniser maintenant" until the run page says it ended, "Relancer" a held
//! document after its cause is fixed, and the refusals a browser meets (a wrong password, a
//! form without its CSRF token, a read-only user's sync). Screenshots of each screen go to
//! `target/screenshots/<name>.png`. Needs chromium and chromedriver (`./scripts/setup`).

mod harness;
#[path = "harness/browser.rs"]
mod web;

use app::ports::RecordStore;
use app::ports::{IntegrationLog, LogEvent, ObjectKind, Severity};
use app::usecases::records::{DocState, DocumentRecord, doc_pk};
use chrono::{Duration, NaiveDate, Utc};
use domain::SourceDocument;
use fantoccini::Locator;
use web::{Driver, ONE_BROWSER, Server, eventually};

/// Three invoices dated last month (inside the default sync window).
fn invoices() -> Vec<SourceDocument> {
    let mut docs = domain::testkit::invoices(3, 2, 7);
    for d in &mut docs {
        d.date = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    }
    docs
}

async fn event(server: &Server, severity: Severity, message: &str) {
    server
        .live
        .pipeline()
        .log()
        .record(LogEvent {
            at: Utc::now() - Duration::hours(1),
            dossier: "acme".into(),
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

#[tokio::test]
async fn log_in_open_a_dossier_and_filter_its_log_on_errors() {
    let _one = ONE_BROWSER.lock().await;
    let server = Server::start(invoices()).await;
    event(&server, Severity::Info, "pulled-one").await;
    event(&server, Severity::Warning, "held-two").await;
    event(&server, Severity::Error, "rejected-three").await;
    event(&server, Severity::Error, "rejected-four").await;
    let b = Driver::start().await;
    b.logged_in(&server, "alice").await;
    let text = b.text().await;
    assert!(
        text.contains("ACME SARL") && text.contains("Globex SAS"),
        "{text}"
    );
    b.screenshot("dossiers").await;

    b.click_and_load(Locator::LinkText("ACME SARL")).await;
    assert_eq!(
        b.client.current_url().await.unwrap().path(),
        "/console/dossiers/acme"
    );
    assert!(b.text().await.contains("held-two"));

    b.client
        .find(Locator::Css("#f-sev option[value=error]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    b.click_and_load(Locator::Id("filter")).await;
    b.client
        .find(Locator::Css("#f-sev option[value=error][selected]"))
        .await
        .expect("the filter kept on the new page");
    let url = b.client.current_url().await.unwrap();
    assert!(
        url.query().unwrap_or("").contains("severity=error"),
        "{url}"
    );
    let rows = b
        .client
        .find_all(Locator::Css("#log tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2, "the two errors only");
    for row in &rows {
        assert_eq!(
            row.attr("class").await.unwrap().as_deref(),
            Some("sev-error")
        );
    }
    let text = b.text().await;
    assert!(text.contains("rejected-three") && text.contains("rejected-four"));
    assert!(
        !text.contains("held-two") && !text.contains("pulled-one"),
        "{text}"
    );
    b.client
        .execute("document.getElementById('h-log').scrollIntoView();", vec![])
        .await
        .unwrap();
    b.screenshot("dossier-log-errors").await;

    // "Tester la connexion": Sellsy's quotas and scopes, the ledger's journals and accounts.
    b.click_and_load(Locator::Id("test-connection")).await;
    assert_eq!(b.status().await, 200);
    let text = b.text().await;
    assert!(
        text.contains("Tester la connexion") && text.contains("quotas 5/s"),
        "{text}"
    );
    let failed = b
        .client
        .find_all(Locator::Css("#checks tbody tr.sev-error"))
        .await
        .unwrap();
    assert_eq!(failed.len(), 1, "the one account missing from the chart");
    b.screenshot("test-connection").await;
    b.stop().await;
}

#[tokio::test]
async fn synchroniser_maintenant_shows_the_run_until_it_ends() {
    let _one = ONE_BROWSER.lock().await;
    let server = Server::start(invoices()).await;
    let b = Driver::start().await;
    b.logged_in(&server, "alice").await;
    b.client
        .goto(&server.url("/console/dossiers/acme"))
        .await
        .unwrap();
    b.client
        .find(Locator::Id("sync-now"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let card = b
        .client
        .wait()
        .for_element(Locator::Id("run"))
        .await
        .unwrap();
    let state = card.attr("data-state").await.unwrap().unwrap_or_default();
    assert!(
        ["queued", "running"].contains(&state.as_str()),
        "the source answers in 2.5 s: the run is shown in progress first, not {state}"
    );
    assert!(b.text().await.contains("En cours"), "{}", b.text().await);
    b.screenshot("sync-in-progress").await;
    // The page refreshes itself; the test only reads it.
    eventually(30, "the run page showing the run ended", || async {
        let Ok(card) = b.client.find(Locator::Id("run")).await else {
            return false;
        };
        card.attr("data-state").await.ok().flatten().as_deref() == Some("pulled")
    })
    .await;
    let text = b.text().await;
    assert!(text.contains("Synchronisation terminée"), "{text}");
    assert!(text.contains("3 / 3 / 0"), "3 pulled, 3 new: {text}");
    assert!(text.contains("console alice"), "who asked: {text}");
    b.screenshot("sync-finished").await;
    assert_eq!(
        server
            .live
            .launches
            .load(std::sync::atomic::Ordering::SeqCst),
        1
    );
    b.stop().await;
}

#[tokio::test]
async fn relancer_a_held_document_after_fixing_its_cause() {
    let _one = ONE_BROWSER.lock().await;
    let mut docs = invoices();
    // Its row names "VENTES", not a class 7 account: the mapper holds it.
    docs[1].rows[0].account = Some("VENTES".into());
    let key = docs[1].key();
    let server = Server::start(docs).await;
    let live = &server.live;
    let cfg = live.config();
    let window = app::ports::PullWindow {
        from: cfg.start_date,
        to: NaiveDate::from_ymd_opt(2026, 11, 30).unwrap(),
    };
    live.pipeline()
        .start_run(&cfg, &live.source, window, "nightly-1", "nightly")
        .await
        .unwrap();
    live.work_until_idle().await;
    let state = || async {
        let rec = live
            .pipeline()
            .store
            .get(&doc_pk("acme"), &key)
            .await
            .unwrap()
            .unwrap();
        DocumentRecord::from_record(&rec).unwrap().state
    };
    assert_eq!(state().await, DocState::Held);

    let b = Driver::start().await;
    b.logged_in(&server, "alice").await;
    b.client
        .goto(&server.url("/console/dossiers/acme"))
        .await
        .unwrap();
    let text = b.text().await;
    assert!(text.contains(&key) && text.contains("VENTES"), "{text}");
    // The fix, as the operator makes it in the dossier's configuration.
    live.config
        .lock()
        .unwrap()
        .accounts
        .map
        .sales
        .insert("VENTES".into(), "706000".into());
    let button = format!("form[action$='/retry']:has(input[name=key][value='{key}']) button");
    b.click_and_load(Locator::Css(&button)).await;
    b.client
        .find(Locator::Css("p.notice"))
        .await
        .expect("on the page after the click");
    assert_eq!(b.status().await, 200);
    assert!(
        b.text().await.contains("Document relancé"),
        "{}",
        b.text().await
    );
    b.screenshot("relancer").await;
    eventually(20, "the retried document booked", || async {
        state().await == DocState::Pushed
    })
    .await;
    b.client
        .goto(&server.url("/console/dossiers/acme"))
        .await
        .unwrap();
    let to_fix = b
        .client
        .find(Locator::Css("section[aria-labelledby=h-docs]"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!to_fix.contains(&key), "no longer to fix: {to_fix}");
    let text = b.text().await;
    assert!(
        text.contains("retry asked by alice (admin) in the console"),
        "{text}"
    );
    assert_eq!(
        live.ledger.counts(),
        (3, 0),
        "the three invoices booked, once each"
    );
    b.stop().await;
}

#[tokio::test]
async fn a_wrong_password_is_refused() {
    let _one = ONE_BROWSER.lock().await;
    let server = Server::start(vec![]).await;
    let b = Driver::start().await;
    b.log_in(&server, "alice", "not the password").await;
    assert_eq!(b.status().await, 401);
    assert_eq!(
        b.client.current_url().await.unwrap().path(),
        "/console/login"
    );
    let text = b.text().await;
    assert!(
        text.contains("Nom d'utilisateur ou mot de passe incorrect"),
        "{text}"
    );
    b.screenshot("login-refused").await;
    b.client.goto(&server.url("/console/")).await.unwrap();
    assert_eq!(
        b.client.current_url().await.unwrap().path(),
        "/console/login",
        "no session"
    );
    b.stop().await;
}

#[tokio::test]
async fn a_form_posted_without_its_csrf_token_is_refused() {
    let _one = ONE_BROWSER.lock().await;
    let server = Server::start(invoices()).await;
    let b = Driver::start().await;
    b.logged_in(&server, "alice").await;
    b.client
        .goto(&server.url("/console/dossiers/acme"))
        .await
        .unwrap();
    let removed = b
        .client
        .execute(
            "const i = document.querySelector(\"form[action$='/sync'] input[name=csrf]\"); \
             i.remove(); return document.querySelectorAll(\"form[action$='/sync'] input[name=csrf]\").length;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(removed, 0);
    b.click_and_load(Locator::Id("sync-now")).await;
    b.client
        .find(Locator::Css("p.notice.error"))
        .await
        .expect("on the page after the click");
    assert_eq!(b.status().await, 403);
    let text = b.text().await;
    assert!(text.contains("Le formulaire a expiré"), "{text}");
    b.screenshot("csrf-refused").await;
    assert_eq!(
        server
            .live
            .launches
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    b.stop().await;
}

#[tokio::test]
async fn a_read_only_user_cannot_synchronise() {
    let _one = ONE_BROWSER.lock().await;
    let server = Server::start(invoices()).await;
    let b = Driver::start().await;
    b.logged_in(&server, "romain").await;
    b.client
        .goto(&server.url("/console/dossiers/acme"))
        .await
        .unwrap();
    assert!(
        b.client.find(Locator::Id("sync-now")).await.is_err(),
        "no button"
    );
    assert!(
        b.text().await.contains("Lecture seule"),
        "{}",
        b.text().await
    );
    b.screenshot("read-only").await;
    // A forced POST with the session's valid token (from the logout form).
    b.client
        .execute(
            "const f = document.createElement('form'); f.method = 'post'; \
             f.action = '/console/dossiers/acme/sync'; \
             const i = document.createElement('input'); i.type = 'hidden'; i.name = 'csrf'; \
             i.value = document.querySelector('input[name=csrf]').value; \
             f.appendChild(i); document.body.appendChild(f); f.submit(); return null;",
            vec![],
        )
        .await
        .unwrap();
    eventually(10, "the refusal page", || async {
        b.client.current_url().await.unwrap().path() == "/console/dossiers/acme/sync"
    })
    .await;
    b.client
        .wait()
        .for_element(Locator::Css("p.notice.error"))
        .await
        .unwrap();
    assert_eq!(b.status().await, 403);
    assert!(
        b.text().await.contains("Vous n'avez pas accès"),
        "{}",
        b.text().await
    );
    assert_eq!(
        server
            .live
            .launches
            .load(std::sync::atomic::Ordering::SeqCst),
        0
    );
    b.stop().await;
}

#[tokio::test]
async fn the_dossiers_page_fits_a_phone() {
    let _one = ONE_BROWSER.lock().await;
    let server = Server::start(vec![]).await;
    let b = Driver::start().await;
    b.logged_in(&server, "alice").await;
    b.client.set_window_size(390, 844).await.unwrap();
    b.client.refresh().await.unwrap();
    let (inner, scroll) = {
        let v = b
            .client
            .execute(
                "return [window.innerWidth, document.documentElement.scrollWidth];",
                vec![],
            )
            .await
            .unwrap();
        (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
    };
    assert!(inner <= 400, "a phone-width window: {inner}");
    assert!(
        scroll <= inner,
        "the page scrolls sideways on a phone: {scroll} > {inner}"
    );
    b.screenshot("dossiers-phone").await;
    b.stop().await;
}
