//! Standard output for the command line.
//!
//! `println!` panics when the reader has gone away (`lore list | head -1`, a pager quit early);
//! these write the same text and, on a closed pipe, end the process quietly with success, as
//! ripgrep and cargo do: the reader asked for no more. Output is only printed after a command
//! has done its work, so nothing is ever left half-done by this exit.

use std::io::{ErrorKind, Write};

/// `println!` to standard output, ending the process quietly if the reader has gone.
macro_rules! outln {
    () => {
        $crate::cli::out::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` to standard output, ending the process quietly if the reader has gone.
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::cli::out::write(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};

pub fn write(args: std::fmt::Arguments<'_>) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_fmt(args).and_then(|()| stdout.flush()) {
        failed(&e);
    }
}

/// Bytes to standard output (generated completions), ending quietly if the reader has gone.
pub fn write_bytes(bytes: &[u8]) {
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        failed(&e);
    }
}

/// What a failed write to standard output means for the process: a closed pipe is a reader
/// that has read enough (exit 0); anything else is an error (exit 1).
pub fn failed(e: &std::io::Error) -> ! {
    if e.kind() == ErrorKind::BrokenPipe {
        std::process::exit(lore::error::exit::OK);
    }
    eprintln!("lore: standard output: {e}");
    std::process::exit(lore::error::exit::FAILURE)
}

/// Whether `e` is a write to a reader that has gone away.
pub fn is_closed_pipe(e: &lore::Error) -> bool {
    matches!(e, lore::Error::Io { source, .. } if source.kind() == ErrorKind::BrokenPipe)
}
