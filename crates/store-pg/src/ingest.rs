//! Writing a batch of objects: the outcome rules, the current-version flag,
//! in the caller's transaction under the write lock, each version with its own
//! `date_added` (see [`concord_store::date_added`]); and deleting an object. The derived
//! indexes (correlations, references, search text) are written behind, by the `indexer`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use concord_stix::{Object, Tlp};
use concord_store::Outcome;
use deadpool_postgres::Transaction;
use tokio_postgres::types::Type;

use crate::R;
use crate::copy_in::CopyIn;

/// The advisory lock key every transaction that writes versions takes first, so that
/// writers of every process are ordered ("concord" in ASCII, then a 2).
pub(crate) const WRITE_LOCK: i64 = 0x636f_6e63_6f72_6402;

/// An object with everything the writer needs, computed before the transaction.
pub(crate) struct Row {
    id: String,
    ty: String,
    version: String,
    version_ns: i64,
    created: Option<String>,
    modified: Option<String>,
    spec_version: String,
    created_by_ref: Option<String>,
    revoked: bool,
    confidence: Option<i64>,
    lang: Option<String>,
    tlp: i64,
    tlp_max: i64,
    json: String,
}

impl Row {
    pub(crate) fn new(obj: &Object) -> Row {
        let cols = obj.columns();
        let tlp = Tlp::strictest(cols.marking_refs.iter().copied()).unwrap_or(Tlp::Clear);
        let tlp_max = tlp.max(cols.granular_level);
        let owned = |s: Option<&str>| s.map(str::to_owned);
        Row {
            id: obj.id().to_owned(),
            ty: obj.type_name().to_owned(),
            version: cols.version().to_owned(),
            version_ns: obj.version_nanos(),
            created: owned(cols.created),
            modified: owned(cols.modified),
            spec_version: cols.spec_version.to_owned(),
            created_by_ref: owned(cols.created_by_ref),
            revoked: cols.revoked,
            confidence: cols.confidence,
            lang: owned(cols.lang),
            tlp: tlp.rank(),
            tlp_max: tlp_max.rank(),
            json: obj.canonical_str().to_owned(),
        }
    }

    /// The id.
    pub(crate) fn id(&self) -> &str {
        &self.id
    }

    /// The version (`modified`, else `created`, else empty).
    pub(crate) fn version(&self) -> &str {
        &self.version
    }
}

/// The rows of a batch.
pub(crate) fn rows(objects: &[Object]) -> Vec<Row> {
    objects.iter().map(Row::new).collect()
}

/// Where a held version is: stored before, or written by this batch (its index in the
/// batch's new versions).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Loc {
    Db(i64),
    Batch(usize),
}

struct Held {
    loc: Loc,
    version: String,
    version_ns: i64,
    current: bool,
}

/// A version this batch writes.
struct New {
    row: usize,
    current: bool,
    replaces: Option<Loc>,
    date_added: String,
    added_us: i64,
}

/// Microseconds since the epoch of a `date_added`.
pub(crate) fn micros(t: DateTime<Utc>) -> i64 {
    t.timestamp_micros()
}

/// The latest `date_added` of the database: the one kept in `store_meta`, or the last
/// version's.
async fn last_added(tx: &Transaction<'_>) -> R<Option<DateTime<Utc>>> {
    let r = tx
        .query_one(
            "SELECT (SELECT value FROM store_meta WHERE key = 'date_added_last'), \
             (SELECT date_added FROM versions ORDER BY seq DESC LIMIT 1)",
            &[],
        )
        .await?;
    let texts: [Option<String>; 2] = [r.get(0), r.get(1)];
    Ok(texts
        .iter()
        .flatten()
        .filter_map(|t| concord_stix::Timestamp::parse(t).ok())
        .map(|t| t.instant())
        .max())
}

/// Writes `rows` in the transaction `tx` (which the caller commits); one outcome per row.
/// Rows earlier in the batch count as held.
pub(crate) async fn put_rows(tx: &Transaction<'_>, rows: &[Row]) -> R<Vec<Outcome>> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    let mut last = last_added(tx).await?;
    let now = Utc::now();

    let mut ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut held: HashMap<String, Vec<Held>> = HashMap::new();
    let st = tx
        .prepare_cached(
            "SELECT id, seq, version, version_ns, is_current FROM versions WHERE id = ANY($1)",
        )
        .await?;
    for r in tx.query(&st, &[&ids]).await? {
        held.entry(r.get(0)).or_default().push(Held {
            loc: Loc::Db(r.get(1)),
            version: r.get(2),
            version_ns: r.get(3),
            current: r.get(4),
        });
    }

    let mut outcomes: Vec<Option<Outcome>> = Vec::with_capacity(rows.len());
    // Rows naming a version stored before: (row, its seq), compared after the loop.
    let mut compare: Vec<(usize, i64)> = Vec::new();
    let mut new: Vec<New> = Vec::new();
    let mut demote: Vec<i64> = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let versions = held.entry(row.id.clone()).or_default();
        if let Some(same) = versions.iter().find(|h| h.version == row.version) {
            match same.loc {
                Loc::Db(seq) => {
                    compare.push((i, seq));
                    outcomes.push(None);
                }
                Loc::Batch(k) => outcomes.push(Some(if rows[new[k].row].json == row.json {
                    Outcome::Unchanged
                } else {
                    Outcome::Conflict
                })),
            }
            continue;
        }
        let current = versions.iter_mut().find(|h| h.current);
        let becomes_current = current
            .as_ref()
            .is_none_or(|c| row.version_ns > c.version_ns);
        let mut replaces = None;
        if becomes_current && let Some(old) = current {
            old.current = false;
            match old.loc {
                Loc::Db(seq) => demote.push(seq),
                Loc::Batch(k) => new[k].current = false,
            }
            replaces = Some(old.loc);
        }
        let t = concord_store::date_added::next(last, now);
        last = Some(t);
        outcomes.push(Some(if versions.is_empty() {
            Outcome::New
        } else {
            Outcome::NewVersion
        }));
        versions.push(Held {
            loc: Loc::Batch(new.len()),
            version: row.version.clone(),
            version_ns: row.version_ns,
            current: becomes_current,
        });
        new.push(New {
            row: i,
            current: becomes_current,
            replaces,
            date_added: concord_store::date_added::format(t),
            added_us: micros(t),
        });
    }

    if !compare.is_empty() {
        let seqs: Vec<i64> = compare.iter().map(|(_, s)| *s).collect();
        let held_json: HashMap<i64, String> = tx
            .query(
                "SELECT seq, json FROM versions WHERE seq = ANY($1)",
                &[&seqs],
            )
            .await?
            .into_iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for (i, seq) in compare {
            outcomes[i] = Some(if held_json.get(&seq) == Some(&rows[i].json) {
                Outcome::Unchanged
            } else {
                Outcome::Conflict
            });
        }
    }
    if !new.is_empty() {
        write_new(tx, rows, &new, &demote).await?;
        if let Some(t) = last {
            tx.execute(
                "INSERT INTO store_meta (key, value) VALUES ('date_added_last', $1) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                &[&concord_store::date_added::format(t)],
            )
            .await?;
        }
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::Unchanged))
        .collect())
}

