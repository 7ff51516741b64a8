//! The lock inspector: who holds the store lock and who waits, and the acquisition log's
//! figures.

use lore::error::fmt_duration;
use lore::sanitize::display_line;
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Sparkline};

use crate::tui::app::{App, SaveState};
use crate::tui::screens::status::{holder_text, lock_text};
use crate::tui::style::{centered, fg};

/// Milliseconds from `lock_events` as a short duration (`12 ms`, `8 s`).
pub(crate) fn ms(n: i64) -> String {
    fmt_duration(std::time::Duration::from_millis(n.max(0) as u64))
}

pub(crate) fn draw_inspector(f: &mut Frame, app: &App, area: Rect) {
    let r = centered(
        area,
        area.width.saturating_sub(4).min(110),
        area.height.saturating_sub(2),
    );
    f.render_widget(Clear, r);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(" lock inspector — Esc closes ");
    let inner = block.inner(r);
    f.render_widget(block, r);
    let parts = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Length(4),
            Constraint::Length(5),
            Constraint::Min(3),
        ])
        .split(inner);

    // Live state.
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
    f.render_widget(Paragraph::new(live), parts[0]);

    let Some(stats) = &app.stats else {
        f.render_widget(Paragraph::new("reading lock_events…"), parts[1]);
        return;
    };
    // Wait times of recent acquisitions, oldest left.
    let waits: Vec<u64> = stats
        .recent
        .iter()
        .rev()
        .map(|e| e.waited_ms.max(0) as u64)
        .collect();
    let max_wait = waits.iter().copied().max().unwrap_or(0);
    let spark = Sparkline::default()
        .block(Block::default().borders(Borders::TOP).title(format!(
            " wait per acquisition, last {} (max {} ms) ",
            waits.len(),
            max_wait
        )))
        .data(&waits)
        .style(fg(app, Color::Yellow));
    f.render_widget(spark, parts[1]);

    // Three columns where they fit; on a narrow terminal the two short lists go below the
    // recent acquisitions, side by side, rather than being squeezed to a few letters.
    let cols: Vec<Rect> = if parts[2].width >= 100 {
        Layout::default()
            .direction(Direction::Horizontal)
            .spacing(2)
            .constraints([
                Constraint::Min(60),
                Constraint::Percentage(22),
                Constraint::Percentage(26),
            ])
            .split(parts[2])
            .to_vec()
    } else {
        let rows = Layout::default()
            .direction(Direction::Vertical)
            .constraints([Constraint::Min(3), Constraint::Length(4)])
            .split(parts[2]);
        let below = Layout::default()
            .direction(Direction::Horizontal)
            .spacing(2)
            .constraints([Constraint::Percentage(50), Constraint::Percentage(50)])
            .split(rows[1]);
        vec![rows[0], below[0], below[1]]
    };
    let recent: Vec<Line> = stats
        .recent
        .iter()
        .take(cols[0].height.saturating_sub(1) as usize)
        .map(|e| {
            // Compact durations, and the outcome before the widths that vary, so a narrow
            // column cuts nothing that matters.
            Line::from(format!(
                "{} {:<7} {:<9} {:<6} wait {:>6} hold {}",
                e.at.get(11..19).unwrap_or(&e.at),
                e.pid,
                display_line(&e.outcome),
                display_line(&e.operation),
                ms(e.waited_ms),
                e.held_ms.map(ms).unwrap_or_else(|| "-".into()),
            ))
        })
        .collect();
    f.render_widget(
        Paragraph::new(recent).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" recent acquisitions "),
        ),
        cols[0],
    );
    let timeouts: Vec<Line> = if stats.timeouts_per_day.is_empty() {
        vec![Line::from("none")]
    } else {
        let max = stats
            .timeouts_per_day
            .iter()
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(1)
            .max(1);
        stats
            .timeouts_per_day
            .iter()
            .map(|(day, n)| {
                let bar = "█".repeat(((*n * 10) / max).max(1) as usize);
                Line::from(format!("{} {bar} {n}", day.get(5..).unwrap_or(day)))
            })
            .collect()
    };
    f.render_widget(
        Paragraph::new(timeouts).block(
            Block::default()
                .borders(Borders::TOP)
                .title(" timeouts per day "),
        ),
        cols[1],
    );
    let holds: Vec<Line> = stats
        .longest_holds
        .iter()
        .map(|e| {
            // Left-aligned: a narrow column cuts the end of the line, never digits of the time.
            Line::from(format!(
                "{} {} {}",
                ms(e.held_ms.unwrap_or(0)),
                display_line(&e.operation),
                e.pid
            ))
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
