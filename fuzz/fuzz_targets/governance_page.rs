//! Fuzzes what a member sends on the governance route: a page of documents, each checked
//! as it would be before storage, then the community computed from what parsed, in the
//! order given and reversed; and a candidate's application file. Never panics; the
//! state is the same whatever the order (every node must compute the same community).
#![no_main]

use concord_community::{Application, Community, Entry, Genesis};
use concord_federation::governance::{GovernancePage, check_document};
use concord_store::governance::{ENTRY, GENESIS};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    if first % 4 == 0 {
        if let Ok(app) = serde_json::from_slice::<Application>(rest)
            && let Ok(member) = app.verify()
        {
            assert_eq!(app.verify().ok(), Some(member));
        }
        return;
    }
    let Ok(page) = serde_json::from_slice::<GovernancePage>(rest) else {
        return;
    };
    let mut genesis: Option<Genesis> = None;
    let mut entries: Vec<Entry> = Vec::new();
    for p in &page.documents {
        let checked = check_document(&p.doc, genesis.as_ref());
        match p.doc.kind.as_str() {
            GENESIS if checked.is_ok() && genesis.is_none() => {
                genesis = serde_json::from_str(&p.doc.document).ok();
            }
            ENTRY => entries.extend(serde_json::from_str::<Entry>(&p.doc.document).ok()),
            _ => {}
        }
    }
    let Some(g) = genesis else { return };
    let forward = Community::from_entries(&g, &entries);
    let backward = Community::from_entries(&g, entries.iter().rev());
    match (forward, backward) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the order of the entries changed the state"),
        (a, b) => assert_eq!(a.is_ok(), b.is_ok()),
    }
});
