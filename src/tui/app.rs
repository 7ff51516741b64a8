//! The browser's state, the routing of keys to the screen that has them (each screen's own
//! keys are in `screens/`), and what worker messages change. No terminal here: tests drive
//! [`App`] directly and read its state, and the event loop turns the [`Effect`]s it queues
//! into requests to the readers and jobs.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use lore::draft::Kept;
use lore::index::{Filter, LockStats, Row, Sort};
use lore::learning::Learning;
use lore::lock::{self, Holder};

use super::editing::LineEdit;
use super::form::{Compose, one_line};
use super::keymap::Keymap;
use super::msg::{Msg, Request, SaveMsg, Source};
use lore::config::Action;

/// Rows fetched per request, and the most kept in memory: the list never loads the table.
pub const PAGE: usize = 100;
/// The longest search, in characters.
pub const QUERY_LIMIT: usize = 200;
pub const WINDOW: usize = 300;
/// Fetch more when the selection comes this close to an edge of what is loaded.
pub(crate) const MARGIN: usize = 40;

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
    /// What of the selected learning to copy to the clipboard.
    Copy,
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
    Edit {
        id: i64,
        path: String,
    },
    Sync,
    /// Put `text` on the terminal's clipboard (OSC 52); `what` names it for the notice.
    Copy {
        what: &'static str,
        text: String,
    },
}

/// What a frame measured, for the state to follow (see `App::on_drawn`): the view reads the
/// state and never writes it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// Screen rows of the list body (first, end), for mouse clicks.
    pub list_top: u16,
    pub list_bottom: u16,
    /// Rows of the list on screen, for paging.
    pub list_height: usize,
    /// The topmost row shown (index in the loaded rows), as the table scrolled to keep the
    /// selection in view.
    pub list_scroll: usize,
    /// The furthest the detail can scroll: its last line at the bottom.
    pub detail_last: u16,
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
    /// One of git's hooks runs (its name).
    Hook(String),
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
    pub query: LineEdit,
    pub filter: Filter,
    /// The list's order when not searching (`o` turns it round).
    pub sort: Sort,
    /// Bumped whenever the list's source changes; stale answers are dropped.
    pub generation: u64,
    pub detail: Option<(Row, Option<String>)>,
    pub detail_scroll: u16,
    /// How far the help is scrolled (where the screen is too small for it).
    pub help_scroll: u16,
    /// This year (as the list's short dates write years), read when the browser starts.
    pub this_year: String,
    /// The time zone times are shown in (the lock inspector's log is kept in UTC).
    pub tz: jiff::tz::TimeZone,
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
    /// What is typed in the filter picker, narrowing its rows.
    pub filter_typed: LineEdit,
    pub quit: bool,
    pub color: bool,
    pub keys: Keymap,
    /// The accent colour (focused borders, the title).
    pub accent: ratatui::style::Color,
    /// The draft changed and is not on disk yet (the loop debounces the write).
    pub draft_dirty: Option<Instant>,
    pub effects: VecDeque<Effect>,
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
            query: LineEdit::new(QUERY_LIMIT),
            filter: Filter::default(),
            sort: Sort::Newest,
            generation: 0,
            detail: None,
            detail_scroll: 0,
            help_scroll: 0,
            this_year: lore::clock::now().year().to_string(),
            tz: lore::clock::local_tz().clone(),
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
            filter_typed: LineEdit::new(QUERY_LIMIT),
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

    pub(crate) fn request(&mut self, r: Request) {
        self.effects.push_back(Effect::Request(r));
    }

    pub fn notify(&mut self, text: impl Into<String>) {
        self.notice = Some((text.into(), Instant::now()));
    }

    /// Clears the notice if it is the one starting with `start` (it no longer holds).
    pub(crate) fn forget_notice(&mut self, start: &str) {
        if self
            .notice
            .as_ref()
            .is_some_and(|(t, _)| t.starts_with(start))
        {
            self.notice = None;
        }
    }

    pub fn source(&self) -> Source {
        if self.query.text().trim().is_empty() {
            Source::Browse(self.filter.clone(), self.sort)
        } else {
            Source::Search(self.query.text().to_string(), self.filter.clone())
        }
    }

    pub(crate) fn searching(&self) -> bool {
        matches!(self.source(), Source::Search(..))
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
                // The picker opened before the domains came: put it on the active one now.
                if self.mode == Mode::Filter
                    && self.filter_typed.is_empty()
                    && self.filter_cursor == 0
                {
                    self.open_filter();
                }
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
            // What arrived is read in, the selection kept on the learning it was on; a sync
            // that brought nothing leaves the list alone.
            Msg::Synced { changed: false } => {}
            Msg::Synced { changed: true } => {
                if self.select_id.is_none() {
                    self.select_id = self.list.selected_row().map(|r| r.id);
                }
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

    pub(crate) fn on_save(&mut self, s: SaveMsg) {
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
            SaveMsg::Hook(hook) => self.save = SaveState::Hook(hook),
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
    pub(crate) fn quit_if_idle(&mut self) {
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
                | SaveState::Hook(_)
        )
    }

    /// What the last frame measured: the list's height (for paging) and scroll, and how far
    /// the detail can scroll (a `G` asked for the end: it stops at the last line).
    pub fn on_drawn(&mut self, drawn: &Drawn) {
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
                if self.mode == Mode::Help && self.help_scroll_key(key) {
                    return;
                }
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
            Mode::Copy => self.copy_key(key),
        }
    }

    // ----- drafts ----------------------------------------------------------------------

    pub(crate) fn common_key(&mut self, key: KeyEvent) {
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
    pub(crate) fn act(&mut self, action: Action) {
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
            Action::Help => {
                self.mode = Mode::Help;
                self.help_scroll = 0;
            }
            Action::Sync => self.start_sync(),
            Action::Sort if self.searching() => self.notify(
                "search results come best match first; Esc clears the search, then o sorts the list",
            ),
            Action::Sort => {
                self.sort = self.sort.next();
                self.notify(format!("the list: {}", self.sort.describe()));
                self.reload();
            }
            Action::Copy => {
                if self.list.selected_row().is_some() {
                    self.mode = Mode::Copy;
                } else {
                    self.notify("nothing selected to copy");
                }
            }
            Action::Lock => {
                self.mode = Mode::Inspector;
                self.request(Request::LockStats);
            }
            Action::Filter => {
                self.open_filter();
                self.request(Request::Domains);
            }
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

    // ----- paste -----------------------------------------------------------------------

    /// A bracketed paste: text inserted where the cursor is, never keys. The search line and
    /// the form's one-line fields get it on one line (newlines and tabs become spaces); the
    /// multi-line fields keep its lines. Elsewhere it is ignored, and the user told so.
    pub fn on_paste(&mut self, text: &str) {
        match self.mode {
            Mode::Search => {
                let line = one_line(text);
                let taken = self.query.insert_str(&line);
                if taken < line.chars().count() {
                    self.notify(format!(
                        "the search line takes {QUERY_LIMIT} characters: the rest of the paste was left out"
                    ));
                }
                if taken > 0 {
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
                    // A paste is often much text at once: on disk now.
                    self.flush_draft(Duration::ZERO);
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
}
