//! Bearer-token authentication and role checks.
//!
//! A token secret (`cnc_` + 64 hex digits) is shown once at creation; the store keeps only
//! its SHA-256 ([`hash_token`]). Handlers take one of [`ReaderAccess`], [`AnalystAccess`]
//! or [`AdminAccess`] as their first argument: the extractor answers 401 (missing or
//! unknown token) or 403 (role too low) before any body is read.
//!
//! Every token has a TLP clearance ([`concord_store::token_clearance`]: its own, capped by
//! its owner's when a user owns it), may expire (401 after), and has its last use
//! recorded at most once a minute ([`record_use`]).
//!
//! Every route answers through the one visibility rule (`concord_stix::visibility`): REST
//! and web object routes show an object as `Clearance::reveal` / `concord-web`'s
//! `view::cleared` give it; composed views (coordinated response, web import, match
//! results) read through `concord_store::cleared::ClearedStore`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use concord_store::{Role, TokenRecord};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;

/// The prefix of every token secret, so that leaked secrets are easy to recognise.
pub const TOKEN_PREFIX: &str = "cnc_";

/// A fresh token secret: `cnc_` followed by 32 random bytes in hex.
///
/// # Panics
/// Panics if the operating system's random number generator is unavailable, since no
/// safe secret can be made then.
pub fn new_token_secret() -> String {
    let mut bytes = [0u8; 32];
    #[allow(clippy::expect_used)]
    getrandom::fill(&mut bytes).expect("the OS random number generator is unavailable");
    format!("{TOKEN_PREFIX}{}", hex::encode(bytes))
}

/// The SHA-256 of a token secret, lower-case hex: what the store keeps and looks up.
pub fn hash_token(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// When a token made at `now` with `--expires text` / `"expires": text` expires, as RFC 3339
/// UTC with milliseconds: `text` is a duration (`90m`, `12h`, `30d`, `8w`) from `now` or an
/// RFC 3339 time, which must be in the future. The error says what was wrong.
pub fn parse_expiry(text: &str, now: chrono::DateTime<chrono::Utc>) -> Result<String, String> {
    use concord_stix::Timestamp;
    let text = text.trim();
    let at = if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        t.to_utc()
    } else {
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (n, unit) = text.split_at(split);
        let n: i64 = n.parse().map_err(|_| {
            format!(
                "expiry {text:?} is neither a duration (30d, 12h, 90m, 8w) nor an RFC 3339 time"
            )
        })?;
        let secs = match unit {
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 7 * 86_400,
            _ => {
                return Err(format!(
                    "expiry {text:?}: the unit must be m, h, d or w (minutes, hours, days, weeks)"
                ));
            }
        };
        if n == 0 || n > 100 * 366 * 86_400 / secs {
            return Err(format!(
                "expiry {text:?} must be more than zero and under a hundred years"
            ));
        }
        now + chrono::Duration::seconds(n * secs)
    };
    if at <= now {
        return Err(format!("expiry {text:?} is in the past"));
    }
    Ok(Timestamp::format_millis(at))
}

/// The bearer secret of a request, if it sent one.
fn bearer(parts: &Parts) -> Result<&str, ApiError> {
    let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
        return Err(ApiError::unauthorized(
            "this route needs a token: send the header `Authorization: Bearer <token>` (an admin creates tokens with POST /api/v1/tokens or `concord token create`)",
        ));
    };
    let value = value.to_str().unwrap_or("");
    let (scheme, secret) = value.split_once(' ').unwrap_or((value, ""));
    if !scheme.eq_ignore_ascii_case("bearer") || secret.trim().is_empty() {
        return Err(ApiError::unauthorized(
            "the Authorization header must have the form `Bearer <token>`",
        ));
    }
    Ok(secret.trim())
}

/// Looks the request's token up, checks that its role is at least `needed`, and gives
/// the clearance it reads with: one hand-off to the blocking pool for both lookups.
pub async fn authorize(
    parts: &Parts,
    state: &AppState,
    needed: Role,
    what: &str,
) -> Result<(TokenRecord, Clearance), ApiError> {
    let hash = hash_token(bearer(parts)?);
    let store = state.store.clone();
    let found = tokio::task::spawn_blocking(move || store.token_with_clearance(&hash)).await??;
    let Some((record, level)) = found else {
        let client = (parts.extensions)
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or_else(|| "unknown".to_owned(), |c| c.0.to_string());
        tracing::warn!(client = %client, path = %parts.uri.path(), "Rejected an unknown or revoked API token.");
        return Err(ApiError::unauthorized(
            "unknown or revoked token: ask an admin of this node for a valid one",
        ));
    };
    let now = concord_stix::Timestamp::now_millis();
    if record.expired_at(&now) {
        return Err(ApiError::unauthorized(format!(
            "token {:?} expired at {}: ask an admin of this node for a new one",
            record.name,
            record.expires.as_deref().unwrap_or_default()
        )));
    }
    record_use(&state.store, &record, &now);
    if record.role < needed {
        return Err(ApiError::forbidden(format!(
            "token {:?} has role {}, but {what} needs role {} or higher",
            record.name,
            record.role.as_str(),
            needed.as_str()
        )));
    }
    // TLP:RED sees every object whole: the same as no limit, without its cost.
    let clearance = Clearance((level < concord_stix::Tlp::Red).then_some(level));
    Ok((record, clearance))
}

