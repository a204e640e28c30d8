//! The console's routes, under [`BASE`]: `GET /login`, `POST /login`, `POST /logout`, `GET /`
//! (dossiers), `GET /dossiers/{id}` (log, documents, mail), `POST /dossiers/{id}/sync`,
//! `GET /dossiers/{id}/runs/{run}`, `POST /dossiers/{id}/test-connection`. Only the login page answers without a session; every
//! `POST` carries the CSRF token of its session (the login form a token of its own cookie).

use app::ports::{
    BlobStore, Clock, IntegrationLog, LogEvent, ObjectKind, PullWindow, Queue, RecordStore,
    Severity,
};
use app::usecases::Pipeline;
use chrono::{DateTime, Duration, NaiveDate, Utc};
use minijinja::context;
use subtle::ConstantTimeEq;
use webhook::{Launch, Launcher};

use crate::http::{BASE, MAX_BODY, Request, Response, cookie};
use crate::i18n::{Lang, words};
use crate::render::{Viewer, page};
use crate::sessions::{self, SESSION_SECONDS, random_token};
use crate::site::Site;
use crate::users::User;
use crate::views::{self, LogFilter};

/// The session cookie (a random id; the session itself is in the record store).
pub const SESSION_COOKIE: &str = "pl_session";
/// The login form's CSRF cookie (double submit: no session exists yet).
pub const LOGIN_COOKIE: &str = "pl_login";

/// Everything a request is answered with.
struct Ctx<'a, S, B, Q, C, L> {
    site: &'a Site,
    pipeline: &'a Pipeline<S, B, Q, C>,
    launcher: &'a L,
    next_run: Option<DateTime<Utc>>,
    lang: Lang,
}

/// Answers one request. `next_run` is the next nightly run (shown on the dossiers page).
pub async fn handle<S, B, Q, C, L>(
    site: &Site,
    pipeline: &Pipeline<S, B, Q, C>,
    launcher: &L,
    next_run: Option<DateTime<Utc>>,
    req: Request,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    L: Launcher,
{
    let (lang, chosen) = Lang::of(&req);
    let ctx = Ctx {
        site,
        pipeline,
        launcher,
        next_run,
        lang,
    };
    let response = if req.body.len() > MAX_BODY {
        Response::text(413, "request too large")
    } else {
        route(&ctx, &req).await
    };
    if chosen {
        response.set_cookie(cookie("lang", lang.code(), BASE, 365 * 86_400))
    } else {
        response
    }
}

async fn route<S, B, Q, C, L>(ctx: &Ctx<'_, S, B, Q, C, L>, req: &Request) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    L: Launcher,
{
    let Some(rest) = req.route_path().strip_prefix(BASE) else {
        return Response::text(404, "not found");
    };
    let parts: Vec<&str> = rest.split('/').filter(|p| !p.is_empty()).collect();
    let method = req.method.as_str();
    match (method, parts.as_slice()) {
        ("GET", ["login"]) => return login_page(ctx, None, 200),
        ("POST", ["login"]) => return login(ctx, req).await,
        _ => {}
    }
    let now = ctx.pipeline.now();
    let found = match req.cookie(SESSION_COOKIE) {
        Some(id) => sessions::find(&ctx.pipeline.store, &id, now).await,
        None => Ok(None),
    };
    let session = match found {
        Ok(Some(s)) => s,
        Ok(None) => return Response::redirect(&format!("{BASE}/login")),
        Err(e) => {
            return error(
                ctx,
                None,
                503,
                &format!("the session store is unavailable: {e}"),
            );
        }
    };
    let Some(user) = ctx.site.users.get(&session.user) else {
        return Response::redirect(&format!("{BASE}/login"));
    };
    let viewer = Viewer {
        user: &user.name,
        role: user.role.as_str(),
        csrf: &session.csrf,
    };
    if method == "POST" && !session.csrf_ok(req.form("csrf").as_deref()) {
        return error(ctx, Some(&viewer), 403, words(ctx.lang)["csrf"]);
    }
    match (method, parts.as_slice()) {
        ("POST", ["logout"]) => logout(ctx, req).await,
        ("GET", []) => dossiers(ctx, user, &viewer).await,
        ("GET", ["dossiers", id]) => dossier(ctx, user, &viewer, id, req, None).await,
        ("POST", ["dossiers", id, "sync"]) => sync(ctx, user, &viewer, id, req).await,
        ("POST", ["dossiers", id, "retry"]) => retry(ctx, user, &viewer, id, req).await,
        ("POST", ["dossiers", id, "test-connection"]) => {
            test_connection(ctx, user, &viewer, id).await
        }
        ("GET", ["dossiers", id, "runs", run]) => run_page(ctx, user, &viewer, id, run).await,
        _ => error(ctx, Some(&viewer), 404, words(ctx.lang)["not_found"]),
    }
}

fn render<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    status: u16,
    name: &str,
    viewer: Option<&Viewer<'_>>,
    data: minijinja::Value,
) -> Response {
    match page(&ctx.site.templates, name, ctx.lang, viewer, data) {
        Ok(html) => Response::html(status, html),
        Err(e) => Response::text(500, e),
    }
}

fn error<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    viewer: Option<&Viewer<'_>>,
    status: u16,
    message: &str,
) -> Response {
    render(ctx, status, "error.html", viewer, context! { message })
}

