//! `lore lock status|hold|break`.

use super::out::outln;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use clap::Subcommand;
use lore::error::fmt_duration;
use lore::index::{Index, LockEventRow};
use lore::lock::{self, BreakOutcome, Holder};
use lore::{Error, Result};

use super::record::WaitReporter;
use super::{Ctx, confirm, print_json};

#[derive(Subcommand, Debug)]
pub enum LockCommand {
    /// Who holds the store lock, since when, and whether it is stale
    Status {
        /// Print the holder, the waiters and recent acquisitions as a JSON object
        #[arg(long)]
        json: bool,
    },
    /// Take the lock and hold it (for demonstrations and contention tests)
    Hold {
        /// How long: 10s, 500ms, 2m, 1.5s
        #[arg(long = "for", value_name = "DURATION", value_parser = parse_duration)]
        duration: Duration,
    },
    /// Break a stale lock directory after showing its holder (refuses a live one)
    Break {
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
        /// Also break a lock directory whose holder cannot be told (no record, another host)
        #[arg(long)]
        force: bool,
    },
}

pub use lore::config::parse_duration;

pub fn run(ctx: &Ctx, cmd: LockCommand) -> Result<()> {
    let store = ctx.store()?;
    let paths = store.lock_paths();
    match cmd {
        LockCommand::Status { json } => {
            let st = lock::status(&paths);
            if json {
                print_json(&st);
            } else {
                outln!("{}", describe_status(&st));
            }
            Ok(())
        }
        LockCommand::Hold { duration } => hold(ctx, &store, duration),
        LockCommand::Break { yes, force } => {
            let st = lock::status(&paths);
            if st.state == "free" {
                outln!("the store lock is free; nothing to break");
                return Ok(());
            }
            outln!("{}", describe_status(&st));
            if !yes && !confirm("Break it?")? {
                return Err(Error::Declined("breaking the lock"));
            }
            match lock::break_lock(&paths, force)? {
                BreakOutcome::Broken(h) => {
                    // In the lock's history, like every acquisition: the inspector shows it.
                    if let Ok(index) = Index::open(&store) {
                        let _ = index.log_lock_event(&LockEventRow {
                            operation: "break",
                            waited: Duration::ZERO,
                            held: None,
                            outcome: if force { "broken by force" } else { "broken" },
                        });
                    }
                    outln!(
                        "broke the lock{}",
                        h.map(|h| format!(" held by {}", h.describe()))
                            .unwrap_or_default()
                    )
                }
                BreakOutcome::NothingToBreak => {
                    outln!("the store lock is free; nothing to break")
                }
            }
            Ok(())
        }
    }
}

fn describe_holder(h: &Holder) -> String {
    let mut s = h.describe();
    if let Some(d) = h.held_for() {
        s.push_str(&format!(", held for {}", fmt_duration(d)));
    }
    s
}

fn describe_status(st: &lock::Status) -> String {
    let path = st.path.display();
    let how = st.strategy.map(|s| format!(" [{s}]")).unwrap_or_default();
    match st.state {
        "free" => format!("free: nobody holds {path}"),
        "stale" => format!(
            "stale: {path} is left by {}, which no longer exists{how}; `lore lock break` removes it (the next save also does)",
            st.holder.as_ref().map(describe_holder).unwrap_or_default()
        ),
        _ => match &st.holder {
            Some(h) => format!("held: {path} by {}{how}", describe_holder(h)),
            None => format!(
                "held: {path} by an unknown process{how}{}",
                st.note
                    .as_ref()
                    .map(|n| format!("; {n}"))
                    .unwrap_or_default()
            ),
        },
    }
}

fn hold(ctx: &Ctx, store: &lore::store::Store, duration: Duration) -> Result<()> {
    let index = Index::open(store).ok();
    let opts = ctx.lock_options("hold");
    let mut reporter = WaitReporter::default();
    let guard = match lock::acquire(&store.lock_paths(), &opts, &mut |e| reporter.on_event(&e)) {
        Ok(g) => g,
        Err(e) => {
            let (waited, outcome) = e.outcome();
            if let Some(index) = &index {
                let _ = index.log_lock_event(&LockEventRow {
                    operation: "hold",
                    waited,
                    held: None,
                    outcome,
                });
            }
            return Err(e.into());
        }
    };
    outln!(
        "holding the store lock {} for {} (pid {}); Ctrl-C releases it",
        store.lock_paths().file.display(),
        fmt_duration(duration),
        std::process::id()
    );
    let _ = std::io::stdout().flush();
    let until = Instant::now() + duration;
    while Instant::now() < until && !ctx.interrupted.load(Ordering::Relaxed) {
        std::thread::sleep((until - Instant::now()).min(Duration::from_millis(10)));
    }
    if let Some(index) = &index {
        let _ = index.log_lock_event(&LockEventRow {
            operation: "hold",
            waited: guard.waited,
            held: Some(guard.held_for()),
            outcome: "ok",
        });
    }
    guard.release()?;
    // Whoever started the hold may have stopped reading; that is no error.
    let _ = writeln!(std::io::stdout(), "released");
    Ok(())
}
