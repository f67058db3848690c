//! `concord feed`: MISP feeds over HTTP and from a directory (only changed events are
//! fetched again, an event gone from the manifest expires its indicators, an event that
//! cannot be fetched or read does not stop the others), plain feeds, and a node's MISP
//! feed export that another node subscribes to.

use std::path::Path;

use serde_json::Value;

use crate::common::*;
use crate::formats::{corpus_file, export, import};

/// A copy of the corpus MISP feed (manifest, events, hashes) in a new directory `to`.
fn copy_corpus_feed(corpus: &Path, to: &Path) {
    std::fs::create_dir(to).unwrap();
    for e in std::fs::read_dir(corpus.join("misp/feed")).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
    }
}

/// The `N new` figure of a feed run's summary line.
fn new_objects(summary: &str) -> usize {
    summary
        .split(": ")
        .flat_map(|part| part.split(", "))
        .find_map(|f| f.strip_suffix(" new").and_then(|n| n.trim().parse().ok()))
        .unwrap_or_else(|| panic!("no `N new` in {summary}"))
}

#[test]
fn a_misp_feed_run_imports_the_good_events_and_fetches_only_the_bad_ones_again() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let feed = tmp.path().join("site");
    copy_corpus_feed(&corpus, &feed);
    // A third event the manifest lists but the feed does not hold, and the second one
    // cut in half (truncated JSON).
    let manifest_at = feed.join("manifest.json");
    let mut manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&manifest_at).unwrap()).unwrap();
    let missing = "0b4d6f1e-2c3a-4d5e-8f90-a1b2c3d4e5f6";
    let mut entry = manifest["5721c2e4-05ec-4af3-9264-411b950d210f"].clone();
    entry["info"] = "an event not on the server".into();
    manifest[missing] = entry;
    std::fs::write(&manifest_at, manifest.to_string()).unwrap();
    let cut_at = feed.join("57e27c3d-17a8-4c3b-8195-493e950d210f.json");
    let whole = std::fs::read(&cut_at).unwrap();
    std::fs::write(&cut_at, &whole[..whole.len() / 2]).unwrap();
    add_feeds(
        tmp.path(),
        &format!(
            "\n[[feeds]]\nname = \"local\"\nurl = \"{}\"\nformat = \"misp-feed\"\n",
            feed.display()
        ),
    );

    let (code, so, se) = feed_run(tmp.path(), "local");
    assert_eq!(code, Some(2), "{so}{se}");
    // The good event is stored whole; the cut one up to where it breaks.
    assert!(new_objects(&so) > 0, "{so}");
    assert!(so.contains("2 events fetched"), "{so}");
    assert!(so.contains(&format!("{missing}.json")), "{so}");
    assert!(
        so.contains("57e27c3d-17a8-4c3b-8195-493e950d210f.json: could not be read completely"),
        "{so}"
    );
    assert!(
        !so.contains("5721c2e4-05ec-4af3-9264-411b950d210f.json: could not"),
        "{so}"
    );

    // Again: the good event is not fetched again, the cut one is (the missing one is
    // tried and still missing).
    let (code, so, _) = feed_run(tmp.path(), "local");
    assert_eq!(code, Some(2), "{so}");
    assert!(so.contains("1 events fetched"), "{so}");

    // Repaired: the rest of the cut event arrives.
    std::fs::write(&cut_at, &whole).unwrap();
    let (_, so, _) = feed_run(tmp.path(), "local");
    assert!(so.contains("1 events fetched"), "{so}");
    assert!(new_objects(&so) > 0, "{so}");
    let (_, so, _) = feed_run(tmp.path(), "local");
    assert!(so.contains("0 events fetched"), "{so}");
}

/// A tiny HTTP server on 127.0.0.1 serving files of `dir`; `/html/...` answers with an
/// HTML login page, `/hang/...` never answers. Returns its base URL.
fn serve_dir(dir: &Path) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let dir = dir.to_path_buf();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut conn) = conn else { continue };
            let dir = dir.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                let mut r = BufReader::new(conn.try_clone().unwrap());
                r.read_line(&mut line).unwrap_or(0);
                loop {
                    let mut h = String::new();
                    if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                        break;
                    }
                }
                let path = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
                if path.starts_with("/hang/") {
                    // Holds the connection without answering until the client gives up.
                    let mut buf = [0u8; 1];
                    let _ = std::io::Read::read(&mut conn, &mut buf);
                    return;
                }
                let (status, body) = if path.starts_with("/html/") {
                    (
                        "200 OK",
                        b"<!DOCTYPE html><html><body>Please log in</body></html>".to_vec(),
                    )
                } else {
                    match std::fs::read(dir.join(path.trim_start_matches('/'))) {
                        Ok(b) => ("200 OK", b),
                        Err(_) => ("404 Not Found", b"not found".to_vec()),
                    }
                };
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = conn.write_all(&body);
            });
        }
    });
    format!("http://{addr}")
}

pub(crate) fn add_feeds(dir: &Path, toml: &str) {
    let cfg = dir.join("concord.toml");
    let mut text = std::fs::read_to_string(&cfg).unwrap_or_default();
    text.push_str(toml);
    std::fs::write(cfg, text).unwrap();
}