/// Records a token's use at `now` in the background when its last recorded use is a
/// minute old or more (at most one write a minute per token; a failed write is logged,
/// the request goes on).
pub fn record_use(
    store: &std::sync::Arc<dyn concord_store::Store>,
    record: &TokenRecord,
    now: &str,
) {
    if !record.touch_due(now) {
        return;
    }
    let (store, id, now) = (store.clone(), record.id, now.to_owned());
    tokio::task::spawn_blocking(move || {
        if let Err(e) = store.touch_token(id, &now) {
            tracing::warn!(token_id = id, error = %e, "Cannot record the token's last use.");
        }
    });
}

/// What a caller may see: the TLP clearance of its token (see [`authorize`]; `None`: sees
/// everything whole, as TLP:RED does). Every read answer passes
/// through it ([`concord_stix::visibility`] is the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clearance(pub Option<concord_stix::Tlp>);

impl Clearance {
    /// What the caller sees of an object: `None` when hidden.
    pub fn view(self, v: &serde_json::Value) -> concord_stix::visibility::View {
        concord_stix::visibility::view_for(v, self.0)
    }

    /// The object as the caller may see it (whole or redacted), `None` when hidden.
    pub fn reveal(self, v: serde_json::Value) -> Option<serde_json::Value> {
        use concord_stix::visibility::View;
        match self.view(&v) {
            View::Hidden => None,
            View::Whole => Some(v),
            View::Redacted(r) => Some(r),
        }
    }

    /// Whether the caller sees the object whole (nothing withheld).
    pub fn sees_whole(self, v: &serde_json::Value) -> bool {
        self.view(v) == concord_stix::visibility::View::Whole
    }

    /// Whether the caller sees anything of the object.
    pub fn sees(self, v: &serde_json::Value) -> bool {
        self.view(v) != concord_stix::visibility::View::Hidden
    }
}

macro_rules! access {
    ($(#[$doc:meta])* $name:ident, $role:expr, $what:literal) => {
        $(#[$doc])*
        /// Carries the token and the caller's [`Clearance`], resolved once per request.
        #[derive(Debug, Clone)]
        pub struct $name(pub TokenRecord, pub Clearance);

        impl FromRequestParts<AppState> for $name {
            type Rejection = ApiError;

            async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
                let (record, clearance) = authorize(parts, state, $role, $what).await?;
                Ok($name(record, clearance))
            }
        }
    };
}

access!(
    /// A caller whose token may read (any role).
    ReaderAccess,
    Role::Reader,
    "reading"
);
access!(
    /// A caller whose token may write objects (analyst or admin).
    AnalystAccess,
    Role::Analyst,
    "writing objects"
);
access!(
    /// A caller whose token may manage tokens (admin).
    AdminAccess,
    Role::Admin,
    "managing tokens"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_fresh_and_hashes_stable() {
        let a = new_token_secret();
        let b = new_token_secret();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX));
        assert_eq!(a.len(), TOKEN_PREFIX.len() + 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn expiries_are_durations_or_future_times() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(
            parse_expiry("30d", now).unwrap(),
            "2026-01-31T00:00:00.000Z"
        );
        assert_eq!(
            parse_expiry("12h", now).unwrap(),
            "2026-01-01T12:00:00.000Z"
        );
        assert_eq!(
            parse_expiry("2026-02-01T10:00:00+02:00", now).unwrap(),
            "2026-02-01T08:00:00.000Z"
        );
        assert!(
            parse_expiry("2025-12-31T00:00:00Z", now)
                .unwrap_err()
                .contains("past")
        );
        assert!(parse_expiry("30y", now).unwrap_err().contains("unit"));
        assert!(parse_expiry("0d", now).is_err());
        assert!(parse_expiry("soon", now).is_err());
        assert!(parse_expiry("99999999999w", now).is_err());
    }

    #[test]
    fn hashes_are_sha256() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
