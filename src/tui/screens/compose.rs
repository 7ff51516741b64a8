//! The compose screen: opening the form (on a new or a kept draft), routing keys to it,
//! saving, writing its draft as the user types, and its view. The form's fields are
//! `tui::form`.

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};
use lore::draft::DraftId;
use lore::learning::Draft;
use lore::lock::Holder;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear};
use unicode_width::UnicodeWidthStr;

use crate::tui::app::{App, Effect, Mode, SaveState};
use crate::tui::form::{Compose, Field, FormAction};
use crate::tui::msg::Request;

impl App {
    pub(crate) fn new_learning(&mut self) {
        if self.compose.is_some() {
            self.mode = Mode::Compose;
            return;
        }
        if self.kept_drafts.is_empty() {
            self.open_compose(Draft::default(), DraftId::new(), false);
        } else {
            self.drafts_cursor = 0;
            self.mode = Mode::Drafts;
        }
    }

    /// Opens the form on `draft`, written to disk as draft `id` (`on_disk`: it is already).
    pub(crate) fn open_compose(&mut self, draft: Draft, id: DraftId, on_disk: bool) {
        let domains = self.domains.iter().map(|(d, _)| d.clone()).collect();
        self.compose = Some(Compose::new(&draft, domains, id, on_disk));
        self.mode = Mode::Compose;
        // For the domain completion.
        self.request(Request::Domains);
        // Say at once if someone holds the lock, not only after the user has typed.
        self.request(Request::LockStatus);
        if let Some(st) = &self.lock
            && st.state != "free"
        {
            let who = st
                .holder
                .as_ref()
                .map(Holder::describe)
                .unwrap_or_else(|| "another process".into());
            self.notify(format!(
                "note: the store lock is held by {who}; a save will wait for it"
            ));
        }
    }

    pub(crate) fn compose_key(&mut self, key: KeyEvent) {
        let saving = self.saving();
        let Some(form) = &mut self.compose else {
            self.mode = Mode::Browse;
            return;
        };
        if saving {
            // What the form holds is being saved: an edit now would be lost when it lands.
            if key.code == KeyCode::Esc {
                self.effects.push_back(Effect::CancelSave);
            } else {
                self.notify("saving: the form can be changed again if the save does not land (Esc cancels a wait for the lock)");
            }
            return;
        }
        let focus_before = form.focus;
        match form.on_key(key) {
            FormAction::None => {
                if form.changed {
                    // On disk soon after the last key (the debounce), and at once at a line's
                    // end or on moving to another field: a kill then loses at most the words
                    // typed since.
                    let at_once = key.code == KeyCode::Enter || form.focus != focus_before;
                    self.draft_dirty.get_or_insert_with(Instant::now);
                    // The fields' own labels say what is still wrong, as the user types.
                    self.forget_notice("cannot save yet");
                    if at_once {
                        self.flush_draft(Duration::ZERO);
                    }
                }
            }
            FormAction::Close => {
                if form.changed {
                    self.mode = Mode::ConfirmClose;
                } else {
                    // Nothing typed since it opened: a restored draft stays kept as it was.
                    self.keep_and_close();
                }
            }
            FormAction::Save => {
                if saving {
                    return;
                }
                form.show_errors = true;
                let draft = form.draft();
                match draft.validate() {
                    Ok(learning) => {
                        // The draft is on disk before the save starts: nothing typed is lost
                        // whatever happens to the save.
                        let id = form.id.clone();
                        self.request(Request::SaveDraft(id, Box::new(draft)));
                        self.draft_dirty = None;
                        self.save = SaveState::Starting;
                        self.effects.push_back(Effect::Save(Box::new(learning)));
                        // Keep browsing while the save runs; n shows the form again, Esc
                        // cancels a wait for the lock.
                        self.mode = Mode::Browse;
                    }
                    Err(e) => self.notify(format!("cannot save yet: {e}")),
                }
            }
        }
    }

    /// Writes the draft if it changed more than `debounce` ago (called by the loop).
    pub fn flush_draft(&mut self, debounce: Duration) {
        if let (Some(since), Some(form)) = (self.draft_dirty, &self.compose)
            && since.elapsed() >= debounce
        {
            let (id, d) = (form.id.clone(), form.draft());
            self.draft_dirty = None;
            self.request(Request::SaveDraft(id, Box::new(d)));
        }
    }
}

