//! The words the search index holds, kept in a plain table so that a prefix the user is typing
//! can be expanded to them at once.
//!
//! FTS5 answers "which indexed words start with `depl`" through `fts5vocab`, which also counts
//! the documents of every word it lists by reading each one's whole posting list: in a large
//! store longer than the search itself (BENCHMARKS.md, "Measurements behind the code"). `lore_terms` holds just the
//! words, so the same question is a range scan of a small B-tree.
//!
//! The words come from FTS5's own tokenizer, called with the arguments of `lore_fts`, so they
//! are exactly the terms FTS5 stores (case folded, diacritics removed): a search expanded from
//! this table finds what a prefix query would. Only words of four bytes or more are kept (the
//! search expands nothing shorter). Words of deleted rows stay: a word that matches nothing
//! costs one empty lookup in the expanded query, never a missed result.

use std::collections::HashSet;
use std::ffi::{CStr, c_char, c_int, c_void};

use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, ffi};

use crate::error::IndexFailure;
use crate::error::{Error, Result};

/// The tokenizer of `lore_fts` and its arguments, as in the table's `tokenize=` option.
const TOKENIZER: &CStr = c"unicode61";
const TOKENIZER_ARGS: [&CStr; 2] = [c"remove_diacritics", c"2"];

/// Words shorter than this (in bytes) are never looked up, so never kept.
pub const MIN_BYTES: usize = 4;

pub const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS lore_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
";

/// The distinct words FTS5 makes of `texts`, of at least [`MIN_BYTES`] bytes.
pub fn words(conn: &Connection, texts: &[&str]) -> Result<HashSet<String>> {
    let tokenizer = Tokenizer::new(conn)?;
    let mut found = HashSet::new();
    for text in texts {
        tokenizer.tokenize(text, &mut found)?;
    }
    Ok(found)
}

/// Adds the words of `texts` to `lore_terms` (inside the caller's transaction).
pub fn add(conn: &Connection, texts: &[&str]) -> Result<()> {
    let found = words(conn, texts)?;
    if found.is_empty() {
        return Ok(());
    }
    // One statement for all of them: a few hundred lookups in SQLite's B-tree, most of which
    // find the word already there.
    let list = serde_json::to_string(&found).expect("strings serialise");
    conn.prepare_cached("INSERT OR IGNORE INTO lore_terms (term) SELECT value FROM json_each(?)")?
        .execute([list])?;
    Ok(())
}

/// Fills `lore_terms` from the search index itself (for an index made before the table
/// existed). Reads every word's posting list once: seconds at a million learnings, once.
pub fn fill_from_index(conn: &Connection) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO lore_terms (term)
         SELECT term FROM lore_fts_vocab WHERE length(CAST(term AS BLOB)) >= ?",
        [MIN_BYTES as i64],
    )?;
    Ok(())
}

