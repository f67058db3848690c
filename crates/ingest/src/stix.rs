//! Objects already read as STIX values, imported as [`crate::import_inputs`] imports a
//! STIX input: a TAXII pull's pages, the versions a feed run makes to expire indicators,
//! and (through [`crate::document`]) the documents of `POST /api/v1/objects` and TAXII
//! add-objects. The same objects then get the same stored versions and outcomes whichever
//! front end took them: each object goes through [`taken`] (the one rule for STIX input),
//! then the target's write ([`Target`]), and its results are told to a [`Progress`] as an
//! import of files tells them (conflicts and rejections as notes, then the batch).
//!
//! ```
//! use concord_ingest::{Target, stix};
//! let store = concord_store::sqlite::SqliteStore::open_in_memory().unwrap();
//! let ip = serde_json::json!({"type": "ipv4-addr", "spec_version": "2.1",
//!     "id": "ipv4-addr--ff2ab1a2-5ba5-5a5e-ae3a-a4c6e1c1b0f0", "value": "198.51.100.7"});
//! let summary = stix::import_values(Target::Store(&store), "page", vec![ip], 500, &()).unwrap();
//! assert_eq!(summary.new, 1);
//! ```

use std::borrow::Cow;

use concord_store::StoreError;
use concord_store::import::{ObjectResult, Summary};
use serde_json::Value;

use crate::progress::Told;
use crate::{Progress, Target};

/// What an import does to an object read as STIX, whichever front end read it (a file,
/// a feed, an upload, a REST or TAXII request, a TAXII pull): nothing. Its timestamps
/// are its version and it may be signed, so it is neither settled against the held
/// versions nor flagged by warning lists ([`crate::Reading::Stix`]); the store validates
/// it and stores or refuses it as it is.
pub(crate) fn taken(v: Value) -> Value {
    v
}

/// Imports `values`, read as STIX, into `target` in batches of `batch`, as a STIX input
/// of [`crate::import_inputs`] is imported: each through [`taken`], then the target's
/// write; `progress` hears of each conflict and rejection (named by `name` and the
/// object's position among `values`) and of each committed batch. The values are moved
/// into the import, not copied; the objects are freed on the calling thread.
///
/// # Errors
/// The store failed: the batches committed before stay committed.
pub fn import_values<I>(
    target: Target<'_>,
    name: &str,
    values: I,
    batch: usize,
    progress: &dyn Progress,
) -> Result<Summary, StoreError>
where
    I: IntoIterator<Item = Value>,
{
    let mut told = Told::new(progress);
    import_with(target, values, batch, &mut |results| {
        told.batch(results, &|index| (Cow::Borrowed(name), index));
    })
}

