//! The console function through its handler with Function URL events over moto: login then the dossiers page, no session, CSRF, fixation, a collaborator's URL,
//! a read-only user's sync.

use aws::testing::TestEnv;
use aws_lambda_events::event::lambda_function_urls::{
    LambdaFunctionUrlRequest, LambdaFunctionUrlResponse,
};
use lambda_handlers::Cloud;
use lambda_handlers::cloud::Needs;
use lambda_handlers::console;
use webhook::{Launch, Launcher};

const PASSWORD: &str = "correct horse battery staple";

#[derive(Default)]
struct Recorder(std::sync::Mutex<Vec<Launch>>);

impl Launcher for Recorder {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        self.0.lock().unwrap().push(what);
        Ok(())
    }
}

fn event(method: &str, path: &str, cookies: &[String], form: &str) -> LambdaFunctionUrlRequest {
    let mut e = simulators::lambda::url_event(method, path, &[], b"");
    use base64::Engine as _;
    e["cookies"] = serde_json::json!(cookies);
    e["headers"]["content-type"] = "application/x-www-form-urlencoded".into();
    if !form.is_empty() {
        e["body"] = base64::engine::general_purpose::STANDARD
            .encode(form)
            .into();
        e["isBase64Encoded"] = true.into();
    }
    serde_json::from_value(e).unwrap()
}

fn cookie(r: &LambdaFunctionUrlResponse, name: &str) -> Option<String> {
    r.cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(|c| c.split(';').next().unwrap().to_string())
}

fn csrf(body: &str) -> String {
    let at = body.find("name=\"csrf\" value=\"").unwrap() + 19;
    body[at..at + body[at..].find('"').unwrap()].to_string()
}

