//! Who is asking: password hashes (argon2id), session cookies, CSRF tokens, the request
//! context every page handler takes ([`Ctx`]), and the sign-in and sign-out routes.
//!
//! A session cookie holds a random secret; the store keeps only its SHA-256 with the
//! session's CSRF token and expiry. Cookies are `HttpOnly`, `SameSite=Lax` (the sign-in
//! form's pre-session cookie `Strict`) and `Secure` when the node is reached over HTTPS.
//! Every form carries a CSRF token that must equal the session's (for the sign-in form:
//! the pre-session cookie's), compared in constant time.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_store::users::{Session, User};
use maud::html;
use std::net::{IpAddr, SocketAddr};

use super::i18n::Lang;
use super::layout::{self, Notice};
use super::lockout::Locked;
use super::{Web, blocking};
use concord_server::auth::hash_token;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "concord_session";
/// The sign-in form's CSRF cookie.
pub const PRE_COOKIE: &str = "concord_pre";
/// The language cookie.
pub const LANG_COOKIE: &str = "concord_lang";
/// How long a session lasts, in seconds (12 hours).
pub const SESSION_SECONDS: i64 = 12 * 3600;
/// Longest password accepted (argon2 would take any length; this bounds the work).
pub const MAX_PASSWORD: usize = 1024;
/// Shortest password accepted when one is set.
pub const MIN_PASSWORD: usize = 10;

/// An argon2id hash (PHC string) of a password, with a fresh random salt.
///
/// # Panics
/// Panics if the operating system's random number generator is unavailable.
pub fn hash_password(password: &str) -> String {
    let mut bytes = [0u8; 16];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    #[allow(clippy::expect_used)]
    let salt = SaltString::encode_b64(&bytes).expect("16 bytes make a valid salt");
    #[allow(clippy::expect_used)]
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches a PHC hash made by [`hash_password`].
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash that no password matches, verified when a user name is unknown so that both
/// failures take the same time.
fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::LazyLock<String> =
        std::sync::LazyLock::new(|| hash_password("concord-no-such-user"));
    &DUMMY
}

/// Whether a password is acceptable as a new one; the message id of the reason if not.
pub fn password_problem(password: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        Some("password-too-short")
    } else if n > MAX_PASSWORD {
        Some("password-too-long")
    } else {
        None
    }
}

/// A fresh random secret: 32 bytes in hex (session cookies and CSRF tokens; unlike API
/// token secrets these carry no prefix).
///
/// # Panics
/// Panics if the operating system's random number generator is unavailable.
pub fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    hex::encode(bytes)
}

/// Constant-time equality of two strings (for CSRF tokens).
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The value of cookie `name` in a request.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            (k == name).then_some(v)
        })
}

/// A `Set-Cookie` value.
pub fn set_cookie(name: &str, value: &str, max_age: i64, secure: bool, strict: bool) -> String {
    format!(
        "{name}={value}; Path=/; Max-Age={max_age}; HttpOnly; SameSite={}{}",
        if strict { "Strict" } else { "Lax" },
        if secure { "; Secure" } else { "" }
    )
}

/// What every page handler knows about the request.
#[derive(Debug, Clone)]
pub struct Ctx {
    /// The language pages are written in.
    pub lang: Lang,
    /// The signed-in session, if any.
    pub session: Option<Session>,
    /// Path and query of the request (for "come back here" links).
    pub here: String,
    /// Whether cookies get `Secure`.
    pub secure: bool,
    /// The sign-in form's CSRF cookie, if the browser sent one.
    pub pre: Option<String>,
    /// The client's address (the TCP peer: a reverse proxy's own address behind one),
    /// when the server was started with connection info (as [`concord_server::serve`] is).
    pub address: Option<IpAddr>,
}

impl Ctx {
    /// The signed-in user, if any.
    pub fn user(&self) -> Option<&User> {
        self.session.as_ref().map(|s| &s.user)
    }

    /// The session's CSRF token ("" when nobody is signed in).
    pub fn csrf(&self) -> &str {
        self.session.as_ref().map_or("", |s| s.csrf.as_str())
    }

    /// The user, or a redirect to the sign-in page that comes back here.
    pub fn require(&self) -> Result<&User, Response> {
        self.user().ok_or_else(|| {
            let next = percent_encode(&self.here);
            layout::redirect(&format!("/signin?next={next}"))
        })
    }

