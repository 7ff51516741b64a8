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

fn with_two(base: &Path) -> TestStore {
    let s = TestStore::new_in(base);
    s.record("First before the fault", "d");
    s.record("Second before the fault", "d");
    s
}

fn record_scene(base: &Path) -> Scene {
    Scene {
        store: with_two(base),
        args: strings(&["record", "--title", "Under test", "--domain", "d"]),
        verb: "save",
        operation: "record",
        _keep: vec![],
    }
}

fn edit_scene(base: &Path) -> Scene {
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
        _keep: vec![],
    }
}

fn import_scene(base: &Path) -> Scene {
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
        _keep: vec![dir],
    }
}

fn adopt_scene(base: &Path) -> Scene {
    let s = with_two(base);
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

fn doctor_scene(base: &Path) -> Scene {
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

fn sync_scene(base: &Path) -> Scene {
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
        _keep: vec![dir],
    }
}

fn reindex_scene(base: &Path) -> Scene {
    Scene {
        store: with_two(base),
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

fn matrix(scene: fn(&Path) -> Scene) {
    let base = std::env::temp_dir();
    let scene = || scene(&base);
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

fn error_at(scene: impl Fn() -> Scene, strategy: &str, point: &str, whole: &ViewOf) {
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

fn crash_at(scene: impl Fn() -> Scene, strategy: &str, point: &str, whole: &ViewOf) {
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

// ----- a full disk at every step ------------------------------------------------------

/// A tmpfs mounted at a folder for as long as this lives.
struct Tmpfs(tempfile::TempDir);

impl Tmpfs {
    /// Mounted, or `None` where this machine does not allow it; never `None` as root, where a
    /// skip would hide the test (CI runs as root).
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        assert!(
            ok || !rustix::process::geteuid().is_root(),
            "running as root, a tmpfs must mount: the full-disk tests may not be skipped"
        );
        ok.then(|| Tmpfs(dir))
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    fn free(&self) -> u64 {
        let st = rustix::fs::statvfs(self.path()).unwrap();
        st.f_bavail * st.f_frsize
    }

    /// Fills the file system until `pages` pages (4 KiB) are left.
    fn leave(&self, pages: u64) -> std::path::PathBuf {
        use std::io::Write;
        let filler = self.path().join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 4096];
        while self.free() > pages * 4096 {
            if f.write_all(&chunk).is_err() {
                break;
            }
            f.flush().unwrap();
        }
        filler
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(self.path()).status();
    }
}

/// `scene`'s operation on a file system left with 0, 1, 2… free pages, until it succeeds
/// three times: every refusal leaves HEAD, git's index, `git status`, the files and the rows
/// exactly as before and says so; every success is whole.
fn full_disk(scene: fn(&Path) -> Scene) {
    let Some(fs) = Tmpfs::mount("48m") else {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    };
    let whole = {
        let sc = scene(fs.path());
        let out = sc.run("flock", &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        view(&sc.store)
    };
    let (mut refused, mut warned, mut landed) = (0, 0, 0);
    let mut operation = "";
    for pages in 0..400u64 {
        let sc = scene(fs.path());
        operation = sc.operation;
        let s = &sc.store;
        let found = findings(s);
        let before = state(s);
        let filler = fs.leave(pages);
        let out = sc.run("flock", &[]);
        std::fs::remove_file(&filler).unwrap();
        let err = stderr(&out);
        let at = format!("{} with {pages} page(s) free", sc.operation);
        // A sync whose push the remote refused (its disk is this one) has integrated here.
        let pushed_only = sc.operation == "sync" && err.contains("committed locally");
        if out.status.success() || pushed_only {
            landed += 1;
            if err.contains("warning:") {
                warned += 1;
            }
            // Whole, once the index has caught up (the next read; for doctor, whose rows
            // were part of its repair, the next repair).
            s.ok(&["list"]);
            if sc.operation == "doctor" && err.contains("warning:") {
                s.ok(&["doctor", "--fix"]);
            }
            assert_eq!(view(s), whole, "{at}: {err}");
            if landed >= 3 {
                break;
            }
            continue;
        }
        refused += 1;
        let said: Vec<&str> = err
            .lines()
            .filter(|l| !l.starts_with("lore: sync: "))
            .collect();
        // (A sync that could not fetch has not begun to write: it says so in its words.)
        assert!(
            said.len() == 1
                && (said[0].ends_with("Nothing was written")
                    || sc.operation == "sync" && said[0].contains("Nothing changed locally")),
            "{at}: {err}"
        );
        // The reason names the space (sync's come from git's fetch and merge, in git's words).
        assert!(
            ["No space left", "disk is full", "KiB free"]
                .iter()
                .any(|w| said[0].contains(w))
                || sc.operation == "sync",
            "{at}: not about space: {err}"
        );
        assert_eq!(
            state(s),
            before,
            "{at}: said nothing was written, but: {err}"
        );
        assert_eq!(findings(s), found, "{at}: doctor");
        let st: serde_json::Value =
            serde_json::from_str(&s.ok(&["lock", "status", "--json"])).unwrap();
        assert_eq!(st["state"], "free", "{at}");
    }
    eprintln!("{operation}: {refused} refused, then {landed} landed ({warned} with a warning)");
    assert!(refused > 0, "{operation}: the disk never ran out");
    assert!(landed >= 3, "{operation}: never landed");
}

#[test]
fn record_on_a_full_disk() {
    full_disk(record_scene);
}

#[test]
fn edit_on_a_full_disk() {
    full_disk(edit_scene);
}

#[test]
fn import_on_a_full_disk() {
    full_disk(import_scene);
}

#[test]
fn adopt_on_a_full_disk() {
    full_disk(adopt_scene);
}

#[test]
fn doctor_fix_on_a_full_disk() {
    full_disk(doctor_scene);
}

#[test]
fn sync_on_a_full_disk() {
    full_disk(sync_scene);
}

#[test]
fn reindex_on_a_full_disk() {
    full_disk(reindex_scene);
}

// ----- beside another git client, and in the lock's history ------------------------------

/// git's blob id of `bytes`.
fn git_hash(bytes: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new("git")
        .args(["hash-object", "--stdin"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    String::from_utf8(child.wait_with_output().unwrap().stdout)
        .unwrap()
        .trim()
        .to_string()
}

/// The learnings in HEAD with their blobs (`<blob>\t<path>`).
fn head_learnings(s: &TestStore) -> BTreeSet<String> {
    view(s).0
}

/// `scene`'s operation while another git client commits in a loop beside it (retrying, as any
/// client sharing a repository does, while lore holds git's lock files for a moment). Files are
/// staged before the branch moves, so a `git commit` in between carries them: after both,
/// every one of the client's commits is in the history and HEAD holds the operation's files.
fn beside_a_git_client(scene: fn(&Path) -> Scene) {
    let base = std::env::temp_dir();
    let whole = {
        let sc = scene(&base);
        assert!(sc.run("flock", &[]).status.success());
        head_learnings(&sc.store)
    };
    for round in 0..3 {
        let sc = scene(&base);
        let mut client = Command::new("bash")
            .arg("-c")
            .arg(
                r#"cd "$1"; for i in $(seq 15); do echo "$i" > "note-$i.txt"; ok=
                   for try in $(seq 200); do
                     if git add "note-$i.txt" 2>/dev/null && git -c user.name=c -c user.email=c@x commit -q -m "note $i" 2>/dev/null; then ok=1; break; fi
                     sleep 0.005
                   done; [ -n "$ok" ] || exit 1; done"#,
            )
            .arg("bash")
            .arg(sc.store.root())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(5 * round));
        let out = sc.run("flock", &[]);
        assert!(
            client.wait().unwrap().success(),
            "the client's commits failed"
        );
        let at = format!("{} round {round}", sc.operation);
        assert!(
            out.status.success() || sc.operation == "doctor",
            "{at}: {}",
            stderr(&out)
        );
        let s = &sc.store;
        let notes = s
            .git(&["log", "--format=%s"])
            .lines()
            .filter(|l| l.starts_with("note "))
            .count();
        assert_eq!(notes, 15, "{at}: the client's commits were lost");
        // A `git commit` ends by writing back the index it read when it began: one that began
        // before lore staged its files drops them from git's index, and the client's next
        // commit then from HEAD (git's own race between any two writers of one index; the
        // files stay on disk). `doctor --fix` commits them again: nothing is lost.
        let mut fixed = String::new();
        if !whole.is_subset(&head_learnings(s)) {
            // What the store looked like, should the check below fail.
            fixed = format!(
                "status before doctor:\n{}\nlog:\n{}",
                s.git(&["status", "--porcelain"]),
                s.git(&["log", "--name-status", "--format=%h %p %s"])
            );
            let out = s.run(&["doctor", "--fix"]);
            fixed.push_str(&format!("\ndoctor: {}{}", stdout(&out), stderr(&out)));
            assert!(
                out.status.code().is_some_and(|c| c <= 1),
                "{at}: {}",
                stderr(&out)
            );
            eprintln!("{at}: a git commit dropped a staged file; doctor --fix committed it again");
        }
        // An edit the client's stale index put back to its old text in HEAD is no new file for
        // doctor to commit: it is still on disk, and in the history.
        let head = head_learnings(s);
        for missing in whole.difference(&head) {
            let (blob, path) = missing
                .strip_prefix("blob ")
                .and_then(|m| m.split_once('\t'))
                .unwrap();
            let on_disk = std::fs::read(s.root().join(path)).unwrap_or_default();
            let in_history = Command::new("git")
                .arg("-C")
                .arg(s.root())
                .args(["cat-file", "-e", blob])
                .status()
                .unwrap()
                .success();
            let disk_blob = git_hash(&on_disk);
            assert!(
                in_history && disk_blob == blob,
                "{at}: lost: {missing} (on disk: {disk_blob})\n{fixed}\nthe op said: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn every_operation_beside_a_git_client_committing_in_a_loop_loses_nothing() {
    for scene in [
        record_scene,
        edit_scene,
        import_scene,
        adopt_scene,
        doctor_scene,
        sync_scene,
    ] {
        beside_a_git_client(scene);
    }
}

/// The last `lock_events` row: (operation, waited ms, held ms, outcome).
fn last_event(s: &TestStore) -> (String, i64, Option<i64>, String) {
    s.db()
        .query_row(
            "SELECT operation, waited_ms, held_ms, outcome FROM lock_events ORDER BY id DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
}

#[test]
fn every_operation_says_it_waits_and_is_logged_with_the_time_it_waited() {
    for scene in [
        record_scene,
        edit_scene,
        import_scene,
        adopt_scene,
        doctor_scene,
        sync_scene,
        reindex_scene,
    ] {
        let sc = scene(&std::env::temp_dir());
        let s = &sc.store;
        let mut holder = Command::new(LORE)
            .arg("--store")
            .arg(s.root())
            .args(["lock", "hold", "--for", "1500ms"])
            .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
            &mut line,
        )
        .unwrap();
        assert!(line.starts_with("holding"), "{line}");
        let out = sc.run("flock", &[]);
        holder.wait().unwrap();
        let err = stderr(&out);
        assert!(
            err.contains("waiting for the store lock: held by pid"),
            "{}: said nothing while waiting: {err}",
            sc.operation
        );
        let (operation, waited, held, outcome) = last_event(s);
        assert_eq!(
            (operation.as_str(), outcome.as_str()),
            (sc.operation, "ok"),
            "{}",
            sc.operation
        );
        assert!(waited >= 900, "{}: waited {waited} ms", sc.operation);
        assert!(held.is_some(), "{}", sc.operation);
    }
}

#[test]
fn a_cancelled_wait_is_logged_with_the_time_it_really_waited() {
    let sc = import_scene(&std::env::temp_dir());
    let s = &sc.store;
    let mut holder = hold(s, 30, &[]);
    let child = s
        .cmd()
        .args(&sc.args)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1200));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    holder.kill().unwrap();
    holder.wait().unwrap();
    let (operation, waited, held, outcome) = last_event(s);
    assert_eq!(
        (operation.as_str(), outcome.as_str()),
        ("import", "cancelled")
    );
    assert!(waited >= 1000, "logged as waiting {waited} ms");
    assert_eq!(held, None);
}
