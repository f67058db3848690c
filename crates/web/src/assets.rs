//! Files the pages load, built into the binary: the style sheet, the icon and the page
//! script (live notifications and upload progress; pages work without it). Their URLs
//! carry a hash of the content, so browsers may keep them for a year.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

const STYLE: &str = include_str!("../assets/style.css");
const ICON: &str = include_str!("../assets/favicon.svg");
const SCRIPT: &str = include_str!("../assets/concord.js");

fn versioned(name: &str, body: &str) -> String {
    let hash = hex::encode(Sha256::digest(body.as_bytes()));
    format!("/assets/{name}?v={}", &hash[..12])
}

static STYLE_URL: LazyLock<String> = LazyLock::new(|| versioned("style.css", STYLE));
static ICON_URL: LazyLock<String> = LazyLock::new(|| versioned("favicon.svg", ICON));
static SCRIPT_URL: LazyLock<String> = LazyLock::new(|| versioned("concord.js", SCRIPT));

/// The style sheet's URL.
pub fn style_url() -> &'static str {
    &STYLE_URL
}

/// The icon's URL.
pub fn icon_url() -> &'static str {
    &ICON_URL
}

/// The page script's URL.
pub fn script_url() -> &'static str {
    &SCRIPT_URL
}

/// `GET /assets/{name}`.
pub async fn serve(Path(name): Path<String>) -> Response {
    let (body, mime) = match name.as_str() {
        "style.css" => (STYLE, "text/css; charset=utf-8"),
        "favicon.svg" => (ICON, "image/svg+xml"),
        "concord.js" => (SCRIPT, "text/javascript; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=31536000, immutable"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}
