//! Each write operation's scene (a store set up for it and the command that runs it), and
//! what a user could see of a store, to compare before and after a fault.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use crate::support::*;

/// A store set up for one operation, and how to run it.
pub(super) struct Scene {
    pub(super) store: TestStore,
    pub(super) args: Vec<String>,
    /// What the error says could not be done: `could not <verb>:`.
    pub(super) verb: &'static str,
    /// The operation's name in `lock_events`.
    pub(super) operation: &'static str,
    /// The points after which the write has landed: an error there is a success with a
    /// warning.
    pub(super) landed: &'static [&'static str],
    pub(super) _keep: Vec<tempfile::TempDir>,
}

/// Where a write that commits (or installs) lands: after the commit.
pub(super) const COMMITTED: &[&str] = &["after-commit", "before-unlock"];
/// Where a write that changes only the index lands: once its rows are committed, which comes
/// after the commit point it passes without committing.
pub(super) const ROWS_ONLY: &[&str] = &["before-unlock"];

impl Scene {
    pub(super) fn run(&self, strategy: &str, env: &[(&str, String)]) -> std::process::Output {
        let mut c = self.store.cmd();
        c.args(["--lock-strategy", strategy, "--lock-timeout", "10"]);
        c.args(&self.args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }
}

pub(super) fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

pub(super) fn with_two(base: &Path) -> TestStore {
    let s = TestStore::new_in(base);
    s.record("First before the fault", "d");
    s.record("Second before the fault", "d");
    s
}

pub(super) fn record_scene(base: &Path) -> Scene {
    Scene {
        store: with_two(base),
        args: strings(&["record", "--title", "Under test", "--domain", "d"]),
        verb: "save",
        operation: "record",
        landed: COMMITTED,
        _keep: vec![],
    }
}

pub(super) fn edit_flags_scene(base: &Path) -> Scene {
    Scene {
        store: with_two(base),
        args: strings(&[
            "edit",
            "1",
            "--title",
            "Renamed",
            "--root-cause",
            "Found it",
        ]),
        verb: "commit the edit",
        operation: "edit",
        landed: COMMITTED,
        _keep: vec![],
    }
}

pub(super) fn rm_scene(base: &Path) -> Scene {
    Scene {
        store: with_two(base),
        args: strings(&["rm", "1", "--yes"]),
        verb: "remove the learning",
        operation: "rm",
        landed: COMMITTED,
        _keep: vec![],
    }
}

pub(super) fn edit_scene(base: &Path) -> Scene {
    let s = with_two(base);
    let file = s.root().join(s.path_of("First before the fault"));
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\nEdited by the user.\n");
    std::fs::write(&file, text).unwrap();
    Scene {
        store: s,
        args: strings(&["__commit-edit", "1"]),
        verb: "commit the edit",
        operation: "edit",
        landed: COMMITTED,
        _keep: vec![],
    }
}

pub(super) fn import_scene(base: &Path) -> Scene {
    let dir = tempfile::tempdir_in(base).unwrap();
    for (name, title) in [("a.md", "Imported one"), ("b.md", "Imported two")] {
        std::fs::write(
            dir.path().join(name),
            format!("# {title}\n\n**Domain**: imports\n**Severity**: 2\n**Date**: 2026-11-20\n\n## Summary\n\nFrom elsewhere.\n"),
        )
        .unwrap();
    }
    Scene {
        store: with_two(base),
        args: strings(&["import", dir.path().to_str().unwrap()]),
        verb: "import",
        operation: "import",
        landed: COMMITTED,
        _keep: vec![dir],
    }
}

pub(super) fn adopt_scene(base: &Path) -> Scene {
    let s = with_two(base);
    // An old store that tracks its index in git.
    s.git(&["add", "-f", "memory/index.db"]);
    git_commit(s.root(), &["-m", "the script's index, tracked"]);
    Scene {
        store: s,
        args: strings(&["adopt", "--yes"]),
        verb: "adopt",
        operation: "adopt",
        landed: COMMITTED,
        _keep: vec![],
    }
}

pub(super) fn doctor_scene(base: &Path) -> Scene {
    let s = with_two(base);
    // A learning written but never committed, a committed one gone from disk, a committed one
    // without a row.
    let month = jiff::ZonedDateTime::now().strftime("%Y-%m/%d").to_string();
    let dir = s.root().join("memory/failures").join(&month);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("20261130_left-uncommitted.md"),
        "# Left uncommitted\n\n**Domain**: d\n**Severity**: 3\n**Date**: 2026-11-30\n\n## Summary\n\nA crash left it.\n",
    )
    .unwrap();
    std::fs::remove_file(s.root().join(s.path_of("First before the fault"))).unwrap();
    forget_row(&s, "Second before the fault");
    Scene {
        store: s,
        args: strings(&["doctor", "--fix"]),
        verb: "repair",
        operation: "doctor",
        landed: COMMITTED,
        _keep: vec![],
    }
}

