//! `concord match`: a Suricata EVE log against imported indicators gives stored sightings.

use serde_json::{Value, json};

use crate::common::*;

const IP_INDICATOR: &str = "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f";
const DOMAIN_INDICATOR: &str = "indicator--a932fcc6-e032-476c-826f-cb970a5a1ade";

fn indicator(id: &str, pattern: &str) -> Value {
    json!({
        "type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"
    })
}

const EVE: &str = concat!(
    r#"{"timestamp":"2026-01-02T10:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"198.51.100.7"}"#,
    "\n{not json\n",
    r#"{"timestamp":"2026-01-02T11:00:00.000000+0000","event_type":"flow","src_ip":"10.0.0.1","dest_ip":"192.0.2.1"}"#,
    "\n"
);

fn setup() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let objects = json!([
        indicator(IP_INDICATOR, "[ipv4-addr:value = '198.51.100.7']"),
        indicator(DOMAIN_INDICATOR, "[domain-name:value = 'evil.example.com']"),
    ]);
    let file = tmp.path().join("indicators.json");
    std::fs::write(&file, objects.to_string()).unwrap();
    let out = run(tmp.path(), &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "{}", stderr(&out));
    std::fs::write(tmp.path().join("eve.json"), EVE).unwrap();
    tmp
}

