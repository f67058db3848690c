//! Notifications: subscriptions (in `response.toml`, `[[subscription]]`) pick new object
//! versions by filter (types, TLP, labels, sectors, countries, severity, constituency
//! hits) and deliver them by webhook (JSON, HMAC-SHA256 signature header, retries with
//! backoff), by e-mail (SMTP), or on the live channel of the web interface (`web`: every
//! signed-in user, or the users named; the server follows the store itself and shows each
//! user only what their TLP clearance allows). Every webhook and e-mail delivery runs as
//! its own task with a time limit per attempt, so an endpoint that hangs delays nobody else.
//!
//! ```toml
//! [[subscription]]
//! name = "soc"
//! types = ["incident", "note"]     # any type when empty
//! tlp = ["clear", "green", "amber"] # any level when empty
//! labels = ["urgent"]              # any of these labels
//! sectors = ["health"]             # origin's sectors (peer record) or the object's
//! countries = ["BE"]               # origin's country (peer record) or the object's
//! min_severity = "high"            # incidents at or above (response extension)
//! constituency_hits = true         # only notifications that our constituency is affected
//! webhook = { url = "https://soc.example/hook", secret = "…" }
//! email = { smtp = "mail.example:587", tls = "starttls", from = "concord@example", to = ["soc@example"] }
//! web = true                       # or ["alice", "bob"]: the web UI's live channel
//! ```
//!
//! A subscription with `governance = true` receives the proposals and decisions of the
//! node's communities instead of object versions (see [`crate::governance`]); it takes
//! no object filter.
//!
//! Webhook requests carry `X-Concord-Signature: sha256=<hex HMAC-SHA256 of the body
//! under the secret>`, `X-Concord-Delivery` (an id, the same for every retry) and
//! `X-Concord-Subscription`.

use std::time::Duration;

use concord_store::{ListQuery, Order, Store};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::{Result, ext};

/// The work-state key (`Store::work_state`) of the notification cursor: the last `seq`
/// passed to the subscriptions. Kept in the store so that the replica taking the
/// delivery over continues from it, and read by `/metrics` for the backlog.
pub const CURSOR_KEY: &str = "response/notify_cursor";

/// Where a webhook goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Webhook {
    /// The URL (http or https).
    pub url: String,
    /// The HMAC key of the signature header.
    pub secret: String,
    /// Allow a plain http:// URL to a host other than loopback (refused otherwise).
    #[serde(default)]
    pub insecure_http: bool,
}

/// How an SMTP connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SmtpTls {
    /// STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain text: only for a relay on the same host.
    None,
}

/// Where an e-mail goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Email {
    /// The SMTP server, `host:port`.
    pub smtp: String,
    /// Connection security.
    #[serde(default)]
    pub tls: SmtpTls,
    /// The sender address.
    pub from: String,
    /// Recipient addresses.
    pub to: Vec<String>,
}

/// Delivery on the web interface's live channel (`web = true` or `web = ["alice"]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum WebDelivery {
    /// `true`: every user of the web interface; `false`: none.
    All(bool),
    /// The users with these names.
    Users(Vec<String>),
}

impl WebDelivery {
    /// Whether the user named `user` gets this subscription's notifications.
    pub fn includes(&self, user: &str) -> bool {
        match self {
            WebDelivery::All(all) => *all,
            WebDelivery::Users(names) => names.iter().any(|n| n == user),
        }
    }
}

/// One subscription.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Subscription {
    /// Its name (in logs and the `X-Concord-Subscription` header).
    pub name: String,
    /// STIX types (any when empty).
    pub types: Vec<String>,
    /// TLP levels (any when empty).
    pub tlp: Vec<String>,
    /// Labels: the object carries at least one (any when empty).
    pub labels: Vec<String>,
    /// Sectors of the origin peer or of the object (any when empty).
    pub sectors: Vec<String>,
    /// Countries of the origin peer or of the object (any when empty).
    pub countries: Vec<String>,
    /// Lowest incident severity (`low` .. `critical`).
    pub min_severity: Option<String>,
    /// Only "your constituency is affected" notifications addressed to this node.
    pub constituency_hits: bool,
    /// The communities' proposals and decisions instead of object versions
    /// ([`crate::governance`]).
    pub governance: bool,
    /// Delivery by webhook.
    pub webhook: Option<Webhook>,
    /// Delivery by e-mail.
    pub email: Option<Email>,
    /// Delivery on the web interface's live channel (the server delivers these; [`spawn`]
    /// leaves them alone).
    pub web: Option<WebDelivery>,
    /// Attempts per delivery (default 5).
    pub attempts: Option<u32>,
    /// Seconds allowed per attempt (default 5).
    pub timeout_secs: Option<u64>,
}

