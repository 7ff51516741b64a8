//! 16 writers at once, with and without the record queue (issue 20): `cargo bench --bench
//! combine`. Prints figures; never fails on time.
//!
//! With the queue (`lore::ops::queue`) a `lore record` that finds the lock busy hands its
//! record to the holder, which saves up to 8 in one write, each still its own commit. On one
//! generated store (`LORE_BENCH_SIZES`, first size, default 1,000), in one run:
//!
//! 1. the queue: 16 writer processes × 25 `lore record`, this build; with
//!    `LORE_BENCH_BEFORE=<an older lore binary>` (one without the queue) the same load run
//!    with it too, the two alternated three times;
//! 2. the holder alone: 400 records committed back to back by one thread of this process
//!    (the library's record, lock taken and released around each, as `lore mcp` does);
//! 3. combining, simulated: 16 writer threads, each 25 times running a real `lore` process of
//!    a writer's start-up size (see `WRITER`), then handing a record to the holder thread over
//!    a channel and waiting for its commit: the design's ceiling without its files.
//!
//! It also times the file operations the queue adds to each record (`queue_files`).
//!
//! 2 and 3 run twice: the holder saving one record a write, and the holder saving all the
//! records waiting in one write, each its own commit (`record_each`).

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use lore::index::Index;
use lore::lock::LockOptions;
use lore::ops::record;
use lore::store::Store;
use support::synthetic::{draft, generate};

const LORE: &str = env!("CARGO_BIN_EXE_lore");
const WRITERS: usize = 16;
/// Clock ticks a second in `/proc` (`USER_HZ`, 100 on Linux).
const TICK: f64 = 1.0 / 100.0;
const EACH: usize = 25;

/// What a queueing writer process does before it hands its record over: exec, parse, read the
/// configuration, open the store (the repository and its git configuration). `config show`
/// does that and prints; `--version` is the floor of any `lore` process.
const WRITER: [&str; 2] = ["config show", "--version"];

/// This thread's CPU time (user + system) from `/proc/thread-self/stat`, in clock ticks.
fn thread_cpu_ticks() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    get(11) + get(12)
}

fn writer_process(root: &Path, args: &str) {
    let ok = Command::new(LORE)
        .arg("--store")
        .arg(root)
        .args(args.split(' '))
        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
        .stdout(Stdio::null())
        .status()
        .unwrap()
        .success();
    assert!(ok, "lore {args} failed");
}

fn rate(records: usize, took: Duration) -> String {
    format!(
        "{:>5.0} records/s ({records} in {:.2} s)",
        records as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    )
}

