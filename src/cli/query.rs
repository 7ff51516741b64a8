//! `lore list`, `lore show`, `lore search`: reading the index and the markdown.

use super::out::{out, outln};
use clap::Args;
use lore::index::{Filter, FilterText, Index, Row, read_body};
use lore::sanitize::{display_block, display_line};
use lore::store::Store;
use lore::{Error, Result};

use super::{Ctx, print_json, print_json_line};

/// `--limit`: a count of rows, 1 or more (0 used to mean 50 for list and 1 for search).
fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("`{s}` is not a number of rows; use 1 or more")),
    }
}

#[derive(Args, Debug, Default)]
pub struct ListArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// At most this many
    #[arg(long, default_value_t = 50, value_parser = at_least_one)]
    limit: usize,
    /// Print a JSON array of learnings (contract v1: docs/JSON.md)
    #[arg(long, conflicts_with = "jsonl")]
    pub(super) json: bool,
    /// Print one JSON learning a line, as they are read (contract v1: docs/JSON.md)
    #[arg(long)]
    pub(super) jsonl: bool,
    /// The order: newest first (date), most severe first, or by domain (A to Z); newest first
    /// within a severity or a domain
    #[arg(long, value_enum, default_value_t = SortArg::Date)]
    sort: SortArg,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
enum SortArg {
    #[default]
    Date,
    Severity,
    Domain,
}

impl From<SortArg> for lore::index::Sort {
    fn from(s: SortArg) -> Self {
        match s {
            SortArg::Date => lore::index::Sort::Newest,
            SortArg::Severity => lore::index::Sort::Severity,
            SortArg::Domain => lore::index::Sort::Domain,
        }
    }
}

// The filters of `list`, `search` and `export`. (Not a doc comment: clap would take one as the
// description of each subcommand that flattens these, `lore list` built lazily included.)
#[derive(Args, Debug, Default)]
pub struct FilterArgs {
    /// Only this domain (case-insensitive)
    #[arg(long)]
    domain: Option<String>,
    /// Only this type (failure, success, …)
    #[arg(long = "type", value_name = "TYPE")]
    kind: Option<String>,
    /// Only this severity (1–5 or a word)
    #[arg(long)]
    severity: Option<String>,
    /// Only learnings tagged T (repeat for several: all must match)
    #[arg(long = "tag", value_name = "T")]
    tags: Vec<String>,
    /// Only learnings created on or after this day: YYYY-MM-DD, today, yesterday, 7d, 2w (UTC)
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
    /// Only learnings created on or before this day, in the same forms
    #[arg(long, value_name = "DATE")]
    until: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter> {
        Filter::parse(FilterText {
            domain: self.domain.as_deref(),
            kind: self.kind.as_deref(),
            severity: self.severity.as_deref(),
            since: self.since.as_deref(),
            until: self.until.as_deref(),
            tags: &self.tags,
        })
    }
}

