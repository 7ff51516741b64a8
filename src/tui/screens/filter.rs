//! The filter picker: by type, severity and a domain present in the store, combined (a type
//! and a severity and a domain at once). It opens on the active filter, marks what is active,
//! and narrows its rows to what is typed (a store with a hundred domains is one word away from
//! the one wanted). Enter applies the row under the cursor and closes; Tab applies it and stays,
//! to add another; a row that is active already is taken off.

use crossterm::event::{KeyCode, KeyEvent};
use lore::index::Filter;
use lore::learning::Kind;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState};

use crate::tui::app::{App, Mode};
use crate::tui::editing::edit_of;
use crate::tui::style::{centered, fg};

/// What a row of the picker sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pick {
    Clear,
    Kind(String),
    Severity(u8),
    Domain(String),
}

impl Pick {
    pub fn active(&self, f: &Filter) -> bool {
        match self {
            Pick::Clear => false,
            Pick::Kind(k) => f.kind.as_deref() == Some(k.as_str()),
            Pick::Severity(s) => f.severity == Some(*s),
            Pick::Domain(d) => f.domain.as_deref() == Some(d.as_str()),
        }
    }

    /// Sets this row's part of `f`, or takes it off when it is set already. The other parts
    /// stay: filters combine.
    pub fn toggle(&self, f: &mut Filter) {
        let on = !self.active(f);
        match self {
            Pick::Clear => {
                f.kind = None;
                f.severity = None;
                f.domain = None;
            }
            Pick::Kind(k) => f.kind = on.then(|| k.clone()),
            Pick::Severity(s) => f.severity = on.then_some(*s),
            Pick::Domain(d) => f.domain = on.then(|| d.clone()),
        }
    }
}

impl App {
    /// The picker's rows: clearing, the types, the severities, then the domains present, each
    /// kept when its label holds what was typed (ignoring case).
    pub fn filter_entries(&self) -> Vec<(String, Pick)> {
        let mut all = vec![("no filter".to_string(), Pick::Clear)];
        all.extend(
            Kind::ALL
                .iter()
                .map(|k| (format!("type: {k}"), Pick::Kind(k.as_str().into()))),
        );
        all.extend(
            (1..=5)
                .rev()
                .map(|s| (format!("severity: {s}"), Pick::Severity(s))),
        );
        all.extend(self.domains.iter().map(|(d, n)| {
            (
                format!("domain: {} ({n})", display_line(d)),
                Pick::Domain(d.clone()),
            )
        }));
        let typed = self.filter_typed.text().to_lowercase();
        all.retain(|(label, _)| label.to_lowercase().contains(&typed));
        all
    }

    /// Opens the picker on the first active row (the top when there is none).
    pub(crate) fn open_filter(&mut self) {
        self.mode = Mode::Filter;
        self.filter_typed.clear();
        self.filter_cursor = self
            .filter_entries()
            .iter()
            .position(|(_, p)| p.active(&self.filter))
            .unwrap_or(0);
    }

    fn apply_pick(&mut self) {
        if let Some((_, pick)) = self.filter_entries().into_iter().nth(self.filter_cursor) {
            pick.toggle(&mut self.filter);
            self.reload();
        }
    }

    pub(crate) fn filter_key(&mut self, key: KeyEvent) {
        let n = self.filter_entries().len();
        let last = n.saturating_sub(1);
        match key.code {
            KeyCode::Esc => self.mode = Mode::Browse,
            KeyCode::Down => self.filter_cursor = (self.filter_cursor + 1).min(last),
            KeyCode::Up => self.filter_cursor = self.filter_cursor.saturating_sub(1),
            KeyCode::PageDown => self.filter_cursor = (self.filter_cursor + 10).min(last),
            KeyCode::PageUp => self.filter_cursor = self.filter_cursor.saturating_sub(10),
            KeyCode::Enter => {
                self.apply_pick();
                self.mode = Mode::Browse;
            }
            KeyCode::Tab => self.apply_pick(),
            _ => {
                if let Some(edit) = edit_of(key)
                    && self.filter_typed.apply(edit)
                {
                    self.filter_cursor = 0;
                }
            }
        }
    }
}

pub(crate) fn draw_filter(f: &mut Frame, app: &App, area: Rect) {
    let entries = app.filter_entries();
    let r = centered(
        area,
        64,
        (entries.len() as u16 + 4).min(area.height.saturating_sub(2)),
    );
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" filter — Enter applies · Tab adds another · Esc closes ");
    let inner = block.inner(r);
    f.render_widget(block, r);
    if inner.height == 0 {
        return;
    }
    // The line that narrows the rows, then the rows.
    let typed = display_line(app.filter_typed.text());
    let prompt = if typed.is_empty() {
        Line::from(Span::styled(
            "type to narrow the rows",
            fg(app, Color::DarkGray),
        ))
    } else {
        Line::from(vec![
            Span::raw("narrowed to: "),
            Span::styled(typed, Style::default().add_modifier(Modifier::BOLD)),
            Span::styled("█", fg(app, Color::Yellow)),
        ])
    };
    f.render_widget(prompt, Rect { height: 1, ..inner });
    let rows = Rect {
        y: inner.y + 2,
        height: inner.height.saturating_sub(2),
        ..inner
    };
    let items: Vec<ListItem> = if entries.is_empty() {
        vec![ListItem::new("nothing matches what is typed")]
    } else {
        entries
            .iter()
            .map(|(label, pick)| {
                let on = pick.active(&app.filter);
                ListItem::new(Line::from(vec![
                    Span::styled(if on { "✓ " } else { "  " }, fg(app, Color::Green)),
                    Span::raw(label.clone()),
                ]))
            })
            .collect()
    };
    let list = List::new(items).highlight_style(Style::default().add_modifier(Modifier::REVERSED));
    let mut state = ListState::default().with_selected(Some(app.filter_cursor));
    f.render_stateful_widget(list, rows, &mut state);
}
