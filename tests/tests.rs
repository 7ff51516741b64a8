//! The integration tests, one binary (each linking libgit2 and SQLite once): the real `lore`
//! binary against real git repositories, SQLite databases and processes. A module a subject.
//! `support` is shared with the benchmarks.

mod abuse;
mod architecture;
mod bad_input;
mod beside_git;
mod cli;
mod concurrency;
mod config;
mod edit;
mod exchange;
mod faults;
mod filesystem;
mod fuzz;
mod gitindex;
mod hostile;
mod json;
mod layout;
mod lock;
mod maintenance;
mod mcp;
mod moving_in;
mod queue;
mod readme;
mod record;
mod reliability_doc;
mod remove;
mod scale;
mod search;
mod sqlite;
mod support;
mod sync;
mod tui;
mod vintages;
