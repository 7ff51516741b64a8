//! The markdown lore writes: the script's template (`assets/learning.md`), filled in.

use crate::learning::Learning;

const TEMPLATE: &str = include_str!("../assets/learning.md");

/// The four sections of the script's template with the placeholders it writes when empty.
pub const SECTIONS: [(&str, &str); 4] = [
    ("What Happened", "[Describe the failure in detail]"),
    ("Root Cause", "[What was the underlying issue?]"),
    ("Impact", "[What were the consequences?]"),
    (
        "Prevention",
        "[What heuristic or practice would prevent this?]",
    ),
];

/// Renders a learning dated `date` (`YYYY-MM-DD`).
pub fn render(l: &Learning, date: &str) -> String {
    let body = match &l.body {
        Some(b) => b.clone(),
        None => {
            let texts = [&l.what_happened, &l.root_cause, &l.impact, &l.prevention];
            let mut out = String::new();
            for ((heading, placeholder), text) in SECTIONS.iter().zip(texts) {
                if !out.is_empty() {
                    out.push_str("\n\n");
                }
                let text = if text.is_empty() {
                    placeholder
                } else {
                    text.as_str()
                };
                out.push_str(&format!("## {heading}\n\n{text}"));
            }
            out
        }
    };
    fill(TEMPLATE, |key| match key {
        "title" => Some(l.title.clone()),
        "domain" => Some(l.domain.clone()),
        "severity" => Some(l.severity.to_string()),
        "tags" => Some(l.tags_joined()),
        "date" => Some(date.to_string()),
        "summary" => Some(l.summary.clone()),
        "body" => Some(body.clone()),
        _ => None,
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
        let l = Draft {
            title: "Disk {domain} full".into(),
            domain: "infra".into(),
            severity: Some("high".into()),
            tags: "disk,ops".into(),
            summary: "Ran out".into(),
            root_cause: "No alert".into(),
            ..Draft::default()
        }
        .validate()
        .unwrap();
        let md = render(&l, "2026-11-27");
        let expected = "# Disk {domain} full\n\n**Domain**: infra\n**Severity**: 4\n**Tags**: disk,ops\n**Date**: 2026-11-27\n\n## Summary\n\nRan out\n\n## What Happened\n\n[Describe the failure in detail]\n\n## Root Cause\n\nNo alert\n\n## Impact\n\n[What were the consequences?]\n\n## Prevention\n\n[What heuristic or practice would prevent this?]\n\n## Related\n\n- **Experiments**:\n- **Heuristics**:\n- **Similar Failures**:\n";
        assert_eq!(md, expected);
    }
}
