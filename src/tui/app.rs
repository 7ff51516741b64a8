//! The browser's state and how keys, mouse and worker messages change it. No terminal here:
//! tests drive [`App`] directly and read its state, and the event loop turns the
//! [`Effect`]s it queues into requests to the worker threads.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use lore::draft::{DraftId, Kept};
use lore::index::{Anchor, Filter, LockStats, Row};
use lore::learning::{Draft, Kind, Learning};
use lore::lock::{self, Holder};

use super::compose::{Compose, FormAction, one_line};
use super::keymap::Keymap;
use super::msg::{Msg, PageAt, Request, SaveMsg, Source};
use lore::config::Action;

/// Rows fetched per request, and the most kept in memory: the list never loads the table.
pub const PAGE: usize = 100;
pub const WINDOW: usize = 300;
/// Fetch more when the selection comes this close to an edge of what is loaded.
const MARGIN: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Browse,
    /// Typing in the search line.
    Search,
    Compose,
    Help,
    Inspector,
    /// Esc on a changed form: keep it as a draft, or discard it?
    ConfirmClose,
    /// Kept drafts, to restore one (or start a new learning, or delete one).
    Drafts,
    /// Delete the draft chosen in [`Mode::Drafts`]?
    ConfirmDeleteDraft,
    /// Leave while a save or a sync is running, or with a form open?
    ConfirmQuit,
    Filter,
}

/// What quitting waits for, once asked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitPlan {
    /// Quit once the save lands; if it does not, stay (its failure is on screen).
    WhenSaved,
    /// Quit once nothing runs in the background any more, whatever the outcome.
    WhenIdle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

/// What the event loop must do on the app's behalf.
#[derive(Debug)]
pub enum Effect {
    Request(Request),
    Save(Box<Learning>),
    CancelSave,
    Edit { id: i64, path: String },
    Sync,
}

/// The state of the current (or last) save, for the status line and the gauge.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveState {
    Idle,
    Starting,
    Waiting {
        holder: Option<Holder>,
        waited: Duration,
        timeout: Duration,
    },
    Writing,
    Committing,
    Failed(String),
}

/// The loaded window of the list.
#[derive(Debug, Default)]
pub struct ListView {
    pub rows: Vec<Row>,
    /// Index of the selection in `rows`.
    pub selected: usize,
    /// Position of `rows[0]` in the whole list.
    pub first_pos: u64,
    pub total: u64,
    /// Whether `rows` reaches the newest / oldest end.
    pub at_start: bool,
    pub at_end: bool,
    /// A page request in flight (one at a time).
    pub loading: bool,
    /// Rows still to move once the page in flight arrives (keys pressed past the loaded rows,
    /// such as PgDn held down), so that no key press is dropped.
    pub pending_move: i64,
    /// Whether the total was asked for since the source last changed.
    pub counted: bool,
    /// The list's height on screen, for paging and mouse clicks.
    pub height: usize,
    /// Topmost visible row (index in `rows`), kept by the renderer.
    pub scroll: usize,
}

impl ListView {
    pub fn selected_row(&self) -> Option<&Row> {
        self.rows.get(self.selected)
    }

    pub fn position(&self) -> u64 {
        self.first_pos + self.selected as u64
    }
}

