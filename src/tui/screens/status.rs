//! The status line, the save gauge and the lock's words in them.

use std::time::Duration;

use lore::config::Action;
use lore::error::fmt_duration;
use lore::lock::Holder;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};

use crate::tui::app::{App, Mode, SaveState};
use crate::tui::style::{fg, keep_end};
use unicode_width::UnicodeWidthStr;

pub(crate) fn holder_text(h: &Holder) -> String {
    let mut s = h.describe();
    if let Some(d) = h.held_for() {
        s.push_str(&format!(", for {}", fmt_duration(d)));
    }
    s
}

/// `pid 4242 (lore record --title …) on h`, the whole command: the line wraps rather than cut
/// a path in the middle.
pub(crate) fn short_holder(h: &Holder) -> String {
    format!(
        "pid {} ({}) on {}",
        h.pid,
        display_line(&h.command),
        display_line(&h.host)
    )
}

/// The words beside the gauge of a save that waits for the lock.
fn waiting_label(holder: &Option<Holder>, waited: Duration, timeout: Duration) -> String {
    format!(
        "Esc cancels · waited {} of {} for the lock, held by {}",
        fmt_duration(waited),
        fmt_duration(timeout),
        holder
            .as_ref()
            .map(short_holder)
            .unwrap_or_else(|| "another process".into()),
    )
}

/// Width of the gauge of a waiting save, and of the gap after it.
const GAUGE: u16 = 18 + 1;

/// Rows for the save's progress at `width`: none when no save runs, otherwise as many as its
/// words take wrapped (at most four).
pub(crate) fn save_height(app: &App, width: u16) -> u16 {
    let lines = |text: &str, w: u16| {
        let n = Paragraph::new(text.to_string())
            .wrap(Wrap { trim: true })
            .line_count(w.max(1));
        (n as u16).clamp(1, 4)
    };
    match &app.save {
        SaveState::Idle => 0,
        SaveState::Failed(msg) => lines(&display_line(msg), width),
        SaveState::Waiting {
            holder,
            waited,
            timeout,
        } => lines(
            &waiting_label(holder, *waited, *timeout),
            width.saturating_sub(GAUGE),
        ),
        _ => 1,
    }
}

pub(crate) fn draw_save(f: &mut Frame, app: &App, area: Rect) {
    match &app.save {
        SaveState::Waiting {
            holder,
            waited,
            timeout,
        } => {
            let ratio = (waited.as_secs_f64() / timeout.as_secs_f64().max(0.001)).clamp(0.0, 1.0);
            let label = waiting_label(holder, *waited, *timeout);
            // A short bar (how much of the timeout is used), then the words beside it, so
            // the text never sits on the bar's colour.
            let parts = Layout::default()
                .direction(Direction::Horizontal)
                .constraints([
                    Constraint::Length(GAUGE - 1),
                    Constraint::Length(1),
                    Constraint::Min(10),
                ])
                .split(area);
            let gauge = Gauge::default()
                .gauge_style(fg(app, Color::Yellow))
                .ratio(ratio)
                .label(format!("{:.0}%", ratio * 100.0));
            f.render_widget(
                gauge,
                Rect {
                    height: 1,
                    ..parts[0]
                },
            );
            f.render_widget(
                Paragraph::new(Span::styled(
                    label,
                    Style::default().add_modifier(Modifier::BOLD),
                ))
                .wrap(Wrap { trim: true }),
                parts[2],
            );
        }
        SaveState::Starting => {
            f.render_widget(Paragraph::new("saving: taking the store lock…"), area)
        }
        SaveState::Writing => f.render_widget(
            Paragraph::new("saving: writing the file and the index…"),
            area,
        ),
        SaveState::Committing => f.render_widget(Paragraph::new("saving: committing…"), area),
        SaveState::Hook(hook) => f.render_widget(
            Paragraph::new(format!(
                "saving: running git's {} hook…",
                display_line(hook)
            )),
            area,
        ),
        SaveState::Failed(msg) => f.render_widget(
            Paragraph::new(Span::styled(
                display_line(msg),
                fg(app, Color::Red).add_modifier(Modifier::BOLD),
            ))
            .wrap(Wrap { trim: true }),
            area,
        ),
        SaveState::Idle => {}
    }
}

