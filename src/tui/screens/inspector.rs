//! The lock inspector: who holds the store lock and who waits, and the acquisition log's
//! figures, on the whole screen (above the status line): the wait of every recent acquisition
//! charted across the full width with a scale, then the acquisitions themselves by when they
//! began, the timeouts per day and the longest holds, every time in local time and every
//! duration in words (`2.3 s`, `800 ms`).

use lore::error::fmt_duration;
use lore::index::LockEventView;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use crate::tui::app::{App, SaveState};
use crate::tui::screens::status::{holder_text, lock_text};
use crate::tui::style::{fg, fit};

/// Milliseconds from `lock_events` as a short duration (`12 ms`, `8 s`).
pub(crate) fn ms(n: i64) -> String {
    fmt_duration(std::time::Duration::from_millis(n.max(0) as u64))
}

/// A time `lock_events` holds (UTC, `YYYY-MM-DD HH:MM:SS`) in the browser's time zone: the
/// clock time alone for `today` (a `YYYY-MM-DD` there), the date too for other days.
fn local(at: &str, tz: &jiff::tz::TimeZone, today: &str) -> String {
    let parsed = at
        .parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| jiff::tz::TimeZone::UTC.to_timestamp(dt).ok())
        .map(|ts| ts.to_zoned_datetime(tz.clone()));
    match parsed {
        Some(z) if z.strftime("%Y-%m-%d").to_string() == today => {
            z.strftime("%H:%M:%S").to_string()
        }
        Some(z) => z.strftime("%m-%d %H:%M:%S").to_string(),
        None => display_line(at),
    }
}