    /// The user if its role is at least `role`, else a 403 page (or the sign-in redirect).
    pub fn require_role(&self, role: concord_store::Role) -> Result<&User, Response> {
        let user = self.require()?;
        if user.role < role {
            return Err(layout::error_page(
                self,
                StatusCode::FORBIDDEN,
                &self.lang.t("error-forbidden"),
            ));
        }
        Ok(user)
    }

    /// Checks a submitted CSRF token against the session's; a 403 page if it differs.
    pub fn check_csrf(&self, submitted: &str) -> Result<(), Response> {
        match &self.session {
            Some(s) if same(&s.csrf, submitted) => Ok(()),
            _ => Err(layout::error_page(
                self,
                StatusCode::FORBIDDEN,
                &self.lang.t("error-csrf"),
            )),
        }
    }
}

/// `%`-encodes everything but unreserved characters and `/`.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// `next` if it is a path on this origin to return to, else `/`. Every redirect of the
/// web interface goes through it ([`layout::redirect`]).
///
/// Accepted: printable ASCII only (no whitespace or control character anywhere, since
/// browsers drop TAB, CR and LF from a URL, so `/<TAB>/host` would become `//host`),
/// starting with exactly one `/` (not `//`, not `/\`), with no backslash. The same holds
/// of every percent-decoded form (decoded up to [`DECODE_ROUNDS`] times, for doubly
/// encoded input): no control character anywhere, and the path (before `?` or `#`)
/// starts with one `/` and holds no backslash (the query may: it cannot change the
/// origin, and a search for `a\b` should come back).
pub fn local_path(next: &str) -> &str {
    if same_origin_path(next) { next } else { "/" }
}

/// How many times [`local_path`] percent-decodes its input to check it again.
pub const DECODE_ROUNDS: usize = 3;

/// Whether `next` passes [`local_path`].
fn same_origin_path(next: &str) -> bool {
    let raw = next.as_bytes();
    if !raw.iter().all(|b| (0x21..=0x7e).contains(b)) || raw.contains(&b'\\') {
        return false;
    }
    let mut form = raw.to_vec();
    for _ in 0..=DECODE_ROUNDS {
        if !path_starts_here(&form) || form.iter().any(|b| b.is_ascii_control()) {
            return false;
        }
        let decoded = percent_decode(&form);
        if decoded == form {
            return true;
        }
        form = decoded;
    }
    // Still changing after that many rounds: nothing legitimate is encoded so deeply.
    false
}

/// Whether `form`'s path (before `?` or `#`) starts with exactly one `/` and holds no
/// backslash or whitespace.
fn path_starts_here(form: &[u8]) -> bool {
    let end = form
        .iter()
        .position(|b| *b == b'?' || *b == b'#')
        .unwrap_or(form.len());
    let path = &form[..end];
    path.first() == Some(&b'/')
        && !matches!(path.get(1), Some(b'/' | b'\\'))
        && !path.iter().any(|b| *b == b'\\' || b.is_ascii_whitespace())
}

/// `%XX` sequences replaced by their byte (others kept as they are).
fn percent_decode(s: &[u8]) -> Vec<u8> {
    let hex = |b: u8| char::from(b).to_digit(16);
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        if s[i] == b'%'
            && let (Some(h), Some(l)) = (
                s.get(i + 1).copied().and_then(hex),
                s.get(i + 2).copied().and_then(hex),
            )
        {
            out.push(u8::try_from(h * 16 + l).unwrap_or(b'?'));
            i += 3;
        } else {
            out.push(s[i]);
            i += 1;
        }
    }
    out
}

impl FromRequestParts<Web> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Response> {
        let headers = &parts.headers;
        let lang = cookie(headers, LANG_COOKIE)
            .and_then(Lang::from_tag)
            .or_else(|| {
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(Lang::negotiate)
            })
            .unwrap_or(Lang::En);
        let secure = web.app.config.public_url.starts_with("https://")
            || headers
                .get("x-forwarded-proto")
                .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"));
        let here = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
        let pre = cookie(headers, PRE_COOKIE).map(str::to_owned);
        let address = parts
            .extensions
            .get::<axum::extract::ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip());
        let mut ctx = Ctx {
            lang,
            session: None,
            here,
            secure,
            pre,
            address,
        };
        if let Some(secret) = cookie(headers, SESSION_COOKIE) {
            let hash = hash_token(secret);
            let store = web.app.store.clone();
            let now = concord_stix::Timestamp::now_millis();
            ctx.session = blocking(&ctx, move || store.session(&hash, &now)).await?;
        }
        Ok(ctx)
    }
}

