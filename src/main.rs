//! The `lore` binary: the command line (and, with no subcommand, the browser).

mod cli;

fn main() {
    std::process::exit(cli::main());
}
