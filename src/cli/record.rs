//! `lore record`: the non-interactive save, for scripts, hooks and agents.

use super::out::outln;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use lore::error::fmt_duration;
use lore::learning::{Check, Draft, FIELDS, Field, Place, limits};
use lore::lock::LockEvent;
use lore::ops::record::{self, Progress};
use lore::{Error, Result};

use super::{Ctx, print_json, read_stdin};

#[derive(Args, Debug)]
pub struct RecordArgs {
    #[command(flatten)]
    fields: FieldArgs,
    /// Markdown that replaces the sections (`-` reads standard input)
    #[arg(long, value_name = "FILE")]
    body_file: Option<PathBuf>,
    /// Print the learning as saved, with its commit, as a JSON object (contract v1: docs/JSON.md)
    #[arg(long)]
    pub(super) json: bool,
}

/// A flag per row of the fields table (`--title`, `--what-happened`, …), with the script's
/// `FAILURE_*` variables filling absent ones.
#[derive(Debug, Default)]
struct FieldArgs {
    given: Vec<(Field, String)>,
}

impl FromArgMatches for FieldArgs {
    fn from_arg_matches(m: &ArgMatches) -> std::result::Result<Self, clap::Error> {
        let given = Field::all()
            .filter_map(|f| m.get_one::<String>(f.name()).map(|v| (f, v.clone())))
            .collect();
        Ok(FieldArgs { given })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> std::result::Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for FieldArgs {
    fn augment_args(cmd: Command) -> Command {
        FIELDS.iter().fold(cmd, |cmd, spec| {
            let mut arg = Arg::new(spec.name)
                .long(spec.name)
                .help(spec.help)
                .num_args(1)
                .allow_hyphen_values(true)
                .required(spec.check == Check::Required);
            if let Some(var) = spec.env {
                arg = arg.env(var).hide_env_values(true);
            }
            arg = arg.value_name(spec.name.to_uppercase().replace('-', "_"));
            if matches!(spec.place, Place::Section { .. }) {
                arg = arg.conflicts_with("body_file");
            }
            cmd.arg(arg)
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
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
    let mut draft = Draft::default();
    for (field, value) in args.fields.given {
        draft.set(field, value);
    }
    let summary_from_stdin = draft.get(Field::Summary) == "-";
    if summary_from_stdin
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
    if summary_from_stdin {
        draft.set(Field::Summary, read_stdin("summary", limits::SUMMARY)?);
    }
    draft.body = args.body_file.as_ref().map(read_body).transpose()?;
    // Validate before touching the store: bad input writes nothing.
    let learning = draft.validate()?;
    let store = ctx.store()?;
    // Opened once the lock is held: a save the lock's holder makes for this one never needs it.
    let mut index = None;
    let opts = ctx.lock_options("record");
    let mut reporter = WaitReporter::default();
    let recorded = record::record_or_queue(
        &store,
        &mut index,
        &learning,
        &draft,
        &opts,
        &mut reporter.progress(),
    )?;
    warn_all(&recorded.warnings);
    if args.json {
        print_json(&recorded.json());
    } else {
        outln!(
            "recorded #{} {} (commit {})",
            recorded.id(),
            recorded.path(),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A row added to the fields table is a `record` flag, and its value reaches the draft.
    #[test]
    fn every_field_of_the_table_is_a_flag() {
        let cmd = RecordArgs::augment_args(Command::new("record"));
        let mut argv = vec!["record".to_string()];
        for f in Field::all() {
            argv.push(format!("--{}", f.name()));
            argv.push(format!("-value of {}", f.name()));
        }
        let matches = cmd.try_get_matches_from(argv).unwrap();
        let given = FieldArgs::from_arg_matches(&matches).unwrap().given;
        assert_eq!(given.len(), Field::COUNT);
        for (f, v) in given {
            assert_eq!(v, format!("-value of {}", f.name()));
        }
    }
}
