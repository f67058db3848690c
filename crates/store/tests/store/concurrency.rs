//! Two stores on one file, as `concord serve` and `concord import` processes would be.

use std::sync::atomic::{AtomicBool, Ordering};

use concord_store::import::import_values;
use concord_store::sqlite::SqliteStore;
use concord_store::{ListQuery, Role, Store};

use crate::common::{id_of, indicator, put, sco};

#[test]
fn importer_and_server_share_a_file_without_lock_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.db");
    let importer = SqliteStore::open(&path).unwrap();
    let server = SqliteStore::open(&path).unwrap();
    let first = sco("ipv4-addr", "192.0.2.200");
    put(&server, &[first.clone()]);
    let done = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for batch in 0..20 {
                let values: Vec<_> = (0..500)
                    .map(|i| {
                        indicator(
                            &format!("b{batch} i{i}"),
                            &format!("[ipv4-addr:value = '10.0.{batch}.{}']", i % 250),
                        )
                    })
                    .collect();
                import_values(&importer, values, 250, &mut |_| {})
                    .expect("import never sees a locked database");
            }
            done.store(true, Ordering::SeqCst);
        });
        let mut reads = 0;
        let mut writes = 0;
        while !done.load(Ordering::SeqCst) || reads < 50 {
            assert!(server.get(&id_of(&first)).expect("get").is_some());
            server
                .list(&ListQuery {
                    limit: 20,
                    ..Default::default()
                })
                .expect("list");
            server.correlations(&id_of(&first)).expect("correlations");
            if reads % 10 == 0 {
                put(
                    &server,
                    &[sco("domain-name", &format!("w{writes}.example"))],
                );
                server
                    .create_token(&format!("t{writes}"), Role::Reader, &format!("h{writes}"))
                    .expect("token");
                writes += 1;
            }
            reads += 1;
        }
        assert!(writes > 0);
    });
    let stats = server.stats().unwrap();
    assert!(stats.objects >= 10_001, "{stats:?}");
    assert_eq!(server.integrity_check().unwrap(), ["ok"]);
}
