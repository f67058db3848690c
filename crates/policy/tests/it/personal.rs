//! Scenario 3 of the federation tests and the rules around it: personal information
//! redacted for one peer and withheld from another, keyed hashes of user accounts,
//! truncated constituency addresses, dropped properties, and redactions that would
//! break an object.

use concord_policy::{Effect, Policy, Verdict, decide};
use concord_stix::Tlp;
use serde_json::json;

use crate::common::*;
use crate::decide::{PARTNERS, denied_by, partners, rules};

#[test]
fn scenario_personal_information_is_redacted_for_one_peer_and_withheld_from_another() {
    let p = Policy::parse(&format!(
        "{PARTNERS}\n[[agreement]]\nname = \"others\"\npeers = \"*\"\ntlp = [\"clear\", \"green\", \"amber\"]\n"
    ))
    .unwrap();
    let n = note(
        "Phishing sent to jane.doe@victim.example, see [email-addr:value = 'jane.doe@victim.example']",
        &[tlp(Tlp::Amber)],
    );
    let id = person("Jane Doe", "jane.doe@victim.example", &[tlp(Tlp::Amber)]);
    for obj in [&n, &id] {
        let d = decide(&p, &ctx(), obj, &local(), &peer("node-p"));
        assert_eq!(d.verdict, Verdict::SendRedacted, "{d}");
        assert_eq!(d.agreement.as_deref(), Some("partners"));
        let sent = d.object.clone().unwrap();
        valid(&sent);
        let text = sent.to_string();
        for secret in ["jane.doe@victim.example", "Jane Doe", "+33 1 23 45 67 89"] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
        assert!(text.contains("@redacted.invalid"), "{text}");
        assert!(rules(&d, Effect::Redact).contains(&"agreement.partners.redact.email"));
        assert_eq!(d.volume_limit.map(|v| v.objects), Some(500));

        let d = decide(&p, &ctx(), obj, &local(), &peer("node-q"));
        denied_by(&d, "agreement.others.categories");
        assert_eq!(d.agreement.as_deref(), Some("others"));
    }
    // The same address hashes alike in both objects (keyed by the node's secret).
    let a = decide(&p, &ctx(), &n, &local(), &peer("node-p"))
        .object
        .unwrap();
    let b = decide(&p, &ctx(), &id, &local(), &peer("node-p"))
        .object
        .unwrap();
    let hashed = |v: &serde_json::Value, prop: &str| {
        v[prop]
            .as_str()
            .unwrap()
            .split_whitespace()
            .find(|w| w.contains("@redacted.invalid"))
            .unwrap()
            .trim_end_matches(',')
            .to_owned()
    };
    assert_eq!(hashed(&a, "content"), hashed(&b, "contact_information"));
}

#[test]
fn declared_personal_information_that_no_detector_locates_is_withheld() {
    let p = partners();
    let obj = graded(
        note("The victim's neighbour saw it.", &[tlp(Tlp::Green)]),
        json!({"categories": ["personal-information"]}),
    );
    denied_by(
        &decide(&p, &ctx(), &obj, &local(), &peer("node-p")),
        "agreement.partners.redact",
    );
}

#[test]
fn a_redaction_that_leaves_the_category_withholds() {
    let p = Policy::parse(
        "[[agreement]]\nname = \"a\"\npeers = \"*\"\ntlp = [\"green\"]\ndeny_categories = []\nredact_categories = [\"personal-information\"]\n[agreement.redaction]\nhash_emails = false\n",
    )
    .unwrap();
    let obj = note("mail bob@example.net", &[tlp(Tlp::Green)]);
    let d = decide(&p, &ctx(), &obj, &local(), &peer("x"));
    denied_by(&d, "agreement.a.redact");
    assert!(
        d.to_string()
            .contains("redaction leaves personal-information"),
        "{d}"
    );
}

#[test]
fn allowed_categories_still_get_the_agreements_redactions() {
    // personal-information neither denied nor redact-only: it goes, hashed.
    let p = Policy::parse(
        "[[agreement]]\nname = \"a\"\npeers = \"*\"\ntlp = [\"green\"]\ndeny_categories = []\n",
    )
    .unwrap();
    let obj = note("mail bob@example.net", &[tlp(Tlp::Green)]);
    let d = decide(&p, &ctx(), &obj, &local(), &peer("x"));
    assert_eq!(d.verdict, Verdict::SendRedacted, "{d}");
    assert!(!d.object.unwrap().to_string().contains("bob@example.net"));
}

#[test]
fn user_accounts_are_hashed_with_keyed_ids_in_objects_and_references() {
    let p = partners();
    let account = json!({
        "type": "user-account", "spec_version": "2.1",
        "id": "user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c",
        "user_id": "1001", "account_login": "jdoe", "display_name": "John Doe",
        "object_marking_refs": [tlp(Tlp::Green)]
    });
    let indicator = json!({
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b",
        "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
        "pattern": "[user-account:account_login = 'jdoe'] AND [user-account:user_id IN ('1001', 'root')]",
        "pattern_type": "stix", "valid_from": "2026-11-22T00:00:00Z",
        "description": "jdoe logged in from 198.51.100.7",
        "object_marking_refs": [tlp(Tlp::Green)]
    });
    let observed = json!({
        "type": "observed-data", "spec_version": "2.1",
        "id": "observed-data--2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d",
        "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
        "first_observed": "2026-11-22T00:00:00Z", "last_observed": "2026-11-22T00:00:00Z",
        "number_observed": 1,
        "object_refs": ["user-account--0d5b424b-93b8-5cd8-ac36-306e1789d63c"],
        "object_marking_refs": [tlp(Tlp::Green)]
    });
    let a = decide(&p, &ctx(), &account, &local(), &peer("node-p"));
    let i = decide(&p, &ctx(), &indicator, &local(), &peer("node-p"));
    let o = decide(&p, &ctx(), &observed, &local(), &peer("node-p"));
    for d in [&a, &i, &o] {
        assert_eq!(d.verdict, Verdict::SendRedacted, "{d}");
        let sent = d.object.as_ref().unwrap();
        valid(sent);
        let text = sent.to_string();
        for secret in [
            "jdoe",
            "1001",
            "John Doe",
            "0d5b424b-93b8-5cd8-ac36-306e1789d63c",
        ] {
            assert!(!text.contains(secret), "{secret} left in {text}");
        }
    }
    let pattern = i.object.as_ref().unwrap()["pattern"].as_str().unwrap();
    concord_pattern::parse(pattern).unwrap_or_else(|e| panic!("{pattern}: {e}"));
    assert_eq!(
        a.object.as_ref().unwrap()["id"],
        o.object.as_ref().unwrap()["object_refs"][0],
        "references still meet"
    );
}