pub struct App {
    pub store_path: String,
    pub mode: Mode,
    pub focus: Focus,
    pub list: ListView,
    pub query: String,
    pub filter: Filter,
    /// Bumped whenever the list's source changes; stale answers are dropped.
    pub generation: u64,
    pub detail: Option<(Row, Option<String>)>,
    pub detail_scroll: u16,
    pub lock: Option<lock::Status>,
    pub stats: Option<LockStats>,
    pub domains: Vec<(String, u64)>,
    pub compose: Option<Compose>,
    pub save: SaveState,
    pub notice: Option<(String, Instant)>,
    /// Drafts no form has open, newest first: offered by `n`.
    pub kept_drafts: Vec<Kept>,
    pub drafts_cursor: usize,
    /// Where Esc goes back to from [`Mode::ConfirmQuit`].
    pub return_mode: Mode,
    /// Quitting, once what runs in the background allows.
    pub quit_plan: Option<QuitPlan>,
    /// A sync runs in the background.
    pub syncing: bool,
    /// An edit made with `e` is being committed in the background.
    pub committing_edit: bool,
    /// Said on the terminal after the browser has closed (what became of a save in flight).
    pub farewell: Option<String>,
    /// The row to select once it shows up (after a save).
    pub select_id: Option<i64>,
    pub filter_cursor: usize,
    pub quit: bool,
    pub color: bool,
    pub keys: Keymap,
    /// The accent colour (focused borders, the title).
    pub accent: ratatui::style::Color,
    /// The draft changed and is not on disk yet (the loop debounces the write).
    pub draft_dirty: Option<Instant>,
    pub effects: VecDeque<Effect>,
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

impl App {
    pub fn new(store_path: String, kept_drafts: Vec<Kept>, color: bool) -> App {
        let mut app = App {
            store_path,
            mode: Mode::Browse,
            focus: Focus::List,
            list: ListView {
                height: 20,
                ..ListView::default()
            },
            query: String::new(),
            filter: Filter::default(),
            generation: 0,
            detail: None,
            detail_scroll: 0,
            lock: None,
            stats: None,
            domains: Vec::new(),
            compose: None,
            save: SaveState::Idle,
            notice: None,
            kept_drafts,
            drafts_cursor: 0,
            return_mode: Mode::Browse,
            quit_plan: None,
            syncing: false,
            committing_edit: false,
            farewell: None,
            select_id: None,
            filter_cursor: 0,
            quit: false,
            color,
            keys: Keymap::default(),
            accent: ratatui::style::Color::Cyan,
            draft_dirty: None,
            effects: VecDeque::new(),
        };
        match app.kept_drafts.len() {
            0 => {}
            1 => app.notify("A draft from an earlier session was kept: press n to restore it"),
            n => app.notify(format!(
                "{n} drafts from earlier sessions were kept: press n to choose one"
            )),
        }
        app.reload();
        app.request(Request::LockStatus);
        app
    }

    fn request(&mut self, r: Request) {
        self.effects.push_back(Effect::Request(r));
    }

    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some((text.into(), Instant::now()));
    }

    /// Clears the notice if it is the one starting with `start` (it no longer holds).
    fn forget_notice(&mut self, start: &str) {
        if self
            .notice
            .as_ref()
            .is_some_and(|(t, _)| t.starts_with(start))
        {
            self.notice = None;
        }
    }

    pub fn source(&self) -> Source {
        if self.query.trim().is_empty() {
            Source::Browse(self.filter.clone())
        } else {
            Source::Search(self.query.clone(), self.filter.clone())
        }
    }

    fn searching(&self) -> bool {
        matches!(self.source(), Source::Search(..))
    }

    /// Starts over from the top of the current source.
    pub fn reload(&mut self) {
        self.generation += 1;
        self.list.rows.clear();
        self.list.pending_move = 0;
        self.list.selected = 0;
        self.list.scroll = 0;
        self.list.first_pos = 0;
        self.list.loading = true;
        let at = if self.searching() {
            PageAt::Offset(0)
        } else {
            PageAt::Anchor(Anchor::First)
        };
        self.request_page(at);
        // The count is asked for once the first page is in, after the detail: it can take a
        // scan, and the first full frame should not wait for it.
        self.list.counted = false;
    }

    /// Asks for a page of the current source.
    fn request_page(&mut self, at: PageAt) {
        self.request_page_of(at, PAGE);
    }

    fn request_page_of(&mut self, at: PageAt, limit: usize) {
        let (generation, source) = (self.generation, self.source());
        self.request(Request::Page {
            generation,
            source,
            at,
            limit,
        });
    }

    fn jump_end(&mut self) {
        if self.list.at_end {
            self.list.selected = self.list.rows.len().saturating_sub(1);
            self.selection_changed();
            return;
        }
        self.generation += 1;
        self.list.rows.clear();
        self.list.loading = true;
        self.list.selected = usize::MAX; // the last row, once loaded
        let at = if self.searching() {
            PageAt::Offset(self.list.total.saturating_sub(PAGE as u64))
        } else {
            PageAt::Anchor(Anchor::Last)
        };
        self.request_page(at);
    }

    fn jump_start(&mut self) {
        if self.list.at_start {
            self.list.selected = 0;
            self.selection_changed();
        } else {
            self.reload();
        }
    }

