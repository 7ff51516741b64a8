//! The detail pane's markdown: CommonMark, parsed by pulldown-cmark (with tables and
//! strikethrough), drawn as ratatui lines. Emphasis is where CommonMark puts it (`src/*.rs and
//! memory/*.md` stays as written), links show their text and their target, lists keep their
//! numbers, code blocks stay blocks, line by line, and tables are laid out in columns.
//!
//! Every piece of text is escaped for the terminal as it is drawn ([`display_line`]), after
//! parsing, so a character that an entity (`&#27;`) spells is escaped too: the file may come
//! from another tool or a pulled remote. A line break in a paragraph is kept as the author
//! wrote it (the template's `**Domain**:` lines are one paragraph), and the template's
//! placeholders (`[Describe the failure in detail]`) are dimmed: they are not content.

use lore::sanitize::{display_block, display_line};
use pulldown_cmark::{Alignment, Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthStr;

/// `text` as lines for a pane `width` cells wide (rules and tables fit it; the rest is wrapped
/// by the pane).
pub fn render(text: &str, color: bool, width: u16) -> Vec<Line<'static>> {
    let mut r = Render::new(color, usize::from(width.max(1)));
    let options =
        Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH | Options::ENABLE_TASKLISTS;
    for event in Parser::new_ext(text, options) {
        r.event(event);
    }
    r.finish()
}

/// A block that gives every line inside it a prefix.
enum Container {
    Quote,
    /// A list item: its lines are indented by its marker's width.
    Item {
        indent: usize,
    },
}

