//! The record queue: `lore record` processes that find the lock busy hand their record to its
//! holder, which saves it in its own write. Each record is still one commit holding exactly
//! its file, each writer prints its own result, and each is logged in `lock_events` once.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Child, Output, Stdio};
use std::time::Duration;

use crate::support::*;

/// The files in the store's queue directory.
pub fn queue_files(s: &TestStore) -> Vec<String> {
    let dir = s.root().join(".git/lore/queue");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

pub fn asks(s: &TestStore) -> usize {
    queue_files(s)
        .iter()
        .filter(|n| n.starts_with("ask-"))
        .count()
}

pub fn spawn_record(s: &TestStore, title: &str, summary: &str, env: &[(&str, &str)]) -> Child {
    spawn_record_with(s, &[], title, summary, env)
}

pub fn spawn_record_with(
    s: &TestStore,
    global: &[&str],
    title: &str,
    summary: &str,
    env: &[(&str, &str)],
) -> Child {
    let mut c = s.cmd();
    c.args(global);
    c.args([
        "record",
        "--title",
        title,
        "--domain",
        "queue",
        "--summary",
        summary,
    ]);
    for (k, v) in env {
        c.env(k, v);
    }
    c.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// `recorded #N <path> (commit <c>)` → (path, commit prefix).
pub fn printed(out: &Output) -> (String, String) {
    let text = stdout(out);
    let line = text.lines().next().unwrap_or_default();
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("recorded"), "{text}{}", stderr(out));
    let _id = words.next();
    let path = words.next().unwrap().to_string();
    let commit = words.nth(1).unwrap().trim_end_matches(')').to_string();
    (path, commit)
}

/// Every commit of HEAD's history (full id) and the files it changed.
pub fn files_by_commit(s: &TestStore) -> BTreeMap<String, Vec<String>> {
    let log = s.git(&["log", "--format=>%H", "--name-only"]);
    let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut current = String::new();
    for line in log.lines().filter(|l| !l.is_empty()) {
        match line.strip_prefix('>') {
            Some(id) => {
                current = id.to_string();
                map.entry(current.clone()).or_default();
            }
            None => map.get_mut(&current).unwrap().push(line.to_string()),
        }
    }
    map
}

/// The commit printed (a prefix) holds exactly the path printed, and nothing else.
pub fn assert_own_commit(s: &TestStore, path: &str, commit: &str) {
    let map = files_by_commit(s);
    let (_, files) = map
        .iter()
        .find(|(id, _)| id.starts_with(commit))
        .unwrap_or_else(|| panic!("commit {commit} is not in HEAD's history"));
    assert_eq!(files, &vec![path.to_string()], "commit {commit}");
}

pub fn summary_at(s: &TestStore, path: &str) -> String {
    let text = std::fs::read_to_string(s.root().join(path)).unwrap();
    text.lines()
        .skip_while(|l| !l.starts_with("## Summary"))
        .skip(1)
        .find(|l| !l.is_empty())
        .unwrap_or_default()
        .to_string()
}

/// A `lore record --title "The holder"` that pauses at each point `pauses` names (resumed by
/// [`Paused::resume`]) and is faulted as `fault` says, its points logged; returned once it
/// holds the lock (it has passed `after-lock`).
pub struct Paused {
    pub child: Child,
    go: std::path::PathBuf,
    log: std::path::PathBuf,
}

impl Paused {
    pub fn start(s: &TestStore, pauses: &[&str], fault: Option<&str>) -> Paused {
        let go = s.root().join(".git/test-go");
        std::fs::create_dir_all(&go).unwrap();
        let log = s.root().join(".git/test-points.log");
        let mut faults: Vec<String> = pauses.iter().map(|p| format!("{p}:pause")).collect();
        faults.extend(fault.map(str::to_string));
        let faults = faults.join(",");
        let env = [
            ("LORE_FAULT", faults.as_str()),
            ("LORE_FAULT_RESUME", go.to_str().unwrap()),
            ("LORE_TEST_POINTS_LOG", log.to_str().unwrap()),
        ];
        let child = spawn_record(s, "The holder", "the holder's own", &env);
        let paused = Paused { child, go, log };
        paused.reached("after-lock");
        paused
    }

    /// Waits until the holder has passed `point`.
    pub fn reached(&self, point: &str) {
        wait_until(point, Duration::from_secs(20), || {
            std::fs::read_to_string(&self.log).is_ok_and(|t| t.lines().any(|l| l == point))
        });
    }

    pub fn resume(&self, point: &str) {
        std::fs::write(self.go.join(point), "").unwrap();
    }
}

#[test]
fn records_queued_behind_a_holder_are_each_their_own_commit_and_answered() {
    for strategy in ["flock", "mkdir"] {
        queued_behind_a_holder(&["--lock-strategy", strategy]);
    }
}

fn queued_behind_a_holder(global: &[&str]) {
    let s = TestStore::new();
    s.record("Before the queue", "queue");
    // Long enough never to end by itself on a loaded machine: it is killed.
    let mut holder = hold(&s, 60, global);
    let writers: Vec<(String, Child)> = (0..6)
        .map(|i| {
            let summary = format!("queued writer {i}");
            let child = spawn_record_with(&s, global, &format!("Queued {i}"), &summary, &[]);
            (summary, child)
        })
        .collect();
    wait_until("six queued records", Duration::from_secs(20), || {
        asks(&s) == 6
    });
    holder.kill().unwrap();
    let _ = holder.wait();
    let mut pids = BTreeSet::new();
    let mut paths = BTreeSet::new();
    for (summary, child) in writers {
        pids.insert(child.id() as i64);
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        let (path, commit) = printed(&out);
        assert_own_commit(&s, &path, &commit);
        assert_eq!(summary_at(&s, &path), summary, "{path}");
        paths.insert(path);
    }
    assert_eq!(paths.len(), 6);
    assert_eq!(s.row_count(), 7);
    assert_eq!(s.files_in_head().len(), 7);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert!(queue_files(&s).is_empty(), "{:?}", queue_files(&s));
    // One row for each writer: the one that took the lock `ok`, the others `served` by it
    // with their own pid and wait, and no lock hold of their own.
    let db = s.db();
    let mut stmt = db
        .prepare(
            "SELECT pid, outcome, held_ms, waited_ms FROM lock_events WHERE operation = 'record'",
        )
        .unwrap();
    let rows: Vec<(i64, String, Option<i64>, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .map(Result::unwrap)
        .filter(|r: &(i64, String, Option<i64>, i64)| pids.contains(&r.0))
        .collect();
    assert_eq!(rows.len(), 6, "{rows:#?}");
    let logged: BTreeSet<i64> = rows.iter().map(|r| r.0).collect();
    assert_eq!(logged, pids, "{rows:#?}");
    let served: Vec<_> = rows.iter().filter(|r| r.1 == "served").collect();
    assert!(!served.is_empty(), "{rows:#?}");
    assert!(served.iter().all(|r| r.2.is_none() && r.3 > 0), "{rows:#?}");
    assert!(
        rows.iter().all(|r| r.1 == "served" || r.1 == "ok"),
        "{rows:#?}"
    );
}

#[test]
fn a_writer_that_gives_up_before_its_record_is_claimed_saves_nothing() {
    let s = TestStore::new();
    let before = s.commit_count();
    let mut holder = hold(&s, 60, &[]);
    let out = s.run(&[
        "--lock-timeout",
        "300ms",
        "record",
        "--title",
        "Gave up",
        "--domain",
        "queue",
    ]);
    // A lock timeout's own status, as without the queue.
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("timed out"), "{}", stderr(&out));
    assert!(queue_files(&s).is_empty(), "{:?}", queue_files(&s));
    holder.kill().unwrap();
    let _ = holder.wait();
    s.record("After the holder", "queue");
    assert_eq!(s.commit_count(), before + 1);
    assert!(!s.files_in_head().iter().any(|p| p.contains("gave-up")));
}

#[test]
fn a_killed_writers_queued_record_is_dropped_unsaved() {
    let s = TestStore::new();
    let mut holder = hold(&s, 60, &[]);
    let mut doomed = spawn_record(&s, "Killed while queued", "never saved", &[]);
    wait_until("the queued record", Duration::from_secs(20), || {
        asks(&s) == 1
    });
    doomed.kill().unwrap();
    let _ = doomed.wait();
    holder.kill().unwrap();
    let _ = holder.wait();
    let out = s.run(&["record", "--title", "Saved after", "--domain", "queue"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let head = s.files_in_head();
    assert_eq!(head.len(), 1, "{head:?}");
    assert!(head[0].contains("saved-after"), "{head:?}");
    assert!(queue_files(&s).is_empty(), "{:?}", queue_files(&s));
}

/// A holder that dies with records claimed: each claimed record's writer still ends with its
/// record saved exactly once, in a commit holding only its file, and says where; the dead
/// holder's own record is whole or absent once `doctor --fix` has run; nothing is left queued.
#[test]
fn a_holder_killed_at_every_step_with_records_claimed() {
    let base = std::env::temp_dir();
    // The points a write that serves the queue passes, from one clean run.
    let points = {
        let s = TestStore::new_in(&base);
        let mut passed = String::new();
        lined_up(&s, None, |h, points| {
            assert!(h.status.success(), "{}", stderr(h));
            passed = points.to_string();
        });
        let mut points: Vec<&str> = lore::fault::POINTS
            .into_iter()
            .chain(lore::fault::QUEUE_POINTS)
            .filter(|p| passed.lines().any(|l| l == *p))
            .collect();
        points.sort();
        points.dedup();
        points
    };
    for p in lore::fault::QUEUE_POINTS {
        assert!(points.contains(&p), "{p} not passed: {points:?}");
    }
    for point in points {
        let s = TestStore::new_in(&base);
        let fault = format!("{point}:crash");
        lined_up(&s, Some(&fault), |holder, _| {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                holder.status.signal(),
                Some(9),
                "{point}: {}",
                stderr(holder)
            );
        });
        s.run(&["doctor", "--fix"]);
        // The next holder clears what the dead one left in the queue.
        s.record("After the crash", "queue");
        let head = s.files_in_head();
        let holders: Vec<_> = head.iter().filter(|p| p.contains("the-holder")).collect();
        assert!(holders.len() <= 1, "{point}: {head:?}");
        // Whole or absent: in HEAD, on disk and in the index together, or nowhere.
        let on_disk = s.learnings_on_disk();
        assert_eq!(on_disk.len(), head.len(), "{point}: {on_disk:?} / {head:?}");
        assert_eq!(s.row_count() as usize, head.len(), "{point}");
        let status = s.git(&["status", "--porcelain"]);
        assert!(
            status.lines().all(|l| l.contains("memory/index.db")),
            "{point}: {status}"
        );
        assert!(queue_files(&s).is_empty(), "{point}: {:?}", queue_files(&s));
    }
}

/// Runs the holder (paused after it took the lock, then faulted as `fault` says) and a waiter
/// whose record queues behind it; checks the waiter's result and gives the holder's output
/// and the points it passed to `holder`.
fn lined_up(s: &TestStore, fault: Option<&str>, holder: impl FnOnce(&Output, &str)) {
    let h = Paused::start(s, &["after-lock"], fault);
    let w = spawn_record(s, "The waiter", "the waiter's own", &[]);
    wait_until(
        "the waiter's queued record",
        Duration::from_secs(20),
        || asks(s) == 1,
    );
    h.resume("after-lock");
    let out = h.child.wait_with_output().unwrap();
    holder(&out, &std::fs::read_to_string(&h.log).unwrap_or_default());
    let w = w.wait_with_output().unwrap();
    assert!(w.status.success(), "waiter: {}", stderr(&w));
    let (path, commit) = printed(&w);
    assert_own_commit(s, &path, &commit);
    assert_eq!(summary_at(s, &path), "the waiter's own");
    let waiters = s
        .files_in_head()
        .into_iter()
        .filter(|p| p.contains("the-waiter"))
        .count();
    assert_eq!(waiters, 1, "{:?}", s.files_in_head());
}

/// A writer whose lock timeout passes after the holder claimed its record does not say
/// "nothing was written" (the record is being saved): it waits for the holder's answer.
#[test]
fn a_writer_whose_record_was_claimed_waits_past_its_timeout_for_the_answer() {
    let s = TestStore::new();
    let holder = Paused::start(&s, &["after-lock", "after-claim"], None);
    let waiter = s
        .cmd()
        .args([
            "--lock-timeout",
            "1500ms",
            "record",
            "--title",
            "Claimed then timed out",
        ])
        .args(["--domain", "queue", "--summary", "claimed"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let waiter_pid = waiter.id() as i64;
    wait_until(
        "the waiter's queued record",
        Duration::from_secs(20),
        || asks(&s) == 1,
    );
    holder.resume("after-lock");
    holder.reached("after-claim");
    // Past the waiter's timeout, with its record claimed.
    std::thread::sleep(Duration::from_millis(2500));
    holder.resume("after-claim");
    let h = holder.child.wait_with_output().unwrap();
    assert!(h.status.success(), "{}", stderr(&h));
    let w = waiter.wait_with_output().unwrap();
    assert!(w.status.success(), "{}", stderr(&w));
    let (path, commit) = printed(&w);
    assert_own_commit(&s, &path, &commit);
    assert_eq!(summary_at(&s, &path), "claimed");
    assert_eq!(s.files_in_head().len(), 2);
    assert!(queue_files(&s).is_empty(), "{:?}", queue_files(&s));
    // Logged once, as served, with its wait (not also as a timeout).
    let rows: Vec<(String, i64)> = {
        let db = s.db();
        let mut st = db
            .prepare("SELECT outcome, waited_ms FROM lock_events WHERE pid = ?")
            .unwrap();
        st.query_map([waiter_pid], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0].0, "served");
    assert!(rows[0].1 >= 2500, "{rows:?}");
}

/// A hook that refuses one queued record's commit refuses that record alone: its writer is
/// told, with nothing of it written, and every other writer's record is saved.
#[test]
fn a_hook_refusing_one_queued_record_refuses_it_alone() {
    let s = TestStore::new();
    write_executable(
        &s.root().join(".git/hooks/commit-msg"),
        "#!/bin/sh\nif grep -q 'Refused by the hook' \"$1\"; then echo 'no, not this one' >&2; exit 1; fi\n",
    );
    let mut holder = hold(&s, 60, &[]);
    let titles = ["Kept one", "Refused by the hook", "Kept two", "Kept three"];
    let writers: Vec<(&str, Child)> = titles
        .iter()
        .map(|t| (*t, spawn_record(&s, t, &format!("summary of {t}"), &[])))
        .collect();
    wait_until("four queued records", Duration::from_secs(20), || {
        asks(&s) == 4
    });
    holder.kill().unwrap();
    let _ = holder.wait();
    for (title, child) in writers {
        let out = child.wait_with_output().unwrap();
        if title.starts_with("Refused") {
            assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
            let err = stderr(&out);
            assert!(err.contains("commit-msg"), "{err}");
            assert!(err.trim_end().ends_with("Nothing was written"), "{err}");
        } else {
            assert!(out.status.success(), "{title}: {}", stderr(&out));
            let (path, commit) = printed(&out);
            assert_own_commit(&s, &path, &commit);
            assert_eq!(summary_at(&s, &path), format!("summary of {title}"));
        }
    }
    let head = s.files_in_head();
    assert_eq!(head.len(), 3, "{head:?}");
    assert!(!head.iter().any(|p| p.contains("refused")), "{head:?}");
    assert_eq!(s.row_count(), 3);
    assert_eq!(s.git(&["status", "--porcelain"]).trim(), "");
    assert!(queue_files(&s).is_empty(), "{:?}", queue_files(&s));
}

/// A holder that took the lock without waiting, whose write with queued records a hook
/// refused, saves its own record alone, once: it never queues it for another holder too.
#[test]
fn a_holder_whose_batch_failed_saves_its_own_record_once() {
    let s = TestStore::new();
    write_executable(
        &s.root().join(".git/hooks/commit-msg"),
        "#!/bin/sh\nif grep -q 'Refused by the hook' \"$1\"; then exit 1; fi\n",
    );
    let holder = Paused::start(&s, &["after-lock"], None);
    let titles = ["Refused by the hook", "Kept one", "Kept two"];
    let writers: Vec<Child> = titles
        .iter()
        .map(|t| spawn_record(&s, t, "queued", &[]))
        .collect();
    wait_until("three queued records", Duration::from_secs(20), || {
        asks(&s) == 3
    });
    holder.resume("after-lock");
    let h = holder.child.wait_with_output().unwrap();
    assert!(h.status.success(), "{}", stderr(&h));
    let (path, commit) = printed(&h);
    assert_own_commit(&s, &path, &commit);
    let codes: Vec<Option<i32>> = writers
        .into_iter()
        .map(|w| w.wait_with_output().unwrap().status.code())
        .collect();
    assert_eq!(codes, [Some(1), Some(0), Some(0)]);
    let head = s.files_in_head();
    let holders = head.iter().filter(|p| p.contains("the-holder")).count();
    assert_eq!(holders, 1, "{head:?}");
    assert_eq!(head.len(), 3, "{head:?}");
    assert!(queue_files(&s).is_empty(), "{:?}", queue_files(&s));
}

/// Two writers queue the same learning word for word; the holder that claimed both dies
/// before its write lands. Each writer must end with a record of its own: the first to take
/// the dead write back may save its copy at the path the other's was planned for, with the
/// same bytes, and the other must not take that for its own.
#[test]
fn identical_records_whose_holder_died_are_both_saved() {
    for _ in 0..3 {
        let s = TestStore::new();
        let holder = Paused::start(&s, &["after-lock"], Some("before-ref:crash"));
        let twins: Vec<Child> = (0..2)
            .map(|_| spawn_record(&s, "Same words", "word for word", &[]))
            .collect();
        wait_until("two queued records", Duration::from_secs(20), || {
            asks(&s) == 2
        });
        holder.resume("after-lock");
        let _ = holder.child.wait_with_output().unwrap();
        let told: Vec<(String, String)> = twins
            .into_iter()
            .map(|t| {
                let out = t.wait_with_output().unwrap();
                assert!(out.status.success(), "{}", stderr(&out));
                printed(&out)
            })
            .collect();
        assert_ne!(told[0].0, told[1].0, "{told:?}");
        for (path, commit) in &told {
            assert_own_commit(&s, path, commit);
        }
        let head = s.files_in_head();
        let same = head.iter().filter(|p| p.contains("same-words")).count();
        assert_eq!(same, 2, "{head:?}");
    }
}

/// Linked worktrees share the store lock but not their queues: a holder in the main work tree
/// never saves a record queued in a linked one (it would land on the wrong branch); that
/// writer saves it on its own branch once it has the lock.
#[test]
fn a_holder_never_saves_a_record_queued_in_another_worktree() {
    let main = TestStore::new();
    main.record("In the main work tree", "d");
    let second = TestStore::empty();
    git(
        main.root(),
        &[
            "worktree",
            "add",
            "-q",
            second.root().to_str().unwrap(),
            "-b",
            "second",
        ],
    );
    let holder = Paused::start(&main, &["after-lock"], None);
    let writer = spawn_record(&second, "In the linked worktree", "linked", &[]);
    let queued = || {
        let dir = main.root().join(".git/worktrees");
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|w| std::fs::read_dir(w.path().join("lore/queue")).ok())
            .flatten()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("ask-"))
            .count()
    };
    wait_until(
        "the linked worktree's queued record",
        Duration::from_secs(20),
        || queued() == 1,
    );
    holder.resume("after-lock");
    let h = holder.child.wait_with_output().unwrap();
    assert!(h.status.success(), "{}", stderr(&h));
    let (path, commit) = printed(&h);
    assert_own_commit(&main, &path, &commit);
    let w = writer.wait_with_output().unwrap();
    assert!(w.status.success(), "{}", stderr(&w));
    let (path, commit) = printed(&w);
    assert_own_commit(&second, &path, &commit);
    assert_eq!(
        second.git(&["log", "-1", "--format=%s", "second"]).trim(),
        "failure: In the linked worktree"
    );
    assert!(
        !main.git(&["log", "--format=%s", "main"]).contains("linked"),
        "the main branch is not touched"
    );
    assert_eq!(queued(), 0);
}

/// Whoever takes back a dead holder's write notes whether it had landed, for the writers whose
/// records it had claimed: `doctor --fix` too, when it gets there first.
#[test]
fn doctor_taking_back_a_dead_holders_write_notes_its_verdict_for_the_queue() {
    let s = TestStore::new();
    let holder = Paused::start(&s, &["after-lock"], Some("before-ref:crash"));
    // A record queued by this test process (alive, so the holder takes it).
    let tag = lore::lock::creator_tag();
    let queue = s.root().join(".git/lore/queue");
    std::fs::create_dir_all(&queue).unwrap();
    let request = serde_json::json!({
        "root": s.root(),
        "draft": {"title": "Queued by the test", "domain": "queue", "summary": "x"},
        "verify": true,
        "asked_ms": 1u64,
    });
    std::fs::write(queue.join(format!("ask-{tag}.json")), request.to_string()).unwrap();
    holder.resume("after-lock");
    let h = holder.child.wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(h.status.signal(), Some(9), "{}", stderr(&h));
    assert!(
        queue.join(format!("claimed-{tag}.json")).exists(),
        "{:?}",
        queue_files(&s)
    );
    let out = s.run(&["doctor", "--fix"]);
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        stderr(&out)
    );
    let verdicts: Vec<String> = queue_files(&s)
        .into_iter()
        .filter(|n| n.starts_with("verdict-"))
        .collect();
    assert_eq!(verdicts.len(), 1, "{:?}", queue_files(&s));
    assert_eq!(
        std::fs::read_to_string(queue.join(&verdicts[0])).unwrap(),
        "false",
        "the write had not landed"
    );
    assert!(s.files_in_head().is_empty(), "{:?}", s.files_in_head());
}

/// A writer killed while it takes back its dead holder's staged change, holding git's index
/// lock: `doctor --fix` then takes that lock as stale and the dead write back, and leaves the
/// store whole (before, the undo waited on the lock and gave up, and doctor could not repair).
#[test]
fn a_writer_killed_taking_back_its_dead_holders_write_leaves_what_doctor_mends() {
    let s = TestStore::new();
    s.record("Before", "queue");
    let holder = Paused::start(&s, &["after-lock"], Some("after-stage:crash"));
    let waiter = spawn_record(
        &s,
        "The waiter",
        "the waiter's own",
        &[("LORE_FAULT", "undo-index-locked:crash")],
    );
    wait_until(
        "the waiter's queued record",
        Duration::from_secs(20),
        || asks(&s) == 1,
    );
    holder.resume("after-lock");
    let _ = holder.child.wait_with_output().unwrap();
    let w = waiter.wait_with_output().unwrap();
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(w.status.signal(), Some(9), "{}", stderr(&w));
    assert!(
        s.root().join(".git/index.lock").exists(),
        "the waiter died holding it"
    );
    let out = s.run(&["doctor", "--fix"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(!s.root().join(".git/index.lock").exists());
    let status = s.git(&["status", "--porcelain"]);
    assert!(
        status.lines().all(|l| l.contains("memory/index.db")),
        "{status}"
    );
    assert_eq!(s.files_in_head().len(), 1, "{:?}", s.files_in_head());
    assert_eq!(s.learnings_on_disk().len(), 1);
}
