//! Subcommands whose arguments clap builds only when they are used.
//!
//! clap's derive builds every subcommand's arguments before it parses, and drops them all
//! after: a `lore record` from a hook paid for building `export`'s filters and `lock`'s
//! subcommands it never looks at (see BENCHMARKS.md, round 6). [`Lazy`] hands clap the
//! subcommand's builder instead ([`clap::Command::defer`]), which clap runs when that
//! subcommand is parsed, or when help, completions or the manual need it. The subcommand's name
//! and one-line description stay eager, so `lore --help` lists them as before.

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};

/// `T`'s arguments (an [`Args`] struct) or subcommands (a [`Subcommand`] enum), built by clap
/// only when it needs them.
///
/// `T`, and any struct it flattens, carries no doc comment: clap reads one as a description,
/// which built late would replace the subcommand's own (docs/CLI.md's test shows it).
#[derive(Debug)]
pub struct Lazy<T>(pub T);

impl<T: FromArgMatches> FromArgMatches for Lazy<T> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(Lazy)
    }

    fn from_arg_matches_mut(m: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(m).map(Lazy)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }

    fn update_from_arg_matches_mut(&mut self, m: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(m)
    }
}

impl<T: Args> Args for Lazy<T> {
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }

    fn augment_args(cmd: Command) -> Command {
        cmd.defer(T::augment_args)
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        cmd.defer(T::augment_args_for_update)
    }
}

impl<T: Subcommand> Subcommand for Lazy<T> {
    fn augment_subcommands(cmd: Command) -> Command {
        cmd.defer(T::augment_subcommands)
    }

    fn augment_subcommands_for_update(cmd: Command) -> Command {
        cmd.defer(T::augment_subcommands_for_update)
    }

    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}
