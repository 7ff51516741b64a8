//! Reading rows: pages of the list, newest first, without OFFSET; full-text search, every word
//! as a prefix, ranked while there are few matches.

use super::order::{Lead, NEWEST_FIRST};
use super::*;
use rusqlite::types::Value;

/// One row of `learnings`, as stored (printed as JSON through [`crate::json::Learning`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Row {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub summary: Option<String>,
    pub tags: Option<String>,
    pub domain: Option<String>,
    /// An integer 1–5; `None` where an old row holds something else.
    pub severity: Option<u8>,
    pub filepath: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    /// Where the row stands under a sort other than newest first, as the index computed it
    /// (set by the page that read it; see [`super::order`]).
    #[serde(skip)]
    pub lead: Option<Lead>,
}

pub(super) const ROW_COLUMNS: &str = "l.id, l.type, l.title, l.summary, l.tags, l.domain, l.severity, l.filepath, l.created_at, l.updated_at";

fn text(v: Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::Integer(i) => Some(i.to_string()),
        Value::Real(f) => Some(f.to_string()),
        Value::Text(s) => Some(s),
        Value::Blob(b) => Some(String::from_utf8_lossy(&b).into_owned()),
    }
}

impl Row {
    pub(super) fn from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
        let severity = match r.get::<_, Value>(6)? {
            Value::Integer(n) => Severity::new(n).map(Severity::get),
            Value::Real(f) => Severity::new(f as i64).map(Severity::get),
            Value::Text(s) => Severity::parse_lenient(&s).map(Severity::get),
            _ => None,
        };
        Ok(Row {
            id: r.get(0)?,
            kind: text(r.get(1)?).unwrap_or_default(),
            title: text(r.get(2)?).unwrap_or_default(),
            summary: text(r.get(3)?),
            tags: text(r.get(4)?),
            domain: text(r.get(5)?),
            severity,
            filepath: text(r.get(7)?).unwrap_or_default(),
            created_at: text(r.get(8)?),
            updated_at: text(r.get(9)?),
            lead: None,
        })
    }

    /// `YYYY-MM-DD` of `created_at`, or blank.
    pub fn date(&self) -> &str {
        self.created_at
            .as_deref()
            .map(|s| s.get(..10).unwrap_or(s))
            .unwrap_or("")
    }
}

/// Which rows `list` shows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub kind: Option<String>,
    pub domain: Option<String>,
    pub severity: Option<u8>,
    /// `YYYY-MM-DD`: rows created on or after that day (UTC).
    pub since: Option<String>,
    /// `YYYY-MM-DD`: rows created before that day (UTC), the day after the one `--until` named.
    pub before: Option<String>,
    /// Rows carrying every one of these tags (ASCII case ignored).
    pub tags: Vec<String>,
}

/// Filters as a caller gives them, in text: the CLI's flags, an MCP tool's arguments.
#[derive(Debug, Clone, Copy, Default)]
pub struct FilterText<'a> {
    pub domain: Option<&'a str>,
    pub kind: Option<&'a str>,
    /// 1–5 or a word (`high`).
    pub severity: Option<&'a str>,
    /// A day (`2026-11-28`, `20261128`, `2026-11-28T09:00`), or one relative to today (UTC):
    /// `today`, `yesterday`, `7d`, `2w`.
    pub since: Option<&'a str>,
    /// The last day included, in the same forms.
    pub until: Option<&'a str>,
    /// Tags every row must carry; a value may hold several, comma-separated.
    pub tags: &'a [String],
}

/// A day as `--since` and `--until` take it, as `YYYY-MM-DD`.
fn day(field: &'static str, given: &str) -> Result<jiff::civil::Date> {
    let t = given.trim().to_ascii_lowercase();
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(jiff::tz::TimeZone::UTC)
        .date();
    let back = |days: i64| today.checked_sub(jiff::Span::new().days(days)).ok();
    let relative = match t.as_str() {
        "today" => Some(today),
        "yesterday" => back(1),
        _ => {
            let (n, unit) = t.split_at(t.len().saturating_sub(1));
            match (n.parse::<i64>(), unit) {
                (Ok(n), "d") if (0..=100_000).contains(&n) => back(n),
                (Ok(n), "w") if (0..=10_000).contains(&n) => back(n * 7),
                _ => None,
            }
        }
    };
    relative
        .or_else(|| t.parse::<jiff::civil::Date>().ok())
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!(
                    "`{}` is not a date; use YYYY-MM-DD, today, yesterday, 7d or 2w",
                    crate::sanitize::display_line(given)
                ),
            )
        })
}

