//! The web application: pages for people working in a browser, in Estonian
//! or English, served by `kroonika serve` beside the API.
//!
//! A front end like the API: a handler parses the form or the address, makes
//! one call into the application, and renders a template (minijinja,
//! autoescaped) with what came back. No rule lives here; a refusal is the
//! application's, shown in place with its message.
//!
//! Pages work without JavaScript: plain links and forms (POST, then a
//! redirect to the page to read, so a reload never repeats a step). Every
//! asset is served from here (`/assets/…`): nothing is loaded from
//! elsewhere, so the application works on an intranet with no internet.
//!
//! People sign in with the session cookie of the API (`caller`): a page
//! without a session sends them to the sign-in page. Every form that changes
//! something carries the session's CSRF token in a hidden field, checked in
//! constant time with the `Origin` before anything is done.
//!
//! - [`i18n`]: the interface's words in both languages;
//! - `labels.rs`: a definition's own words (titles, guidance, values) in the
//!   reader's language, ids where it gives none;
//! - `pages.rs`: the handlers of people's casework, by page;
//! - `oversight.rs`: the service owner's definitions and the auditor's log;
//! - `people.rs`: the administrator's people, roles, passwords and tokens;
//! - `reports.rs`: a process's report with its filters, CSV and printable;
//! - `assets.rs`: the stylesheet and htmx, compiled in;
//! - `templates/`: one file a page, all extending `base.html`.

mod assets;
pub mod i18n;
mod labels;
mod oversight;
mod pages;
mod people;
mod reports;

use std::sync::OnceLock;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use kroonika_app::Request;
use kroonika_app::auth::{Credential, Via};
use minijinja::Environment;
use serde::Serialize;
use subtle::ConstantTimeEq;

use crate::Server;
use crate::caller::{cookie, same_site, session_cookie};
use crate::problem::Problem;
use i18n::Lang;

/// The pages' routes.
pub(crate) fn routes() -> Router<Server> {
    pages::routes()
        .merge(oversight::routes())
        .merge(people::routes())
        .merge(assets::routes())
}

/// The pages that read the whole log (verification), under the longer time
/// limit.
pub(crate) fn long_routes() -> Router<Server> {
    oversight::long().merge(reports::routes())
}

/// What pages may load: only this server's own scripts, styles and images.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                   connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The templates, parsed once.
fn templates() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        // `labels.states[x]|default(x)` where a definition says nothing of x.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.add_filter("date", date_filter);
        env.add_filter("tr", labels::tr);
        env.add_filter("count", reports::count);
        env.add_filter("percent", reports::percent);
        env.add_filter("number", reports::number);
        for (name, source) in [
            ("base.html", include_str!("templates/base.html")),
            ("login.html", include_str!("templates/login.html")),
            ("work.html", include_str!("templates/work.html")),
            ("found.html", include_str!("templates/found.html")),
            ("case.html", include_str!("templates/case.html")),
            ("open.html", include_str!("templates/open.html")),
            ("inputs.html", include_str!("templates/inputs.html")),
            ("error.html", include_str!("templates/error.html")),
            (
                "definitions.html",
                include_str!("templates/definitions.html"),
            ),
            ("audit.html", include_str!("templates/audit.html")),
            ("people.html", include_str!("templates/people.html")),
            ("report.html", include_str!("templates/report.html")),
            ("migrations.html", include_str!("templates/migrations.html")),
        ] {
            if let Err(err) = env.add_template(name, source) {
                // A template that does not parse is a build mistake, shown
                // on every page that uses it (and caught by the tests).
                tracing::error!(template = name, error = %err, "a page template does not parse");
            }
        }
        env
    })
}

/// `{{ value|date }}`: a date (`2026-11-29`, or the date of a time) the
/// Estonian way, `29.11.2026`; anything else as it is.
fn date_filter(value: String) -> String {
    let day = value.get(..10).unwrap_or_default();
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(date) if value.len() == 10 => i18n::date(date),
        _ => value,
    }
}

/// A rendered page with the pages' headers; `status` for errors.
fn page(status: StatusCode, name: &str, lang: Lang, context: minijinja::Value) -> Response {
    let rendered = templates().get_template(name).and_then(|template| {
        template.render(minijinja::context! {
            t => lang.messages(),
            lang => lang.code(),
            other_lang => lang.other().code(),
            ..context
        })
    });
    let mut response = match rendered {
        Ok(html) => (status, Html(html)).into_response(),
        Err(err) => {
            tracing::error!(template = name, error = %err, "a page could not be rendered");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                Html("<!doctype html><title>Kroonika</title><p>The page could not be shown; the failure is in the server's log.".to_owned()),
            )
                .into_response()
        }
    };
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    response
}

