//! Sign-in, sessions, cookies, CSRF and roles.

use axum::http::StatusCode;
use concord_server::ServerConfig;

use super::common::{PASSWORD, TestWeb};

#[tokio::test]
async fn signing_in_sets_a_session_cookie_and_signing_out_ends_it() {
    let web = TestWeb::new();
    let mut c = web.client();
    let res = c.get("/objects").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.location(), "/signin?next=/objects");
    let res = c.signin("analyst", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.location(), "/");
    let cookie = res
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("concord_session="))
        .expect("session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");
    let page = c.get("/objects").await;
    assert!(page.page().contains("analyst"));
    let csrf = page.csrf();
    let res = c.post_form("/signout", &[("csrf", &csrf)]).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(c.get("/objects").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn cookies_are_secure_when_the_node_is_reached_over_https() {
    let web = TestWeb::with_config(ServerConfig {
        public_url: "https://concord.example".into(),
        ..ServerConfig::default()
    });
    let mut c = web.client();
    let res = c.signin("admin", PASSWORD).await;
    assert!(
        res.set_cookies()
            .iter()
            .filter(|c| c.starts_with("concord_"))
            .all(|c| c.contains("; Secure")),
        "{:?}",
        res.set_cookies()
    );
}

#[tokio::test]
async fn wrong_passwords_and_unknown_users_are_refused_alike() {
    let web = TestWeb::new();
    for (user, password) in [
        ("analyst", "wrong password!"),
        ("nobody", PASSWORD),
        ("analyst", ""),
        ("analyst", &"x".repeat(5000)),
    ] {
        let mut c = web.client();
        let res = c.signin(user, password).await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{user}");
        assert!(res.body.contains("Wrong user name or password."));
        assert!(!c.cookies.contains_key("concord_session"));
        assert_eq!(c.get("/").await.status, StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_and_lose_their_sessions() {
    let web = TestWeb::new();
    let mut c = web.signed_in("green").await;
    let (user, _) = web.store().user_by_name("green").unwrap().unwrap();
    web.store()
        .update_user(user.id, user.role, user.clearance, true)
        .unwrap();
    assert_eq!(c.get("/objects").await.status, StatusCode::SEE_OTHER);
    let res = web.client().signin("green", super::common::PASSWORD).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn signin_needs_its_csrf_cookie_and_field() {
    let web = TestWeb::new();
    let mut c = web.client();
    let res = c
        .post_form(
            "/signin",
            &[
                ("csrf", "forged"),
                ("username", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert!(!c.cookies.contains_key("concord_session"));
    let form = c.get("/signin").await;
    let _ = form.csrf();
    let res = c
        .post_form(
            "/signin",
            &[
                ("csrf", "not-the-cookie"),
                ("username", "admin"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn every_form_rejects_a_wrong_csrf_token() {
    let web = TestWeb::new();
    let mut c = web.signed_in("admin").await;
    let users_before = web.store().users().unwrap().len();
    let forms: &[(&str, &[(&str, &str)])] = &[
        ("/signout", &[]),
        (
            "/account/password",
            &[
                ("current", PASSWORD),
                ("new", "another long password"),
                ("confirm", "another long password"),
            ],
        ),
        ("/account/tokens", &[("name", "script"), ("role", "reader")]),
        ("/account/tokens/1/revoke", &[]),
        (
            "/admin/users",
            &[
                ("name", "mallory"),
                ("password", "a long password here"),
                ("role", "admin"),
                ("clearance", "red"),
            ],
        ),
        (
            "/admin/users/1",
            &[("role", "reader"), ("clearance", "clear")],
        ),
    ];
    for (path, fields) in forms {
        for csrf in [None, Some("wrong"), Some("")] {
            let mut all: Vec<(&str, &str)> = fields.to_vec();
            if let Some(t) = csrf {
                all.push(("csrf", t));
            }
            let res = c.post_form(path, &all).await;
            assert!(
                matches!(
                    res.status,
                    StatusCode::FORBIDDEN | StatusCode::UNPROCESSABLE_ENTITY
                ),
                "{path} with csrf {csrf:?}: {} {}",
                res.status,
                res.body
            );
        }
    }
    for path in ["/import", "/matching"] {
        let res = c
            .post_multipart(path, &[("csrf", "wrong"), ("format", "lines")], b"[]")
            .await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}: {}", res.body);
        assert!(res.body.contains("did not come from this site"), "{path}");
    }
    // Nothing changed: the session lives, no user, token or password was made.
    assert_eq!(web.store().users().unwrap().len(), users_before);
    assert!(web.store().tokens().unwrap().is_empty());
    assert_eq!(c.get("/admin").await.status, StatusCode::OK);
    let res = web.client().signin("admin", PASSWORD).await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "password unchanged");
}

#[tokio::test]
async fn roles_limit_pages() {
    let web = TestWeb::new();
    let mut reader = web.signed_in("green").await;
    for path in ["/import", "/matching", "/admin"] {
        let res = reader.get(path).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{path}");
    }
    let csrf = reader.csrf().await;
    let res = reader
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "x"),
                ("password", "long enough pw"),
                ("role", "admin"),
                ("clearance", "red"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    let page = reader.get("/").await;
    assert!(!page.page().contains("href=\"/admin\""));
    let mut analyst = web.signed_in("analyst").await;
    assert_eq!(analyst.get("/import").await.status, StatusCode::OK);
    assert_eq!(analyst.get("/admin").await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn users_change_passwords_and_own_tokens() {
    let web = TestWeb::new();
    let mut c = web.signed_in("analyst").await;
    let csrf = c.csrf().await;
    // A token: role no higher than the user's; the secret is shown once.
    let res = c
        .post_form(
            "/account/tokens",
            &[("csrf", &csrf), ("name", "siem"), ("role", "admin")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let res = c
        .post_form(
            "/account/tokens",
            &[("csrf", &csrf), ("name", "siem"), ("role", "analyst")],
        )
        .await;
    let body = res.page();
    let secret_at = body
        .find("class=\"secret\" dir=\"ltr\">cnc_")
        .expect("secret shown")
        + 25;
    let secret = &body[secret_at..secret_at + 68];
    let (user, _) = web.store().user_by_name("analyst").unwrap().unwrap();
    let tokens = web.store().user_tokens(user.id).unwrap();
    assert_eq!(tokens.len(), 1);
    let made = web
        .store()
        .token_by_hash(&concord_server::auth::hash_token(secret))
        .unwrap()
        .unwrap();
    assert_eq!(made.id, tokens[0].id);
    // Issue 27: the token states the user's clearance, not TLP:RED.
    assert_eq!(made.clearance, user.clearance);
    assert!(!c.get("/account").await.body.contains(secret), "shown once");
    // Another user may not revoke it; the owner may.
    let mut other = web.signed_in("green").await;
    let ocsrf = other.csrf().await;
    let path = format!("/account/tokens/{}/revoke", tokens[0].id);
    assert_eq!(
        other.post_form(&path, &[("csrf", &ocsrf)]).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        c.post_form(&path, &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(web.store().user_tokens(user.id).unwrap().is_empty());
    // Password: the current one must be right, the new one long enough and confirmed.
    for (current, new, confirm) in [
        (
            "wrong password x",
            "a new long password",
            "a new long password",
        ),
        (PASSWORD, "short", "short"),
        (PASSWORD, "a new long password", "a different one!"),
    ] {
        let res = c
            .post_form(
                "/account/password",
                &[
                    ("csrf", &csrf),
                    ("current", current),
                    ("new", new),
                    ("confirm", confirm),
                ],
            )
            .await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{current} {new}");
    }
    let res = c
        .post_form(
            "/account/password",
            &[
                ("csrf", &csrf),
                ("current", PASSWORD),
                ("new", "a new long password"),
                ("confirm", "a new long password"),
            ],
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        c.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "sessions end"
    );
    assert_eq!(
        web.client().signin("analyst", PASSWORD).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        web.client()
            .signin("analyst", "a new long password")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn admins_manage_users() {
    let web = TestWeb::new();
    let mut c = web.signed_in("admin").await;
    let csrf = c.csrf().await;
    let res = c
        .post_form(
            "/admin/users",
            &[
                ("csrf", &csrf),
                ("name", "نادية"),
                ("password", "a long password!"),
                ("role", "analyst"),
                ("clearance", "amber+strict"),
            ],
        )
        .await;
    assert!(res.page().contains("نادية"));
    let (u, _) = web.store().user_by_name("نادية").unwrap().unwrap();
    assert_eq!(u.clearance, concord_stix::Tlp::AmberStrict);
    for (name, pw) in [
        ("two words", "a long password!"),
        ("ok", "short"),
        ("admin", "a long password!"),
    ] {
        let res = c
            .post_form(
                "/admin/users",
                &[
                    ("csrf", &csrf),
                    ("name", name),
                    ("password", pw),
                    ("role", "reader"),
                    ("clearance", "clear"),
                ],
            )
            .await;
        assert!(res.status.is_client_error(), "{name}: {}", res.status);
    }
    let path = format!("/admin/users/{}", u.id);
    let res = c
        .post_form(
            &path,
            &[
                ("csrf", &csrf),
                ("role", "reader"),
                ("clearance", "green"),
                ("disabled", "on"),
            ],
        )
        .await;
    res.page();
    let u2 = web.store().user(u.id).unwrap().unwrap();
    assert!(u2.disabled);
    assert_eq!(u2.role, concord_store::Role::Reader);
    // An admin cannot lock themselves out.
    let (me, _) = web.store().user_by_name("admin").unwrap().unwrap();
    let res = c
        .post_form(
            &format!("/admin/users/{}", me.id),
            &[("csrf", &csrf), ("role", "reader"), ("clearance", "red")],
        )
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        web.store().user(me.id).unwrap().unwrap().role,
        concord_store::Role::Admin
    );
}

#[tokio::test]
async fn repeated_failures_lock_the_user_name_for_a_while() {
    let web = TestWeb::new();
    for _ in 0..5 {
        let res = web.client().signin("green", "guess guess guess").await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = web.client().signin("green", PASSWORD).await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(res.body.contains("Too many failed attempts"));
    // Other names are not affected; a success clears the count.
    for _ in 0..4 {
        web.client().signin("clear", "guess guess guess").await;
    }
    assert_eq!(
        web.client().signin("clear", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        web.client()
            .signin("clear", "guess guess guess")
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}
