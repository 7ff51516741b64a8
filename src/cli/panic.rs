//! What a panic (a bug in lore) looks like: a short plain report on stderr, in the log too.
//!
//! Plain text only, so it reads the same with `NO_COLOR`, `[ui] color = false`, in a CI log or
//! piped into a file. The browser wraps this hook with one that restores the terminal first.

/// Installs the report as the process's panic hook.
pub fn install() {
    std::panic::set_hook(Box::new(|info| {
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(no message)".into());
        let place = info
            .location()
            .map(|l| format!("{}:{}", l.file(), l.line()))
            .unwrap_or_else(|| "an unknown place".into());
        let thread = std::thread::current();
        let thread = thread.name().unwrap_or("a worker");
        log::error!("panicked at {place} (thread {thread}): {message}");
        let backtrace = std::backtrace::Backtrace::capture();
        let mut report = format!(
            "lore: internal error: {message}\n  at {place} (thread {thread}), lore {} ({})\n",
            env!("CARGO_PKG_VERSION"),
            env!("LORE_COMMIT")
        );
        if backtrace.status() == std::backtrace::BacktraceStatus::Captured {
            report.push_str(&format!("{backtrace}\n"));
        } else {
            report.push_str("  RUST_BACKTRACE=1 shows where it happened.\n");
        }
        report.push_str(
            "  This is a bug in lore: please report it with the command you ran. A write that was\n  under way has been undone or is left for `lore doctor --fix`.\n",
        );
        eprint!("{}", lore::sanitize::display_block(&report));
    }));
}
