//! Helpers shared by the integration tests: locating the shared corpus and the Python
//! reference tools, with the skip-unless-CI rule of CONVENTIONS.md.
#![allow(dead_code)]

pub mod generate;

use std::path::PathBuf;

/// True when running in CI (`CI=true`), where a missing peer is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (loudly) outside CI, fails in CI.
pub fn missing(what: &str) {
    assert!(!in_ci(), "{what} is missing and CI=true");
    eprintln!("\n*** SKIPPED: {what} is missing (this test fails when CI=true) ***\n");
}

/// The shared STIX corpus directory, if present.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/corpus/stix"
    ));
    if dir.is_dir() {
        Some(dir)
    } else {
        missing(&format!("the shared corpus ({})", dir.display()));
        None
    }
}

/// `$CONCORD_VENV/bin/python` (default `/work/main/.venv`), if it can import `module`.
pub fn python_with(module: &str) -> Option<PathBuf> {
    let venv = std::env::var("CONCORD_VENV").unwrap_or_else(|_| "/work/main/.venv".into());
    let python = PathBuf::from(venv).join("bin/python");
    let ok = std::process::Command::new(&python)
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        Some(python)
    } else {
        missing(&format!(
            "{} with the Python module {module}",
            python.display()
        ));
        None
    }
}

/// Runs a helper script of `tests/` with python on an input file; returns stdout lines.
pub fn run_script(python: &std::path::Path, script: &str, input: &std::path::Path) -> Vec<String> {
    let script = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests")).join(script);
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(input)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "helper failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_string)
        .collect()
}
