//! The first open of a store whose index does not follow HEAD yet (a fresh clone, a store the
//! script indexed in part): `cargo bench --bench first_open`. Prints figures; never fails on
//! time. Sizes: `LORE_BENCH_SIZES` (default `10000,100000`).
//!
//! For each size: a store generated with its git history, its index removed, then the first
//! `lore list` (which indexes every committed learning) and the second (which finds nothing to
//! do), both as whole processes, with the first's peak memory.

#[path = "../tests/support/mod.rs"]
mod support;

use std::process::Command;
use std::time::Instant;

use support::synthetic::generate;

const LORE: &str = env!("CARGO_BIN_EXE_lore");

/// Runs `lore list --limit 1` on `root` under `/usr/bin/time`; returns its wall time and peak
/// resident memory in KB.
fn list_once(root: &std::path::Path) -> (std::time::Duration, u64) {
    let t = Instant::now();
    let out = Command::new("/usr/bin/time")
        .args(["-f", "%M"])
        .arg(LORE)
        .arg("--store")
        .arg(root)
        .args(["list", "--limit", "1"])
        .env("LORE_CONFIG", "/nonexistent/lore/config.toml")
        .output()
        .expect("/usr/bin/time runs lore");
    let took = t.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let rss = err
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or(0);
    (took, rss)
}

fn main() {
    let sizes: Vec<usize> = std::env::var("LORE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    println!("first open of a store whose index does not follow HEAD (whole process, `lore list`)");
    for n in sizes {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("store");
        let t = Instant::now();
        generate(&root, n, LORE);
        let generated = t.elapsed();
        for f in [
            "memory/index.db",
            "memory/index.db-wal",
            "memory/index.db-shm",
        ] {
            let _ = std::fs::remove_file(root.join(f));
        }
        let (first, rss) = list_once(&root);
        let (second, _) = list_once(&root);
        println!(
            "  {n:>8} learnings (generated in {:.1} s): first open {:>9.1} ms, peak RSS {:>5} MB; next open {:>7.1} ms",
            generated.as_secs_f64(),
            first.as_secs_f64() * 1e3,
            rss / 1024,
            second.as_secs_f64() * 1e3
        );
    }
}