/// What is known about an object's origin, for the sector and country filters.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The origin node.
    pub node: String,
    /// Its country, if known.
    pub country: Option<String>,
    /// Its sectors.
    pub sectors: Vec<String>,
}

fn severity_rank(s: &str) -> Option<usize> {
    ext::SEVERITIES.iter().position(|(n, _)| *n == s)
}

fn severity_of(v: &Value) -> Option<usize> {
    if let Some(s) = ext::str_prop(v, "severity") {
        return severity_rank(s);
    }
    let c = v["extensions"][ext::INCIDENT_CORE_EXT]["criticality"].as_u64()?;
    ext::SEVERITIES
        .iter()
        .rposition(|(_, min)| c >= u64::from(*min))
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl Subscription {
    /// Whether an object (held here, from `origin`) is one this subscription wants. `me`
    /// is this node's id.
    pub fn matches(&self, v: &Value, origin: &Origin, me: &str) -> bool {
        if self.governance {
            return false;
        }
        let ty = v["type"].as_str().unwrap_or("");
        if !self.types.is_empty() && !self.types.iter().any(|t| t == ty) {
            return false;
        }
        if !self.tlp.is_empty() {
            let level = concord_stix::Tlp::strictest(
                v["object_marking_refs"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str),
            );
            let Some(level) = level else { return false };
            if !self
                .tlp
                .iter()
                .filter_map(|t| t.parse::<concord_stix::Tlp>().ok())
                .any(|t| t == level)
            {
                return false;
            }
        }
        if !self.labels.is_empty() {
            let labels = strings(&v["labels"]);
            if !self.labels.iter().any(|l| labels.contains(l)) {
                return false;
            }
        }
        if !self.sectors.is_empty() {
            let mut have = origin.sectors.clone();
            have.extend(strings(&v["sectors"]));
            if !self.sectors.iter().any(|s| have.contains(s)) {
                return false;
            }
        }
        if !self.countries.is_empty() {
            let mut have: Vec<String> = origin.country.iter().cloned().collect();
            have.extend(v["country"].as_str().map(str::to_owned));
            if !self
                .countries
                .iter()
                .any(|c| have.iter().any(|h| h.eq_ignore_ascii_case(c)))
            {
                return false;
            }
        }
        if let Some(min) = self.min_severity.as_deref().and_then(severity_rank)
            && severity_of(v).is_none_or(|s| s < min)
        {
            return false;
        }
        if self.constituency_hits
            && !(ext::kind(v) == Some("constituency-notification")
                && ext::str_prop(v, "member") == Some(me))
        {
            return false;
        }
        true
    }
}

/// One thing to deliver: the subscription (by index) and the JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Pending {
    /// Index into the subscriptions.
    pub subscription: usize,
    /// The body sent (webhook) or summarised (e-mail).
    pub payload: Value,
}

/// New object versions after `after` (a `seq`) that subscriptions want, and the `seq`
/// to continue from.
pub fn pending(
    store: &dyn Store,
    me: &str,
    subs: &[Subscription],
    after: i64,
) -> Result<(Vec<Pending>, i64)> {
    pending_up_to(store, me, subs, after, usize::MAX)
}

/// As [`pending`], reading about `max_versions` versions at most (whole pages of 500), so
/// that a large import is taken in steps: call again from the returned `seq`.
pub fn pending_up_to(
    store: &dyn Store,
    me: &str,
    subs: &[Subscription],
    after: i64,
    max_versions: usize,
) -> Result<(Vec<Pending>, i64)> {
    let peers: std::collections::HashMap<String, concord_store::federation::PeerRecord> = store
        .peers()?
        .into_iter()
        .map(|p| (p.node_id.clone(), p))
        .collect();
    let mut out = Vec::new();
    let mut cursor = after;
    let mut read = 0usize;
    let mut q = ListQuery {
        order: Order::BySeq,
        cursor: Some(after),
        limit: 500,
        ..ListQuery::default()
    };
    loop {
        let page = store.list_versions(&q)?;
        read = read.saturating_add(page.objects.len());
        for o in &page.objects {
            cursor = cursor.max(o.seq);
            if subs.is_empty() {
                continue;
            }
            let v = o.value();
            let node = crate::origin_of(store, me, &v)?;
            let origin = Origin {
                country: peers.get(&node).and_then(|p| p.country.clone()),
                sectors: peers
                    .get(&node)
                    .map(|p| p.sectors.clone())
                    .unwrap_or_default(),
                node,
            };
            for (i, s) in subs.iter().enumerate() {
                if s.matches(&v, &origin, me) {
                    out.push(Pending {
                        subscription: i,
                        payload: json!({
                            "subscription": s.name, "node": me, "seq": o.seq,
                            "origin": origin.node, "local": origin.node == me,
                            "object": v,
                        }),
                    });
                }
            }
        }
        match page.next {
            Some(n) if read < max_versions => q.cursor = Some(n),
            _ => break,
        }
    }
    Ok((out, cursor))
}