fn login_page<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    error: Option<&str>,
    status: u16,
) -> Response {
    let token = random_token();
    render(
        ctx,
        status,
        "login.html",
        None,
        context! { login_csrf => token, error },
    )
    .set_cookie(cookie(LOGIN_COOKIE, &token, BASE, 3600))
}

async fn login<S, B, Q, C, L>(ctx: &Ctx<'_, S, B, Q, C, L>, req: &Request) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    let t = words(ctx.lang);
    let form_token = req.form("csrf").unwrap_or_default();
    let cookie_token = req.cookie(LOGIN_COOKIE).unwrap_or_default();
    if form_token.is_empty() || !bool::from(form_token.as_bytes().ct_eq(cookie_token.as_bytes())) {
        return login_page(ctx, Some(t["csrf"]), 403);
    }
    let name = req.form("name").unwrap_or_default();
    let password = req.form("password").unwrap_or_default();
    let now = ctx.pipeline.now();
    let keys = [format!("user:{name}"), format!("peer:{}", req.peer)];
    if !ctx.site.limiter.allows(&keys, now) {
        return login_page(ctx, Some(t["too_many"]), 429);
    }
    let Some(user) = ctx.site.users.authenticate(&name, &password) else {
        ctx.site.limiter.fail(&keys, now);
        return login_page(ctx, Some(t["bad_login"]), 401);
    };
    ctx.site.limiter.succeed(&keys[0]);
    // A session id the browser arrived with is never reused: a new one is made and the old
    // one, if it was live, ended.
    if let Some(old) = req.cookie(SESSION_COOKIE) {
        let _ = sessions::revoke(&ctx.pipeline.store, &old).await;
    }
    match sessions::create(&ctx.pipeline.store, &user.name, now).await {
        Ok((id, _)) => Response::redirect(&format!("{BASE}/"))
            .set_cookie(cookie(SESSION_COOKIE, &id, BASE, SESSION_SECONDS))
            .set_cookie(cookie(LOGIN_COOKIE, "", BASE, 0)),
        Err(e) => login_page(ctx, Some(&format!("{e}")), 503),
    }
}

async fn logout<S, B, Q, C, L>(ctx: &Ctx<'_, S, B, Q, C, L>, req: &Request) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    if let Some(id) = req.cookie(SESSION_COOKIE) {
        let _ = sessions::revoke(&ctx.pipeline.store, &id).await;
    }
    Response::redirect(&format!("{BASE}/login")).set_cookie(cookie(SESSION_COOKIE, "", BASE, 0))
}

async fn dossiers<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    user: &User,
    viewer: &Viewer<'_>,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    match views::dossier_rows(ctx.site, ctx.pipeline, user, ctx.next_run).await {
        Ok(rows) => render(ctx, 200, "dossiers.html", Some(viewer), context! { rows }),
        Err(e) => error(ctx, Some(viewer), 503, &e.to_string()),
    }
}

