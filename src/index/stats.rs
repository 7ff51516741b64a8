//! `lore stats`: what a store holds, counted, and how contended its lock has been.

use super::*;
use rusqlite::types::Value;

/// A count of learnings by one column's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    /// The value: a domain, a type, a severity, a month (`YYYY-MM`); `null` for rows without.
    pub value: Option<String>,
    pub count: u64,
}

/// Waits for the lock, in milliseconds, over the acquisitions counted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Waits {
    pub p50: u64,
    pub p99: u64,
    pub max: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LockContention {
    /// Acquisitions logged in the period, timeouts and cancellations included.
    pub acquisitions: u64,
    pub timeouts: u64,
    pub waits_ms: Waits,
    /// The longest holds, longest first (at most 5).
    pub longest_holders: Vec<LockEventView>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub learnings: u64,
    pub by_type: Vec<Count>,
    pub by_severity: Vec<Count>,
    /// Most first.
    pub by_domain: Vec<Count>,
    /// Oldest first.
    pub by_month: Vec<Count>,
    pub lock: LockContention,
}

impl Index {
    /// Counts of the learnings `filter` selects, and the lock's contention over the same days
    /// (its `since` and `until`; every logged acquisition when it has none).
    pub fn stats(&self, filter: &Filter) -> Result<Stats> {
        let (clause, args) = filter.sql();
        let counts = |expr: &str, order: &str| -> Result<Vec<Count>> {
            let sql = format!(
                "SELECT {expr} AS v, count(*) AS n FROM learnings l WHERE 1{clause} GROUP BY v ORDER BY {order}"
            );
            let mut stmt = self.conn.prepare(&sql)?;
            let rows = stmt
                .query_map(rusqlite::params_from_iter(args.iter()), |r| {
                    let value = match r.get::<_, Value>(0)? {
                        Value::Null => None,
                        Value::Integer(i) => Some(i.to_string()),
                        Value::Real(f) => Some(f.to_string()),
                        Value::Text(t) => Some(t),
                        Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
                    };
                    Ok(Count {
                        value,
                        count: r.get::<_, i64>(1)? as u64,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        };
        let by_type = counts("l.type", "n DESC, v")?;
        let by_severity = counts("l.severity", "v DESC")?;
        let by_domain = counts("l.domain", "n DESC, v")?;
        let by_month = counts("substr(l.created_at, 1, 7)", "v")?;
        let learnings = by_type.iter().map(|c| c.count).sum();
        Ok(Stats {
            learnings,
            by_type,
            by_severity,
            by_domain,
            by_month,
            lock: self.contention(filter.since.as_deref(), filter.before.as_deref())?,
        })
    }

    fn contention(&self, since: Option<&str>, before: Option<&str>) -> Result<LockContention> {
        let period = "at >= ifnull(?1, '') AND (?2 IS NULL OR at < ?2)";
        let mut stmt = self.conn.prepare(&format!(
            "SELECT waited_ms, outcome FROM lock_events WHERE {period} ORDER BY waited_ms"
        ))?;
        let mut waits = Vec::new();
        let mut timeouts = 0;
        for row in stmt.query_map(rusqlite::params![since, before], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
        })? {
            let (waited, outcome) = row?;
            waits.push(waited.max(0) as u64);
            if outcome == "timeout" {
                timeouts += 1;
            }
        }
        // Nearest rank: the smallest wait at least `p` of the acquisitions did not exceed.
        let rank = |p: f64| -> u64 {
            if waits.is_empty() {
                return 0;
            }
            let i = ((p * waits.len() as f64).ceil() as usize).clamp(1, waits.len()) - 1;
            waits[i]
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT at, pid, host, operation, waited_ms, held_ms, outcome FROM lock_events
             WHERE {period} AND held_ms IS NOT NULL ORDER BY held_ms DESC LIMIT 5"
        ))?;
        let longest_holders = stmt
            .query_map(rusqlite::params![since, before], LockEventView::from_sql)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(LockContention {
            acquisitions: waits.len() as u64,
            timeouts,
            waits_ms: Waits {
                p50: rank(0.50),
                p99: rank(0.99),
                max: waits.last().copied().unwrap_or(0),
            },
            longest_holders,
        })
    }
}