#[test]
fn an_eve_log_gives_one_stored_sighting() {
    let tmp = setup();
    let log = tmp.path().join("eve.json");
    let out = run(
        tmp.path(),
        &["match", "--format", "eve", log.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let (so, se) = (stdout(&out), stderr(&out));
    assert!(
        so.contains(
            "3 lines read, 2 observations, 1 malformed, 1 indicators hit, 1 sightings written"
        ),
        "{so}"
    );
    assert!(se.contains("eve.json: line 2: invalid JSON"), "{se}");

    let export = run(tmp.path(), &["export", "--type", "sighting"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let bundle: Value = serde_json::from_slice(&export.stdout).unwrap();
    let objects = bundle["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1, "{bundle}");
    assert_eq!(objects[0]["type"], "sighting");
    assert_eq!(objects[0]["sighting_of_ref"], IP_INDICATOR);
    assert_eq!(objects[0]["count"], 1);
    assert_own_identity(tmp.path(), &objects[0]);
}

/// Asserts that `sighting` names exactly one sighter, the identity `init` stored for
/// this node (an organisation described as this Concord node).
fn assert_own_identity(dir: &std::path::Path, sighting: &Value) {
    let refs = sighting["where_sighted_refs"]
        .as_array()
        .unwrap_or_else(|| panic!("no where_sighted_refs: {sighting}"));
    assert_eq!(refs.len(), 1, "{sighting}");
    let export = run(dir, &["export", "--type", "identity"]);
    assert!(export.status.success(), "{}", stderr(&export));
    let bundle: Value = serde_json::from_slice(&export.stdout).unwrap();
    let stored = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["id"] == refs[0])
        .unwrap_or_else(|| panic!("{} is not a stored identity: {bundle}", refs[0]));
    assert_eq!(stored["name"], "test node", "{stored}");
    assert!(
        stored["description"]
            .as_str()
            .is_some_and(|d| d.starts_with("Concord node ")),
        "{stored}"
    );
}

#[test]
fn served_match_names_the_node_identity() {
    let tmp = setup();
    let server = crate::serve::start(tmp.path(), &[]);
    let token = {
        let out = run(
            tmp.path(),
            &["token", "create", "--role", "analyst", "--name", "matcher"],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out).trim().to_owned()
    };
    let (status, body) = http(
        &server.addr,
        "POST",
        "/api/v1/match?format=eve",
        Some(&token),
        Some(EVE),
    );
    assert_eq!(status, 200, "{body}");
    let body: Value = serde_json::from_str(&body).unwrap();
    let sightings = body["sightings"].as_array().unwrap();
    assert_eq!(sightings.len(), 1, "{body}");
    assert_own_identity(tmp.path(), &sightings[0]);
}

#[test]
fn output_writes_json_lines_and_stores_nothing() {
    let tmp = setup();
    let log = std::fs::File::open(tmp.path().join("eve.json")).unwrap();
    let target = tmp.path().join("sightings.jsonl");
    let out = concord(tmp.path())
        .args(["match", "--output", target.to_str().unwrap(), "-"])
        .stdin(log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("1 sightings written"),
        "{}",
        stdout(&out)
    );
    let text = std::fs::read_to_string(&target).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["sighting_of_ref"], IP_INDICATOR);
    assert_own_identity(tmp.path(), &lines[0]);

    let export = run(tmp.path(), &["export", "--type", "sighting"]);
    let bundle: Value = serde_json::from_slice(&export.stdout).unwrap();
    assert!(
        bundle["objects"].as_array().is_none_or(Vec::is_empty),
        "{bundle}"
    );
}

/// A log larger than a block (1 MiB) matched on several threads, by flag and by
/// `CONCORD_MATCH_THREADS`, gives what one thread gives: the same summary and the same
/// sightings (count, first and last seen).
#[test]
fn threads_give_the_one_thread_sightings() {
    let tmp = setup();
    let mut log = String::new();
    for i in 0..30_000u32 {
        let dest = match i % 7 {
            0 => "198.51.100.7",
            _ => "192.0.2.1",
        };
        log.push_str(&format!(
            r#"{{"timestamp":"2026-01-02T{:02}:{:02}:{:02}.000000+0000","event_type":"flow","src_ip":"10.0.{}.{}","dest_ip":"{dest}","flow":{{"pkts_toserver":12}}}}"#,
            i / 3600 % 24,
            i / 60 % 60,
            i % 60,
            i / 250 % 250,
            i % 250
        ));
        log.push('\n');
        if i == 20_000 {
            log.push_str("{not json\n");
        }
    }
    assert!(
        log.len() > 2 << 20,
        "{} bytes: fewer than three blocks",
        log.len()
    );
    let path = tmp.path().join("big.json");
    std::fs::write(&path, &log).unwrap();
    let matched = |threads: Option<&str>, env: Option<&str>| {
        let target = tmp.path().join("out.jsonl");
        let mut cmd = concord(tmp.path());
        cmd.args(["match", "--output", target.to_str().unwrap()]);
        if let Some(t) = threads {
            cmd.args(["--threads", t]);
        }
        if let Some(e) = env {
            cmd.env("CONCORD_MATCH_THREADS", e);
        }
        let out = cmd.arg(path.to_str().unwrap()).output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let sightings: Vec<Value> = std::fs::read_to_string(&target)
            .unwrap()
            .lines()
            .map(|l| {
                let s: Value = serde_json::from_str(l).unwrap();
                json!([
                    s["sighting_of_ref"],
                    s["count"],
                    s["first_seen"],
                    s["last_seen"]
                ])
            })
            .collect();
        (stdout(&out), stderr(&out), sightings)
    };
    let one = matched(Some("1"), None);
    assert!(
        one.0
            .contains("30001 lines read, 30000 observations, 1 malformed, 1 indicators hit"),
        "{}",
        one.0
    );
    assert!(one.1.contains("line 20002: invalid JSON"), "{}", one.1);
    assert_eq!(
        one.2,
        [json!([
            IP_INDICATOR,
            4286,
            "2026-01-02T00:00:00.000Z",
            "2026-01-02T08:19:55.000Z"
        ])]
    );
    for (threads, env) in [(Some("3"), None), (None, Some("2")), (Some("0"), None)] {
        assert_eq!(matched(threads, env), one, "{threads:?} {env:?}");
    }
    // The variable is read: a value that is no number is refused, naming the key.
    let out = concord(tmp.path())
        .env("CONCORD_MATCH_THREADS", "many")
        .args(["match", path.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(stderr(&out).contains("MATCH_THREADS"), "{}", stderr(&out));
}
