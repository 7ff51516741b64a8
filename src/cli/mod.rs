//! The command line: argument parsing with clap, then a thin call into the library.
//!
//! Every command prints its result on stdout and at most one line of error on stderr, and exits
//! with a documented status (see [`lore::error::exit`]).

mod config;
mod edit;
mod lazy;
mod lock;
mod logging;
mod maintain;
mod out;
mod panic;
mod query;
mod record;
mod remove;

use out::outln;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};
use config::ConfigCommand;
use lazy::Lazy;
use lore::error::exit;
use lore::lock::{LockOptions, Strategy};
use lore::store::Store;
use lore::{Error, Result};

const EXAMPLES: &str = "\
Examples:
  lore record --title 'Deploy ran twice' --domain ci --severity high --summary 'The retry fired early'
  echo 'Long summary…' | lore record --title 'Flaky test' --domain testing --summary -
  lore list --domain ci --limit 20
  lore search 'lock contention' --json
  lore lock status
  lore --store ~/team-memory list";

const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("LORE_COMMIT"), ")");

/// `lore --version [--json]`.
fn print_version(json: bool) {
    #[derive(serde::Serialize)]
    struct Version {
        name: &'static str,
        version: &'static str,
        commit: &'static str,
        /// Which shape `--json`, `--jsonl` and `lore mcp` print learnings in (docs/JSON.md).
        json_contract: u32,
    }
    if json {
        print_json(&Version {
            name: "lore",
            version: env!("CARGO_PKG_VERSION"),
            commit: env!("LORE_COMMIT"),
            json_contract: lore::json::CONTRACT,
        });
    } else {
        outln!("lore {VERSION}");
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "lore",
    version = VERSION,
    about = "Record failures and the lessons learned from them, in a git-backed store",
    after_help = EXAMPLES,
    disable_version_flag = true
)]
struct Cli {
    /// Print the version
    #[arg(short = 'V', long)]
    version: bool,
    /// With --version: print it as a JSON object, with the version of the JSON contract
    #[arg(long, requires = "version")]
    json: bool,
    #[command(flatten)]
    global: Global,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Options every command takes, under one heading in each command's help.
#[derive(Args, Debug, Clone)]
#[command(next_help_heading = "Global options")]
struct Global {
    /// The store to use (a git work tree); default: the platform data directory
    #[arg(long, global = true, env = "LORE_STORE", value_name = "DIR")]
    store: Option<PathBuf>,
    /// How long to wait for the store lock: seconds (2.5) or a duration (500ms, 2m) [default: 30]
    #[arg(long, global = true, value_name = "SECONDS", value_parser = lore::config::parse_duration, allow_hyphen_values = true)]
    lock_timeout: Option<Duration>,
    /// Log to the state directory's lore.log (-v info, -vv debug, -vvv trace; or RUST_LOG)
    #[arg(long, short, global = true, action = clap::ArgAction::Count)]
    verbose: u8,
    /// How to lock: flock on <git-dir>/claude-lock, or the lock directory claude-lock.dir [default: flock]
    #[arg(long, global = true, value_enum)]
    lock_strategy: Option<StrategyArg>,
    /// Skip git's pre-commit, pre-merge-commit and commit-msg hooks for this command's commits, as git's --no-verify
    #[arg(long, global = true)]
    no_verify: bool,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
pub enum ExportFormat {
    /// One JSON array of learnings with their markdown (contract v1: docs/JSON.md)
    Json,
    /// One JSON learning with its markdown a line, as they are read
    Jsonl,
    /// The markdown files one after another
    Markdown,
    /// One row a learning, the index's columns (no markdown)
    Csv,
}

#[derive(ValueEnum, Debug, Clone, Copy)]
enum StrategyArg {
    Flock,
    Mkdir,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Record a learning (for scripts and hooks; `FAILURE_*` variables fill absent flags)
    Record(Lazy<record::RecordArgs>),
    /// List learnings, newest first
    List(Lazy<query::ListArgs>),
    /// Show one learning by id or path
    Show(Lazy<query::ShowArgs>),
    /// Full-text search, best match first
    Search(Lazy<query::SearchArgs>),
    /// Counts by type, severity, domain and month, and the lock's contention, over a period
    Stats(Lazy<query::StatsArgs>),
    /// Change a learning's fields (flags), or open it in your editor (on a terminal), in one commit
    Edit(Lazy<edit::EditArgs>),
    /// Remove a learning in one commit (it stays in git's history; `git revert` brings it back)
    Rm(Lazy<remove::RmArgs>),
    /// Inspect, hold or break the store lock
    #[command(subcommand)]
    Lock(lock::LockCommand),
    /// Compare files on disk, files in HEAD and the index; find stale locks and leftovers
    Doctor {
        /// Repair what can be repaired without losing anything
        #[arg(long)]
        fix: bool,
        /// Keep the rows without files found now, and stop reporting them (a migrated store's
        /// rows for files kept elsewhere)
        #[arg(long)]
        settle: bool,
        /// Print the findings (and repairs) as a JSON object
        #[arg(long)]
        json: bool,
    },
    /// Stop tracking memory/index.db in git (one commit; for stores made by the old script)
    Adopt {
        /// Do not ask for confirmation
        #[arg(long, short)]
        yes: bool,
        /// With --yes where record-failure.sh looks in use: it has been updated as adopt
        /// explains, so go ahead
        #[arg(long)]
        script_updated: bool,
    },
    /// Import markdown learnings from files or folders, in one commit (exact duplicates skipped)
    Import {
        /// Markdown files, or folders to search for *.md
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Print what was imported and skipped as a JSON object
        #[arg(long)]
        json: bool,
    },
    /// Export learnings (all, or those matching the filters) as JSON, JSON lines, markdown or CSV
    Export {
        #[arg(long, value_enum, default_value = "json")]
        format: ExportFormat,
        /// The same as --format jsonl
        #[arg(long, conflicts_with = "format")]
        jsonl: bool,
        #[command(flatten)]
        filter: query::FilterArgs,
    },
    /// Fetch, integrate and push learnings through a git remote, then index what arrived
    Sync {
        /// The remote to sync with [default: the configured one, else origin]
        #[arg(long)]
        remote: Option<String>,
        /// Print what was fetched, integrated, indexed and pushed as a JSON object
        #[arg(long)]
        json: bool,
    },
    /// Rebuild the index from the markdown in HEAD (keeps other tools' tables and rows)
    Reindex {
        /// Print what was rebuilt as a JSON object
        #[arg(long)]
        json: bool,
    },
    /// Serve the store's tools to coding agents over the Model Context Protocol (stdio)
    Mcp,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print the manual page (roff), or write one for every command into a folder
    Man {
        /// Write lore.1 and a page for every subcommand (lore-record.1, …) into DIR
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Where the configuration file is, and what it says
    #[command(subcommand)]
    Config(ConfigCommand),
    /// (Tests only) Commit learning ID's file as it is on disk, as the browser's `e` does
    #[cfg(feature = "fault-injection")]
    #[command(name = "__commit-edit", hide = true)]
    CommitEdit { id: i64 },
    /// Create a store in DIR (git repository, index, .gitignore, first commit)
    Init {
        /// Where to create it
        dir: PathBuf,
        /// Fill it with a few example learnings to explore
        #[arg(long)]
        demo: bool,
    },
}

impl Command {
    /// Whether the command was asked for JSON: its failure is then a JSON object on standard
    /// output too, so that a script reading it gets a document either way.
    fn wants_json(&self) -> bool {
        match self {
            Command::Record(Lazy(a)) => a.json,
            Command::List(Lazy(a)) => a.json || a.jsonl,
            Command::Show(Lazy(a)) => a.json,
            Command::Rm(Lazy(a)) => a.json,
            Command::Edit(Lazy(a)) => a.json,
            Command::Stats(Lazy(a)) => a.json,
            Command::Search(Lazy(a)) => a.json || a.jsonl,
            Command::Lock(lock::LockCommand::Status { json }) => *json,
            Command::Doctor { json, .. }
            | Command::Import { json, .. }
            | Command::Sync { json, .. }
            | Command::Reindex { json } => *json,
            Command::Export { format, jsonl, .. } => {
                *jsonl || matches!(format, ExportFormat::Json | ExportFormat::Jsonl)
            }
            _ => false,
        }
    }
}

/// What every command needs: the parsed global options and the Ctrl-C flag.
pub struct Ctx {
    pub config: lore::config::Config,
    store: Option<PathBuf>,
    /// The store once opened (the start-up check and the command share it).
    opened: std::cell::OnceCell<Store>,
    lock_timeout: Duration,
    lock_strategy: Strategy,
    pub interrupted: Arc<AtomicBool>,
    /// `--no-verify` was given.
    no_verify: bool,
}

impl Ctx {
    /// Opens the chosen store; the default one is created on first use.
    pub fn store(&self) -> Result<Store> {
        if let Some(s) = self.opened.get() {
            return Ok(s.clone());
        }
        let mut store = match &self.store {
            Some(dir) => Store::open(dir),
            None => lore::ops::init::open_default(),
        }?;
        if let Some(j) = lore::ops::join::join(&store, &self.lock_options("sync"))? {
            eprintln!(
                "lore: note: `{}` had no commits (the remote's HEAD names a branch it does not have): switched to `{}`, tracking {}/{}, with its {} learning(s)",
                lore::sanitize::display_line(&j.was),
                lore::sanitize::display_line(&j.branch),
                lore::sanitize::display_line(&j.remote),
                lore::sanitize::display_line(&j.branch),
                j.learnings
            );
            record::warn_all(&j.warnings);
            // Its layout came with it.
            store = Store::open(store.root())?;
        }
        Ok(self.opened.get_or_init(|| store).clone())
    }

