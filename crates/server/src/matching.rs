//! The one matching service, used by `concord match`, `POST /api/v1/match` and the web
//! upload: loading the current STIX indicators of the store into a
//! [`concord_matcher::Index`] (once, for the CLI: [`load_index`]) or keeping a
//! [`LiveMatching`] index current (the server), both leaving out indicators flagged by a
//! warning list without an analyst's override; matching a log for a caller
//! ([`match_log`]: only hits on indicators the caller's store shows count, and each
//! sighting is marked with the level of what it sights); storing the sightings through
//! the caller's store ([`store_sightings`]); and the JSON summary.

mod live;

pub use live::{LiveError, LiveMatching};

use concord_matcher::readers::Format;
use concord_matcher::{CompileError, Index, IndicatorInput, MatchReport, Matcher, to_sighting};
use concord_pattern::Timestamp;
use concord_store::import::{DEFAULT_BATCH, ObjectResult, Summary, import_values};
use concord_store::{Store, StoreError};
use serde_json::{Value, json};

/// The index built from the store's current indicators.
#[derive(Debug)]
pub struct LoadedIndex {
    /// The compiled index.
    pub index: Index,
    /// Indicators whose pattern did not compile (they are left out of the index).
    pub compile_errors: Vec<CompileError>,
    /// Indicators read from the store (current versions with a STIX pattern).
    pub indicators: usize,
    /// Indicators left out because a MISP warning list flagged them and no analyst
    /// overrode the flag (`concord_formats::warninglist`).
    pub warninglisted: usize,
}

/// The current time as a pattern timestamp (millisecond precision).
pub fn now() -> Timestamp {
    let text = concord_stix::Timestamp::now_millis();
    Timestamp::parse(&text).unwrap_or_else(|| {
        Timestamp::parse("1970-01-01T00:00:00Z").unwrap_or_else(|| unreachable!())
    })
}

/// The indicator as the matcher takes it, if it has a STIX pattern and a readable
/// `valid_from`.
fn indicator_input(v: &Value) -> Option<IndicatorInput> {
    let pattern_type = v.get("pattern_type").and_then(Value::as_str)?;
    if pattern_type != "stix" {
        return None;
    }
    let ts = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .and_then(Timestamp::parse_lenient)
    };
    Some(IndicatorInput {
        id: v.get("id").and_then(Value::as_str)?.to_owned(),
        pattern: v.get("pattern").and_then(Value::as_str)?.to_owned(),
        valid_from: ts("valid_from")?,
        valid_until: ts("valid_until"),
        revoked: v.get("revoked").and_then(Value::as_bool).unwrap_or(false),
        labels: v
            .get("labels")
            .and_then(Value::as_array)
            .map(|ls| {
                ls.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
    })
}

/// Reads the current indicators of `store` (STIX patterns only) and builds the index as
/// of `now` (indicators not valid at `now`, or revoked, do not match; nor do indicators
/// flagged by a warning list without an analyst's override).
pub fn load_index(store: &dyn Store, now: Timestamp) -> Result<LoadedIndex, StoreError> {
    let mut inputs = Vec::new();
    let mut warninglisted = 0;
    store.for_each_current(&["indicator".into()], &mut |o| {
        let v = o.value();
        if concord_formats::warninglist::excluded(&v) {
            warninglisted += 1;
        } else if let Some(i) = indicator_input(&v) {
            inputs.push(i);
        }
        Ok(())
    })?;
    let (index, compile_errors) = Index::build(&inputs, now);
    Ok(LoadedIndex {
        index,
        compile_errors,
        indicators: inputs.len(),
        warninglisted,
    })
}

/// Matches `log`, read as `format`, for a caller who uses the store as `seen` (their
/// [`concord_store::cleared::ClearedStore`], or the node's store for its own tools):
/// the report, and the sightings [`sightings_by`] makes of it.
///
/// # Errors
/// The store failed while the hits were checked.
pub fn match_log(
    matcher: &Matcher,
    log: impl std::io::BufRead,
    format: &Format,
    seen: &dyn Store,
    identity: Option<&str>,
    now: Timestamp,
) -> Result<(MatchReport, Vec<Value>), StoreError> {
    let mut report = matcher.match_reader(log, format);
    let sightings = sightings_by(&mut report, seen, identity, now)?;
    Ok((report, sightings))
}

/// Stores sightings through `seen`, the caller's store (every write for a caller goes
/// through their clearance); each rejected one goes to `rejected`. Returns the summary.
///
/// # Errors
/// The store failed (the batches committed before stay committed).
pub fn store_sightings(
    seen: &dyn Store,
    sightings: Vec<Value>,
    rejected: &mut dyn FnMut(&ObjectResult),
) -> Result<Summary, StoreError> {
    import_values(seen, sightings, DEFAULT_BATCH, &mut |results| {
        results
            .iter()
            .filter(|r| matches!(r, ObjectResult::Rejected { .. }))
            .for_each(&mut *rejected);
    })
}

/// The report's sightings as STIX, as every front end that matches stores and shows
/// them: hits on an indicator that `store` does not show are dropped from the report
/// (a caller's [`concord_store::cleared::ClearedStore`] shows only the indicators its
/// clearance sees whole, so matching is no oracle for the others), and each sighting is
/// marked with the TLP level of what it sights, object and granular markings included
/// (`concord_stix::visibility::highest_level`), so that it is never seen by a reader who
/// may not see its indicator. `identity` (the node's identity id) becomes
/// `where_sighted_refs`; without it the property is left out.
pub fn sightings_by(
    report: &mut MatchReport,
    store: &dyn Store,
    identity: Option<&str>,
    now: Timestamp,
) -> Result<Vec<Value>, StoreError> {
    let mut levels = Vec::with_capacity(report.sightings.len());
    let mut kept = Vec::with_capacity(report.sightings.len());
    for d in std::mem::take(&mut report.sightings) {
        if let Some(indicator) = store.get(&d.indicator_id)? {
            levels.push(concord_stix::visibility::highest_level(&indicator.value()));
            kept.push(d);
        }
    }
    report.sightings = kept;
    Ok(report
        .sightings
        .iter()
        .zip(levels)
        .map(|(d, level)| {
            let mut s = to_sighting(d, identity.unwrap_or(""), now);
            if let Some(o) = s.as_object_mut() {
                if identity.is_none() {
                    o.remove("where_sighted_refs");
                }
                if level > concord_stix::Tlp::Clear {
                    o.insert("object_marking_refs".into(), json!([level.marking_id()]));
                }
            }
            s
        })
        .collect())
}

/// The report as JSON: counts, the listed malformed lines, indicators hit, and how many
/// sightings were written.
pub fn summary(report: &MatchReport, sightings_written: usize) -> Value {
    let errors: Vec<Value> = report
        .errors
        .iter()
        .map(|e| json!({ "line": e.line, "message": e.kind.to_string() }))
        .collect();
    json!({
        "lines": report.records,
        "observations": report.observations,
        "malformed": report.malformed,
        "errors": errors,
        "indicators_hit": report.sightings.len(),
        "sightings_written": sightings_written,
    })
}
