//! The decision for one (object, peer): built-in rules, agreement selection, the
//! agreement's rules, detection and redaction, each leaving a [`Reason`].

use std::collections::BTreeSet;

use concord_stix::Tlp;
use concord_stix::concord_ext::{
    self, Classification, Distribution, EXTENSION_ID, Grading, PAP_IDS, Pap,
};
use concord_stix::markings::{TLP_IDS, TLP2_EXTENSION};
use serde_json::Value;

use crate::agreement::{Agreement, PERSONAL_INFORMATION};
use crate::detect::{self, Found, IpMode, Kind, MAX_DEPTH, Scan};
use crate::file::Policy;
use crate::redact;
use crate::{Context, Decision, Effect, Peer, Provenance, Reason, Verdict};

fn reason(rule: impl Into<String>, effect: Effect, message: impl Into<String>) -> Reason {
    Reason {
        rule: rule.into(),
        effect,
        message: message.into(),
    }
}

fn withhold(agreement: Option<String>, reasons: Vec<Reason>) -> Decision {
    Decision {
        verdict: Verdict::Withhold,
        object: None,
        hops_left: 0,
        agreement,
        reasons,
        volume_limit: None,
    }
}

fn depth(v: &Value) -> usize {
    // Iterative, so that no input can exhaust the stack.
    let mut max = 0;
    let mut stack = vec![(v, 0usize)];
    while let Some((v, d)) = stack.pop() {
        max = max.max(d);
        if d > MAX_DEPTH {
            break;
        }
        match v {
            Value::Array(a) => stack.extend(a.iter().map(|x| (x, d + 1))),
            Value::Object(m) => stack.extend(m.values().map(|x| (x, d + 1))),
            _ => {}
        }
    }
    max
}

/// Every marking ref of the object: object markings and granular markings (an object
/// counts as its strictest part).
fn marking_refs(object: &Value) -> Vec<&str> {
    let mut refs: Vec<&str> = object
        .get("object_marking_refs")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    if let Some(gms) = object.get("granular_markings").and_then(Value::as_array) {
        refs.extend(
            gms.iter()
                .filter_map(|g| g.get("marking_ref").and_then(Value::as_str)),
        );
    }
    refs
}

fn keys_within(object: &Value, allowed: &[&str]) -> bool {
    object
        .as_object()
        .is_some_and(|m| m.keys().all(|k| allowed.contains(&k.as_str())))
}

/// A standard TLP or Concord PAP marking definition, or Concord's extension definition,
/// carrying nothing beyond what those definitions hold.
fn is_standard_definition(object: &Value) -> bool {
    let ty = object.get("type").and_then(Value::as_str);
    let Some(id) = object.get("id").and_then(Value::as_str) else {
        return false;
    };
    match ty {
        Some("marking-definition") if TLP_IDS.iter().any(|(i, ..)| *i == id) => {
            keys_within(
                object,
                &[
                    "type",
                    "spec_version",
                    "id",
                    "created",
                    "created_by_ref",
                    "name",
                    "definition_type",
                    "definition",
                    "extensions",
                ],
            ) && object
                .get("definition")
                .is_none_or(|d| keys_within(d, &["tlp"]))
                && object
                    .get("extensions")
                    .is_none_or(|e| keys_within(e, &[TLP2_EXTENSION]))
                && object
                    .get("extensions")
                    .and_then(|e| e.get(TLP2_EXTENSION))
                    .is_none_or(|e| keys_within(e, &["extension_type", "tlp_2_0"]))
        }
        Some("marking-definition") => PAP_IDS.iter().any(|(i, pap, _)| {
            let shipped = pap.marking_definition();
            *i == id
                && object.get("name") == shipped.get("name")
                && object.get("definition") == shipped.get("definition")
                && shipped.as_object().is_some_and(|s| {
                    keys_within(object, &s.keys().map(String::as_str).collect::<Vec<_>>())
                })
        }),
        Some("extension-definition") if id == EXTENSION_ID => {
            let shipped = concord_ext::extension_definition();
            shipped.as_object().is_some_and(|s| {
                keys_within(object, &s.keys().map(String::as_str).collect::<Vec<_>>())
            })
        }
        _ => false,
    }
}

