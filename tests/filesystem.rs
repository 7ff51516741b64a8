//! The store's files under attack and under stress: links, permissions, read-only and full
//! file systems, detached HEAD, and descriptors that must not leak into child processes.

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// Mounts a tmpfs at `dir` (root only); `None` where this machine does not allow it.
fn tmpfs(dir: &Path, size: &str) -> Option<Mount> {
    let ok = Command::new("mount")
        .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
        .arg(dir)
        .status()
        .is_ok_and(|s| s.success());
    ok.then(|| Mount(dir.to_path_buf()))
}

struct Mount(std::path::PathBuf);

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

#[test]
fn a_link_planted_at_the_next_file_name_is_never_written_through() {
    let s = TestStore::new();
    let victim = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(victim.path(), "precious").unwrap();
    let today = jiff::ZonedDateTime::now().strftime("%Y%m%d").to_string();
    let planted = s.root().join(daily(&format!("{today}_planted.md")));
    std::fs::create_dir_all(planted.parent().unwrap()).unwrap();
    symlink(victim.path(), &planted).unwrap();
    let out = s.ok(&["record", "--title", "planted", "--domain", "d", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["filepath"], daily(&format!("{today}_planted-2.md")));
    assert_eq!(std::fs::read_to_string(victim.path()).unwrap(), "precious");
}

#[test]
fn a_hard_linked_holder_record_is_refused() {
    let s = TestStore::new();
    let victim = s.root().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let owner = s.root().join(".git/claude-lock.owner");
    let _ = std::fs::remove_file(&owner);
    std::fs::hard_link(&victim, &owner).unwrap();
    let out = s.run(&["record", "--title", "t", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("hard links"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(s.row_count(), 0);
}

#[test]
fn memory_as_a_symbolic_link_and_a_hard_linked_lock_file_are_refused() {
    let outside = tempfile::tempdir().unwrap();
    // `memory/` itself pointing elsewhere.
    let s = TestStore::new();
    let memory = s.root().join("memory");
    std::fs::rename(&memory, outside.path().join("moved")).unwrap();
    symlink(outside.path().join("moved"), &memory).unwrap();
    let out = s.run(&["record", "--title", "t", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("symbolic link"), "{}", stderr(&out));
    // The lock file hard-linked to a file of the user's.
    let s = TestStore::new();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let _ = std::fs::remove_file(s.lock_file());
    std::fs::hard_link(&victim, s.lock_file()).unwrap();
    let out = s.run(&["record", "--title", "t", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("hard links"), "{}", stderr(&out));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(s.row_count(), 0);
}

#[test]
fn an_index_or_its_journal_as_a_symbolic_link_is_refused_and_never_written_through() {
    for link in ["index.db", "index.db-wal", "index.db-shm"] {
        let outside = tempfile::tempdir().unwrap();
        let s = TestStore::new();
        s.record("before the link", "d");
        let memory = s.root().join("memory");
        for f in ["index.db", "index.db-wal", "index.db-shm"] {
            let _ = std::fs::remove_file(memory.join(f));
        }
        let target = outside.path().join(link);
        symlink(&target, memory.join(link)).unwrap();
        for args in [
            &["list"][..],
            &["record", "--title", "t", "--domain", "d"],
            &["reindex"],
            &["doctor"],
        ] {
            let out = s.run(args);
            assert_eq!(
                out.status.code(),
                Some(1),
                "{link} {args:?}: {}",
                stderr(&out)
            );
            let err = stderr(&out);
            assert!(
                err.contains("symbolic link") && err.contains(link),
                "{link} {args:?}: {err}"
            );
        }
        let made: Vec<_> = std::fs::read_dir(outside.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert!(
            made.is_empty(),
            "{link}: written through the link: {made:?}"
        );
        assert_eq!(s.commit_count(), 2, "{link}: nothing committed");
    }
}

#[test]
fn files_are_private_and_a_stricter_umask_is_respected() {
    let s = TestStore::new();
    let before = s.snapshot();
    let out = Command::new("bash")
        .arg("-c")
        .arg(r#"umask 0277; exec "$0" --store "$1" record --title strict --domain d --json"#)
        .arg(LORE)
        .arg(s.root())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mode = std::fs::metadata(s.root().join(v["filepath"].as_str().unwrap()))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o400, "0600 narrowed by the umask, never widened");
    assert_eq!(s.snapshot().1, before.1 + 1);
    for dir in ["memory", "memory/failures"] {
        let mode = std::fs::metadata(s.root().join(dir))
            .unwrap()
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode & 0o077, 0, "{dir} is {mode:o}");
    }
    let db = std::fs::metadata(s.root().join(".git/claude-lock.owner"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(db & 0o077, 0, "holder record is {db:o}");
}

#[test]
fn a_detached_head_is_a_clear_error() {
    let s = TestStore::new();
    s.record("first", "d");
    // On a branch that is not `main`, the advice names it.
    s.git(&["branch", "-m", "notes"]);
    s.git(&["checkout", "-q", "--detach"]);
    let before = s.snapshot();
    let out = s.run(&["record", "--title", "t", "--domain", "d"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("HEAD is detached") && stderr(&out).contains("`git switch notes`"),
        "{}",
        stderr(&out)
    );
    assert_eq!(s.snapshot(), before);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
}

#[test]
fn the_lock_descriptor_does_not_leak_into_child_processes() {
    let s = TestStore::new();
    let mut holder = hold(&s, 30, &[]);
    let lock = std::fs::canonicalize(s.lock_file()).unwrap();
    let mut checked = 0;
    for fd in std::fs::read_dir(format!("/proc/{}/fd", holder.id()))
        .unwrap()
        .flatten()
    {
        if std::fs::read_link(fd.path()).ok().as_deref() == Some(lock.as_path()) {
            let info = std::fs::read_to_string(format!(
                "/proc/{}/fdinfo/{}",
                holder.id(),
                fd.file_name().to_string_lossy()
            ))
            .unwrap();
            let flags = info
                .lines()
                .find_map(|l| l.strip_prefix("flags:"))
                .unwrap()
                .trim();
            let flags = u32::from_str_radix(flags, 8).unwrap();
            assert_ne!(
                flags & 0o2000000,
                0,
                "O_CLOEXEC missing: a child would keep the lock"
            );
            checked += 1;
        }
    }
    assert!(checked >= 1, "the holder has the lock file open");
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn a_full_disk_is_a_clear_error_and_the_next_save_after_freeing_space_works() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = tmpfs(dir.path(), "4m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let root = dir.path().join("store");
    let out = Command::new(LORE).arg("init").arg(&root).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let run = |args: &[&str]| {
        Command::new(LORE)
            .arg("--store")
            .arg(&root)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(
        run(&["record", "--title", "before", "--domain", "d"])
            .status
            .success()
    );
    // Fill the disk.
    let filler = dir.path().join("filler");
    let _ = Command::new("dd")
        .arg("if=/dev/zero")
        .arg(format!("of={}", filler.display()))
        .args(["bs=64k", "count=1000"])
        .output();
    let head = git(&root, &["rev-parse", "HEAD"]);
    let out = run(&[
        "record",
        "--title",
        "no room",
        "--domain",
        "d",
        "--summary",
        &"x".repeat(20_000),
    ]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
    assert_eq!(git(&root, &["rev-parse", "HEAD"]), head);
    let names: Vec<String> = std::fs::read_dir(root.join("memory/failures"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        !names
            .iter()
            .any(|n| n.contains("no-room") || n.starts_with(".lore-")),
        "partial file left: {names:?}"
    );
    // Free the space: the next save works and the store is consistent.
    std::fs::remove_file(&filler).unwrap();
    let out = run(&["record", "--title", "after", "--domain", "d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&["doctor"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
}

#[test]
fn a_read_only_store_is_a_clear_error_and_nothing_changes() {
    let dir = tempfile::tempdir().unwrap();
    let Some(_mount) = tmpfs(dir.path(), "8m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let root = dir.path().join("store");
    assert!(
        Command::new(LORE)
            .arg("init")
            .arg(&root)
            .status()
            .unwrap()
            .success()
    );
    assert!(
        Command::new(LORE)
            .arg("--store")
            .arg(&root)
            .args(["record", "--title", "t", "--domain", "d"])
            .status()
            .unwrap()
            .success()
    );
    let remount = Command::new("mount")
        .args(["-o", "remount,ro"])
        .arg(dir.path())
        .status()
        .unwrap();
    assert!(remount.success());
    let out = Command::new(LORE)
        .arg("--store")
        .arg(&root)
        .args(["record", "--title", "ro", "--domain", "d"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Read-only file system"),
        "{}",
        stderr(&out)
    );
    assert!(!stderr(&out).contains("panicked"));
    // Reading still works.
    let out = Command::new(LORE)
        .arg("--store")
        .arg(&root)
        .args(["show", "1"])
        .output()
        .unwrap();
    assert!(
        stdout(&out).contains("# t"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

#[test]
fn a_foreign_git_lock_file_is_named_and_never_deleted() {
    for name in ["index.lock", "HEAD.lock", "refs/heads/main.lock"] {
        let s = TestStore::new();
        s.record("first", "d");
        let lock = s.root().join(".git").join(name);
        std::fs::write(&lock, "").unwrap();
        let before = s.snapshot();
        let out = s.run(&["record", "--title", "blocked", "--domain", "d"]);
        assert_eq!(out.status.code(), Some(1), "{name}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains(name) && err.contains("if no git process is running, remove the file"),
            "{name}: {err}"
        );
        assert!(lock.exists(), "{name} was deleted");
        assert_eq!(s.snapshot(), before, "{name}: something was written");
        std::fs::remove_file(&lock).unwrap();
        s.record("after", "d");
    }
}