/// The HTTP client for webhooks (rustls with ring; installs ring as the process's
/// default crypto provider if none is).
pub fn client() -> std::result::Result<reqwest::Client, String> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .user_agent(concat!("concord/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| e.to_string())
}

/// `sha256=<hex>`: the HMAC-SHA256 of `body` under `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        <Hmac<Sha256> as Mac>::new_from_slice(b"").expect("HMAC takes any key")
    });
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The pause before retry `n` (1-based): 250 ms doubled each time, at most 30 s.
pub fn backoff(n: u32) -> Duration {
    Duration::from_millis((250u64 << n.saturating_sub(1).min(7)).min(30_000))
}

/// Posts the payload to a webhook, retrying with backoff; returns the attempts made, or
/// the last error after the last attempt.
pub async fn deliver_webhook(
    client: &reqwest::Client,
    hook: &Webhook,
    subscription: &str,
    payload: &Value,
    attempts: u32,
    timeout: Duration,
) -> std::result::Result<u32, String> {
    let body = payload.to_string().into_bytes();
    let sig = signature(&hook.secret, &body);
    let delivery = concord_stix::id::new_id("delivery");
    let mut last = String::new();
    for n in 1..=attempts.max(1) {
        let req = client
            .post(&hook.url)
            .header("content-type", "application/json")
            .header("x-concord-signature", &sig)
            .header("x-concord-delivery", &delivery)
            .header("x-concord-subscription", subscription)
            .timeout(timeout)
            .body(body.clone());
        match req.send().await {
            Ok(r) if r.status().is_success() => return Ok(n),
            Ok(r) => last = format!("HTTP {}", r.status()),
            Err(e) => {
                // The cause too ("Connection refused"), not only "error sending request".
                last = e.to_string();
                let mut cause = std::error::Error::source(&e);
                while let Some(c) = cause {
                    last = format!("{last}: {c}");
                    cause = c.source();
                }
            }
        }
        tracing::warn!(subscription, url = %hook.url, attempt = n, error = %last, "Webhook delivery failed.");
        if n < attempts {
            tokio::time::sleep(backoff(n)).await;
        }
    }
    Err(last)
}

fn subject(payload: &Value) -> String {
    if let Some(g) = payload.get("governance") {
        return format!(
            "[Concord] {}: {} ({})",
            g["community_name"].as_str().unwrap_or(""),
            g["event"].as_str().unwrap_or(""),
            g["what"].as_str().unwrap_or("")
        );
    }
    let o = &payload["object"];
    let what = ext::kind(o).unwrap_or(o["type"].as_str().unwrap_or("object"));
    let name = o["name"]
        .as_str()
        .or(o["abstract"].as_str())
        .unwrap_or(o["id"].as_str().unwrap_or(""));
    format!("[Concord] {what}: {name}")
}

