//! The list of learnings and the search line: paging through a bounded window of rows
//! (never the whole table), the keys that move in it, the mouse, and its view.

use crossterm::event::{KeyCode, KeyEvent, MouseEvent, MouseEventKind};
use lore::config::Action;
use lore::index::{Anchor, Row};
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Paragraph, Row as TableRow, Table, TableState, Wrap};
use unicode_segmentation::UnicodeSegmentation;

use crate::tui::app::Drawn;
use crate::tui::app::{App, Focus, MARGIN, Mode, PAGE, QUERY_LIMIT, WINDOW};
use crate::tui::editing::{Edit, edit_of};
use crate::tui::highlight::{self, mark, query_words};
use crate::tui::msg::{PageAt, Request};
use crate::tui::screens::detail::draw_detail;
use crate::tui::style::{border_style, fg, fit, keep_end, severity_style};

impl App {
    /// Starts over from the top of the current source.
    pub fn reload(&mut self) {
        self.generation += 1;
        self.list.rows.clear();
        self.list.pending_move = 0;
        self.list.selected = 0;
        self.list.scroll = 0;
        self.list.first_pos = 0;
        self.list.loading = true;
        let at = if self.searching() {
            PageAt::Offset(0)
        } else {
            PageAt::Anchor(Anchor::First)
        };
        self.request_page(at);
        // The count is asked for once the first page is in, after the detail: it can take a
        // scan, and the first full frame should not wait for it.
        self.list.counted = false;
    }

    /// Asks for a page of the current source.
    pub(crate) fn request_page(&mut self, at: PageAt) {
        self.request_page_of(at, PAGE);
    }

    pub(crate) fn request_page_of(&mut self, at: PageAt, limit: usize) {
        let (generation, source) = (self.generation, self.source());
        self.request(Request::Page {
            generation,
            source,
            at,
            limit,
        });
    }

    pub(crate) fn jump_end(&mut self) {
        if self.list.at_end {
            self.list.selected = self.list.rows.len().saturating_sub(1);
            self.selection_changed();
            return;
        }
        self.generation += 1;
        self.list.rows.clear();
        self.list.loading = true;
        self.list.selected = usize::MAX; // the last row, once loaded
        let at = if self.searching() {
            PageAt::Offset(self.list.total.saturating_sub(PAGE as u64))
        } else {
            PageAt::Anchor(Anchor::Last)
        };
        self.request_page(at);
    }

    pub(crate) fn jump_start(&mut self) {
        if self.list.at_start {
            self.list.selected = 0;
            self.selection_changed();
        } else {
            self.reload();
        }
    }

    /// Moves the selection by `delta` rows, fetching more when near an edge.
    pub fn move_by(&mut self, delta: i64) {
        if self.list.rows.is_empty() {
            return;
        }
        // Presses made while a page was on its way count too.
        let delta = delta + std::mem::take(&mut self.list.pending_move);
        let last = self.list.rows.len() - 1;
        let wanted = self.list.selected as i64 + delta;
        let target = wanted.clamp(0, last as i64) as usize;
        // Past the loaded rows, where more exist: the rest waits for the next page.
        let short = wanted - target as i64;
        self.list.pending_move =
            if (short > 0 && !self.list.at_end) || (short < 0 && !self.list.at_start) {
                short
            } else {
                0
            };
        if target != self.list.selected {
            self.list.selected = target;
            self.selection_changed();
        }
        self.prefetch();
    }

    pub(crate) fn prefetch(&mut self) {
        if self.list.loading || self.list.rows.is_empty() {
            return;
        }
        let searching = self.searching();
        let l = &self.list;
        let (at, limit) = if !l.at_end && l.selected + MARGIN >= l.rows.len() {
            let last = l.rows.last().expect("not empty");
            if searching {
                (PageAt::Offset(l.first_pos + l.rows.len() as u64), PAGE)
            } else {
                (PageAt::Anchor(Anchor::After(last.key())), PAGE)
            }
        } else if !l.at_start && l.selected < MARGIN {
            if searching {
                // Exactly the rows before the window, never overlapping it.
                let n = l.first_pos.min(PAGE as u64);
                (PageAt::Offset(l.first_pos - n), n as usize)
            } else {
                (PageAt::Anchor(Anchor::Before(l.rows[0].key())), PAGE)
            }
        } else {
            return;
        };
        self.list.loading = true;
        self.request_page_of(at, limit);
    }

