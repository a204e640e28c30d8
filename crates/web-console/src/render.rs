//! The templates (compiled in) and the context every page shares.

use minijinja::{Environment, Value, context};

use crate::http::BASE;
use crate::i18n::{Lang, words};

const TEMPLATES: [(&str, &str); 7] = [
    ("base.html", include_str!("../templates/base.html")),
    ("login.html", include_str!("../templates/login.html")),
    ("dossiers.html", include_str!("../templates/dossiers.html")),
    ("dossier.html", include_str!("../templates/dossier.html")),
    ("run.html", include_str!("../templates/run.html")),
    ("error.html", include_str!("../templates/error.html")),
    (
        "connection.html",
        include_str!("../templates/connection.html"),
    ),
];

/// The environment with every template; a template that does not compile is a bug caught by
/// the tests (each page is rendered there).
pub(crate) fn templates() -> Environment<'static> {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        if let Err(e) = env.add_template(name, source) {
            panic!("console template {name}: {e}");
        }
    }
    env
}

/// Who is looking at the page (absent on the login page).
pub(crate) struct Viewer<'a> {
    pub user: &'a str,
    pub role: &'a str,
    pub csrf: &'a str,
}

/// Renders `name` with the shared context (language, words, viewer) and the page's own.
pub(crate) fn page(
    env: &Environment<'static>,
    name: &str,
    lang: Lang,
    viewer: Option<&Viewer<'_>>,
    page: Value,
) -> Result<String, String> {
    let other = if lang == Lang::Fr { "en" } else { "fr" };
    let shared = context! {
        lang => lang.code(),
        other_lang => other,
        t => words(lang),
        base => BASE,
        user => viewer.map(|v| v.user),
        role => viewer.map(|v| v.role),
        csrf => viewer.map(|v| v.csrf),
    };
    env.get_template(name)
        .and_then(|t| t.render(context! { ..shared, ..page }))
        .map_err(|e| format!("template {name}: {e}"))
}