pub(crate) fn lock_text(app: &App) -> (String, Style) {
    match &app.lock {
        None => ("lock: ?".into(), Style::default()),
        Some(st) if st.state == "free" => ("lock: free".into(), fg(app, Color::Green)),
        Some(st) => {
            let who = st
                .holder
                .as_ref()
                .map(|h| format!("pid {} on {}", h.pid, display_line(&h.host)))
                .unwrap_or_else(|| "unknown".into());
            let since = st
                .holder
                .as_ref()
                .and_then(|h| Some((h.since_ms?, h.held_for()?)))
                .map(|(ms, d)| {
                    format!(
                        " since {} ({})",
                        lore::lock::local_clock(ms),
                        fmt_duration(d)
                    )
                })
                .unwrap_or_default();
            (
                format!("lock: {} by {who}{since}", st.state),
                fg(app, Color::Yellow).add_modifier(Modifier::BOLD),
            )
        }
    }
}

/// The notice on show, if any (each lasts five seconds).
fn notice(app: &App) -> Option<String> {
    app.notice
        .as_ref()
        .filter(|(_, at)| at.elapsed().as_secs() < 5)
        .map(|(text, _)| display_line(text))
}

/// The status line's height at `width`: one line, or up to three for a notice that is longer
/// (sync's advice, a validation message), which is wrapped rather than cut.
pub(crate) fn status_height(app: &App, width: u16) -> u16 {
    notice(app).map_or(1, |text| {
        let lines = Paragraph::new(text)
            .wrap(Wrap { trim: true })
            .line_count(width.max(1));
        (lines as u16).clamp(1, 3)
    })
}

pub(crate) fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    if let Some(text) = notice(app) {
        f.render_widget(
            Paragraph::new(Span::styled(text, fg(app, app.accent))).wrap(Wrap { trim: true }),
            area,
        );
        return;
    }
    f.render_widget(Paragraph::new(status_line(app, area.width)), area);
}

/// The position, the lock and the keys, fitted to `width`: the keys that lead to everything
/// else (`? help`, `q quit`) are always there, the others as room allows, and the store's
/// path takes what is left, cut from its start.
fn status_line(app: &App, width: u16) -> Line<'static> {
    let total = if app.broad_search() {
        format!("{}+", lore::index::RANKED_MATCHES)
    } else {
        app.list.total.to_string()
    };
    let shown = if app.list.rows.is_empty() {
        format!("0/{total}")
    } else {
        format!("{}/{total}", app.list.position() + 1)
    };
    let (lock, lock_style) = lock_text(app);
    let hint = |a: Action| format!("{} {}", app.keys.key(a), a.name());
    // (hint, always shown)
    let hints: Vec<(String, bool)> = match app.mode {
        Mode::Search => ["type to search", "Enter list", "Esc clear"]
            .map(|h| (h.to_string(), true))
            .to_vec(),
        Mode::Compose => ["Tab next", "Ctrl-S save", "Esc close"]
            .map(|h| (h.to_string(), true))
            .to_vec(),
        // Most used first: where room runs out, the rest give way from the end.
        _ => [
            Action::Search,
            Action::New,
            Action::Filter,
            Action::Edit,
            Action::Sync,
            Action::Copy,
            Action::Sort,
            Action::Lock,
            Action::Help,
            Action::Quit,
        ]
        .iter()
        .map(|&a| (hint(a), matches!(a, Action::Help | Action::Quit)))
        .collect(),
    };
    let width = usize::from(width);
    let path = display_line(&app.store_path);
    // The store's path keeps a few cells (its end names the store) before the optional keys.
    let reserve = (path.width() + 2).min(18);
    let fixed = format!("· {shown} · ").width() + lock.width();
    let cells = |h: &str| h.width() + 3; // " · " before each
    let (always, optional): (Vec<_>, Vec<_>) = hints.iter().partition(|(_, always)| *always);
    let mut used = fixed + reserve + always.iter().map(|(h, _)| cells(h)).sum::<usize>();
    // The others in order, as long as each fits beside what is kept; the ones always shown
    // come last, where the eye finds them.
    let mut kept: Vec<&str> = Vec::new();
    for (h, _) in optional {
        if used + cells(h) > width {
            break;
        }
        used += cells(h);
        kept.push(h);
    }
    kept.extend(always.iter().map(|(h, _)| h.as_str()));
    let hints_text: String = kept.iter().map(|h| format!(" · {h}")).collect();
    let room = width.saturating_sub(fixed + hints_text.width() + 2);
    let store = if room >= 8 {
        format!(" {} ", keep_end(&path, room))
    } else {
        String::new()
    };
    Line::from(vec![
        Span::styled(store, fg(app, Color::DarkGray)),
        Span::raw(format!("· {shown} · ")),
        Span::styled(lock, lock_style),
        Span::styled(hints_text, fg(app, Color::DarkGray)),
    ])
}