    pub(crate) fn selection_changed(&mut self) {
        self.detail_scroll = 0;
        if let Some(id) = self.list.selected_row().map(|r| r.id) {
            if self.detail.as_ref().map(|(r, _)| r.id) != Some(id) {
                self.request(Request::Detail { id });
            }
        } else {
            self.detail = None;
        }
    }

    pub(crate) fn on_page(&mut self, at: PageAt, rows: Vec<Row>) {
        self.list.loading = false;
        let full = rows.len() >= PAGE;
        let l = &mut self.list;
        let was_empty = l.rows.is_empty();
        let prepend = match &at {
            PageAt::Anchor(Anchor::Before(_)) => true,
            PageAt::Offset(o) => !l.rows.is_empty() && *o < l.first_pos,
            _ => false,
        };
        match &at {
            _ if was_empty => {
                l.first_pos = match &at {
                    PageAt::Offset(o) => *o,
                    PageAt::Anchor(Anchor::Last) => l.total.saturating_sub(rows.len() as u64),
                    _ => 0,
                };
                l.at_start = matches!(at, PageAt::Anchor(Anchor::First) | PageAt::Offset(0))
                    || l.first_pos == 0;
                l.at_end = !full || matches!(at, PageAt::Anchor(Anchor::Last));
                l.rows = rows;
                if l.selected == usize::MAX {
                    l.selected = l.rows.len().saturating_sub(1);
                }
            }
            _ if prepend => {
                l.at_start = !full;
                let n = rows.len();
                l.first_pos = l.first_pos.saturating_sub(n as u64);
                l.selected += n;
                l.scroll += n;
                let mut new = rows;
                new.append(&mut l.rows);
                l.rows = new;
                if l.rows.len() > WINDOW {
                    l.rows.truncate(WINDOW);
                    l.at_end = false;
                }
            }
            _ => {
                l.at_end = !full;
                l.rows.extend(rows);
                if l.rows.len() > WINDOW {
                    let cut = l.rows.len() - WINDOW;
                    l.rows.drain(..cut);
                    l.first_pos += cut as u64;
                    l.selected = l.selected.saturating_sub(cut);
                    l.scroll = l.scroll.saturating_sub(cut);
                    l.at_start = false;
                }
            }
        }
        if l.at_start && l.at_end {
            l.total = l.rows.len() as u64;
        }
        l.selected = l.selected.min(l.rows.len().saturating_sub(1));
        if let Some(id) = self.select_id
            && let Some(i) = self.list.rows.iter().position(|r| r.id == id)
        {
            self.list.selected = i;
            self.select_id = None;
        }
        // The learning asked for is looked for in the first page read after it was asked for
        // and no further: kept longer, it would pull the selection to itself whenever a later
        // page held it (after PgDn, say), skipping every row between.
        if was_empty {
            self.select_id = None;
        }
        self.selection_changed();
        if !self.list.counted {
            self.list.counted = true;
            let (generation, source) = (self.generation, self.source());
            self.request(Request::Count { generation, source });
        }
        let pending = std::mem::take(&mut self.list.pending_move);
        if pending != 0 {
            self.move_by(pending);
        }
    }

    /// Another process changed the store. Near the top of the list (where new learnings
    /// appear) the list is read again, the selection kept on the same learning and its detail
    /// re-read (it may be the one edited); deeper down the rows stay where the user is reading
    /// and only the count moves.
    pub(crate) fn changed_elsewhere(&mut self) {
        if self.list.first_pos == 0 && self.list.selected < PAGE / 2 {
            // A selection already on its way (the entry a save just made) is kept.
            if self.select_id.is_none() {
                self.select_id = self.list.selected_row().map(|r| r.id);
            }
            self.detail = None;
            self.reload();
            self.request(Request::Domains);
        } else {
            let (generation, source) = (self.generation, self.source());
            self.request(Request::Count { generation, source });
        }
    }

