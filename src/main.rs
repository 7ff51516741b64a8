//! The `lore` binary: the command line (and, with no subcommand, the browser).

mod cli;
mod mcp;
mod tui;

fn main() {
    std::process::exit(cli::main());
}