    /// Moves the selection by `delta` rows, fetching more when near an edge.
    pub fn move_by(&mut self, delta: i64) {
        if self.list.rows.is_empty() {
            return;
        }
        // Presses made while a page was on its way count too.
        let delta = delta + std::mem::take(&mut self.list.pending_move);
        let last = self.list.rows.len() - 1;
        let wanted = self.list.selected as i64 + delta;
        let target = wanted.clamp(0, last as i64) as usize;
        // Past the loaded rows, where more exist: the rest waits for the next page.
        let short = wanted - target as i64;
        self.list.pending_move =
            if (short > 0 && !self.list.at_end) || (short < 0 && !self.list.at_start) {
                short
            } else {
                0
            };
        if target != self.list.selected {
            self.list.selected = target;
            self.selection_changed();
        }
        self.prefetch();
    }

    fn prefetch(&mut self) {
        if self.list.loading || self.list.rows.is_empty() {
            return;
        }
        let searching = self.searching();
        let l = &self.list;
        let (at, limit) = if !l.at_end && l.selected + MARGIN >= l.rows.len() {
            let last = l.rows.last().expect("not empty");
            if searching {
                (PageAt::Offset(l.first_pos + l.rows.len() as u64), PAGE)
            } else {
                (PageAt::Anchor(Anchor::After(last.key())), PAGE)
            }
        } else if !l.at_start && l.selected < MARGIN {
            if searching {
                // Exactly the rows before the window, never overlapping it.
                let n = l.first_pos.min(PAGE as u64);
                (PageAt::Offset(l.first_pos - n), n as usize)
            } else {
                (PageAt::Anchor(Anchor::Before(l.rows[0].key())), PAGE)
            }
        } else {
            return;
        };
        self.list.loading = true;
        self.request_page_of(at, limit);
    }

    fn selection_changed(&mut self) {
        self.detail_scroll = 0;
        if let Some(id) = self.list.selected_row().map(|r| r.id) {
            if self.detail.as_ref().map(|(r, _)| r.id) != Some(id) {
                self.request(Request::Detail { id });
            }
        } else {
            self.detail = None;
        }
    }

    // ----- worker messages -------------------------------------------------------------