    /// The store's directory as the commands would open it (flag, environment, configuration,
    /// then the platform default), without opening or creating it.
    pub fn store_path(&self) -> Option<PathBuf> {
        self.store.clone().or_else(Store::default_root)
    }

    pub fn lock_options(&self, operation: &str) -> LockOptions {
        LockOptions {
            timeout: self.lock_timeout,
            strategy: self.lock_strategy,
            operation: operation.into(),
            cancel: Some(self.interrupted.clone()),
            verify: !self.no_verify && self.config.verify_hooks(),
            ends_wait: None,
        }
    }
}

/// Asks `question` on the terminal; an error where there is none to ask on (scripts pass
/// `--yes`), so that nothing is done unasked.
pub fn confirm(question: &str) -> Result<bool> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        return Err(Error::invalid(
            "yes",
            "standard input is not a terminal; pass --yes to confirm",
        ));
    }
    out::write(format_args!("{question} [y/N] "));
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| Error::io("standard input", e))?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

/// Prints JSON with every terminal-interpreted character escaped.
pub fn print_json<T: serde::Serialize>(value: &T) {
    let text = serde_json::to_string_pretty(value).expect("serialisable");
    outln!("{}", lore::sanitize::json_safe(&text));
}

/// Prints one JSON value on one line (`--jsonl`), escaped as [`print_json`] does.
pub fn print_json_line<T: serde::Serialize>(value: &T) {
    let text = serde_json::to_string(value).expect("serialisable");
    outln!("{}", lore::sanitize::json_safe(&text));
}

/// Set while the browser runs: it restores the terminal and keeps the draft before it exits,
/// so an interrupt is always left to it.
static COOPERATIVE: AtomicBool = AtomicBool::new(false);

/// Ctrl-C, SIGTERM and SIGHUP end the process at once (status 130), except where ending it
/// abruptly would leave work half done: while it waits for or holds the store lock (a wait
/// gives up cleanly, a save finishes or rolls back) and in the browser. There the signal sets
/// the flag they poll, and a second one exits at once.
fn install_signal_flag() -> Arc<AtomicBool> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let interrupted = Arc::new(AtomicBool::new(false));
    // SIGHUP too: a closed terminal window or a dropped SSH session, where the browser must
    // still keep what was typed in the last moments.
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        let flag = interrupted.clone();
        // SAFETY: the handler only loads and stores atomics and calls `_exit`, which are
        // async-signal-safe.
        let _ = unsafe {
            signal_hook::low_level::register(sig, move || {
                let cooperative = COOPERATIVE.load(Ordering::SeqCst) || lore::lock::in_use();
                if flag.load(Ordering::SeqCst) || !cooperative {
                    signal_hook::low_level::exit(exit::INTERRUPTED);
                }
                flag.store(true, Ordering::SeqCst);
            })
        };
    }
    interrupted
}

