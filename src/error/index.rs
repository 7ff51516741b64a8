//! What the index could not do that is not SQLite's own error: a rebuild that would have
//! changed what lore does not own, and full-text tokenizing.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum IndexFailure {
    #[error(
        "the index was busy while it was being copied; nothing was changed, run `lore reindex` again"
    )]
    BusyWhileCopied,

    #[error(
        "rebuilding would have changed other tools' tables, views, indexes or triggers; nothing was changed"
    )]
    ForeignSchemaChanged,

    #[error(
        "rebuilding would have moved the id counter of {table} from {before} to {after}; nothing was changed"
    )]
    CounterMoved {
        table: String,
        before: i64,
        after: i64,
    },

    #[error("too many corrupt copies of the index kept today")]
    TooManyCorruptCopies,

    #[error("another process created {} during the rebuild; run `lore reindex` again", path.display())]
    CreatedMeanwhile { path: PathBuf },

    #[error(
        "SQLite's FTS5 tokenizer is unavailable ({what}); build lore with its bundled SQLite (the default `cargo build --release`)"
    )]
    NoTokenizer { what: &'static str },

    #[error("text too long to tokenize")]
    TooLongToTokenize,

    #[error("FTS5 tokenizer failed (code {code})")]
    TokenizerFailed { code: i32 },
}
