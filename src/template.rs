//! The markdown lore writes: the script's template (`assets/learning.md`), filled in.

use crate::learning::{FIELDS, Field, Learning, Place};

const TEMPLATE: &str = include_str!("../assets/learning.md");

/// Renders a learning dated `date` (`YYYY-MM-DD`): each field at its place in the table
/// ([`crate::learning::fields`]), the sections in table order, or the learning's whole body
/// instead of them.
pub fn render(l: &Learning, date: &str) -> String {
    let body = match &l.body {
        Some(b) => b.clone(),
        None => {
            let mut out = String::new();
            for spec in &FIELDS {
                let Place::Section {
                    heading,
                    placeholder,
                } = spec.place
                else {
                    continue;
                };
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                let text = match l.get(spec.field) {
                    "" => placeholder,
                    text => text,
                };
                out.push_str(&format!("## {heading}\n\n{text}"));
            }
            out
        }
    };
    let body = match context(l) {
        Some(section) => format!("{body}\n\n{section}"),
        None => body,
    };
    fill(TEMPLATE, |key| match key {
        "date" => Some(date.to_string()),
        "body" => Some(body.clone()),
        key => Field::keyed(key).map(|f| l.get(f).to_string()),
    })
}

/// The heading of the failing command's section.
pub const CONTEXT_HEADING: &str = "Failing Command";

