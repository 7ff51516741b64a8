//! `lore reindex`: rebuild the index from the markdown in HEAD as one write (see
//! [`crate::write`]); the rebuild itself is [`crate::index::rebuild`].

use crate::error::Result;
use crate::index::rebuild::rebuild;
use crate::lock::LockOptions;
use crate::store::Store;
use crate::write::{self, Progress};

pub use crate::index::rebuild::Report;

/// Rebuilds the index as one write (see [`crate::write`]): under the store lock, logged, and
/// all or nothing.
pub fn reindex(
    store: &Store,
    opts: &LockOptions,
    progress: &mut dyn FnMut(Progress),
) -> Result<Report> {
    let written = write::write_rebuilding_index(store, opts, progress, |tx| {
        let (report, rebuilt) = rebuild(store)
            .map_err(|e| crate::index::explain_full(e, &store.git_dir().join("lore")))?;
        // Put in place where the write lands, as a commit would be made.
        tx.install(Box::new(move |store| {
            rebuilt
                .install(store)
                .map_err(|e| crate::index::explain_full(e, &store.root().join("memory")))
        }));
        Ok(report)
    })?;
    let mut report = written.value;
    report.warnings = written.warnings;
    Ok(report)
}
