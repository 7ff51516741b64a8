//! `lore rm ID`: a learning out of the store, in one commit.

use clap::Args;
use lore::Result;
use lore::sanitize::display_line;

use super::out::outln;
use super::record::{WaitReporter, warn_all};
use super::{Ctx, confirm, print_json};

#[derive(Args, Debug)]
pub struct RmArgs {
    /// A learning's id, or its file path relative to the store
    target: String,
    /// Do not ask for confirmation (needed where standard input is not a terminal)
    #[arg(long, short)]
    yes: bool,
    /// Print the learning as it was, with the commit that removed it, as a JSON object
    #[arg(long)]
    pub(super) json: bool,
}

pub fn run(ctx: &Ctx, args: &RmArgs) -> Result<()> {
    let store = ctx.store()?;
    let mut index = super::query::followed(&store, lore::write::open_index(&store, "rm")?);
    let found = lore::ops::show::find(&store, &index, &args.target)?;
    let row = found.row;
    if !args.yes
        && !confirm(&format!(
            "Remove #{} {} ({})? It stays in git's history.",
            row.id,
            display_line(&row.title),
            display_line(&row.filepath)
        ))?
    {
        return Err(lore::Error::Declined("removing the learning"));
    }
    let mut reporter = WaitReporter::default();
    let removed = lore::ops::remove::remove(
        &store,
        &mut index,
        row,
        &ctx.lock_options("rm"),
        &mut reporter.progress(),
    )?;
    warn_all(&removed.warnings);
    if args.json {
        print_json(&removed.json());
    } else {
        let short = &removed.commit[..removed.commit.len().min(12)];
        outln!(
            "removed #{} {} (commit {short}); `git -C {} revert {short}` brings it back",
            removed.row.id,
            display_line(&removed.row.filepath),
            display_line(&store.root().display().to_string())
        );
    }
    Ok(())
}
