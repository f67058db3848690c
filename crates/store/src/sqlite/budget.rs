//! The time budget of a listing query: SQLite's progress handler, called every few
//! thousand virtual-machine steps, interrupts the statement once the budget is spent, and
//! the interruption comes back as [`StoreError::Budget`].

use std::time::{Duration, Instant};

use rusqlite::{Connection, ErrorCode};

use crate::StoreError;

/// Virtual-machine steps between two looks at the clock (a few tens of microseconds of
/// work: the look costs well under 1 % of it).
const STEPS: i32 = 10_000;

/// Runs `f` on `c`, interrupted once it ran longer than `budget` (no limit for `None`).
pub(super) fn within<T>(
    c: &mut Connection,
    budget: Option<Duration>,
    f: impl FnOnce(&Connection) -> Result<T, StoreError>,
) -> Result<T, StoreError> {
    let Some(budget) = budget else {
        return f(c);
    };
    let deadline = Instant::now() + budget;
    c.progress_handler(STEPS, Some(move || Instant::now() >= deadline))?;
    let result = f(c);
    c.progress_handler(0, None::<fn() -> bool>)?;
    result.map_err(|e| match e {
        StoreError::Database(ref db)
            if db.sqlite_error_code() == Some(ErrorCode::OperationInterrupted) =>
        {
            StoreError::Budget { budget }
        }
        e => e,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A query that would run for minutes is stopped at its budget, with the typed error;
    /// the connection answers the next query normally.
    #[test]
    fn a_long_query_is_stopped_at_its_budget() {
        let mut c = Connection::open_in_memory().unwrap();
        let endless = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) \
                       SELECT count(*) FROM n WHERE i < 0";
        let start = Instant::now();
        let budget = Duration::from_millis(50);
        let r = within(&mut c, Some(budget), |c| {
            Ok(c.query_row(endless, [], |r| r.get::<_, i64>(0))?)
        });
        assert!(
            matches!(r, Err(StoreError::Budget { budget: b }) if b == budget),
            "{r:?}"
        );
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{:?}",
            start.elapsed()
        );
        let one: i64 = within(&mut c, Some(budget), |c| {
            Ok(c.query_row("SELECT 1", [], |r| r.get(0))?)
        })
        .unwrap();
        assert_eq!(one, 1);
        // Without a budget the handler is gone: a long (finite) query runs to its end.
        let n: i64 = within(&mut c, None, |c| {
            Ok(c.query_row(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n LIMIT 200000) \
                 SELECT count(*) FROM n",
                [],
                |r| r.get(0),
            )?)
        })
        .unwrap();
        assert_eq!(n, 200_000);
    }
}
