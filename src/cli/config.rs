//! `lore config path|show|init`: where the configuration is, what is in effect, a template.

use clap::Subcommand;
use lore::config::{Action, Config};
use lore::store::Store;
use lore::{Error, Result};
use serde::Serialize;

use super::out::{out, outln};
use super::{Ctx, print_json};

/// The documented template, every key commented out at its default.
const TEMPLATE: &str = include_str!("../../assets/config.toml");

#[derive(Subcommand, Debug)]
pub enum ConfigCommand {
    /// Print the configuration file's path
    Path,
    /// Print the value in effect of every key: flags and environment over the file, over the
    /// defaults (TOML)
    Show {
        /// Print it as a JSON object instead
        #[arg(long)]
        json: bool,
    },
    /// Write the documented template (every key, commented out at its default) to the
    /// configuration file's path
    Init {
        /// Replace a file that is already there
        #[arg(long)]
        force: bool,
    },
}

pub fn run(ctx: &Ctx, cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Path => {
            match Config::path() {
                Some(p) => outln!("{}", p.display()),
                None => outln!("(no configuration directory on this system)"),
            }
            Ok(())
        }
        ConfigCommand::Show { json } => {
            let effective = effective(ctx);
            if json {
                print_json(&effective);
            } else {
                let file = Config::path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| "(none on this system)".into());
                outln!("# In effect: flags and environment, over {file}, over the defaults.");
                let text = toml::to_string(&effective).expect("serialisable");
                // TOML has no null: say what an unset identity means where it would be.
                let unset =
                    "[author]\n# not set: lore's commits use git's user.name and user.email\n";
                let text = match (&effective.author.name, &effective.author.email) {
                    (None, None) => text.replacen("[author]\n", unset, 1),
                    _ => text,
                };
                out!("{text}");
            }
            Ok(())
        }
        ConfigCommand::Init { force } => init(force),
    }
}

fn init(force: bool) -> Result<()> {
    let path = Config::path().ok_or_else(|| {
        Error::invalid(
            "config",
            "this system has no configuration directory; set LORE_CONFIG to a file",
        )
    })?;
    if path.exists() && !force {
        return Err(Error::invalid(
            "config",
            format!(
                "{} already exists; edit it, or give --force to replace it with the template",
                path.display()
            ),
        ));
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    // Through a temporary file, so a full disk never leaves half a configuration.
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, TEMPLATE)
        .and_then(|()| std::fs::rename(&tmp, &path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(&path, e)
        })?;
    outln!(
        "wrote {}: every key is there, commented out at its default",
        path.display()
    );
    Ok(())
}

#[derive(Serialize)]
struct Effective {
    store: String,
    lock_timeout: String,
    lock_strategy: String,
    editor: String,
    sync: Sync,
    author: Author,
    ui: Ui,
    hooks: Hooks,
    keys: std::collections::BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
struct Sync {
    remote: String,
    auto_interval: String,
}

#[derive(Serialize)]
struct Author {
    name: Option<String>,
    email: Option<String>,
}

#[derive(Serialize)]
struct Ui {
    color: bool,
    accent: String,
}

#[derive(Serialize)]
struct Hooks {
    verify: bool,
    verify_in_browser: bool,
    verify_in_mcp: bool,
}

/// Every key's value as the commands would use it. Reads git's configuration of the store when
/// the store exists, and never creates it.
fn effective(ctx: &Ctx) -> Effective {
    let c = &ctx.config;
    let store = ctx.store_path();
    let repo = store
        .as_deref()
        .filter(|p| p.join(".git").exists())
        .and_then(|p| Store::open(p).ok())
        .and_then(|s| s.repo().ok());
    let git = |key: &str| repo.as_ref().and_then(|r| r.config_string(key));
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let verify = |v: bool| v && !ctx.no_verify;
    Effective {
        store: store
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no data directory on this system)".into()),
        lock_timeout: duration(ctx.lock_timeout),
        lock_strategy: ctx.lock_strategy.to_string(),
        editor: lore::editor::choose(c.editor.as_deref(), git("core.editor").as_deref()),
        sync: Sync {
            remote: c.sync_remote(),
            auto_interval: c.auto_sync().map(duration).unwrap_or_else(|| "0s".into()),
        },
        author: Author {
            name: c.author.name.clone(),
            email: c.author.email.clone(),
        },
        ui: Ui {
            color: c.ui.color.unwrap_or(true) && !no_color,
            accent: c.ui.accent.clone().unwrap_or_else(|| "cyan".into()),
        },
        hooks: Hooks {
            verify: verify(c.verify_hooks()),
            verify_in_browser: verify(c.verify_hooks_in_browser()),
            verify_in_mcp: verify(c.verify_hooks_in_mcp()),
        },
        keys: Action::ALL
            .into_iter()
            .map(|a| (a.name(), c.key(a).to_string()))
            .collect(),
    }
}

/// A duration as the file takes it: `30s`, `1500ms`, `10m`.
fn duration(d: std::time::Duration) -> String {
    let ms = d.as_millis();
    if ms.is_multiple_of(60_000) && ms > 0 {
        format!("{}m", ms / 60_000)
    } else if ms.is_multiple_of(1000) {
        format!("{}s", ms / 1000)
    } else {
        format!("{ms}ms")
    }
}
