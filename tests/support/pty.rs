//! A program run in a pseudo-terminal as a user runs it, its screen read back through a
//! terminal emulator (vt100): the browser, and the commands that ask on a terminal.

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use portable_pty::{CommandBuilder, PtySize, native_pty_system};

use super::{LORE, TestStore};

/// lore in a 120×35 pseudo-terminal.
pub struct Tui {
    pub child: Box<dyn portable_pty::Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    parser: Arc<Mutex<vt100::Parser>>,
    pub raw: Arc<Mutex<Vec<u8>>>,
    _pair: portable_pty::PtyPair,
}

impl Tui {
    pub fn start(store: &TestStore, args: &[&str], env: &[(&str, &str)]) -> Tui {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows: 35,
                cols: 120,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(LORE);
        cmd.arg("--store");
        cmd.arg(store.root());
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env("LORE_CONFIG", "/nonexistent/lore/config.toml");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pair.slave.spawn_command(cmd).unwrap();
        let mut reader = pair.master.try_clone_reader().unwrap();
        let writer = pair.master.take_writer().unwrap();
        let parser = Arc::new(Mutex::new(vt100::Parser::new(35, 120, 0)));
        let raw = Arc::new(Mutex::new(Vec::new()));
        let (p, r) = (parser.clone(), raw.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                p.lock().unwrap().process(&buf[..n]);
                r.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Tui {
            child,
            writer,
            parser,
            raw,
            _pair: pair,
        }
    }

    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Waits until `text` is on the screen, on one row or wrapped over several.
    pub fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) || flat(&screen).contains(text) {
                // A frame may arrive in several reads: let it finish before reading it.
                std::thread::sleep(Duration::from_millis(100));
                return self.screen();
            }
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "`{text}` never appeared; screen:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn keys(&mut self, bytes: &str) {
        self.writer.write_all(bytes.as_bytes()).unwrap();
        self.writer.flush().unwrap();
        // Let crossterm read each burst as what it is (a lone Esc needs a pause after it).
        std::thread::sleep(Duration::from_millis(120));
    }

    pub fn wait_exit(&mut self) -> portable_pty::ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                return s;
            }
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "lore did not exit"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The terminal was handed back: alternate screen left, mouse reporting off. The reader
    /// thread may still be draining the terminal when the process has exited (on a loaded
    /// machine), so the bytes are waited for, up to 5 s.
    pub fn assert_restored(&self) {
        let start = Instant::now();
        loop {
            let raw = String::from_utf8_lossy(&self.raw.lock().unwrap()).into_owned();
            let (left, mouse_off) = (raw.contains("\u{1b}[?1049l"), raw.contains("\u{1b}[?1000l"));
            if left && mouse_off {
                return;
            }
            if start.elapsed() > Duration::from_secs(5) {
                assert!(left, "alternate screen not left");
                assert!(mouse_off, "mouse capture not disabled");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The screen's text with its whitespace folded, for text that wraps over rows.
pub fn flat(screen: &str) -> String {
    screen.split_whitespace().collect::<Vec<_>>().join(" ")
}
