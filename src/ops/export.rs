//! `lore export`: learnings out as JSON, JSON lines, markdown or CSV.

use std::io::Write;

use crate::error::{Error, Result};
use crate::index::{Anchor, Filter, Index, Sort, read_body};
use crate::json;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// One array of [`json::WithBody`] objects.
    Json,
    /// One [`json::WithBody`] object a line, written as each page is read.
    Jsonl,
    Markdown,
    Csv,
}

/// Writes every learning matching `filter` (newest first), a page at a time. Text is written
/// as stored; `escape` makes it safe for a terminal (what the CLI does).
pub fn export(
    index: &Index,
    filter: &Filter,
    format: Format,
    out: &mut dyn Write,
    escape: &dyn Fn(&str) -> String,
) -> Result<usize> {
    let io = |e: std::io::Error| Error::io("standard output", e);
    let mut anchor = Anchor::First;
    let mut n = 0;
    if format == Format::Json {
        out.write_all(b"[").map_err(io)?;
    }
    if format == Format::Csv {
        writeln!(
            out,
            "id,type,title,summary,tags,domain,severity,filepath,created_at,updated_at"
        )
        .map_err(io)?;
    }
    loop {
        let page = index.page(filter, Sort::Newest, &anchor, 500)?;
        let Some(last) = page.last() else { break };
        anchor = Anchor::After(last.key());
        for row in &page {
            let body = read_body(index.root(), &row.filepath);
            match format {
                Format::Json | Format::Jsonl => {
                    if n > 0 && format == Format::Json {
                        out.write_all(b",").map_err(io)?;
                    }
                    let object = json::WithBody::of(row, body.as_deref());
                    let text = serde_json::to_string(&object).expect("serialisable");
                    out.write_all(escape(&text).as_bytes()).map_err(io)?;
                    if format == Format::Jsonl {
                        out.write_all(b"\n").map_err(io)?;
                    }
                }
                Format::Markdown => {
                    if n > 0 {
                        out.write_all(b"\n---\n\n").map_err(io)?;
                    }
                    writeln!(out, "<!-- lore #{} {} -->", row.id, escape(&row.filepath))
                        .map_err(io)?;
                    out.write_all(escape(body.as_deref().unwrap_or("(file missing)\n")).as_bytes())
                        .map_err(io)?;
                }
                Format::Csv => {
                    let cell = |v: &str| {
                        // A spreadsheet runs a cell that starts like a formula (`=HYPERLINK(…)`
                        // in a title from a pulled remote): a leading quote keeps it text.
                        let guard = if v.starts_with(['=', '+', '-', '@', '\t', '\r']) {
                            "'"
                        } else {
                            ""
                        };
                        format!("\"{guard}{}\"", escape(v).replace('"', "\"\""))
                    };
                    let opt = |v: &Option<String>| cell(v.as_deref().unwrap_or(""));
                    writeln!(
                        out,
                        "{},{},{},{},{},{},{},{},{},{}",
                        row.id,
                        cell(&row.kind),
                        cell(&row.title),
                        opt(&row.summary),
                        opt(&row.tags),
                        opt(&row.domain),
                        row.severity.map(|s| s.to_string()).unwrap_or_default(),
                        cell(&row.filepath),
                        opt(&row.created_at),
                        opt(&row.updated_at)
                    )
                    .map_err(io)?;
                }
            }
            n += 1;
        }
    }
    if format == Format::Json {
        out.write_all(b"]\n").map_err(io)?;
    }
    Ok(n)
}
