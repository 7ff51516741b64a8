//! Injected faults at every step of every write operation — record, edit, import, adopt,
//! doctor --fix, sync, reindex — under both lock strategies (the `fault-injection` feature, on
//! in tests). Each operation is first run once with its points logged, so the matrix covers
//! exactly the steps it goes through. An error before the write lands leaves everything as it
//! was (HEAD, git's index, `git status`, every file, every row) and says "Nothing was
//! written"; an error after it landed is a success with a warning, the change whole. A crash
//! (SIGKILL) at any step never blocks the next save, and `doctor --fix` then makes disk, HEAD
//! and index agree with the change whole or absent.

mod common;

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::*;

/// A store set up for one operation, and how to run it.
struct Scene {
    store: TestStore,
    args: Vec<String>,
    /// What the error says could not be done: `could not <verb>:`.
    verb: &'static str,
    /// The operation's name in `lock_events`.
    operation: &'static str,
    _keep: Vec<tempfile::TempDir>,
}

impl Scene {
    fn run(&self, strategy: &str, env: &[(&str, String)]) -> std::process::Output {
        let mut c = self.store.cmd();
        c.args(["--lock-strategy", strategy, "--lock-timeout", "10"]);
        c.args(&self.args);
        for (k, v) in env {
            c.env(k, v);
        }
        c.output().unwrap()
    }
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| a.to_string()).collect()
}

fn with_two() -> TestStore {
    let s = TestStore::new();
    s.record("First before the fault", "d");
    s.record("Second before the fault", "d");
    s
}

fn record_scene() -> Scene {
    Scene {
        store: with_two(),
        args: strings(&["record", "--title", "Under test", "--domain", "d"]),
        verb: "save",
        operation: "record",
        _keep: vec![],
    }
}

fn edit_scene() -> Scene {
    let s = with_two();
    let file = s.root().join(s.path_of("First before the fault"));
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\nEdited by the user.\n");
    std::fs::write(&file, text).unwrap();
    Scene {
        store: s,
        args: strings(&["__commit-edit", "1"]),
        verb: "commit the edit",
        operation: "edit",
        _keep: vec![],
    }
}

fn import_scene() -> Scene {
    let dir = tempfile::tempdir().unwrap();
    for (name, title) in [("a.md", "Imported one"), ("b.md", "Imported two")] {
        std::fs::write(
            dir.path().join(name),
            format!("# {title}\n\n**Domain**: imports\n**Severity**: 2\n**Date**: 2026-11-20\n\n## Summary\n\nFrom elsewhere.\n"),
        )
        .unwrap();
    }
    Scene {
        store: with_two(),
        args: strings(&["import", dir.path().to_str().unwrap()]),
        verb: "import",
        operation: "import",
        _keep: vec![dir],
    }
}

fn adopt_scene() -> Scene {
    let s = with_two();
    // An old store that tracks its index in git.
    s.git(&["add", "-f", "memory/index.db"]);
    git_commit(s.root(), &["-m", "the script's index, tracked"]);
    Scene {
        store: s,
        args: strings(&["adopt", "--yes"]),
        verb: "adopt",
        operation: "adopt",
        _keep: vec![],
    }
}

fn doctor_scene() -> Scene {
    let s = with_two();
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
    s.db()
        .execute(
            "DELETE FROM learnings WHERE title = 'Second before the fault'",
            [],
        )
        .unwrap();
    Scene {
        store: s,
        args: strings(&["doctor", "--fix"]),
        verb: "repair",
        operation: "doctor",
        _keep: vec![],
    }
}

fn sync_scene() -> Scene {
    let s = with_two();
    let dir = tempfile::tempdir().unwrap();
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
        _keep: vec![dir],
    }
}

fn reindex_scene() -> Scene {
    Scene {
        store: with_two(),
        args: strings(&["reindex"]),
        verb: "reindex",
        operation: "reindex",
        _keep: vec![],
    }
}

