//! The status line, the save gauge and the lock's words in them.

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
use crate::tui::style::fg;

pub(crate) fn holder_text(h: &Holder) -> String {
    let mut s = h.describe();
    if let Some(d) = h.held_for() {
        s.push_str(&format!(", for {}", fmt_duration(d)));
    }
    s
}

/// `pid 4242 (lore record) on h`: what fits in a status line.
pub(crate) fn short_holder(h: &Holder) -> String {
    let cmd: String = display_line(&h.command).chars().take(28).collect();
    format!("pid {} ({cmd}) on {}", h.pid, display_line(&h.host))
}

pub(crate) fn draw_save(f: &mut Frame, app: &App, area: Rect) {
    match &app.save {
        SaveState::Waiting {
            holder,
            waited,
            timeout,
        } => {
            let ratio = (waited.as_secs_f64() / timeout.as_secs_f64().max(0.001)).clamp(0.0, 1.0);
            let label = format!(
                "Esc cancels · waited {} of {} for the lock, held by {}",
                fmt_duration(*waited),
                fmt_duration(*timeout),
                holder
                    .as_ref()
                    .map(short_holder)
                    .unwrap_or_else(|| "another process".into()),
            );
            // A short bar (how much of the timeout is used), then the words beside it, so
            // the text never sits on the bar's colour.
            let parts = Layout::default()
                .direction(Direction::Horizontal)
                .constraints([
                    Constraint::Length(18),
                    Constraint::Length(1),
                    Constraint::Min(10),
                ])
                .split(area);
            let gauge = Gauge::default()
                .gauge_style(fg(app, Color::Yellow))
                .ratio(ratio)
                .label(format!("{:.0}%", ratio * 100.0));
            f.render_widget(gauge, parts[0]);
            f.render_widget(
                Paragraph::new(Span::styled(
                    label,
                    Style::default().add_modifier(Modifier::BOLD),
                )),
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

pub(crate) fn draw_status(f: &mut Frame, app: &App, area: Rect) {
    if let Some((text, at)) = &app.notice
        && at.elapsed().as_secs() < 5
    {
        f.render_widget(
            Paragraph::new(Span::styled(display_line(text), fg(app, app.accent))),
            area,
        );
        return;
    }
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
    let hints = Action::ALL
        .map(|a| format!("{} {}", app.keys.key(a), a.name()))
        .join(" · ");
    let hints = match app.mode {
        Mode::Search => "type to search · Enter list · Esc clear",
        Mode::Compose => "Tab next · Ctrl-S save · Esc close",
        _ => hints.as_str(),
    };
    let line = Line::from(vec![
        Span::styled(
            format!(" {} ", display_line(&app.store_path)),
            fg(app, Color::DarkGray),
        ),
        Span::raw(format!("· {shown} · ")),
        Span::styled(lock, lock_style),
        Span::styled(format!(" · {hints}"), fg(app, Color::DarkGray)),
    ]);
    f.render_widget(Paragraph::new(line), area);
}
