//! The input thread: reads terminal events and forwards them on the same channel as the
//! workers' messages, so the UI thread sleeps until *anything* happens and reacts at once
//! (polling both with a timeout cost up to a frame of latency per step).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Sender;
use std::time::{Duration, Instant};

use crossterm::event;

use super::msg::Msg;

pub struct Input {
    paused: Arc<AtomicBool>,
    idle: Arc<AtomicBool>,
}

pub fn spawn(tx: Sender<Msg>) -> Input {
    let paused = Arc::new(AtomicBool::new(false));
    let idle = Arc::new(AtomicBool::new(false));
    let (p, i) = (paused.clone(), idle.clone());
    let _ = std::thread::Builder::new()
        .name("lore-input".into())
        .spawn(move || {
            loop {
                if p.load(Ordering::Acquire) {
                    i.store(true, Ordering::Release);
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                }
                i.store(false, Ordering::Release);
                match event::poll(Duration::from_millis(50)) {
                    // Paused meanwhile: leave the event for whoever owns the terminal now.
                    Ok(true) if p.load(Ordering::Acquire) => {}
                    Ok(true) => {
                        let msg = match event::read() {
                            Ok(ev) => Msg::Input(ev),
                            Err(e) => Msg::InputFailed(e),
                        };
                        if tx.send(msg).is_err() {
                            return;
                        }
                    }
                    Ok(false) => {}
                    Err(e) => {
                        let _ = tx.send(Msg::InputFailed(e));
                        return;
                    }
                }
            }
        });
    Input { paused, idle }
}

impl Input {
    /// Stops reading the terminal (for an external editor) and waits until the thread is idle.
    pub fn pause(&self) {
        self.paused.store(true, Ordering::Release);
        let start = Instant::now();
        while !self.idle.load(Ordering::Acquire) && start.elapsed() < Duration::from_millis(200) {
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    pub fn resume(&self) {
        self.paused.store(false, Ordering::Release);
    }
}
