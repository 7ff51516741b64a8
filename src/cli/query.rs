//! `lore list`, `lore show`, `lore search`: reading the index and the markdown.

use super::out::{out, outln};
use clap::Args;
use lore::index::{Filter, Index, Row, read_body};
use lore::sanitize::{display_block, display_line};
use lore::store::Store;
use lore::{Error, Result};

use super::{Ctx, print_json};

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
    /// Print a JSON array of rows
    #[arg(long)]
    pub(super) json: bool,
}

/// The filters of `list` and `export`.
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
    /// Only learnings created on or after this day (YYYY-MM-DD)
    #[arg(long, value_name = "DATE")]
    since: Option<String>,
}

impl FilterArgs {
    fn filter(&self) -> Result<Filter> {
        let severity = self
            .severity
            .as_deref()
            .map(str::parse::<lore::learning::Severity>)
            .transpose()?;
        let kind = self
            .kind
            .as_deref()
            .map(str::parse::<lore::learning::Kind>)
            .transpose()?;
        // The index compares dates as text (`YYYY-MM-DD HH:MM:SS`), so the day is written the
        // same way whatever form of it was given (20261128, 2026-11-28T09:00).
        let since = self
            .since
            .as_deref()
            .map(|since| {
                since
                    .parse::<jiff::civil::Date>()
                    .map(|d| d.strftime("%Y-%m-%d").to_string())
                    .map_err(|_| {
                        Error::invalid(
                            "since",
                            format!("`{}` is not a date; use YYYY-MM-DD", display_line(since)),
                        )
                    })
            })
            .transpose()?;
        Ok(Filter {
            kind: kind.map(|k| k.as_str().to_string()),
            domain: self.domain.clone(),
            severity: severity.map(|s| s.get()),
            since,
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
        super::ExportFormat::Markdown => Format::Markdown,
        super::ExportFormat::Csv => Format::Csv,
    };
    // Exact text into files and pipes; nothing a terminal would interpret onto a terminal.
    let terminal = std::io::stdout().is_terminal();
    let escape = |s: &str| -> String {
        match (terminal, format) {
            (false, _) => s.to_string(),
            (true, Format::Json) => lore::sanitize::json_safe(s),
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
    #[arg(long)]
    pub(super) json: bool,
}

#[derive(Args, Debug)]
pub struct SearchArgs {
    /// Words to find; each matches as a prefix, all must match
    query: String,
    #[arg(long, default_value_t = 50, value_parser = at_least_one)]
    limit: usize,
    #[arg(long)]
    pub(super) json: bool,
}

/// The store and its index, brought in line with commits lore did not make (a `git pull`, a
/// learning edited or removed and committed by hand). A failure there only leaves the rows as
/// they were: reading goes on.
fn open(ctx: &Ctx) -> Result<(Store, Index)> {
    let store = ctx.store()?;
    let mut index = Index::open(&store)?;
    let mut progress = IndexingReporter::new();
    if let Err(e) = index.follow_head_with(&store, &mut |p| progress.on(p)) {
        log::warn!("could not bring the index up to date with HEAD: {e}");
    }
    Ok((store, index))
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
    let rows = index.list(&filter, if args.limit == 0 { 50 } else { args.limit }, 0)?;
    if args.json {
        print_json(&rows);
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
    let (_store, mut index) = open(ctx)?;
    let rows = index.search(&args.query, &Filter::default(), args.limit)?;
    if args.json {
        print_json(&rows);
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

#[derive(serde::Serialize)]
struct Shown<'a> {
    #[serde(flatten)]
    row: &'a Row,
    /// The markdown file's text, `null` when the file is missing.
    body: Option<String>,
}

pub fn show(ctx: &Ctx, args: &ShowArgs) -> Result<()> {
    let (store, index) = open(ctx)?;
    let target = args.target.trim();
    if target.is_empty() {
        return Err(Error::invalid("target", "give a learning's id or path"));
    }
    // `#12`, as lists print ids, is id 12.
    let row = match target.strip_prefix('#').unwrap_or(target).parse::<i64>() {
        Ok(id) => index.get(id)?,
        Err(_) => {
            // A path as the shell gives it (absolute, `./memory/…`, relative to where the user
            // stands) when it names a file, else as the store names it (`memory/…`).
            let given = std::path::Path::new(target);
            let on_disk = given.canonicalize().ok();
            let rel = on_disk
                .as_deref()
                .and_then(|p| p.strip_prefix(store.root()).ok())
                .or_else(|| given.strip_prefix(store.root()).ok())
                .unwrap_or_else(|| given.strip_prefix(".").unwrap_or(given));
            let rel = rel.to_string_lossy();
            match index.moved_from(&rel)? {
                // The learning a path named when it was printed, wherever it is now.
                Some(moved) => {
                    let now_there = index.get_by_path(&rel)?;
                    eprintln!(
                        "lore: note: {} moved to {}{}",
                        display_line(&rel),
                        display_line(&moved.filepath),
                        match now_there {
                            Some(other) => format!(
                                "; the learning now at {} is #{}",
                                display_line(&rel),
                                other.id
                            ),
                            None => String::new(),
                        }
                    );
                    Some(moved)
                }
                None => index.get_by_path(&rel)?,
            }
        }
    }
    .ok_or_else(|| Error::NotFound(display_line(target)))?;
    let body = read_body(store.root(), &row.filepath);
    if args.json {
        print_json(&Shown { row: &row, body });
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