/// Copies versions in, a row per version, with the columns in [`VERSION_TYPES`]'s order.
const COPY_VERSIONS: &str = "COPY versions (seq, id, type, version, version_ns, created, \
    modified, spec_version, created_by_ref, revoked, confidence, lang, date_added, added_us, \
    is_current, replaces, tlp, tlp_max, json) FROM STDIN (FORMAT binary)";

/// The types of [`COPY_VERSIONS`]'s columns.
const VERSION_TYPES: &[Type] = &[
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::TEXT,
    Type::BOOL,
    Type::INT8,
    Type::TEXT,
    Type::TEXT,
    Type::INT8,
    Type::BOOL,
    Type::INT8,
    Type::INT8,
    Type::INT8,
    Type::TEXT,
];

/// Inserts versions from one array per column, in this order.
pub(crate) const INSERT_VERSIONS: &str = "INSERT INTO versions (seq, id, type, version, \
    version_ns, created, modified, spec_version, created_by_ref, revoked, confidence, lang, \
    date_added, added_us, is_current, replaces, tlp, tlp_max, json) \
    SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[], \
    $6::text[], $7::text[], $8::text[], $9::text[], $10::boolean[], $11::bigint[], \
    $12::text[], $13::text[], $14::bigint[], $15::boolean[], $16::bigint[], $17::bigint[], \
    $18::bigint[], $19::text[])";

/// Inserts the batch's new versions (with `seq`s taken now, in batch order) and demotes
/// the versions they replace (`replaces` tells the indexer whose derived rows to move).
async fn write_new(tx: &Transaction<'_>, rows: &[Row], new: &[New], demote: &[i64]) -> R<()> {
    let n = i64::try_from(new.len()).unwrap_or(i64::MAX);
    let mut seqs: Vec<i64> = tx
        .query(
            "SELECT nextval('versions_seq') FROM generate_series(1, $1::bigint)",
            &[&n],
        )
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    seqs.sort_unstable();
    let seq_of = |loc: Loc| match loc {
        Loc::Db(s) => s,
        Loc::Batch(k) => seqs[k],
    };
    if !demote.is_empty() {
        tx.execute(
            "UPDATE versions SET is_current = false WHERE seq = ANY($1)",
            &[&demote],
        )
        .await?;
    }

    // COPY (binary) rather than an INSERT: the server writes the rows in bulk.
    let mut copy = CopyIn::start(tx, COPY_VERSIONS, VERSION_TYPES).await?;
    for (k, v) in new.iter().enumerate() {
        let r = &rows[v.row];
        let replaces = v.replaces.map(seq_of);
        copy.row(&[
            &seqs[k],
            &r.id,
            &r.ty,
            &r.version,
            &r.version_ns,
            &r.created,
            &r.modified,
            &r.spec_version,
            &r.created_by_ref,
            &r.revoked,
            &r.confidence,
            &r.lang,
            &v.date_added,
            &v.added_us,
            &v.current,
            &replaces,
            &r.tlp,
            &r.tlp_max,
            &r.json,
        ])
        .await?;
    }
    copy.finish().await?;

    Ok(())
}

/// Deletes every version of `id` with its derived index rows; how many.
pub(crate) async fn delete(tx: &Transaction<'_>, id: &str) -> R<usize> {
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITE_LOCK])
        .await?;
    // The indexer's lock too (after the writers' one, which the indexer never takes): an
    // indexing transaction under way finishes first, and none writes rows of this id
    // after it is gone.
    tx.execute(
        "SELECT pg_advisory_xact_lock($1)",
        &[&crate::indexer::INDEX_LOCK],
    )
    .await?;
    let seqs: Vec<i64> = tx
        .query("DELETE FROM versions WHERE id = $1 RETURNING seq", &[&id])
        .await?
        .into_iter()
        .map(|r| r.get(0))
        .collect();
    if seqs.is_empty() {
        return Ok(0);
    }
    tx.execute("DELETE FROM observables WHERE id = $1", &[&id])
        .await?;
    tx.execute("DELETE FROM refs WHERE source = $1", &[&id])
        .await?;
    tx.execute("DELETE FROM search WHERE id = $1", &[&id])
        .await?;
    Ok(seqs.len())
}
