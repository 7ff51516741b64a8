//! Reading learnings back from markdown: the script's template, hand-written variants
//! (`**Date:** …`, word severities, several domains, `# Failure: …` titles, missing sections)
//! and YAML front matter. The text may come from anywhere (another tool, a pulled remote), so
//! nothing here can fail: what cannot be read is left empty and noted in `problems`.

use crate::learning::{Kind, Severity, limits};
use crate::sanitize::{clean_line, visible_block, visible_line};

/// What a markdown file says about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parsed {
    pub kind: Option<Kind>,
    pub title: String,
    pub domain: Option<String>,
    pub severity: Option<Severity>,
    pub tags: Vec<String>,
    /// `YYYY-MM-DD`.
    pub date: Option<String>,
    /// The Summary section, whole.
    pub summary: Option<String>,
    /// Why a field could not be read; empty for a well-formed file.
    pub problems: Vec<String>,
}

impl Parsed {
    /// The row's `created_at` for a file read back from git: its Date at midnight, else now.
    pub fn created_at(&self) -> String {
        self.date
            .as_ref()
            .map(|d| format!("{d} 00:00:00"))
            .unwrap_or_else(crate::clock::now_timestamp)
    }

    /// The row's `summary`: the first line, as the script stores it.
    pub fn summary_line(&self) -> Option<String> {
        self.summary
            .as_deref()
            .and_then(|s| s.lines().map(str::trim).find(|l| !l.is_empty()))
            .map(str::to_string)
    }
}

/// A one-line field of a file as the index keeps it ([`visible_line`]): what a terminal would
/// interpret is written out, and noted, since lore and the script never write such a file.
fn shown(value: &str, field: &str, problems: &mut Vec<String>) -> String {
    let shown = visible_line(value);
    if shown != clean_line(value) {
        problems.push(format!(
            "{field} holds control or invisible characters (kept escaped: {shown})"
        ));
    }
    shown
}

fn cut(s: String, limit: usize, field: &str, problems: &mut Vec<String>) -> String {
    if s.chars().count() > limit {
        problems.push(format!("{field} longer than {limit} characters; cut"));
        s.chars().take(limit).collect()
    } else {
        s
    }
}

/// Parses `text`, found at `path` (relative to the store; it decides the type when the file
/// does not say).
pub fn parse(text: &str, path: &str) -> Parsed {
    let mut p = Parsed::default();
    let mut body = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut front_title = None;

    // YAML front matter: `key: value` lines between two `---`.
    if let Some(rest) = body
        .strip_prefix("---\n")
        .or_else(|| body.strip_prefix("---\r\n"))
    {
        match rest.find("\n---") {
            Some(end) => {
                for line in rest[..end].lines() {
                    if let Some((k, v)) = line.split_once(':') {
                        let v = v.trim().trim_matches(|c| c == '"' || c == '\'');
                        match k.trim().to_ascii_lowercase().as_str() {
                            "title" => front_title = Some(v.to_string()),
                            "type" => p.kind = v.parse().ok(),
                            "domain" => p.domain = Some(v.to_string()),
                            "severity" => p.severity = Severity::parse_lenient(v),
                            "tags" => p.tags = split_tags(v),
                            "date" => p.date = date(v),
                            _ => {}
                        }
                    }
                }
                let after = &rest[end + 4..];
                body = after.split_once('\n').map(|(_, b)| b).unwrap_or("");
            }
            None => p.problems.push("front matter is not closed by ---".into()),
        }
    }

    let mut section: Option<String> = None;
    let mut summary = String::new();
    let mut heading = None;
    for line in body.lines() {
        let line = line.trim_end_matches('\r');
        if heading.is_none()
            && let Some(t) = line.strip_prefix("# ")
        {
            heading = Some(t.to_string());
            continue;
        }
        if let Some(h) = line.strip_prefix("## ") {
            section = Some(h.trim().to_ascii_lowercase());
            continue;
        }
        if let Some((key, value)) = field(line) {
            match key.as_str() {
                "domain" if p.domain.is_none() => p.domain = Some(value),
                "severity" if p.severity.is_none() => {
                    p.severity = Severity::parse_lenient(&value);
                    if p.severity.is_none() && !value.is_empty() {
                        p.problems.push(format!(
                            "severity `{}` is not 1–5 or a word",
                            clean_line(&value)
                        ));
                    }
                }
                "tags" if p.tags.is_empty() => p.tags = split_tags(&value),
                "date" if p.date.is_none() => p.date = date(&value),
                _ => {}
            }
            continue;
        }
        if section.as_deref() == Some("summary") {
            summary.push_str(line);
            summary.push('\n');
        }
    }

    let title = front_title.or(heading).unwrap_or_default();
    // `# Failure: …` repeats the type in the title.
    let title = match title.split_once(':') {
        Some((prefix, rest))
            if prefix.trim().eq_ignore_ascii_case("failure") && !rest.trim().is_empty() =>
        {
            rest.to_string()
        }
        _ => title,
    };
    let title = shown(&title, "title", &mut p.problems);
    if title.is_empty() {
        p.problems
            .push("no title (`# …` heading or front matter `title:`)".into());
    }
    p.title = cut(title, limits::TITLE, "title", &mut p.problems);
    p.domain = p
        .domain
        .map(|d| shown(&d, "domain", &mut p.problems))
        .filter(|d| !d.is_empty())
        .map(|d| cut(d, limits::DOMAIN, "domain", &mut p.problems));
    let summary = visible_block(summary.trim());
    p.summary =
        (!summary.is_empty()).then(|| cut(summary, limits::SUMMARY, "summary", &mut p.problems));
    if p.kind.is_none() {
        p.kind = Some(kind_from_path(path));
    }
    p
}

