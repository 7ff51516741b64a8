//! The kept drafts, newest first: restore one, start anew beside them, or delete one.

use crossterm::event::{KeyCode, KeyEvent};
use lore::config::Action;
use lore::draft::{DraftId, Kept};
use lore::learning::Draft;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState};

use crate::tui::app::{App, Mode};
use crate::tui::msg::Request;
use crate::tui::style::{centered, fg};

impl App {
    pub(crate) fn drafts_key(&mut self, key: KeyEvent) {
        let n = self.kept_drafts.len();
        if n == 0 {
            self.mode = Mode::Browse;
            return;
        }
        match key.code {
            KeyCode::Esc => self.mode = Mode::Browse,
            _ if self.keys.is(key, Action::Quit) => self.mode = Mode::Browse,
            KeyCode::Down | KeyCode::Char('j') => {
                self.drafts_cursor = (self.drafts_cursor + 1).min(n - 1)
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.drafts_cursor = self.drafts_cursor.saturating_sub(1)
            }
            // The key that opened the list restores too: pressing it twice is the habit.
            KeyCode::Enter => self.restore_chosen_draft(),
            _ if self.keys.is(key, Action::New) => self.restore_chosen_draft(),
            KeyCode::Char('c') => {
                self.forget_notice("A draft from an earlier session");
                self.open_compose(Draft::default(), DraftId::new(), false);
            }
            KeyCode::Char('d') | KeyCode::Delete => self.mode = Mode::ConfirmDeleteDraft,
            _ => {}
        }
    }

    /// The draft under the cursor, in the list of kept drafts.
    pub fn chosen_draft(&self) -> Option<&Kept> {
        self.kept_drafts.get(
            self.drafts_cursor
                .min(self.kept_drafts.len().saturating_sub(1)),
        )
    }

    /// Opens the chosen draft in the form, under a new name of this process's: written there
    /// before its old file goes, so that it is in a file at every moment and no other
    /// browser restores it too.
    pub(crate) fn restore_chosen_draft(&mut self) {
        if self.kept_drafts.is_empty() {
            return;
        }
        let i = self.drafts_cursor.min(self.kept_drafts.len() - 1);
        let kept = self.kept_drafts.remove(i);
        self.drafts_cursor = 0;
        self.forget_notice("A draft from an earlier session");
        self.forget_notice(&format!(
            "{} drafts from earlier",
            self.kept_drafts.len() + 1
        ));
        let id = DraftId::new();
        self.request(Request::SaveDraft(id.clone(), Box::new(kept.draft.clone())));
        self.request(Request::DiscardDraft(kept.id));
        self.open_compose(kept.draft, id, true);
    }

    pub(crate) fn delete_chosen_draft(&mut self) {
        if self.kept_drafts.is_empty() {
            self.mode = Mode::Browse;
            return;
        }
        let i = self.drafts_cursor.min(self.kept_drafts.len() - 1);
        let kept = self.kept_drafts.remove(i);
        self.drafts_cursor = i.min(self.kept_drafts.len().saturating_sub(1));
        self.request(Request::DiscardDraft(kept.id));
        self.notify(format!(
            "deleted the draft \"{}\"",
            lore::sanitize::display_line(&draft_title(&kept.draft))
        ));
        self.mode = if self.kept_drafts.is_empty() {
            Mode::Browse
        } else {
            Mode::Drafts
        };
    }
}

/// The kept drafts, newest first, to restore one, start anew or delete one.
pub(crate) fn draw_drafts(f: &mut Frame, app: &App, area: Rect) {
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
            let title = display_line(&draft_title(&k.draft));
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
pub(crate) fn fmt_age(d: std::time::Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min", s / 60),
        3600..86_400 => format!("{} h", s / 3600),
        _ => format!("{} days", s / 86_400),
    }
}

/// A draft's title for a list, or a stand-in when it has none yet.
pub fn draft_title(d: &Draft) -> String {
    let t = d.get(lore::learning::Field::Title).trim();
    if t.is_empty() {
        "(no title yet)".into()
    } else {
        t.to_string()
    }
}