impl Filter {
    /// Checks what was given; an error names the field and what it accepts.
    pub fn parse(given: FilterText<'_>) -> Result<Filter> {
        let severity = given.severity.map(str::parse::<Severity>).transpose()?;
        let kind = given
            .kind
            .map(str::parse::<crate::learning::Kind>)
            .transpose()?;
        // The index compares dates as text (`YYYY-MM-DD HH:MM:SS`), so the day is written the
        // same way whatever form of it was given.
        let ymd = |d: jiff::civil::Date| d.strftime("%Y-%m-%d").to_string();
        let since = given.since.map(|s| day("since", s)).transpose()?;
        let until = given.until.map(|s| day("until", s)).transpose()?;
        if let (Some(a), Some(b)) = (since, until)
            && a > b
        {
            return Err(Error::invalid(
                "until",
                format!("{} is before --since {}", ymd(b), ymd(a)),
            ));
        }
        let before = until.map(|d| {
            d.tomorrow()
                .map(ymd)
                .unwrap_or_else(|_| "9999-12-32".into())
        });
        let mut tags: Vec<String> = Vec::new();
        for t in given.tags.iter().flat_map(|t| t.split(',')).map(str::trim) {
            if t.is_empty() {
                continue;
            }
            if !tags.iter().any(|have| have.eq_ignore_ascii_case(t)) {
                tags.push(t.to_string());
            }
        }
        if !given.tags.is_empty() && tags.is_empty() {
            return Err(Error::invalid("tag", "give a tag's name"));
        }
        Ok(Filter {
            kind: kind.map(|k| k.as_str().to_string()),
            domain: given.domain.map(str::to_string),
            severity: severity.map(|s| s.get()),
            since: since.map(ymd),
            before,
            tags,
        })
    }

    pub(super) fn sql(&self) -> (String, Vec<Value>) {
        let mut clauses = Vec::new();
        let mut args = Vec::new();
        if let Some(k) = &self.kind {
            clauses.push("l.type = ?");
            args.push(Value::Text(k.clone()));
        }
        if let Some(d) = &self.domain {
            clauses.push("l.domain = ? COLLATE NOCASE");
            args.push(Value::Text(d.clone()));
        }
        if let Some(s) = self.severity {
            clauses.push("l.severity = ?");
            args.push(Value::Integer(s.into()));
        }
        if let Some(s) = &self.since {
            clauses.push("l.created_at >= ?");
            args.push(Value::Text(s.clone()));
        }
        if let Some(b) = &self.before {
            clauses.push("l.created_at < ?");
            args.push(Value::Text(b.clone()));
        }
        for t in &self.tags {
            // The column is comma-joined, with a space after each comma in some tools' rows.
            clauses.push(
                "(',' || replace(replace(trim(ifnull(l.tags, '')), ', ', ','), ' ,', ',') || ',') LIKE ? ESCAPE '\\'",
            );
            let escaped = t
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(Value::Text(format!("%,{escaped},%")));
        }
        let sql = if clauses.is_empty() {
            String::new()
        } else {
            format!(" AND {}", clauses.join(" AND "))
        };
        (sql, args)
    }
}

/// Searches with at most this many matches are ranked; broader ones list newest first.
pub const RANKED_MATCHES: u64 = 1_000;

/// (FTS query, filter, `PRAGMA data_version`, own write count).
pub(super) type CountKey = (String, Filter, i64, u64);

/// (what the user typed, `PRAGMA data_version`, own write count).
pub(super) type ExprKey = (String, i64, u64);

/// Turns what a user typed into an FTS5 query: every word must match as a prefix, one letter
/// included; FTS5 syntax characters in the input are treated as text, never as operators.
pub fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = words(input).map(term).collect();
    (!terms.is_empty()).then(|| terms.join(" "))
}