/// The dossier page; `notice` is a refusal to show above it (a bad sync period).
async fn dossier<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    user: &User,
    viewer: &Viewer<'_>,
    id: &str,
    req: &Request,
    notice: Option<(u16, &str)>,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    let Some(d) = ctx.site.dossier(id).filter(|_| user.sees(id)) else {
        return error(ctx, Some(viewer), 403, words(ctx.lang)["forbidden"]);
    };
    let filter = LogFilter {
        severity: match req.query("severity").as_deref() {
            Some("warning") => "warning",
            Some("error") => "error",
            _ => "info",
        },
        from: req.query("from").unwrap_or_default(),
        to: req.query("to").unwrap_or_default(),
        q: req.query("q").unwrap_or_default(),
        before: req.query("before").unwrap_or_default(),
    };
    let store = &ctx.pipeline.store;
    let loaded = async {
        let (log, next) = views::log(ctx.pipeline, id, &filter).await?;
        let docs = views::to_fix(store, id).await?;
        let runs = views::dossier_runs(store, id).await?;
        let mails = views::last_mails(store, id).await?;
        Ok::<_, app::usecases::PipelineError>((log, next, docs, runs, mails))
    };
    match loaded.await {
        Ok((log, log_next, docs, runs, mails)) => render(
            ctx,
            notice.map_or(200, |n| n.0),
            "dossier.html",
            Some(viewer),
            context! {
                dossier => context! { id => d.config.id, name => d.config.name, ledger => d.ledger, has_source => d.has_source },
                can_act => user.acts_on(id),
                notice => notice.map(|n| n.1),
                notice_class => if notice.is_some_and(|n| n.0 < 300) { "info" } else { "error" },
                log_newest => (!filter.before.is_empty()).then(|| filter.href(id, None)),
                filter, log_shown => log.len(), log_next, log, docs, runs, mails,
                mail => views::mail_settings(d, &ctx.site.mail_domains),
            },
        ),
        Err(e) => error(ctx, Some(viewer), 503, &e.to_string()),
    }
}

/// `POST /dossiers/{id}/sync`: queue a run (optional period), start it, log who asked, and
/// show its progress.
async fn sync<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    user: &User,
    viewer: &Viewer<'_>,
    id: &str,
    req: &Request,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    L: Launcher,
{
    let t = words(ctx.lang);
    let Some(d) = ctx.site.dossier(id).filter(|_| user.acts_on(id)) else {
        return error(ctx, Some(viewer), 403, t["forbidden"]);
    };
    if !d.has_source {
        return error(ctx, Some(viewer), 409, t["no_source"]);
    }
    let cfg = &d.config;
    let now = ctx.pipeline.now();
    let date = |name: &str| -> Result<Option<NaiveDate>, ()> {
        match req.form(name).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| ()),
        }
    };
    // "Today" wherever the dossier lives, as for POST /sync.
    let today = (now + Duration::hours(14)).date_naive();
    let window = match (date("from"), date("to")) {
        (Ok(from), Ok(to)) => {
            let from = from.unwrap_or(cfg.start_date).max(cfg.start_date);
            let to = to.unwrap_or(today);
            (from <= to).then_some(PullWindow { from, to })
        }
        _ => None,
    };
    let Some(window) = window else {
        return dossier(ctx, user, viewer, id, req, Some((400, t["bad_period"]))).await;
    };
    let run_id = format!(
        "console-{}-{}",
        now.format("%Y%m%dT%H%M%SZ"),
        &random_token()[..12]
    );
    let trigger = format!("console {}", user.name);
    if let Err(e) = ctx.pipeline.queue_run(cfg, window, &run_id, &trigger).await {
        return error(
            ctx,
            Some(viewer),
            503,
            &format!("the run could not be recorded: {e}"),
        );
    }
    let audit = LogEvent {
        at: now,
        dossier: cfg.id.clone(),
        object: ObjectKind::Run,
        object_id: run_id.clone(),
        severity: Severity::Info,
        message: format!(
            "Synchroniser maintenant: requested by {} ({}) in the console for {} to {}",
            user.name,
            user.role.as_str(),
            window.from,
            window.to
        ),
        action: "no action needed".into(),
        run: Some(run_id.clone()),
    };
    if let Err(e) = ctx.pipeline.log().record(audit).await {
        let _ = ctx
            .pipeline
            .abandon_run(&run_id, "the request could not be logged")
            .await;
        return error(
            ctx,
            Some(viewer),
            503,
            &format!("the request could not be logged: {e}"),
        );
    }
    let launch = Launch::Run {
        run_id: run_id.clone(),
        dossier: cfg.id.clone(),
        from: window.from,
        to: window.to,
        trigger,
    };
    if let Err(reason) = ctx.launcher.launch(launch).await {
        let _ = ctx.pipeline.abandon_run(&run_id, &reason).await;
    }
    Response::redirect(&format!("{BASE}/dossiers/{id}/runs/{run_id}"))
}

