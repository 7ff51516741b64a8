//! Drawing: one function from the app's state to a frame. No I/O here.

use lore::error::fmt_duration;
use lore::lock::Holder;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Alignment, Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Borders, Cell, Clear, Gauge, List, ListItem, ListState, Paragraph, Row, Sparkline,
    Table, TableState, Wrap,
};

use super::app::{App, Focus, Mode, SaveState};
use super::compose::Field;
use super::markdown;
use lore::config::Action;

/// What a frame measured, for the state to follow (see `App::on_drawn`): the view reads the
/// state and never writes it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// Screen rows of the list body (first, end), for mouse clicks.
    pub list_top: u16,
    pub list_bottom: u16,
    /// Rows of the list on screen, for paging.
    pub list_height: usize,
    /// The topmost row shown (index in the loaded rows), as the table scrolled to keep the
    /// selection in view.
    pub list_scroll: usize,
    /// The furthest the detail can scroll: its last line at the bottom.
    pub detail_last: u16,
}

fn fg(app: &App, c: Color) -> Style {
    if app.color {
        Style::default().fg(c)
    } else {
        Style::default()
    }
}

fn severity_style(app: &App, sev: Option<u8>) -> Style {
    let c = match sev {
        Some(5) => Color::Red,
        Some(4) => Color::LightRed,
        Some(3) => Color::Yellow,
        Some(2) => Color::Blue,
        _ => Color::DarkGray,
    };
    let s = fg(app, c);
    if sev == Some(5) {
        s.add_modifier(Modifier::BOLD)
    } else {
        s
    }
}

pub fn draw(f: &mut Frame, app: &App) -> Drawn {
    let area = f.area();
    let save_height = match app.save {
        SaveState::Failed(_) => 2,
        SaveState::Idle => 0,
        _ => 1,
    };
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(save_height),
            Constraint::Length(1),
        ])
        .split(area);
    draw_search(f, app, rows[0]);
    let drawn = draw_main(f, app, rows[1]);
    if save_height > 0 {
        draw_save(f, app, rows[2]);
    }
    draw_status(f, app, rows[3]);
    match app.mode {
        Mode::Help => draw_help(f, app, area),
        Mode::Inspector => draw_inspector(f, app, area),
        Mode::Compose | Mode::ConfirmClose => {
            draw_form_over(f, app, area, save_height);
            if app.mode == Mode::ConfirmClose {
                draw_confirm(
                    f,
                    area,
                    "Close the form? [Enter] keep it as a draft and close · [d] discard it (deletes the draft) · [Esc] back to the form",
                );
            }
        }
        Mode::Drafts => draw_drafts(f, app, area),
        Mode::ConfirmDeleteDraft => {
            draw_drafts(f, app, area);
            let title = app
                .chosen_draft()
                .map(|k| super::app::draft_title(&k.draft))
                .unwrap_or_default();
            draw_confirm(
                f,
                area,
                &format!(
                    "Delete the draft \"{}\"? It cannot be brought back. [y] delete · any other key keeps it",
                    display_line(&title)
                ),
            );
        }
        Mode::ConfirmQuit => {
            if app.return_mode == Mode::Compose {
                draw_form_over(f, app, area, save_height);
            }
            draw_confirm(f, area, &app.quit_question());
        }
        Mode::Filter => draw_filter(f, app, area),
        Mode::Browse | Mode::Search => {}
    }
    drawn
}

/// The form, over everything but the status line (and the save gauge, when it shows).
fn draw_form_over(f: &mut Frame, app: &App, area: Rect, save_height: u16) {
    let body = Rect {
        height: area.height.saturating_sub(1 + save_height),
        ..area
    };
    draw_compose(f, app, body);
}

