//! The console's access rules, against the transport-free router: nothing but the login page
//! without a session, CSRF on every form, a new session id at every login, roles, the login
//! rate limit.

mod harness;

use app::ports::RecordStore;
use app::ports::{IntegrationLog, Severity};
use app::usecases::records::RUN_PK;
use harness::{Client, PASSWORD, World, request};

const PAGES: [&str; 5] = [
    "/console/",
    "/console",
    "/console/dossiers/acme",
    "/console/dossiers/acme?severity=error",
    "/console/dossiers/acme/runs/whatever",
];

async fn runs(world: &World) -> usize {
    world
        .pipeline
        .store
        .query(RUN_PK, None, None, usize::MAX)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn nothing_but_the_login_page_without_a_session() {
    let world = World::new();
    let mut anonymous = Client::default();
    for path in PAGES {
        let r = anonymous.get(&world, path).await;
        assert_eq!(r.status, 303, "GET {path}");
        assert_eq!(r.header("location"), Some("/console/login"), "GET {path}");
        assert!(!r.body.contains("ACME"), "GET {path} leaks: {}", r.body);
    }
    let r = anonymous
        .post(&world, "/console/dossiers/acme/sync", &[("csrf", "x")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(world.launches(), 0);
    assert_eq!(runs(&world).await, 0);
    let r = anonymous.get(&world, "/console/login").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("Connexion"), "{}", r.body);
    // A forged or unknown session id is no session.
    let mut forger = Client::default();
    forger.cookies.push(("pl_session".into(), "0".repeat(64)));
    assert_eq!(forger.get(&world, "/console/").await.status, 303);
}

#[tokio::test]
async fn session_cookie_is_httponly_secure_strict_with_expiry() {
    let world = World::new();
    let mut c = Client::default();
    let r = c.login(&world, "alice", PASSWORD).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let set = r
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("pl_session="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    for flag in [
        "HttpOnly",
        "Secure",
        "SameSite=Strict",
        "Max-Age=28800",
        "Path=/console",
    ] {
        assert!(set.contains(flag), "{flag} missing in {set}");
    }
    let r = c.get(&world, "/console/").await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("ACME SARL") && r.body.contains("Globex SAS"));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_refused() {
    let world = World::new();
    let mut c = Client::default();
    let r = c.login(&world, "alice", "not the password").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("incorrect"), "{}", r.body);
    assert!(c.cookie("pl_session").is_none());
    let r = c.login(&world, "mallory", PASSWORD).await;
    assert_eq!(r.status, 401);
    assert_eq!(c.get(&world, "/console/").await.status, 303);
}

#[tokio::test]
async fn login_without_its_csrf_token_is_refused() {
    let world = World::new();
    let mut c = Client::default();
    c.get(&world, "/console/login").await;
    let r = c
        .post(
            &world,
            "/console/login",
            &[("name", "alice"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(c.cookie("pl_session").is_none());
    // A token from another browser's cookie does not do either.
    let r = c
        .post(
            &world,
            "/console/login",
            &[
                ("csrf", &"a".repeat(64)),
                ("name", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
}

#[tokio::test]
async fn every_form_needs_the_session_csrf_token() {
    let world = World::new();
    let mut c = Client::logged_in(&world, "alice").await;
    let r = c.post(&world, "/console/dossiers/acme/sync", &[]).await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = c
        .post(
            &world,
            "/console/dossiers/acme/sync",
            &[("csrf", &"f".repeat(64))],
        )
        .await;
    assert_eq!(r.status, 403);
    // Another session's token is not this one's.
    let mut other = Client::logged_in(&world, "alice").await;
    let foreign = other.csrf(&world).await;
    let r = c
        .post(&world, "/console/dossiers/acme/sync", &[("csrf", &foreign)])
        .await;
    assert_eq!(r.status, 403);
    let r = c.post(&world, "/console/logout", &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(world.launches(), 0);
    assert_eq!(runs(&world).await, 0);
    let token = c.csrf(&world).await;
    let r = c
        .post(&world, "/console/dossiers/acme/sync", &[("csrf", &token)])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(world.launches(), 1);
}

#[tokio::test]
async fn login_makes_a_new_session_id_and_the_planted_one_stays_useless() {
    let world = World::new();
    // The attacker gets a real session id, plants it in the victim's browser.
    let attacker = Client::logged_in(&world, "romain").await;
    let planted = attacker.cookie("pl_session").unwrap().to_string();
    let mut victim = Client::default();
    victim.cookies.push(("pl_session".into(), planted.clone()));
    let r = victim.login(&world, "alice", PASSWORD).await;
    assert_eq!(r.status, 303);
    let new_id = victim.cookie("pl_session").unwrap().to_string();
    assert_ne!(new_id, planted);
    // The planted id was ended at the login and never became alice's.
    let mut with_planted = Client::default();
    with_planted.cookies.push(("pl_session".into(), planted));
    assert_eq!(with_planted.get(&world, "/console/").await.status, 303);
    let page = victim.get(&world, "/console/").await;
    assert!(page.body.contains("alice"));
    // Logging out ends the session for good.
    let token = victim.csrf(&world).await;
    assert_eq!(
        victim
            .post(&world, "/console/logout", &[("csrf", &token)])
            .await
            .status,
        303
    );
    let mut replay = Client::default();
    replay.cookies.push(("pl_session".into(), new_id));
    assert_eq!(replay.get(&world, "/console/").await.status, 303);
}

#[tokio::test]
async fn a_collaborator_sees_only_the_listed_dossiers_even_by_url() {
    let world = World::new();
    let mut c = Client::logged_in(&world, "colette").await;
    let list = c.get(&world, "/console/").await;
    assert!(list.body.contains("ACME SARL"));
    assert!(!list.body.contains("Globex"), "{}", list.body);
    let r = c.get(&world, "/console/dossiers/globex").await;
    assert_eq!(r.status, 403);
    assert!(!r.body.contains("Globex"), "{}", r.body);
    assert_eq!(
        c.get(&world, "/console/dossiers/globex?severity=error")
            .await
            .status,
        403
    );
    assert_eq!(
        c.get(&world, "/console/dossiers/globex/runs/x")
            .await
            .status,
        403
    );
    let token = c.csrf(&world).await;
    let r = c
        .post(&world, "/console/dossiers/globex/sync", &[("csrf", &token)])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(world.launches(), 0);
    // Another dossier's run through this dossier's URL is not shown either.
    let mut admin = Client::logged_in(&world, "alice").await;
    let t = admin.csrf(&world).await;
    let r = admin
        .post(&world, "/console/dossiers/globex/sync", &[("csrf", &t)])
        .await;
    let run = r
        .header("location")
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = c
        .get(&world, &format!("/console/dossiers/acme/runs/{run}"))
        .await;
    assert_eq!(r.status, 404);
    assert_eq!(c.get(&world, "/console/dossiers/acme").await.status, 200);
}

#[tokio::test]
async fn read_only_sees_but_cannot_sync() {
    let world = World::new();
    let mut c = Client::logged_in(&world, "romain").await;
    let page = c.get(&world, "/console/dossiers/acme").await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains("id=\"sync-now\""),
        "no sync button for read-only"
    );
    let token = c.csrf(&world).await;
    let r = c
        .post(&world, "/console/dossiers/acme/sync", &[("csrf", &token)])
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(world.launches(), 0);
    assert_eq!(runs(&world).await, 0);
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let world = World::new();
    let mut c = Client::default();
    for _ in 0..web_console::limiter::MAX_FAILURES {
        assert_eq!(c.login(&world, "alice", "guess").await.status, 401);
    }
    // Even the right password is refused now, from anywhere.
    let r = c.login(&world, "alice", PASSWORD).await;
    assert_eq!(r.status, 429, "{}", r.body);
    let mut elsewhere = Client {
        peer: "198.51.100.7".into(),
        ..Client::default()
    };
    assert_eq!(elsewhere.login(&world, "alice", PASSWORD).await.status, 429);
    // Another user from the first address is refused too (the address is over its count).
    assert_eq!(c.login(&world, "romain", PASSWORD).await.status, 429);
    // Another user from another address is not.
    assert_eq!(
        elsewhere.login(&world, "romain", PASSWORD).await.status,
        303
    );
}

#[tokio::test]
async fn a_sync_is_logged_with_who_asked() {
    let world = World::new();
    let mut c = Client::logged_in(&world, "alice").await;
    let token = c.csrf(&world).await;
    let r = c
        .post(
            &world,
            "/console/dossiers/acme/sync",
            &[
                ("csrf", &token),
                ("from", "2026-01-01"),
                ("to", "2026-01-31"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").unwrap().to_string();
    assert!(location.starts_with("/console/dossiers/acme/runs/console-"));
    let launched = world.launcher.launched.lock().unwrap().clone();
    match &launched[..] {
        [
            webhook::Launch::Run {
                dossier,
                from,
                to,
                trigger,
                ..
            },
        ] => {
            assert_eq!(dossier, "acme");
            assert_eq!(from.to_string(), "2026-01-01");
            assert_eq!(to.to_string(), "2026-01-31");
            assert_eq!(trigger, "console alice");
        }
        other => panic!("{other:?}"),
    }
    let now = chrono::Utc::now();
    let events = world
        .pipeline
        .log()
        .query(
            "acme",
            Severity::Info,
            now - chrono::Duration::hours(1),
            now + chrono::Duration::hours(1),
        )
        .await
        .unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.message.contains("requested by alice (admin)")),
        "{events:?}"
    );
    // The run page refreshes itself while the run is queued.
    let page = c.get(&world, &location).await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("http-equiv=\"refresh\""),
        "{}",
        page.body
    );
    // A period the wrong way round is refused, nothing started.
    let r = c
        .post(
            &world,
            "/console/dossiers/acme/sync",
            &[
                ("csrf", &token),
                ("from", "2026-02-01"),
                ("to", "2026-01-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(world.launches(), 1);
}

#[tokio::test]
async fn answers_carry_security_headers() {
    let world = World::new();
    let r = world.send(request("GET", "/console/login", "")).await;
    assert_eq!(r.header("x-frame-options"), Some("DENY"));
    assert_eq!(r.header("cache-control"), Some("no-store"));
    assert!(
        r.header("content-security-policy")
            .unwrap()
            .contains("default-src 'none'")
    );
}
