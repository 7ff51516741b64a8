//! `--verbose` / `RUST_LOG`: a log file in the platform state directory
//! (`~/.local/state/lore/lore.log` on Linux), never the terminal (the browser owns it).
//!
//! `RUST_LOG` takes env_logger's directives (`debug`, `lore::lock=trace`,
//! `info,lore::git=debug`). The file is kept under [`MAX_SIZE`]: past it, the next process to
//! log moves it to `lore.log.1` (replacing the one before) and starts a new one.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

/// Past this, the log is moved aside when a process starts logging.
pub const MAX_SIZE: u64 = 8 * 1024 * 1024;

struct FileLog {
    file: Mutex<std::fs::File>,
    filter: env_filter::Filter,
}

impl log::Log for FileLog {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        self.filter.enabled(meta)
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.filter.matches(record) {
            return;
        }
        let line = format!(
            "{} {} pid {} {}: {}\n",
            lore::index::now_timestamp(),
            record.level(),
            std::process::id(),
            record.target(),
            lore::sanitize::display_line(&record.args().to_string())
        );
        if let Ok(mut f) = self.file.lock() {
            let _ = f.write_all(line.as_bytes());
        }
    }

    fn flush(&self) {}
}

/// Where the log goes.
pub fn path() -> Option<std::path::PathBuf> {
    let dirs = directories::ProjectDirs::from("", "", "lore")?;
    let dir = dirs.state_dir().unwrap_or(dirs.data_local_dir());
    Some(dir.join("lore.log"))
}

/// Starts logging when `--verbose` (info, `-vv` debug, `-vvv` trace, for every module) or
/// `RUST_LOG` asks for it.
pub fn init(verbose: u8) {
    let mut builder = env_filter::Builder::new();
    match verbose {
        0 => {
            let Some(spec) = std::env::var("RUST_LOG")
                .ok()
                .filter(|s| !s.trim().is_empty())
            else {
                return;
            };
            if let Err(e) = builder.try_parse(&spec) {
                eprintln!(
                    "lore: warning: RUST_LOG: {}; it takes levels and module=level pairs (info,lore::lock=trace); nothing is logged",
                    lore::sanitize::display_line(&e.to_string())
                );
                return;
            }
        }
        1 => {
            builder.filter_level(log::LevelFilter::Info);
        }
        2 => {
            builder.filter_level(log::LevelFilter::Debug);
        }
        _ => {
            builder.filter_level(log::LevelFilter::Trace);
        }
    }
    let filter = builder.build();
    if filter.filter() == log::LevelFilter::Off {
        return;
    }
    let Some(path) = path() else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    rotate(&path);
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
    else {
        return;
    };
    let level = filter.filter();
    if log::set_boxed_logger(Box::new(FileLog {
        file: Mutex::new(file),
        filter,
    }))
    .is_ok()
    {
        log::set_max_level(level);
    }
}

/// Moves a log past [`MAX_SIZE`] to `lore.log.1`. Two processes doing so at once lose at most
/// the lines of the older file (one rename wins); the log is for diagnosis, never for data.
fn rotate(path: &Path) {
    if std::fs::metadata(path).is_ok_and(|m| m.len() > MAX_SIZE) {
        let _ = std::fs::rename(path, path.with_extension("log.1"));
    }
}
