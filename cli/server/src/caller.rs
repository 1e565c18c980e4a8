//! Who is calling: the credentials a request carries, proven by the
//! application's [`Authenticator`](kroonika_app::auth::Authenticator), and the
//! [`Request`] every application call takes.
//!
//! - `Authorization: Bearer kroonika_…` is a program's token;
//! - the `kroonika_session` cookie is a person signed in. Writes with a
//!   cookie must carry the session's CSRF token in `X-CSRF-Token`, and a
//!   foreign `Origin` is refused: a page elsewhere cannot make a signed-in
//!   browser act (the cookie is also `SameSite=Strict`).
//!
//! Nothing else says who is acting. `Idempotency-Key` becomes the command id
//! (a retry returns the first answer and records nothing more); `If-Match`
//! the expected version of the case.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use kroonika_app::Request;
use kroonika_app::auth::{Credential, Principal, Via};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::Server;
use crate::problem::Problem;

/// The session cookie's name.
pub const COOKIE: &str = "kroonika_session";
/// The header cookie-authenticated writes echo the session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// An authenticated caller, and the request its calls into the application carry.
#[derive(Debug, Clone)]
pub struct Caller {
    pub principal: Principal,
    pub request: Request,
}

impl FromRequestParts<Server> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, server: &Server) -> Result<Caller, Problem> {
        let credential = credential(&parts.headers)?.ok_or_else(|| {
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "sign in, or send a token: Authorization: Bearer kroonika_…",
            )
        })?;
        let principal = server.inner.auth.authenticate(&credential).await?;
        if let Via::Session { csrf, .. } = &principal.via
            && !parts.method.is_safe()
        {
            check_csrf(&parts.headers, csrf)?;
        }
        let command = match parts.extensions.get::<MatchedPath>() {
            Some(path) => format!("{} {}", parts.method, path.as_str()),
            None => parts.method.to_string(),
        };
        let mut request = Request::new(principal.actor.clone(), command);
        request.command_id = idempotency_key(&parts.headers, &principal.actor)?;
        request.expected_version = if_match(&parts.headers)?;
        Ok(Caller { principal, request })
    }
}

/// The credential the headers carry: a bearer token first, else the session
/// cookie. A malformed `Authorization` header is refused, not ignored.
fn credential(headers: &HeaderMap) -> Result<Option<Credential>, Problem> {
    if let Some(value) = headers.get(header::AUTHORIZATION) {
        let text = value.to_str().unwrap_or_default();
        let token = text
            .strip_prefix("Bearer ")
            .or_else(|| text.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                Problem::new(
                    StatusCode::UNAUTHORIZED,
                    "unauthenticated",
                    "the Authorization header takes a token: Bearer kroonika_…",
                )
            })?;
        return Ok(Some(Credential::Bearer(token.to_owned())));
    }
    Ok(session_cookie(headers).map(Credential::Session))
}

/// The session cookie's value, if the request has one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    cookie(headers, COOKIE)
}

/// The value of the cookie `name`, if the request has one.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"').to_owned())
}

/// A write made with the session cookie must echo the session's CSRF token,
/// and must not come from another site's page.
fn check_csrf(headers: &HeaderMap, csrf: &str) -> Result<(), Problem> {
    let refuse = |why: &str| Problem::new(StatusCode::FORBIDDEN, "csrf", why);
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if given.is_empty() || !bool::from(given.as_bytes().ct_eq(csrf.as_bytes())) {
        return Err(refuse(
            "a change made with the session cookie needs the session's CSRF token in X-CSRF-Token",
        ));
    }
    if !same_site(
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) {
        return Err(refuse("the request comes from another site's page"));
    }
    Ok(())
}

/// Whether a request's `Origin` (if it says one) is this server's `Host`:
/// a page elsewhere cannot make a signed-in browser act.
pub fn same_site(origin: Option<&str>, host: Option<&str>) -> bool {
    match (origin, host) {
        (Some(origin), Some(host)) => {
            let origin_host = origin
                .split_once("://")
                .map_or(origin, |(_, rest)| rest)
                .trim_end_matches('/');
            origin == "null" || origin_host == host
        }
        _ => true,
    }
}

/// The `Set-Cookie` that opens the session a sign-in made, for as long as
/// it lasts.
pub fn signed_in_cookie(server: &Server, signed: &kroonika_app::auth::SignedIn) -> HeaderValue {
    let max_age = (signed.expires_at - server.app().now())
        .num_seconds()
        .max(0);
    set_cookie(Some(&signed.secret), max_age)
}

/// `Idempotency-Key` as a command id: a UUID as it is, any other key (1 to
/// 255 visible characters) as a UUID derived from the caller and the key, so
/// two callers' keys never meet.
fn idempotency_key(headers: &HeaderMap, actor: &str) -> Result<Option<Uuid>, Problem> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 255 && k.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or_else(|| {
            Problem::malformed("Idempotency-Key takes 1 to 255 visible ASCII characters")
        })?;
    Ok(Some(match Uuid::parse_str(key) {
        Ok(id) => id,
        Err(_) => Uuid::new_v5(&NAMESPACE, format!("{actor}\n{key}").as_bytes()),
    }))
}

