//! The browser: `lore` with no subcommand on a terminal.
//!
//! The UI thread only draws and handles input. SQLite, git and the lock are reached through
//! reader threads ([`worker`]) and jobs ([`jobs`]) that answer with messages ([`msg`]), so
//! drawing never waits on I/O and a save that waits for the lock shows who holds it, live,
//! while the user keeps browsing.
//!
//! - [`app`]: the state, and which screen a key goes to; [`screens`]: each screen's keys and
//!   view; [`ui`]: the frame's layout (drawing reads the state, never writes it);
//! - [`keymap`]: the configurable actions and the help made from them; [`form`]: the compose
//!   form's fields; [`input`]: the terminal reader thread; [`markdown`]: a learning as text.

mod app;
mod editing;
mod form;
mod highlight;
mod input;
mod jobs;
mod keymap;
mod markdown;
mod msg;
mod screens;
mod style;
#[cfg(test)]
mod tests;
mod ui;
mod worker;

use std::io::{self, Stdout};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
    Event,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use lore::draft::Drafts;
use lore::lock::LockOptions;
use lore::store::Store;
use lore::{Error, Result};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use app::{App, Effect, Mode};
use jobs::Job;
use msg::{Msg, Request};

type Term = Terminal<CrosstermBackend<Stdout>>;

/// How long the draft must rest before it is written.
const DRAFT_DEBOUNCE: Duration = Duration::from_millis(400);
/// How often the lock state is refreshed (and the inspector's charts while open).
const LOCK_REFRESH: Duration = Duration::from_millis(250);
/// How often the browser looks for changes other processes made (another `lore record`, a
/// commit made with git): a `PRAGMA data_version` and a look at HEAD.
const OUTSIDE_CHANGES: Duration = Duration::from_secs(1);

/// How long leaving waits, after a signal or a lost terminal, for a save or a sync to end
/// (a wait for the lock is cancelled at once; a save that holds it finishes in milliseconds).
const WIND_DOWN: Duration = Duration::from_secs(10);