/// 16 writer processes × 25 `lore record` of the binary `lore`, all at once.
fn separate_writers(root: &Path, lore: &str, tag: &str) -> Duration {
    let t = Instant::now();
    let children: Vec<_> = (0..WRITERS)
        .map(|w| {
            Command::new("bash")
                .arg("-c")
                .arg(r#"for i in $(seq "$4"); do "$1" --store "$2" record --title "writer $3 record $i" --domain contention >/dev/null 2>&1 || exit 1; done"#)
                .arg("bash")
                .arg(lore)
                .arg(root)
                .arg(format!("{tag}{w}"))
                .arg(EACH.to_string())
                .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    t.elapsed()
}

type Request = (usize, mpsc::Sender<()>);

/// Commits every draft that arrives, answering each sender once its commit is made: one write
/// a record, or (`batched`) one write for all that are waiting, each still its own commit
/// (`record_each`).
fn holder(store: &Store, requests: mpsc::Receiver<Request>, batched: bool) -> u64 {
    if batched {
        return batch_holder(store, requests);
    }
    let mut index = Index::open(store).unwrap();
    let opts = LockOptions::default();
    let mut seed = 7u64;
    let cpu = thread_cpu_ticks();
    for (i, done) in requests {
        let l = draft(1_000_000 + i, &mut seed).validate().unwrap();
        record::record(store, &mut index, &l, &opts, &mut |_| {}).unwrap();
        let _ = done.send(());
    }
    thread_cpu_ticks() - cpu
}

/// The most records a batched holder saves in one write: `LORE_BENCH_BATCH`, default all 16.
fn batch_cap() -> usize {
    std::env::var("LORE_BENCH_BATCH")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(WRITERS)
        .max(1)
}

fn batch_holder(store: &Store, requests: mpsc::Receiver<Request>) -> u64 {
    let mut index = Index::open(store).unwrap();
    let opts = LockOptions::default();
    let mut seed = 7u64;
    let cpu = thread_cpu_ticks();
    while let Ok(first) = requests.recv() {
        let mut waiting = vec![first];
        waiting.extend(requests.try_iter().take(batch_cap() - 1));
        let batch: Vec<_> = waiting
            .iter()
            .map(|(i, _)| draft(1_000_000 + i, &mut seed).validate().unwrap())
            .collect();
        record::record_each(store, &mut index, &batch, &opts, &mut |_| {}).unwrap();
        for (_, done) in waiting {
            let _ = done.send(());
        }
    }
    thread_cpu_ticks() - cpu
}

/// What a queue made of files would add to each record, timed on the store's file system: the
/// writer's request written and renamed into place, the holder's claim (a rename) and read,
/// its result written and renamed, the writer's read, then both files removed. Returns the
/// time a record, and its CPU time on this thread.
fn queue_files(dir: &Path, n: usize) -> (Duration, Duration) {
    std::fs::create_dir_all(dir).unwrap();
    let request = vec![b'r'; 1200];
    let cpu = thread_cpu_ticks();
    let t = Instant::now();
    for i in 0..n {
        let (tmp, req, claimed) = (
            dir.join(format!(".req-{i}.tmp")),
            dir.join(format!("req-{i}")),
            dir.join(format!("claimed-{i}")),
        );
        std::fs::write(&tmp, &request).unwrap();
        std::fs::rename(&tmp, &req).unwrap();
        std::fs::rename(&req, &claimed).unwrap();
        let _ = std::fs::read(&claimed).unwrap();
        let (res_tmp, res) = (
            dir.join(format!(".res-{i}.tmp")),
            dir.join(format!("res-{i}")),
        );
        std::fs::write(
            &res_tmp,
            b"{\"commit\":\"0123456789abcdef0123456789abcdef01234567\"}",
        )
        .unwrap();
        std::fs::rename(&res_tmp, &res).unwrap();
        let _ = std::fs::read(&res).unwrap();
        std::fs::remove_file(&res).unwrap();
        std::fs::remove_file(&claimed).unwrap();
    }
    let ticks = thread_cpu_ticks() - cpu;
    (
        t.elapsed() / n as u32,
        Duration::from_secs_f64(ticks as f64 * TICK / n as f64),
    )
}

fn main() {
    let n = std::env::var("LORE_BENCH_SIZES")
        .ok()
        .and_then(|s| s.split(',').next().and_then(|n| n.trim().parse().ok()))
        .unwrap_or(1_000);
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = generate(&root, n, LORE);
    println!(
        "combining ceiling at {n} learnings, {} cores ({WRITERS} writers × {EACH} records)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );

    let (wall, cpu) = queue_files(&root.join(".git/lore-queue-bench"), 2000);
    println!(
        "  queue files a record (not in the rows below)      {:.0} µs, {:.0} µs of CPU",
        wall.as_secs_f64() * 1e6,
        cpu.as_secs_f64() * 1e6
    );

    let before = std::env::var("LORE_BENCH_BEFORE").ok();
    for round in 0..if before.is_some() { 3 } else { 1 } {
        let took = separate_writers(&root, LORE, &format!("q{round}-"));
        println!(
            "  the queue: 16 writer processes (this build)       {}",
            rate(WRITERS * EACH, took)
        );
        if let Some(before) = &before {
            let took = separate_writers(&root, before, &format!("b{round}-"));
            println!(
                "  before: each takes the lock ({before})  {}",
                rate(WRITERS * EACH, took)
            );
        }
    }

    for batched in [false, true] {
        // The holder alone, fed as fast as it commits (batches of `batch_cap()` when batched).
        let (tx, rx) = mpsc::channel();
        let (ack, acks) = mpsc::channel();
        for i in 0..WRITERS * EACH {
            tx.send((i, ack.clone())).unwrap();
        }
        drop((tx, ack));
        let t = Instant::now();
        let cpu = std::thread::scope(|s| s.spawn(|| holder(&store, rx, batched)).join().unwrap());
        let took = t.elapsed();
        drop(acks);
        println!(
            "  the holder alone, {}  {}, {:.2} ms of CPU a record",
            if batched {
                "batched     "
            } else {
                "one a write "
            },
            rate(WRITERS * EACH, took),
            cpu as f64 * TICK * 1e3 / (WRITERS * EACH) as f64
        );
    }

    for (writer, batched) in [
        (WRITER[0], false),
        (WRITER[0], true),
        (WRITER[1], false),
        (WRITER[1], true),
    ] {
        // Each writer process alone, for its cost.
        let t = Instant::now();
        for _ in 0..50 {
            writer_process(&root, writer);
        }
        let alone = t.elapsed() / 50;

        let (tx, rx) = mpsc::channel::<Request>();
        let t = Instant::now();
        let cpu = std::thread::scope(|s| {
            let h = s.spawn(|| holder(&store, rx, batched));
            for w in 0..WRITERS {
                let tx = tx.clone();
                let root = &root;
                s.spawn(move || {
                    for i in 0..EACH {
                        writer_process(root, writer);
                        let (done, wait) = mpsc::channel();
                        tx.send((2_000_000 + w * EACH + i, done)).unwrap();
                        wait.recv().unwrap();
                    }
                });
            }
            drop(tx);
            h.join().unwrap()
        });
        let took = t.elapsed();
        println!(
            "  combining{}, writers run `lore {writer}` ({:.2} ms alone)  {}, holder {:.2} ms of CPU a record",
            if batched { " batched" } else { "" },
            alone.as_secs_f64() * 1e3,
            rate(WRITERS * EACH, took),
            cpu as f64 * TICK * 1e3 / (WRITERS * EACH) as f64
        );
    }
}