/// The indexed words from `lower` (inclusive) to `upper` (exclusive), in order, at most `limit`.
pub fn in_range(conn: &Connection, lower: &str, upper: &str, limit: usize) -> Result<Vec<String>> {
    let mut stmt = conn.prepare_cached(
        "SELECT term FROM lore_terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?",
    )?;
    let rows = stmt.query_map(rusqlite::params![lower, upper, limit as i64], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An instance of FTS5's tokenizer, created through the connection's `fts5_api` and deleted on
/// drop. It must not outlive the connection it came from (it only borrows it here).
struct Tokenizer<'c> {
    api: ffi::fts5_tokenizer,
    instance: *mut ffi::Fts5Tokenizer,
    _conn: std::marker::PhantomData<&'c Connection>,
}

impl<'c> Tokenizer<'c> {
    fn new(conn: &'c Connection) -> Result<Tokenizer<'c>> {
        // Only a lore linked against an SQLite without FTS5 gets here (the bundled one has it).
        let unavailable = |what| Error::Index(IndexFailure::NoTokenizer { what });
        // SQLite hands out its FTS5 interface through a pointer bound to `SELECT fts5(?)`.
        let mut fts5: *mut ffi::fts5_api = std::ptr::null_mut();
        let slot = ToSqlOutput::Pointer((
            (&mut fts5 as *mut *mut ffi::fts5_api).cast::<c_void>(),
            c"fts5_api_ptr",
            None,
        ));
        conn.query_row("SELECT fts5(?)", [slot], |_| Ok(()))?;
        if fts5.is_null() {
            return Err(unavailable("no fts5_api"));
        }
        let mut user_data: *mut c_void = std::ptr::null_mut();
        let mut api = ffi::fts5_tokenizer {
            xCreate: None,
            xDelete: None,
            xTokenize: None,
        };
        // SAFETY: `fts5` is the live connection's FTS5 interface (non-null, checked above); the
        // out-pointers are valid locals.
        let rc = unsafe {
            let find = (*fts5)
                .xFindTokenizer
                .ok_or_else(|| unavailable("no xFindTokenizer"))?;
            find(fts5, TOKENIZER.as_ptr(), &mut user_data, &mut api)
        };
        if rc != ffi::SQLITE_OK {
            return Err(unavailable("unicode61 not found"));
        }
        let create = api.xCreate.ok_or_else(|| unavailable("no xCreate"))?;
        let mut args: Vec<*const c_char> = TOKENIZER_ARGS.iter().map(|a| a.as_ptr()).collect();
        let mut instance: *mut ffi::Fts5Tokenizer = std::ptr::null_mut();
        // SAFETY: `create` came from the tokenizer module found above, with its own user data;
        // the arguments are NUL-terminated strings that outlive the call.
        let rc = unsafe {
            create(
                user_data,
                args.as_mut_ptr(),
                args.len() as c_int,
                &mut instance,
            )
        };
        if rc != ffi::SQLITE_OK || instance.is_null() {
            return Err(unavailable("unicode61 could not be created"));
        }
        Ok(Tokenizer {
            api,
            instance,
            _conn: std::marker::PhantomData,
        })
    }

    fn tokenize(&self, text: &str, into: &mut HashSet<String>) -> Result<()> {
        let Some(tokenize) = self.api.xTokenize else {
            return Err(Error::Index(IndexFailure::NoTokenizer {
                what: "no xTokenize",
            }));
        };
        let Ok(len) = c_int::try_from(text.len()) else {
            return Err(Error::Index(IndexFailure::TooLongToTokenize));
        };
        // SAFETY: `instance` is live until drop; the text pointer and length describe `text`,
        // which outlives the call; the callback only reads the token it is given and writes to
        // the set passed as its context.
        let rc = unsafe {
            tokenize(
                self.instance,
                (into as *mut HashSet<String>).cast::<c_void>(),
                ffi::FTS5_TOKENIZE_DOCUMENT,
                text.as_ptr().cast::<c_char>(),
                len,
                Some(on_token),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(Error::Index(IndexFailure::TokenizerFailed { code: rc }));
        }
        Ok(())
    }
}

impl Drop for Tokenizer<'_> {
    fn drop(&mut self) {
        if let Some(delete) = self.api.xDelete {
            // SAFETY: created by this module's xCreate and deleted exactly once.
            unsafe { delete(self.instance) };
        }
    }
}

/// Called by the tokenizer for each token: keeps the long enough ones.
unsafe extern "C" fn on_token(
    ctx: *mut c_void,
    _flags: c_int,
    token: *const c_char,
    len: c_int,
    _start: c_int,
    _end: c_int,
) -> c_int {
    let Ok(len) = usize::try_from(len) else {
        return ffi::SQLITE_OK;
    };
    if len < MIN_BYTES || token.is_null() {
        return ffi::SQLITE_OK;
    }
    // SAFETY: `ctx` is the `HashSet` passed to xTokenize by `Tokenizer::tokenize`, and
    // `token` points at `len` bytes that stay valid for this call.
    let (set, bytes) = unsafe {
        (
            &mut *ctx.cast::<HashSet<String>>(),
            std::slice::from_raw_parts(token.cast::<u8>(), len),
        )
    };
    // Tokens of UTF-8 text are UTF-8; the index stores the same bytes either way.
    if let Ok(word) = std::str::from_utf8(bytes)
        && !set.contains(word)
    {
        set.insert(word.to_owned());
    }
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The words of this module's tokenizer are exactly the terms FTS5 stores for the same
    /// text in a table declared like `lore_fts`.
    #[test]
    fn words_are_the_terms_fts5_indexes() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5(a, b, tokenize='unicode61 remove_diacritics 2');
             CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row');",
        )
        .unwrap();
        let texts = [
            "Déploiement ÉCHOUÉ: the CI_runner's lock-file (claude-lock) timed out",
            "Straße, naïve café, Ångström; ДЕПЛОЙ упал; 2026-11-28 v1.89 x86_64 foo_bar",
            "\u{1b}[31mred\u{1b}[0m tab\there zero\u{200b}width emoji🙂tokens",
        ];
        conn.execute("INSERT INTO t (a, b) VALUES (?, ?)", [texts[0], texts[1]])
            .unwrap();
        conn.execute("INSERT INTO t (a, b) VALUES (?, '')", [texts[2]])
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT term FROM v WHERE length(CAST(term AS BLOB)) >= 4")
            .unwrap();
        let indexed: HashSet<String> = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(|r| r.unwrap())
            .collect();
        let ours = words(&conn, &texts).unwrap();
        assert_eq!(ours, indexed);
        assert!(ours.contains("deploiement") && ours.contains("echoue"));
    }
}