/// A table being read: its rows are laid out once all of them are known.
struct Table {
    aligns: Vec<Alignment>,
    /// (is the header, cells).
    rows: Vec<(bool, Vec<Vec<Span<'static>>>)>,
    row: Vec<Vec<Span<'static>>>,
    cell: Vec<Span<'static>>,
}

struct Render {
    color: bool,
    width: usize,
    lines: Vec<Line<'static>>,
    /// The line being built, `None` between lines.
    line: Option<Vec<Span<'static>>>,
    /// The inline styles open (emphasis, a link…), innermost last.
    styles: Vec<Style>,
    containers: Vec<Container>,
    /// Open lists: the next number of an ordered one, `None` for bullets.
    lists: Vec<Option<u64>>,
    /// The marker of an item whose first line is not drawn yet.
    marker: Option<String>,
    in_code: bool,
    /// Open links: their target and the text seen inside them.
    links: Vec<(String, String)>,
    table: Option<Table>,
    /// A blank line is owed before the next block.
    gap: bool,
    /// The paragraph being drawn: its first line, its text, and whether it holds anything but
    /// text (a link, code), for telling a template placeholder.
    para: Option<(usize, String, bool)>,
}

impl Render {
    fn new(color: bool, width: usize) -> Render {
        Render {
            color,
            width,
            lines: Vec::new(),
            line: None,
            styles: Vec::new(),
            containers: Vec::new(),
            lists: Vec::new(),
            marker: None,
            in_code: false,
            links: Vec::new(),
            table: None,
            gap: false,
            para: None,
        }
    }

    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::default().fg(c)
        } else {
            Style::default()
        }
    }

    fn dim(&self) -> Style {
        self.fg(Color::DarkGray)
    }

    fn code_style(&self) -> Style {
        if self.color {
            Style::default().fg(Color::Cyan)
        } else {
            Style::default().add_modifier(Modifier::REVERSED)
        }
    }

    fn style(&self) -> Style {
        self.styles
            .iter()
            .fold(Style::default(), |acc, s| acc.patch(*s))
    }

    /// The prefix of a new line: a bar per quote, an indent per item (the innermost item's
    /// marker on its first line).
    fn prefix(&mut self, with_marker: bool) -> Vec<Span<'static>> {
        let mut spans = Vec::new();
        let last_item = self
            .containers
            .iter()
            .rposition(|c| matches!(c, Container::Item { .. }));
        for (i, c) in self.containers.iter().enumerate() {
            match c {
                Container::Quote => spans.push(Span::styled("│ ", self.dim())),
                Container::Item { indent } => {
                    if with_marker && Some(i) == last_item && self.marker.is_some() {
                        let marker = self.marker.take().unwrap_or_default();
                        spans.push(Span::styled(marker, self.fg(Color::Magenta)));
                    } else {
                        spans.push(Span::raw(" ".repeat(*indent)));
                    }
                }
            }
        }
        spans
    }

    fn open_line(&mut self) -> &mut Vec<Span<'static>> {
        if self.line.is_none() {
            let prefix = self.prefix(true);
            self.line = Some(prefix);
        }
        self.line.as_mut().expect("opened")
    }

    fn end_line(&mut self) {
        if let Some(spans) = self.line.take() {
            self.lines.push(Line::from(spans));
        }
    }

    /// Starts a block: ends the line before it and draws the blank line owed.
    fn block(&mut self) {
        self.end_line();
        if self.gap && !self.lines.is_empty() {
            let prefix = self.prefix(false);
            self.lines.push(Line::from(prefix));
        }
        self.gap = false;
    }

    /// Text of the document, escaped for the terminal, in the open inline style.
    fn text(&mut self, text: &str, style: Style) {
        if text.is_empty() {
            return;
        }
        let shown = display_line(text);
        if let Some((_, t, _)) = &mut self.para {
            t.push_str(text);
        }
        if let Some((_, t)) = self.links.last_mut() {
            t.push_str(text);
        }
        let spans = match &mut self.table {
            Some(table) => &mut table.cell,
            None => self.open_line(),
        };
        // One span for a run of one style (the parser gives `[` and `]` texts of their own).
        match spans.last_mut() {
            Some(last) if last.style == style && !last.content.is_empty() => {
                last.content.to_mut().push_str(&shown)
            }
            _ => spans.push(Span::styled(shown, style)),
        }
    }

    /// A code block's text: line by line, never re-wrapped into prose; tabs as four spaces.
    fn code(&mut self, text: &str) {
        let style = self.code_style();
        let gutter = if self.color { "  " } else { "│ " };
        for piece in text.split_inclusive('\n') {
            let body = piece.strip_suffix('\n').unwrap_or(piece);
            let body = body.strip_suffix('\r').unwrap_or(body);
            let shown = display_block(body).replace('\t', "    ");
            let dim = self.dim();
            let line = self.open_line();
            line.push(Span::styled(gutter, dim));
            line.push(Span::styled(shown, style));
            if piece.ends_with('\n') {
                self.end_line();
            }
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) if self.in_code => self.code(&t),
            Event::Text(t) => {
                let style = self.style();
                self.text(&t, style);
            }
            Event::Code(t) => {
                if let Some(p) = &mut self.para {
                    p.2 = true;
                }
                let style = self.style().patch(self.code_style());
                self.text(&t, style);
            }
            Event::InlineMath(t) | Event::DisplayMath(t) => {
                let style = self.style().patch(self.code_style());
                self.text(&t, style);
            }
            Event::Html(t) | Event::InlineHtml(t) => {
                let dim = self.dim();
                for (i, piece) in t.lines().enumerate() {
                    if i > 0 {
                        self.end_line();
                    }
                    self.text(piece, dim);
                }
                if t.ends_with('\n') {
                    self.end_line();
                }
            }
            Event::FootnoteReference(name) => {
                let dim = self.dim();
                self.text(&format!("[^{name}]"), dim);
            }
            Event::SoftBreak | Event::HardBreak => {
                if let Some(table) = &mut self.table {
                    table.cell.push(Span::raw(" "));
                } else {
                    self.end_line();
                }
            }
            Event::Rule => {
                self.block();
                let rule = "─".repeat(self.width.min(60));
                let dim = self.dim();
                self.open_line().push(Span::styled(rule, dim));
                self.end_line();
                self.gap = true;
            }
            Event::TaskListMarker(done) => {
                let style = self.fg(Color::Magenta);
                self.text(if done { "[x] " } else { "[ ] " }, style);
            }
        }
    }

    fn start(&mut self, tag: Tag<'_>) {
        match tag {
            Tag::Paragraph => {
                self.block();
                self.para = Some((self.lines.len(), String::new(), false));
            }
            Tag::Heading { level, .. } => {
                self.block();
                let style = match level {
                    HeadingLevel::H1 => self
                        .fg(Color::Yellow)
                        .add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
                    HeadingLevel::H2 => self.fg(Color::Green).add_modifier(Modifier::BOLD),
                    _ => Style::default().add_modifier(Modifier::BOLD),
                };
                self.styles.push(style);
            }
            Tag::BlockQuote(_) => {
                self.block();
                self.containers.push(Container::Quote);
                self.styles
                    .push(Style::default().add_modifier(Modifier::ITALIC));
            }
            Tag::CodeBlock(_) => {
                self.block();
                self.in_code = true;
            }
            Tag::HtmlBlock => self.block(),
            Tag::List(start) => {
                // A list inside an item follows its first line directly.
                if self
                    .containers
                    .iter()
                    .any(|c| matches!(c, Container::Item { .. }))
                {
                    self.end_line();
                } else {
                    self.block();
                }
                self.lists.push(start);
            }
            Tag::Item => {
                self.end_line();
                if self.gap {
                    self.block();
                }
                let depth = self.lists.len();
                let marker = match self.lists.last_mut() {
                    Some(Some(n)) => {
                        let m = format!("{n}. ");
                        *n += 1;
                        m
                    }
                    _ if depth.is_multiple_of(2) => "◦ ".to_string(),
                    _ => "• ".to_string(),
                };
                let indent = marker.width();
                self.marker = Some(marker);
                self.containers.push(Container::Item { indent });
            }
            Tag::Table(aligns) => {
                self.block();
                self.table = Some(Table {
                    aligns,
                    rows: Vec::new(),
                    row: Vec::new(),
                    cell: Vec::new(),
                });
            }
            Tag::TableHead | Tag::TableRow | Tag::TableCell => {}
            Tag::Emphasis => self
                .styles
                .push(Style::default().add_modifier(Modifier::ITALIC)),
            Tag::Strong => self
                .styles
                .push(Style::default().add_modifier(Modifier::BOLD)),
            Tag::Strikethrough => self
                .styles
                .push(Style::default().add_modifier(Modifier::CROSSED_OUT)),
            Tag::Superscript | Tag::Subscript => self.styles.push(Style::default()),
            Tag::Link { dest_url, .. } => {
                if let Some(p) = &mut self.para {
                    p.2 = true;
                }
                self.links.push((dest_url.to_string(), String::new()));
                let style = self.fg(Color::Blue).add_modifier(Modifier::UNDERLINED);
                self.styles.push(style);
            }
            Tag::Image { dest_url, .. } => {
                if let Some(p) = &mut self.para {
                    p.2 = true;
                }
                let dim = self.dim();
                self.text("[image: ", dim);
                self.links.push((dest_url.to_string(), String::new()));
                self.styles.push(Style::default());
            }
            Tag::FootnoteDefinition(name) => {
                self.block();
                let dim = self.dim();
                self.text(&format!("[^{name}]: "), dim);
            }
            Tag::DefinitionList | Tag::DefinitionListTitle | Tag::DefinitionListDefinition => {
                self.block()
            }
            Tag::MetadataBlock(_) => {
                self.block();
                self.in_code = true;
            }
        }
    }

    fn end(&mut self, tag: TagEnd) {
        match tag {
            TagEnd::Paragraph => {
                self.end_line();
                if let Some((first, text, other)) = self.para.take() {
                    let t = text.trim();
                    if !other && t.starts_with('[') && t.ends_with(']') {
                        self.placeholder(first);
                    }
                }
                self.gap = true;
            }
            TagEnd::Heading(_) => {
                self.styles.pop();
                self.end_line();
                self.gap = true;
            }
            TagEnd::BlockQuote(_) => {
                self.end_line();
                self.styles.pop();
                self.containers.pop();
                self.gap = true;
            }
            TagEnd::CodeBlock | TagEnd::MetadataBlock(_) => {
                self.end_line();
                self.in_code = false;
                self.gap = true;
            }
            TagEnd::HtmlBlock | TagEnd::FootnoteDefinition => {
                self.end_line();
                self.gap = true;
            }
            TagEnd::DefinitionList
            | TagEnd::DefinitionListTitle
            | TagEnd::DefinitionListDefinition => self.end_line(),
            TagEnd::List(_) => {
                self.end_line();
                self.lists.pop();
                self.gap = !self
                    .containers
                    .iter()
                    .any(|c| matches!(c, Container::Item { .. }));
            }
            TagEnd::Item => {
                // An empty item still shows its marker.
                if self.marker.is_some() {
                    self.open_line();
                }
                self.end_line();
                self.containers.pop();
            }
            TagEnd::Table => {
                if let Some(table) = self.table.take() {
                    self.draw_table(table);
                }
                self.gap = true;
            }
            TagEnd::TableHead | TagEnd::TableRow => {
                if let Some(t) = &mut self.table {
                    let row = std::mem::take(&mut t.row);
                    t.rows.push((matches!(tag, TagEnd::TableHead), row));
                }
            }
            TagEnd::TableCell => {
                if let Some(t) = &mut self.table {
                    let cell = std::mem::take(&mut t.cell);
                    t.row.push(cell);
                }
            }
            TagEnd::Emphasis
            | TagEnd::Strong
            | TagEnd::Strikethrough
            | TagEnd::Superscript
            | TagEnd::Subscript => {
                self.styles.pop();
            }
            TagEnd::Link => {
                self.styles.pop();
                if let Some((url, text)) = self.links.pop() {
                    // The target, unless the text says it already (`<https://…>`).
                    let bare = url.strip_prefix("mailto:").unwrap_or(&url);
                    if !url.is_empty() && text.trim() != bare {
                        let dim = self.dim();
                        self.text(&format!(" ({url})"), dim);
                    }
                }
            }
            TagEnd::Image => {
                self.styles.pop();
                let dim = self.dim();
                if let Some((url, _)) = self.links.pop() {
                    self.text(&format!("] ({url})"), dim);
                }
            }
        }
    }

    /// Dims the lines of a paragraph that is a template placeholder.
    fn placeholder(&mut self, first: usize) {
        let style = self.dim().add_modifier(Modifier::DIM | Modifier::ITALIC);
        for line in &mut self.lines[first..] {
            for span in &mut line.spans {
                span.style = span.style.patch(style);
            }
        }
    }

    /// A table in columns as wide as their widest cell, narrowed (widest first) to fit the
    /// pane; a cell cut to its column ends in "…".
    fn draw_table(&mut self, table: Table) {
        let n = table.rows.iter().map(|(_, r)| r.len()).max().unwrap_or(0);
        if n == 0 {
            return;
        }
        let cell_w = |cell: &[Span]| cell.iter().map(|s| s.content.width()).sum::<usize>();
        let mut widths = vec![0usize; n];
        for (_, row) in &table.rows {
            for (i, cell) in row.iter().enumerate() {
                widths[i] = widths[i].max(cell_w(cell));
            }
        }
        let prefix_w: usize = self
            .containers
            .iter()
            .map(|c| match c {
                Container::Quote => 2,
                Container::Item { indent } => *indent,
            })
            .sum();
        let room = self.width.saturating_sub(prefix_w + 3 * (n - 1));
        while widths.iter().sum::<usize>() > room {
            let (i, &w) = widths
                .iter()
                .enumerate()
                .max_by_key(|(_, w)| **w)
                .expect("a column");
            if w <= 3 {
                break;
            }
            widths[i] = w - 1;
        }
        let dim = self.dim();
        for (head, row) in table.rows {
            let mut spans: Vec<Span<'static>> = Vec::new();
            for (i, w) in widths.iter().enumerate() {
                if i > 0 {
                    spans.push(Span::styled(" │ ", dim));
                }
                let cell = row.get(i).cloned().unwrap_or_default();
                let used = cell_w(&cell);
                let mut cell: Vec<Span<'static>> = if used > *w {
                    let plain: String = cell.iter().map(|s| s.content.as_ref()).collect();
                    vec![Span::raw(crate::tui::style::fit(&plain, *w))]
                } else {
                    cell
                };
                let pad = w.saturating_sub(cell_w(&cell));
                let (left, right) = match table.aligns.get(i) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                if head {
                    for s in &mut cell {
                        s.style = s.style.add_modifier(Modifier::BOLD);
                    }
                }
                spans.push(Span::raw(" ".repeat(left)));
                spans.extend(cell);
                spans.push(Span::raw(" ".repeat(right)));
            }
            self.open_line().extend(spans);
            self.end_line();
            if head {
                let rule: Vec<String> = widths.iter().map(|w| "─".repeat(*w)).collect();
                self.open_line().push(Span::styled(rule.join("─┼─"), dim));
                self.end_line();
            }
        }
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.end_line();
        self.lines
    }
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

    /// The text of the spans of `lines` that carry `modifier`.
    fn with(lines: &[Line], modifier: Modifier) -> Vec<String> {
        lines
            .iter()
            .flat_map(|l| l.spans.iter())
            .filter(|s| s.style.add_modifier.contains(modifier))
            .map(|s| s.content.to_string())
            .collect()
    }

    #[test]
    fn emphasis_only_where_commonmark_puts_it() {
        let md = "Look in src/*.rs first; 2 * 3 * 4 is 24; snake_case_name stays.\n\n\
                  But *this* and **that** and _those_.\n\n\
                  memory/failures/*.md and src/*.rs";
        let lines = render(md, true, 80);
        assert_eq!(
            plain(&lines),
            [
                "Look in src/*.rs first; 2 * 3 * 4 is 24; snake_case_name stays.",
                "",
                "But this and that and those.",
                "",
                "memory/failures/.md and src/.rs",
            ]
        );
        // The last: CommonMark pairs two asterisks that punctuation flanks on both sides (spec
        // 6.2, rules 1 and 5), as GitHub does; `\*` or backticks keep them.
        assert_eq!(
            with(&lines, Modifier::ITALIC),
            ["this", "those", ".md and src/"]
        );
        assert_eq!(with(&lines, Modifier::BOLD), ["that"]);
    }

    #[test]
    fn links_lists_code_blocks_and_escapes() {
        let md = "See [the runbook](https://example.com/run) or <https://example.com>.\n\n\
                  3. third\n4. fourth\n   - nested\n\n\
                  ```sh\nmake   test\n\tlong line that is code, not prose\n```\n\n\
                  \\*not emphasis\\* and \\# not a heading";
        let lines = plain(&render(md, true, 80));
        assert_eq!(
            lines,
            [
                "See the runbook (https://example.com/run) or https://example.com.",
                "",
                "3. third",
                "4. fourth",
                "   ◦ nested",
                "",
                "  make   test",
                "      long line that is code, not prose",
                "",
                "*not emphasis* and # not a heading",
            ]
        );
    }

    #[test]
    fn tables_are_laid_out_in_columns_that_fit() {
        let md = "| step | took |\n| --- | ---: |\n| fetch | 2 s |\n| a very long step name indeed | 120 s |\n";
        let wide = plain(&render(md, true, 80));
        assert_eq!(
            wide,
            [
                "step                         │  took",
                "─────────────────────────────┼──────",
                "fetch                        │   2 s",
                "a very long step name indeed │ 120 s",
            ]
        );
        let narrow = plain(&render(md, true, 20));
        assert!(narrow.iter().all(|l| l.width() <= 20), "{narrow:#?}");
        assert!(narrow[3].contains('…'), "{narrow:#?}");
    }

    #[test]
    fn the_templates_lines_stay_lines_and_its_placeholders_are_dimmed() {
        let md = "# Title\n\n**Domain**: ci\n**Severity**: 3\n\n## What Happened\n\n[Describe the failure in detail]\n\n## Root Cause\n\nA real [link](x) in text.";
        let lines = render(md, true, 80);
        assert_eq!(
            plain(&lines),
            [
                "Title",
                "",
                "Domain: ci",
                "Severity: 3",
                "",
                "What Happened",
                "",
                "[Describe the failure in detail]",
                "",
                "Root Cause",
                "",
                "A real link (x) in text."
            ]
        );
        assert_eq!(
            with(&lines, Modifier::DIM),
            ["[Describe the failure in detail]"]
        );
    }

    #[test]
    fn control_characters_never_survive_whatever_spells_them() {
        let md = "# \u{1b}[31mRED\u{1b}[0m\nbell\u{7} \u{202e}rtl &#27;[2J &#x9b; `\u{1b}]0;t\u{7}`\n\n```\n\u{1b}[1m\r\n```\n\n| \u{1b}x | y |\n|---|---|\n| \u{7} | z |";
        for color in [true, false] {
            for s in plain(&render(md, color, 80)) {
                assert!(lore::sanitize::is_clean(&s), "{s:?}");
            }
        }
    }
}
