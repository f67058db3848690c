//! The one printer of everything the CLI lists or shows: for people a table with a
//! header row (on a terminal or not), for scripts (`--json`) one JSON document: an array
//! of objects for a list, one object for a single thing, with stable field names.
//!
//! Every listing goes through [`list`] or [`show`] (or [`Table`] for a sub-table), so that
//! they all look alike and all answer `--json`; the test of the command tree in `main.rs`
//! holds every list command to it.

use std::io::Write;

use serde::Serialize;
use unicode_width::UnicodeWidthStr;

/// A table: a header row, then rows of cells in columns as wide as their widest cell.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headers.
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row; cells past the headers are dropped, missing ones are empty.
    pub fn row(&mut self, cells: Vec<String>) {
        let mut cells: Vec<String> = cells.into_iter().map(|c| cell(&c)).collect();
        cells.resize(self.headers.len(), String::new());
        self.rows.push(cells);
    }

    /// The table as text: columns two spaces apart, the last one not padded.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.width()).collect();
        for row in &self.rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.width());
            }
        }
        let mut out = String::new();
        let headers = self.headers.iter().map(|h| (*h).to_owned()).collect();
        for row in std::iter::once(&headers).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            let mut line = String::new();
            for (i, (c, w)) in row.iter().zip(&widths).enumerate() {
                line.push_str(c);
                if i < last {
                    line.push_str(&" ".repeat(w - c.width() + 2));
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }

    /// Writes the table to standard output.
    pub fn print(&self) -> anyhow::Result<()> {
        emit(&self.render())
    }
}

/// One cell: control characters (a line break in a name, a terminal escape sent by a
/// peer) are shown escaped, so that a row stays one line and cannot drive the terminal.
fn cell(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Prints a list: with `json` one JSON array of `items`, else a table of `headers` with
/// one `row` per item (the header row also when there is none).
pub fn list<T: Serialize>(
    json: bool,
    items: &[T],
    headers: &[&'static str],
    row: impl Fn(&T) -> Vec<String>,
) -> anyhow::Result<()> {
    if json {
        return print_json(&items);
    }
    let mut table = Table::new(headers);
    for item in items {
        table.row(row(item));
    }
    table.print()
}

/// Prints one thing: with `json` the object itself, else a two-column table of its
/// `fields` (name, value).
pub fn show<T: Serialize>(json: bool, item: &T, fields: &[(&str, String)]) -> anyhow::Result<()> {
    if json {
        return print_json(item);
    }
    let mut table = Table::new(&["FIELD", "VALUE"]);
    for (name, value) in fields {
        table.row(vec![(*name).to_owned(), value.clone()]);
    }
    table.print()
}

/// An empty line between two tables.
pub fn gap() -> anyhow::Result<()> {
    emit("\n")
}

/// Prints one JSON document (indented, for people reading a script's input too).
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    emit(&text)
}

/// A JSON value as a cell: strings bare, absent values `-`.
pub fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "-".into(),
        serde_json::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An optional value as a cell (`-` when absent).
pub fn opt(v: Option<&str>) -> String {
    v.unwrap_or("-").to_owned()
}

/// `yes` or `no`.
pub fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

#[cfg(test)]
thread_local! {
    /// What the printer wrote on this thread, while a test captures it.
    static CAPTURED: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` and returns what the printer wrote meanwhile on this thread (instead of
/// writing it to standard output).
#[cfg(test)]
pub fn capture<R>(f: impl FnOnce() -> R) -> (R, String) {
    CAPTURED.with(|c| *c.borrow_mut() = Some(String::new()));
    let r = f();
    let out = CAPTURED.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (r, out)
}

/// Writes to standard output; a closed pipe comes back as an error that `main` ends on
/// quietly.
fn emit(text: &str) -> anyhow::Result<()> {
    #[cfg(test)]
    if CAPTURED.with(|c| c.borrow_mut().as_mut().map(|s| s.push_str(text)).is_some()) {
        return Ok(());
    }
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_line_up_under_their_headers_with_wide_characters_too() {
        let mut t = Table::new(&["NAME", "ROLE", "LAST USED"]);
        t.row(vec!["ana".into(), "analyst".into(), "never".into()]);
        t.row(vec!["中文名".into(), "reader".into(), "2026-01-01".into()]);
        let text = t.render();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "NAME    ROLE     LAST USED");
        assert_eq!(lines[1], "ana     analyst  never");
        assert_eq!(lines[2], "中文名  reader   2026-01-01");
    }

    #[test]
    fn a_cell_cannot_break_its_row_or_drive_the_terminal() {
        let mut t = Table::new(&["NAME", "URL"]);
        t.row(vec!["evil\nrow\u{1b}[2J".into(), "x".into()]);
        let text = t.render();
        assert_eq!(text.lines().count(), 2, "{text}");
        assert!(!text.contains('\u{1b}'));
        assert!(text.contains("evil\\nrow\\u{1b}[2J"), "{text}");
    }

    #[test]
    fn an_empty_list_still_has_its_header_and_an_empty_json_array() {
        let none: Vec<serde_json::Value> = Vec::new();
        let ((), text) = capture(|| list(false, &none, &["ID", "NAME"], |_| vec![]).unwrap());
        assert_eq!(text, "ID  NAME\n");
        let ((), json) = capture(|| list(true, &none, &["ID", "NAME"], |_| vec![]).unwrap());
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&json).unwrap(),
            serde_json::json!([])
        );
    }
}
