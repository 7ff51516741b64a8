//! The store lock between real processes: visibility of the holder, timeouts, crashes, stale
//! lock directories, and exclusion of the script's own `flock(1)` and `mkdir` locks.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// `lore record` of a throwaway learning, giving up on the lock after `secs` seconds.
fn record_within(s: &TestStore, secs: &str) -> std::process::Output {
    s.run(&[
        "--lock-timeout",
        secs,
        "record",
        "--title",
        "t",
        "--domain",
        "d",
    ])
}

fn status_json(s: &TestStore) -> serde_json::Value {
    serde_json::from_str(&s.ok(&["lock", "status", "--json"])).unwrap()
}

#[test]
fn a_second_process_sees_the_holder() {
    for strategy in ["flock", "mkdir"] {
        let s = TestStore::new();
        assert_eq!(status_json(&s)["state"], "free");
        let mut holder = hold(&s, 30, &["--lock-strategy", strategy]);
        let st = status_json(&s);
        assert_eq!(st["state"], "held", "{strategy}: {st}");
        assert_eq!(st["strategy"], strategy);
        assert_eq!(st["holder"]["pid"], holder.id(), "{strategy}: {st}");
        assert_eq!(st["holder"]["operation"], "hold");
        assert!(
            st["holder"]["command"]
                .as_str()
                .unwrap()
                .contains("lock hold"),
            "{st}"
        );
        let text = s.ok(&["lock", "status"]);
        assert!(
            text.starts_with("held:") && text.contains(&format!("pid {}", holder.id())),
            "{text}"
        );
        holder.kill().unwrap();
        holder.wait().unwrap();
    }
}

#[test]
fn a_record_under_a_held_lock_times_out_naming_the_holder() {
    for strategy in ["flock", "mkdir"] {
        let s = TestStore::new();
        let mut holder = hold(&s, 30, &["--lock-strategy", strategy]);
        let before = s.snapshot();
        let start = Instant::now();
        let out = s.run(&[
            "--lock-timeout",
            "1",
            "--lock-strategy",
            strategy,
            "record",
            "--title",
            "t",
            "--domain",
            "d",
        ]);
        let took = start.elapsed();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(3), "{strategy}: {err}");
        assert!(
            err.contains(&format!("pid {}", holder.id())),
            "{strategy}: {err}"
        );
        assert!(err.contains("timed out after 1"), "{err}");
        assert!(err.contains("lore lock status"), "{err}");
        // It names the lock that was held: the file, or the script's lock directory.
        let held = if strategy == "mkdir" {
            "claude-lock.dir"
        } else {
            "claude-lock "
        };
        assert!(err.contains(held), "{strategy}: {err}");
        assert!(
            err.contains("waiting for the store lock"),
            "the wait is announced: {err}"
        );
        assert!(
            took >= Duration::from_millis(950),
            "gave up early: {took:?}"
        );
        assert_eq!(s.snapshot(), before, "{strategy}: something was written");
        // The timeout is logged.
        let timeouts: i64 = s
            .db()
            .query_row(
                "SELECT count(*) FROM lock_events WHERE outcome = 'timeout'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(timeouts, 1);
        holder.kill().unwrap();
        holder.wait().unwrap();
    }
}

#[test]
fn a_killed_holder_frees_the_lock_at_once() {
    for strategy in ["flock", "mkdir"] {
        let s = TestStore::new();
        let mut holder = hold(&s, 60, &["--lock-strategy", strategy]);
        holder.kill().unwrap(); // SIGKILL: no clean-up runs
        holder.wait().unwrap();
        if strategy == "mkdir" {
            // The directory is left behind, with a holder record that proves it stale.
            assert!(s.root().join(".git/claude-lock.dir").exists());
            assert_eq!(status_json(&s)["state"], "stale");
        } else {
            assert_eq!(status_json(&s)["state"], "free");
        }
        let start = Instant::now();
        let out = s.run(&[
            "--lock-timeout",
            "5",
            "--lock-strategy",
            strategy,
            "record",
            "--title",
            "after",
            "--domain",
            "d",
        ]);
        assert!(out.status.success(), "{strategy}: {}", stderr(&out));
        assert!(
            start.elapsed() < Duration::from_secs(3),
            "{strategy}: waited {:?}",
            start.elapsed()
        );
        if strategy == "mkdir" {
            assert!(
                stderr(&out).contains("stale lock directory"),
                "a notice is printed: {}",
                stderr(&out)
            );
        }
        assert!(!s.root().join(".git/claude-lock.dir").exists());
        assert_eq!(status_json(&s)["state"], "free");
    }
}

