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
    fill(TEMPLATE, |key| match key {
        "date" => Some(date.to_string()),
        "body" => Some(body.clone()),
        key => Field::keyed(key).map(|f| l.get(f).to_string()),
    })
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
                Place::Folder => continue,
            };
            assert!(md.contains(&wanted), "`{wanted}` not in:\n{md}");
        }
    }
}
