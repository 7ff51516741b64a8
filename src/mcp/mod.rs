//! `lore mcp`: the store's tools for coding agents, over the Model Context Protocol on standard
//! input and output (the official SDK, `rmcp`).
//!
//! A thin layer like the CLI: [`tools`] says what the tools are and checks an agent's arguments;
//! [`server`] answers the protocol and runs each call's work on tokio's blocking threads, since
//! the library's git and SQLite work is synchronous. A save goes through the write seam as
//! `lore record`'s does. Standard output carries only the protocol; notes go to stderr, which
//! MCP clients show in their logs.

mod server;
mod tools;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use lore::lock::LockOptions;
use lore::store::Store;
use lore::{Error, Result};

/// Serves `store` until the client closes standard input; `opts` are a save's lock options,
/// `interrupted` the process's SIGINT/SIGTERM flag.
pub fn run(store: Store, opts: LockOptions, interrupted: Arc<AtomicBool>) -> Result<()> {
    let server = server::Server::new(store, opts, interrupted);
    // One thread answers the protocol; the work runs on the blocking pool beside it, so a
    // record waiting for the lock does not hold up a search.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| Error::io("the MCP server's runtime", e))?;
    runtime.block_on(server.serve())
}