/// `**Domain**: x` or `**Domain:** x` → ("domain", "x").
fn field(line: &str) -> Option<(String, String)> {
    let rest = line.trim_start().strip_prefix("**")?;
    let end = rest.find("**")?;
    let key = rest[..end]
        .trim()
        .trim_end_matches(':')
        .trim()
        .to_ascii_lowercase();
    let value = rest[end + 2..]
        .trim_start()
        .strip_prefix(':')
        .unwrap_or(&rest[end + 2..]);
    if !matches!(key.as_str(), "domain" | "severity" | "tags" | "date") {
        return None;
    }
    Some((key, value.trim().to_string()))
}

fn split_tags(v: &str) -> Vec<String> {
    visible_line(v.trim_matches(|c| c == '[' || c == ']'))
        .split(',')
        .map(|t| t.trim().trim_matches(|c| c == '"' || c == '\'').to_string())
        .filter(|t| !t.is_empty())
        .collect()
}

/// The first `YYYY-MM-DD` in a value (`2025-12-01  # TIME-FIX-3: …` included).
fn date(v: &str) -> Option<String> {
    let v = v.trim();
    let candidate = v.get(..10)?;
    candidate
        .parse::<jiff::civil::Date>()
        .ok()
        .map(|d| d.to_string())
}

/// `memory/successes/…` is a success, and so on; anything else a failure.
pub fn kind_from_path(path: &str) -> Kind {
    let dir = path
        .strip_prefix("memory/")
        .and_then(|r| r.split('/').next())
        .unwrap_or("");
    Kind::ALL
        .into_iter()
        .find(|k| k.dir() == dir)
        .unwrap_or(Kind::Failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scripts_template() {
        let md = "# Disk full\n\n**Domain**: infra\n**Severity**: 4\n**Tags**: a, b\n**Date**: 2025-12-01  # TIME-FIX-3: x\n\n## Summary\n\nLine one\nLine two\n\n## What Happened\n\n[Describe]\n";
        let p = parse(md, "memory/failures/x.md");
        assert_eq!(p.title, "Disk full");
        assert_eq!(p.domain.as_deref(), Some("infra"));
        assert_eq!(p.severity.map(Severity::get), Some(4));
        assert_eq!(p.tags, ["a", "b"]);
        assert_eq!(p.date.as_deref(), Some("2025-12-01"));
        assert_eq!(p.summary.as_deref(), Some("Line one\nLine two"));
        assert_eq!(p.summary_line().as_deref(), Some("Line one"));
        assert_eq!(p.kind, Some(Kind::Failure));
        assert!(p.problems.is_empty(), "{:?}", p.problems);
    }

    #[test]
    fn hand_written_variants() {
        let md = "# Failure: Repeated Edit Failures\n\n**Date:** 2025-12-01\n**Domain:** debugging, process\n**Severity:** Medium\n**Tags:** edit-tool, race\n\n## What Happened\nx\n";
        let p = parse(md, "memory/failures/2025-12-01-x.md");
        assert_eq!(p.title, "Repeated Edit Failures");
        assert_eq!(p.domain.as_deref(), Some("debugging, process"));
        assert_eq!(p.severity.map(Severity::get), Some(3));
        assert_eq!(p.date.as_deref(), Some("2025-12-01"));
        assert_eq!(p.summary, None);
    }

    #[test]
    fn front_matter_wins_and_sets_the_type() {
        let md = "---\ntitle: VRAM Review\ntype: success\ndomain: infrastructure\ntags: vram,rag\nseverity: 5\n---\n\n# Another heading\n\n## Review\ntext\n";
        let p = parse(md, "elsewhere/x.md");
        assert_eq!(p.title, "VRAM Review");
        assert_eq!(p.kind, Some(Kind::Success));
        assert_eq!(p.tags, ["vram", "rag"]);
        assert_eq!(p.severity.map(Severity::get), Some(5));
    }

    #[test]
    fn hostile_and_broken_files_never_fail() {
        let p = parse(
            "# \u{1b}[31mRED\u{1b}[0m\n**Severity**: 9\n",
            "memory/failures/x.md",
        );
        // Kept escaped, so that it looks in the list as it does in its file, and noted.
        assert_eq!(p.title, "\\e[31mRED\\e[0m");
        assert!(crate::sanitize::is_clean(&p.title));
        assert!(
            p.problems
                .iter()
                .any(|m| m.starts_with("title holds control")),
            "{:?}",
            p.problems
        );
        assert_eq!(p.severity, None);
        let hidden = parse("# Admin\u{200b}Test\n**Domain**: o\u{2028}ps\n", "x.md");
        assert_eq!(hidden.title, "Admin\\u{200b}Test");
        assert_eq!(hidden.domain.as_deref(), Some("o\\u{2028}ps"));
        for text in [
            "",
            "---\nunclosed",
            "\u{feff}# BOM title",
            "## only a section",
            "**Date**: nope",
            "#\n#",
        ] {
            let p = parse(text, "memory/successes/y.md");
            assert_eq!(p.kind, Some(Kind::Success));
        }
        assert_eq!(parse("\u{feff}# BOM title", "x").title, "BOM title");
        let long = format!("# {}", "x".repeat(600));
        assert_eq!(parse(&long, "x").title.chars().count(), limits::TITLE);
    }
}
