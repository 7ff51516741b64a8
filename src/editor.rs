//! Which editor opens a learning, and how it is run: as git chooses and runs its editor, so
//! that the one a user set up for git is the one lore opens.
//!
//! The order is lore's own configuration (`editor`), then `GIT_EDITOR`, git's `core.editor`,
//! `VISUAL`, `EDITOR`, and `vi`. The choice is a shell command, run as git runs it —
//! `sh -c '<editor> "$@"' <editor> <file>` — so quoted arguments and paths with spaces work.

use std::path::Path;
use std::process::Command;

/// The editor command, given lore's configured one and git's `core.editor`.
pub fn choose(configured: Option<&str>, core_editor: Option<&str>) -> String {
    let set = |v: Option<String>| v.filter(|e| !e.trim().is_empty());
    let env = |name| set(std::env::var(name).ok());
    set(configured.map(str::to_string))
        .or_else(|| env("GIT_EDITOR"))
        .or_else(|| set(core_editor.map(str::to_string)))
        .or_else(|| env("VISUAL"))
        .or_else(|| env("EDITOR"))
        .unwrap_or_else(|| "vi".into())
}

/// [`choose`] for a file of `store`, with the `core.editor` of its git configuration (the
/// repository's, over the user's and the system's).
pub fn for_store(store: &crate::store::Store, configured: Option<&str>) -> String {
    let core_editor = store
        .repo()
        .ok()
        .and_then(|r| r.config_string("core.editor"));
    choose(configured, core_editor.as_deref())
}

/// The process that opens `file` in `editor` (see [`choose`]).
pub fn command(editor: &str, file: &Path) -> Command {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(format!("{editor} \"$@\""))
        .arg(editor)
        .arg(file);
    cmd
}