pub(crate) fn feed_run(dir: &Path, name: &str) -> (Option<i32>, String, String) {
    let out = run(dir, &["feed", "run", name]);
    (out.status.code(), stdout(&out), stderr(&out))
}

#[test]
fn formats_misp_feed_over_http_fetches_only_changed_events() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let site = tempfile::tempdir().unwrap();
    copy_corpus_feed(&corpus, &site.path().join("feed"));
    let base = serve_dir(site.path());
    add_feeds(
        tmp.path(),
        &format!(
            "\n[[feeds]]\nname = \"circl\"\nurl = \"{base}/feed\"\nformat = \"misp-feed\"\n\n[[feeds]]\nname = \"dir\"\nurl = \"{}\"\n\n[[feeds]]\nname = \"slow\"\nurl = \"{base}/hang/feed\"\ntimeout_secs = 1\n\n[[feeds]]\nname = \"portal\"\nurl = \"{base}/html/feed\"\n",
            corpus.join("misp/feed").display()
        ),
    );
    let (code, so, se) = feed_run(tmp.path(), "circl");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains("2 events fetched"), "{so}");
    let (code, so, _) = feed_run(tmp.path(), "circl");
    assert_eq!(code, Some(0));
    assert!(
        so.contains(": 0 new, 0 new versions, 0 unchanged") && so.contains("0 events fetched"),
        "{so}"
    );
    // A newer timestamp in the manifest: that event alone is fetched again.
    let manifest = site.path().join("feed/manifest.json");
    let text = std::fs::read_to_string(&manifest)
        .unwrap()
        .replace("\"1474460824\"", "\"1474460900\"");
    std::fs::write(&manifest, text).unwrap();
    let (_, so, _) = feed_run(tmp.path(), "circl");
    assert!(
        so.contains("1 events fetched") && so.contains("0 new versions"),
        "{so}"
    );
    // The same feed from a directory: nothing new either.
    let (code, so, se) = feed_run(tmp.path(), "dir");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains(": 0 new, 0 new versions"), "{so}");
    // A feed that times out, and one that answers with a login page: located errors,
    // nothing stored changes.
    let before = export(tmp.path(), &["--format", "lines"]);
    let (code, so, _) = feed_run(tmp.path(), "slow");
    assert_eq!(code, Some(2));
    assert!(
        so.contains("manifest.json") && so.contains("timed out"),
        "{so}"
    );
    let (code, so, _) = feed_run(tmp.path(), "portal");
    assert_eq!(code, Some(2));
    assert!(so.contains("HTML page"), "{so}");
    assert_eq!(export(tmp.path(), &["--format", "lines"]), before);
    let list = stdout(&run(tmp.path(), &["feed", "list"]));
    assert!(
        list.lines()
            .any(|l| l.starts_with("circl ") && l.contains(" misp-feed "))
            && list.contains("timed out"),
        "{list}"
    );
}

/// Issue 6, mapping gaps: an event that leaves a MISP feed's manifest expires its
/// indicators (a new version with `valid_until`), nothing is deleted; a manifest that
/// cannot be read expires nothing.
#[test]
fn formats_misp_feed_event_gone_from_the_manifest_expires_its_indicators() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let feed = tmp.path().join("feed");
    copy_corpus_feed(&corpus, &feed);
    add_feeds(
        tmp.path(),
        &format!("\n[[feeds]]\nname = \"m\"\nurl = \"{}\"\n", feed.display()),
    );
    let (code, so, se) = feed_run(tmp.path(), "m");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(
        so.contains("0 expired") && so.contains("2 events fetched"),
        "{so}"
    );
    let before = export(tmp.path(), &["--format", "lines"]);
    assert!(
        before.contains("brutal-escort.ru"),
        "a Locky value: {before}"
    );
    let manifest = feed.join("manifest.json");
    let full = std::fs::read_to_string(&manifest).unwrap();
    // A broken manifest: an error, nothing expires.
    std::fs::write(&manifest, "<html>maintenance</html>").unwrap();
    let (code, so, _) = feed_run(tmp.path(), "m");
    assert_eq!(code, Some(2));
    assert!(so.contains("0 expired"), "{so}");
    assert_eq!(export(tmp.path(), &["--format", "lines"]), before);
    // The Locky event leaves the manifest.
    let mut m: Value = serde_json::from_str(&full).unwrap();
    m.as_object_mut()
        .unwrap()
        .remove("5721c2e4-05ec-4af3-9264-411b950d210f");
    std::fs::write(&manifest, m.to_string()).unwrap();
    let (code, so, se) = feed_run(tmp.path(), "m");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains("127 expired"), "{so}");
    let after = export(tmp.path(), &["--format", "lines"]);
    assert!(!after.contains("brutal-escort.ru"), "{after}");
    let all: Value = serde_json::from_str(&export(tmp.path(), &["--type", "indicator"])).unwrap();
    let ended = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["valid_until"].is_string())
        .count();
    assert_eq!(ended, 127, "kept, with valid_until");
    // Forgotten: the next run expires nothing more.
    let (_, so, _) = feed_run(tmp.path(), "m");
    assert!(so.contains("0 expired"), "{so}");
    // Back in the manifest: its indicators are current again (new versions).
    std::fs::write(&manifest, &full).unwrap();
    let (code, so, se) = feed_run(tmp.path(), "m");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains("1 events fetched"), "{so}");
    assert!(
        export(tmp.path(), &["--format", "lines"]).contains("brutal-escort.ru"),
        "{so}"
    );
}

