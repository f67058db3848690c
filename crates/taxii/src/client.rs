//! A TAXII 2.1 client over HTTP(S): discovery, collections and pages of objects, with
//! timeouts, retries with exponential backoff, and `429 Retry-After` honoured.

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::de::DeserializeOwned;

use crate::wire::{
    Collections, DATE_ADDED_FIRST, DATE_ADDED_LAST, Discovery, Envelope, TAXII_MEDIA_TYPE,
};

/// A failure of the client.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The request could not be made or answered (after all retries).
    #[error("request to {url} failed: {}", causes(error))]
    Http {
        /// The URL.
        url: String,
        /// The transport error (its causes are part of this error's message, so that
        /// "Connection refused" is never hidden behind "error sending request").
        error: reqwest::Error,
    },
    /// The server answered with an error status (after all retries, for retryable ones).
    #[error("{url} answered {status}: {body}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: u16,
        /// The start of the body (TAXII error message, usually).
        body: String,
    },
    /// The answer was not the JSON expected.
    #[error("{url} answered something that is not a TAXII resource: {reason}")]
    Body {
        /// The URL.
        url: String,
        /// What was wrong.
        reason: String,
    },
    /// A URL could not be built.
    #[error("invalid URL {0:?}")]
    Url(String),
    /// No TLS or HTTP client could be built.
    #[error("cannot build the HTTP client: {0}")]
    Setup(String),
}

/// An error and its causes, `: `-separated.
fn causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text = format!("{text}: {c}");
        cause = c.source();
    }
    text
}

/// How the client authenticates.
#[derive(Debug, Clone, Default)]
pub enum Auth {
    /// No credentials.
    #[default]
    None,
    /// HTTP Basic.
    Basic {
        /// User name.
        user: String,
        /// Password.
        password: String,
    },
    /// `Authorization: Bearer`.
    Bearer(String),
}

/// Timeouts and retries.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Retries after the first attempt (for transport errors, 429 and 5xx).
    pub retries: u32,
    /// First backoff; doubled after each retry.
    pub backoff: Duration,
    /// Longest wait for one retry (also caps `Retry-After`).
    pub max_wait: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(15),
            retries: 5,
            backoff: Duration::from_millis(500),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// A TAXII 2.1 client. Its credentials go only to the origins (scheme, host, port) it
/// was told to send them to ([`Client::credentials_to`]); every other URL is fetched
/// without them, and a redirect to another origin drops them too.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    auth: Auth,
    options: Options,
    credential_origins: Vec<Origin>,
}

/// One page of objects and what the server said about it.
#[derive(Debug, Clone)]
pub struct ObjectsPage {
    /// The envelope.
    pub envelope: Envelope,
    /// `X-TAXII-Date-Added-Last` (or, if only that was sent, `-First`: medallion sends
    /// only `-First` for a page of one object).
    pub date_added_last: Option<String>,
}

