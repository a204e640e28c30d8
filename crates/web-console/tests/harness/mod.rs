//! What the console's tests share: two dossiers over the memory adapters, three users (one per
//! role), a launcher that records what it is asked, and a client that keeps cookies.
#![allow(dead_code)] // each test binary uses part of the harness

pub mod connection;

use std::sync::Mutex;

use app::memory::{MemoryBlobs, MemoryQueue, MemoryStore};
use app::ports::SystemClock;
use app::usecases::Pipeline;
use web_console::{DossierInfo, Request, Response, Role, Site, User, Users, hash_password};
use webhook::{Launch, Launcher};

pub type TestPipeline = Pipeline<MemoryStore, MemoryBlobs, MemoryQueue, SystemClock>;

pub const PASSWORD: &str = "correct horse battery staple";

/// Records every launch; refuses them all when `refuse` is set.
#[derive(Default)]
pub struct Recorder {
    pub launched: Mutex<Vec<Launch>>,
}

impl Launcher for Recorder {
    async fn launch(&self, what: Launch) -> Result<(), String> {
        self.launched.lock().unwrap().push(what);
        Ok(())
    }
}

pub struct World {
    pub site: Site,
    pub pipeline: TestPipeline,
    pub launcher: Recorder,
}

fn dossier(id: &str, name: &str, slug: &str) -> DossierInfo {
    let mut config = domain::testkit::example_config();
    config.id = id.into();
    config.name = name.into();
    config.mail.slug = slug.into();
    DossierInfo {
        config,
        ledger: "fec".into(),
        has_source: true,
    }
}

impl World {
    pub fn new() -> World {
        let hash = hash_password(PASSWORD).expect("hash");
        let user = |name: &str, role: Role, dossiers: &[&str]| User {
            name: name.into(),
            password_hash: hash.clone(),
            role,
            dossiers: dossiers.iter().map(|d| d.to_string()).collect(),
        };
        let users = Users(vec![
            user("alice", Role::Admin, &[]),
            user("colette", Role::Collaborator, &["acme"]),
            user("romain", Role::ReadOnly, &[]),
        ]);
        let site = Site::new(
            users,
            vec![
                dossier("acme", "ACME SARL", "acme"),
                dossier("globex", "Globex SAS", "globex"),
            ],
            vec!["collecte.example.fr".into()],
        );
        World {
            site,
            pipeline: Pipeline::new(
                MemoryStore::new(),
                MemoryBlobs::new(),
                MemoryQueue::new(),
                SystemClock,
            ),
            launcher: Recorder::default(),
        }
    }

    pub async fn send(&self, req: Request) -> Response {
        web_console::handle(&self.site, &self.pipeline, &self.launcher, None, req).await
    }

    pub fn launches(&self) -> usize {
        self.launcher.launched.lock().unwrap().len()
    }
}

/// A browser: keeps the cookies the console sets.
#[derive(Default, Clone)]
pub struct Client {
    pub cookies: Vec<(String, String)>,
    pub peer: String,
}

pub fn request(method: &str, path: &str, body: &str) -> Request {
    Request {
        method: method.into(),
        path: path.into(),
        headers: vec![],
        body: body.as_bytes().to_vec(),
        peer: "192.0.2.1".into(),
    }
}

/// The value of `name="csrf" value="…"` in a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a CSRF token");
    let rest = &html[at + "name=\"csrf\" value=\"".len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

pub fn form(fields: &[(&str, &str)]) -> String {
    form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

impl Client {
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub async fn send(&mut self, world: &World, mut req: Request) -> Response {
        if !self.cookies.is_empty() {
            let header = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            req.headers.push(("Cookie".into(), header));
        }
        if !self.peer.is_empty() {
            req.peer = self.peer.clone();
        }
        let response = world.send(req).await;
        for (k, v) in &response.headers {
            if !k.eq_ignore_ascii_case("set-cookie") {
                continue;
            }
            let pair = v.split(';').next().unwrap_or("");
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.retain(|(n, _)| n != name);
            if !v.contains("Max-Age=0") {
                self.cookies.push((name.into(), value.into()));
            }
        }
        response
    }

    pub async fn get(&mut self, world: &World, path: &str) -> Response {
        self.send(world, request("GET", path, "")).await
    }

    pub async fn post(&mut self, world: &World, path: &str, fields: &[(&str, &str)]) -> Response {
        self.send(world, request("POST", path, &form(fields))).await
    }

    /// Opens the login page and posts the form with its token.
    pub async fn login(&mut self, world: &World, name: &str, password: &str) -> Response {
        let page = self.get(world, "/console/login").await;
        let token = csrf_of(&page.body);
        self.post(
            world,
            "/console/login",
            &[("csrf", &token), ("name", name), ("password", password)],
        )
        .await
    }

    /// Logged in as `name` (panics otherwise).
    pub async fn logged_in(world: &World, name: &str) -> Client {
        let mut c = Client::default();
        let r = c.login(world, name, PASSWORD).await;
        assert_eq!(r.status, 303, "login of {name}: {}", r.body);
        c
    }

    /// The CSRF token of the session (read from the dossiers page).
    pub async fn csrf(&mut self, world: &World) -> String {
        let page = self.get(world, "/console/").await;
        csrf_of(&page.body)
    }
}
