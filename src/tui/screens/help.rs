//! The help: the keymap's rows (`tui::keymap`), with the keys as configured.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::App;
use crate::tui::style::{centered, fg};

pub(crate) fn draw_help(f: &mut Frame, app: &App, area: Rect) {
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