#[test]
fn a_save_waits_for_the_holder_and_then_lands() {
    let s = TestStore::new();
    // Long enough that the release time (what the log held before) is seconds from the ask.
    let mut holder = hold(&s, 3, &[]);
    let start = Instant::now();
    let out = s.run(&["record", "--title", "patient", "--domain", "d"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        start.elapsed() >= Duration::from_millis(500),
        "did not wait: {:?}",
        start.elapsed()
    );
    assert!(holder.wait().unwrap().success());
    assert_eq!(s.row_count(), 1);
    // The log has the save's acquisition by when it was asked for (before the holder let go),
    // with the wait that followed: the inspector lists acquisitions by when they began.
    let (at, waited): (String, i64) = s
        .db()
        .query_row(
            "SELECT at, waited_ms FROM lock_events WHERE operation = 'record'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    let at: jiff::civil::DateTime = at.parse().unwrap();
    let asked = jiff::tz::TimeZone::UTC.to_timestamp(at).unwrap();
    let began = jiff::Timestamp::now() - jiff::SignedDuration::try_from(start.elapsed()).unwrap();
    assert!(waited >= 2_000, "{waited}");
    assert!(
        (asked - began).abs() < jiff::SignedDuration::from_millis(1_100),
        "asked at {asked}, the save began at {began}"
    );
}

#[test]
fn the_scripts_flock_is_honoured_and_its_holder_shown() {
    let s = TestStore::new();
    // What record-failure.sh does: open the file for writing on fd 200, lock it with flock(1).
    let lock = s.lock_file();
    let mut script = Command::new("bash")
        .arg("-c")
        .arg(r#"exec 200>"$1"; flock -w 30 200 || exit 1; echo locked; exec sleep 30"#)
        .arg("bash")
        .arg(&lock)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(script.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "locked");
    let st = status_json(&s);
    assert_eq!(st["state"], "held", "{st}");
    // flock(1) itself has exited; the holder is the process that keeps the descriptor open.
    assert_eq!(st["holder"]["pid"], script.id(), "{st}");
    let out = record_within(&s, "0.5");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("pid {}", script.id())),
        "{}",
        stderr(&out)
    );
    script.kill().unwrap();
    script.wait().unwrap();
    s.record("after the script", "d");
}

#[test]
fn the_scripts_lock_directory_is_honoured_but_never_broken() {
    let s = TestStore::new();
    // The script's fallback: an empty directory, no holder record.
    std::fs::create_dir(s.root().join(".git/claude-lock.dir")).unwrap();
    let st = status_json(&s);
    assert_eq!(st["state"], "held");
    assert!(
        st["note"].as_str().unwrap().contains("no holder record"),
        "{st}"
    );
    for strategy in ["flock", "mkdir"] {
        let out = s.run(&[
            "--lock-timeout",
            "0.3",
            "--lock-strategy",
            strategy,
            "record",
            "--title",
            "t",
            "--domain",
            "d",
        ]);
        assert_eq!(out.status.code(), Some(3), "{strategy}: {}", stderr(&out));
    }
    assert!(s.root().join(".git/claude-lock.dir").exists());
    // `lock break` refuses without --force, and removes it with it.
    let out = s.run(&["lock", "break", "--yes"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert!(s.root().join(".git/claude-lock.dir").exists());
    s.ok(&["lock", "break", "--yes", "--force"]);
    assert!(!s.root().join(".git/claude-lock.dir").exists());
    s.record("now free", "d");
}

#[test]
fn lock_break_refuses_a_live_holder_and_breaks_a_dead_one() {
    let s = TestStore::new();
    let mut holder = hold(&s, 30, &["--lock-strategy", "mkdir"]);
    let out = s.run(&["lock", "break", "--yes", "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("refusing to break a live lock"),
        "{}",
        stderr(&out)
    );
    assert!(s.root().join(".git/claude-lock.dir/owner").exists());
    // Without --yes and without a terminal it asks for --yes instead of guessing.
    holder.kill().unwrap();
    holder.wait().unwrap();
    let out = s.run(&["lock", "break"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"));
    let out = s.ok(&["lock", "break", "--yes"]);
    assert!(out.contains(&format!("pid {}", holder.id())), "{out}");
    assert_eq!(status_json(&s)["state"], "free");

    // A flock cannot be broken, only waited for: the message says how to proceed.
    let mut holder = hold(&s, 30, &[]);
    let out = s.run(&["lock", "break", "--yes", "--force"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("kill {}", holder.id())),
        "{}",
        stderr(&out)
    );
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn a_holder_on_another_host_is_never_broken_automatically() {
    let s = TestStore::new();
    let dir = s.root().join(".git/claude-lock.dir");
    std::fs::create_dir(&dir).unwrap();
    let record = serde_json::json!({
        "pid": 1, "host": "some-other-host.invalid", "command": "lore record", "since_ms": 0,
        "operation": "record", "nonce": "x"
    });
    std::fs::write(dir.join("owner"), record.to_string()).unwrap();
    let st = status_json(&s);
    assert_eq!(st["state"], "held");
    assert_eq!(st["liveness"], "unknown");
    let out = s.run(&[
        "--lock-timeout",
        "0.3",
        "--lock-strategy",
        "mkdir",
        "record",
        "--title",
        "t",
        "--domain",
        "d",
    ]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        stderr(&out).contains("some-other-host.invalid"),
        "{}",
        stderr(&out)
    );
    assert!(dir.join("owner").exists());
}

#[test]
fn ctrl_c_gives_up_waiting_cleanly() {
    let s = TestStore::new();
    let mut holder = hold(&s, 30, &[]);
    let child = s
        .cmd()
        .args(["record", "--title", "t", "--domain", "d"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));
    let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(130), "{}", stderr(&out));
    assert!(stderr(&out).contains("gave up waiting"), "{}", stderr(&out));
    assert_eq!(s.row_count(), 0);
    holder.kill().unwrap();
    holder.wait().unwrap();
}

#[test]
fn an_interrupt_outside_the_lock_ends_the_process_at_once() {
    let s = TestStore::new();
    // Blocked before the lock: opening a FIFO nobody writes to, and reading a pipe that stays
    // open. One SIGTERM (as `timeout` sends) or Ctrl-C must end it; nothing is half done.
    let fifo = s.root().join("body.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let fifo = fifo.to_str().unwrap();
    let cases: [(&[&str], rustix::process::Signal); 2] = [
        (&["--body-file", fifo], rustix::process::Signal::TERM),
        (&["--summary", "-"], rustix::process::Signal::INT),
    ];
    for (extra, signal) in cases {
        let mut child = s
            .cmd()
            .args(["record", "--title", "t", "--domain", "d"])
            .args(extra)
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let _stdin_stays_open = child.stdin.take();
        std::thread::sleep(Duration::from_millis(300));
        let pid = rustix::process::Pid::from_raw(child.id() as i32).unwrap();
        rustix::process::kill_process(pid, signal).unwrap();
        let t = Instant::now();
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                assert_eq!(status.code(), Some(130), "{extra:?}");
                break;
            }
            if t.elapsed() > Duration::from_secs(5) {
                let _ = child.kill();
                panic!("{extra:?}: one {signal:?} did not end it");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    assert_eq!(s.row_count(), 0);
    assert_eq!(s.commit_count(), 1);
}

// A store handle keeps the lock's descriptors open between acquisitions (so re-taking it is a
// flock and a pwrite). These tests hold that shortcut to the lock's promises.

fn quick(timeout_ms: u64) -> lore::lock::LockOptions {
    lore::lock::LockOptions {
        timeout: Duration::from_millis(timeout_ms),
        ..Default::default()
    }
}

#[test]
fn a_store_handle_that_released_the_lock_leaves_it_free_for_other_processes() {
    let s = TestStore::new();
    let store = lore::store::Store::open(s.root()).unwrap();
    let paths = store.lock_paths();
    for _ in 0..3 {
        drop(lore::lock::acquire(&paths, &quick(1000), &mut |_| {}).unwrap());
        assert_eq!(status_json(&s)["state"], "free");
        s.ok(&[
            "--lock-timeout",
            "2",
            "record",
            "--title",
            "t",
            "--domain",
            "d",
        ]);
    }
    assert_eq!(s.row_count(), 3);
}

#[test]
fn two_acquisitions_through_one_store_handle_still_exclude_each_other() {
    let s = TestStore::new();
    let store = lore::store::Store::open(s.root()).unwrap();
    // Released once, so the handle has descriptors to reuse.
    drop(lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap());
    let held = lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap();
    let other = store.clone();
    let second = std::thread::spawn(move || {
        lore::lock::acquire(&other.lock_paths(), &quick(300), &mut |_| {}).map(drop)
    })
    .join()
    .unwrap();
    assert!(
        matches!(second, Err(lore::lock::LockError::Timeout { .. })),
        "a second acquisition got the lock while the first held it: {second:?}"
    );
    drop(held);
    drop(lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap());
}

#[test]
fn a_lock_file_replaced_between_acquisitions_is_the_one_locked() {
    let s = TestStore::new();
    let store = lore::store::Store::open(s.root()).unwrap();
    drop(lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap());
    // Someone removes the lock file (and a script recreates it): the kept descriptor now names
    // a file nobody else can see, and locking it would exclude nobody.
    std::fs::remove_file(s.lock_file()).unwrap();
    let held = lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap();
    assert_eq!(status_json(&s)["state"], "held");
    let out = record_within(&s, "0.3");
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    drop(held);
    assert_eq!(status_json(&s)["state"], "free");
}

#[test]
fn a_handle_that_timed_out_does_not_keep_the_lock_once_its_holder_goes() {
    let s = TestStore::new();
    let store = lore::store::Store::open(s.root()).unwrap();
    drop(lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap());
    let mut holder = hold(&s, 1, &[]);
    let timed_out = lore::lock::acquire(&store.lock_paths(), &quick(200), &mut |_| {});
    assert!(matches!(
        timed_out,
        Err(lore::lock::LockError::Timeout { .. })
    ));
    holder.wait().unwrap();
    // The helper thread that was still waiting on the abandoned descriptor may get the lock
    // as the holder leaves; it must let go of it at once, not keep it for the handle.
    s.ok(&[
        "--lock-timeout",
        "3",
        "record",
        "--title",
        "t",
        "--domain",
        "d",
    ]);
    wait_until("the lock to be free", Duration::from_secs(3), || {
        status_json(&s)["state"] == "free"
    });
    drop(lore::lock::acquire(&store.lock_paths(), &quick(1000), &mut |_| {}).unwrap());
}