#[test]
fn constituency_addresses_are_truncated_or_withheld() {
    let text = |redaction: &str| {
        format!(
            "[detectors]\nconstituency = [\"10.0.0.0/8\", \"2001:db8::/32\"]\n\
             [[agreement]]\nname = \"a\"\npeers = \"*\"\ntlp = [\"green\"]\n\
             redact_categories = [\"victim-identity\"]\ndeny_categories = []\n{redaction}"
        )
    };
    let obj = json!({
        "type": "ipv4-addr", "spec_version": "2.1",
        "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": "10.1.2.3", "object_marking_refs": [tlp(Tlp::Green)]
    });
    let ind = indicator(&[tlp(Tlp::Green)]);
    let mut inside = ind.clone();
    inside["pattern"] =
        json!("[ipv4-addr:value = '10.1.2.3'] OR [ipv6-addr:value = '2001:db8:1:2::5']");

    let truncating = Policy::parse(&text(
        "[agreement.redaction]\nipv4_prefix = 24\nipv6_prefix = 48\n",
    ))
    .unwrap();
    let d = decide(&truncating, &ctx(), &obj, &local(), &peer("x"));
    assert_eq!(d.verdict, Verdict::SendRedacted, "{d}");
    let sent = d.object.unwrap();
    valid(&sent);
    assert_eq!(sent["value"], "10.1.2.0/24");
    assert_ne!(
        sent["id"], obj["id"],
        "the id of 10.1.2.3 would give it away"
    );
    let d = decide(&truncating, &ctx(), &inside, &local(), &peer("x"));
    let pattern = d.object.as_ref().unwrap()["pattern"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        pattern,
        "[ipv4-addr:value = '10.1.2.0/24'] OR [ipv6-addr:value = '2001:db8:1::/48']"
    );
    concord_pattern::parse(&pattern).unwrap();
    // Outside the constituency nothing changes.
    assert_eq!(
        decide(&truncating, &ctx(), &ind, &local(), &peer("x")).verdict,
        Verdict::Send
    );

    let not_truncating = Policy::parse(&text("")).unwrap();
    let d = decide(&not_truncating, &ctx(), &obj, &local(), &peer("x"));
    denied_by(&d, "agreement.a.redact");
    assert!(rules(&d, Effect::Detect).contains(&"detector.constituency"));
    // The default negative list holds victim-identity.
    let default_list = Policy::parse(
        "[detectors]\nconstituency = [\"10.0.0.0/8\"]\n[[agreement]]\nname = \"d\"\npeers = \"*\"\ntlp = [\"green\"]\n",
    )
    .unwrap();
    denied_by(
        &decide(&default_list, &ctx(), &inside, &local(), &peer("x")),
        "agreement.d.categories",
    );
}

#[test]
fn dropped_properties_disappear_everywhere() {
    let p = Policy::parse(
        "[[agreement]]\nname = \"a\"\npeers = \"*\"\ntlp = [\"green\"]\n[agreement.redaction]\ndrop = [\"x_internal_note\", \"description\"]\n",
    )
    .unwrap();
    let mut obj = indicator(&[tlp(Tlp::Green)]);
    obj["x_internal_note"] = json!("ask Bob");
    obj["description"] = json!("from the internal case 4711");
    obj["external_references"] = json!([{"source_name": "case", "description": "internal 4711"}]);
    let d = decide(&p, &ctx(), &obj, &local(), &peer("x"));
    assert_eq!(d.verdict, Verdict::SendRedacted, "{d}");
    let sent = d.object.unwrap();
    valid(&sent);
    assert!(!sent.to_string().contains("4711") && !sent.to_string().contains("Bob"));
    assert_eq!(sent["external_references"][0]["source_name"], "case");
}

#[test]
fn a_redaction_that_breaks_the_object_withholds() {
    // Dropping `name` of an identity makes it invalid STIX: withheld, not sent broken.
    let p = Policy::parse(
        "[[agreement]]\nname = \"a\"\npeers = \"*\"\ntlp = [\"green\"]\n[agreement.redaction]\ndrop = [\"name\"]\n",
    )
    .unwrap();
    let org = json!({
        "type": "identity", "spec_version": "2.1",
        "id": "identity--7e6d5c4b-3a29-4180-9f8e-7d6c5b4a3928",
        "created": "2026-11-22T00:00:00.000Z", "modified": "2026-11-22T00:00:00.000Z",
        "name": "ACME", "identity_class": "organization",
        "object_marking_refs": [tlp(Tlp::Green)]
    });
    let d = decide(&p, &ctx(), &org, &local(), &peer("x"));
    denied_by(&d, "agreement.a.redact");
    assert!(d.to_string().contains("not valid STIX"), "{d}");
}