/// The words of a query: split at white space, control characters and ASCII punctuation. `_`
/// stays inside a word: FTS5's tokenizer then reads `snake_case` as the phrase `snake case`,
/// which finds it where it was written.
fn words(input: &str) -> impl Iterator<Item = &str> {
    input
        .split(|c: char| {
            c.is_whitespace() || c.is_control() || (c.is_ascii_punctuation() && c != '_')
        })
        .filter(|w| !w.is_empty())
}

/// The first string after every string that starts with the ASCII `prefix` (its last byte
/// plus one), or `None` when there is no such ASCII string.
fn prefix_end(prefix: &str) -> Option<String> {
    let mut bytes = prefix.as_bytes().to_vec();
    let last = bytes.last_mut()?;
    if !prefix.is_ascii() || *last >= 0x7f {
        return None;
    }
    *last += 1;
    String::from_utf8(bytes).ok()
}

/// One word as a quoted FTS5 prefix term.
fn term(w: &str) -> String {
    format!("\"{}\"*", w.replace('"', ""))
}

/// What can follow the first character of a word FTS5 indexes, for the ASCII letters and
/// digits (the unicode61 tokenizer folds case, and `_` separates words as punctuation does:
/// `"d_"*` would be the unindexed `"d"*` again).
const SECOND: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";

/// A one-letter prefix as the index can answer it at once: the letter as a word, or any of
/// its two-character prefixes, each read from the prefix index (`prefix='2 3'` in the schema).
/// `"l"*` itself has no index of its length, so FTS5 would first merge the posting lists of
/// every word starting with `l`: most of a large store, read before the first row.
///
/// A second character outside ASCII (`lø`) is missed until it is typed; a non-ASCII first
/// letter falls back to the plain prefix.
fn one_letter(w: &str) -> String {
    let lower = w.to_lowercase();
    if lower.len() != 1 || !lower.as_bytes()[0].is_ascii_alphanumeric() {
        return term(w);
    }
    let mut alts = vec![format!("\"{lower}\"")];
    alts.extend(SECOND.iter().map(|&c| format!("\"{lower}{}\"*", c as char)));
    format!("({})", alts.join(" OR "))
}

impl Index {
    /// Every row's file path (blank where it has none) and id.
    pub fn paths_and_ids(&self) -> Result<Vec<(String, i64)>> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT ifnull(filepath, ''), id FROM learnings")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The rows without a file that the user settled (`lore doctor --settle`): id and the
    /// path it was settled with (a row whose path changed since is not settled).
    pub fn settled(&self) -> Result<std::collections::BTreeSet<(i64, String)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.id, s.filepath FROM lore_settled s JOIN learnings l ON l.id = s.id AND l.filepath = s.filepath",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records, inside a write, that row `id` (at `filepath`) has no file and is to be kept
    /// as it is without `lore doctor` reporting it again.
    pub fn settle(tx: &Connection, id: i64, filepath: &str) -> Result<()> {
        tx.execute(
            "INSERT INTO lore_settled (id, filepath, at) VALUES (?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET filepath = excluded.filepath, at = excluded.at",
            rusqlite::params![id, filepath, now_timestamp()],
        )?;
        Ok(())
    }

