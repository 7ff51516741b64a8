//! The filter picker: by type, severity or a domain present in the store.

use crossterm::event::{KeyCode, KeyEvent};
use lore::config::Action;
use lore::index::Filter;
use lore::learning::Kind;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState};

use crate::tui::app::{App, Mode};
use crate::tui::style::centered;

impl App {
    /// The filter picker's entries: clear, types, severities, then the domains present.
    pub fn filter_entries(&self) -> Vec<(String, Filter)> {
        let mut out = vec![("(no filter)".to_string(), Filter::default())];
        for k in Kind::ALL {
            out.push((
                format!("type: {k}"),
                Filter {
                    kind: Some(k.as_str().into()),
                    ..Filter::default()
                },
            ));
        }
        for s in (1..=5).rev() {
            out.push((
                format!("severity: {s}"),
                Filter {
                    severity: Some(s),
                    ..Filter::default()
                },
            ));
        }
        for (d, n) in &self.domains {
            out.push((
                format!("domain: {} ({n})", lore::sanitize::display_line(d)),
                Filter {
                    domain: Some(d.clone()),
                    ..Filter::default()
                },
            ));
        }
        out
    }

    pub(crate) fn filter_key(&mut self, key: KeyEvent) {
        let n = self.filter_entries().len();
        match key.code {
            KeyCode::Esc => self.mode = Mode::Browse,
            _ if matches!(self.keys.action(key), Some(Action::Quit | Action::Filter)) => {
                self.mode = Mode::Browse
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.filter_cursor = (self.filter_cursor + 1).min(n - 1)
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.filter_cursor = self.filter_cursor.saturating_sub(1)
            }
            KeyCode::Enter => {
                if let Some((_, f)) = self.filter_entries().into_iter().nth(self.filter_cursor) {
                    self.filter = f;
                    self.mode = Mode::Browse;
                    self.reload();
                }
            }
            _ => {}
        }
    }
}

pub(crate) fn draw_filter(f: &mut Frame, app: &App, area: Rect) {
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
