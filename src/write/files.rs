//! Files a write creates, and earlier versions put back: never following or replacing
//! anything on the way.

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Creates `path` (never following or replacing anything), mode 0600 (the umask may make it
/// stricter), and writes it; a failed write removes the partial file.
///
/// No fsync: like git and SQLite in WAL mode with `synchronous=NORMAL`, a write survives any
/// crash of lore itself; a power cut may lose the last moments (see the README's durability
/// notes). Two fsyncs per save cost more than the whole rest of it on some disks.
pub(super) fn write_new(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    let res = f.write_all(bytes);
    if res.is_err() {
        let _ = fs::remove_file(path);
    }
    res
}

/// Puts the earlier version kept at `copy` back at `path`. Where the change never happened
/// (the copy is still a hard link of the file itself), the copy only goes: a rename between
/// two links of one file does nothing.
pub(super) fn put_copy_back(copy: &Path, path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::MetadataExt;
    let same = match (fs::metadata(copy), fs::metadata(path)) {
        (Ok(a), Ok(b)) => a.ino() == b.ino() && a.dev() == b.dev(),
        _ => false,
    };
    if same {
        fs::remove_file(copy)
    } else {
        fs::rename(copy, path)
    }
}
