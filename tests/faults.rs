//! Injected faults at every step of every write operation — record, edit, import, adopt,
//! doctor --fix, doctor --settle, sync, a clone's join, reindex — under both lock strategies (the `fault-injection` feature, on
//! in tests). Each operation is first run once with its points logged, so the matrix covers
//! exactly the steps it goes through. An error before the write lands leaves everything as it
//! was (HEAD, git's index, `git status`, every file, every row) and says "Nothing was
//! written"; an error after it landed is a success with a warning, the change whole. A crash
//! (SIGKILL) at any step never blocks the next save, and `doctor --fix` then makes disk, HEAD
//! and index agree with the change whole or absent.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

mod scenes;

use scenes::*;

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
    let landed = sc.landed.contains(&point);
    if landed {
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
    if landed {
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
fn edit_by_flags_at_every_step() {
    matrix(edit_flags_scene);
}

#[test]
fn rm_at_every_step() {
    matrix(rm_scene);
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
fn doctor_fix_of_the_index_alone_at_every_step() {
    matrix(doctor_index_only_scene);
}

#[test]
fn doctor_settle_at_every_step() {
    matrix(settle_scene);
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
fn edit_by_flags_on_a_full_disk() {
    full_disk(edit_flags_scene);
}

#[test]
fn rm_on_a_full_disk() {
    full_disk(rm_scene);
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

#[test]
fn after_a_crash_the_note_is_said_once_then_points_at_doctor() {
    let s = TestStore::new();
    let out = s
        .cmd()
        .args(["record", "--title", "Killed mid-save", "--domain", "d"])
        .env("LORE_FAULT", "after-write:crash")
        .output()
        .unwrap();
    assert_eq!(out.status.signal(), Some(9));
    let notes = |args: &[&str]| -> Vec<String> {
        let out = s.run(args);
        assert!(out.status.success(), "{}", stderr(&out));
        stderr(&out)
            .lines()
            .filter(|l| l.starts_with("lore: note:"))
            .map(str::to_string)
            .collect()
    };
    let first = notes(&["list"]);
    assert!(
        first.len() == 1 && first[0].contains("died holding the store lock"),
        "{first:?}"
    );
    for args in [
        &["list"][..],
        &["record", "--title", "Later", "--domain", "d"],
    ] {
        let later = notes(args);
        assert!(
            later.len() == 1
                && !later[0].contains("died holding")
                && later[0].contains("lore doctor"),
            "{args:?}: {later:?}"
        );
    }
    s.run(&["doctor", "--fix"]);
    s.run(&["doctor"]);
    assert_eq!(notes(&["list"]), Vec::<String>::new(), "doctor looked");
}

/// What a clone that has not joined its remote's store yet looks like: where HEAD points,
/// every ref, git's index and every file of the work tree but lore's index (which any read
/// makes, and which is rebuilt from git).
fn clone_state(s: &TestStore) -> String {
    // Files only, as git sees a work tree (a join taken back may leave an empty folder).
    let files: Vec<String> = tree_listing(s.root(), |rel| {
        rel == ".git" || rel.starts_with("memory/index.db")
    })
    .into_iter()
    .filter(|l| {
        l.rsplit_once(' ')
            .is_some_and(|(p, _)| !s.root().join(p).is_dir())
    })
    .collect();
    format!(
        "{}{}{}{}",
        s.git(&["symbolic-ref", "HEAD"]),
        s.git(&["for-each-ref", "--format=%(refname) %(objectname)"]),
        s.git(&["ls-files", "-s"]),
        files.join("\n")
    )
}

#[test]
fn joining_the_store_of_a_clone_at_every_step() {
    // A bare remote whose HEAD names `master`, holding a store on `main`: its clones check
    // nothing out, and lore's first open joins the store (see `ops::join`).
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    git(
        dir.path(),
        &["init", "-q", "--bare", "-b", "master", "remote.git"],
    );
    let a = TestStore::new();
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.record("Shared one", "d");
    a.record("Shared two", "d");
    a.ok(&["sync"]);
    let theirs = git(&remote, &["rev-parse", "refs/heads/main"]);
    let fresh = || {
        let s = TestStore::empty();
        git(
            dir.path(),
            &[
                "clone",
                "-q",
                remote.to_str().unwrap(),
                s.root().to_str().unwrap(),
            ],
        );
        s
    };
    // Joined, whole, once lore has looked (a look joins a clone that has not yet).
    let joined = |s: &TestStore, at: &str| {
        let listed = s.ok(&["list"]);
        assert!(
            listed.contains("Shared one") && listed.contains("Shared two"),
            "{at}: {listed}"
        );
        assert_eq!(
            s.git(&["symbolic-ref", "HEAD"]).trim(),
            "refs/heads/main",
            "{at}"
        );
        assert_eq!(s.git(&["rev-parse", "HEAD"]), theirs, "{at}");
        assert_eq!(s.git(&["status", "--porcelain"]).trim(), "", "{at}");
    };
    let clean = fresh();
    let log = clean.root().join(".git/points.log");
    let out = clean
        .cmd()
        .arg("list")
        .env("LORE_TEST_POINTS_LOG", &log)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    joined(&clean, "clean");
    let passed = std::fs::read_to_string(&log).unwrap();
    let points: Vec<&str> = lore::fault::POINTS
        .into_iter()
        .filter(|p| passed.lines().any(|l| l == *p))
        .collect();
    assert!(points.contains(&"before-ref"), "{points:?}");
    for point in points {
        let s = fresh();
        let before = clone_state(&s);
        let out = s
            .cmd()
            .arg("list")
            .env("LORE_FAULT", format!("{point}:error"))
            .output()
            .unwrap();
        let err = stderr(&out);
        if COMMITTED.contains(&point) {
            assert!(
                out.status.success() && err.contains("warning:"),
                "{point}: {err}"
            );
            joined(&s, point);
        } else {
            assert_eq!(out.status.code(), Some(1), "{point}: {err}");
            assert!(
                err.contains("could not sync:") && err.trim_end().ends_with("Nothing was written"),
                "{point}: {err}"
            );
            assert_eq!(clone_state(&s), before, "{point}: something changed");
            joined(&s, &format!("{point}, then a clean run"));
        }
        let s = fresh();
        let out = s
            .cmd()
            .arg("list")
            .env("LORE_FAULT", format!("{point}:crash"))
            .output()
            .unwrap();
        assert_eq!(out.status.signal(), Some(9), "{point}");
        let fixed = s.run(&["doctor", "--fix"]);
        assert!(
            fixed.status.code().is_some_and(|c| c <= 1),
            "{point}: {}",
            stdout(&fixed)
        );
        joined(&s, &format!("{point} crash, then doctor --fix"));
    }
}