pub(super) fn sync_scene(base: &Path) -> Scene {
    let s = with_two(base);
    let dir = tempfile::tempdir_in(base).unwrap();
    let remote = dir.path().join("remote.git");
    git(
        dir.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ],
    );
    s.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    s.ok(&["sync"]);
    // Another machine records and pushes; this one records too: the sync merges.
    let other = dir.path().join("other");
    git(
        dir.path(),
        &[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    let lore = |store: &Path, args: &[&str]| {
        let out = Command::new(LORE)
            .arg("--store")
            .arg(store)
            .args(args)
            .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    lore(
        &other,
        &[
            "record",
            "--title",
            "From the other machine",
            "--domain",
            "d",
        ],
    );
    lore(&other, &["sync"]);
    s.record("Here meanwhile", "d");
    Scene {
        store: s,
        args: strings(&["sync"]),
        verb: "sync",
        operation: "sync",
        landed: COMMITTED,
        _keep: vec![dir],
    }
}

pub(super) fn reindex_scene(base: &Path) -> Scene {
    Scene {
        store: with_two(base),
        args: strings(&["reindex"]),
        verb: "reindex",
        operation: "reindex",
        landed: COMMITTED,
        _keep: vec![],
    }
}

/// Everything a user could see change: HEAD, git's index, `git status`, every file in the
/// work tree (with its content) but the index, and every row of `learnings`.
pub(super) fn state(s: &TestStore) -> String {
    let git_quiet = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(s.root())
            .args(args)
            .env("GIT_OPTIONAL_LOCKS", "0")
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    // The index file itself changes with every run where git tracks it (an old store's):
    // its rows are compared instead.
    let status: String = git_quiet(&["status", "--porcelain", "--untracked-files=all"])
        .lines()
        .filter(|l| !l.contains("memory/index.db"))
        .map(|l| format!("{l}\n"))
        .collect();
    let mut out = format!(
        "HEAD {}index\n{}status\n{status}files\n",
        git_quiet(&["rev-parse", "HEAD"]),
        git_quiet(&["ls-files", "-s"]),
    );
    let mut files = Vec::new();
    walk(s.root(), s.root(), &mut files);
    files.sort();
    for f in files {
        out.push_str(&f);
        out.push('\n');
    }
    out.push_str("rows\n");
    let db = s.db();
    let mut stmt = db.prepare("SELECT * FROM learnings ORDER BY id").unwrap();
    let n = stmt.column_count();
    let rows: Vec<String> = stmt
        .query_map([], |r| {
            Ok((0..n)
                .map(|i| format!("{:?}", r.get::<_, rusqlite::types::Value>(i).unwrap()))
                .collect::<Vec<_>>()
                .join("|"))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    out.push_str(&rows.join("\n"));
    out
}

pub(super) fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if rel == ".git" || rel.starts_with("memory/index.db") {
            continue;
        }
        if e.file_type().unwrap().is_dir() {
            walk(root, &path, out);
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            out.push(format!("{rel} {:x}", fnv(&bytes)));
        }
    }
}

pub(super) fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a change is, whatever commits carried it: the learnings in HEAD with their text, the
/// files on disk under `memory/` with theirs, the rows' paths and titles.
pub(super) fn view(s: &TestStore) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let head: BTreeSet<String> = s
        .git(&["ls-tree", "-r", "HEAD"])
        .lines()
        .filter(|l| l.contains("\tmemory/") && l.ends_with(".md"))
        .map(|l| l.split_once(' ').unwrap().1.to_string())
        .collect();
    let mut files = Vec::new();
    walk(s.root(), &s.root().join("memory"), &mut files);
    let disk = files.into_iter().filter(|f| f.contains(".md ")).collect();
    let db = s.db();
    let mut stmt = db
        .prepare("SELECT filepath || ' ' || title FROM learnings")
        .unwrap();
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    (head, disk, rows)
}

/// What `lore doctor` finds, one line each.
pub(super) fn findings(s: &TestStore) -> BTreeSet<String> {
    let out = s.run(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.to_string())
        .collect()
}

pub(super) fn last_lock_event(s: &TestStore) -> (String, String) {
    s.db()
        .query_row(
            "SELECT operation, outcome FROM lock_events ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Drops the row of the learning titled `title`, leaving its committed file: what `doctor
/// --fix` repairs by indexing it again.
fn forget_row(s: &TestStore, title: &str) {
    s.db()
        .execute("DELETE FROM learnings WHERE title = ?1", [title])
        .unwrap();
}

pub(super) fn doctor_index_only_scene(base: &Path) -> Scene {
    let s = with_two(base);
    // A committed learning without a row: the repair is the index's alone.
    forget_row(&s, "Second before the fault");
    Scene {
        store: s,
        args: strings(&["doctor", "--fix"]),
        verb: "repair",
        operation: "doctor",
        landed: ROWS_ONLY,
        _keep: vec![],
    }
}

pub(super) fn settle_scene(base: &Path) -> Scene {
    let s = with_two(base);
    // Another tool's row for a file that is nowhere.
    s.db()
        .execute(
            "INSERT INTO learnings (type, filepath, title) VALUES ('success', 'notes/gone.md', 'Kept elsewhere')",
            [],
        )
        .unwrap();
    Scene {
        store: s,
        args: strings(&["doctor", "--settle"]),
        verb: "repair",
        operation: "doctor",
        landed: ROWS_ONLY,
        _keep: vec![],
    }
}
