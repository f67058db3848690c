//! Data-driven bad input: each file in `tests/data/err/` is read by the importer its name
//! says (`*.misp.json`; `*.<columns>.csv` with those `--columns`; `*.<kind>.txt` as one
//! value per line) and every located error must be what `<file>.expected` lists, one per
//! line, in order. `UPDATE_EXPECT=1` rewrites the expected files.

mod common;

use std::path::Path;

use common::*;
use concord_formats::plain::{self, Layout};
use concord_formats::{Source, misp};

fn errors_of(path: &Path) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let source = Source::new("errors", NOW);
    let mut c = Collected::default();
    let file = std::fs::File::open(path).unwrap();
    let fatal = if name.ends_with(".misp.json") {
        misp::import::read(file, &source, &mut |i| c.push(i)).err()
    } else {
        let parts: Vec<&str> = name.rsplitn(3, '.').collect();
        let layout = if name.ends_with(".csv") {
            Layout::from_columns(parts[1], b',').unwrap()
        } else {
            Layout::lines(concord_formats::observable::Kind::from_name(parts[1]).unwrap())
        };
        plain::read(std::io::BufReader::new(file), &layout, &source, &mut |i| {
            c.push(i)
        })
        .err()
    };
    c.assert_valid();
    let mut out: Vec<String> = c.errors.iter().map(|e| format!("error: {e}")).collect();
    out.extend(c.warnings.iter().map(|e| format!("warning: {e}")));
    if let Some(e) = fatal {
        out.push(format!("fatal: {e}"));
    }
    out.push(format!("objects: {}", c.objects.len()));
    out
}

#[test]
fn bad_input_gives_located_errors() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/err");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "expected") {
            continue;
        }
        let got = errors_of(&p).join("\n") + "\n";
        let exp_path = p.with_file_name(format!(
            "{}.expected",
            p.file_name().unwrap().to_string_lossy()
        ));
        expect_test::expect_file![exp_path].assert_eq(&got);
        n += 1;
    }
    assert!(n >= 4);
}