    pub fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Page {
                generation,
                at,
                rows,
            } if generation == self.generation => self.on_page(at, rows),
            Msg::Count { generation, total } if generation == self.generation => {
                self.list.total = total
            }
            Msg::Page { .. } | Msg::Count { .. } => {}
            Msg::Detail { id, row, body } => {
                if self.list.selected_row().map(|r| r.id) == Some(id) {
                    self.detail = row.map(|r| (r, body));
                }
            }
            Msg::Lock(st) => self.lock = Some(st),
            Msg::LockStats(s) => self.stats = Some(s),
            Msg::Domains(d) => {
                if let Some(c) = &mut self.compose {
                    c.set_domains(d.iter().map(|(n, _)| n.clone()).collect());
                }
                self.domains = d;
            }
            Msg::Save(s) => self.on_save(s),
            Msg::Edited { id, message } => {
                self.committing_edit = false;
                if self.quit_plan.is_some() {
                    self.farewell = Some(message.clone());
                }
                self.quit_if_idle();
                self.notify(message);
                if self.list.selected_row().map(|r| r.id) == Some(id) {
                    self.detail = None;
                    self.request(Request::Detail { id });
                }
            }
            Msg::Error(e) => self.notify(format!("error: {e}")),
            Msg::Input(_) | Msg::InputFailed(_) => {}
            Msg::Notice(text) => self.notify(text),
            Msg::Synced => {
                self.reload();
                self.request(Request::Domains);
            }
            Msg::SyncEnded(text) => {
                self.syncing = false;
                if self.quit_plan.is_some() {
                    self.farewell = Some(text.clone());
                }
                self.notify(text);
                self.quit_if_idle();
            }
            Msg::Changed => self.changed_elsewhere(),
        }
    }

    fn on_page(&mut self, at: PageAt, rows: Vec<Row>) {
        self.list.loading = false;
        let full = rows.len() >= PAGE;
        let l = &mut self.list;
        let was_empty = l.rows.is_empty();
        let prepend = match &at {
            PageAt::Anchor(Anchor::Before(_)) => true,
            PageAt::Offset(o) => !l.rows.is_empty() && *o < l.first_pos,
            _ => false,
        };
        match &at {
            _ if was_empty => {
                l.first_pos = match &at {
                    PageAt::Offset(o) => *o,
                    PageAt::Anchor(Anchor::Last) => l.total.saturating_sub(rows.len() as u64),
                    _ => 0,
                };
                l.at_start = matches!(at, PageAt::Anchor(Anchor::First) | PageAt::Offset(0))
                    || l.first_pos == 0;
                l.at_end = !full || matches!(at, PageAt::Anchor(Anchor::Last));
                l.rows = rows;
                if l.selected == usize::MAX {
                    l.selected = l.rows.len().saturating_sub(1);
                }
            }
            _ if prepend => {
                l.at_start = !full;
                let n = rows.len();
                l.first_pos = l.first_pos.saturating_sub(n as u64);
                l.selected += n;
                l.scroll += n;
                let mut new = rows;
                new.append(&mut l.rows);
                l.rows = new;
                if l.rows.len() > WINDOW {
                    l.rows.truncate(WINDOW);
                    l.at_end = false;
                }
            }
            _ => {
                l.at_end = !full;
                l.rows.extend(rows);
                if l.rows.len() > WINDOW {
                    let cut = l.rows.len() - WINDOW;
                    l.rows.drain(..cut);
                    l.first_pos += cut as u64;
                    l.selected = l.selected.saturating_sub(cut);
                    l.scroll = l.scroll.saturating_sub(cut);
                    l.at_start = false;
                }
            }
        }
        if l.at_start && l.at_end {
            l.total = l.rows.len() as u64;
        }
        l.selected = l.selected.min(l.rows.len().saturating_sub(1));
        if let Some(id) = self.select_id
            && let Some(i) = self.list.rows.iter().position(|r| r.id == id)
        {
            self.list.selected = i;
            self.select_id = None;
        }
        self.selection_changed();
        if !self.list.counted {
            self.list.counted = true;
            let (generation, source) = (self.generation, self.source());
            self.request(Request::Count { generation, source });
        }
        let pending = std::mem::take(&mut self.list.pending_move);
        if pending != 0 {
            self.move_by(pending);
        }
    }

    /// Another process changed the store. Near the top of the list (where new learnings
    /// appear) the list is read again, the selection kept on the same learning and its detail
    /// re-read (it may be the one edited); deeper down the rows stay where the user is reading
    /// and only the count moves.
    fn changed_elsewhere(&mut self) {
        if self.list.first_pos == 0 && self.list.selected < PAGE / 2 {
            // A selection already on its way (the entry a save just made) is kept.
            if self.select_id.is_none() {
                self.select_id = self.list.selected_row().map(|r| r.id);
            }
            self.detail = None;
            self.reload();
            self.request(Request::Domains);
        } else {
            let (generation, source) = (self.generation, self.source());
            self.request(Request::Count { generation, source });
        }
    }

    /// Whether the search matched more rows than are ranked (the list is then newest first).
    pub fn broad_search(&self) -> bool {
        self.searching() && self.list.total > lore::index::RANKED_MATCHES
    }

    fn on_save(&mut self, s: SaveMsg) {
        match s {
            SaveMsg::Waiting {
                holder,
                waited,
                timeout,
            } => {
                self.save = SaveState::Waiting {
                    holder,
                    waited,
                    timeout,
                }
            }
            SaveMsg::Writing => self.save = SaveState::Writing,
            SaveMsg::Committing => self.save = SaveState::Committing,
            SaveMsg::Done {
                id,
                commit,
                warnings,
            } => {
                self.save = SaveState::Idle;
                // Saved: its draft goes (through the reader, after any write of it queued).
                if let Some(form) = self.compose.take() {
                    self.request(Request::DiscardDraft(form.id));
                }
                self.draft_dirty = None;
                if matches!(self.mode, Mode::Compose | Mode::ConfirmClose) {
                    self.mode = Mode::Browse;
                }
                let mut said = format!("saved #{id} (commit {})", &commit[..commit.len().min(7)]);
                for w in warnings {
                    said.push_str(&format!("; {w}"));
                }
                if self.quit_plan.is_some() {
                    self.farewell = Some(said.clone());
                }
                self.notify(said);
                // Show the new entry: it is the newest, so it is at the top of the list.
                self.query.clear();
                self.filter = Filter::default();
                self.select_id = Some(id);
                self.reload();
                self.request(Request::Domains);
            }
            SaveMsg::Failed { message } => {
                self.save =
                    SaveState::Failed(format!("save failed: {message}; your draft is kept"));
            }
            SaveMsg::TimedOut { holder, waited } => {
                let who = holder
                    .as_ref()
                    .map(|h| {
                        let cmd: String = lore::sanitize::display_line(&h.command)
                            .chars()
                            .take(28)
                            .collect();
                        format!(" held by pid {} ({cmd})", h.pid)
                    })
                    .unwrap_or_default();
                self.save = SaveState::Failed(format!(
                    "timed out after {} waiting for the lock{who}. Your draft is kept; see `lore lock status`, then Ctrl-S again",
                    lore::error::fmt_duration(waited)
                ));
            }
            SaveMsg::Cancelled => {
                self.save = SaveState::Failed("save cancelled; your draft is kept".into())
            }
        }
        if let SaveState::Failed(why) = &self.save {
            if self.quit_plan == Some(QuitPlan::WhenIdle) {
                self.farewell = Some(format!("{why} (offered again when you press n)"));
            }
            if self.quit_plan == Some(QuitPlan::WhenSaved) {
                // The user wanted to leave with the learning saved; it is not: stay and show why.
                self.quit_plan = None;
                self.notify("the save did not land, so lore stayed open");
            }
        }
        self.quit_if_idle();
        // A save that did not land brings its form back, unless the user is busy elsewhere.
        if matches!(self.save, SaveState::Failed(_))
            && self.compose.is_some()
            && self.mode == Mode::Browse
        {
            self.mode = Mode::Compose;
        }
    }

    /// Whether a save, a sync or an edit's commit runs in the background (leaving would cut
    /// it short).
    pub fn busy(&self) -> bool {
        self.saving() || self.syncing || self.committing_edit
    }

    /// Quits if quitting was asked for and nothing runs any more.
    fn quit_if_idle(&mut self) {
        if self.quit_plan.is_some() && !self.busy() {
            self.quit = true;
        }
    }

    /// A signal (SIGTERM, SIGHUP) or a terminal that went away: leave as soon as a save in
    /// flight has finished or rolled back (a wait for the lock is cancelled).
    pub fn interrupt(&mut self) {
        if self.saving() {
            self.effects.push_back(Effect::CancelSave);
        }
        self.quit_plan = Some(QuitPlan::WhenIdle);
        self.quit_if_idle();
    }

    pub fn saving(&self) -> bool {
        matches!(
            self.save,
            SaveState::Starting
                | SaveState::Waiting { .. }
                | SaveState::Writing
                | SaveState::Committing
        )
    }

    /// What the last frame measured: the list's height (for paging) and scroll, and how far
    /// the detail can scroll (a `G` asked for the end: it stops at the last line).
    pub fn on_drawn(&mut self, drawn: &super::ui::Drawn) {
        self.list.height = drawn.list_height;
        self.list.scroll = drawn.list_scroll;
        self.detail_scroll = self.detail_scroll.min(drawn.detail_last);
    }

    // ----- keys ------------------------------------------------------------------------

    pub fn on_key(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return self.ctrl_c();
        }
        match self.mode {
            Mode::Browse => self.browse_key(key),
            Mode::Search => self.search_key(key),
            Mode::Compose => self.compose_key(key),
            Mode::Help | Mode::Inspector => {
                let close = key.code == KeyCode::Esc
                    || matches!(
                        self.keys.action(key),
                        Some(Action::Quit | Action::Help | Action::Lock)
                    );
                if close {
                    self.mode = Mode::Browse;
                }
            }
            Mode::ConfirmClose => match key.code {
                KeyCode::Enter | KeyCode::Char('k') => self.keep_and_close(),
                KeyCode::Char('d') => self.discard_form(),
                KeyCode::Esc => self.mode = Mode::Compose,
                // Nothing else answers: a key typed out of habit changes nothing.
                _ => {}
            },
            Mode::Drafts => self.drafts_key(key),
            Mode::ConfirmDeleteDraft => match key.code {
                KeyCode::Char('y') => self.delete_chosen_draft(),
                _ => self.mode = Mode::Drafts,
            },
            Mode::ConfirmQuit => self.confirm_quit_key(key),
            Mode::Filter => self.filter_key(key),
        }
    }

    /// Ctrl-C: quits, but asks first when leaving would cut short a save or a sync, or close
    /// a form being typed in (its text is kept as a draft either way). Twice while a save
    /// runs: cancel it (if it still waits for the lock) and quit once it has ended.
    fn ctrl_c(&mut self) {
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
    fn quit_key(&mut self) {
        if self.busy() {
            self.ask_quit();
        } else {
            self.quit = true;
        }
    }

    fn ask_quit(&mut self) {
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

    fn confirm_quit_key(&mut self, key: KeyEvent) {
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

    // ----- drafts ----------------------------------------------------------------------

    fn drafts_key(&mut self, key: KeyEvent) {
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
    fn restore_chosen_draft(&mut self) {
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

    fn delete_chosen_draft(&mut self) {
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

    /// Closes the form, keeping what it holds as a draft that `n` offers again.
    fn keep_and_close(&mut self) {
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
    fn discard_form(&mut self) {
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

    fn browse_key(&mut self, key: KeyEvent) {
        let page = self.list.height.max(1) as i64;
        if self.focus == Focus::Detail {
            match key.code {
                KeyCode::Down | KeyCode::Char('j') => {
                    self.detail_scroll = self.detail_scroll.saturating_add(1)
                }
                KeyCode::Up | KeyCode::Char('k') => {
                    self.detail_scroll = self.detail_scroll.saturating_sub(1)
                }
                KeyCode::PageDown | KeyCode::Char(' ') => {
                    self.detail_scroll = self.detail_scroll.saturating_add(page as u16)
                }
                KeyCode::PageUp => {
                    self.detail_scroll = self.detail_scroll.saturating_sub(page as u16)
                }
                KeyCode::Char('g') | KeyCode::Home => self.detail_scroll = 0,
                // The end: drawing stops the scroll at the last line.
                KeyCode::Char('G') | KeyCode::End => self.detail_scroll = u16::MAX,
                KeyCode::Esc
                | KeyCode::Tab
                | KeyCode::Enter
                | KeyCode::Left
                | KeyCode::Char('h') => self.focus = Focus::List,
                _ => return self.common_key(key),
            }
            return;
        }
        match key.code {
            KeyCode::Down | KeyCode::Char('j') => self.move_by(1),
            KeyCode::Up | KeyCode::Char('k') => self.move_by(-1),
            KeyCode::PageDown | KeyCode::Char(' ') => self.move_by(page),
            KeyCode::PageUp => self.move_by(-page),
            KeyCode::Char('g') | KeyCode::Home => self.jump_start(),
            KeyCode::Char('G') | KeyCode::End => self.jump_end(),
            KeyCode::Enter | KeyCode::Tab | KeyCode::Right | KeyCode::Char('l') => {
                if self.list.selected_row().is_some() {
                    self.focus = Focus::Detail;
                }
            }
            KeyCode::Esc if !self.query.is_empty() => {
                self.query.clear();
                self.reload();
            }
            _ => self.common_key(key),
        }
    }

    fn common_key(&mut self, key: KeyEvent) {
        if let Some(action) = self.keys.action(key) {
            return self.act(action);
        }
        match key.code {
            KeyCode::Esc if self.saving() => self.effects.push_back(Effect::CancelSave),
            KeyCode::Esc => {
                if matches!(self.save, SaveState::Failed(_)) {
                    self.save = SaveState::Idle;
                }
            }
            _ => {}
        }
    }

    /// Does what an action's key asks, from the list or the detail.
    fn act(&mut self, action: Action) {
        match action {
            Action::Quit => self.quit_key(),
            Action::Search => {
                self.mode = Mode::Search;
                self.focus = Focus::List;
            }
            Action::New => self.new_learning(),
            Action::Edit => match self.list.selected_row() {
                Some(r) => {
                    let (id, path) = (r.id, r.filepath.clone());
                    self.effects.push_back(Effect::Edit { id, path });
                }
                None => self.notify(format!(
                    "nothing selected to edit: press {} to write a learning",
                    self.keys.key(Action::New)
                )),
            },
            Action::Help => self.mode = Mode::Help,
            Action::Sync => self.start_sync(),
            Action::Lock => {
                self.mode = Mode::Inspector;
                self.request(Request::LockStats);
            }
            Action::Filter => {
                self.mode = Mode::Filter;
                self.filter_cursor = 0;
                self.request(Request::Domains);
            }
        }
    }

    fn search_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Browse;
                if !self.query.is_empty() {
                    self.query.clear();
                    self.reload();
                }
            }
            KeyCode::Enter | KeyCode::Down | KeyCode::Tab => self.mode = Mode::Browse,
            KeyCode::Backspace if self.query.pop().is_some() => self.reload(),
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.query.clear();
                self.reload();
            }
            KeyCode::Char(c)
                if !key.modifiers.contains(KeyModifiers::CONTROL)
                    && self.query.chars().count() < 200 =>
            {
                self.query.push(c);
                self.reload();
            }
            _ => {}
        }
    }

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

    fn filter_key(&mut self, key: KeyEvent) {
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

    // ----- compose ---------------------------------------------------------------------

    /// Starts a sync in the background (`S`, or the configured interval), one at a time.
    pub fn start_sync(&mut self) {
        if self.syncing {
            self.notify("a sync is already running");
            return;
        }
        self.syncing = true;
        self.notify("sync: starting…");
        self.effects.push_back(Effect::Sync);
    }

    fn new_learning(&mut self) {
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
    fn open_compose(&mut self, draft: Draft, id: DraftId, on_disk: bool) {
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

    fn compose_key(&mut self, key: KeyEvent) {
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
        match form.on_key(key) {
            FormAction::None => {
                if form.changed {
                    self.draft_dirty.get_or_insert_with(Instant::now);
                    // The fields' own labels say what is still wrong, as the user types.
                    self.forget_notice("cannot save yet");
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

    // ----- paste -----------------------------------------------------------------------

    /// A bracketed paste: text inserted where the cursor is, never keys. The search line and
    /// the form's one-line fields get it on one line (newlines and tabs become spaces); the
    /// multi-line fields keep its lines. Elsewhere it is ignored, and the user told so.
    pub fn on_paste(&mut self, text: &str) {
        match self.mode {
            Mode::Search => {
                let line = one_line(text);
                let room = 200usize.saturating_sub(self.query.chars().count());
                let taken: String = line.chars().take(room).collect();
                if taken.chars().count() < line.chars().count() {
                    self.notify(
                        "the search line takes 200 characters: the rest of the paste was left out",
                    );
                }
                if !taken.is_empty() {
                    self.query.push_str(&taken);
                    self.reload();
                }
            }
            Mode::Compose if self.saving() => {
                self.notify("saving: the paste was not put into the form (it is being saved)")
            }
            Mode::Compose => {
                let Some(form) = &mut self.compose else {
                    return;
                };
                if form.paste(text) {
                    self.draft_dirty.get_or_insert_with(Instant::now);
                    self.forget_notice("cannot save yet");
                }
            }
            _ => self.notify(format!(
                "a paste goes into the search line ({}) or a form ({}); this one was ignored",
                self.keys.key(Action::Search),
                self.keys.key(Action::New)
            )),
        }
    }

    // ----- mouse -----------------------------------------------------------------------

    /// `list_top` is the screen row of the first list row.
    pub fn on_mouse(&mut self, m: MouseEvent, list_top: u16, list_bottom: u16) {
        if self.mode != Mode::Browse {
            return;
        }
        match m.kind {
            MouseEventKind::ScrollDown if self.focus == Focus::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_add(3)
            }
            MouseEventKind::ScrollUp if self.focus == Focus::Detail => {
                self.detail_scroll = self.detail_scroll.saturating_sub(3)
            }
            MouseEventKind::ScrollDown => self.move_by(3),
            MouseEventKind::ScrollUp => self.move_by(-3),
            MouseEventKind::Down(_) if m.row >= list_top && m.row < list_bottom => {
                let i = self.list.scroll + (m.row - list_top) as usize;
                if i < self.list.rows.len() {
                    self.focus = Focus::List;
                    self.move_by(i as i64 - self.list.selected as i64);
                }
            }
            _ => {}
        }
    }
}
