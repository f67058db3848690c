//! MISP events to STIX: every event of the corpus converts to valid objects with
//! parseable patterns; ids are stable; tags, distribution, objects, galaxies, sightings.

mod common;

use common::*;
use concord_formats::Source;
use concord_formats::misp::import;

fn import_file(path: &std::path::Path) -> Collected {
    let mut c = Collected::default();
    let source = Source::new(path.file_name().unwrap().to_string_lossy(), NOW);
    import::read(std::fs::File::open(path).unwrap(), &source, &mut |i| {
        c.push(i)
    })
    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    c
}

fn misp_files() -> Vec<std::path::PathBuf> {
    let Some(dir) = corpus() else { return vec![] };
    let mut files: Vec<_> = std::fs::read_dir(dir.join("misp"))
        .unwrap()
        .chain(std::fs::read_dir(dir.join("misp/feed")).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json") && !p.ends_with("manifest.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_event_converts_to_valid_stix() {
    let files = misp_files();
    for f in &files {
        let c = import_file(f);
        assert!(c.errors.is_empty(), "{}: {:?}", f.display(), c.errors);
        c.assert_valid();
        assert_eq!(
            c.of_type("grouping").len().max(1),
            c.of_type("grouping").len(),
            "{}",
            f.display()
        );
        // Deterministic: the same input gives the same objects.
        assert_eq!(import_file(f).objects, c.objects);
    }
}

/// Galaxy clusters become SDOs by galaxy type, one per cluster: older MISP exports give
/// every cluster of a galaxy the galaxy's uuid, which must not merge them.
#[test]
fn galaxy_clusters_become_one_sdo_each() {
    let Some(dir) = corpus() else { return };
    let c = import_file(&dir.join("misp/pymisp_existing_event.json"));
    let names = |ty: &str| {
        let mut n: Vec<String> = c
            .of_type(ty)
            .iter()
            .map(|o| o["name"].as_str().unwrap().to_owned())
            .collect();
        n.sort();
        n
    };
    assert_eq!(names("threat-actor"), ["Sofacy"]);
    assert_eq!(
        names("tool"),
        ["EVILTOSS", "GAMEFISH", "X-Agent", "X-Tunnel"]
    );
    assert_eq!(
        names("malware").len(),
        9,
        "2 exploit kits and 7 mitre-malware clusters"
    );
    let g = &c.of_type("grouping")[0];
    for o in c.of_type("malware") {
        assert!(
            g["object_refs"].as_array().unwrap().contains(&o["id"]),
            "the event refers to {}",
            o["id"]
        );
        assert_eq!(o["is_family"], true);
    }
}

/// Found by the `misp_event` fuzz target: a MISP uuid that is not an RFC 4122 UUID (the
/// version nibble is `a`) must not become a STIX id.
#[test]
fn a_uuid_that_is_not_rfc_4122_gets_a_deterministic_id() {
    let ev = serde_json::json!({"Event": {"uuid": "57c4445b-c548-4654-af0b-4be3950d210f", "info": "x",
        "Attribute": [{"uuid": "57c4448a-fb04-a57d-87e7-4127950d210f", "type": "filename",
            "value": "a.exe", "to_ids": true, "timestamp": "1472480394"}]}});
    let mut c = Collected::default();
    for i in import::convert_event(&ev, "$", &Source::new("t", NOW)) {
        c.push(i);
    }
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.assert_valid();
    assert_eq!(c.of_type("indicator").len(), 1);
}

/// One event exercising what the corpus lacks: event reports, distribution 0 and sharing
/// groups, attribute-level TLP over the event's, PAP, sightings of each type, an object
/// reference, first/last seen.
#[test]
fn reports_distribution_markings_sightings_and_references() {
    use concord_stix::concord_ext::{Distribution, Grading, Pap};
    let ev = serde_json::json!({"Event": {
        "uuid": "11111111-1111-4111-8111-111111111111", "info": "all parts", "timestamp": "1700000000",
        "date": "2023-11-14", "distribution": "0",
        "Orgc": {"name": "CERT-X", "uuid": "22222222-2222-4222-8222-222222222222"},
        "Tag": [{"name": "tlp:green"}, {"name": "PAP:AMBER"}, {"name": "circl:topic=\"finance\""}],
        "Attribute": [
            {"uuid": "33333333-3333-4333-8333-333333333333", "type": "ip-dst", "value": "203.0.113.5",
             "to_ids": true, "timestamp": "1700000001", "distribution": "4",
             "first_seen": "2023-11-01T00:00:00Z", "last_seen": "2023-11-30T00:00:00Z",
             "Tag": [{"name": "tlp:red"}],
             "Sighting": [
                {"uuid": "44444444-4444-4444-8444-444444444444", "type": "0", "date_sighting": "1700000100",
                 "Organisation": {"name": "CERT-Y", "uuid": "55555555-5555-4555-8555-555555555555"}},
                {"uuid": "66666666-6666-4666-8666-666666666666", "type": "1", "date_sighting": "1700000200"},
                {"uuid": "77777777-7777-4777-8777-777777777777", "type": "2", "date_sighting": "1700000300"}]},
            {"uuid": "88888888-8888-4888-8888-888888888888", "type": "vulnerability", "value": "CVE-2023-1234",
             "timestamp": "1700000002"}
        ],
        "Object": [{"uuid": "99999999-9999-4999-8999-999999999999", "name": "domain-ip", "timestamp": "1700000003",
            "Attribute": [
                {"type": "domain", "object_relation": "domain", "value": "bad.example", "to_ids": true},
                {"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.1", "to_ids": true},
                {"type": "ip-dst", "object_relation": "ip", "value": "198.51.100.2", "to_ids": true}],
            "ObjectReference": [{"uuid": "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa",
                "referenced_uuid": "33333333-3333-4333-8333-333333333333", "relationship_type": "resolves to"}]}],
        "EventReport": [{"uuid": "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb", "name": "Summary",
            "content": "# What happened\nA phishing wave.", "timestamp": "1700000004"}]
    }});
    let mut c = Collected::default();
    for i in import::convert_event(&ev, "$", &Source::new("t", NOW)) {
        c.push(i);
    }
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.assert_valid();
    let by_id = |id: &str| {
        c.objects
            .iter()
            .find(|o| o["id"] == id)
            .unwrap_or_else(|| panic!("no {id}"))
    };
    let ind = by_id("indicator--33333333-3333-4333-8333-333333333333");
    assert_eq!(ind["valid_from"], "2023-11-01T00:00:00.000Z");
    assert_eq!(ind["valid_until"], "2023-11-30T00:00:00.000Z");
    let marks = ind["object_marking_refs"].to_string();
    assert!(
        marks.contains(concord_stix::Tlp::Red.marking_id()),
        "own TLP wins: {marks}"
    );
    assert!(marks.contains(Pap::Amber.marking_id()), "{marks}");
    assert_eq!(
        Grading::of(ind).unwrap().distribution,
        Distribution::Peers,
        "sharing group"
    );
    let g = by_id("grouping--11111111-1111-4111-8111-111111111111");
    assert_eq!(
        Grading::of(g).unwrap().distribution,
        Distribution::Node,
        "your organisation only"
    );
    assert_eq!(g["labels"], serde_json::json!(["circl:topic=\"finance\""]));
    assert!(
        c.objects.iter().any(|o| o["id"] == Pap::Amber.marking_id()),
        "PAP definition shipped"
    );
    let s = by_id("sighting--44444444-4444-4444-8444-444444444444");
    assert_eq!(s["sighting_of_ref"], ind["id"]);
    assert_eq!(
        s["where_sighted_refs"][0],
        "identity--55555555-5555-4555-8555-555555555555"
    );
    assert_eq!(
        by_id("opinion--66666666-6666-4666-8666-666666666666")["opinion"],
        "strongly-disagree"
    );
    assert!(
        !c.objects
            .iter()
            .any(|o| o["id"].as_str().unwrap().contains("77777777")),
        "expiration sightings are not imported"
    );
    let v = by_id("vulnerability--88888888-8888-4888-8888-888888888888");
    assert_eq!(v["external_references"][0]["external_id"], "CVE-2023-1234");
    let obj = by_id("indicator--99999999-9999-4999-8999-999999999999");
    assert_eq!(
        obj["pattern"],
        "[domain-name:value = 'bad.example'] AND [(ipv4-addr:value = '198.51.100.1' OR ipv4-addr:value = '198.51.100.2')]"
    );
    let rel = by_id("relationship--aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa");
    assert_eq!(rel["relationship_type"], "resolves-to");
    assert_eq!(rel["target_ref"], ind["id"]);
    let note = by_id("note--bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb");
    assert_eq!(note["abstract"], "Summary");
    assert_eq!(note["object_refs"][0], g["id"]);
}