    /// The words a search looks for, to mark where they match (none when not searching).
    pub(crate) fn search_words(&self) -> Vec<String> {
        if self.searching() {
            query_words(self.query.text())
        } else {
            Vec::new()
        }
    }

    /// Whether the search matched more rows than are ranked (the list is then newest first).
    pub fn broad_search(&self) -> bool {
        self.searching() && self.list.total > lore::index::RANKED_MATCHES
    }

    /// Keys in the list and the detail (the detail's own in `detail`).
    pub(crate) fn browse_key(&mut self, key: KeyEvent) {
        let page = self.list.height.max(1) as i64;
        if self.focus == Focus::Detail {
            return self.detail_key(key);
        }
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Char('g') | KeyCode::Home => self.jump_start(),
            KeyCode::Char('G') | KeyCode::End => self.jump_end(),
            KeyCode::Enter | KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => {
                if self.list.selected_row().is_some() {
                    self.focus = Focus::Detail;
                }
            }
            KeyCode::Esc if !self.query.is_empty() => {
                self.query.clear();
                self.reload();
            }
            _ => self.common_key(key),
        }
    }

    pub(crate) fn search_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Browse;
                if !self.query.is_empty() {
                    self.query.clear();
                    self.reload();
                }
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Tab => self.mode = Mode::Browse,
            _ => match edit_of(key) {
                Some(edit) if self.query.apply(edit) => self.reload(),
                Some(Edit::Insert(_)) => {
                    self.notify(format!("the search line takes {QUERY_LIMIT} characters"))
                }
                _ => {}
            },
        }
    }

    /// `list_top` is the screen row of the first list row.
    pub fn on_mouse(&mut self, m: MouseEvent, list_top: u16, list_bottom: u16) {
        if self.mode != Mode::Browse {
            return;
        }
        match m.kind {
            MouseEventKind::ScrollDown if self.focus == Focus::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_add(3)
            }
            MouseEventKind::ScrollUp if self.focus == Focus::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_sub(3)
            }
            MouseEventKind::ScrollDown => self.move_by(3),
            MouseEventKind::ScrollUp => self.move_by(-3),
            MouseEventKind::Down(_) if m.row >= list_top && m.row < list_bottom => {
                let i = self.list.scroll + (m.row - list_top) as usize;
                if i < self.list.rows.len() {
                    self.focus = Focus::List;
                    self.move_by(i as i64 - self.list.selected as i64);
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn draw_search(f: &mut Frame, app: &App, area: Rect) {
    let mut spans = vec![Span::styled(
        " lore ",
        fg(app, Color::Black)
            .bg(if app.color { app.accent } else { Color::Reset })
            .add_modifier(Modifier::BOLD),
    )];
    if app.mode == Mode::Search || !app.query.is_empty() {
        spans.push(Span::styled(" / ", fg(app, Color::Yellow)));
        if app.mode == Mode::Search {
            // The cursor is the cell after the text before it: a block at the end of the
            // line, the character under it shown reversed inside. A query wider than the
            // line shows the end of what is before the cursor, after a "…".
            let before = app.query.before_cursor();
            let after = &app.query.text()[before.len()..];
            let mut rest = after.graphemes(true);
            let room = usize::from(area.width).saturating_sub(12);
            spans.push(Span::raw(keep_end(&display_line(before), room)));
            match rest.next() {
                Some(under) => {
                    spans.push(Span::styled(
                        display_line(under),
                        Style::default().add_modifier(Modifier::REVERSED),
                    ));
                    spans.push(Span::raw(display_line(rest.as_str())));
                }
                None => spans.push(Span::styled("█", fg(app, Color::Yellow))),
            }
        } else {
            spans.push(Span::raw(display_line(app.query.text())));
        }
    } else {
        spans.push(Span::styled(
            format!(" press {} to search", app.keys.key(Action::Search)),
            fg(app, Color::DarkGray),
        ));
    }
    let fl = &app.filter;
    let mut filters = Vec::new();
    if let Some(k) = &fl.kind {
        filters.push(format!("type={k}"));
    }
    if let Some(d) = &fl.domain {
        filters.push(format!("domain={}", display_line(d)));
    }
    if let Some(s) = fl.severity {
        filters.push(format!("severity={s}"));
    }
    if !filters.is_empty() {
        spans.push(Span::styled(
            format!("   filter: {}", filters.join(" ")),
            fg(app, Color::Magenta),
        ));
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub(crate) fn draw_main(f: &mut Frame, app: &App, area: Rect) -> Drawn {
    let wide = area.width >= 110;
    let parts = Layout::default()
        .direction(if wide {
            Direction::Horizontal
        } else {
            Direction::Vertical
        })
        .constraints([
            Constraint::Percentage(if wide { 55 } else { 50 }),
            Constraint::Min(3),
        ])
        .split(area);
    Drawn {
        detail_last: draw_detail(f, app, parts[1]),
        ..draw_list(f, app, parts[0])
    }
}

pub(crate) fn draw_list(f: &mut Frame, app: &App, area: Rect) -> Drawn {
    let title = if app.query.text().trim().is_empty() {
        format!(" learnings, {} ", app.sort.describe())
    } else if app.broad_search() {
        " over 1,000 matches, newest first — type more to rank them ".to_string()
    } else {
        " search results, best first ".to_string()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(border_style(app, app.focus == Focus::List));
    let inner = block.inner(area);
    let mut drawn = Drawn {
        list_top: inner.y + 1,
        list_bottom: inner.y + inner.height,
        list_height: inner.height.saturating_sub(1) as usize,
        list_scroll: app.list.scroll,
        detail_last: 0,
    };
    if app.list.rows.is_empty() {
        let text = if app.list.loading {
            vec![Line::from("loading…")]
        } else if app.query.is_empty() && app.filter == lore::index::Filter::default() {
            vec![
                Line::from(Span::styled(
                    "No learnings yet.",
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                Line::from(""),
                Line::from("Press n to record your first failure, or from a script:"),
                Line::from(Span::styled(
                    "  lore record --title 'What failed' --domain area --summary 'What you learned'",
                    fg(app, app.accent),
                )),
            ]
        } else {
            // In the search line the filter's key types itself: the way to the filter is
            // through the list.
            let filter = app.keys.key(Action::Filter);
            let how = if app.mode == Mode::Search {
                format!("Enter, then {filter},")
            } else {
                filter.to_string()
            };
            vec![Line::from(if app.query.is_empty() {
                format!("Nothing matches the filter; {how} changes it.")
            } else {
                format!("Nothing matches. Esc clears the search; {how} changes the filter.")
            })]
        };
        f.render_widget(
            Paragraph::new(text).block(block).wrap(Wrap { trim: false }),
            area,
        );
        return Drawn {
            list_top: 0,
            list_bottom: 0,
            ..drawn
        };
    }
    let id_w = app
        .list
        .rows
        .iter()
        .map(|r| r.id.to_string().len())
        .max()
        .unwrap_or(2)
        .max(2) as u16;
    let narrow = inner.width < 70;
    // Below this the type and domain go, rather than every column being squeezed (a date cut
    // to "11-" says nothing); the title keeps at least ten cells.
    let tiny = inner.width < 48;
    // Which of ID, DATE, SEV, TYPE, DOMAIN, TITLE are shown.
    let shown = |column: usize| !(tiny && (column == 3 || column == 4));
    let keep = |cells: Vec<Cell<'static>>| -> Vec<Cell<'static>> {
        cells
            .into_iter()
            .enumerate()
            .filter_map(|(i, c)| shown(i).then_some(c))
            .collect()
    };
    let domain_w: u16 = if narrow { 10 } else { 14 };
    let widths: Vec<Constraint> = [
        Constraint::Length(id_w),
        Constraint::Length(if narrow { 7 } else { 10 }),
        Constraint::Length(3),
        Constraint::Length(if narrow { 4 } else { 11 }),
        Constraint::Length(domain_w),
        Constraint::Min(10),
    ]
    .into_iter()
    .enumerate()
    .filter_map(|(i, w)| shown(i).then_some(w))
    .collect();
    // What the title column gets: the rest after the selection mark ("▶ "), the fixed
    // columns and the gaps between columns. Text cut to a column ends in "…".
    let fixed: u16 = widths[..widths.len() - 1]
        .iter()
        .map(|c| match c {
            Constraint::Length(n) => *n,
            _ => 0,
        })
        .sum();
    let title_w = usize::from(
        inner
            .width
            .saturating_sub(2 + fixed + widths.len() as u16 - 1)
            .max(10),
    );
    let words = app.search_words();
    let rows: Vec<TableRow> = app
        .list
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            // The selected row's highlight covers the cells' background: there the match is
            // marked in its letters instead.
            let marked = highlight::style(app.color, i == app.list.selected);
            let date = if narrow {
                short_date(r.date(), &app.this_year)
            } else {
                r.date().to_string()
            };
            let kind = if narrow {
                r.kind.chars().take(4).collect()
            } else {
                r.kind.clone()
            };
            TableRow::new(keep(vec![
                Cell::from(format!("{:>w$}", r.id, w = id_w as usize)),
                Cell::from(display_line(&date)),
                Cell::from(
                    r.severity
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into()),
                )
                .style(severity_style(app, r.severity)),
                Cell::from(display_line(&kind)).style(fg(app, Color::Gray)),
                Cell::from(mark(
                    Line::from(fit(
                        &display_line(r.domain.as_deref().unwrap_or("")),
                        usize::from(domain_w),
                    )),
                    &words,
                    marked,
                ))
                .style(fg(app, Color::Green)),
                Cell::from(mark(
                    Line::from(fit(&display_line(&r.title), title_w)),
                    &words,
                    marked,
                )),
            ]))
        })
        .collect();
    let header = TableRow::new(keep(
        ["ID", "DATE", "SEV", "TYPE", "DOMAIN", "TITLE"]
            .into_iter()
            .map(Cell::from)
            .collect(),
    ))
    .style(Style::default().add_modifier(Modifier::BOLD));
    let highlight = if app.color {
        Style::default()
            .bg(Color::DarkGray)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().add_modifier(Modifier::REVERSED)
    };
    let table = Table::new(rows, widths)
        .header(header)
        .block(block)
        .column_spacing(1)
        .row_highlight_style(highlight)
        .highlight_symbol("▶ ");
    let mut state = TableState::default()
        .with_offset(app.list.scroll)
        .with_selected(Some(app.list.selected));
    f.render_stateful_widget(table, area, &mut state);
    drawn.list_scroll = state.offset();
    drawn
}

/// A date in seven cells, as `ls -l` does it: the month and day for this year's, the year and
/// month for older ones, so a list that spans years never reads as out of order.
fn short_date(date: &str, this_year: &str) -> String {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    match (date.get(..4), date.get(5..7), date.get(8..10)) {
        (Some(y), Some(m), Some(d)) if y == this_year && digits(m) && digits(d) => {
            format!("{m}-{d}")
        }
        (Some(y), Some(m), _) if digits(y) && digits(m) => format!("{y}-{m}"),
        _ => date.chars().take(7).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_short_date_says_the_year_unless_it_is_this_one() {
        assert_eq!(super::short_date("2026-12-03", "2026"), "12-03");
        assert_eq!(super::short_date("2024-12-03", "2026"), "2024-12");
        assert_eq!(super::short_date("last tuesday", "2026"), "last tu");
        assert_eq!(super::short_date("", "2026"), "");
    }
}