pub fn main() -> i32 {
    // `LORE_STORE=` (set, but empty) means no store given, as with an unset variable; clap
    // would read it as a `--store` without its value.
    if std::env::var_os("LORE_STORE").is_some_and(|v| v.is_empty()) {
        // SAFETY: the first thing the process does; no other thread exists yet to read the
        // environment meanwhile.
        unsafe { std::env::remove_var("LORE_STORE") };
    }
    panic::install();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    exit::OK
                }
                _ => exit::BAD_INPUT,
            };
        }
    };
    if cli.version {
        print_version(cli.json);
        return exit::OK;
    }
    logging::init(cli.global.verbose);
    log::info!(
        "lore {} started: {:?}",
        env!("CARGO_PKG_VERSION"),
        std::env::args().skip(1).collect::<Vec<_>>()
    );
    // Flags win over the configuration file, which wins over the built-in defaults.
    let config = match lore::config::Config::load() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("lore: {}", lore::sanitize::display_line(&e.to_string()));
            return e.exit_code();
        }
    };
    lore::git::set_fallback_identity(config.author.name.clone(), config.author.email.clone());
    let ctx = Ctx {
        store: cli.global.store.clone().or_else(|| config.store.clone()),
        opened: Default::default(),
        lock_timeout: cli
            .global
            .lock_timeout
            .or_else(|| config.lock_timeout())
            .unwrap_or(lore::lock::DEFAULT_TIMEOUT),
        lock_strategy: match cli.global.lock_strategy {
            Some(StrategyArg::Flock) => Strategy::Flock,
            Some(StrategyArg::Mkdir) => Strategy::Mkdir,
            None => config.lock_strategy().unwrap_or_default(),
        },
        interrupted: install_signal_flag(),
        no_verify: cli.global.no_verify,
        config,
    };
    // The cheap start-up check: says so when a crashed save needs `lore doctor`.
    let checked = matches!(
        cli.command,
        None | Some(Command::Record(_) | Command::List(_) | Command::Show(_) | Command::Search(_))
    );
    let note = if checked {
        ctx.store()
            .ok()
            .and_then(|s| lore::ops::doctor::quick_check(&s))
    } else {
        None
    };
    if let (Some(n), Some(_)) = (&note, &cli.command) {
        eprintln!("lore: note: {}", lore::sanitize::display_line(n));
    }
    let json = cli.command.as_ref().is_some_and(Command::wants_json);
    let result = match cli.command {
        None => browse(&ctx, note),
        Some(Command::Record(Lazy(args))) => record::run(&ctx, args),
        Some(Command::List(Lazy(args))) => query::list(&ctx, &args),
        Some(Command::Show(Lazy(args))) => query::show(&ctx, &args),
        Some(Command::Search(Lazy(args))) => query::search(&ctx, &args),
        Some(Command::Rm(Lazy(args))) => remove::run(&ctx, &args),
        Some(Command::Edit(Lazy(args))) => edit::run(&ctx, args),
        Some(Command::Stats(Lazy(args))) => query::stats(&ctx, &args),
        Some(Command::Lock(cmd)) => lock::run(&ctx, cmd),
        Some(Command::Init { dir, demo }) => init(&ctx, &dir, demo),
        #[cfg(feature = "fault-injection")]
        Some(Command::CommitEdit { id }) => commit_edit(&ctx, id),
        Some(Command::Doctor { fix, settle, json }) => maintain::doctor(&ctx, fix, settle, json),
        Some(Command::Reindex { json }) => maintain::reindex(&ctx, json),
        Some(Command::Sync { remote, json }) => {
            let remote = remote.unwrap_or_else(|| ctx.config.sync_remote());
            maintain::sync(&ctx, &remote, json)
        }
        Some(Command::Mcp) => ctx.store().and_then(|store| {
            let opts = LockOptions {
                verify: !ctx.no_verify && ctx.config.verify_hooks_in_mcp(),
                ..ctx.lock_options("record")
            };
            crate::mcp::run(store, opts, ctx.interrupted.clone())
        }),
        Some(Command::Completions { shell }) => {
            use clap::CommandFactory;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "lore", &mut script);
            out::write_bytes(&script);
            Ok(())
        }
        Some(Command::Man { dir: None }) => {
            use clap::CommandFactory;
            clap_mangen::Man::new(Cli::command())
                .render(&mut std::io::stdout())
                .map_err(|e| Error::io("standard output", e))
        }
        Some(Command::Man { dir: Some(dir) }) => write_manual(&dir),
        Some(Command::Config(cmd)) => config::run(&ctx, cmd),
        Some(Command::Adopt {
            yes,
            script_updated,
        }) => maintain::adopt(&ctx, yes, script_updated),
        Some(Command::Import { paths, json }) => maintain::import(&ctx, &paths, json),
        Some(Command::Export {
            format,
            jsonl,
            filter,
        }) => {
            let format = if jsonl { ExportFormat::Jsonl } else { format };
            query::export(&ctx, format, &filter)
        }
    };
    match result {
        Ok(()) if ctx.interrupted.load(Ordering::Relaxed) => exit::INTERRUPTED,
        Ok(()) => exit::OK,
        // The reader of the output went away (`lore export | head`): it had enough.
        Err(e) if out::is_closed_pipe(&e) => exit::OK,
        Err(e) => {
            let message = lore::sanitize::display_line(&e.to_string());
            eprintln!("lore: {message}");
            let code = e.exit_code();
            // doctor's findings are its document already.
            if json && !matches!(e, Error::ProblemsFound { .. }) {
                print_json(&serde_json::json!({ "error": message, "exit_code": code }));
            }
            code
        }
    }
}

