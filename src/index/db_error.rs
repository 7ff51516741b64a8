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

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's error is kept whole, with its code, as the source of the index's errors.
    #[test]
    fn sqlite_errors_keep_their_source_and_code() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let raw = conn
            .execute("INSERT INTO nowhere VALUES (1)", [])
            .unwrap_err();
        let e = crate::Error::Sqlite(db_error(raw));
        assert!(e.to_string().contains("no such table: nowhere"), "{e}");
        let crate::Error::Sqlite(db) = &e else {
            unreachable!()
        };
        assert_eq!(code(db), Some(rusqlite::ErrorCode::Unknown));
        let source = std::error::Error::source(&e).expect("SQLite's error");
        let kept = source.downcast_ref::<DbError>().expect("a DbError");
        assert!(kept.0.downcast_ref::<rusqlite::Error>().is_some());
    }
}
