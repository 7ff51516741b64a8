//! `lore edit ID`: fields changed by flags, or the whole file in the user's editor.

use std::io::IsTerminal;

use clap::{Arg, ArgMatches, Args, Command, FromArgMatches};
use lore::learning::{FIELDS, Field, Place, limits};
use lore::ops::edit::Edited;
use lore::sanitize::display_line;
use lore::{Error, Result};

use super::out::outln;
use super::record::{WaitReporter, warn_all};
use super::{Ctx, print_json, read_stdin};

#[derive(Args, Debug)]
pub struct EditArgs {
    /// A learning's id, or its file path relative to the store
    target: String,
    #[command(flatten)]
    fields: EditFields,
    /// Print the learning as edited, with its commit, as a JSON object (contract v1)
    #[arg(long)]
    pub(super) json: bool,
}

/// A flag per field of the table that lives in the file (`--title`, `--root-cause`, …), each
/// optional; the type (the file's folder) and the failing command's section (edited in the
/// editor) are not among them.
#[derive(Debug, Default)]
struct EditFields {
    given: Vec<(Field, String)>,
}

fn editable() -> impl Iterator<Item = &'static lore::learning::Spec> {
    FIELDS
        .iter()
        .filter(|s| !matches!(s.place, Place::Folder | Place::Context(_)))
}

impl FromArgMatches for EditFields {
    fn from_arg_matches(m: &ArgMatches) -> std::result::Result<Self, clap::Error> {
        let given = editable()
            .filter_map(|s| m.get_one::<String>(s.name).map(|v| (s.field, v.clone())))
            .collect();
        Ok(EditFields { given })
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> std::result::Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

impl Args for EditFields {
    fn augment_args(cmd: Command) -> Command {
        editable().fold(cmd, |cmd, spec| {
            cmd.arg(
                Arg::new(spec.name)
                    .long(spec.name)
                    .help(format!("New {}: {}", spec.label.to_lowercase(), spec.help))
                    .num_args(1)
                    .allow_hyphen_values(true)
                    .value_name(spec.name.to_uppercase().replace('-', "_")),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

pub fn run(ctx: &Ctx, args: EditArgs) -> Result<()> {
    let mut changes = args.fields.given;
    for (field, value) in &mut changes {
        if *field == Field::Summary && value == "-" {
            *value = read_stdin("summary", limits::SUMMARY)?;
        }
    }
    let on_terminal = std::io::stdin().is_terminal() && std::io::stdout().is_terminal();
    if changes.is_empty() && !on_terminal {
        return Err(Error::invalid(
            "edit",
            "give the fields to change (--title, --summary, --tags, …); without them the editor opens, which needs a terminal",
        ));
    }
    let store = ctx.store()?;
    let mut index = super::query::followed(&store, lore::write::open_index(&store, "edit")?);
    let row = lore::ops::show::find(&store, &index, &args.target)?.row;
    let opts = ctx.lock_options("edit");
    let mut reporter = WaitReporter::default();
    let edited = if changes.is_empty() {
        // As the browser's `e`: the editor chosen as git chooses it, then one commit.
        let abs = lore::index::resolve_inside(store.root(), &row.filepath).ok_or_else(|| {
            Error::invalid("filepath", format!("{} is outside the store", row.filepath))
        })?;
        let editor = lore::editor::for_store(&store, ctx.config.editor.as_deref());
        let status = lore::editor::command(&editor, &abs)
            .status()
            .map_err(|e| Error::invalid("editor", format!("`{editor}` could not start: {e}")))?;
        if !status.success() {
            return Err(Error::invalid(
                "editor",
                format!(
                    "`{editor}` exited with {status}; nothing was committed (your changes stay in the file)"
                ),
            ));
        }
        lore::ops::edit::commit_edit(&store, &mut index, row.id, &opts, &mut reporter.progress())?
    } else {
        lore::ops::edit::edit_fields(
            &store,
            &mut index,
            row.id,
            &changes,
            &opts,
            &mut reporter.progress(),
        )?
    };
    let (commit, warnings) = match edited {
        Edited::Committed { commit, warnings } => (Some(commit), warnings),
        Edited::Unchanged => (None, Vec::new()),
    };
    warn_all(&warnings);
    if args.json {
        let now = index.get(row.id)?.unwrap_or(row);
        print_json(&lore::json::Recorded {
            learning: lore::json::Learning::of(&now),
            commit: commit.as_deref(),
            warnings: &warnings,
        });
        return Ok(());
    }
    match commit {
        Some(c) => outln!(
            "edited #{} {} (commit {})",
            row.id,
            display_line(&row.filepath),
            &c[..c.len().min(12)]
        ),
        None => outln!("#{} unchanged: nothing to commit", row.id),
    }
    Ok(())
}
