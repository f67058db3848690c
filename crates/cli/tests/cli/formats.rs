//! `concord import --format ...`, `concord export --format ...` and `concord feed`.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use crate::common::*;

pub(crate) fn import(dir: &Path, args: &[&str]) -> (Option<i32>, String, String) {
    let mut all = vec!["import"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    (out.status.code(), stdout(&out), stderr(&out))
}

pub(crate) fn export(dir: &Path, args: &[&str]) -> String {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    let out = run(dir, &all);
    assert!(out.status.success(), "{}", stderr(&out));
    stdout(&out)
}

pub(crate) fn corpus_file(rel: &str) -> Option<String> {
    corpus().map(|c| c.join(rel).to_string_lossy().into_owned())
}

#[test]
fn formats_misp_event_imports_and_reimport_is_unchanged() {
    let Some(file) = corpus_file("misp/pymisp_existing_event.json") else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let (code, so, se) = import(tmp.path(), &[&file]);
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(
        so.contains(" 0 new versions, 0 unchanged, 0 conflicting, 0 rejected"),
        "{so}"
    );
    let (code, so, se) = import(tmp.path(), &["--format", "misp", &file]);
    assert_eq!(code, Some(0), "{se}");
    assert!(
        so.contains(": 0 new, 0 new versions,"),
        "re-import changed something: {so}"
    );
    // The event is a grouping with its attributes; the domain indicator is there.
    let bundle: Value = serde_json::from_str(&export(tmp.path(), &["--type", "grouping"])).unwrap();
    assert_eq!(bundle["objects"].as_array().unwrap().len(), 1);
    assert_eq!(
        bundle["objects"][0]["name"],
        "OSINT - Sednit update: How Fancy Bear Spent the Year"
    );
}

#[test]
fn formats_bad_misp_input_is_located_and_the_rest_is_kept() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let ev = |uuid: &str, attrs: &str| {
        format!(
            r#"{{"Event": {{"uuid": "{uuid}", "info": "test", "timestamp": "1603642920", "Orgc": {{"name": "CERT-T", "uuid": "a0c22599-9e58-4da4-96ac-7051603fa951"}}, "Tag": [{{"name": "tlp:amber"}}, {{"name": "PAP:RED"}}], "distribution": "1", "Attribute": [{attrs}]}}}}"#
        )
    };
    let good = r#"{"uuid": "4bb235a7-7d25-4aef-802f-2c6b45c5eceb", "type": "domain", "category": "Network activity", "value": "evil.example", "to_ids": true, "timestamp": "1603642920"}"#;
    let unknown =
        r#"{"uuid": "5bb235a7-7d25-4aef-802f-2c6b45c5eceb", "type": "frobnicator", "value": "x"}"#;
    let bad_ip = r#"{"uuid": "6bb235a7-7d25-4aef-802f-2c6b45c5eceb", "type": "ip-dst", "value": "999.1.1.1", "to_ids": true}"#;
    let doc = format!(
        r#"{{"response": [{}, {}"#,
        ev(
            "e2e6a6ea-f69b-4d93-8564-f51d67cafe51",
            &format!("{good}, {unknown}, {bad_ip}")
        ),
        ev("f2e6a6ea-f69b-4d93-8564-f51d67cafe51", good)
    );
    // Truncated after the second event's start: the first event is kept.
    let file = tmp.path().join("truncated.json");
    std::fs::write(&file, &doc[..doc.len() - 40]).unwrap();
    let (code, so, se) = import(tmp.path(), &[file.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{so}{se}");
    assert!(
        se.contains(
            "$.response[0].Event.Attribute[1].type: unknown MISP attribute type `frobnicator`"
        ),
        "{se}"
    );
    assert!(
        se.contains("$.response[0].Event.Attribute[2].value:"),
        "{se}"
    );
    assert!(se.contains("truncated JSON"), "{se}");
    assert!(
        so.contains("2 record(s) with errors") && so.contains("1 file(s) could not be read"),
        "{so}"
    );
    let ind: Value = serde_json::from_str(&export(tmp.path(), &["--type", "indicator"])).unwrap();
    let ind = &ind["objects"][0];
    assert_eq!(ind["pattern"], "[domain-name:value = 'evil.example']");
    let marks: HashSet<&str> = ind["object_marking_refs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        marks.contains(concord_stix::Tlp::Amber.marking_id()),
        "{ind}"
    );
    assert!(
        marks.contains(concord_stix::concord_ext::Pap::Red.marking_id()),
        "{ind}"
    );
    let g = concord_stix::concord_ext::Grading::of(ind).unwrap();
    assert_eq!(
        g.distribution,
        concord_stix::concord_ext::Distribution::Peers
    );
}

#[test]
fn formats_plain_lines_and_csv_presets() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let list = tmp.path().join("ips.txt");
    std::fs::write(
        &list,
        "# block list\n198.51.100.1\n10.0.0.0/8\nnot-an-ip\n203.0.113.5 ; x\n",
    )
    .unwrap();
    let (code, so, se) = import(
        tmp.path(),
        &[
            "--format",
            "lines",
            "--observable",
            "ipv4-addr",
            "--tlp",
            "green",
            "--confidence",
            "70",
            list.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(2), "{so}{se}");
    assert!(
        se.contains("line 4: column 1: \"not-an-ip\" is not an IPv4 address"),
        "{se}"
    );
    assert!(so.contains("4 new,"), "identity + 3 indicators: {so}");
    // Same list again: nothing new.
    let (_, so, _) = import(
        tmp.path(),
        &[
            "--format",
            "lines",
            "--observable",
            "ipv4-addr",
            "--tlp",
            "green",
            "--confidence",
            "70",
            list.to_str().unwrap(),
        ],
    );
    assert!(so.contains(": 0 new, 0 new versions, 4 unchanged"), "{so}");
    let lines = export(tmp.path(), &["--format", "lines"]);
    let got: HashSet<&str> = lines.lines().collect();
    assert_eq!(
        got,
        HashSet::from(["198.51.100.1", "10.0.0.0/8", "203.0.113.5"])
    );

    let out = run(tmp.path(), &["import", "--list-presets"]);
    assert!(stdout(&out).contains("feodotracker"), "{}", stdout(&out));

    let Some(dir) = corpus() else { return };
    for (preset, rel, values) in [
        (
            "feodotracker",
            "feeds/abusech/feodotracker-ipblocklist.csv",
            2,
        ),
        ("urlhaus", "feeds/abusech/urlhaus-tld-ch-2019.csv", 2),
        ("spamhaus-drop", "feeds/spamhaus/drop.txt", 2),
        ("dshield", "feeds/ips/dshield-block.txt", 2),
        ("dataplane", "feeds/ips/dataplane-sshpwauth.txt", 3),
        (
            "bambenek-domain",
            "feeds/domains/bambenek-c2-dommasterlist.txt",
            1,
        ),
    ] {
        let file = dir.join(rel);
        let (code, so, se) = import(
            tmp.path(),
            &[
                "--format",
                "csv",
                "--preset",
                preset,
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(code, Some(0), "{preset}: {so}{se}");
        assert!(
            so.contains(&format!("{} new,", values + 1)),
            "{preset}: {so}"
        );
    }
    let hosts = export(tmp.path(), &["--format", "hosts"]);
    assert!(hosts.contains("0.0.0.0 sfkh21okrrnlu.com\n"), "{hosts}");
}

#[test]
fn formats_csv_columns_with_wrong_count() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let f = tmp.path().join("feed.csv");
    std::fs::write(&f, "2024-01-02 03:04:05,http://a.example/x,phishing\nhttp://b.example/\n2024-01-02,http://c.example/,malware\n").unwrap();
    let (code, so, se) = import(
        tmp.path(),
        &[
            "--format",
            "csv",
            "--columns",
            "first_seen,url,label",
            f.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(2), "{so}{se}");
    assert!(se.contains("line 2: expected 3 columns, found 1"), "{se}");
    let csv = export(tmp.path(), &["--format", "csv"]);
    assert!(
        csv.starts_with("value,kind,indicator_id,valid_from"),
        "{csv}"
    );
    assert!(csv.contains("http://a.example/x,url,indicator--"), "{csv}");
    assert!(csv.contains("2024-01-02T03:04:05.000Z"), "{csv}");
}

/// A checker of the Suricata rule syntax the exporter writes: action, protocol, source,
/// ports, direction, destination, then `(key:value; ...)` options with a quoted `msg`,
/// unique `sid` and a `rev`.
fn check_suricata_rule(rule: &str, sids: &mut HashSet<u64>) -> Result<(), String> {
    let open = rule.find('(').ok_or("no options")?;
    if !rule.ends_with(')') {
        return Err("options not closed".into());
    }
    let head: Vec<&str> = rule[..open].split_whitespace().collect();
    if head.len() != 7 {
        return Err(format!("header has {} parts", head.len()));
    }
    if !["alert", "drop", "pass", "reject"].contains(&head[0]) {
        return Err(format!("action {}", head[0]));
    }
    if !["ip", "tcp", "udp", "dns", "http", "tls"].contains(&head[1]) {
        return Err(format!("protocol {}", head[1]));
    }
    let addr = |a: &str| {
        a == "any"
            || a.starts_with('$')
            || a.split('/')
                .next()
                .unwrap()
                .parse::<std::net::IpAddr>()
                .is_ok()
    };
    let port = |p: &str| p == "any" || p.parse::<u16>().is_ok();
    if !addr(head[2])
        || !port(head[3])
        || !["->", "<>"].contains(&head[4])
        || !addr(head[5])
        || !port(head[6])
    {
        return Err(format!("bad header {head:?}"));
    }
    let body = &rule[open + 1..rule.len() - 1];
    let mut keys = Vec::new();
    let mut rest = body.trim();
    while !rest.is_empty() {
        let (opt, after) =
            if let Some(q) = rest.find('"').filter(|q| rest[..*q].find(';').is_none()) {
                let close = rest[q + 1..].find('"').ok_or("unclosed quote")? + q + 1;
                let semi = rest[close..].find(';').ok_or("option without ;")? + close;
                (&rest[..semi], &rest[semi + 1..])
            } else {
                let semi = rest.find(';').ok_or("option without ;")?;
                (&rest[..semi], &rest[semi + 1..])
            };
        let (k, v) = opt
            .split_once(':')
            .map_or((opt.trim(), None), |(k, v)| (k.trim(), Some(v.trim())));
        if k.is_empty()
            || !k
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
        {
            return Err(format!("option name {k:?}"));
        }
        if k == "msg" || k == "content" {
            let v = v.ok_or("no value")?;
            if !(v.starts_with('"') && v.ends_with('"') && v.len() >= 2)
                || v[1..v.len() - 1].contains(['"', ';'])
            {
                return Err(format!("{k} must be a quoted string without \" or ;: {v}"));
            }
        }
        if k == "sid"
            && !sids.insert(
                v.ok_or("no sid")?
                    .parse::<u64>()
                    .map_err(|e| e.to_string())?,
            )
        {
            return Err("duplicate sid".into());
        }
        keys.push(k.to_owned());
        rest = after.trim();
    }
    for k in ["msg", "sid", "rev"] {
        if !keys.iter().any(|x| x == k) {
            return Err(format!("no {k}"));
        }
    }
    Ok(())
}

#[test]
fn formats_suricata_rules_are_well_formed() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let list = tmp.path().join("mixed.txt");
    std::fs::write(&list, "198.51.100.1\n2001:db8::1\n10.0.0.0/8\nevil.example\nhttp://x.example/it's\n0123456789abcdef0123456789abcdef\n").unwrap();
    let (code, so, se) = import(tmp.path(), &[list.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{so}{se}");
    let rules = export(tmp.path(), &["--format", "suricata"]);
    let mut sids = HashSet::new();
    let rules: Vec<&str> = rules
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .collect();
    assert_eq!(rules.len(), 4, "{rules:?}");
    for r in &rules {
        check_suricata_rule(r, &mut sids).unwrap_or_else(|e| panic!("{e}: {r}"));
    }
    assert!(
        rules
            .iter()
            .any(|r| r.contains("dns.query; dotprefix; content:\".evil.example\""))
    );
    // The imported feed, exported as STIX, passes the OASIS validator.
    if let Some(validator) = stix2_validator() {
        let bundle = tmp.path().join("feed.json");
        export(tmp.path(), &["-o", bundle.to_str().unwrap()]);
        let out = std::process::Command::new(validator)
            .arg(&bundle)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // The checker does catch mistakes.
    assert!(
        check_suricata_rule(
            "alert ip any any -> 1.2.3.4 any (msg:\"x\"; sid:1;)",
            &mut HashSet::new()
        )
        .is_err()
    );
    assert!(
        check_suricata_rule(
            "alert ip any any => 1.2.3.4 any (msg:\"x\"; sid:1; rev:1;)",
            &mut HashSet::new()
        )
        .is_err()
    );
}

#[test]
fn formats_misp_export_imports_again_on_another_node() {
    let Some(file) = corpus_file("misp/pymisp_to_delete3.json") else {
        return;
    };
    let a = tempfile::tempdir().unwrap();
    init(a.path());
    let (code, so, se) = import(a.path(), &[&file]);
    assert_eq!(code, Some(0), "{so}{se}");
    let misp = a.path().join("out.json");
    export(
        a.path(),
        &["--format", "misp", "-o", misp.to_str().unwrap()],
    );
    let doc: Value = serde_json::from_slice(&std::fs::read(&misp).unwrap()).unwrap();
    assert_eq!(
        doc["Event"]["info"],
        "OSINT - Mitigating and eliminating info-stealing Qakbot and Emotet in corporate networks"
    );
    let b = tempfile::tempdir().unwrap();
    init(b.path());
    let (code, so, se) = import(b.path(), &[misp.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{so}{se}");
    let count = |dir: &Path| {
        let v: Value = serde_json::from_str(&export(dir, &["--type", "indicator"])).unwrap();
        v["objects"].as_array().unwrap().len()
    };
    assert_eq!(count(a.path()), count(b.path()));
}

#[test]
fn formats_misp_import_exported_as_stix_passes_the_oasis_validator() {
    let Some(dir) = corpus() else { return };
    let Some(validator) = stix2_validator() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let files: Vec<String> = [
        "misp/pymisp_existing_event.json",
        "misp/pymisp_sighting_1.json",
        "misp/pymisp_galaxy_1.json",
        "misp/misp-stix_test_events_collection_2.json",
    ]
    .iter()
    .map(|f| dir.join(f).to_string_lossy().into_owned())
    .collect();
    let mut args: Vec<&str> = files.iter().map(String::as_str).collect();
    args.insert(0, "import");
    let out = run(tmp.path(), &args);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    let bundle = tmp.path().join("bundle.json");
    export(tmp.path(), &["-o", bundle.to_str().unwrap()]);
    let out = std::process::Command::new(validator)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn formats_csaf_advisories_import_and_export_as_valid_stix() {
    let Some(dir) = corpus() else { return };
    let Some(validator) = stix2_validator() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let mut files: Vec<String> = std::fs::read_dir(dir.join("csaf"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    files.sort();
    let mut args: Vec<&str> = vec!["--format", "auto"];
    args.extend(files.iter().map(String::as_str));
    let (code, so, se) = import(tmp.path(), &args);
    assert_eq!(code, Some(0), "{so}{se}");
    let (_, so, _) = import(tmp.path(), &args);
    assert!(so.contains(": 0 new, 0 new versions,"), "re-import: {so}");
    let bundle = tmp.path().join("csaf.json");
    export(tmp.path(), &["-o", bundle.to_str().unwrap()]);
    let v: Value = serde_json::from_slice(&std::fs::read(&bundle).unwrap()).unwrap();
    let reports = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["type"] == "report")
        .count();
    assert_eq!(reports, files.len());
    let out = std::process::Command::new(validator)
        .arg(&bundle)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A document failing a mandatory test is rejected with the test id; nothing is stored.
    let bad = dir.join("csaf/validator-tests/mandatory/oasis_csaf_tc-csaf_2_0-2021-6-1-01-01.json");
    let (code, so, se) = import(tmp.path(), &[bad.to_str().unwrap()]);
    assert_eq!(code, Some(2), "{so}{se}");
    assert!(
        se.contains("CSAF mandatory test 6.1.1: product id \"CSAFPID-9080701\""),
        "{se}"
    );
    assert!(so.contains(": 0 new, 0 new versions, 0 unchanged"), "{so}");
}

#[test]
fn formats_warninglisted_indicators_are_flagged_and_left_out_of_matching() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let list = tmp.path().join("mixed.txt");
    std::fs::write(
        &list,
        "10.1.2.3\n198.51.100.7\nd41d8cd98f00b204e9800998ecf8427e\nhit-block.opendns.com\n",
    )
    .unwrap();
    let lists = corpus.join("taxonomies/misp-warninglists");
    let (code, so, se) = import(
        tmp.path(),
        &[
            "--warninglists",
            lists.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
    );
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(
        so.contains("3 indicator(s) on warning lists (left out of matching)"),
        "{so}"
    );
    assert!(
        se.contains("10.1.2.3 is on the warning list \"List of RFC 1918 CIDR blocks\""),
        "{se}"
    );
    // Re-import: still flagged, nothing new.
    let (_, so, _) = import(
        tmp.path(),
        &[
            "--warninglists",
            lists.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
    );
    assert!(so.contains(": 0 new, 0 new versions, 5 unchanged"), "{so}");

    let eve = tmp.path().join("eve.json");
    std::fs::write(
        &eve,
        concat!(
            r#"{"timestamp":"2026-01-02T10:00:00.000000+0000","event_type":"flow","src_ip":"192.0.2.9","dest_ip":"198.51.100.7"}"#,
            "\n",
            r#"{"timestamp":"2026-01-02T10:00:01.000000+0000","event_type":"flow","src_ip":"192.0.2.9","dest_ip":"10.1.2.3"}"#,
            "\n"
        ),
    )
    .unwrap();
    let out = run(
        tmp.path(),
        &[
            "match",
            "--format",
            "eve",
            "--output",
            tmp.path().join("s1.jsonl").to_str().unwrap(),
            eve.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 indicators hit"),
        "{}",
        stdout(&out)
    );
    assert!(
        stderr(&out).contains("3 indicator(s) on MISP warning lists left out"),
        "{}",
        stderr(&out)
    );

    // The analyst overrides the flag on 10.1.2.3: it matches again.
    let all: Value = serde_json::from_str(&export(tmp.path(), &["--type", "indicator"])).unwrap();
    let mut flagged = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "10.1.2.3")
        .unwrap()
        .clone();
    assert!(
        flagged["labels"]
            .to_string()
            .contains("warninglist:List of RFC 1918 CIDR blocks"),
        "{flagged}"
    );
    flagged["labels"]
        .as_array_mut()
        .unwrap()
        .push(Value::from("warninglist:override"));
    flagged["modified"] = Value::from("2099-01-01T00:00:00.000Z");
    let f = tmp.path().join("override.json");
    std::fs::write(&f, flagged.to_string()).unwrap();
    let (code, so, se) = import(tmp.path(), &[f.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{so}{se}");
    let out = run(
        tmp.path(),
        &[
            "match",
            "--format",
            "eve",
            "--output",
            tmp.path().join("s2.jsonl").to_str().unwrap(),
            eve.to_str().unwrap(),
        ],
    );
    assert!(
        stdout(&out).contains("2 indicators hit"),
        "{}",
        stdout(&out)
    );
    // A feed re-import keeps the analyst's override.
    let (_, so, _) = import(
        tmp.path(),
        &[
            "--warninglists",
            lists.to_str().unwrap(),
            list.to_str().unwrap(),
        ],
    );
    assert!(so.contains(" 0 new versions"), "{so}");
}