/// Everything a user could see change: HEAD, git's index, `git status`, every file in the
/// work tree (with its content) but the index, and every row of `learnings`.
fn state(s: &TestStore) -> String {
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

fn walk(root: &Path, dir: &Path, out: &mut Vec<String>) {
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

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// What a change is, whatever commits carried it: the learnings in HEAD with their text, the
/// files on disk under `memory/` with theirs, the rows' paths and titles.
fn view(s: &TestStore) -> (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
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
fn findings(s: &TestStore) -> BTreeSet<String> {
    let out = s.run(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.to_string())
        .collect()
}

fn last_lock_event(s: &TestStore) -> (String, String) {
    s.db()
        .query_row(
            "SELECT operation, outcome FROM lock_events ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
}

/// Points after which the write has landed: an error there is a success with a warning.
const LANDED: [&str; 2] = ["after-commit", "before-unlock"];

fn matrix(scene: fn() -> Scene) {
    // The points this operation goes through, and what a clean run makes of the store.
    let clean = scene();
    let log = clean.store.root().join("points.log");
    let out = clean.run(
        "flock",
        &[("LORE_TEST_POINTS_LOG", log.display().to_string())],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let passed = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let points: Vec<&str> = lore::fault::POINTS
        .into_iter()
        .filter(|p| passed.lines().any(|l| l == *p))
        .collect();
    assert!(
        points.contains(&"after-lock") && points.contains(&"before-unlock"),
        "{}: {points:?}",
        clean.operation
    );
    eprintln!("{}: {} points: {points:?}", clean.operation, points.len());
    let whole = view(&clean.store);
    for strategy in ["flock", "mkdir"] {
        for point in &points {
            error_at(scene, strategy, point, &whole);
            crash_at(scene, strategy, point, &whole);
        }
    }
}

fn error_at(scene: fn() -> Scene, strategy: &str, point: &str, whole: &ViewOf) {
    let sc = scene();
    let s = &sc.store;
    let found = findings(s);
    let before = state(s);
    let out = sc.run(strategy, &[("LORE_FAULT", format!("{point}:error"))]);
    let err = stderr(&out);
    let at = format!("{} {strategy}/{point}", sc.operation);
    if LANDED.contains(&point) {
        assert!(err.contains("warning:"), "{at}: no warning: {err}");
        if !out.status.success() {
            // Only doctor: its commit landed, the rows it was also repairing did not, and it
            // says that a problem is left; a second run repairs it.
            assert_eq!(sc.operation, "doctor", "{at}: {err}");
            assert!(err.contains("problem(s) found"), "{at}: {err}");
            s.ok(&["doctor", "--fix"]);
        }
        // The change is whole once the index has caught up (the next read).
        s.ok(&["list"]);
        assert_eq!(&view(s), whole, "{at}");
        assert_eq!(last_lock_event(s).1, "ok", "{at}");
    } else {
        assert_eq!(out.status.code(), Some(1), "{at}: {err}");
        let said: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("lore: sync: "))
            .collect();
        assert!(
            said.len() == 1
                && said[0].contains(&format!("could not {}:", sc.verb))
                && said[0].contains(&format!("injected fault at {point}"))
                && said[0].ends_with("Nothing was written"),
            "{at}: {err}"
        );
        assert_eq!(state(s), before, "{at}: something changed");
        assert_eq!(
            last_lock_event(s),
            (sc.operation.to_string(), "error".to_string()),
            "{at}"
        );
    }
    let st: serde_json::Value = serde_json::from_str(&s.ok(&["lock", "status", "--json"])).unwrap();
    assert_eq!(st["state"], "free", "{at}");
    // Nothing for doctor that was not there before (a failed repair leaves what it found).
    let now = findings(s);
    if LANDED.contains(&point) {
        assert!(now.is_subset(&found), "{at}: doctor: {now:#?}");
    } else {
        assert_eq!(now, found, "{at}: doctor");
    }
}

type ViewOf = (BTreeSet<String>, BTreeSet<String>, BTreeSet<String>);

fn crash_at(scene: fn() -> Scene, strategy: &str, point: &str, whole: &ViewOf) {
    let sc = scene();
    let s = &sc.store;
    let found = findings(s);
    let absent = view(s);
    let at = format!("{} {strategy}/{point} crash", sc.operation);
    let out = sc.run(strategy, &[("LORE_FAULT", format!("{point}:crash"))]);
    assert_eq!(
        out.status.signal(),
        Some(9),
        "{at}: should have been killed"
    );
    // The next save goes through at once.
    let start = Instant::now();
    let next = s.run(&[
        "--lock-strategy",
        strategy,
        "--lock-timeout",
        "5",
        "record",
        "--title",
        "Next after the crash",
        "--domain",
        "n",
    ]);
    assert!(next.status.success(), "{at}: {}", stderr(&next));
    assert!(start.elapsed() < Duration::from_secs(4), "{at}: waited");
    let out = s.run(&["doctor", "--fix"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{at}: doctor --fix: {}{}",
        stdout(&out),
        stderr(&out)
    );
    // What doctor finds is at most what it found before the operation (a user's edit it
    // leaves alone, say), and `git status` has nothing of the write.
    let now = findings(s);
    assert!(now.is_subset(&found), "{at}: doctor: {now:#?}");
    let status = s.git(&["status", "--porcelain"]);
    assert!(
        status
            .lines()
            .all(|l| l.contains("memory/index.db") || found.iter().any(|f| f.contains(&l[3..]))),
        "{at}: git status: {status}"
    );
    // Whole or absent, beside the next save's learning.
    let (head, disk, rows) = view(s);
    let without_next = |set: &BTreeSet<String>| -> BTreeSet<String> {
        set.iter()
            .filter(|l| !l.contains("next-after-the-crash") && !l.contains("Next after"))
            .cloned()
            .collect()
    };
    let now = (
        without_next(&head),
        without_next(&disk),
        without_next(&rows),
    );
    assert!(
        now == *whole || now == absent,
        "{at}: neither whole nor absent:\n{now:#?}\nwhole:\n{whole:#?}\nabsent:\n{absent:#?}"
    );
}

#[test]
fn record_at_every_step() {
    matrix(record_scene);
}

#[test]
fn edit_at_every_step() {
    matrix(edit_scene);
}

#[test]
fn import_at_every_step() {
    matrix(import_scene);
}

#[test]
fn adopt_at_every_step() {
    matrix(adopt_scene);
}

#[test]
fn doctor_fix_at_every_step() {
    matrix(doctor_scene);
}

#[test]
fn sync_at_every_step() {
    matrix(sync_scene);
}

#[test]
fn reindex_at_every_step() {
    matrix(reindex_scene);
}