fn tlp_name(t: Tlp) -> String {
    format!("TLP:{}", t.as_str().to_ascii_uppercase())
}

/// The decision for one object and one peer. Pure and deterministic: the same inputs
/// give the same decision.
pub fn decide(
    policy: &Policy,
    ctx: &Context<'_>,
    object: &Value,
    prov: &Provenance,
    peer: &Peer,
) -> Decision {
    let mut reasons = Vec::new();
    let peer_label = if peer.name.is_empty() || peer.name == peer.node_id {
        peer.node_id.clone()
    } else {
        format!("{} ({})", peer.name, peer.node_id)
    };

    if !object.is_object() || depth(object) > MAX_DEPTH {
        return withhold(
            None,
            vec![reason(
                "builtin.shape",
                Effect::Deny,
                format!("not a JSON object, or nested deeper than {MAX_DEPTH} levels"),
            )],
        );
    }
    let received = prov.received_from.is_some();
    if peer.node_id == prov.origin {
        reasons.push(reason(
            "builtin.loop",
            Effect::Deny,
            format!("{peer_label} is the object's origin"),
        ));
    } else if prov.received_from.as_deref() == Some(peer.node_id.as_str()) {
        reasons.push(reason(
            "builtin.loop",
            Effect::Deny,
            format!("the object came from {peer_label}"),
        ));
    }
    if reasons.is_empty() && is_standard_definition(object) {
        return Decision {
            verdict: Verdict::Send,
            object: Some(object.clone()),
            hops_left: 0,
            agreement: None,
            reasons: vec![reason(
                "builtin.standard-definition",
                Effect::Allow,
                "a standard marking or Concord extension definition, shipped by every node",
            )],
            volume_limit: None,
        };
    }

    let refs = marking_refs(object);
    let marked = Tlp::strictest(refs.iter().copied());
    let tlp = marked.unwrap_or(policy.unmarked_tlp);
    let tlp_label = match marked {
        Some(t) => tlp_name(t),
        None => format!("{} (unmarked_tlp: no TLP marking)", tlp_name(tlp)),
    };
    if tlp == Tlp::Red {
        reasons.push(reason(
            "builtin.tlp-red",
            Effect::Deny,
            format!("{tlp_label} never leaves this node"),
        ));
    }
    if tlp == Tlp::AmberStrict && received {
        reasons.push(reason(
            "builtin.tlp-amber-strict",
            Effect::Deny,
            "TLP:AMBER+STRICT received from another node is not passed on",
        ));
    }
    let grading = match Grading::of(object) {
        Ok(g) => Some(g),
        Err(e) => {
            reasons.push(reason(
                "builtin.grading",
                Effect::Deny,
                format!("the grading extension cannot be read: {e}"),
            ));
            None
        }
    };
    let mut hops = 0;
    if let Some(g) = &grading {
        match g.distribution {
            Distribution::Node => reasons.push(reason(
                "builtin.distribution",
                Effect::Deny,
                "distribution \"node\" never leaves this node",
            )),
            Distribution::Peers if received || prov.origin != ctx.local_node => {
                reasons.push(reason(
                    "builtin.distribution",
                    Effect::Deny,
                    "distribution \"peers\": only the origin node sends it",
                ));
            }
            Distribution::Peers => {
                hops = 0;
            }
            Distribution::Federation if received => {
                // A peer cannot raise the hops its origin set.
                let left = prov.hops_left.unwrap_or(0).min(g.hops);
                if left == 0 {
                    reasons.push(reason(
                        "builtin.hops",
                        Effect::Deny,
                        "received with no re-shares left (hops 0)",
                    ));
                } else {
                    hops = left - 1;
                }
            }
            Distribution::Federation => hops = g.hops,
        }
    }
    let recipients = concord_ext::recipients(object);
    if !recipients.is_empty()
        && !recipients
            .iter()
            .any(|r| *r == peer.node_id || (!peer.name.is_empty() && *r == peer.name))
    {
        reasons.push(reason(
            "builtin.recipients",
            Effect::Deny,
            format!(
                "addressed to {} only, not to {peer_label}",
                recipients.join(", ")
            ),
        ));
    }
    if !reasons.is_empty() {
        return withhold(None, reasons);
    }
    let Some(grading) = grading else {
        return withhold(None, reasons);
    };
    reasons.push(reason(
        "builtin",
        Effect::Allow,
        format!(
            "{tlp_label}, distribution {}, {} gets {hops} hop{}",
            grading.distribution.as_str(),
            peer_label,
            if hops == 1 { "" } else { "s" }
        ),
    ));

    // Which agreement.
    let agreement = match &peer.agreement {
        Some(name) => match policy.agreement(name) {
            Some(a) => {
                reasons.push(reason(
                    format!("agreement.{name}"),
                    Effect::Allow,
                    format!("{peer_label} was registered with agreement {name:?}"),
                ));
                a
            }
            None => {
                reasons.push(reason(
                    "agreement.unknown",
                    Effect::Deny,
                    format!(
                        "{peer_label} was registered with agreement {name:?}, which the policy does not define"
                    ),
                ));
                return withhold(None, reasons);
            }
        },
        None => match policy
            .agreements()
            .iter()
            .find_map(|a| a.selects(peer).map(|why| (a, why)))
        {
            Some((a, why)) => {
                reasons.push(reason(
                    format!("agreement.{}", a.name),
                    Effect::Allow,
                    format!("covers {peer_label} ({why})"),
                ));
                a
            }
            None => {
                reasons.push(reason(
                    "default-deny",
                    Effect::Deny,
                    format!("no agreement covers peer {peer_label}"),
                ));
                return withhold(None, reasons);
            }
        },
    };
    let name = Some(agreement.name.clone());
    let rule = |part: &str| format!("agreement.{}.{part}", agreement.name);
    let deny = |reasons: &mut Vec<Reason>, part: &str, msg: String| {
        reasons.push(reason(rule(part), Effect::Deny, msg));
    };
    let denied = |reasons: &[Reason]| reasons.iter().any(|r| r.effect == Effect::Deny);

    // TLP, PAP, classification.
    if agreement.tlp.contains(&tlp) {
        reasons.push(reason(
            rule("tlp"),
            Effect::Allow,
            format!("{tlp_label} may go"),
        ));
    } else {
        let allowed: Vec<String> = agreement.tlp.iter().map(|t| tlp_name(*t)).collect();
        deny(
            &mut reasons,
            "tlp",
            format!("{tlp_label} is not among {}", list_or_none(&allowed)),
        );
    }
    let pap = Pap::strictest(refs.iter().copied());
    match (pap, &agreement.pap) {
        (None, _) if agreement.require_pap => deny(
            &mut reasons,
            "pap",
            "no PAP marking, and require_pap is set".into(),
        ),
        (Some(p), Some(allowed)) if !allowed.contains(&p) => {
            let names: Vec<String> = allowed
                .iter()
                .map(|p| format!("PAP:{}", p.as_str().to_ascii_uppercase()))
                .collect();
            deny(
                &mut reasons,
                "pap",
                format!(
                    "PAP:{} is not among {}",
                    p.as_str().to_ascii_uppercase(),
                    list_or_none(&names)
                ),
            );
        }
        _ => {}
    }
    if grading.classification > agreement.max_classification {
        deny(
            &mut reasons,
            "classification",
            format!(
                "classification {} is above the highest allowed, {}",
                grading.classification.as_str(),
                agreement.max_classification.as_str()
            ),
        );
    } else if grading.classification != Classification::General {
        reasons.push(reason(
            rule("classification"),
            Effect::Allow,
            format!(
                "classification {} is within {}",
                grading.classification.as_str(),
                agreement.max_classification.as_str()
            ),
        ));
    }

    // Categories: declared and detected.
    let detections = detect::detect(policy, object);
    for d in &detections {
        reasons.push(reason(
            d.rule.clone(),
            Effect::Detect,
            format!("{} at {}", d.category, d.path),
        ));
    }
    let declared: BTreeSet<String> = grading
        .categories
        .iter()
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    let detected: BTreeSet<String> = detections.iter().map(|d| d.category.clone()).collect();
    let mut to_redact = Vec::new();
    for c in declared.union(&detected) {
        let how = match (declared.contains(c), detected.contains(c)) {
            (true, true) => "declared and detected",
            (true, false) => "declared",
            _ => "detected",
        };
        if agreement.deny_categories.contains(c) {
            deny(
                &mut reasons,
                "categories",
                format!("category {c} ({how}) is on the negative list"),
            );
        } else if agreement.redact_categories.contains(c) {
            if detected.contains(c) {
                to_redact.push(c.clone());
            } else {
                deny(
                    &mut reasons,
                    "redact",
                    format!(
                        "category {c} is declared but no detector located it, so redaction cannot remove it"
                    ),
                );
            }
        }
    }
    if denied(&reasons) {
        return withhold(name, reasons);
    }

    // Redaction: applied to everything sent under the agreement.
    let (copy, applied) = redact::redact(
        object,
        &agreement.redaction,
        &policy.detectors.constituency,
        ctx.redaction_key,
    );
    for path in &applied.dropped {
        reasons.push(reason(
            rule("redact.drop"),
            Effect::Redact,
            format!("dropped {path}"),
        ));
    }
    for (what, n) in &applied.counts {
        let msg = match *what {
            "email" => format!("{n} e-mail address(es) replaced by keyed hashes"),
            "phone" => format!("{n} phone number(s) replaced by keyed hashes"),
            "user-account" => format!("{n} user-account value(s) replaced by keyed hashes"),
            "name" => format!("{n} individual name(s) replaced by keyed hashes"),
            "ip" => format!("{n} IP address(es) truncated to a prefix"),
            _ => format!("{n} identifier(s) derived from redacted values replaced"),
        };
        reasons.push(reason(rule(&format!("redact.{what}")), Effect::Redact, msg));
    }
    if !to_redact.is_empty() {
        let remaining = remaining_after(policy, agreement, &copy);
        for c in &to_redact {
            match remaining.iter().find(|(cat, _)| cat == c) {
                Some((_, f)) => deny(
                    &mut reasons,
                    "redact",
                    format!(
                        "redaction leaves {c} ({} at {}); enable the matching redaction",
                        f.kind.rule(),
                        f.path
                    ),
                ),
                None => reasons.push(reason(
                    rule("redact"),
                    Effect::Allow,
                    format!("category {c} may go redacted"),
                )),
            }
        }
    }
    let changed = copy != *object;
    if changed && let Err(e) = concord_stix::Object::from_value(copy.clone()) {
        let first = e
            .violations
            .first()
            .map(|v| format!("{}: {}", v.path, v.message))
            .unwrap_or_default();
        deny(
            &mut reasons,
            "redact",
            format!("the redacted copy is not valid STIX ({first})"),
        );
    }
    if denied(&reasons) {
        return withhold(name, reasons);
    }
    Decision {
        verdict: if changed {
            Verdict::SendRedacted
        } else {
            Verdict::Send
        },
        object: Some(copy),
        hops_left: hops,
        agreement: name,
        reasons,
        volume_limit: agreement.volume_limit,
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "the allowed levels (none)".into()
    } else {
        format!("the allowed {}", items.join(", "))
    }
}

/// Categories the detectors still find in a redacted copy, with one finding each.
/// Addresses truncated to at most the agreement's prefix count as redacted.
fn remaining_after(policy: &Policy, agreement: &Agreement, copy: &Value) -> Vec<(String, Found)> {
    let d = &policy.detectors;
    let r = &agreement.redaction;
    let mut scan = Scan::of_detectors(d);
    if d.constituency.is_empty() {
        scan.ip = IpMode::None;
    }
    let mut out: Vec<(String, Found)> = Vec::new();
    for f in detect::scan(scan, copy) {
        if f.kind == Kind::Ip
            && let Some(net) = f.net
        {
            let prefix = if net.addr().is_ipv4() {
                r.ipv4_prefix
            } else {
                r.ipv6_prefix
            };
            if prefix.is_some_and(|p| net.prefix_len() <= p) {
                continue;
            }
        }
        let cat = if f.kind == Kind::Ip {
            d.constituency_category.clone()
        } else {
            PERSONAL_INFORMATION.to_owned()
        };
        if !out.iter().any(|(c, _)| *c == cat) {
            out.push((cat, f));
        }
    }
    out
}
