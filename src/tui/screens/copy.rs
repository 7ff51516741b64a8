//! `y`: the selected learning's path, title or body, copied to the clipboard. Mouse capture
//! (the wheel, clicks) keeps the terminal's own selection from working without Shift, so the
//! browser puts the text on the clipboard itself, with the OSC 52 sequence that terminals
//! (and tmux with `set-clipboard on`) turn into a copy; it works over ssh too.

use crossterm::event::{KeyCode, KeyEvent};
use lore::sanitize::{clean_line, visible_block};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use crate::tui::app::{App, Effect, Mode};
use crate::tui::style::{centered, fg};

/// The menu's rows: key, what it copies.
const CHOICES: [(char, &str); 3] = [
    ('p', "path: the markdown file, as an absolute path"),
    ('t', "title"),
    ('b', "body: the whole markdown text"),
];

impl App {
    pub(crate) fn copy_key(&mut self, key: KeyEvent) {
        self.mode = Mode::Browse;
        let KeyCode::Char(choice) = key.code else {
            return;
        };
        let Some(row) = self.list.selected_row() else {
            return;
        };
        // Text from the store goes out as the screen shows it: an escape sequence or control
        // character written out (`\e]0;…`), never raw into whatever it is pasted into, and the
        // title and the body treated alike (the index keeps a hostile title escaped so).
        let (what, text) = match choice {
            'p' => (
                "the path",
                clean_line(
                    &std::path::Path::new(&self.store_path)
                        .join(&row.filepath)
                        .to_string_lossy(),
                ),
            ),
            't' => ("the title", clean_line(&row.title)),
            'b' => match &self.detail {
                Some((r, Some(body))) if r.id == row.id => ("the body", visible_block(body)),
                Some((r, None)) if r.id == row.id => {
                    return self.notify("nothing to copy: the learning's file is missing");
                }
                _ => return self.notify("the learning is still being read; press y again"),
            },
            _ => return,
        };
        self.effects.push_back(Effect::Copy { what, text });
    }
}

pub(crate) fn draw_copy(f: &mut Frame, app: &App, area: Rect) {
    let r = centered(area, 56, CHOICES.len() as u16 + 2);
    f.render_widget(Clear, r);
    let lines: Vec<Line> = CHOICES
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k}  "), fg(app, app.accent)),
                Span::raw(*what),
            ])
        })
        .collect();
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" copy to the clipboard — any other key closes ");
    f.render_widget(Paragraph::new(lines).block(block), r);
}