/// Sends the payload by e-mail (a summary line and the JSON), retrying with backoff.
pub async fn deliver_email(
    email: &Email,
    payload: &Value,
    attempts: u32,
    timeout: Duration,
) -> std::result::Result<u32, String> {
    use lettre::message::{Mailbox, header::ContentType};
    use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

    let from: Mailbox = email
        .from
        .parse()
        .map_err(|e| format!("from {:?}: {e}", email.from))?;
    let mut builder = Message::builder()
        .from(from)
        .subject(subject(payload))
        .header(ContentType::TEXT_PLAIN);
    for to in &email.to {
        builder = builder.to(to.parse().map_err(|e| format!("to {to:?}: {e}"))?);
    }
    let origin = payload["origin"]
        .as_str()
        .map(|o| format!("Origin: {o}\n\n"))
        .unwrap_or_default();
    let text = format!(
        "{}\n\n{origin}{}\n",
        subject(payload),
        serde_json::to_string_pretty(payload).unwrap_or_default()
    );
    let message = builder.body(text).map_err(|e| e.to_string())?;
    let (host, port) = match email.smtp.rsplit_once(':') {
        Some((h, p)) => (
            h.to_owned(),
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("smtp {:?}: bad port", email.smtp))?,
            ),
        ),
        None => (email.smtp.clone(), None),
    };
    let builder = match email.tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&host),
        SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&host)
            .map_err(|e| e.to_string())?,
        SmtpTls::Tls => {
            AsyncSmtpTransport::<Tokio1Executor>::relay(&host).map_err(|e| e.to_string())?
        }
    };
    let builder = match port {
        Some(p) => builder.port(p),
        None => builder,
    };
    let mailer = builder.timeout(Some(timeout)).build();
    let mut last = String::new();
    for n in 1..=attempts.max(1) {
        match tokio::time::timeout(timeout, mailer.send(message.clone())).await {
            Ok(Ok(_)) => return Ok(n),
            Ok(Err(e)) => last = e.to_string(),
            Err(_) => last = format!("no answer within {timeout:?}"),
        }
        tracing::warn!(smtp = %email.smtp, attempt = n, error = %last, "E-mail delivery failed.");
        if n < attempts {
            tokio::time::sleep(backoff(n)).await;
        }
    }
    Err(last)
}

/// Deliveries of this process, for `/metrics`: process-wide, since the background tasks
/// that deliver have no handle on the server's state.
pub mod counters {
    use std::sync::atomic::AtomicU64;

    /// Deliveries (webhook or e-mail) started and not yet delivered or given up.
    pub static IN_FLIGHT: AtomicU64 = AtomicU64::new(0);
    /// Webhook deliveries given up after all their attempts.
    pub static WEBHOOK_FAILED: AtomicU64 = AtomicU64::new(0);
    /// E-mail deliveries given up after all their attempts.
    pub static EMAIL_FAILED: AtomicU64 = AtomicU64::new(0);
}

