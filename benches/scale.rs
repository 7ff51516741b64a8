//! Performance benchmark, side by side in one run: `cargo bench --bench scale`. Prints
//! figures; never fails on time.
//!
//! - uncontended lock acquire + release;
//! - per store size (`LORE_BENCH_SIZES`, default `1000,10000,100000`; add `1000000` for the
//!   largest, which takes a while to generate): `lore record` latency p50/p99 in-process and as
//!   a whole process, the same records through a bash stand-in of `record-failure.sh`
//!   (benches/record-failure-standin.sh), and the repository's size;
//! - writers (`LORE_BENCH_WRITERS`, default `1,4,16,64`) recording at once into a 10,000-entry
//!   store: throughput and lock-wait p50/p99/max;
//! - repository health (`LORE_BENCH_HEALTH` saves, default 20000; 0 skips): latency and size
//!   with that many saves' loose objects, then after `git gc --auto` packs them.
//!
//! `LORE_BENCH_KEEP=DIR` keeps each size's generated store in `DIR/<size>`.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use lore::index::Index;
use lore::lock::{self, LockOptions};
use lore::ops::record;
use lore::store::Store;
use support::figures::*;
use support::synthetic::*;

const LORE: &str = env!("CARGO_BIN_EXE_lore");
const STANDIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/record-failure-standin.sh"
);

fn list(var: &str, default: &[usize]) -> Vec<usize> {
    std::env::var(var)
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| default.to_vec())
}

fn row(name: &str, v: Vec<Duration>) -> Duration {
    let (p50, p99, max) = spread(v);
    println!(
        "  {name:<38} p50 {:>10}  p99 {:>10}  max {:>10}",
        ms(p50),
        ms(p99),
        ms(max)
    );
    p50
}

fn record_latency(store: &Store, n: usize, label: &str) -> (Duration, Duration) {
    let mut index = Index::open(store).unwrap();
    let mut seed = 42;
    let inproc: Vec<Duration> = (0..100)
        .map(|i| {
            let l = draft(n + 10 * i, &mut seed).validate().unwrap();
            let t = Instant::now();
            record::record(store, &mut index, &l, &LockOptions::default(), &mut |_| {}).unwrap();
            t.elapsed()
        })
        .collect();
    let inproc = row(&format!("record, in-process{label}"), inproc);
    let whole: Vec<Duration> = (0..100)
        .map(|i| lore_record(LORE, store.root(), &format!("Whole process {n} {i}")))
        .collect();
    let whole = row(&format!("record, whole process{label}"), whole);
    (inproc, whole)
}

fn git_sizes(root: &Path) -> String {
    let index = std::fs::metadata(root.join(".git/index"))
        .map(|m| m.len())
        .unwrap_or(0);
    format!(
        ".git {:.1} MB, git index {:.1} MB, index.db {:.1} MB",
        du(&root.join(".git")) as f64 / 1e6,
        index as f64 / 1e6,
        std::fs::metadata(root.join("memory/index.db"))
            .map(|m| m.len())
            .unwrap_or(0) as f64
            / 1e6
    )
}

fn sizes(n: usize) {
    let tmp = tempfile::tempdir().unwrap();
    // `LORE_BENCH_KEEP=DIR` leaves each generated store in DIR/<size> for profiling by hand
    // (a million learnings take ten minutes to generate).
    let root = match std::env::var_os("LORE_BENCH_KEEP") {
        Some(dir) => Path::new(&dir).join(n.to_string()),
        None => tmp.path().join("store"),
    };
    let t = Instant::now();
    let store = generate(&root, n, LORE);
    println!(
        "\n== {n} learnings: generated in {:.1} s; {}",
        t.elapsed().as_secs_f64(),
        git_sizes(&root)
    );
    let (_, whole) = record_latency(&store, n, "");
    if Command::new("sqlite3").arg("-version").output().is_ok() {
        let standin: Vec<Duration> = (0..50)
            .map(|i| {
                let t = Instant::now();
                let out = Command::new("bash")
                    .arg(STANDIN)
                    .arg(&root)
                    .arg(format!("Stand-in record {n} {i}"))
                    .arg("bench")
                    .arg("A short summary.")
                    .output()
                    .unwrap();
                assert!(out.status.success());
                t.elapsed()
            })
            .collect();
        let s = row("bash stand-in (flock, sqlite3, git)", standin);
        println!(
            "  {:<38} {:.1}× faster per record (whole process)",
            "lore vs the stand-in",
            s.as_secs_f64() / whole.as_secs_f64()
        );
    } else {
        println!("  bash stand-in: skipped (no sqlite3 command)");
    }
}