/// [`import_values`] with each committed batch's results going to `on_batch` (which
/// tells the caller's progress itself).
pub(crate) fn import_with<I>(
    target: Target<'_>,
    values: I,
    batch: usize,
    on_batch: &mut dyn FnMut(&[ObjectResult]),
) -> Result<Summary, StoreError>
where
    I: IntoIterator<Item = Value>,
{
    target.import(values.into_iter().map(taken), batch, on_batch, &mut drop)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use concord_store::sqlite::SqliteStore;
    use concord_store::{ListQuery, Order, Store};
    use serde_json::json;

    use super::*;
    use crate::{Input, Note, Options, import_inputs};

    /// (id, outcome) per result, and the notes.
    type Record = (Vec<(String, String)>, Vec<String>);

    /// What a progress heard.
    #[derive(Default)]
    struct Heard(Mutex<Record>);

    impl Progress for Heard {
        fn stored(&self, results: &[ObjectResult], _: u64) {
            let mut h = self.0.lock().unwrap();
            h.0.extend(results.iter().map(|r| match r {
                ObjectResult::Accepted { id, outcome, .. } => (id.clone(), format!("{outcome:?}")),
                ObjectResult::Rejected { id, .. } => {
                    (id.clone().unwrap_or_default(), "rejected".into())
                }
            }));
        }
        fn note(&self, note: Note<'_>) {
            let told = match note {
                Note::Rejected {
                    input, index, id, ..
                } => format!("rejected {input} #{index} {id:?}"),
                Note::Conflict { id } => format!("conflict {id}"),
                other => format!("{other:?}"),
            };
            self.0.lock().unwrap().1.push(told);
        }
    }

    fn indicator(n: u32, modified: &str, pattern: &str) -> Value {
        json!({"type": "indicator", "spec_version": "2.1",
            "id": format!("indicator--00000000-0000-4000-8000-{n:012}"),
            "created": "2024-01-01T00:00:00.000Z", "modified": modified,
            "pattern": pattern, "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z"})
    }

    fn versions(store: &dyn Store) -> Vec<String> {
        let q = ListQuery {
            order: Order::BySeq,
            limit: 1000,
            ..ListQuery::default()
        };
        let mut all: Vec<String> = store
            .list_versions(&q)
            .unwrap()
            .objects
            .iter()
            .map(|o| o.value().to_string())
            .collect();
        all.sort();
        all
    }

    /// The same STIX values as a file through `import_inputs` (with warning lists, in a
    /// bulk session) and through `import_values` give the same results, notes and stored
    /// versions, twice over: a listed value is not flagged, a changed object under a held
    /// version is a conflict, a bad object is rejected and named by its position.
    #[test]
    fn values_import_as_a_stix_input_does() {
        let values = vec![
            indicator(
                1,
                "2024-01-01T00:00:00.000Z",
                "[ipv4-addr:value = '10.1.2.3']",
            ),
            json!({"type": "indicator", "spec_version": "2.1",
                "id": "indicator--00000000-0000-4000-8000-000000000002"}),
            indicator(
                3,
                "2024-01-02T00:00:00.000Z",
                "[domain-name:value = 'a.example']",
            ),
        ];
        let second = {
            let mut v = values.clone();
            v[2]["name"] = json!("changed, same version");
            v
        };
        let lists = concord_formats::warninglist::WarningList::parse(
            br#"{"name": "private", "type": "cidr", "list": ["10.0.0.0/8"]}"#,
        )
        .unwrap();
        let opts = Options {
            lists: Some(std::sync::Arc::new(
                concord_formats::warninglist::WarningLists { lists: vec![lists] },
            )),
            ..Options::default()
        };
        let by_file = SqliteStore::open_in_memory().unwrap();
        let by_values = SqliteStore::open_in_memory().unwrap();
        for round in [&values, &second] {
            let file = Heard::default();
            let doc = json!({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
                "objects": round});
            let imported = import_inputs(
                Target::Bulk(&by_file),
                vec![Input::bytes("in", doc.to_string().into_bytes())],
                &opts,
                2,
                false,
                &file,
            );
            assert!(imported.totals.store_error.is_none());
            assert_eq!(imported.totals.warninglisted, 0, "STIX is not flagged");
            let heard = Heard::default();
            let summary =
                import_values(Target::Store(&by_values), "in", round.clone(), 2, &heard).unwrap();
            assert_eq!(
                format!("{summary:?}"),
                format!("{:?}", imported.totals.summary)
            );
            let (file, heard) = (file.0.into_inner().unwrap(), heard.0.into_inner().unwrap());
            assert_eq!(file, heard);
            assert!(
                heard.1.contains(
                    &"rejected in #1 Some(\"indicator--00000000-0000-4000-8000-000000000002\")"
                        .to_owned()
                ),
                "{heard:?}"
            );
        }
        // The list does flag the value when Concord converts it.
        let lines = import_inputs(
            Target::Store(&SqliteStore::open_in_memory().unwrap()),
            vec![Input::bytes("list.txt", b"10.1.2.3\n".to_vec())],
            &opts,
            2,
            false,
            &(),
        );
        assert_eq!(lines.totals.warninglisted, 1);
        let stored = versions(&by_values);
        assert_eq!(versions(&by_file), stored);
        assert_eq!(stored.len(), 2);
        assert!(
            !stored.iter().any(|v| v.contains("warninglist")),
            "{stored:?}"
        );
    }
}