/// `POST /dossiers/{id}/retry` ("Relancer"): a held or rejected document is mapped again with
/// the current settings (`Pipeline::retry`, which refuses one that reached the ledger), and who
/// asked is logged.
async fn retry<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    user: &User,
    viewer: &Viewer<'_>,
    id: &str,
    req: &Request,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
    L: Launcher,
{
    let t = words(ctx.lang);
    let Some(d) = ctx.site.dossier(id).filter(|_| user.acts_on(id)) else {
        return error(ctx, Some(viewer), 403, t["forbidden"]);
    };
    let Some(key) = req.form("key").filter(|k| !k.is_empty()) else {
        return dossier(ctx, user, viewer, id, req, Some((400, t["not_found"]))).await;
    };
    let who = format!("{} ({}) in the console", user.name, user.role.as_str());
    match ctx.pipeline.retry(&d.config.id, &key, &who).await {
        Ok(app::usecases::recovery::Retried::Queued) => {
            dossier(ctx, user, viewer, id, req, Some((200, t["retried"]))).await
        }
        Ok(app::usecases::recovery::Retried::Refused { reason, action }) => {
            let text = format!("{reason} — {action}");
            dossier(ctx, user, viewer, id, req, Some((409, &text))).await
        }
        Err(e) => error(ctx, Some(viewer), 503, &e.to_string()),
    }
}

async fn run_page<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    user: &User,
    viewer: &Viewer<'_>,
    id: &str,
    run: &str,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    let t = words(ctx.lang);
    let Some(d) = ctx.site.dossier(id).filter(|_| user.sees(id)) else {
        return error(ctx, Some(viewer), 403, t["forbidden"]);
    };
    match ctx.pipeline.run(run).await {
        Ok(Some(r)) if r.dossier == id => render(
            ctx,
            200,
            "run.html",
            Some(viewer),
            context! {
                dossier => context! { id => d.config.id, name => d.config.name },
                run => views::run_view(&r),
            },
        ),
        Ok(_) => error(ctx, Some(viewer), 404, t["not_found"]),
        Err(e) => error(ctx, Some(viewer), 503, &e.to_string()),
    }
}

/// `POST /dossiers/{id}/test-connection` ("Tester la connexion"): the checks of
/// `passerelle test-connection`. Open to every user who sees the dossier (read-only included:
/// it changes nothing), a `POST` with the CSRF token since it calls the source's and the
/// ledger's APIs (quotas); who asked and the outcome are logged.
async fn test_connection<S, B, Q, C, L>(
    ctx: &Ctx<'_, S, B, Q, C, L>,
    user: &User,
    viewer: &Viewer<'_>,
    id: &str,
) -> Response
where
    S: RecordStore,
    B: BlobStore,
    Q: Queue,
    C: Clock,
{
    use app::usecases::connection::Verdict;
    let t = words(ctx.lang);
    let Some(d) = ctx.site.dossier(id).filter(|_| user.sees(id)) else {
        return error(ctx, Some(viewer), 403, t["forbidden"]);
    };
    let Some(tester) = &ctx.site.tester else {
        return error(ctx, Some(viewer), 501, t["no_tester"]);
    };
    let Some(checks) = tester.test(id).await else {
        return error(ctx, Some(viewer), 404, t["not_found"]);
    };
    let count = |v: Verdict| checks.iter().filter(|c| c.verdict == v).count();
    let (failed, warnings) = (count(Verdict::Failed), count(Verdict::Warning));
    let audit = LogEvent {
        at: ctx.pipeline.now(),
        dossier: d.config.id.clone(),
        object: ObjectKind::Run,
        object_id: "test-connection".into(),
        severity: if failed > 0 {
            Severity::Warning
        } else {
            Severity::Info
        },
        message: format!(
            "Tester la connexion: requested by {} ({}) in the console: {} check(s), {failed} failed, {warnings} warning(s)",
            user.name,
            user.role.as_str(),
            checks.len()
        ),
        action: if failed > 0 {
            "see the failed checks on the Tester la connexion page".into()
        } else {
            "no action needed".into()
        },
        run: None,
    };
    if let Err(e) = ctx.pipeline.log().record(audit).await {
        return error(
            ctx,
            Some(viewer),
            503,
            &format!("the request could not be logged: {e}"),
        );
    }
    let rows: Vec<minijinja::Value> = checks
        .iter()
        .map(|c| {
            let (severity, verdict) = match c.verdict {
                Verdict::Ok => ("info", "ok"),
                Verdict::Warning => ("warning", "warning"),
                Verdict::Failed => ("error", "error"),
            };
            context! { check => c.check, severity, verdict, detail => c.detail, action => c.action }
        })
        .collect();
    render(
        ctx,
        200,
        "connection.html",
        Some(viewer),
        context! {
            dossier => context! { id => d.config.id, name => d.config.name },
            checks => rows, failed,
        },
    )
}