/// Query of `GET /signin`.
#[derive(Debug, serde::Deserialize)]
pub struct SigninQuery {
    /// Where to go after signing in.
    #[serde(default)]
    pub next: Option<String>,
}

/// The sign-in form, with a fresh pre-session CSRF cookie.
fn signin_page(ctx: &Ctx, next: &str, notice: Option<Notice>, status: StatusCode) -> Response {
    let pre = random_secret();
    let l = ctx.lang;
    let body = html! {
        form.card.narrow method="post" action="/signin" {
            input type="hidden" name="csrf" value=(pre);
            input type="hidden" name="next" value=(local_path(next));
            p {
                label for="username" { (l.t("signin-username")) }
                input #username type="text" name="username" autocomplete="username" required maxlength="200" autofocus;
            }
            p {
                label for="password" { (l.t("signin-password")) }
                input #password type="password" name="password" autocomplete="current-password" required maxlength="1024";
            }
            p { button type="submit" { (l.t("signin-submit")) } }
        }
    };
    let mut res = layout::page(ctx, &l.t("signin-title"), notice, body);
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(&set_cookie(PRE_COOKIE, &pre, 3600, ctx.secure, true)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `GET /signin`.
pub async fn signin_form(
    ctx: Ctx,
    axum::extract::Query(q): axum::extract::Query<SigninQuery>,
) -> Response {
    let next = q.next.unwrap_or_else(|| "/".to_owned());
    if ctx.user().is_some() {
        return layout::redirect(local_path(&next));
    }
    signin_page(&ctx, &next, None, StatusCode::OK)
}

/// Body of `POST /signin`.
#[derive(Debug, serde::Deserialize)]
pub struct SigninForm {
    csrf: String,
    username: String,
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /signin`: a new session on success; the form again with a message otherwise.
pub async fn signin(
    ctx: Ctx,
    State(web): State<Web>,
    axum::Form(form): axum::Form<SigninForm>,
) -> Response {
    let l = ctx.lang;
    if !ctx.pre.as_deref().is_some_and(|p| same(p, &form.csrf)) {
        return signin_page(
            &ctx,
            &form.next,
            Some(Notice::error(l.t("error-csrf"))),
            StatusCode::FORBIDDEN,
        );
    }
    if form.username.len() > 200 || form.password.len() > MAX_PASSWORD {
        return signin_page(
            &ctx,
            &form.next,
            Some(Notice::error(l.t("signin-failed"))),
            StatusCode::UNAUTHORIZED,
        );
    }
    let name = form.username.trim().to_owned();
    // Counted before the password is looked at, so that concurrent attempts cannot all
    // get past the limit.
    let (failures, tried, address) = (web.failures.clone(), name.clone(), ctx.address);
    let reserved = match blocking(&ctx, move || failures.reserve(&tried, address)).await {
        Ok(r) => r,
        Err(res) => return res,
    };
    let attempt = match reserved {
        Ok(a) => a,
        Err(locked) => {
            let short: String = name.chars().take(200).collect();
            let (reason, message) = match locked {
                Locked::Name => ("user name", "signin-locked"),
                Locked::Address => ("client address", "signin-locked-address"),
            };
            tracing::warn!(user = %short, address = ?ctx.address, limit = reason, "Web sign-in refused: too many attempts.");
            return signin_page(
                &ctx,
                &form.next,
                Some(Notice::error(l.t(message))),
                StatusCode::TOO_MANY_REQUESTS,
            );
        }
    };
    let store = web.app.store.clone();
    let lookup = name.clone();
    let found = match blocking(&ctx, move || store.user_by_name(&lookup)).await {
        Ok(f) => f,
        Err(res) => return res,
    };
    let password = form.password;
    let user = tokio::task::spawn_blocking(move || match found {
        Some((user, hash)) if !user.disabled && verify_password(&password, &hash) => Some(user),
        Some(_) => None,
        None => {
            verify_password(&password, dummy_hash());
            None
        }
    })
    .await
    .ok()
    .flatten();
    let Some(user) = user else {
        tracing::info!(user = %form.username.chars().take(200).collect::<String>(), address = ?ctx.address, "Web sign-in failed.");
        return signin_page(
            &ctx,
            &form.next,
            Some(Notice::error(l.t("signin-failed"))),
            StatusCode::UNAUTHORIZED,
        );
    };
    let failures = web.failures.clone();
    if let Err(res) = blocking(&ctx, move || failures.succeeded(attempt)).await {
        return res;
    }
    let secret = random_secret();
    let csrf = random_secret();
    let hash = hash_token(&secret);
    let expires = chrono::Utc::now() + chrono::Duration::seconds(SESSION_SECONDS);
    let expires = expires.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let store = web.app.store.clone();
    let uid = user.id;
    if let Err(res) = blocking(&ctx, move || {
        store.create_session(&hash, uid, &csrf, &expires)
    })
    .await
    {
        return res;
    }
    tracing::info!(user = %user.name, "Web sign-in.");
    let mut res = layout::redirect(local_path(&form.next));
    for c in [
        set_cookie(SESSION_COOKIE, &secret, SESSION_SECONDS, ctx.secure, false),
        set_cookie(PRE_COOKIE, "", 0, ctx.secure, true),
    ] {
        if let Ok(v) = HeaderValue::from_str(&c) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    res
}

/// Body of forms that carry only the CSRF token.
#[derive(Debug, serde::Deserialize)]
pub struct CsrfForm {
    /// The CSRF token.
    pub csrf: String,
}

/// `POST /signout`: ends the session.
pub async fn signout(
    ctx: Ctx,
    State(web): State<Web>,
    headers: HeaderMap,
    axum::Form(form): axum::Form<CsrfForm>,
) -> Response {
    if let Err(res) = ctx.check_csrf(&form.csrf) {
        return res;
    }
    if let Some(secret) = cookie(&headers, SESSION_COOKIE) {
        let hash = hash_token(secret);
        let store = web.app.store.clone();
        let now = concord_stix::Timestamp::now_millis();
        if let Err(res) = blocking(&ctx, move || store.delete_session(&hash, &now)).await {
            return res;
        }
    }
    let mut res = layout::redirect("/signin");
    if let Ok(v) = HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, ctx.secure, false)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Query of `GET /lang/{code}`.
#[derive(Debug, serde::Deserialize)]
pub struct LangQuery {
    /// The page to go back to.
    #[serde(default)]
    pub back: Option<String>,
}

/// `GET /lang/{code}`: remembers the language in a cookie and goes back.
pub async fn switch_lang(
    ctx: Ctx,
    axum::extract::Path(code): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<LangQuery>,
) -> Response {
    let Some(lang) = Lang::from_tag(&code) else {
        return layout::error_page(&ctx, StatusCode::NOT_FOUND, &ctx.lang.t("error-not-found"));
    };
    let back = q.back.unwrap_or_else(|| "/".to_owned());
    let mut res = layout::redirect(local_path(&back));
    let c = set_cookie(LANG_COOKIE, lang.code(), 365 * 24 * 3600, ctx.secure, false);
    if let Ok(v) = HeaderValue::from_str(&c) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// 404 page for unknown paths below the pages.
pub async fn not_found(ctx: Ctx) -> Response {
    layout::error_page(&ctx, StatusCode::NOT_FOUND, &ctx.lang.t("error-not-found")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
        assert_ne!(h, hash_password("correct horse battery"), "salted");
    }

    #[test]
    fn only_same_origin_paths_are_followed() {
        for ok in [
            "/",
            "/objects?q=1",
            "/objects/indicator--1?tab=graph#top",
            "/signin?next=/objects%3Fq%3Da%2520b",
            "/objects?q=a%5Cb",
            "/objects?q=a+b",
            "/a//b",
        ] {
            assert_eq!(local_path(ok), ok, "{ok:?} should be followed");
        }
        for hostile in [
            "",
            "objects",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example",
            "javascript:alert(1)",
            " /objects",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\r\n/evil.example",
            "/ /evil.example",
            "/objects\u{0}",
            "/objects\u{7f}",
            "/objects?q=a b",
            "/obj\u{e9}cts",
            "/\u{2028}/evil.example",
            "/%2Fevil.example",
            "/%2f%2fevil.example",
            "/%5Cevil.example",
            "/%09/evil.example",
            "/%0a/evil.example",
            "/%0D%0A/evil.example",
            "/%252F/evil.example",
            "/%25252F/evil.example",
            "/%2525252F/evil.example",
            "/objects?q=%0d%0aSet-Cookie:x",
            "/a%5Cb",
            "/a%20/b",
            "%2F%2Fevil.example",
        ] {
            assert_eq!(local_path(hostile), "/", "{hostile:?} must not be followed");
        }
    }
}
