//! Questions before something is lost or cut short: leaving while a save or a sync runs or
//! a form is open, and closing a changed form (keep it as a draft, or discard it).

use crossterm::event::{KeyCode, KeyEvent};
use lore::draft::Kept;
use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use crate::tui::app::{App, Effect, Mode, QuitPlan, SaveState};
use crate::tui::msg::Request;
use crate::tui::style::centered;

impl App {
    /// Ctrl-C: quits, but asks first when leaving would cut short a save or a sync, or close
    /// a form being typed in (its text is kept as a draft either way). Twice while a save
    /// runs: cancel it (if it still waits for the lock) and quit once it has ended.
    pub(crate) fn ctrl_c(&mut self) {
        if self.mode == Mode::ConfirmQuit && self.busy() {
            if self.saving() {
                self.effects.push_back(Effect::CancelSave);
            }
            self.quit_plan = Some(QuitPlan::WhenIdle);
            self.mode = self.return_mode;
            self.notify("quitting once what runs has ended…");
            return self.quit_if_idle();
        }
        let typing = self.mode == Mode::Compose && self.compose.as_ref().is_some_and(|c| c.changed);
        if self.busy() || typing {
            self.ask_quit();
        } else {
            self.quit = true;
        }
    }

    /// `q` (outside the form): quits, or asks while a save or a sync runs.
    pub(crate) fn quit_key(&mut self) {
        if self.busy() {
            self.ask_quit();
        } else {
            self.quit = true;
        }
    }

    pub(crate) fn ask_quit(&mut self) {
        if self.mode != Mode::ConfirmQuit {
            self.return_mode = self.mode;
        }
        self.mode = Mode::ConfirmQuit;
    }

    /// What [`Mode::ConfirmQuit`] asks, and the keys that answer it.
    pub fn quit_question(&self) -> String {
        if self.saving() {
            "A save is in progress. [w] quit once it is saved · [c] cancel it and quit (the draft is kept) · [Esc] stay".into()
        } else if self.syncing {
            "A sync is running. [w] quit once it has finished · [Esc] stay".into()
        } else if self.committing_edit {
            "An edit is being committed. [w] quit once it is · [Esc] stay".into()
        } else {
            "Quit lore? What you typed is kept as a draft and offered next time. [y] quit · [Esc] stay".into()
        }
    }

    pub(crate) fn confirm_quit_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => self.mode = self.return_mode,
            KeyCode::Char('w') if self.busy() => {
                self.quit_plan = Some(if self.saving() {
                    QuitPlan::WhenSaved
                } else {
                    QuitPlan::WhenIdle
                });
                self.mode = self.return_mode;
                self.notify("quitting once it has finished… (Esc cancels a wait for the lock)");
                self.quit_if_idle();
            }
            KeyCode::Char('c') if self.saving() => {
                self.effects.push_back(Effect::CancelSave);
                self.quit_plan = Some(QuitPlan::WhenIdle);
                self.mode = self.return_mode;
                self.notify("cancelling the save, then quitting…");
            }
            KeyCode::Char('y') if !self.busy() => self.quit = true,
            // The background work ended while the question was up: ask the plain question.
            _ => {}
        }
    }

    /// Closes the form, keeping what it holds as a draft that `n` offers again.
    pub(crate) fn keep_and_close(&mut self) {
        let Some(form) = self.compose.take() else {
            self.mode = Mode::Browse;
            return;
        };
        let draft = form.draft();
        if form.changed || form.on_disk {
            self.request(Request::SaveDraft(form.id.clone(), Box::new(draft.clone())));
            self.kept_drafts.insert(
                0,
                Kept {
                    id: form.id,
                    draft,
                    written: Some(std::time::SystemTime::now()),
                },
            );
            self.notify("kept as a draft: press n to come back to it");
        }
        self.draft_dirty = None;
        if matches!(self.save, SaveState::Failed(_)) {
            self.save = SaveState::Idle;
        }
        self.mode = Mode::Browse;
    }

    /// Closes the form and deletes its draft (the user chose to, in [`Mode::ConfirmClose`]).
    pub(crate) fn discard_form(&mut self) {
        if let Some(form) = self.compose.take() {
            self.request(Request::DiscardDraft(form.id));
        }
        self.draft_dirty = None;
        self.mode = Mode::Browse;
        if matches!(self.save, SaveState::Failed(_)) {
            self.save = SaveState::Idle;
        }
        self.notify("draft discarded");
    }
}

/// A question in a box, wrapped to the screen's width so that every answer stays in view.
pub(crate) fn draw_confirm(f: &mut Frame, area: Rect, text: &str) {
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