/// Idempotency keys that are not UUIDs are named in this namespace.
const NAMESPACE: Uuid = Uuid::from_u128(0x6b72_6f6f_6e69_6b61_0000_6964_656d_706f);

/// `If-Match: 5` (or `"5"`, as an ETag): the case version a change expects.
fn if_match(headers: &HeaderMap) -> Result<Option<u64>, Problem> {
    let Some(value) = headers.get(header::IF_MATCH) else {
        return Ok(None);
    };
    let text = value.to_str().unwrap_or_default().trim();
    let text = text.strip_prefix("W/").unwrap_or(text).trim_matches('"');
    text.parse().map(Some).map_err(|_| {
        Problem::malformed(format!(
            "If-Match takes the case version the change expects (an ETag like \"5\"), got '{text}'"
        ))
    })
}

/// The `Set-Cookie` value that opens a session cookie (or, with None, ends it).
pub fn set_cookie(secret: Option<&str>, max_age: i64) -> HeaderValue {
    let text = match secret {
        Some(secret) => format!(
            "{COOKIE}={secret}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={max_age}"
        ),
        None => format!("{COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0"),
    };
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Sign-in attempts per client address in the current minute: beyond the
/// limit, refused before any password is checked (and before anything is
/// recorded), so nobody can flood the log or the password hasher.
#[derive(Debug)]
pub struct SignInLimiter {
    per_minute: u32,
    seen: Mutex<HashMap<IpAddr, (Instant, u32)>>,
}

impl SignInLimiter {
    pub fn new(per_minute: u32) -> SignInLimiter {
        SignInLimiter {
            per_minute,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt from `address`; the seconds to wait if over the limit.
    pub fn attempt(&self, address: IpAddr) -> Result<(), u64> {
        const WINDOW: Duration = Duration::from_secs(60);
        let now = Instant::now();
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < WINDOW);
        }
        let (start, count) = seen.entry(address).or_insert((now, 0));
        if now.duration_since(*start) >= WINDOW {
            *start = now;
            *count = 0;
        }
        if *count >= self.per_minute {
            let wait = WINDOW.saturating_sub(now.duration_since(*start));
            return Err(wait.as_secs().max(1));
        }
        *count += 1;
        Ok(())
    }
}

impl Server {
    pub(crate) fn sign_ins(&self) -> &SignInLimiter {
        &self.inner.sign_ins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn credentials_come_from_the_authorization_header_or_the_cookie() {
        let bearer = headers(&[("authorization", "Bearer kroonika_x")]);
        assert_eq!(
            credential(&bearer).unwrap(),
            Some(Credential::Bearer("kroonika_x".into()))
        );
        let cookie = headers(&[("cookie", "a=b; kroonika_session=s3cret; c=d")]);
        assert_eq!(
            credential(&cookie).unwrap(),
            Some(Credential::Session("s3cret".into()))
        );
        assert_eq!(credential(&HeaderMap::new()).unwrap(), None);
        let basic = headers(&[("authorization", "Basic YTpi")]);
        assert_eq!(credential(&basic).unwrap_err().status, 401);
    }

    #[test]
    fn csrf_needs_the_token_and_the_same_site() {
        let ok = headers(&[
            ("x-csrf-token", "t"),
            ("origin", "https://k.example"),
            ("host", "k.example"),
        ]);
        assert!(check_csrf(&ok, "t").is_ok());
        for bad in [
            headers(&[]),
            headers(&[("x-csrf-token", "u")]),
            headers(&[
                ("x-csrf-token", "t"),
                ("origin", "https://evil.example"),
                ("host", "k.example"),
            ]),
        ] {
            assert_eq!(check_csrf(&bad, "t").unwrap_err().code, "csrf");
        }
    }

    #[test]
    fn idempotency_keys_are_command_ids_per_caller() {
        let id = Uuid::now_v7();
        let h = headers(&[("idempotency-key", &id.to_string())]);
        assert_eq!(idempotency_key(&h, "mari").unwrap(), Some(id));
        let h = headers(&[("idempotency-key", "order-17")]);
        let mari = idempotency_key(&h, "mari").unwrap();
        assert_eq!(mari, idempotency_key(&h, "mari").unwrap());
        assert_ne!(mari, idempotency_key(&h, "jaan").unwrap());
        let h = headers(&[("idempotency-key", "has space")]);
        assert_eq!(idempotency_key(&h, "mari").unwrap_err().status, 400);
    }

    #[test]
    fn if_match_takes_a_version_or_its_etag() {
        for (text, version) in [("5", 5), ("\"5\"", 5), ("W/\"7\"", 7)] {
            assert_eq!(
                if_match(&headers(&[("if-match", text)])).unwrap(),
                Some(version)
            );
        }
        assert_eq!(
            if_match(&headers(&[("if-match", "*")])).unwrap_err().status,
            400
        );
    }

    #[test]
    fn sign_ins_are_limited_per_address() {
        let limiter = SignInLimiter::new(3);
        let (a, b): (IpAddr, IpAddr) = ("127.0.0.1".parse().unwrap(), "127.0.0.2".parse().unwrap());
        for _ in 0..3 {
            assert!(limiter.attempt(a).is_ok());
        }
        assert!(limiter.attempt(a).is_err());
        assert!(limiter.attempt(b).is_ok());
    }
}
