//! Which node a database is the store of: the node id recorded in `store_meta`
//! (`node_id`) by the first process that opened it as a node, so that a process with
//! another node key (a second `concord init` against the same database, a replica given
//! the wrong `node.key`) is refused instead of writing as a second node into one store.

use concord_store::StoreError;

use crate::PgStore;

impl PgStore {
    /// Records `node_id` as the node whose store this database is, unless one is recorded
    /// already; returns the node id recorded (the given one, or the other node's).
    ///
    /// # Errors
    /// The database cannot be reached.
    pub fn claim_node(&self, node_id: &str) -> Result<String, StoreError> {
        let node_id = node_id.to_owned();
        self.write(move |c| async move {
            c.execute(
                "INSERT INTO store_meta (key, value) VALUES ('node_id', $1) \
                 ON CONFLICT (key) DO NOTHING",
                &[&node_id],
            )
            .await?;
            let row = c
                .query_one("SELECT value FROM store_meta WHERE key = 'node_id'", &[])
                .await?;
            Ok(row.get::<_, String>(0))
        })
    }

    /// The value of `key` in `store_meta`, if any.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub(crate) fn meta_value(&self, key: &str) -> Result<Option<String>, StoreError> {
        let key = key.to_owned();
        self.read(move |c| async move {
            Ok(
                c.query_opt("SELECT value FROM store_meta WHERE key = $1", &[&key])
                    .await?
                    .map(|r| r.get::<_, String>(0)),
            )
        })
    }

    /// Sets `key` in `store_meta` to `value`.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub(crate) fn set_meta_value(&self, key: &str, value: &str) -> Result<(), StoreError> {
        let (key, value) = (key.to_owned(), value.to_owned());
        self.write(move |c| async move {
            c.execute(
                "INSERT INTO store_meta (key, value) VALUES ($1, $2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&key, &value],
            )
            .await?;
            Ok(())
        })
    }

    /// The node id recorded by [`PgStore::claim_node`], if any.
    ///
    /// # Errors
    /// The database cannot be reached.
    pub fn node_id(&self) -> Result<Option<String>, StoreError> {
        self.read(|c| async move {
            Ok(
                c.query_opt("SELECT value FROM store_meta WHERE key = 'node_id'", &[])
                    .await?
                    .map(|r| r.get::<_, String>(0)),
            )
        })
    }
}
