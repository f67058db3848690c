//! Tests of the web interface: every page and form through the node's application
//! (`concord_server::app_with` with `concord_web::part`) without a socket (sign-in, CSRF,
//! roles, TLP clearance everywhere, escaping, languages), the leak test over every route
//! of the node, and the real-browser test, which serves the app on 127.0.0.1 and drives
//! Debian's chromium with playwright-core and axe-core (`tests/browser/`).

mod web {
    pub mod common;

    mod auth;
    mod browser;
    mod clearance;
    mod community;
    mod escaping;
    mod feeds;
    mod i18n;
    mod leak;
    mod live;
    mod pages;
    mod paths;
    mod signin_limits;
}