/// `lore` alone: the browser on a terminal; on a pipe, the list (so scripts get text).
fn browse(ctx: &Ctx, note: Option<String>) -> Result<()> {
    use std::io::IsTerminal;
    if !(std::io::stdout().is_terminal() && std::io::stdin().is_terminal()) {
        if let Some(n) = &note {
            eprintln!("lore: note: {}", lore::sanitize::display_line(n));
        }
        return query::list(ctx, &query::ListArgs::default());
    }
    if std::env::var("TERM").is_ok_and(|t| t == "dumb") {
        return Err(Error::DumbTerminal);
    }
    let store = ctx.store()?;
    COOPERATIVE.store(true, Ordering::SeqCst);
    crate::tui::run(
        store,
        LockOptions {
            verify: !ctx.no_verify && ctx.config.verify_hooks_in_browser(),
            ..ctx.lock_options("record")
        },
        ctx.interrupted.clone(),
        note,
        ctx.config.clone(),
    )
}

/// `__commit-edit`: the browser's `e` without the browser, for the fault matrix.
#[cfg(feature = "fault-injection")]
fn commit_edit(ctx: &Ctx, id: i64) -> Result<()> {
    let store = ctx.store()?;
    let mut index = lore::write::open_index(&store, "edit")?;
    let mut waits = record::WaitReporter::default();
    let opts = ctx.lock_options("edit");
    match lore::ops::edit::commit_edit(&store, &mut index, id, &opts, &mut waits.progress())? {
        lore::ops::edit::Edited::Unchanged => outln!("#{id} unchanged"),
        lore::ops::edit::Edited::Committed { commit, warnings } => {
            record::warn_all(&warnings);
            outln!("committed the edit of #{id} ({commit})")
        }
    }
    Ok(())
}