impl Client {
    /// A client with these credentials and options. It sends the credentials to no
    /// origin until told to with [`Client::credentials_to`] (a pull tells it the origin
    /// of the URL the user named).
    pub fn new(auth: Auth, options: Options) -> Result<Client, ClientError> {
        // reqwest is built without a default crypto provider (no aws-lc C build); ring is
        // installed as the process default unless another is already.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.connect_timeout)
            .user_agent(concat!("concord-taxii/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
        Ok(Client {
            http,
            auth,
            options,
            credential_origins: Vec::new(),
        })
    }

    /// The same client, sending its credentials to `url`'s origin (scheme, host and
    /// port) as well.
    #[must_use]
    pub fn credentials_to(mut self, url: &Url) -> Client {
        if let Some(origin) = Origin::of(url)
            && !self.credential_origins.contains(&origin)
        {
            self.credential_origins.push(origin);
        }
        self
    }

    /// Whether the client has credentials at all.
    pub fn has_credentials(&self) -> bool {
        !matches!(self.auth, Auth::None)
    }

    /// Whether requests to `url` carry the credentials.
    pub fn sends_credentials_to(&self, url: &Url) -> bool {
        self.has_credentials()
            && Origin::of(url).is_some_and(|o| self.credential_origins.contains(&o))
    }

    fn request(&self, url: Url) -> reqwest::RequestBuilder {
        let credentials = self.sends_credentials_to(&url);
        let req = self.http.get(url).header(ACCEPT, TAXII_MEDIA_TYPE);
        if !credentials {
            return req;
        }
        match &self.auth {
            Auth::None => req,
            Auth::Basic { user, password } => req.basic_auth(user, Some(password)),
            Auth::Bearer(t) => req.bearer_auth(t),
        }
    }

    /// GETs a TAXII resource, retrying transport errors, 429 and 5xx.
    pub async fn get_json<T: DeserializeOwned>(
        &self,
        url: &Url,
    ) -> Result<(T, HeaderMap), ClientError> {
        let mut attempt = 0u32;
        loop {
            let wait = self.backoff(attempt);
            let last = attempt >= self.options.retries;
            attempt += 1;
            let res = match self.request(url.clone()).send().await {
                Ok(r) => r,
                Err(e) if !last => {
                    tracing::warn!(url = %url, error = %causes(&e), attempt, "TAXII request failed; retrying.");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => {
                    return Err(ClientError::Http {
                        url: url.to_string(),
                        error: e,
                    });
                }
            };
            let status = res.status();
            if (status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error()) && !last {
                let after =
                    retry_after(res.headers()).map_or(wait, |d| d.min(self.options.max_wait));
                tracing::warn!(url = %url, status = status.as_u16(), wait_ms = after.as_millis() as u64, "TAXII server busy; retrying.");
                tokio::time::sleep(after).await;
                continue;
            }
            let headers = res.headers().clone();
            let bytes = match res.bytes().await {
                Ok(b) => b,
                Err(e) if !last => {
                    tracing::warn!(url = %url, error = %causes(&e), "TAXII answer cut off; retrying.");
                    tokio::time::sleep(wait).await;
                    continue;
                }
                Err(e) => {
                    return Err(ClientError::Http {
                        url: url.to_string(),
                        error: e,
                    });
                }
            };
            if !status.is_success() {
                let body = String::from_utf8_lossy(&bytes[..bytes.len().min(500)]).into_owned();
                return Err(ClientError::Status {
                    url: url.to_string(),
                    status: status.as_u16(),
                    body,
                });
            }
            let value = serde_json::from_slice(&bytes).map_err(|e| ClientError::Body {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
            return Ok((value, headers));
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        self.options
            .backoff
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.options.max_wait)
    }

    /// The discovery resource at `url`.
    pub async fn discovery(&self, url: &Url) -> Result<Discovery, ClientError> {
        Ok(self.get_json(url).await?.0)
    }

    /// The collections of an API root.
    pub async fn collections(&self, api_root: &Url) -> Result<Collections, ClientError> {
        let url = join(api_root, "collections/")?;
        Ok(self.get_json(&url).await?.0)
    }

    /// One page of a collection's objects.
    pub async fn objects(
        &self,
        objects_url: &Url,
        added_after: Option<&str>,
        next: Option<&str>,
        limit: usize,
    ) -> Result<ObjectsPage, ClientError> {
        let mut url = objects_url.clone();
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("limit", &limit.to_string());
            if let Some(a) = added_after {
                q.append_pair("added_after", a);
            }
            if let Some(n) = next {
                q.append_pair("next", n);
            }
        }
        let (envelope, headers) = self.get_json::<Envelope>(&url).await?;
        let date_added_last = [DATE_ADDED_LAST, DATE_ADDED_FIRST]
            .iter()
            .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
            .map(str::to_owned);
        Ok(ObjectsPage {
            envelope,
            date_added_last,
        })
    }
}

/// A URL's origin: scheme, host and port (the scheme's default port if none is given).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    scheme: String,
    host: String,
    port: u16,
}

impl Origin {
    /// The origin of `url`; `None` for URLs without a host and port (no `http(s)`).
    pub fn of(url: &Url) -> Option<Origin> {
        Some(Origin {
            scheme: url.scheme().to_owned(),
            host: url.host_str()?.to_ascii_lowercase(),
            port: url.port_or_known_default()?,
        })
    }
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}://{}:{}", self.scheme, self.host, self.port)
    }
}

/// `base` joined with a relative path (`base` gets a trailing `/` first).
pub fn join(base: &Url, path: &str) -> Result<Url, ClientError> {
    let mut b = base.clone();
    if !b.path().ends_with('/') {
        let p = format!("{}/", b.path());
        b.set_path(&p);
    }
    b.join(path)
        .map_err(|_| ClientError::Url(format!("{base} + {path}")))
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let delta = when.with_timezone(&chrono::Utc) - chrono::Utc::now();
    Some(delta.to_std().unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_dates() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        h.insert(
            RETRY_AFTER,
            "Wed, 21 Oct 2015 07:28:00 GMT".parse().unwrap(),
        );
        assert_eq!(retry_after(&h), Some(Duration::ZERO));
    }

    #[test]
    fn credentials_go_only_to_the_origins_named() {
        let url = |s: &str| Url::parse(s).unwrap();
        let named = url("https://taxii.example/taxii2/");
        let client = Client::new(Auth::Bearer("t".into()), Options::default())
            .unwrap()
            .credentials_to(&named);
        assert!(client.sends_credentials_to(&url("https://TAXII.example:443/api1/")));
        for other in [
            "http://taxii.example/api1/",
            "https://taxii.example:8443/api1/",
            "https://api.taxii.example/api1/",
            "https://evil.example/taxii.example/",
        ] {
            assert!(!client.sends_credentials_to(&url(other)), "{other}");
        }
        let none = Client::new(Auth::None, Options::default())
            .unwrap()
            .credentials_to(&named);
        assert!(!none.has_credentials());
        assert!(!none.sends_credentials_to(&named));
    }

    #[test]
    fn joins_keep_the_base_path() {
        let b = Url::parse("https://x.example/taxii2/api1").unwrap();
        assert_eq!(
            join(&b, "collections/").unwrap().as_str(),
            "https://x.example/taxii2/api1/collections/"
        );
    }
}
