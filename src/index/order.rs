//! The orders the list is read in, a page at a time without OFFSET (which would scan every
//! skipped row: far too slow at a million learnings): newest first, or by severity or domain
//! and newest first within each. Each order has an index of its own whose expressions the
//! queries repeat exactly (`schema.rs`), so a page anywhere in the list is a seek.

use super::*;
use rusqlite::types::Value;

/// "Newest first": the order of `lore list` and the browser, served by the index
/// `lore_learnings_order` (the expression must match it exactly). Old rows without a
/// `created_at` sort last.
pub(super) const NEWEST_FIRST: &str = "ifnull(l.created_at, '') DESC, l.id DESC";

/// [`NEWEST_FIRST`] reversed, for the pages read backwards.
const OLDEST_FIRST: &str = "ifnull(l.created_at, '') ASC, l.id ASC";

/// Rows after a key in newest-first order (its date and id: [`date_and_id`]). The date is
/// bounded on its own as well as in the row value: SQLite seeks to that bound, where the row
/// value alone had it walk the index from the top (BENCHMARKS.md, "Sorting the list").
const OLDER_THAN_KEY: &str =
    "ifnull(l.created_at, '') <= ? AND (ifnull(l.created_at, ''), l.id) < (?, ?)";

/// Rows before a key in newest-first order, bounded as [`OLDER_THAN_KEY`] is.
const NEWER_THAN_KEY: &str =
    "ifnull(l.created_at, '') >= ? AND (ifnull(l.created_at, ''), l.id) > (?, ?)";

/// The parameters of [`OLDER_THAN_KEY`] and [`NEWER_THAN_KEY`] for `k`.
fn date_and_id(k: &Key) -> [Value; 3] {
    [
        Value::Text(k.created.clone()),
        Value::Text(k.created.clone()),
        Value::Integer(k.id),
    ]
}

/// The severity a row sorts by: its number, 0 (last) for none or a word. Served by
/// `lore_learnings_severity`.
const SEVERITY: &str = "coalesce(CAST(l.severity AS INTEGER), 0)";

/// The domain a row sorts by, as text (a number another tool stored sorts among the words;
/// rows without one first). Served by `lore_learnings_domain`.
const DOMAIN: &str = "CAST(ifnull(l.domain, '') AS TEXT)";

/// The order the list is in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Sort {
    #[default]
    Newest,
    /// Most severe first, newest first within a severity.
    Severity,
    /// Domains A to Z, newest first within a domain.
    Domain,
}

impl Sort {
    /// The next order, round: newest, severity, domain.
    pub fn next(self) -> Sort {
        match self {
            Sort::Newest => Sort::Severity,
            Sort::Severity => Sort::Domain,
            Sort::Domain => Sort::Newest,
        }
    }

    /// How a title says it: "newest first", "by severity, then newest first"…
    pub fn describe(self) -> &'static str {
        match self {
            Sort::Newest => "newest first",
            Sort::Severity => "most severe first, then newest",
            Sort::Domain => "by domain, then newest",
        }
    }

    fn lead(self) -> Option<&'static str> {
        match self {
            Sort::Newest => None,
            Sort::Severity => Some(SEVERITY),
            Sort::Domain => Some(DOMAIN),
        }
    }
}

/// The value a row sorts by ahead of its date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lead {
    Severity(i64),
    Domain(String),
}

/// A row's place in its order, for paging without OFFSET.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Key {
    /// `None` newest first.
    pub lead: Option<Lead>,
    pub created: String,
    pub id: i64,
}

/// Where a page starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// The first rows of the order.
    First,
    /// The last rows.
    Last,
    /// Rows after this key.
    After(Key),
    /// Rows before this key.
    Before(Key),
}

impl Row {
    /// Where this row stands in the order of the page that read it.
    pub fn key(&self) -> Key {
        Key {
            lead: self.lead.clone(),
            created: self.created_at.clone().unwrap_or_default(),
            id: self.id,
        }
    }
}

