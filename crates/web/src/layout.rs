//! The frame of every page (language and direction, skip link, navigation, language
//! switch, messages, the live notification region), redirects and error pages, and the
//! headers every page carries (content security policy: no inline script or style,
//! nothing from other origins; the one script is the page script served from the binary).

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use concord_store::Role;
use maud::{DOCTYPE, Markup, html};

use super::assets;
use super::i18n::LANGS;
use super::session::{Ctx, percent_encode};

/// A message shown above a page's content.
#[derive(Debug, Clone)]
pub struct Notice {
    /// `ok` or `error` (a CSS class).
    pub kind: &'static str,
    /// The text.
    pub text: String,
}

impl Notice {
    /// A success message.
    pub fn ok(text: String) -> Self {
        Notice { kind: "ok", text }
    }

    /// An error message.
    pub fn error(text: String) -> Self {
        Notice {
            kind: "error",
            text,
        }
    }
}

/// The navigation: (path, message id, role needed).
pub const NAV: &[(&str, &str, Role)] = &[
    ("/", "nav-dashboard", Role::Reader),
    ("/objects", "nav-browse", Role::Reader),
    ("/import", "nav-import", Role::Analyst),
    ("/matching", "nav-matching", Role::Analyst),
    ("/incidents", "nav-incidents", Role::Reader),
    // The policy explanation is per object: /objects/{id}/policy, linked from the object.
    ("/community", "nav-community", Role::Reader),
    ("/peers", "nav-peers", Role::Admin),
    ("/admin", "nav-admin", Role::Admin),
];

/// The security headers of every HTML answer.
fn secure_headers(res: &mut Response) {
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; connect-src 'self'; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// A whole page: `title` as `<title>` and `<h1>`, then `body`.
pub fn page(ctx: &Ctx, title: &str, notice: Option<Notice>, body: Markup) -> Response {
    page_with(ctx, title, notice, body, None)
}

/// A page that reloads itself every `seconds` when JavaScript is off (progress without
/// JavaScript; with it, the page script updates the page in place).
pub fn page_refreshing(
    ctx: &Ctx,
    title: &str,
    notice: Option<Notice>,
    body: Markup,
    seconds: u32,
) -> Response {
    page_with(ctx, title, notice, body, Some(seconds))
}

fn page_with(
    ctx: &Ctx,
    title: &str,
    notice: Option<Notice>,
    body: Markup,
    refresh: Option<u32>,
) -> Response {
    let l = ctx.lang;
    let user = ctx.user();
    let current = ctx.here.split('?').next().unwrap_or("/");
    let back = percent_encode(&ctx.here);
    let markup = html! {
        (DOCTYPE)
        html lang=(l.code()) dir=(l.dir()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some(s) = refresh {
                    // Only without JavaScript: the page script updates such pages in
                    // place (a reload every second would restart a screen reader).
                    noscript { meta http-equiv="refresh" content=(s); }
                }
                title { (title) " · Concord" }
                link rel="stylesheet" href=(assets::style_url());
                link rel="icon" href=(assets::icon_url()) type="image/svg+xml";
                @if user.is_some() {
                    // Live notifications and upload progress; every page works without it.
                    script src=(assets::script_url()) defer {}
                }
            }
            body {
                a.skip href="#main" { (l.t("skip-to-content")) }
                header.top {
                    a.brand href="/" { "Concord" }
                    @if let Some(u) = user {
                        nav aria-label=(l.t("nav-label")) {
                            ul {
                                @for (path, id, role) in NAV {
                                    @if u.role >= *role {
                                        li {
                                            @if *path == current {
                                                a href=(path) aria-current="page" { (l.t(id)) }
                                            } @else {
                                                a href=(path) { (l.t(id)) }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                        div.who {
                            a href="/notifications" { (l.t("nav-notifications")) }
                            a href="/account" { bdi { (u.name) } }
                            form method="post" action="/signout" {
                                input type="hidden" name="csrf" value=(ctx.csrf());
                                button.link type="submit" { (l.t("signout")) }
                            }
                        }
                    }
                    nav.langs aria-label=(l.t("language-label")) {
                        ul {
                            @for other in LANGS {
                                li {
                                    @if other == l {
                                        a href={ "/lang/" (other.code()) "?back=" (back) } lang=(other.code()) hreflang=(other.code()) aria-current="true" { (other.endonym()) }
                                    } @else {
                                        a href={ "/lang/" (other.code()) "?back=" (back) } lang=(other.code()) hreflang=(other.code()) { (other.endonym()) }
                                    }
                                }
                            }
                        }
                    }
                }
                main #main {
                    h1 { (title) }
                    @if let Some(n) = &notice {
                        p class={ "notice " (n.kind) } role=(if n.kind == "error" { "alert" } else { "status" }) { (n.text) }
                    }
                    (body)
                }
                @if user.is_some() {
                    // Filled by the page script from the live channel (`/notifications/live`).
                    section #live.live aria-live="polite" aria-label=(l.t("live-label")) {}
                }
                footer { (l.t("footer-text")) }
            }
        }
    };
    let mut res = markup.into_string().into_response();
    secure_headers(&mut res);
    res
}

/// An error page with `status`.
pub fn error_page(ctx: &Ctx, status: StatusCode, message: &str) -> Response {
    let l = ctx.lang;
    let body = html! {
        p { a href="/" { (l.t("back-to-dashboard")) } }
    };
    let mut res = page(
        ctx,
        &l.t("error-title"),
        Some(Notice::error(message.to_owned())),
        body,
    );
    *res.status_mut() = status;
    res
}

/// A `303 See Other` to a path on this origin: `to` if [`super::session::local_path`]
/// accepts it, else `/`.
pub fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(super::session::local_path(to)) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// A TLP badge (`TLP:AMBER`), coloured by CSS class.
pub fn tlp_badge(t: concord_stix::Tlp) -> Markup {
    let name = match t {
        concord_stix::Tlp::Clear => "TLP:CLEAR",
        concord_stix::Tlp::Green => "TLP:GREEN",
        concord_stix::Tlp::Amber => "TLP:AMBER",
        concord_stix::Tlp::AmberStrict => "TLP:AMBER+STRICT",
        concord_stix::Tlp::Red => "TLP:RED",
    };
    let class = match t {
        concord_stix::Tlp::Clear => "tlp tlp-clear",
        concord_stix::Tlp::Green => "tlp tlp-green",
        concord_stix::Tlp::Amber => "tlp tlp-amber",
        concord_stix::Tlp::AmberStrict => "tlp tlp-amber-strict",
        concord_stix::Tlp::Red => "tlp tlp-red",
    };
    html! { span class=(class) dir="ltr" { (name) } }
}

/// The hidden CSRF field of a form.
pub fn csrf_field(ctx: &Ctx) -> Markup {
    html! { input type="hidden" name="csrf" value=(ctx.csrf()); }
}