    /// Rows matching `filter`, newest first.
    pub fn list(&self, filter: &Filter, limit: usize, offset: usize) -> Result<Vec<Row>> {
        let (clause, mut args) = filter.sql();
        args.push(Value::Integer(limit.min(i64::MAX as usize) as i64));
        args.push(Value::Integer(offset as i64));
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM learnings l WHERE 1{clause}
             ORDER BY {NEWEST_FIRST} LIMIT ? OFFSET ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(args), Row::from_sql)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Search results `offset..offset + limit`. Up to [`RANKED_MATCHES`] matches are ranked
    /// (bm25, best first); a broader query lists its matches newest first instead, because
    /// ranking scores every match and would make each keystroke wait on the whole store.
    pub fn search_page(
        &mut self,
        query: &str,
        filter: &Filter,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<Row>> {
        let Some(fts) = self.match_expr(query)? else {
            return Ok(Vec::new());
        };
        let ranked = self.search_count(query, filter)? <= RANKED_MATCHES;
        let (clause, mut args) = filter.sql();
        let mut all = vec![Value::Text(fts)];
        all.append(&mut args);
        all.push(Value::Integer(limit as i64));
        all.push(Value::Integer(offset as i64));
        let order = if ranked { "f.rank" } else { "f.rowid DESC" };
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM lore_fts f JOIN learnings l ON l.id = f.rowid
             WHERE lore_fts MATCH ?{clause} ORDER BY {order} LIMIT ? OFFSET ?"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(rusqlite::params_from_iter(all), Row::from_sql)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many rows match `query` and `filter`, counted up to [`RANKED_MATCHES`] + 1 (more
    /// than that reads as "over 1,000": an exact figure would cost a scan of every match).
    /// A blank query counts every row.
    pub fn search_count(&self, query: &str, filter: &Filter) -> Result<u64> {
        // No word to look for (`*`, `'`, only punctuation): nothing matches, as the page says.
        let Some(fts) = self.match_expr(query)? else {
            return Ok(0);
        };
        // The browser asks for the page and the count of the same query at once; the answer
        // holds until anything (this connection or another) writes.
        let key = (fts, filter.clone(), self.data_version()?, self.writes.get());
        if let Some((k, n)) = &*self.last_count.borrow()
            && *k == key
        {
            return Ok(*n);
        }
        let fts = key.0.clone();
        let (clause, mut args) = filter.sql();
        let mut all = vec![Value::Text(fts)];
        all.append(&mut args);
        all.push(Value::Integer(RANKED_MATCHES as i64 + 1));
        let sql = format!(
            "SELECT count(*) FROM (SELECT 1 FROM lore_fts f JOIN learnings l ON l.id = f.rowid
             WHERE lore_fts MATCH ?{clause} LIMIT ?)"
        );
        let n = self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(all), |r| {
                r.get::<_, i64>(0)
            })? as u64;
        *self.last_count.borrow_mut() = Some((key, n));
        Ok(n)
    }