async fn world() -> (TestEnv, Cloud, web_console::Site) {
    let env = TestEnv::new().await;
    let hash = web_console::hash_password(PASSWORD).unwrap();
    let example = include_str!("../../../../infra/dossiers.example.toml");
    let globex = example
        .replacen("id = \"acme\"", "id = \"globex\"", 1)
        .replacen("slug = \"acme\"", "slug = \"globex\"", 1);
    let config = format!(
        "[service]\nmail_domains = [\"collecte.example.fr\"]\n\n\
         [[console.users]]\nname = \"alice\"\npassword_hash = \"{hash}\"\nrole = \"admin\"\n\
         [[console.users]]\nname = \"colette\"\npassword_hash = \"{hash}\"\nrole = \"collaborator\"\ndossiers = [\"acme\"]\n\
         [[console.users]]\nname = \"romain\"\npassword_hash = \"{hash}\"\nrole = \"read_only\"\n\n\
         {example}\n[dossier.sellsy]\nclient_id = \"1\"\nclient_secret = \"ssm:/passerelle/x/source/acme/s\"\n\n{globex}\n"
    );
    use app::ports::BlobStore;
    env.adapters
        .blobs
        .put(
            "config/dossiers.toml",
            config.as_bytes(),
            "application/toml",
        )
        .await
        .unwrap();
    let adapters = aws::AwsAdapters::new(&env.sdk, &env.settings);
    let cloud = Cloud::new(
        adapters,
        "config/dossiers.toml",
        Default::default(),
        Needs::NOTHING,
    )
    .await
    .unwrap();
    let site = console::site(&cloud).unwrap().expect("users configured");
    (env, cloud, site)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cloud_console_refuses_what_the_console_refuses() {
    let (_env, cloud, site) = world().await;
    let rec = Recorder::default();
    let send = |m: &str, p: &str, c: &[String], f: &str| {
        let e = event(m, p, c, f);
        let (cloud, site, rec) = (&cloud, &site, &rec);
        async move { console::handle(cloud, Some(site), rec, Some("cron(30 3 * * ? *)"), &e).await }
    };
    // No session: every page goes to the login, every action too, nothing launched.
    for p in [
        "/console/",
        "/console/dossiers/acme",
        "/console/dossiers/acme/runs/x",
    ] {
        let r = send("GET", p, &[], "").await;
        assert_eq!(r.status_code, 303, "GET {p}");
    }
    for p in [
        "/console/dossiers/acme/sync",
        "/console/dossiers/acme/retry",
        "/console/logout",
    ] {
        let r = send("POST", p, &[], "csrf=x").await;
        assert_eq!(r.status_code, 303, "POST {p}");
    }
    // Login: a planted session cookie is not the one after login.
    let page = send("GET", "/console/login", &[], "").await;
    let login = cookie(&page, "pl_login").unwrap();
    let token = csrf(page.body.as_deref().unwrap());
    let planted = format!("pl_session={}", "a".repeat(64));
    let no_csrf = send(
        "POST",
        "/console/login",
        std::slice::from_ref(&login),
        "name=alice&password=x",
    )
    .await;
    assert_eq!(no_csrf.status_code, 403);
    let form = format!(
        "csrf={token}&name=alice&password={}",
        PASSWORD.replace(' ', "+")
    );
    let r = send("POST", "/console/login", &[login, planted.clone()], &form).await;
    assert_eq!(r.status_code, 303);
    let session = cookie(&r, "pl_session").unwrap();
    assert_ne!(session, planted);
    let set = r
        .cookies
        .iter()
        .find(|c| c.starts_with("pl_session="))
        .unwrap();
    assert!(set.contains("HttpOnly") && set.contains("Secure") && set.contains("SameSite=Strict"));
    let r = send("GET", "/console/", std::slice::from_ref(&session), "").await;
    assert_eq!(r.status_code, 200);
    let body = r.body.unwrap();
    let token = csrf(&body);
    // CSRF: missing or wrong, 403.
    for f in ["from=&to=", "csrf=wrong&from=&to="] {
        let r = send(
            "POST",
            "/console/dossiers/acme/sync",
            std::slice::from_ref(&session),
            f,
        )
        .await;
        assert_eq!(r.status_code, 403, "{f}");
    }
    assert!(rec.0.lock().unwrap().is_empty());
    let r = send(
        "POST",
        "/console/dossiers/acme/sync",
        std::slice::from_ref(&session),
        &format!("csrf={token}"),
    )
    .await;
    assert_eq!(r.status_code, 303);
    assert_eq!(rec.0.lock().unwrap().len(), 1);
    let _ = send(
        "POST",
        "/console/logout",
        &[session],
        &format!("csrf={token}"),
    )
    .await;
}

async fn log_in(
    cloud: &Cloud,
    site: &web_console::Site,
    rec: &Recorder,
    name: &str,
) -> (String, String) {
    let send = |e: LambdaFunctionUrlRequest| async move {
        console::handle(cloud, Some(site), rec, Some("cron(30 3 * * ? *)"), &e).await
    };
    let page = send(event("GET", "/console/login", &[], "")).await;
    let login = cookie(&page, "pl_login").unwrap();
    let token = csrf(page.body.as_deref().unwrap());
    let form = format!(
        "csrf={token}&name={name}&password={}",
        PASSWORD.replace(' ', "+")
    );
    let r = send(event("POST", "/console/login", &[login], &form)).await;
    assert_eq!(r.status_code, 303, "{name} logs in");
    let session = cookie(&r, "pl_session").unwrap();
    let r = send(event(
        "GET",
        "/console/",
        std::slice::from_ref(&session),
        "",
    ))
    .await;
    assert_eq!(r.status_code, 200);
    let token = csrf(r.body.as_deref().unwrap());
    (session, token)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_collaborator_and_a_read_only_user_are_refused_in_the_cloud_too() {
    let (_env, cloud, site) = world().await;
    let rec = Recorder::default();
    let send = |m: &str, p: &str, c: &[String], f: &str| {
        let e = event(m, p, c, f);
        let (cloud, site, rec) = (&cloud, &site, &rec);
        async move { console::handle(cloud, Some(site), rec, Some("cron(30 3 * * ? *)"), &e).await }
    };
    // colette works on acme only: globex is not hers, by page nor by action.
    let (colette, token) = log_in(&cloud, &site, &rec, "colette").await;
    let own = send(
        "GET",
        "/console/dossiers/acme",
        std::slice::from_ref(&colette),
        "",
    )
    .await;
    assert_eq!(own.status_code, 200);
    let list = send("GET", "/console/", std::slice::from_ref(&colette), "").await;
    assert!(
        !list.body.unwrap().contains("globex"),
        "globex listed to colette"
    );
    let other = send(
        "GET",
        "/console/dossiers/globex",
        std::slice::from_ref(&colette),
        "",
    )
    .await;
    assert!(
        matches!(other.status_code, 403 | 404),
        "globex page: {}",
        other.status_code
    );
    assert!(!other.body.unwrap_or_default().contains("achat.globex"));
    let sync = send(
        "POST",
        "/console/dossiers/globex/sync",
        std::slice::from_ref(&colette),
        &format!("csrf={token}"),
    )
    .await;
    assert!(
        matches!(sync.status_code, 403 | 404),
        "globex sync: {}",
        sync.status_code
    );
    // romain reads everything and changes nothing.
    let (romain, token) = log_in(&cloud, &site, &rec, "romain").await;
    let page = send(
        "GET",
        "/console/dossiers/acme",
        std::slice::from_ref(&romain),
        "",
    )
    .await;
    assert_eq!(page.status_code, 200);
    let sync = send(
        "POST",
        "/console/dossiers/acme/sync",
        std::slice::from_ref(&romain),
        &format!("csrf={token}"),
    )
    .await;
    assert_eq!(sync.status_code, 403, "read-only sync");
    assert!(rec.0.lock().unwrap().is_empty(), "nothing launched");
}
