//! Data-driven tests: `tests/data/err/*.pattern` with the expected error beside them
//! (`*.expected`), `tests/data/ok/*.pattern` with the expected printed form.
//! `UPDATE_EXPECT=1 cargo test -p concord-pattern --test data_driven` rewrites them.

use std::path::Path;

fn run(dir: &str, render: impl Fn(&str) -> String) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(dir);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .expect("data dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    let mut count = 0;
    for input in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "pattern"))
    {
        count += 1;
        let text = std::fs::read_to_string(input).expect("read");
        let got = render(text.strip_suffix('\n').unwrap_or(&text)) + "\n";
        expect_test::expect_file![input.with_extension("expected")].assert_eq(&got);
    }
    assert!(count > 0, "no cases in {}", dir.display());
}

#[test]
fn parser_errors() {
    run("err", |p| match concord_pattern::parse_strict(p) {
        Ok(_) => "valid (expected an error)".into(),
        Err(e) => format!("{e} [{:?}, byte {}]", e.kind, e.offset),
    });
}

#[test]
fn printed_forms() {
    run("ok", |p| match concord_pattern::parse(p) {
        Ok(ast) => ast.to_string(),
        Err(e) => format!("error: {e}"),
    });
}