    /// The FTS5 expression for what the user typed (see [`fts_query`]), with each word of four
    /// characters or more expanded to the indexed words it is a prefix of, when there are few,
    /// and a word of one letter spelled out as its two-letter prefixes ([`one_letter`]).
    ///
    /// FTS5 answers a prefix with no prefix index of its length by merging the posting lists
    /// of every matching word up front, slow in a large store; an OR of a few words is merged
    /// lazily, so a capped count or a first page stops early (BENCHMARKS.md, "Measurements behind the code").
    fn match_expr(&self, input: &str) -> Result<Option<String>> {
        // The browser asks for a page and a count of the same query: expand it once.
        let key = (input.to_string(), self.data_version()?, self.writes.get());
        if let Some((k, expr)) = &*self.last_expr.borrow()
            && *k == key
        {
            return Ok(expr.clone());
        }
        let expr = self.expand(input)?;
        *self.last_expr.borrow_mut() = Some((key, expr.clone()));
        Ok(expr)
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    fn expand(&self, input: &str) -> Result<Option<String>> {
        const MAX_EXPANSION: usize = 32;
        let mut parts = Vec::new();
        for word in words(input) {
            let lower = word.to_lowercase();
            if lower.chars().count() == 1 {
                parts.push(one_letter(word));
                continue;
            }
            if lower.chars().count() < 4 || !lower.is_ascii() {
                parts.push(term(word));
                continue;
            }
            let Some(upper) = prefix_end(&lower) else {
                parts.push(term(word));
                continue;
            };
            let found =
                crate::index::terms::in_range(&self.conn, &lower, &upper, MAX_EXPANSION + 1)?;
            parts.push(match found.len() {
                // No indexed word starts so: an exact term that cannot match, answered at once.
                0 => format!("\"{}\"", lower.replace('"', "")),
                n if n <= MAX_EXPANSION => {
                    let alts: Vec<String> = found
                        .iter()
                        .map(|t| format!("\"{}\"", t.replace('"', "")))
                        .collect();
                    format!("({})", alts.join(" OR "))
                }
                _ => term(word),
            });
        }
        Ok((!parts.is_empty()).then(|| parts.join(" AND ")))
    }

    pub fn count(&self, filter: &Filter) -> Result<u64> {
        let (clause, args) = filter.sql();
        let sql = format!("SELECT count(*) FROM learnings l WHERE 1{clause}");
        Ok(self
            .conn
            .query_row(&sql, rusqlite::params_from_iter(args), |r| {
                r.get::<_, i64>(0)
            })? as u64)
    }

    pub fn get(&self, id: i64) -> Result<Option<Row>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM learnings l WHERE l.id = ?"),
                [id],
                Row::from_sql,
            )
            .optional()?)
    }

    /// The learning that was at `old_path` before a sync or a commit moved it elsewhere (its
    /// row kept), if it is still indexed: a path `lore record` printed goes on naming it.
    pub fn moved_from(&self, old_path: &str) -> Result<Option<Row>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM lore_moves m JOIN learnings l ON l.id = m.id WHERE m.old_path = ?1 AND l.filepath != ?1"),
                [old_path],
                Row::from_sql,
            )
            .optional()?)
    }

    pub fn get_by_path(&self, filepath: &str) -> Result<Option<Row>> {
        Ok(self
            .conn
            .query_row(
                &format!("SELECT {ROW_COLUMNS} FROM learnings l WHERE l.filepath = ? ORDER BY l.id DESC LIMIT 1"),
                [filepath],
                Row::from_sql,
            )
            .optional()?)
    }

    /// Full-text search over title, summary, tags, domain and the markdown body; best first
    /// (newest first when over [`RANKED_MATCHES`] rows match).
    /// Every word of `query` must match, each as a prefix (`lock cont` finds "lock contention").
    pub fn search(&mut self, query: &str, filter: &Filter, limit: usize) -> Result<Vec<Row>> {
        self.catch_up()?;
        self.search_page(query, filter, 0, limit)
    }

    /// The domains present, most used first.
    pub fn domains(&self) -> Result<Vec<(String, u64)>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT domain, count(*) FROM learnings WHERE domain IS NOT NULL AND domain != ''
             GROUP BY domain ORDER BY count(*) DESC, domain",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_query_quotes_every_word() {
        assert_eq!(
            fts_query("lock cont").as_deref(),
            Some("\"lock\"* \"cont\"*")
        );
        assert_eq!(fts_query("a lock").as_deref(), Some("\"a\"* \"lock\"*"));
        assert_eq!(
            fts_query("ab\"cd OR -ef").as_deref(),
            Some("\"ab\"* \"cd\"* \"OR\"* \"ef\"*")
        );
        assert_eq!(fts_query("  ** "), None);
    }

    #[test]
    fn one_letter_is_every_word_it_starts() {
        let q = one_letter("L");
        assert!(q.starts_with("(\"l\" OR \"la\"* OR \"lb\"*"), "{q}");
        assert!(q.ends_with(" OR \"l8\"* OR \"l9\"*)"), "{q}");
        assert_eq!(one_letter("ж"), "\"ж\"*");
    }

    #[test]
    fn prefix_ends_bound_exactly_the_words_they_start() {
        assert_eq!(prefix_end("depl").as_deref(), Some("depm"));
        assert_eq!(prefix_end("abc~").as_deref(), Some("abc\u{7f}"));
        assert_eq!(prefix_end("abc\u{7f}"), None);
        assert_eq!(prefix_end("café"), None);
        assert_eq!(prefix_end(""), None);
        assert_eq!(
            words("ab\u{7f}cd\u{1}ef gh").collect::<Vec<_>>(),
            ["ab", "cd", "ef", "gh"]
        );
    }

    #[test]
    fn paths_stay_inside() {
        let root = Path::new("/s");
        assert!(resolve_inside(root, "memory/failures/a.md").is_some());
        assert!(resolve_inside(root, "../etc/passwd").is_none());
        assert!(resolve_inside(root, "/etc/passwd").is_none());
        assert!(resolve_inside(root, "memory/../../x").is_none());
    }
}
