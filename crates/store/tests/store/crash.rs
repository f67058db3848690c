//! A killed import loses no acknowledged batch and leaves a sound database.
//!
//! The test re-runs its own binary as a child process (with `CONCORD_CRASH_CHILD` set to
//! the database path); the child imports batches forever and prints `committed N` after
//! each batch the import reports. The parent kills it with SIGKILL after a few batches.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use concord_store::import::import_values;
use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Store};

use crate::common::indicator;

const CHILD_ENV: &str = "CONCORD_CRASH_CHILD";
const TEST_NAME: &str = "crash::killed_import_keeps_acknowledged_batches";

fn child(path: &str) -> ! {
    let store = SqliteStore::open(std::path::Path::new(path)).expect("child opens the database");
    let mut committed = 0usize;
    let mut stdout = std::io::stdout();
    for round in 0.. {
        let values: Vec<_> = (0..2_000)
            .map(|i| {
                indicator(
                    &format!("crash {round} {i}"),
                    &format!("[domain-name:value = 'c{i}.example']"),
                )
            })
            .collect();
        import_values(&store, values, 500, &mut |results| {
            committed += results.len();
            // Flushed at once: the parent counts only what it has read.
            let _ = writeln!(stdout, "committed {committed}");
            let _ = stdout.flush();
        })
        .expect("child import");
    }
    unreachable!()
}

#[test]
fn killed_import_keeps_acknowledged_batches() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut proc = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", TEST_NAME, "--nocapture", "--test-threads", "1"])
        .env(CHILD_ENV, &path)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn child");
    let out = proc.stdout.take().unwrap();
    let mut acknowledged = 0usize;
    let mut commits = 0;
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        if let Some(n) = line.strip_prefix("committed ") {
            acknowledged = n.trim().parse().unwrap();
            commits += 1;
            if commits == 5 {
                break;
            }
        }
    }
    proc.kill().expect("SIGKILL the child");
    let status = proc.wait().unwrap();
    assert!(!status.success(), "the child was killed, it did not finish");
    assert_eq!(commits, 5, "the child reported five commits before dying");

    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.integrity_check().unwrap(), ["ok"]);
    let stats = store.stats().unwrap();
    assert!(
        stats.objects as usize >= acknowledged,
        "{} stored < {acknowledged} acknowledged",
        stats.objects
    );
    // The store is usable after the crash.
    let page = store
        .list(&ListQuery {
            text: Some("crash".into()),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(page.objects.len(), 10);
}
