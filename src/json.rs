//! The JSON contract, version [`CONTRACT`]: the one object a learning is printed as, wherever
//! it is printed (`list`, `search`, `show`, `record`, `export`, `lore mcp`).
//!
//! The index keeps the script's values (`tags` as comma-joined text, times as SQLite's
//! `YYYY-MM-DD HH:MM:SS` in UTC); only output converts, here, so every front end converts the
//! same way. The contract is written down in `docs/JSON.md` and `assets/schema/lore-v1.json`;
//! a change to what this module prints is a change to those and, if it removes or retypes a
//! key, a new contract version.

use serde::Serialize;

pub use crate::clock::rfc3339;
use crate::index::Row;

/// The contract's version, printed by `lore --version --json` (`json_contract`) and by the
/// MCP server's instructions, so a consumer can tell which shape it reads.
pub const CONTRACT: u32 = 1;

/// A learning as JSON. Borrowed from a [`Row`]; only the two times and the tags are built.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Learning<'a> {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: &'a str,
    pub title: &'a str,
    pub summary: Option<&'a str>,
    pub tags: Vec<&'a str>,
    pub domain: Option<&'a str>,
    pub severity: Option<u8>,
    pub filepath: &'a str,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

impl<'a> Learning<'a> {
    pub fn of(row: &'a Row) -> Learning<'a> {
        Learning {
            id: row.id,
            kind: &row.kind,
            title: &row.title,
            summary: row.summary.as_deref(),
            tags: tags(row.tags.as_deref()),
            domain: row.domain.as_deref(),
            severity: row.severity,
            filepath: &row.filepath,
            created_at: row.created_at.as_deref().and_then(rfc3339),
            updated_at: row.updated_at.as_deref().and_then(rfc3339),
        }
    }
}

/// A learning with its markdown, as `show` and `export` print it: `body` is `null` when the
/// file is missing from the work tree.
#[derive(Debug, Clone, Serialize)]
pub struct WithBody<'a> {
    #[serde(flatten)]
    pub learning: Learning<'a>,
    pub body: Option<&'a str>,
}

impl<'a> WithBody<'a> {
    pub fn of(row: &'a Row, body: Option<&'a str>) -> WithBody<'a> {
        WithBody {
            learning: Learning::of(row),
            body,
        }
    }
}

/// What `record --json` and the MCP `record` tool print: the learning as saved, the commit
/// that holds it, and what went wrong beside success (the index could not be updated: it
/// catches up on the next read).
#[derive(Debug, Clone, Serialize)]
pub struct Recorded<'a> {
    #[serde(flatten)]
    pub learning: Learning<'a>,
    /// `None` only where nothing was committed (an edit to the values already there).
    pub commit: Option<&'a str>,
    pub warnings: &'a [String],
}

/// The `tags` column as a list: split on `,`, each trimmed, empty ones dropped; no column, no
/// tags.
pub fn tags(column: Option<&str>) -> Vec<&str> {
    column
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_times_become_rfc3339_in_utc() {
        assert_eq!(
            rfc3339("2026-12-02 21:59:45").as_deref(),
            Some("2026-12-02T21:59:45+00:00")
        );
        assert_eq!(
            rfc3339("2026-12-02T21:59:45.250").as_deref(),
            Some("2026-12-02T21:59:45.25+00:00")
        );
        assert_eq!(
            rfc3339("2026-12-02").as_deref(),
            Some("2026-12-02T00:00:00+00:00")
        );
        // An offset of another tool's is kept as the instant it names.
        assert_eq!(
            rfc3339("2026-12-02T23:59:45+02:00").as_deref(),
            Some("2026-12-02T21:59:45+00:00")
        );
        assert_eq!(
            rfc3339("2026-12-02T21:59:45Z").as_deref(),
            Some("2026-12-02T21:59:45+00:00")
        );
    }

    #[test]
    fn what_is_not_a_time_is_null_not_a_broken_string() {
        for bad in [
            "",
            "yesterday",
            "2026-13-01 00:00:00",
            "12/02/2026",
            "1733176785",
        ] {
            assert_eq!(rfc3339(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn tags_are_split_trimmed_and_empty_ones_dropped() {
        assert_eq!(tags(Some("a, b ,,c,")), ["a", "b", "c"]);
        assert_eq!(tags(Some("")), Vec::<&str>::new());
        assert_eq!(tags(None), Vec::<&str>::new());
        assert_eq!(tags(Some("one tag with spaces")), ["one tag with spaces"]);
    }
}
