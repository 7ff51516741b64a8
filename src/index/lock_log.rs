//! The lock's history, `lock_events`: every acquisition, what the lock inspector charts.

use super::*;
use rusqlite::params;

/// One lock acquisition (or failure to acquire), for `lock_events`.
#[derive(Debug, Clone)]
pub struct LockEventRow<'a> {
    pub operation: &'a str,
    pub waited: Duration,
    pub held: Option<Duration>,
    pub outcome: &'a str,
}

/// One row of `lock_events`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockEventView {
    /// When the lock was asked for, in UTC as SQLite's `CURRENT_TIMESTAMP` writes times (rows
    /// an older lore logged hold the release time); RFC 3339 in JSON.
    #[serde(serialize_with = "crate::clock::serialize_rfc3339")]
    pub at: String,
    pub pid: i64,
    pub host: String,
    pub operation: String,
    pub waited_ms: i64,
    pub held_ms: Option<i64>,
    pub outcome: String,
}

impl LockEventView {
    /// From `SELECT at, pid, host, operation, waited_ms, held_ms, outcome`.
    pub(super) fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<LockEventView> {
        Ok(LockEventView {
            at: r.get(0)?,
            pid: r.get(1)?,
            host: r.get(2)?,
            operation: r.get(3)?,
            waited_ms: r.get(4)?,
            held_ms: r.get(5)?,
            outcome: r.get(6)?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockStats {
    /// The latest asked for first (by `at`, then as logged), at most 200.
    pub recent: Vec<LockEventView>,
    /// `(YYYY-MM-DD, count)`, newest day first.
    pub timeouts_per_day: Vec<(String, u64)>,
    pub longest_holds: Vec<LockEventView>,
}

impl Index {
    /// Logs an acquisition once it is over (released, timed out or cancelled). Its `at` is
    /// when the lock was asked for, worked back from how long it was waited for and held:
    /// the inspector lists acquisitions by when they began, not by when they ended.
    pub fn log_lock_event(&self, e: &LockEventRow<'_>) -> Result<()> {
        self.log_lock_event_of(std::process::id(), e)
    }

    /// [`Index::log_lock_event`] for the writer `pid` on this host: a writer whose queued
    /// record the holder saved, logged by the holder with that writer's own wait.
    pub fn log_lock_event_of(&self, pid: u32, e: &LockEventRow<'_>) -> Result<()> {
        let took = e.waited + e.held.unwrap_or_default();
        let asked = jiff::Timestamp::now()
            .checked_sub(jiff::SignedDuration::try_from(took).unwrap_or_default())
            .unwrap_or_else(|_| jiff::Timestamp::now());
        self.conn.execute(
            "INSERT INTO lock_events (at, pid, host, operation, waited_ms, held_ms, outcome)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
            params![
                asked.strftime("%Y-%m-%d %H:%M:%S").to_string(),
                pid,
                crate::lock::hostname(),
                e.operation,
                e.waited.as_millis() as i64,
                e.held.map(|h| h.as_millis() as i64),
                e.outcome
            ],
        )?;
        Ok(())
    }

    /// What the lock inspector charts, from `lock_events`.
    pub fn lock_stats(&self) -> Result<LockStats> {
        let recent = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT at, pid, host, operation, waited_ms, held_ms, outcome FROM lock_events
                 ORDER BY at DESC, id DESC LIMIT 200",
            )?;
            stmt.query_map([], LockEventView::from_sql)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let timeouts_per_day = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT substr(at, 1, 10) AS day, count(*) FROM lock_events
                 WHERE outcome = 'timeout' GROUP BY day ORDER BY day DESC LIMIT 14",
            )?;
            stmt.query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?
        };
        let longest_holds = {
            let mut stmt = self.conn.prepare_cached(
                "SELECT at, pid, host, operation, waited_ms, held_ms, outcome FROM lock_events
                 WHERE held_ms IS NOT NULL ORDER BY held_ms DESC LIMIT 5",
            )?;
            stmt.query_map([], LockEventView::from_sql)?
                .collect::<rusqlite::Result<Vec<_>>>()?
        };
        Ok(LockStats {
            recent,
            timeouts_per_day,
            longest_holds,
        })
    }
}