pub fn export(ctx: &Ctx, format: super::ExportFormat, args: &FilterArgs) -> Result<()> {
    use lore::ops::export::Format;
    use std::io::IsTerminal;
    let filter = args.filter()?;
    let (_store, index) = open(ctx)?;
    let format = match format {
        super::ExportFormat::Json => Format::Json,
        super::ExportFormat::Jsonl => Format::Jsonl,
        super::ExportFormat::Markdown => Format::Markdown,
        super::ExportFormat::Csv => Format::Csv,
    };
    // Exact text into files and pipes; nothing a terminal would interpret onto a terminal.
    let terminal = std::io::stdout().is_terminal();
    let escape = |s: &str| -> String {
        match (terminal, format) {
            (false, _) => s.to_string(),
            (true, Format::Json | Format::Jsonl) => lore::sanitize::json_safe(s),
            (true, Format::Markdown) => display_block(s),
            (true, Format::Csv) => display_line(s),
        }
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    lore::ops::export::export(&index, &filter, format, &mut out, &escape)?;
    std::io::Write::flush(&mut out).map_err(|e| Error::io("standard output", e))?;
    Ok(())
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A learning's id, or its file path relative to the store
    target: String,
    /// Print the learning and its markdown as a JSON object (contract v1: docs/JSON.md)
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find; each matches as a prefix, all must match
    query: String,
    #[command(flatten)]
    filter: FilterArgs,
    /// At most this many
    #[arg(long, default_value_t = 50, value_parser = at_least_one)]
    limit: usize,
    /// Print a JSON array of learnings, best match first (contract v1: docs/JSON.md)
    #[arg(long, conflicts_with = "jsonl")]
    pub(super) json: bool,
    /// Print one JSON learning a line, best match first (contract v1: docs/JSON.md)
    #[arg(long)]
    pub(super) jsonl: bool,
}

/// Prints learnings as `--json` (one array) or `--jsonl` (one object a line) asked.
fn print_learnings(rows: &[Row], lines: bool) {
    if lines {
        for row in rows {
            print_json_line(&lore::json::Learning::of(row));
        }
    } else {
        let objects: Vec<_> = rows.iter().map(lore::json::Learning::of).collect();
        print_json(&objects);
    }
}

/// The store and its index, brought in line with commits lore did not make (a `git pull`, a
/// learning edited or removed and committed by hand). A failure there only leaves the rows as
/// they were: reading goes on.
fn open(ctx: &Ctx) -> Result<(Store, Index)> {
    let store = ctx.store()?;
    let index = followed(&store, Index::open(&store)?);
    Ok((store, index))
}

/// `index` brought in line with HEAD, the first indexing of a store reported on stderr.
pub(super) fn followed(store: &Store, mut index: Index) -> Index {
    let mut progress = IndexingReporter::new();
    if let Err(e) = index.follow_head_with(store, &mut |p| progress.on(p)) {
        log::warn!("could not bring the index up to date with HEAD: {e}");
    }
    index
}

/// Says on stderr how the first indexing of a store goes once it has run for
/// `lore::index::progress_after()`: a line a second at most, and one when it is done.
pub struct IndexingReporter {
    started: std::time::Instant,
    said: Option<std::time::Instant>,
}

impl IndexingReporter {
    pub fn new() -> IndexingReporter {
        IndexingReporter {
            started: std::time::Instant::now(),
            said: None,
        }
    }

    pub fn on(&mut self, p: lore::index::Indexing) {
        let now = std::time::Instant::now();
        let elapsed = now - self.started;
        if p.done == p.total {
            if self.said.is_some() {
                eprintln!(
                    "lore: indexed {} committed learnings in {}",
                    p.total,
                    lore::clock::fmt_duration(elapsed)
                );
            }
            return;
        }
        let due = match self.said {
            None => elapsed >= lore::index::progress_after(),
            Some(at) => now - at >= std::time::Duration::from_secs(1),
        };
        if due {
            self.said = Some(now);
            eprintln!(
                "lore: indexing the store's committed learnings for the first time: {} of {}…",
                p.done, p.total
            );
        }
    }
}

pub fn list(ctx: &Ctx, args: &ListArgs) -> Result<()> {
    let filter = args.filter.filter()?;
    let (store, index) = open(ctx)?;
    // A page at a time, by key: JSON lines stream (a long list starts at once and never sits
    // in memory), and every order reads as fast at the millionth row as at the first.
    let mut rows = Vec::new();
    let mut anchor = lore::index::Anchor::First;
    let mut left = args.limit;
    while left > 0 {
        let page = index.page(&filter, args.sort.into(), &anchor, left.min(500))?;
        let Some(last) = page.last() else { break };
        anchor = lore::index::Anchor::After(last.key());
        left -= page.len();
        if args.jsonl {
            print_learnings(&page, true);
        } else {
            rows.extend(page);
        }
    }
    if args.jsonl {
        return Ok(());
    }
    if args.json {
        print_learnings(&rows, false);
    } else if rows.is_empty() && index.count(&Filter::default())? == 0 {
        outln!(
            "No learnings yet in {}.\nRecord the first one:\n  lore record --title 'What failed' --domain area --summary 'What you learned'",
            store.root().display()
        );
    } else {
        print_table(&rows);
    }
    Ok(())
}

pub fn search(ctx: &Ctx, args: &SearchArgs) -> Result<()> {
    let filter = args.filter.filter()?;
    let (_store, mut index) = open(ctx)?;
    let rows = index.search(&args.query, &filter, args.limit)?;
    if args.json || args.jsonl {
        print_learnings(&rows, args.jsonl);
    } else if rows.is_empty() {
        outln!("no learning matches `{}`", display_line(&args.query));
    } else {
        print_table(&rows);
    }
    Ok(())
}

fn print_table(rows: &[Row]) {
    let id_width = rows
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(2)
        .max(2);
    outln!(
        "{:>id_width$}  {:<10}  {:<3}  {:<11}  {:<16}  TITLE",
        "ID",
        "DATE",
        "SEV",
        "TYPE",
        "DOMAIN"
    );
    for r in rows {
        let sev = r
            .severity
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        outln!(
            "{:>id_width$}  {:<10}  {:<3}  {:<11}  {:<16}  {}",
            r.id,
            display_line(r.date()),
            sev,
            display_line(&r.kind),
            display_line(&truncate(r.domain.as_deref().unwrap_or(""), 16)),
            display_line(&r.title)
        );
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

pub fn show(ctx: &Ctx, args: &ShowArgs) -> Result<()> {
    let (store, index) = open(ctx)?;
    let found = lore::ops::show::find(&store, &index, &args.target)?;
    if let Some(moved) = &found.moved {
        eprintln!("lore: note: {}", moved.describe(&found.row.filepath));
    }
    let row = found.row;
    let body = read_body(store.root(), &row.filepath);
    if args.json {
        print_json(&lore::json::WithBody::of(&row, body.as_deref()));
        return Ok(());
    }
    outln!("#{} {}", row.id, display_line(&row.title));
    outln!(
        "type: {}  domain: {}  severity: {}  created: {}",
        display_line(&row.kind),
        display_line(row.domain.as_deref().unwrap_or("")),
        row.severity
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into()),
        display_line(row.created_at.as_deref().unwrap_or(""))
    );
    outln!("file: {}", display_line(&row.filepath));
    outln!();
    match body {
        Some(text) => out!("{}", display_block(&text)),
        None => outln!(
            "(the file {} is missing; `lore doctor` reports such rows)",
            display_line(&row.filepath)
        ),
    }
    Ok(())
}

#[derive(Args, Debug)]
pub struct StatsArgs {
    #[command(flatten)]
    filter: FilterArgs,
    /// Print the counts and the lock's contention as a JSON object
    #[arg(long)]
    pub(super) json: bool,
}

/// `lore stats`: counts by type, severity, domain and month, and the lock's contention.
pub fn stats(ctx: &Ctx, args: &StatsArgs) -> Result<()> {
    let filter = args.filter.filter()?;
    let (_store, index) = open(ctx)?;
    let stats = index.stats(&filter)?;
    if args.json {
        print_json(&stats);
        return Ok(());
    }
    let list = |counts: &[lore::index::Count], top: usize| -> String {
        let mut parts: Vec<String> = counts
            .iter()
            .take(top)
            .map(|c| {
                format!(
                    "{}: {}",
                    display_line(c.value.as_deref().unwrap_or("(none)")),
                    c.count
                )
            })
            .collect();
        if counts.len() > top {
            parts.push(format!("and {} more", counts.len() - top));
        }
        if parts.is_empty() {
            "-".into()
        } else {
            parts.join(" · ")
        }
    };
    let period = match (&args.filter.since, &args.filter.until) {
        (None, None) => String::new(),
        (since, until) => format!(
            " ({}{}{})",
            since
                .as_deref()
                .map(|s| format!("since {s}"))
                .unwrap_or_default(),
            if since.is_some() && until.is_some() {
                ", "
            } else {
                ""
            },
            until
                .as_deref()
                .map(|u| format!("until {u}"))
                .unwrap_or_default()
        ),
    };
    outln!("{} learnings{}", stats.learnings, display_line(&period));
    outln!("  by type      {}", list(&stats.by_type, 10));
    outln!("  by severity  {}", list(&stats.by_severity, 10));
    outln!("  by domain    {}", list(&stats.by_domain, 10));
    outln!("  by month     {}", list(&stats.by_month, 24));
    let lock = &stats.lock;
    let ms = |n: u64| lore::clock::fmt_duration(std::time::Duration::from_millis(n));
    outln!(
        "lock: {} acquisitions, {} timed out; waits p50 {}, p99 {}, max {}",
        lock.acquisitions,
        lock.timeouts,
        ms(lock.waits_ms.p50),
        ms(lock.waits_ms.p99),
        ms(lock.waits_ms.max)
    );
    for h in &lock.longest_holders {
        outln!(
            "  held {:>8}  {} pid {} on {} at {}",
            ms(h.held_ms.unwrap_or(0).max(0) as u64),
            display_line(&h.operation),
            h.pid,
            display_line(&h.host),
            display_line(&h.at)
        );
    }
    Ok(())
}
