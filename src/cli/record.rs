//! `lore record`: the non-interactive save, for scripts, hooks and agents.

use super::out::outln;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use lore::error::fmt_duration;
use lore::learning::{Draft, limits};
use lore::lock::LockEvent;
use lore::ops::record::{self, Progress};
use lore::{Error, Result};

use super::{Ctx, print_json, read_stdin};

#[derive(Args, Debug)]
pub struct RecordArgs {
    /// One line, at most 500 characters
    #[arg(long, env = "FAILURE_TITLE", hide_env_values = true)]
    title: String,
    /// At most 100 characters
    #[arg(long, env = "FAILURE_DOMAIN", hide_env_values = true)]
    domain: String,
    /// 1–5, or low, medium, high, critical [default: 3]
    #[arg(
        long,
        env = "FAILURE_SEVERITY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    severity: Option<String>,
    /// Comma-separated
    #[arg(
        long,
        env = "FAILURE_TAGS",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    tags: Option<String>,
    /// Text, or `-` to read it from standard input (at most 50,000 characters)
    #[arg(
        long,
        env = "FAILURE_SUMMARY",
        hide_env_values = true,
        allow_hyphen_values = true
    )]
    summary: Option<String>,
    /// failure, success, heuristic, experiment or observation
    #[arg(long = "type", value_name = "TYPE", default_value = "failure")]
    kind: String,
    /// The "What Happened" section
    #[arg(long, allow_hyphen_values = true)]
    what_happened: Option<String>,
    /// The "Root Cause" section
    #[arg(long, allow_hyphen_values = true)]
    root_cause: Option<String>,
    /// The "Impact" section
    #[arg(long, allow_hyphen_values = true)]
    impact: Option<String>,
    /// The "Prevention" section
    #[arg(long, allow_hyphen_values = true)]
    prevention: Option<String>,
    /// Markdown that replaces the four sections above (`-` reads standard input)
    #[arg(long, value_name = "FILE", conflicts_with_all = ["what_happened", "root_cause", "impact", "prevention"])]
    body_file: Option<PathBuf>,
    /// Print the result as a JSON object
    #[arg(long)]
    json: bool,
}

fn read_body(path: &PathBuf) -> Result<String> {
    if path.as_os_str() == "-" {
        return read_stdin("body-file", limits::BODY);
    }
    let shown = path.display();
    let file = std::fs::File::open(path)
        .map_err(|e| Error::invalid("body-file", format!("{shown}: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| Error::invalid("body-file", format!("{shown}: {e}")))?;
    if meta.is_dir() {
        return Err(Error::invalid(
            "body-file",
            format!("{shown} is a directory, not a file"),
        ));
    }
    // Four bytes a character at most: anything larger is over the limit whatever it holds.
    if meta.len() > 4 * limits::BODY as u64 {
        return Err(Error::invalid(
            "body-file",
            format!(
                "{shown} is {} bytes; the limit is {} characters",
                meta.len(),
                limits::BODY
            ),
        ));
    }
    // A device or a pipe reports no length: the read itself stops at the limit.
    super::read_limited(file, "body-file", &shown.to_string(), limits::BODY)
}

pub fn run(ctx: &Ctx, args: RecordArgs) -> Result<()> {
    if args.summary.as_deref() == Some("-")
        && args
            .body_file
            .as_ref()
            .is_some_and(|p| p.as_os_str() == "-")
    {
        return Err(Error::invalid(
            "summary",
            "`-` cannot be used for both --summary and --body-file",
        ));
    }
    let summary = match args.summary.as_deref() {
        Some("-") => read_stdin("summary", limits::SUMMARY)?,
        Some(s) => s.to_string(),
        None => String::new(),
    };
    let body = args.body_file.as_ref().map(read_body).transpose()?;
    let draft = Draft {
        kind: Some(args.kind),
        title: args.title,
        domain: args.domain,
        severity: args.severity,
        tags: args.tags.unwrap_or_default(),
        summary,
        what_happened: args.what_happened.unwrap_or_default(),
        root_cause: args.root_cause.unwrap_or_default(),
        impact: args.impact.unwrap_or_default(),
        prevention: args.prevention.unwrap_or_default(),
        body,
    };
    // Validate before touching the store: bad input writes nothing.
    let learning = draft.validate()?;
    let store = ctx.store()?;
    let mut index = lore::write::open_index(&store, "record")?;
    let opts = ctx.lock_options("record");
    let mut reporter = WaitReporter::default();
    let recorded = record::record(
        &store,
        &mut index,
        &learning,
        &opts,
        &mut reporter.progress(),
    )?;
    warn_all(&recorded.warnings);
    if args.json {
        print_json(&recorded);
    } else {
        outln!(
            "recorded #{} {} (commit {})",
            recorded.id,
            recorded.path,
            &recorded.commit[..recorded.commit.len().min(12)]
        );
    }
    Ok(())
}

/// Turns lock events into at most one "waiting" line on stderr, plus notices.
#[derive(Default)]
pub struct WaitReporter {
    said_waiting: bool,
}

/// Waits shorter than this are normal under contention and not worth a line.
const QUIET_WAIT: Duration = Duration::from_millis(250);

/// Says on stderr what a write that succeeded must add (see `lore::write::Written`).
pub fn warn_all(warnings: &[String]) {
    for w in warnings {
        eprintln!("lore: warning: {}", lore::sanitize::display_line(w));
    }
}

impl WaitReporter {
    /// A progress callback for a write that reports its waiting for the lock here.
    pub fn progress(&mut self) -> impl FnMut(Progress) + '_ {
        |p| {
            if let Progress::Lock(e) = p {
                self.on_event(&e)
            }
        }
    }

    pub fn on_event(&mut self, e: &LockEvent) {
        match e {
            LockEvent::Contended {
                holder,
                waited,
                timeout,
            } if !self.said_waiting && *waited >= QUIET_WAIT => {
                self.said_waiting = true;
                let who = holder
                    .as_ref()
                    .map(|h| format!("held by {}", h.describe()))
                    .unwrap_or_else(|| "held by another process".into());
                eprintln!(
                    "lore: waiting for the store lock: {who} — waited {} of {}; Ctrl-C to give up",
                    fmt_duration(*waited),
                    fmt_duration(*timeout)
                );
            }
            LockEvent::FellBack { reason } => eprintln!("lore: note: {reason}"),
            LockEvent::BrokeStale { holder } => eprintln!(
                "lore: note: removed a stale lock directory left by {} (that process no longer exists)",
                holder.describe()
            ),
            _ => {}
        }
    }
}
