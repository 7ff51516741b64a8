//! A save beside plain git and beside the script, alternated in one run:
//! `cargo bench --bench side`. Prints figures; never fails on time.
//!
//! On one generated store (`LORE_BENCH_SIZES`, default `1000`; the first size only), round
//! after round, in turn:
//! - `lore record` as a whole process;
//! - plain git committing one new file: the file written, then `git add` and `git commit`
//!   (two processes, no database, no lock);
//! - the bash stand-in of `record-failure.sh` (benches/record-failure-standin.sh), when the
//!   `sqlite3` command is there.
//!
//! Each writes to a copy of the store of its own. Alternating keeps the machine's drift (other work, the file system's state) out of the
//! ratios. `LORE_BENCH_ROUNDS` sets the rounds (default 60). With `LORE_BENCH_CALLGRIND=1`
//! one more `lore record` runs under valgrind's callgrind and its instruction count is
//! printed: a figure that does not move with the machine's noise. `LORE_BENCH_KEEP=DIR` keeps
//! the store.

#[path = "../tests/support/mod.rs"]
mod support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::figures::*;
use support::synthetic::*;

const LORE: &str = env!("CARGO_BIN_EXE_lore");
const STANDIN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/benches/record-failure-standin.sh"
);

fn env_usize(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|s| s.split(',').next()?.trim().parse().ok())
        .unwrap_or(default)
}

fn run(cmd: &mut Command) {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{:?}: {}",
        cmd,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Plain git's cost of committing one new file of a learning's size.
fn plain_git(root: &Path, i: usize) -> Duration {
    let rel = format!("memory/failures/plain-git-{i}.md");
    let text = format!("# Plain git {i}\n\n**Domain**: bench\n\n## Summary\nA short summary.\n");
    let t = Instant::now();
    std::fs::write(root.join(&rel), text).unwrap();
    run(Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["add", "--", &rel]));
    run(Command::new("git").arg("-C").arg(root).args([
        "commit",
        "-q",
        "-m",
        &format!("plain git {i}"),
    ]));
    t.elapsed()
}

fn standin(root: &Path, i: usize) -> Duration {
    let t = Instant::now();
    run(Command::new("bash")
        .arg(STANDIN)
        .arg(root)
        .arg(format!("Stand-in record {i}"))
        .arg("bench")
        .arg("A short summary."));
    t.elapsed()
}

fn row(name: &str, v: Vec<Duration>) -> Duration {
    let (p50, p99, max) = spread(v);
    println!(
        "  {name:<40} p50 {:>10}  p99 {:>10}  max {:>10}",
        ms(p50),
        ms(p99),
        ms(max)
    );
    p50
}

/// Instructions one whole-process `lore record` runs in user space, counted by callgrind.
fn instructions(root: &Path) -> Option<u64> {
    let out_file = root.join("../callgrind.out");
    let out = Command::new("valgrind")
        .arg("--tool=callgrind")
        .arg(format!("--callgrind-out-file={}", out_file.display()))
        .arg(LORE)
        .arg("--store")
        .arg(root)
        .args(["record", "--title", "Counted record", "--domain", "bench"])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = std::fs::read_to_string(&out_file).ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("summary: "))
        .and_then(|n| n.trim().parse().ok())
}

fn main() {
    let n = env_usize("LORE_BENCH_SIZES", 1000);
    let rounds = env_usize("LORE_BENCH_ROUNDS", 60);
    let tmp = tempfile::tempdir().unwrap();
    // `LORE_BENCH_KEEP=DIR` leaves the store in DIR for profiling by hand.
    let root = match std::env::var_os("LORE_BENCH_KEEP") {
        Some(dir) => Path::new(&dir).to_path_buf(),
        None => tmp.path().join("store"),
    };
    let t = Instant::now();
    generate(&root, n, LORE);
    println!(
        "side by side at {n} learnings ({rounds} rounds, alternated; generated in {:.1} s)",
        t.elapsed().as_secs_f64()
    );
    // Each contender writes to a copy of its own, so none pays for the others' commits (lore
    // would take theirs into its index first).
    let copy = |name: &str| {
        let to = root.with_file_name(name);
        let _ = std::fs::remove_dir_all(&to);
        run(Command::new("cp").arg("-a").arg(&root).arg(&to));
        to
    };
    let (git_root, script_root) = (copy("plain-git"), copy("stand-in"));
    let with_standin = Command::new("sqlite3").arg("-version").output().is_ok();
    let (mut lore, mut git, mut script) = (Vec::new(), Vec::new(), Vec::new());
    for i in 0..rounds {
        lore.push(lore_record(LORE, &root, &format!("Side by side {i}")));
        git.push(plain_git(&git_root, i));
        if with_standin {
            script.push(standin(&script_root, i));
        }
    }
    let lore = row("lore record (whole process)", lore);
    let git = row("plain git: write, git add, git commit", git);
    println!(
        "  {:<40} {:.2}× plain git's time",
        "lore record",
        lore.as_secs_f64() / git.as_secs_f64()
    );
    if with_standin {
        let script = row("bash stand-in (flock, sqlite3, git)", script);
        println!(
            "  {:<40} {:.1}× faster than the stand-in",
            "lore record",
            script.as_secs_f64() / lore.as_secs_f64()
        );
    } else {
        println!("  bash stand-in: skipped (no sqlite3 command)");
    }
    if std::env::var_os("LORE_BENCH_CALLGRIND").is_some() {
        match instructions(&root) {
            Some(ir) => println!(
                "  {:<40} {:.2} M instructions (callgrind, user space)",
                "lore record",
                ir as f64 / 1e6
            ),
            None => println!("  callgrind: skipped (valgrind did not run)"),
        }
    }
}
