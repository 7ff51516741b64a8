//! The detail pane: the selected learning rendered as a document, and the keys that scroll it.

use crossterm::event::{KeyCode, KeyEvent};
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use crate::tui::app::{App, Focus};
use crate::tui::style::{border_style, fg, fit};
use crate::tui::{highlight, markdown};

impl App {
    /// Keys with the detail focused: they scroll it; Esc, Tab, Enter, ← or h go back to the
    /// list; the actions are the list's.
    pub(crate) fn detail_key(&mut self, key: KeyEvent) {
        let page = self.list.height.max(1) as u16;
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => {
                self.detail_scroll = self.detail_scroll.saturating_add(1)
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.detail_scroll = self.detail_scroll.saturating_sub(1)
            }
            KeyCode::PageDown | KeyCode::Char(' ') => {
                self.detail_scroll = self.detail_scroll.saturating_add(page)
            }
            KeyCode::PageUp => self.detail_scroll = self.detail_scroll.saturating_sub(page),
            KeyCode::Char('g') | KeyCode::Home => self.detail_scroll = 0,
            // The end: drawing stops the scroll at the last line.
            KeyCode::Char('G') | KeyCode::End => self.detail_scroll = u16::MAX,
            KeyCode::Esc | KeyCode::Tab | KeyCode::Enter | KeyCode::Left | KeyCode::Char('h') => {
                self.focus = Focus::List
            }
            _ => self.common_key(key),
        }
    }
}

/// Draws the detail; returns how far it can scroll.
pub(crate) fn draw_detail(f: &mut Frame, app: &App, area: Rect) -> u16 {
    let focused = app.focus == Focus::Detail;
    let (title, lines) = match (&app.detail, app.list.selected_row()) {
        (Some((row, body)), Some(sel)) if row.id == sel.id => {
            let mut lines = vec![Line::from(vec![
                Span::styled(format!("#{} ", row.id), fg(app, Color::DarkGray)),
                Span::styled(display_line(&row.filepath), fg(app, Color::DarkGray)),
            ])];
            lines.push(Line::from(""));
            match body {
                Some(b) => {
                    let words = app.search_words();
                    lines.extend(
                        markdown::render(b, app.color, area.width.saturating_sub(2))
                            .into_iter()
                            .map(|l| {
                                highlight::mark(l, &words, highlight::style(app.color, false))
                            }),
                    )
                }
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
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(title)
        .border_style(border_style(app, focused));
    let text = Paragraph::new(lines).wrap(Wrap { trim: false });
    // Scrolling stops where the last line reaches the bottom (`G` asks for the end this way).
    let wrapped = u16::try_from(text.line_count(area.width.saturating_sub(2))).unwrap_or(u16::MAX);
    let height = area.height.saturating_sub(2);
    let last = wrapped.saturating_sub(height);
    let top = app.detail_scroll.min(last);
    if last > 0 {
        // Where the view is, when the learning is longer than the pane.
        let end = top.saturating_add(height).min(wrapped);
        block = block.title_bottom(
            Line::styled(
                format!(" {}–{end} of {wrapped} ", top + 1),
                fg(app, Color::DarkGray),
            )
            .right_aligned(),
        );
    }
    f.render_widget(text.block(block).scroll((top, 0)), area);
    last
}