/// The kept drafts, newest first, to restore one, start anew or delete one.
fn draw_drafts(f: &mut Frame, app: &App, area: Rect) {
    let now = std::time::SystemTime::now();
    let items: Vec<ListItem> = app
        .kept_drafts
        .iter()
        .map(|k| {
            let age = k
                .written
                .and_then(|w| now.duration_since(w).ok())
                .map(|d| format!("{} ago", fmt_age(d)))
                .unwrap_or_default();
            let title = display_line(&super::app::draft_title(&k.draft));
            ListItem::new(Line::from(vec![
                Span::raw(title),
                Span::styled(format!("  {age}"), fg(app, Color::DarkGray)),
            ]))
        })
        .collect();
    let n = app.keys.key(Action::New);
    let help = format!(" Enter/{n} restore · c new learning (drafts stay kept) · d delete… · Esc ");
    let r = centered(
        area,
        (help.chars().count() as u16 + 2).max(50),
        (items.len() as u16 + 2).min(area.height.saturating_sub(2)),
    );
    f.render_widget(Clear, r);
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" kept drafts, newest first ")
                .title_bottom(help),
        )
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(app.drafts_cursor));
    f.render_stateful_widget(list, r, &mut state);
}

/// `40 s`, `12 min`, `3 h`, `2 days`: how long ago, roughly.
fn fmt_age(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

fn draw_search(f: &mut Frame, app: &App, area: Rect) {
    let mut spans = vec![Span::styled(
        " lore ",
        fg(app, Color::Black)
            .bg(if app.color { app.accent } else { Color::Reset })
            .add_modifier(Modifier::BOLD),
    )];
    if app.mode == Mode::Search || !app.query.is_empty() {
        spans.push(Span::styled(" / ", fg(app, Color::Yellow)));
        spans.push(Span::raw(display_line(&app.query)));
        if app.mode == Mode::Search {
            spans.push(Span::styled("█", fg(app, Color::Yellow)));
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

fn draw_main(f: &mut Frame, app: &App, area: Rect) -> Drawn {
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

fn border_style(app: &App, focused: bool) -> Style {
    if focused {
        fg(app, app.accent)
    } else {
        fg(app, Color::DarkGray)
    }
}

fn draw_list(f: &mut Frame, app: &App, area: Rect) -> Drawn {
    let title = if app.query.trim().is_empty() {
        " learnings, newest first "
    } else if app.broad_search() {
        " over 1,000 matches, newest first — type more to rank them "
    } else {
        " search results, best first "
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
            vec![Line::from(format!(
                "Nothing matches. Esc clears the search; {} changes the filter.",
                app.keys.key(Action::Filter)
            ))]
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
        Constraint::Length(if narrow { 5 } else { 10 }),
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
    let rows: Vec<Row> = app
        .list
        .rows
        .iter()
        .map(|r| {
            let date = if narrow {
                r.date().get(5..).unwrap_or("").to_string()
            } else {
                r.date().to_string()
            };
            let kind = if narrow {
                r.kind.chars().take(4).collect()
            } else {
                r.kind.clone()
            };
            Row::new(keep(vec![
                Cell::from(format!("{:>w$}", r.id, w = id_w as usize)),
                Cell::from(display_line(&date)),
                Cell::from(
                    r.severity
                        .map(|s| s.to_string())
                        .unwrap_or_else(|| "-".into()),
                )
                .style(severity_style(app, r.severity)),
                Cell::from(display_line(&kind)).style(fg(app, Color::Gray)),
                Cell::from(fit(
                    &display_line(r.domain.as_deref().unwrap_or("")),
                    usize::from(domain_w),
                ))
                .style(fg(app, Color::Green)),
                Cell::from(fit(&display_line(&r.title), title_w)),
            ]))
        })
        .collect();
    let header = Row::new(keep(
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

/// Draws the detail; returns how far it can scroll.
fn draw_detail(f: &mut Frame, app: &App, area: Rect) -> u16 {
    let focused = app.focus == Focus::Detail;
    let (title, lines) = match (&app.detail, app.list.selected_row()) {
        (Some((row, body)), Some(sel)) if row.id == sel.id => {
            let mut lines = vec![Line::from(vec![
                Span::styled(format!("#{} ", row.id), fg(app, Color::DarkGray)),
                Span::styled(display_line(&row.filepath), fg(app, Color::DarkGray)),
            ])];
            lines.push(Line::from(""));
            match body {
                Some(b) => lines.extend(markdown::render(b, app.color)),
                None => lines.push(Line::from(Span::styled(
                    format!(
                        "The file {} is missing; `lore doctor` reports such rows.",
                        display_line(&row.filepath)
                    ),
                    fg(app, Color::Red),
                ))),
            }
            let room = usize::from(area.width.saturating_sub(4));
            (format!(" {} ", fit(&display_line(&row.title), room)), lines)
        }
        (_, Some(_)) => (" detail ".to_string(), vec![Line::from("loading…")]),
        _ => (" detail ".to_string(), vec![]),
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(border_style(app, focused));
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    // Scrolling stops where the last line reaches the bottom (`G` asks for the end this way).
    let wrapped = text.line_count(area.width.saturating_sub(2));
    let last = u16::try_from(wrapped)
        .unwrap_or(u16::MAX)
        .saturating_sub(area.height.saturating_sub(2));
    f.render_widget(
        text.block(block).scroll((app.detail_scroll.min(last), 0)),
        area,
    );
    last
}

fn holder_text(h: &Holder) -> String {
    let mut s = h.describe();
    if let Some(d) = h.held_for() {
        s.push_str(&format!(", for {}", fmt_duration(d)));
    }
    s
}

/// `pid 4242 (lore record) on h`: what fits in a status line.
fn short_holder(h: &Holder) -> String {
    let cmd: String = display_line(&h.command).chars().take(28).collect();
    format!("pid {} ({cmd}) on {}", h.pid, display_line(&h.host))
}

fn draw_save(f: &mut Frame, app: &App, area: Rect) {
    match &app.save {
        SaveState::Waiting {
            holder,
            waited,
            timeout,
        } => {
            let ratio = (waited.as_secs_f64() / timeout.as_secs_f64().max(0.001)).clamp(0.0, 1.0);
            let label = format!(
                "Esc cancels · waited {} of {} for the lock, held by {}",
                fmt_duration(*waited),
                fmt_duration(*timeout),
                holder
                    .as_ref()
                    .map(short_holder)
                    .unwrap_or_else(|| "another process".into()),
            );
            // A short bar (how much of the timeout is used), then the words beside it, so
            // the text never sits on the bar's colour.
            let parts = Layout::default()
                .direction(Direction::Horizontal)
                .constraints([
                    Constraint::Length(18),
                    Constraint::Length(1),
                    Constraint::Min(10),
                ])
                .split(area);
            let gauge = Gauge::default()
                .gauge_style(fg(app, Color::Yellow))
                .ratio(ratio)
                .label(format!("{:.0}%", ratio * 100.0));
            f.render_widget(gauge, parts[0]);
            f.render_widget(
                Paragraph::new(Span::styled(
                    label,
                    Style::default().add_modifier(Modifier::BOLD),
                )),
                parts[2],
            );
        }
        SaveState::Starting => {
            f.render_widget(Paragraph::new("saving: taking the store lock…"), area)
        }
        SaveState::Writing => f.render_widget(
            Paragraph::new("saving: writing the file and the index…"),
            area,
        ),
        SaveState::Committing => f.render_widget(Paragraph::new("saving: committing…"), area),
        SaveState::Failed(msg) => f.render_widget(
            Paragraph::new(Span::styled(
                display_line(msg),
                fg(app, Color::Red).add_modifier(Modifier::BOLD),
            ))
            .wrap(Wrap { trim: true }),
            area,
        ),
        SaveState::Idle => {}
    }
}

fn lock_text(app: &App) -> (String, Style) {
    match &app.lock {
        None => ("lock: ?".into(), Style::default()),
        Some(st) if st.state == "free" => ("lock: free".into(), fg(app, Color::Green)),
        Some(st) => {
            let who = st
                .holder
                .as_ref()
                .map(|h| format!("pid {} on {}", h.pid, display_line(&h.host)))
                .unwrap_or_else(|| "unknown".into());
            let since = st
                .holder
                .as_ref()
                .and_then(|h| Some((h.since_ms?, h.held_for()?)))
                .map(|(ms, d)| {
                    format!(
                        " since {} ({})",
                        lore::lock::local_clock(ms),
                        fmt_duration(d)
                    )
                })
                .unwrap_or_default();
            (
                format!("lock: {} by {who}{since}", st.state),
                fg(app, Color::Yellow).add_modifier(Modifier::BOLD),
            )
        }
    }
}

fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    if let Some((text, at)) = &app.notice
        && at.elapsed().as_secs() < 5
    {
        f.render_widget(
            Paragraph::new(Span::styled(display_line(text), fg(app, app.accent))),
            area,
        );
        return;
    }
    let total = if app.broad_search() {
        format!("{}+", lore::index::RANKED_MATCHES)
    } else {
        app.list.total.to_string()
    };
    let shown = if app.list.rows.is_empty() {
        format!("0/{total}")
    } else {
        format!("{}/{total}", app.list.position() + 1)
    };
    let (lock, lock_style) = lock_text(app);
    let hints = Action::ALL
        .map(|a| format!("{} {}", app.keys.key(a), a.name()))
        .join(" · ");
    let hints = match app.mode {
        Mode::Search => "type to search · Enter list · Esc clear",
        Mode::Compose => "Tab next · Ctrl-S save · Esc close",
        _ => hints.as_str(),
    };
    let line = Line::from(vec![
        Span::styled(
            format!(" {} ", display_line(&app.store_path)),
            fg(app, Color::DarkGray),
        ),
        Span::raw(format!("· {shown} · ")),
        Span::styled(lock, lock_style),
        Span::styled(format!(" · {hints}"), fg(app, Color::DarkGray)),
    ]);
    f.render_widget(Paragraph::new(line), area);
}

fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let rows = app.keys.help();
    let r = centered(area, 86, rows.len() as u16 + 4);
    f.render_widget(Clear, r);
    let lines: Vec<Line> = rows
        .into_iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(format!("{k:>22}  "), fg(app, app.accent)),
                Span::raw(v),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" keys — Esc closes ");
    f.render_widget(Paragraph::new(lines).block(block), r);
}

/// A question in a box, wrapped to the screen's width so that every answer stays in view.
fn draw_confirm(f: &mut Frame, area: Rect, text: &str) {
    let width = (unicode_width::UnicodeWidthStr::width(text) as u16 + 4)
        .min(area.width.saturating_sub(2).max(8))
        .min(100);
    let paragraph = Paragraph::new(text)
        .block(Block::default().borders(Borders::ALL))
        .alignment(Alignment::Center)
        .wrap(Wrap { trim: true });
    let height = paragraph.line_count(width) as u16;
    let r = centered(area, width, height);
    f.render_widget(Clear, r);
    f.render_widget(paragraph, r);
}

fn draw_filter(f: &mut Frame, app: &App, area: Rect) {
    let entries = app.filter_entries();
    let r = centered(
        area,
        50,
        (entries.len() as u16 + 2).min(area.height.saturating_sub(2)),
    );
    f.render_widget(Clear, r);
    let items: Vec<ListItem> = entries
        .iter()
        .map(|(label, _)| ListItem::new(label.clone()))
        .collect();
    let list = List::new(items)
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(" filter — Enter applies, Esc closes "),
        )
        .highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(app.filter_cursor));
    f.render_stateful_widget(list, r, &mut state);
}

fn draw_compose(f: &mut Frame, app: &App, area: Rect) {
    let color = app.color;
    let accent = app.accent;
    let Some(form) = &app.compose else { return };
    f.render_widget(Clear, area);
    let outer = Block::default()
        .borders(Borders::ALL)
        .title(" new learning — Tab next field · Ctrl-S save · Esc close ");
    let inner = outer.inner(area);
    f.render_widget(outer, area);
    let mut y = inner.y;
    let cells: Vec<Rect> = form_heights(inner.height, form.focus)
        .into_iter()
        .map(|h| {
            let r = Rect::new(inner.x, y, inner.width, h);
            y += h;
            r
        })
        .collect();
    for (i, field) in Field::ALL.iter().enumerate() {
        if cells[i].height == 0 {
            continue;
        }
        let focused = i == form.focus;
        // A word being completed is unfinished rather than wrong: the completion is shown
        // instead of the message (saving is still refused until it is accepted or fixed).
        let completing = focused && form.completion.is_some();
        let error = if form.show_errors && !completing {
            form.errors[i].clone()
        } else {
            None
        };
        let mut title = vec![Span::raw(format!(" {} ", field.label()))];
        if let Some(e) = &error {
            title.push(Span::styled(
                format!("✗ {} ", display_line(e)),
                if color {
                    Style::default().fg(Color::Red)
                } else {
                    Style::default().add_modifier(Modifier::BOLD)
                },
            ));
        }
        if focused
            && matches!(field, Field::Domain | Field::Type)
            && let Some(rest) = &form.completion
        {
            let draft = form.draft();
            let typed = draft.get(*field);
            title.push(Span::styled(
                format!("→ {}{} ", display_line(typed), rest),
                Style::default().add_modifier(Modifier::DIM),
            ));
        }
        let border = match (focused, error.is_some(), color) {
            (_, true, true) => Style::default().fg(Color::Red),
            (true, _, true) => Style::default().fg(accent),
            (true, _, false) => Style::default().add_modifier(Modifier::BOLD),
            _ => Style::default().add_modifier(Modifier::DIM),
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .title(Line::from(title))
            .border_style(border);
        let inside = block.inner(cells[i]);
        f.render_widget(block, cells[i]);
        f.render_widget(&form.fields[i], inside);
    }
}

/// Rows for each field of the form in `total` rows. With room, a one-line field gets three
/// (its border and its text) and the multi-line ones share the rest (four at least). Short of
/// room (an 80×24 terminal), the field being typed in comes first, then every one-line field's
/// text, then a line of text for the multi-line ones in order; a field left with one row shows
/// its title, so the form never hides where the cursor is.
fn form_heights(total: u16, focus: usize) -> Vec<u16> {
    let want = |f: &Field| if f.multiline() { 4 } else { 3 };
    let full: u16 = Field::ALL.iter().map(want).sum();
    let multi = Field::ALL.iter().filter(|f| f.multiline()).count() as u16;
    if total >= full {
        // The multi-line fields share what is left over, the first ones taking any remainder.
        let (each, mut extra) = ((total - full) / multi, (total - full) % multi);
        return Field::ALL
            .iter()
            .map(|f| {
                if !f.multiline() {
                    return 3;
                }
                let one = u16::from(extra > 0);
                extra = extra.saturating_sub(1);
                4 + each + one
            })
            .collect();
    }
    let mut heights = vec![0u16; Field::ALL.len()];
    let mut left = total;
    let mut grow = |i: usize, to: u16, heights: &mut Vec<u16>| {
        let more = to.saturating_sub(heights[i]).min(left);
        heights[i] += more;
        left -= more;
    };
    grow(focus, want(&Field::ALL[focus]), &mut heights);
    for i in 0..Field::ALL.len() {
        grow(i, 1, &mut heights);
    }
    for (i, f) in Field::ALL.iter().enumerate() {
        if !f.multiline() {
            grow(i, 3, &mut heights);
        }
    }
    for (i, f) in Field::ALL.iter().enumerate() {
        if f.multiline() {
            grow(i, 3, &mut heights);
        }
    }
    heights
}

/// Milliseconds from `lock_events` as a short duration (`12 ms`, `8 s`).
fn ms(n: i64) -> String {
    fmt_duration(std::time::Duration::from_millis(n.max(0) as u64))
}

fn draw_inspector(f: &mut Frame, app: &App, area: Rect) {
    let r = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" lock inspector — Esc closes ");
    let inner = block.inner(r);
    f.render_widget(block, r);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Min(3),
        ])
        .split(inner);

    // Live state.
    let mut live = Vec::new();
    match &app.lock {
        Some(st) => {
            let (text, style) = lock_text(app);
            live.push(Line::from(Span::styled(text, style)));
            if let Some(h) = &st.holder {
                live.push(Line::from(format!("holder: {}", holder_text(h))));
                live.push(Line::from(format!(
                    "stale: {}",
                    match st.liveness {
                        Some(lore::lock::Liveness::Dead) =>
                            "yes — the holder is gone; the next save removes it",
                        Some(lore::lock::Liveness::Unknown) =>
                            "cannot tell (another host, or no record)",
                        _ => "no",
                    }
                )));
            } else if let Some(n) = &st.note {
                live.push(Line::from(display_line(n)));
            }
        }
        None => live.push(Line::from("lock: reading…")),
    }
    if let SaveState::Waiting {
        waited, timeout, ..
    } = &app.save
    {
        live.push(Line::from(Span::styled(
            format!(
                "this process: waiting {} of {}",
                fmt_duration(*waited),
                fmt_duration(*timeout)
            ),
            fg(app, Color::Yellow),
        )));
    }
    f.render_widget(Paragraph::new(live), parts[0]);

    let Some(stats) = &app.stats else {
        f.render_widget(Paragraph::new("reading lock_events…"), parts[1]);
        return;
    };
    // Wait times of recent acquisitions, oldest left.
    let waits: Vec<u64> = stats
        .recent
        .iter()
        .rev()
        .map(|e| e.waited_ms.max(0) as u64)
        .collect();
    let max_wait = waits.iter().copied().max().unwrap_or(0);
    let spark = Sparkline::default()
        .block(Block::default().borders(Borders::TOP).title(format!(
            " wait per acquisition, last {} (max {} ms) ",
            waits.len(),
            max_wait
        )))
        .data(&waits)
        .style(fg(app, Color::Yellow));
    f.render_widget(spark, parts[1]);

    // Three columns where they fit; on a narrow terminal the two short lists go below the
    // recent acquisitions, side by side, rather than being squeezed to a few letters.
    let cols: Vec<Rect> = if parts[2].width >= 100 {
        Layout::default()
            .direction(Direction::Horizontal)
            .spacing(2)
            .constraints([
                Constraint::Min(60),
                Constraint::Percentage(22),
                Constraint::Percentage(26),
            ])
            .split(parts[2])
            .to_vec()
    } else {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(3), Constraint::Length(4)])
            .split(parts[2]);
        let below = Layout::default()
            .direction(Direction::Horizontal)
            .spacing(2)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .split(rows[1]);
        vec![rows[0], below[0], below[1]]
    };
    let recent: Vec<Line> = stats
        .recent
        .iter()
        .take(cols[0].height.saturating_sub(1) as usize)
        .map(|e| {
            // Compact durations, and the outcome before the widths that vary, so a narrow
            // column cuts nothing that matters.
            Line::from(format!(
                "{} {:<7} {:<9} {:<6} wait {:>6} hold {}",
                e.at.get(11..19).unwrap_or(&e.at),
                e.pid,
                display_line(&e.outcome),
                display_line(&e.operation),
                ms(e.waited_ms),
                e.held_ms.map(ms).unwrap_or_else(|| "-".into()),
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(recent).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" recent acquisitions "),
        ),
        cols[0],
    );
    let timeouts: Vec<Line> = if stats.timeouts_per_day.is_empty() {
        vec![Line::from("none")]
    } else {
        let max = stats
            .timeouts_per_day
            .iter()
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(1)
            .max(1);
        stats
            .timeouts_per_day
            .iter()
            .map(|(day, n)| {
                let bar = "█".repeat(((*n * 10) / max).max(1) as usize);
                Line::from(format!("{} {bar} {n}", day.get(5..).unwrap_or(day)))
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(timeouts).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" timeouts per day "),
        ),
        cols[1],
    );
    let holds: Vec<Line> = stats
        .longest_holds
        .iter()
        .map(|e| {
            // Left-aligned: a narrow column cuts the end of the line, never digits of the time.
            Line::from(format!(
                "{} {} {}",
                ms(e.held_ms.unwrap_or(0)),
                display_line(&e.operation),
                e.pid
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(holds).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" longest holds "),
        ),
        cols[2],
    );
}

/// `text` cut to `width` terminal cells, ending in "…" when it was cut (so a cut title does not
/// pass for a whole one).
fn fit(text: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    if unicode_width::UnicodeWidthStr::width(text) <= width {
        return text.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}
