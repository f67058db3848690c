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

fn object_with_id<'a>(c: &'a Collected, id: &str) -> &'a serde_json::Value {
    c.objects
        .iter()
        .find(|o| o["id"] == id)
        .unwrap_or_else(|| panic!("no {id}"))
}

/// Galaxy clusters attached to attributes inside MISP objects (issue 6, mapping gaps):
/// one SDO per cluster, related to the STIX object of the MISP object that holds the
/// attribute; clusters of no STIX type (`guidelines`) stay tags only. Attached clusters
/// are reached through their relationship; the grouping lists only the event's own.
#[test]
fn galaxies_of_attributes_inside_objects() {
    let Some(dir) = corpus() else { return };
    let c = import_file(&dir.join("misp/pymisp_galaxy_1.json"));
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.assert_valid();
    let file = "2ba7f152-381c-470f-a732-792397b424d4";
    let vt = "eefb6d88-9cc1-4d65-b266-b2e82a2464b9";
    let holder = |uuid: &str| {
        c.objects
            .iter()
            .find(|o| o["id"].as_str().unwrap().ends_with(uuid) && o["type"] != "relationship")
            .unwrap_or_else(|| panic!("no object {uuid}"))["id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let (file, vt) = (holder(file), holder(vt));
    let related = |from: &str| {
        let mut names: Vec<String> = c
            .of_type("relationship")
            .iter()
            .filter(|r| r["source_ref"] == from && r["relationship_type"] == "related-to")
            .map(|r| {
                let t = object_with_id(&c, r["target_ref"].as_str().unwrap());
                format!(
                    "{} {}",
                    t["type"].as_str().unwrap(),
                    t["name"].as_str().unwrap()
                )
            })
            .collect();
        names.sort();
        names
    };
    assert_eq!(
        related(&file),
        [
            "attack-pattern Account Manipulation - T1098",
            "course-of-action Account Discovery Mitigation - T1087"
        ]
    );
    assert_eq!(
        related(&vt),
        [
            "attack-pattern Permission Groups Discovery - T1069",
            "malware ADVSTORESHELL - S0045",
            "malware Adwind",
            "malware TeleGrab"
        ]
    );
    let g = &c.of_type("grouping")[0];
    let refs = g["object_refs"].as_array().unwrap();
    let listed = |name: &str| {
        c.objects
            .iter()
            .filter(|o| o["name"] == name)
            .any(|o| refs.contains(&o["id"]))
    };
    assert!(listed("APT1 - G0006"), "event-level cluster listed");
    assert!(
        !listed("TeleGrab"),
        "attached cluster reached by its relationship"
    );
    // The object reference of the file object to the VirusTotal report.
    let r = object_with_id(&c, "relationship--5acd1ad7-df04-4155-bc1c-464602de0b81");
    assert_eq!(
        (
            r["source_ref"].as_str(),
            r["target_ref"].as_str(),
            r["relationship_type"].as_str()
        ),
        (
            Some(file.as_str()),
            Some(vt.as_str()),
            Some("analysed-with")
        )
    );
}

/// MISP proposals (shadow attributes) are not applied: each becomes a note on the
/// attribute's STIX object (or the object holding it), written by the proposing
/// organisation, with the proposed record in the MISP extension; a proposal to delete is
/// an opinion `disagree`. Event-level proposals refer to the grouping.
#[test]
fn proposals_become_notes_and_opinions() {
    let Some(dir) = corpus() else { return };
    let c = import_file(&dir.join("misp/pymisp_shadow.json"));
    assert!(c.errors.is_empty(), "{:?}", c.errors);
    c.assert_valid();
    let notes: Vec<_> = c
        .of_type("note")
        .into_iter()
        .filter(|n| {
            concord_formats::misp::extension_of(n).is_some_and(|e| e.get("proposal").is_some())
        })
        .collect();
    assert_eq!(
        notes.len(),
        2,
        "one proposal on an attribute, one inside an object"
    );
    let about = |value: &str| {
        *notes
            .iter()
            .find(|n| concord_formats::misp::extension_of(n).unwrap()["proposal"]["value"] == value)
            .unwrap_or_else(|| panic!("no proposal of {value}"))
    };
    let top = about("blah.exe.jpg");
    assert_eq!(
        top["object_refs"][0], "observed-data--5a4cb1c7-fa84-45fa-8d27-4822950d210f",
        "the attribute it is about"
    );
    assert_eq!(
        top["created_by_ref"], "identity--55f6ea5e-2c60-40e5-964f-47a8950d210f",
        "written by the proposer (CIRCL)"
    );
    assert_eq!(top["created"], "2018-01-03T10:37:26.000Z");
    // The attribute itself keeps its published value.
    let attr = object_with_id(&c, "observed-data--5a4cb1c7-fa84-45fa-8d27-4822950d210f");
    assert_eq!(
        concord_formats::misp::extension_of(attr).unwrap()["attribute"]["value"],
        "blah.exe"
    );
    let inner = about("baz.png.exe");
    let target = inner["object_refs"][0].as_str().unwrap();
    let holder = object_with_id(&c, target);
    assert!(
        concord_formats::misp::extension_of(holder).unwrap()["object"]["name"] == "file",
        "the MISP object holding the attribute: {holder}"
    );

    // Hand-written: a proposal to delete, and one at event level.
    let ev = serde_json::json!({"Event": {
        "uuid": "c1c1c1c1-1111-4111-8111-111111111111", "info": "proposals", "timestamp": "1700000000",
        "Attribute": [{"uuid": "c2c2c2c2-2222-4222-8222-222222222222", "type": "domain",
            "value": "example.org", "to_ids": true, "timestamp": "1700000001",
            "ShadowAttribute": [{"uuid": "c2c2c2c2-2222-4222-8222-222222222222", "type": "domain",
                "value": "example.org", "to_ids": true, "proposal_to_delete": true,
                "timestamp": "1700000050", "Org": {"name": "CERT-Z", "uuid": "c3c3c3c3-3333-4333-8333-333333333333"}}]}],
        "ShadowAttribute": [{"uuid": "c4c4c4c4-4444-4444-8444-444444444444", "type": "ip-dst",
            "value": "192.0.2.7", "to_ids": true, "category": "Network activity", "timestamp": "1700000060",
            "Org": {"name": "CERT-Z", "uuid": "c3c3c3c3-3333-4333-8333-333333333333"}}]
    }});
    let mut h = Collected::default();
    for i in import::convert_event(&ev, "$", &Source::new("t", NOW)) {
        h.push(i);
    }
    assert!(h.errors.is_empty(), "{:?}", h.errors);
    h.assert_valid();
    let op = h.of_type("opinion");
    assert_eq!(op.len(), 1);
    assert_eq!(op[0]["opinion"], "disagree");
    assert_eq!(
        op[0]["object_refs"][0],
        "indicator--c2c2c2c2-2222-4222-8222-222222222222"
    );
    let n = h.of_type("note");
    assert_eq!(n.len(), 1);
    assert_eq!(
        n[0]["object_refs"][0],
        "grouping--c1c1c1c1-1111-4111-8111-111111111111"
    );
    assert!(
        h.of_type("indicator").len() == 1,
        "a proposed attribute is not an indicator"
    );
}