/// The form, over everything but the status line (and the save gauge, when it shows).
/// The form over the screen, down to the `below` rows of the save's progress and the status.
pub(crate) fn draw_form_over(f: &mut Frame, app: &App, area: Rect, below: u16) {
    let body = Rect {
        height: area.height.saturating_sub(below),
        ..area
    };
    draw_compose(f, app, body);
}

pub(crate) fn draw_compose(f: &mut Frame, app: &App, area: Rect) {
    let color = app.color;
    let accent = app.accent;
    let Some(form) = &app.compose else { return };
    f.render_widget(Clear, area);
    let mut outer = Block::default()
        .borders(Borders::ALL)
        .title(" new learning — Tab next field · Ctrl-S save · Esc close ");
    let inner = outer.inner(area);
    let heights = form_heights(inner.height, form.focus);
    let hidden = hidden_fields(&heights);
    if !hidden.is_empty() {
        // A small screen: the fields with no room are named, and Tab reaches them.
        let mut sign = format!(" not shown: {} — Tab reaches them ", hidden.join(", "));
        if sign.width() + 2 > usize::from(area.width) {
            sign = format!(" {} more fields — Tab reaches them ", hidden.len());
        }
        outer = outer.title_bottom(Line::styled(
            sign,
            Style::default().add_modifier(Modifier::BOLD),
        ));
    }
    f.render_widget(outer, area);
    let mut y = inner.y;
    let cells: Vec<Rect> = heights
        .into_iter()
        .map(|h| {
            let r = Rect::new(inner.x, y, inner.width, h);
            y += h;
            r
        })
        .collect();
    for (i, field) in Field::in_form().iter().enumerate() {
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
/// room (an 80×24 terminal), the field being typed in comes first, then a title row for every
/// field, every one-line field's text, a line of text for the multi-line ones in order, and
/// what is left to the multi-line ones (the one being typed in first); a field left with one
/// row shows its title, so the form never hides where the cursor is. Fields that get no row at
/// all are named at the form's foot ([`hidden_fields`]).
pub(crate) fn form_heights(total: u16, focus: usize) -> Vec<u16> {
    let fields = Field::in_form();
    let want = |f: &Field| if f.multiline() { 4 } else { 3 };
    let full: u16 = fields.iter().map(want).sum();
    let multi = fields.iter().filter(|f| f.multiline()).count() as u16;
    if total >= full {
        // The multi-line fields share what is left over, the first ones taking any remainder.
        let (each, mut extra) = ((total - full) / multi, (total - full) % multi);
        return fields
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
    /// Field `i` grown to `to` rows, as far as `left` allows.
    fn grow(heights: &mut [u16], left: &mut u16, i: usize, to: u16) {
        let more = to.saturating_sub(heights[i]).min(*left);
        heights[i] += more;
        *left -= more;
    }
    let mut heights = vec![0u16; fields.len()];
    let mut left = total;
    grow(&mut heights, &mut left, focus, want(&fields[focus]));
    for i in 0..fields.len() {
        grow(&mut heights, &mut left, i, 1);
    }
    for (i, f) in fields.iter().enumerate() {
        if !f.multiline() {
            grow(&mut heights, &mut left, i, 3);
        }
    }
    for (i, f) in fields.iter().enumerate() {
        if f.multiline() {
            grow(&mut heights, &mut left, i, 3);
        }
    }
    // Rows still free (a form a little short of its full height) make the multi-line fields
    // taller, the one being typed in first, then the others in turn.
    if fields[focus].multiline() {
        let to = want(&fields[focus]) + left / 2;
        grow(&mut heights, &mut left, focus, to);
    }
    let multis: Vec<usize> = (0..fields.len())
        .filter(|&i| fields[i].multiline())
        .collect();
    while left > 0 && !multis.is_empty() {
        for &i in &multis {
            let to = heights[i] + 1;
            grow(&mut heights, &mut left, i, to);
        }
    }
    heights
}

/// The labels of the fields [`form_heights`] left no row for.
pub(crate) fn hidden_fields(heights: &[u16]) -> Vec<&'static str> {
    Field::in_form()
        .iter()
        .zip(heights)
        .filter(|(_, h)| **h == 0)
        .map(|(f, _)| f.label().split(" (").next().unwrap_or_default())
        .collect()
}
