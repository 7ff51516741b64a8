//! The operations on a store, one a file. Every one that changes the store is a client of the
//! write seam ([`crate::write`]): it says what to change; the seam takes the lock, stages,
//! commits and undoes.

pub mod adopt;
pub mod doctor;
pub mod edit;
pub mod export;
pub mod import;
pub mod init;
pub mod join;
pub mod queue;
pub mod record;
pub mod reindex;
pub mod remove;
pub mod show;
pub mod sync;

/// Refuses a row whose file is not a learning's own under `memory/`: another tool's row may
/// point anywhere in the work tree (an agent's log, say), which is not lore's to `verb`.
pub(crate) fn only_learnings(row: &crate::index::Row, verb: &str) -> crate::Result<()> {
    if crate::store::is_learning_path(&row.filepath) {
        return Ok(());
    }
    Err(crate::Error::invalid(
        "target",
        format!(
            "#{} is {}, not a learning's file under memory/ (another tool's row); lore {verb} changes learnings only",
            row.id,
            crate::sanitize::display_line(&row.filepath)
        ),
    ))
}