fn writers(counts: &[usize]) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = generate(&root, 10_000, LORE);
    println!("\n== writers at once on a 10,000-entry store (lock waits from lock_events, ms)");
    let index = Index::open(&store).unwrap();
    for &w in counts {
        let each = (400 / w).max(10);
        let since: i64 = index
            .connection()
            .query_row("SELECT coalesce(max(id), 0) FROM lock_events", [], |r| {
                r.get(0)
            })
            .unwrap();
        let t = Instant::now();
        let children: Vec<_> = (0..w)
            .map(|k| {
                Command::new("bash")
                    .arg("-c")
                    .arg(r#"for i in $(seq "$4"); do "$1" --store "$2" record --title "writer $3 record $i of $4" --domain contention >/dev/null 2>/dev/null || exit 1; done"#)
                    .arg("bash")
                    .arg(LORE)
                    .arg(&root)
                    .arg(format!("{w}-{k}"))
                    .arg(each.to_string())
                    .spawn()
                    .unwrap()
            })
            .collect();
        for mut c in children {
            assert!(c.wait().unwrap().success(), "a writer failed");
        }
        let elapsed = t.elapsed();
        let mut stmt = index
            .connection()
            .prepare(
                "SELECT waited_ms, outcome FROM lock_events WHERE id > ? AND operation = 'record'",
            )
            .unwrap();
        let events: Vec<(i64, String)> = stmt
            .query_map([since], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        let timeouts = events.iter().filter(|e| e.1 == "timeout").count();
        let waits: Vec<Duration> = events
            .iter()
            .map(|e| Duration::from_millis(e.0 as u64))
            .collect();
        let (p50, p99, max) = spread(waits);
        println!(
            "  {w:>2} writers × {each:<3} {:>6.0} records/s   wait p50 {:>9}  p99 {:>9}  max {:>9}  timeouts {timeouts}",
            (w * each) as f64 / elapsed.as_secs_f64(),
            ms(p50),
            ms(p99),
            ms(max),
        );
    }
}

fn health(saves: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("store");
    let store = lore::ops::init::init(&root).unwrap();
    // Packing off while the saves pile up, to show what it prevents.
    Command::new("git")
        .arg("-C")
        .arg(&root)
        .args(["config", "gc.auto", "0"])
        .status()
        .unwrap();
    let mut index = Index::open(&store).unwrap();
    let mut seed = 7;
    let t = Instant::now();
    for i in 0..saves {
        let l = draft(i, &mut seed).validate().unwrap();
        record::record(&store, &mut index, &l, &LockOptions::default(), &mut |_| {}).unwrap();
    }
    println!(
        "\n== repository health: {saves} saves in {:.0} s (in-process), packing off",
        t.elapsed().as_secs_f64()
    );
    let loose = |root: &Path| {
        String::from_utf8(
            Command::new("git")
                .arg("-C")
                .arg(root)
                .args(["count-objects", "-v"])
                .output()
                .unwrap()
                .stdout,
        )
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("count:") || l.starts_with("in-pack:"))
        .collect::<Vec<_>>()
        .join(", ")
    };
    println!("  before: {}; {}", git_sizes(&root), loose(&root));
    record_latency(&store, saves, " (loose)");
    let t = Instant::now();
    let ok = Command::new("git")
        .arg("-C")
        .arg(&root)
        .args([
            "-c",
            "gc.auto=6700",
            "-c",
            "gc.autoDetach=false",
            "gc",
            "--auto",
            "--quiet",
        ])
        .status()
        .unwrap();
    assert!(ok.success());
    println!(
        "  git gc --auto (what lore starts in the background) took {:.1} s",
        t.elapsed().as_secs_f64()
    );
    println!("  after:  {}; {}", git_sizes(&root), loose(&root));
    record_latency(&store, saves + 1000, " (packed)");
}

fn main() {
    println!(
        "lore scale benchmark — {} cores, SQLite {}, {}",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
        rusqlite::version(),
        String::from_utf8_lossy(
            &Command::new("git")
                .arg("--version")
                .output()
                .unwrap()
                .stdout
        )
        .trim()
    );
    {
        let tmp = tempfile::tempdir().unwrap();
        let store = lore::ops::init::init(tmp.path()).unwrap();
        let paths = store.lock_paths();
        let times: Vec<Duration> = (0..20_000)
            .map(|_| {
                let t = Instant::now();
                drop(lock::acquire(&paths, &LockOptions::default(), &mut |_| {}).unwrap());
                t.elapsed()
            })
            .collect();
        let (p50, p99, _) = spread(times);
        println!(
            "lock acquire + release (flock, uncontended, kept descriptors): p50 {:.2} µs, p99 {:.2} µs",
            p50.as_secs_f64() * 1e6,
            p99.as_secs_f64() * 1e6
        );
    }
    for n in list("LORE_BENCH_SIZES", &[1_000, 10_000, 100_000]) {
        sizes(n);
    }
    let w: Vec<usize> = list("LORE_BENCH_WRITERS", &[1, 4, 16, 64])
        .into_iter()
        .filter(|&n| n > 0)
        .collect();
    if !w.is_empty() {
        writers(&w);
    }
    let h = list("LORE_BENCH_HEALTH", &[20_000]);
    if let Some(&n) = h.first()
        && n > 0
    {
        health(n);
    }
}
