//! `--verbose` / `RUST_LOG`: a log file in the platform state directory
//! (`~/.local/state/lore/lore.log` on Linux), never the terminal (the browser owns it).

use std::io::Write;
use std::sync::Mutex;

struct FileLog {
    file: Mutex<std::fs::File>,
    level: log::LevelFilter,
}

impl log::Log for FileLog {
    fn enabled(&self, meta: &log::Metadata<'_>) -> bool {
        meta.level() <= self.level
    }

    fn log(&self, record: &log::Record<'_>) {
        if !self.enabled(record.metadata()) {
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

/// Starts logging when `--verbose` (info, `-vv` debug, `-vvv` trace) or `RUST_LOG` asks for it.
pub fn init(verbose: u8) {
    let from_env = std::env::var("RUST_LOG")
        .ok()
        .and_then(|v| v.trim().parse::<log::LevelFilter>().ok());
    let level = match (verbose, from_env) {
        (0, None) => return,
        (0, Some(l)) => l,
        (1, _) => log::LevelFilter::Info,
        (2, _) => log::LevelFilter::Debug,
        _ => log::LevelFilter::Trace,
    };
    let Some(path) = path() else { return };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    use std::os::unix::fs::OpenOptionsExt;
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(&path)
    else {
        return;
    };
    if log::set_boxed_logger(Box::new(FileLog {
        file: Mutex::new(file),
        level,
    }))
    .is_ok()
    {
        log::set_max_level(level);
    }
}