/// The language the request asks for: the switch's cookie, else Estonian.
fn lang_of(headers: &HeaderMap) -> Lang {
    cookie(headers, i18n::COOKIE)
        .and_then(|value| Lang::parse(&value))
        .unwrap_or(Lang::Et)
}

/// A person signed in with the session cookie, for a page.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub actor: String,
    pub roles: Vec<String>,
    csrf: String,
    pub lang: Lang,
    /// The request its application calls carry.
    pub request: Request,
    /// The page's own path, for the language switch to come back to.
    here: String,
    /// The `Origin` and `Host` the request came with (for form checks).
    origin: Option<String>,
    host: Option<String>,
}

/// Who is asking, as the page shows it (the header's name, the forms' token).
#[derive(Debug, Serialize)]
struct Me<'a> {
    actor: &'a str,
    roles: &'a [String],
    csrf: &'a str,
}

impl Person {
    fn me(&self) -> Me<'_> {
        Me {
            actor: &self.actor,
            roles: &self.roles,
            csrf: &self.csrf,
        }
    }

    /// Renders `name` for this person.
    fn page(&self, status: StatusCode, name: &str, context: minijinja::Value) -> Response {
        page(
            status,
            name,
            self.lang,
            minijinja::context! {
                me => minijinja::Value::from(minijinja::value::Serde(self.me())),
                here => &self.here,
                ..context
            },
        )
    }

    /// An error of the application, as a page in this person's language.
    fn error(&self, problem: &Problem) -> Response {
        self.page(
            problem.status,
            "error.html",
            minijinja::context! { detail => &problem.detail, status => problem.status.as_u16() },
        )
    }

    /// The refusal of a form without this session's CSRF token, or from
    /// another site's page; None when the form may be acted on.
    fn refuse_form(&self, token: Option<&str>) -> Option<Response> {
        let given = token.unwrap_or_default();
        let same_site = same_site(self.origin.as_deref(), self.host.as_deref());
        if given.is_empty()
            || !bool::from(given.as_bytes().ct_eq(self.csrf.as_bytes()))
            || !same_site
        {
            return Some(self.error(&Problem::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "the form is out of date or comes from another site; open the page again",
            )));
        }
        None
    }
}

impl FromRequestParts<Server> for Person {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, server: &Server) -> Result<Person, Response> {
        let lang = lang_of(&parts.headers);
        let to_sign_in = || {
            let next = parts
                .uri
                .path_and_query()
                .map_or("/", |p| p.as_str())
                .to_owned();
            Redirect::to(&format!("/login?next={}", urlencode(&next))).into_response()
        };
        let Some(secret) = session_cookie(&parts.headers) else {
            return Err(to_sign_in());
        };
        let principal = match server
            .auth()
            .authenticate(&Credential::Session(secret))
            .await
        {
            Ok(principal) => principal,
            Err(_) => return Err(to_sign_in()),
        };
        let Via::Session { csrf, .. } = principal.via else {
            return Err(to_sign_in());
        };
        let roles = server
            .app()
            .actor(&principal.actor)
            .await
            .map(|a| a.roles.into_iter().collect())
            .unwrap_or_default();
        let header = |name: header::HeaderName| {
            parts
                .headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Person {
            here: parts
                .uri
                .path_and_query()
                .map_or("/work", |p| p.as_str())
                .to_owned(),
            request: Request::new(
                principal.actor.clone(),
                format!("{} {}", parts.method, parts.uri.path()),
            ),
            actor: principal.actor,
            roles,
            csrf,
            lang,
            origin: header(header::ORIGIN),
            host: header(header::HOST),
        })
    }
}

/// Percent-encodes a value for a query string.
fn urlencode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(byte as char);
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A path on this site to go back to: relative, no scheme or host (a link
/// elsewhere cannot be smuggled in through `next=`).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(char::is_control) =>
        {
            path.to_owned()
        }
        _ => "/work".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            local_path(Some("/cases/LE-2026-0001")),
            "/cases/LE-2026-0001"
        );
        for foreign in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "cases",
            "/a\nb",
        ] {
            assert_eq!(local_path(Some(foreign)), "/work", "{foreign}");
        }
        assert_eq!(local_path(None), "/work");
    }

    #[test]
    fn every_template_parses() {
        let env = templates();
        for name in [
            "base.html",
            "login.html",
            "work.html",
            "found.html",
            "case.html",
            "open.html",
            "inputs.html",
            "error.html",
            "definitions.html",
            "audit.html",
            "people.html",
        ] {
            assert!(env.get_template(name).is_ok(), "{name}");
        }
    }
}