/// The eighths of a cell a bar's top can fill.
const EIGHTHS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` as bars `height` rows tall across `width` columns: each column the largest value
/// of the acquisitions that fall in it (stretched when there are fewer than columns), scaled
/// to `max`. Returns the rows, top first.
fn bars(values: &[u64], width: usize, height: usize, max: u64) -> Vec<String> {
    let n = values.len();
    let columns: Vec<u64> = (0..width)
        .map(|x| {
            let (from, to) = (x * n / width, ((x + 1) * n / width).max(x * n / width + 1));
            values[from.min(n - 1)..to.min(n)]
                .iter()
                .copied()
                .max()
                .unwrap_or(0)
        })
        .collect();
    let max = max.max(1);
    (0..height)
        .map(|row| {
            // Eighths of the chart below this row's bottom, and in it.
            let below = (height - 1 - row) * 8;
            columns
                .iter()
                .map(|&v| {
                    let filled = (v * (height as u64) * 8).div_ceil(max) as usize;
                    EIGHTHS[filled.saturating_sub(below).min(8)]
                })
                .collect()
        })
        .collect()
}

pub(crate) fn draw_inspector(f: &mut Frame, app: &App, area: Rect) {
    // The whole screen but the status line: nothing of the panes below shows at its edges.
    let r = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" lock inspector — Esc closes ");
    let inner = block.inner(r);
    f.render_widget(block, r);
    let chart_h = if inner.height >= 24 { 8 } else { 5 };
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(4),
            Constraint::Length(chart_h),
            Constraint::Min(3),
        ])
        .split(inner);
    draw_live(f, app, parts[0]);
    let Some(stats) = &app.stats else {
        f.render_widget(Paragraph::new("reading lock_events…"), parts[1]);
        return;
    };
    draw_waits(f, app, &stats.recent, parts[1]);

    // Three columns where they fit; on a narrow terminal the two short lists go below the
    // recent acquisitions, side by side, rather than being squeezed to a few letters.
    let cols: Vec<Rect> = if parts[2].width >= 110 {
        Layout::default()
            .direction(Direction::Horizontal)
            .spacing(2)
            .constraints([
                Constraint::Min(62),
                Constraint::Percentage(18),
                Constraint::Percentage(30),
            ])
            .split(parts[2])
            .to_vec()
    } else {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(3), Constraint::Length(5)])
            .split(parts[2]);
        let below = Layout::default()
            .direction(Direction::Horizontal)
            .spacing(2)
            .constraints([Constraint::Percentage(45), Constraint::Percentage(55)])
            .split(rows[1]);
        vec![rows[0], below[0], below[1]]
    };
    let today = jiff::Timestamp::now()
        .to_zoned_datetime(app.tz.clone())
        .strftime("%Y-%m-%d")
        .to_string();
    draw_recent(f, app, &stats.recent, &today, cols[0]);
    draw_timeouts(f, app, &stats.timeouts_per_day, cols[1]);
    let holds: Vec<Line> = stats
        .longest_holds
        .iter()
        .map(|e| {
            // The duration first: a narrow column cuts the end of the line, never the figure.
            Line::from(vec![
                Span::styled(
                    format!("{:>7}", ms(e.held_ms.unwrap_or(0))),
                    Style::default().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!(
                    " {} pid {} at {}",
                    display_line(&e.operation),
                    e.pid,
                    local(&e.at, &app.tz, &today),
                )),
            ])
        })
        .collect();
    f.render_widget(
        Paragraph::new(holds).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" longest holds "),
        ),
        cols[2],
    );
}

fn draw_live(f: &mut Frame, app: &App, area: Rect) {
    let mut live = Vec::new();
    match &app.lock {
        Some(st) => {
            let (text, style) = lock_text(app);
            live.push(Line::from(Span::styled(text, style)));
            if let Some(h) = &st.holder {
                live.push(Line::from(format!("holder: {}", holder_text(h))));
                live.push(Line::from(format!(
                    "stale: {}",
                    match st.liveness {
                        Some(lore::lock::Liveness::Dead) =>
                            "yes — the holder is gone; the next save removes it",
                        Some(lore::lock::Liveness::Unknown) =>
                            "cannot tell (another host, or no record)",
                        _ => "no",
                    }
                )));
            } else if let Some(n) = &st.note {
                live.push(Line::from(display_line(n)));
            }
        }
        None => live.push(Line::from("lock: reading…")),
    }
    if let SaveState::Waiting {
        waited, timeout, ..
    } = &app.save
    {
        live.push(Line::from(Span::styled(
            format!(
                "this process: waiting {} of {}",
                fmt_duration(*waited),
                fmt_duration(*timeout)
            ),
            fg(app, Color::Yellow),
        )));
    }
    // A long holder command wraps onto the lines below rather than being cut.
    f.render_widget(Paragraph::new(live).wrap(Wrap { trim: false }), area);
}

/// The wait of each recent acquisition, oldest left, with the scale at the left and the time
/// axis below.
fn draw_waits(f: &mut Frame, app: &App, recent: &[LockEventView], area: Rect) {
    let waits: Vec<u64> = recent
        .iter()
        .rev()
        .map(|e| e.waited_ms.max(0) as u64)
        .collect();
    let block = Block::default().borders(Borders::TOP).title(format!(
        " wait for the lock, each of the last {} acquisitions ",
        waits.len()
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if waits.is_empty() {
        f.render_widget(Paragraph::new("no acquisition logged yet"), inner);
        return;
    }
    let max = waits.iter().copied().max().unwrap_or(0);
    let top = ms(max as i64);
    let scale_w = top.width().max(4) + 1;
    let height = usize::from(inner.height.saturating_sub(1)).max(1);
    let width = usize::from(inner.width).saturating_sub(scale_w + 1).max(1);
    let dim = fg(app, Color::DarkGray);
    let mut lines: Vec<Line> = bars(&waits, width, height, max)
        .into_iter()
        .enumerate()
        .map(|(row, bar)| {
            let label = match row {
                0 => top.clone(),
                r if r + 1 == height => "0".to_string(),
                _ => String::new(),
            };
            Line::from(vec![
                Span::styled(format!("{label:>w$}│", w = scale_w), dim),
                Span::styled(bar, fg(app, Color::Yellow)),
            ])
        })
        .collect();
    let oldest = "← oldest";
    let newest = "newest →";
    let gap = width.saturating_sub(oldest.width() + newest.width());
    lines.push(Line::from(Span::styled(
        format!(
            "{}└{oldest}{}{newest}",
            " ".repeat(scale_w),
            " ".repeat(gap)
        ),
        dim,
    )));
    f.render_widget(Paragraph::new(lines), inner);
}

fn draw_recent(f: &mut Frame, app: &App, recent: &[LockEventView], today: &str, area: Rect) {
    let width = usize::from(area.width);
    let mut lines = vec![Line::from(Span::styled(
        fit(
            "asked at        pid      outcome   operation   waited    held",
            width,
        ),
        fg(app, Color::DarkGray),
    ))];
    lines.extend(
        recent
            .iter()
            .take(usize::from(area.height.saturating_sub(2)))
            .map(|e| {
                // The outcome before the widths that vary, so a narrow column cuts nothing
                // that matters.
                Line::from(fit(
                    &format!(
                        "{:<15} {:<8} {:<9} {:<11} {:>7} {:>7}",
                        local(&e.at, &app.tz, today),
                        e.pid,
                        display_line(&e.outcome),
                        display_line(&e.operation),
                        ms(e.waited_ms),
                        e.held_ms.map(ms).unwrap_or_else(|| "-".into()),
                    ),
                    width,
                ))
            }),
    );
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" recent acquisitions, newest first "),
        ),
        area,
    );
}

fn draw_timeouts(f: &mut Frame, app: &App, per_day: &[(String, u64)], area: Rect) {
    let lines: Vec<Line> = if per_day.is_empty() {
        vec![Line::from("none")]
    } else {
        let max = per_day.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
        let label_w = per_day
            .iter()
            .map(|(_, n)| n.to_string().len())
            .max()
            .unwrap_or(1);
        // The bars share what is left of the column after the day and the count.
        let room = usize::from(area.width)
            .saturating_sub(6 + 1 + 1 + label_w)
            .max(1) as u64;
        per_day
            .iter()
            .map(|(day, n)| {
                let bar = "█".repeat(((*n * room) / max).max(1) as usize);
                Line::from(vec![
                    Span::raw(format!("{} ", day.get(5..).unwrap_or(day))),
                    Span::styled(bar, fg(app, Color::Red)),
                    Span::raw(format!(" {n}")),
                ])
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" timeouts per day "),
        ),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::bars;

    #[test]
    fn bars_stretch_a_few_values_across_the_width_and_scale_to_the_largest() {
        let rows = bars(&[0, 50, 100], 6, 2, 100);
        assert_eq!(rows, ["    ██", "  ████"]);
        // More values than columns: each column shows the largest of its values.
        let rows = bars(&[1, 100, 1, 1], 2, 1, 100);
        assert_eq!(rows, ["█▁"]);
        let empty_scale = bars(&[0, 0], 2, 1, 0);
        assert_eq!(empty_scale, ["  "]);
    }
}
