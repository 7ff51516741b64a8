//! The help: the keymap's rows (`tui::keymap`), with the keys as configured. In two columns
//! where the screen is wide enough for both and too short for one; otherwise in one that
//! scrolls (`j`/`k`, the arrows, the page keys), its title saying how far down it is.

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::tui::app::App;
use crate::tui::style::{centered, fg};

impl App {
    /// Keys that scroll the help; false for the others (which may close it).
    pub(crate) fn help_scroll_key(&mut self, key: KeyEvent) -> bool {
        let by: i32 = match key.code {
            KeyCode::Down | KeyCode::Char('j') => 1,
            KeyCode::Up | KeyCode::Char('k') => -1,
            KeyCode::PageDown | KeyCode::Char(' ') => 10,
            KeyCode::PageUp => -10,
            KeyCode::Home | KeyCode::Char('g') => i32::MIN / 2,
            KeyCode::End | KeyCode::Char('G') => i32::MAX / 2,
            _ => return false,
        };
        // Clamped when drawn: the screen decides how far is the end.
        self.help_scroll = (i64::from(self.help_scroll) + i64::from(by)).clamp(0, 1 << 15) as u16;
        true
    }
}

/// The lines of one column: headings bold, each key right-aligned in `key_w` cells.
fn column<'a>(app: &App, rows: &[(String, &'a str)], key_w: usize) -> Vec<Line<'a>> {
    let mut lines = Vec::new();
    for (i, (k, v)) in rows.iter().enumerate() {
        if k.is_empty() {
            if i > 0 {
                lines.push(Line::from(""));
            }
            lines.push(Line::from(Span::styled(
                *v,
                Style::default().add_modifier(Modifier::BOLD),
            )));
        } else {
            let pad = key_w.saturating_sub(k.width());
            lines.push(Line::from(vec![
                Span::styled(format!("{}{k}  ", " ".repeat(pad)), fg(app, app.accent)),
                Span::raw(*v),
            ]));
        }
    }
    lines
}

pub(crate) fn draw_help(f: &mut Frame, app: &App, area: Rect) {
    let rows = app.keys.help();
    let key_w = rows.iter().map(|(k, _)| k.width()).max().unwrap_or(0);
    let text_w = rows.iter().map(|(_, v)| v.width()).max().unwrap_or(0);
    let col_w = (key_w + 2 + text_w) as u16;
    let one = column(app, &rows, key_w);
    let fits_tall = one.len() as u16 + 2 <= area.height;
    // Two columns, split at the heading nearest the middle, when one would not fit.
    let split = (!fits_tall && area.width >= 2 * col_w + 5)
        .then(|| {
            let headings = rows.iter().enumerate().filter(|(_, (k, _))| k.is_empty());
            headings
                .map(|(i, _)| i)
                .filter(|&i| i > 0)
                .min_by_key(|&i| i.abs_diff(rows.len() / 2))
        })
        .flatten();
    let (left, right) = match split {
        Some(at) => (
            column(app, &rows[..at], key_w),
            column(app, &rows[at..], key_w),
        ),
        None => (one, Vec::new()),
    };
    let width = if right.is_empty() {
        col_w + 2
    } else {
        2 * col_w + 5
    };
    let tall = left.len().max(right.len()) as u16 + 2;
    let r = centered(area, width.min(area.width), tall.min(area.height));
    f.render_widget(Clear, r);
    let wrap = Wrap { trim: false };
    let inner_w = r.width.saturating_sub(2);
    let (left, right) = (
        Paragraph::new(left).wrap(wrap),
        Paragraph::new(right).wrap(wrap),
    );
    // Lines as drawn (a narrow screen wraps the longer descriptions).
    let col = if split.is_some() { col_w } else { inner_w };
    let longest = left.line_count(col).max(right.line_count(col)) as u16;
    let inner_h = r.height.saturating_sub(2);
    let scroll = app.help_scroll.min(longest.saturating_sub(inner_h));
    let title = if longest > inner_h {
        format!(
            " keys — Esc closes · j/k scroll ({}–{} of {}) ",
            scroll + 1,
            scroll + inner_h,
            longest
        )
    } else {
        " keys — Esc closes ".to_string()
    };
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(r);
    f.render_widget(block, r);
    let first = Rect {
        width: col.min(inner.width),
        ..inner
    };
    f.render_widget(left.scroll((scroll, 0)), first);
    if split.is_some() {
        let x = inner.x + col_w + 3;
        let second = Rect {
            x,
            width: (inner.x + inner.width).saturating_sub(x),
            ..inner
        };
        f.render_widget(right.scroll((scroll, 0)), second);
    }
}