/// Starts the deliveries of one pending item, each as its own task (so a slow endpoint
/// never holds up another). Must be called inside a tokio runtime.
pub fn spawn(client: &reqwest::Client, sub: &Subscription, payload: Value) {
    use std::sync::atomic::Ordering::Relaxed;
    let attempts = sub.attempts.unwrap_or(5);
    let timeout = Duration::from_secs(sub.timeout_secs.unwrap_or(5).max(1));
    if let Some(hook) = sub.webhook.clone() {
        let (client, name, payload) = (client.clone(), sub.name.clone(), payload.clone());
        counters::IN_FLIGHT.fetch_add(1, Relaxed);
        tokio::spawn(async move {
            match deliver_webhook(&client, &hook, &name, &payload, attempts, timeout).await {
                Ok(n) => {
                    tracing::info!(subscription = %name, url = %hook.url, attempts = n, "Webhook delivered.")
                }
                Err(e) => {
                    counters::WEBHOOK_FAILED.fetch_add(1, Relaxed);
                    tracing::warn!(subscription = %name, url = %hook.url, error = %e, "Webhook delivery given up.")
                }
            }
            counters::IN_FLIGHT.fetch_sub(1, Relaxed);
        });
    }
    if let Some(email) = sub.email.clone() {
        let name = sub.name.clone();
        counters::IN_FLIGHT.fetch_add(1, Relaxed);
        tokio::spawn(async move {
            match deliver_email(&email, &payload, attempts, timeout).await {
                Ok(n) => tracing::info!(subscription = %name, attempts = n, "E-mail delivered."),
                Err(e) => {
                    counters::EMAIL_FAILED.fetch_add(1, Relaxed);
                    tracing::warn!(subscription = %name, error = %e, "E-mail delivery given up.")
                }
            }
            counters::IN_FLIGHT.fetch_sub(1, Relaxed);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_select_by_type_tlp_label_severity_and_constituency() {
        let inc = json!({"type": "incident", "labels": ["urgent"],
            "object_marking_refs": [concord_stix::Tlp::Amber.marking_id()],
            "extensions": {ext::INCIDENT_CORE_EXT: {"criticality": 80}}});
        let origin = Origin {
            node: "node-b".into(),
            country: Some("BE".into()),
            sectors: vec!["health".into()],
        };
        let all = Subscription::default();
        assert!(all.matches(&inc, &origin, "me"));
        let s = |f: &dyn Fn(&mut Subscription)| {
            let mut s = Subscription::default();
            f(&mut s);
            s.matches(&inc, &origin, "me")
        };
        assert!(s(&|s| s.types = vec!["incident".into()]));
        assert!(!s(&|s| s.types = vec!["note".into()]));
        assert!(s(&|s| s.tlp = vec!["amber".into()]));
        assert!(!s(&|s| s.tlp = vec!["green".into()]));
        assert!(s(&|s| s.labels = vec!["urgent".into()]));
        assert!(!s(&|s| s.labels = vec!["fyi".into()]));
        assert!(s(&|s| s.countries = vec!["be".into()]));
        assert!(!s(&|s| s.countries = vec!["FR".into()]));
        assert!(s(&|s| s.sectors = vec!["health".into()]));
        assert!(s(&|s| s.min_severity = Some("high".into())));
        assert!(!s(&|s| s.min_severity = Some("critical".into())));
        assert!(!s(&|s| s.constituency_hits = true));
        let hit = json!({"type": "note", "extensions": {ext::RESPONSE_EXT: {
            "kind": "constituency-notification", "member": "me"}}});
        let c = Subscription {
            constituency_hits: true,
            ..Subscription::default()
        };
        assert!(c.matches(&hit, &origin, "me"));
        assert!(!c.matches(&hit, &origin, "someone-else"));
    }

    #[test]
    fn web_delivery_is_everyone_or_named_users() {
        let subs = crate::settings::Settings::parse(
            "[[subscription]]\nname = \"all\"\nweb = true\n\
             [[subscription]]\nname = \"some\"\nweb = [\"alice\", \"bob\"]\n\
             [[subscription]]\nname = \"hook\"\nwebhook = { url = \"http://127.0.0.1:1/\", secret = \"k\" }\n",
        )
        .unwrap()
        .subscriptions;
        assert_eq!(subs[0].web, Some(WebDelivery::All(true)));
        assert!(subs[0].web.as_ref().unwrap().includes("carol"));
        let some = subs[1].web.as_ref().unwrap();
        assert!(some.includes("alice") && some.includes("bob"));
        assert!(!some.includes("carol") && !some.includes("Alice"));
        assert_eq!(subs[2].web, None);
        assert!(!WebDelivery::All(false).includes("alice"));
        assert!(crate::settings::Settings::parse("[[subscription]]\nweb = 3\n").is_err());
    }

    #[test]
    fn pending_in_steps_reads_every_version_once() {
        let store = concord_store::sqlite::SqliteStore::open_in_memory().unwrap();
        let notes: Vec<Value> = (0..1200)
            .map(|i| {
                let mut v = json!({"type": "note", "spec_version": "2.1",
                    "id": format!("note--00000000-0000-4000-8000-{i:012}"),
                    "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
                    "content": format!("n{i}"), "object_refs": ["identity--00000000-0000-4000-8000-000000000001"]});
                if i % 3 == 0 {
                    v["labels"] = json!(["urgent"]);
                }
                v
            })
            .collect();
        let stored =
            concord_store::import::import_values(&store, notes, 1000, &mut |_| {}).unwrap();
        assert_eq!(stored.new, 1200);
        let subs = [Subscription {
            labels: vec!["urgent".into()],
            ..Subscription::default()
        }];
        let (all, end) = pending(&store, "me", &subs, 0).unwrap();
        assert_eq!(all.len(), 400);
        let mut cursor = 0;
        let mut steps = Vec::new();
        let mut passes = 0;
        loop {
            let (got, next) = pending_up_to(&store, "me", &subs, cursor, 500).unwrap();
            passes += 1;
            if next == cursor {
                break;
            }
            steps.extend(got);
            cursor = next;
        }
        assert_eq!(cursor, end);
        assert!(
            passes >= 3,
            "1200 versions in steps of about 500: {passes} passes"
        );
        assert_eq!(steps, all, "the same notifications, each once, in order");
    }

    #[test]
    fn a_governance_payload_has_a_subject_of_its_own() {
        let p = json!({"subscription": "board", "node": "me", "governance": {
            "event": "member-admitted", "community_name": "CERTs",
            "what": "admit node-x (CERT-X) sponsored by a, b"}});
        assert_eq!(
            subject(&p),
            "[Concord] CERTs: member-admitted (admit node-x (CERT-X) sponsored by a, b)"
        );
        let o = json!({"object": {"type": "note", "id": "note--1"}});
        assert_eq!(subject(&o), "[Concord] note: note--1");
    }

    #[test]
    fn signatures_and_backoff() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(3), Duration::from_millis(1000));
        assert_eq!(backoff(40), Duration::from_millis(30_000));
    }
}
