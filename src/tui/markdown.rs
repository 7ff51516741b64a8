//! A small markdown renderer for the detail pane: headings, emphasis, inline code, lists,
//! quotes and fenced code blocks. Every piece of text is sanitised first: the file may come
//! from another tool or a pulled remote.

use lore::sanitize::display_line;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};

pub fn render(text: &str, color: bool) -> Vec<Line<'static>> {
    let c = |col: Color| {
        if color {
            Style::default().fg(col)
        } else {
            Style::default()
        }
    };
    let mut out = Vec::new();
    let mut in_code = false;
    for raw in text.lines() {
        let line = display_line(raw);
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            out.push(Line::from(Span::styled(line, c(Color::DarkGray))));
            continue;
        }
        if in_code {
            out.push(Line::from(Span::styled(line, c(Color::Cyan))));
            continue;
        }
        let trimmed = line.trim_start();
        let level = trimmed.chars().take_while(|&ch| ch == '#').count();
        if (1..=6).contains(&level) && trimmed[level..].starts_with(' ') {
            let title = trimmed[level + 1..].to_string();
            let style = match level {
                1 => c(Color::Yellow).add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                2 => c(Color::Green).add_modifier(Modifier::BOLD),
                _ => Style::default().add_modifier(Modifier::BOLD),
            };
            out.push(Line::from(Span::styled(title, style)));
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix("> ") {
            let mut spans = vec![Span::styled("│ ", c(Color::DarkGray))];
            spans.extend(
                inline(rest, color)
                    .into_iter()
                    .map(|s| s.patch_style(Style::default().add_modifier(Modifier::ITALIC))),
            );
            out.push(Line::from(spans));
            continue;
        }
        let indent = line.len() - trimmed.len();
        if let Some(rest) = trimmed
            .strip_prefix("- ")
            .or_else(|| trimmed.strip_prefix("* "))
        {
            let mut spans = vec![
                Span::raw(" ".repeat(indent)),
                Span::styled("• ", c(Color::Magenta)),
            ];
            spans.extend(inline(rest, color));
            out.push(Line::from(spans));
            continue;
        }
        out.push(Line::from(inline(&line, color)));
    }
    out
}

/// `**bold**`, `*em*`/`_em_` and `` `code` `` within one line.
fn inline(text: &str, color: bool) -> Vec<Span<'static>> {
    let mut spans = Vec::new();
    let mut buf = String::new();
    let mut rest = text;
    let flush = |buf: &mut String, spans: &mut Vec<Span<'static>>| {
        if !buf.is_empty() {
            spans.push(Span::raw(std::mem::take(buf)));
        }
    };
    while let Some(ch) = rest.chars().next() {
        let (marker, style) = match ch {
            '`' => (
                "`",
                if color {
                    Style::default().fg(Color::Cyan)
                } else {
                    Style::default().add_modifier(Modifier::REVERSED)
                },
            ),
            '*' if rest.starts_with("**") => ("**", Style::default().add_modifier(Modifier::BOLD)),
            '*' | '_' => (&rest[..1], Style::default().add_modifier(Modifier::ITALIC)),
            _ => {
                buf.push(ch);
                rest = &rest[ch.len_utf8()..];
                continue;
            }
        };
        let after = &rest[marker.len()..];
        match after.find(marker) {
            Some(end)
                if end > 0 && !(marker == "_" && buf.ends_with(|c: char| c.is_alphanumeric())) =>
            {
                flush(&mut buf, &mut spans);
                spans.push(Span::styled(after[..end].to_string(), style));
                rest = &after[end + marker.len()..];
            }
            _ => {
                buf.push_str(marker);
                rest = after;
            }
        }
    }
    flush(&mut buf, &mut spans);
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(lines: &[Line]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
            .collect()
    }

    #[test]
    fn headings_lists_emphasis_code() {
        let md = "# Title\n\n**Domain**: ci\n- one `x`\n```\nlet a = *b*;\n```\nsnake_case_name";
        let lines = render(md, true);
        assert_eq!(
            plain(&lines),
            [
                "Title",
                "",
                "Domain: ci",
                "• one x",
                "```",
                "let a = *b*;",
                "```",
                "snake_case_name"
            ]
        );
        assert!(
            lines[0].spans[0]
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
        assert!(
            lines[2].spans[0]
                .style
                .add_modifier
                .contains(Modifier::BOLD)
        );
    }

    #[test]
    fn control_characters_never_survive() {
        let lines = render("# \u{1b}[31mRED\u{1b}[0m\nbell\u{7} \u{202e}rtl", true);
        for s in plain(&lines) {
            assert!(lore::sanitize::is_clean(&s), "{s:?}");
        }
    }
}