impl Index {
    /// Up to `limit` rows matching `filter` next to `anchor` in `sort`'s order, always
    /// returned in that order.
    pub fn page(
        &self,
        filter: &Filter,
        sort: Sort,
        anchor: &Anchor,
        limit: usize,
    ) -> Result<Vec<Row>> {
        let Some(lead) = sort.lead() else {
            return self.newest_page(filter, anchor, limit);
        };
        let (clause, args) = filter.sql();
        // Severity runs high to low and domains A to Z; the date and id run newest first in
        // both. Forward pages read the order as it is, backward pages (and the last page)
        // read it reversed and turn the rows round.
        let desc = sort == Sort::Severity;
        let (ahead, back) = if desc {
            ("DESC", "ASC")
        } else {
            ("ASC", "DESC")
        };
        let forward = format!("{lead} {ahead}, {NEWEST_FIRST}");
        let backward = format!("{lead} {back}, {OLDEST_FIRST}");
        let select = |seek: &str, order: &str| {
            format!(
                "SELECT {ROW_COLUMNS}, {lead} FROM learnings l WHERE 1{clause}{seek} ORDER BY {order} LIMIT ?"
            )
        };
        let lead_of = |k: &Key| match &k.lead {
            Some(Lead::Severity(n)) => Value::Integer(*n),
            Some(Lead::Domain(d)) => Value::Text(d.clone()),
            // A key from another order: the start of this one.
            None if desc => Value::Integer(i64::MAX),
            None => Value::Text(String::new()),
        };
        let run = |sql: String, params: Vec<Value>| -> Result<Vec<Row>> {
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(rusqlite::params_from_iter(params), |r| {
                let mut row = Row::from_sql(r)?;
                row.lead = Some(match r.get::<_, Value>(10)? {
                    Value::Integer(n) => Lead::Severity(n),
                    Value::Text(t) => Lead::Domain(t),
                    other => Lead::Domain(format!("{other:?}")),
                });
                Ok(row)
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        };
        let with = |extra: Vec<Value>| -> Vec<Value> {
            let mut all = args.clone();
            all.extend(extra);
            all
        };
        let limit_v = Value::Integer(limit as i64);
        let mut rows = match anchor {
            Anchor::First => run(select("", &forward), with(vec![limit_v]))?,
            Anchor::Last => run(select("", &backward), with(vec![limit_v]))?,
            Anchor::After(k) | Anchor::Before(k) => {
                // The rest of the key's own lead (an equality and a range on the index), then
                // the leads past it: two seeks, never a scan from the start. Within one lead
                // the order names only the date and id (the lead is fixed: naming it makes
                // SQLite sort the whole lead).
                let (same, within, past, order) = if matches!(anchor, Anchor::After(_)) {
                    let past = if desc { "<" } else { ">" };
                    (OLDER_THAN_KEY, NEWEST_FIRST, past, &forward)
                } else {
                    let past = if desc { ">" } else { "<" };
                    (NEWER_THAN_KEY, OLDEST_FIRST, past, &backward)
                };
                let lead_v = lead_of(k);
                let mut params = vec![lead_v.clone()];
                params.extend(date_and_id(k));
                params.push(limit_v.clone());
                let mut near = run(
                    select(&format!(" AND {lead} = ? AND {same}"), within),
                    with(params),
                )?;
                if near.len() < limit {
                    let more = (limit - near.len()) as i64;
                    near.extend(run(
                        select(&format!(" AND {lead} {past} ?"), order),
                        with(vec![lead_v, Value::Integer(more)]),
                    )?);
                }
                near
            }
        };
        if matches!(anchor, Anchor::Last | Anchor::Before(_)) {
            rows.reverse();
        }
        Ok(rows)
    }

    /// [`Index::page`] newest first.
    fn newest_page(&self, filter: &Filter, anchor: &Anchor, limit: usize) -> Result<Vec<Row>> {
        let (clause, mut args) = filter.sql();
        let (seek, order, reverse) = match anchor {
            Anchor::First => (String::new(), NEWEST_FIRST, false),
            Anchor::Last => (String::new(), OLDEST_FIRST, true),
            Anchor::After(_) => (format!(" AND {OLDER_THAN_KEY}"), NEWEST_FIRST, false),
            Anchor::Before(_) => (format!(" AND {NEWER_THAN_KEY}"), OLDEST_FIRST, true),
        };
        if let Anchor::After(k) | Anchor::Before(k) = anchor {
            args.extend(date_and_id(k));
        }
        args.push(Value::Integer(limit as i64));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM learnings l WHERE 1{clause}{seek} ORDER BY {order} LIMIT ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut rows: Vec<Row> = stmt
            .query_map(rusqlite::params_from_iter(args), Row::from_sql)?
            .collect::<rusqlite::Result<_>>()?;
        if reverse {
            rows.reverse();
        }
        Ok(rows)
    }
}
