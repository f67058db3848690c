//! Fetching feed files: a local path, or an `http(s)://` URL with a time limit. The one
//! place of this crate that does I/O besides reading what it is handed, behind the small
//! [`Fetch`] trait so that callers (and tests) can supply their own.

use std::io::Read;
use std::time::Duration;

use crate::error::FormatError;

/// A fetched file, ready to read.
pub struct Fetched {
    /// Its content.
    pub reader: Box<dyn Read + Send>,
    /// Its length, if known.
    pub len: Option<u64>,
}

/// Gets a feed file by location (path or URL).
pub trait Fetch: Send + Sync {
    /// Opens `location`; the error says what went wrong in an analyst's words (not
    /// found, HTTP status, timed out, an HTML page instead of a feed).
    fn fetch(&self, location: &str) -> Result<Fetched, FormatError>;
}

/// Files and HTTP(S) with a time limit per request.
pub struct Fetcher {
    timeout: Duration,
    client: std::sync::OnceLock<Result<reqwest::blocking::Client, String>>,
}

impl Fetcher {
    /// A fetcher whose requests give up after `timeout`.
    pub fn new(timeout: Duration) -> Self {
        Fetcher {
            timeout,
            client: std::sync::OnceLock::new(),
        }
    }

    fn client(&self) -> Result<&reqwest::blocking::Client, FormatError> {
        self.client
            .get_or_init(|| {
                let _ = rustls::crypto::ring::default_provider().install_default();
                reqwest::blocking::Client::builder()
                    .timeout(self.timeout)
                    .connect_timeout(self.timeout)
                    .user_agent(concat!("concord/", env!("CARGO_PKG_VERSION")))
                    .build()
                    .map_err(|e| e.to_string())
            })
            .as_ref()
            .map_err(|e| FormatError::input(format!("cannot set up HTTP: {e}")))
    }
}

/// Whether a location is a URL.
pub fn is_url(location: &str) -> bool {
    location.starts_with("http://") || location.starts_with("https://")
}

/// `name` inside the directory or URL `base`.
pub fn join(base: &str, name: &str) -> String {
    if is_url(base) {
        format!("{}/{name}", base.trim_end_matches('/'))
    } else {
        std::path::Path::new(base)
            .join(name)
            .to_string_lossy()
            .into_owned()
    }
}

/// A reader that refuses HTML (a login, captive-portal or error page served with 200).
struct NotHtml<R> {
    inner: R,
    head: Vec<u8>,
    pos: usize,
}

fn looks_like_html(head: &[u8]) -> bool {
    let text = String::from_utf8_lossy(head)
        .trim_start()
        .to_ascii_lowercase();
    text.starts_with("<!doctype html") || text.starts_with("<html") || text.starts_with("<head")
}

impl<R: Read> Read for NotHtml<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.pos < self.head.len() {
            let n = buf.len().min(self.head.len() - self.pos);
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.inner.read(buf)
    }
}

fn guard(mut r: Box<dyn Read + Send>, location: &str) -> Result<Box<dyn Read + Send>, FormatError> {
    let mut head = vec![0u8; 512];
    let mut n = 0;
    while n < head.len() {
        match r.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(read_error(location, &e.to_string())),
        }
    }
    head.truncate(n);
    if looks_like_html(&head) {
        return Err(FormatError::input(format!(
            "{location} returned an HTML page, not a feed (a login or error page?)"
        )));
    }
    Ok(Box::new(NotHtml {
        inner: r,
        head,
        pos: 0,
    }))
}

fn read_error(location: &str, e: &str) -> FormatError {
    if e.contains("timed out") || e.contains("operation timed out") || e.contains("deadline") {
        FormatError::input(format!("{location}: timed out"))
    } else {
        FormatError::input(format!("{location}: {e}"))
    }
}

impl Fetch for Fetcher {
    fn fetch(&self, location: &str) -> Result<Fetched, FormatError> {
        if !is_url(location) {
            let f = std::fs::File::open(location)
                .map_err(|e| FormatError::input(format!("cannot read {location}: {e}")))?;
            let len = f.metadata().ok().map(|m| m.len());
            return Ok(Fetched {
                reader: guard(Box::new(f), location)?,
                len,
            });
        }
        let resp = self.client()?.get(location).send().map_err(|e| {
            if e.is_timeout() {
                FormatError::input(format!(
                    "{location}: timed out after {} s",
                    self.timeout.as_secs_f32()
                ))
            } else {
                // Name the cause ("Connection refused"), not only "error sending request".
                let mut text = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    text = format!("{text}: {c}");
                    cause = c.source();
                }
                FormatError::input(format!("{location}: {text}"))
            }
        })?;
        let status = resp.status();
        if !status.is_success() {
            return Err(FormatError::input(format!("{location}: HTTP {status}")));
        }
        let len = resp.content_length();
        let timeout = self.timeout;
        let loc = location.to_owned();
        let reader = TimedOut {
            inner: resp,
            location: loc,
            timeout,
        };
        Ok(Fetched {
            reader: guard(Box::new(reader), location)?,
            len,
        })
    }
}

/// Says "timed out" (with the limit) when the body stalls.
struct TimedOut<R> {
    inner: R,
    location: String,
    timeout: Duration,
}

impl<R: Read> Read for TimedOut<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            let text = e.to_string();
            if e.kind() == std::io::ErrorKind::TimedOut || text.contains("timed out") {
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!(
                        "{}: timed out after {} s",
                        self.location,
                        self.timeout.as_secs_f32()
                    ),
                )
            } else {
                e
            }
        })
    }
}