/// `lore man --dir DIR`: a page for every command, the top one naming the others.
fn write_manual(dir: &std::path::Path) -> Result<()> {
    use clap::CommandFactory;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(|e| Error::io(dir, e))?;
    let pages = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("lore"))
        .count();
    outln!(
        "wrote {pages} manual pages to {} (lore.1 and one a command); read one with `man -l {}`",
        dir.display(),
        dir.join("lore-record.1").display()
    );
    Ok(())
}

/// The demo data set (`assets/demo/learnings.json`), also used for the screenshots.
const DEMO: &str = include_str!("../../assets/demo/learnings.json");

fn init(ctx: &Ctx, dir: &std::path::Path, demo: bool) -> Result<()> {
    let existed = lore::store::Store::open(dir).is_ok();
    let store = lore::ops::init::init(dir)?;
    if existed {
        outln!(
            "{} is already a lore store; nothing to initialise",
            store.root().display()
        );
    } else {
        outln!("initialised a lore store in {}", store.root().display());
    }
    if demo {
        let drafts: Vec<lore::learning::Draft> =
            serde_json::from_str(DEMO).expect("the demo data set parses");
        let mut index = lore::index::Index::open(&store)?;
        for d in &drafts {
            let learning = d.validate()?;
            lore::ops::record::record(
                &store,
                &mut index,
                &learning,
                &ctx.lock_options("record"),
                &mut |_| {},
            )?;
        }
        outln!(
            "added {} example learnings: try `lore --store {}`",
            drafts.len(),
            store.root().display()
        );
    }
    Ok(())
}

/// Reads all of standard input as text (for `--summary -` and `--body-file -`).
pub fn read_stdin(field: &'static str, limit: usize) -> Result<String> {
    read_limited(std::io::stdin().lock(), field, "standard input", limit)
}

/// Reads text of at most `limit` characters from `input` (see [`lore::learning::limits::read_within`]).
pub fn read_limited(
    input: impl std::io::Read,
    field: &'static str,
    what: &str,
    limit: usize,
) -> Result<String> {
    let bytes = lore::learning::limits::read_within(input, limit)
        .map_err(|e| Error::invalid(field, format!("could not read {what}: {e}")))?
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("{what} is longer than the limit of {limit} characters"),
            )
        })?;
    String::from_utf8(bytes)
        .map_err(|_| Error::invalid(field, format!("{what} is not valid UTF-8")))
}
