//! SQLite's error, kept whole as the source of lore's index errors (`error::DbError`).

pub use crate::error::DbError;

/// Wraps SQLite's error.
pub(super) fn db_error(e: rusqlite::Error) -> DbError {
    DbError(Box::new(e))
}

/// SQLite's code for the error, if it came from SQLite.
pub(super) fn code(e: &DbError) -> Option<rusqlite::ErrorCode> {
    e.0.downcast_ref::<rusqlite::Error>()
        .and_then(rusqlite::Error::sqlite_error_code)
}