/// The `## Failing Command` section, when any of its fields ([`Place::Context`]) is given: the
/// command in a fenced block (a fence longer than any run of backticks in it), then one
/// `- **Label**: value` line for each other field given.
fn context(l: &Learning) -> Option<String> {
    let given: Vec<(&crate::learning::Spec, &str)> = FIELDS
        .iter()
        .filter(|s| matches!(s.place, Place::Context(_)))
        .map(|s| (s, l.get(s.field)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if given.is_empty() {
        return None;
    }
    let mut out = format!("## {CONTEXT_HEADING}\n");
    for (spec, value) in given {
        let Place::Context(label) = spec.place else {
            continue;
        };
        if spec.field == Field::Command {
            let longest = value.split(|c| c != '`').map(str::len).max().unwrap_or(0);
            let fence = "`".repeat(longest.max(2) + 1);
            out.push_str(&format!("\n{fence}sh\n{value}\n{fence}\n"));
        } else {
            out.push_str(&format!("\n- **{label}**: {value}"));
        }
    }
    Some(out.trim_end().to_string())
}

/// One pass over the template, so a `{domain}` typed by the user is never substituted.
fn fill(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 256);
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let after = &rest[start + 1..];
        match after
            .find('}')
            .and_then(|end| value(&after[..end]).map(|v| (end, v)))
        {
            Some((end, v)) => {
                out.push_str(&v);
                rest = &after[end + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learning::Draft;

    #[test]
    fn matches_the_script_layout() {
        let l = Draft::default()
            .with(Field::Title, "Disk {domain} full")
            .with(Field::Domain, "infra")
            .with(Field::Severity, "high")
            .with(Field::Tags, "disk,ops")
            .with(Field::Summary, "Ran out")
            .with(Field::RootCause, "No alert")
            .validate()
            .unwrap();
        let md = render(&l, "2026-11-27");
        let expected = "# Disk {domain} full\n\n**Domain**: infra\n**Severity**: 4\n**Tags**: disk,ops\n**Date**: 2026-11-27\n\n## Summary\n\nRan out\n\n## What Happened\n\n[Describe the failure in detail]\n\n## Root Cause\n\nNo alert\n\n## Impact\n\n[What were the consequences?]\n\n## Prevention\n\n[What heuristic or practice would prevent this?]\n\n## Related\n\n- **Experiments**:\n- **Heuristics**:\n- **Similar Failures**:\n";
        assert_eq!(md, expected);
    }

    /// A row added to the fields table reaches the file: every field but the type (which
    /// picks the folder) is written where its row says.
    #[test]
    fn every_field_of_the_table_is_written() {
        let mut draft = Draft::default();
        for f in Field::all() {
            let value = match f {
                Field::Severity => "2".to_string(),
                Field::ExitCode => "7".to_string(),
                Field::Type => "success".to_string(),
                f => format!("value-of-{}", f.name()),
            };
            draft.set(f, value);
        }
        let md = render(&draft.validate().unwrap(), "2026-12-02");
        for spec in &FIELDS {
            let wanted = match spec.place {
                Place::Title => format!("# value-of-{}\n", spec.name),
                Place::Header(h) if spec.field == Field::Severity => format!("**{h}**: 2\n"),
                Place::Header(h) => format!("**{h}**: value-of-{}\n", spec.name),
                Place::Block(h) | Place::Section { heading: h, .. } => {
                    format!("## {h}\n\nvalue-of-{}\n", spec.name)
                }
                Place::Context(_) if spec.field == Field::Command => {
                    format!("```sh\nvalue-of-{}\n```\n", spec.name)
                }
                Place::Context(label) if spec.field == Field::ExitCode => {
                    format!("- **{label}**: 7")
                }
                Place::Context(label) => format!("- **{label}**: value-of-{}", spec.name),
                Place::Folder => continue,
            };
            assert!(md.contains(&wanted), "`{wanted}` not in:\n{md}");
        }
    }
}

/// `text` with `field` set to `value` where the template puts it, everything else kept as it
/// is (the user's own sections, links, spacing): the `# Title` line, a `**Heading**: value`
/// line (added after the last such line, or after the title, when missing), or the text of a
/// `## Heading` section up to the next heading (added before `## Related`, or at the end).
/// The type has no place in the text (it is the folder), so it is left alone.
pub fn set_field(text: &str, field: Field, value: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let title_at = lines.iter().position(|l| l.starts_with("# "));
    match field.spec().place {
        // The type is the folder; the failing command's section is the editor's to change.
        Place::Folder | Place::Context(_) => {}
        Place::Title => match title_at {
            Some(i) => lines[i] = format!("# {value}"),
            None => lines.insert(0, format!("# {value}\n")),
        },
        Place::Header(heading) => {
            let bold = format!("**{heading}**:");
            let bold_colon_inside = format!("**{heading}:**");
            let line = format!("{bold} {value}");
            if let Some(i) = lines.iter().position(|l| {
                let t = l.trim_start();
                t.starts_with(&bold) || t.starts_with(&bold_colon_inside)
            }) {
                lines[i] = line;
            } else {
                let last_header = lines
                    .iter()
                    .rposition(|l| l.starts_with("**") && l.contains("**:"));
                let at = match (last_header, title_at) {
                    (Some(i), _) => i + 1,
                    (None, Some(t)) => {
                        lines.insert(t + 1, String::new());
                        t + 2
                    }
                    (None, None) => 0,
                };
                lines.insert(at, line);
            }
        }
        Place::Block(heading) | Place::Section { heading, .. } => {
            let head = format!("## {heading}");
            let block: Vec<String> = std::iter::once(String::new())
                .chain(value.lines().map(str::to_string))
                .chain(std::iter::once(String::new()))
                .collect();
            if let Some(start) = lines.iter().position(|l| l.trim_end() == head) {
                let end = lines[start + 1..]
                    .iter()
                    .position(|l| l.starts_with("## ") || l.starts_with("# "))
                    .map(|n| start + 1 + n)
                    .unwrap_or(lines.len());
                lines.splice(start + 1..end, block);
            } else {
                let at = lines
                    .iter()
                    .position(|l| l.trim_end() == "## Related")
                    .unwrap_or(lines.len());
                let mut section = vec![head];
                section.extend(block);
                if at == lines.len() && lines.last().is_some_and(|l| !l.is_empty()) {
                    section.insert(0, String::new());
                }
                lines.splice(at..at, section);
            }
        }
    }
    // The last section's block ends with a blank line; a file ends with one newline.
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

#[cfg(test)]
mod set_field_tests {
    use super::*;
    use crate::learning::{Draft, Field};

    fn rendered() -> String {
        let l = Draft::default()
            .with(Field::Title, "Old title")
            .with(Field::Domain, "ci")
            .with(Field::Summary, "First line\nSecond line")
            .with(Field::RootCause, "A stale lock")
            .validate()
            .unwrap();
        render(&l, "2026-12-02")
    }

    #[test]
    fn a_field_changes_in_its_place_and_nothing_else_does() {
        let before = rendered();
        let after = set_field(&before, Field::Title, "New title");
        assert!(
            after.starts_with("# New title\n\n**Domain**: ci\n"),
            "{after}"
        );
        assert_eq!(after.replace("# New title", "# Old title"), before);
        let after = set_field(&before, Field::Domain, "deploy");
        assert_eq!(
            after.replace("**Domain**: deploy", "**Domain**: ci"),
            before
        );
        let after = set_field(&before, Field::Summary, "Only this");
        assert!(
            after.contains("## Summary\n\nOnly this\n\n## What Happened"),
            "{after}"
        );
        assert!(!after.contains("Second line"));
        assert!(after.contains("## Root Cause\n\nA stale lock"), "{after}");
        let after = set_field(&before, Field::RootCause, "Two\nlines");
        assert!(
            after.contains("## Root Cause\n\nTwo\nlines\n\n## Impact"),
            "{after}"
        );
        assert!(after.ends_with("- **Similar Failures**:\n"), "{after}");
    }

    #[test]
    fn a_missing_place_is_added_where_the_template_would_put_it() {
        let hand = "# Hand written\n\nSome notes of mine.\n";
        let after = set_field(hand, Field::Domain, "ops");
        assert_eq!(
            after,
            "# Hand written\n\n**Domain**: ops\n\nSome notes of mine.\n"
        );
        let after = set_field(&after, Field::Tags, "a,b");
        assert_eq!(
            after,
            "# Hand written\n\n**Domain**: ops\n**Tags**: a,b\n\nSome notes of mine.\n"
        );
        let after = set_field(&after, Field::Prevention, "Check first");
        assert!(
            after.ends_with("Some notes of mine.\n\n## Prevention\n\nCheck first\n"),
            "{after:?}"
        );
        let with_related = "# T\n\n## Related\n\n- x\n";
        let after = set_field(with_related, Field::Impact, "Big");
        assert_eq!(after, "# T\n\n## Impact\n\nBig\n\n## Related\n\n- x\n");
    }
}
