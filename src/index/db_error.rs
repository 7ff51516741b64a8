//! SQLite's error, kept whole as the source of lore's index errors.

/// SQLite's own error (the source of `Error::Sqlite` and `Error::BadIndex`).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct DbError(#[from] pub(super) rusqlite::Error);

impl DbError {
    pub(super) fn code(&self) -> Option<rusqlite::ErrorCode> {
        self.0.sqlite_error_code()
    }
}