fn setup() -> io::Result<Term> {
    enable_raw_mode()?;
    take_terminal()?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

/// The browser's terminal modes. Bracketed paste makes a paste one event of text, never a run
/// of keys (a pasted `q` or newline would otherwise act).
fn take_terminal() -> io::Result<()> {
    execute!(
        io::stdout(),
        EnterAlternateScreen,
        EnableMouseCapture,
        EnableBracketedPaste
    )
}

/// Puts the terminal back as it was; safe to call more than once (on exit, on a panic, on a
/// signal, and before an editor runs).
fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableBracketedPaste,
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Runs the browser; `note` (from the start-up check) is shown in the status bar.
pub fn run(
    store: Store,
    lock: LockOptions,
    interrupted: Arc<AtomicBool>,
    note: Option<String>,
    config: lore::config::Config,
) -> Result<()> {
    // Restore the terminal before any panic message is printed.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
    let mut terminal = setup().map_err(|source| Error::Terminal {
        doing: "setting up the terminal",
        source,
    })?;
    let result = event_loop(&mut terminal, store, lock, interrupted, note, config);
    restore();
    // What became of a save that was in flight when the user left.
    if let Ok(Some(said)) = &result {
        eprintln!("lore: {said}");
    }
    result.map(drop)
}

fn event_loop(
    terminal: &mut Term,
    store: Store,
    lock: LockOptions,
    interrupted: Arc<AtomicBool>,
    note: Option<String>,
    config: lore::config::Config,
) -> Result<Option<String>> {
    let (tx, rx): (Sender<Msg>, Receiver<Msg>) = mpsc::channel();
    let reader = worker::spawn_reader(store.clone(), tx.clone())?;
    let drafts = Drafts::for_store(&store).kept(&[]);
    let color =
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && config.ui.color != Some(false);
    let auto_sync = config.auto_sync();
    let mut last_sync = Instant::now();
    let mut app = App::new(store.root().display().to_string(), drafts, color);
    app.keys = keymap::Keymap::from_config(&config);
    if let Some(accent) = config.ui.accent.as_deref().and_then(|a| a.parse().ok()) {
        app.accent = accent;
    }
    let input = input::spawn(tx.clone());
    if let Some(n) = note {
        let draft = if !app.kept_drafts.is_empty() {
            " · a draft was kept: press n"
        } else {
            ""
        };
        app.notify(format!("note: {n}{draft}"));
    }
    let mut save_cancel: Option<Arc<AtomicBool>> = None;
    let mut last_lock = Instant::now();
    let mut last_look = Instant::now();
    let mut dirty = true;
    let mut drawn = app::Drawn::default();
    // Set when the terminal failed us: nothing more is drawn or read, and the loop only waits
    // for what runs in the background before leaving with this error.
    let mut broken: Option<Error> = None;
    let mut winding_down: Option<Instant> = None;
    loop {
        for effect in app.effects.drain(..).collect::<Vec<_>>() {
            match effect {
                Effect::Request(r) => {
                    let _ = reader.requests.send(r);
                }
                Effect::Save(learning) => {
                    let cancel = Arc::new(AtomicBool::new(false));
                    save_cancel = Some(cancel.clone());
                    let job = Job::Save { learning, cancel };
                    jobs::start(job, store.clone(), lock.clone(), tx.clone());
                }
                Effect::CancelSave => {
                    if let Some(c) = &save_cancel {
                        c.store(true, Ordering::Relaxed);
                    }
                }
                Effect::Copy { what, text } => {
                    let copied = crossterm::execute!(
                        terminal.backend_mut(),
                        crossterm::clipboard::CopyToClipboard::to_clipboard_from(text.as_bytes())
                    );
                    app.notify(match copied {
                        Ok(()) => format!(
                            "copied {what} ({} bytes) to the clipboard (OSC 52: a terminal without it ignores it; Shift-drag selects text instead)",
                            text.len()
                        ),
                        Err(e) => format!("could not copy {what}: {e}"),
                    });
                    dirty = true;
                }
                Effect::Sync => {
                    last_sync = Instant::now();
                    let job = Job::Sync {
                        remote: config.sync_remote(),
                    };
                    jobs::start(job, store.clone(), lock.clone(), tx.clone());
                }
                Effect::Edit { id, path } => {
                    // The editor owns the terminal meanwhile: stop reading it.
                    input.pause();
                    let target = EditTarget {
                        id,
                        rel: &path,
                        editor: config.editor.as_deref(),
                    };
                    edit(terminal, &store, &lock, &mut app, target, tx.clone());
                    input.resume();
                    dirty = true;
                }
            }
        }
        if dirty && broken.is_none() {
            if let Err(e) = terminal.draw(|f| drawn = ui::draw(f, &app)) {
                broken = Some(Error::Terminal {
                    doing: "drawing",
                    source: e,
                });
                app.interrupt();
            } else {
                app.on_drawn(&drawn);
            }
            dirty = false;
        }
        if (interrupted.load(Ordering::Relaxed) || broken.is_some()) && winding_down.is_none() {
            winding_down = Some(Instant::now());
            app.interrupt();
            continue;
        }
        if app.quit || winding_down.is_some_and(|since| since.elapsed() >= WIND_DOWN) {
            break;
        }
        // Sleep until input or a worker message arrives, or the next tick is due.
        let wait = LOCK_REFRESH.saturating_sub(last_lock.elapsed());
        let first = match rx.recv_timeout(wait) {
            Ok(msg) => Some(msg),
            Err(mpsc::RecvTimeoutError::Timeout) => None,
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        };
        for msg in first
            .into_iter()
            .chain(std::iter::from_fn(|| rx.try_recv().ok()))
        {
            match msg {
                Msg::Input(Event::Key(k)) if k.kind != event::KeyEventKind::Release => {
                    app.on_key(k)
                }
                Msg::Input(Event::Mouse(m)) => app.on_mouse(m, drawn.list_top, drawn.list_bottom),
                Msg::Input(_) if broken.is_some() => {}
                Msg::Input(Event::Paste(text)) => app.on_paste(&text),
                Msg::InputFailed(e) => {
                    if broken.is_none() {
                        broken = Some(Error::Terminal {
                            doing: "reading the terminal",
                            source: e,
                        });
                    }
                }
                // Resizes and anything else: just redraw.
                Msg::Input(_) => {}
                other => app.on_msg(other),
            }
            dirty = true;
        }
        if last_look.elapsed() >= OUTSIDE_CHANGES {
            last_look = Instant::now();
            let _ = reader.requests.send(Request::Refresh);
        }
        if last_lock.elapsed() >= LOCK_REFRESH {
            last_lock = Instant::now();
            let _ = reader.requests.send(Request::LockStatus);
            if app.mode == Mode::Inspector {
                let _ = reader.requests.send(Request::LockStats);
            }
            // The notice and "held for" figures change with time.
            dirty = true;
        }
        app.flush_draft(DRAFT_DEBOUNCE);
        if let Some(every) = auto_sync
            && last_sync.elapsed() >= every
            && !app.syncing
            && app.quit_plan.is_none()
        {
            last_sync = Instant::now();
            app.start_sync();
        }
    }
    // What was asked of the reader is done first (a draft written or deleted a moment ago),
    // then whatever is typed and unsaved goes to disk, after any older write of it.
    for effect in app.effects.drain(..) {
        if let Effect::Request(r @ (Request::SaveDraft(..) | Request::DiscardDraft(_))) = effect {
            let _ = reader.requests.send(r);
        }
    }
    if !reader.finish(WIND_DOWN) {
        log::warn!("the reader was still busy on leaving; a draft write may not have landed");
    }
    if let Some(form) = &app.compose
        && form.changed
    {
        let _ = Drafts::for_store(&store).save(&form.id, &form.draft());
    }
    if app.busy() {
        log::warn!("left with a save or a sync still running");
    }
    match broken {
        Some(e) => Err(e),
        // Set only when a save or a sync ended after the user asked to leave.
        None => Ok(app.farewell.take()),
    }
}

/// `e`: suspend, open the file in the user's editor, come back, and commit a change.
/// What `e` opens: a learning's file, and the configured editor if any.
struct EditTarget<'a> {
    id: i64,
    rel: &'a str,
    editor: Option<&'a str>,
}

fn edit(
    terminal: &mut Term,
    store: &Store,
    lock: &LockOptions,
    app: &mut App,
    target: EditTarget<'_>,
    tx: Sender<Msg>,
) {
    let EditTarget {
        id,
        rel,
        editor: configured,
    } = target;
    let Some(abs) = lore::index::resolve_inside(store.root(), rel) else {
        app.notify("this entry's path leads outside the store; not opening it");
        return;
    };
    if !abs.is_file() {
        app.notify(format!(
            "{} is missing; nothing to edit",
            lore::sanitize::display_line(rel)
        ));
        return;
    }
    let editor = lore::editor::for_store(store, configured);
    restore();
    let status = lore::editor::command(&editor, &abs).status();
    let _ = enable_raw_mode();
    let _ = take_terminal();
    let _ = terminal.clear();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            app.notify(format!("the editor exited with {s}; nothing committed"));
            return;
        }
        Err(e) => {
            app.notify(format!("could not start the editor `{editor}`: {e}"));
            return;
        }
    }
    app.committing_edit = true;
    jobs::start(Job::CommitEdit { id }, store.clone(), lock.clone(), tx);
}