#[test]
fn formats_plain_feed_expires_what_disappeared() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let list = tmp.path().join("blocklist.txt");
    std::fs::write(&list, "198.51.100.1\n198.51.100.2\nevil.example\n").unwrap();
    add_feeds(
        tmp.path(),
        &format!(
            "\n[[feeds]]\nname = \"bl\"\nurl = \"{}\"\nformat = \"lines\"\ntlp = \"green\"\nconfidence = 60\n",
            list.display()
        ),
    );
    let (code, so, se) = feed_run(tmp.path(), "bl");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains("4 new"), "{so}");
    let (_, so, _) = feed_run(tmp.path(), "bl");
    assert!(
        so.contains(": 0 new, 0 new versions, 4 unchanged") && so.contains("0 expired"),
        "{so}"
    );
    std::fs::write(&list, "198.51.100.1\nevil.example\n").unwrap();
    let (_, so, _) = feed_run(tmp.path(), "bl");
    assert!(so.contains("1 expired"), "{so}");
    let lines = export(tmp.path(), &["--format", "lines"]);
    assert!(
        !lines.contains("198.51.100.2"),
        "expired values leave the block list: {lines}"
    );
    let all: Value = serde_json::from_str(&export(tmp.path(), &["--type", "indicator"])).unwrap();
    let gone = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "198.51.100.2")
        .expect("the indicator is kept, not deleted");
    assert!(gone["valid_until"].is_string(), "{gone}");
    // Back in the feed: a new current version without valid_until.
    std::fs::write(&list, "198.51.100.1\n198.51.100.2\nevil.example\n").unwrap();
    let (_, so, _) = feed_run(tmp.path(), "bl");
    assert!(so.contains("1 new versions"), "{so}");
    assert!(export(tmp.path(), &["--format", "lines"]).contains("198.51.100.2"));
    // A feed file that cannot be read expires nothing.
    std::fs::remove_file(&list).unwrap();
    let (code, so, _) = feed_run(tmp.path(), "bl");
    assert_eq!(code, Some(2));
    assert!(
        so.contains("0 expired") && so.contains("cannot read"),
        "{so}"
    );
    assert!(export(tmp.path(), &["--format", "lines"]).contains("198.51.100.2"));
}

#[test]
fn formats_misp_feed_export_is_a_feed_another_node_subscribes_to() {
    let Some(file) = corpus_file("misp/pymisp_sighting_1.json") else {
        return;
    };
    let a = tempfile::tempdir().unwrap();
    init(a.path());
    let (code, so, se) = import(a.path(), &[&file]);
    assert_eq!(code, Some(0), "{so}{se}");
    let feed = a.path().join("feed");
    export(
        a.path(),
        &["--format", "misp-feed", "-o", feed.to_str().unwrap()],
    );
    let manifest: Value =
        serde_json::from_slice(&std::fs::read(feed.join("manifest.json")).unwrap()).unwrap();
    let uuid = "5b646415-7b48-40d5-86b4-c0070acd0835";
    assert!(manifest[uuid]["timestamp"].is_string(), "{manifest}");
    assert!(feed.join(format!("{uuid}.json")).is_file());
    let hashes = std::fs::read_to_string(feed.join("hashes.csv")).unwrap();
    assert!(
        hashes
            .lines()
            .all(|l| l.len() == 32 + 1 + 36 && l.ends_with(uuid)),
        "{hashes}"
    );
    let b = tempfile::tempdir().unwrap();
    init(b.path());
    add_feeds(
        b.path(),
        &format!("\n[[feeds]]\nname = \"a\"\nurl = \"{}\"\n", feed.display()),
    );
    let (code, so, se) = feed_run(b.path(), "a");
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains("1 events fetched"), "{so}");
    let lines = export(
        b.path(),
        &["--format", "lines", "--observable", "domain-name"],
    );
    assert!(lines.contains("ooiasjdnqjwbeasdasd.com"), "{lines}");
}

#[test]
fn formats_import_of_a_misp_feed_directory_fetches_changed_events_only() {
    let Some(corpus) = corpus() else { return };
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let dir = corpus.join("misp/feed");
    let (code, so, se) = import(tmp.path(), &[dir.to_str().unwrap()]);
    assert_eq!(code, Some(0), "{so}{se}");
    assert!(so.contains("2 events fetched"), "{so}");
    let (code, so, _) = import(
        tmp.path(),
        &["--format", "misp-feed", dir.to_str().unwrap()],
    );
    assert_eq!(code, Some(0));
    assert!(so.contains("0 events fetched"), "{so}");
}
