//! The configuration file: TOML in the platform config directory (`~/.config/lore/config.toml`
//! on Linux; `LORE_CONFIG` names another). Every key is optional; command-line flags win over
//! it. A file that cannot be read is an error naming the key and the line, never a silent
//! default.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::lock::Strategy;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The store used when `--store` and `LORE_STORE` are absent.
    pub store: Option<PathBuf>,
    /// How long to wait for the store lock, e.g. `"30s"`, `"2m"`.
    pub lock_timeout: Option<String>,
    /// `"flock"` or `"mkdir"`.
    pub lock_strategy: Option<String>,
    /// The editor for `e` in the browser (before `GIT_EDITOR`, `core.editor`, `VISUAL`,
    /// `EDITOR`; a shell command, run as git runs its editor).
    pub editor: Option<String>,
    #[serde(default)]
    pub sync: SyncConfig,
    #[serde(default)]
    pub author: AuthorConfig,
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub hooks: HooksConfig,
    #[serde(default)]
    pub keys: KeysConfig,
}

/// Whether git's hooks that may refuse a commit (`pre-commit`, `pre-merge-commit`,
/// `commit-msg`) run for lore's commits, as `--no-verify` would say for one command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HooksConfig {
    /// `false`: skip them for every command (default `true`).
    pub verify: Option<bool>,
    /// The browser's saves, `e` and `S` (default: as `verify`).
    pub verify_in_browser: Option<bool>,
    /// The saves of `lore mcp`, an agent's (default: as `verify`).
    pub verify_in_mcp: Option<bool>,
}

/// The browser's keys for its actions (`[keys]`: an action's name, one character each;
/// navigation keys are fixed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct KeysConfig(pub std::collections::BTreeMap<String, String>);

/// The browser's actions whose keys can be changed: the one list of them, read by the
/// configuration's checks, the browser's keymap and its help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Search,
    New,
    Edit,
    Copy,
    Filter,
    Sort,
    Sync,
    Lock,
    Help,
    Quit,
}

impl Action {
    pub const ALL: [Action; 10] = [
        Action::Search,
        Action::New,
        Action::Edit,
        Action::Copy,
        Action::Filter,
        Action::Sort,
        Action::Sync,
        Action::Lock,
        Action::Help,
        Action::Quit,
    ];

    /// Its name in `[keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Action::Search => "search",
            Action::New => "new",
            Action::Edit => "edit",
            Action::Copy => "copy",
            Action::Filter => "filter",
            Action::Sort => "sort",
            Action::Sync => "sync",
            Action::Lock => "lock",
            Action::Help => "help",
            Action::Quit => "quit",
        }
    }

    pub fn default_key(self) -> char {
        match self {
            Action::Search => '/',
            Action::New => 'n',
            Action::Edit => 'e',
            Action::Copy => 'y',
            Action::Filter => 'f',
            Action::Sort => 'o',
            Action::Sync => 'S',
            Action::Lock => 'L',
            Action::Help => '?',
            Action::Quit => 'q',
        }
    }

    pub fn named(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Keys the browser uses for moving about, which no action may take.
const NAVIGATION_KEYS: &str = "jkhlgG ";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncConfig {
    /// The remote `lore sync` and the browser's `S` use (default `origin`).
    pub remote: Option<String>,
    /// How often the browser syncs by itself, e.g. `"10m"`; absent or `"0s"`: never.
    pub auto_interval: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthorConfig {
    /// The identity for lore's commits when git has none configured.
    pub name: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// `false` turns colours off (as `NO_COLOR` does).
    pub color: Option<bool>,
    /// The accent colour (focused borders, the title): a name (`cyan`, `light-blue`…), an
    /// xterm index (`33`) or `#rrggbb`.
    pub accent: Option<String>,
}

/// Whether `s` names a colour the browser can draw: a basic name, an xterm index or #rrggbb.
pub fn valid_color(s: &str) -> bool {
    const NAMES: [&str; 17] = [
        "black",
        "red",
        "green",
        "yellow",
        "blue",
        "magenta",
        "cyan",
        "gray",
        "dark-gray",
        "light-red",
        "light-green",
        "light-yellow",
        "light-blue",
        "light-magenta",
        "light-cyan",
        "white",
        "reset",
    ];
    let t = s.trim().to_ascii_lowercase();
    NAMES.contains(&t.as_str())
        || t.parse::<u8>().is_ok()
        || (t.len() == 7 && t.starts_with('#') && t[1..].chars().all(|c| c.is_ascii_hexdigit()))
}

/// Parses a duration: `30`, `2.5` (seconds) or with units, `500ms`, `10s`, `2m`, `1h`, and
/// their sums, `1m30s`, `1h15m`, `2s500ms`.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let bad = || format!("`{s}` is not a duration; use e.g. 30, 10s, 500ms, 2m, 1m30s");
    let mut rest = s.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut secs = 0.0;
    let mut units = 0;
    while !rest.is_empty() {
        let split = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (num, tail) = rest.split_at(split);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let end = tail
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(tail.len());
        let (unit, tail) = tail.split_at(end);
        let scale = match unit.trim() {
            "ms" => 0.001,
            // A bare number is seconds, and only on its own.
            "" if units == 0 && tail.is_empty() => 1.0,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            "" => return Err(bad()),
            _ => return Err(format!("`{s}` has an unknown unit; use ms, s, m or h")),
        };
        secs += n * scale;
        units += 1;
        rest = tail;
    }
    if !secs.is_finite() || !(0.0..=86_400.0).contains(&secs) {
        return Err(format!("`{s}` is out of range (0 to 24h)"));
    }
    Ok(Duration::from_secs_f64(secs))
}

impl Config {
    /// Where the configuration is read from.
    pub fn path() -> Option<PathBuf> {
        if let Some(p) = std::env::var_os("LORE_CONFIG") {
            return Some(PathBuf::from(p));
        }
        directories::ProjectDirs::from("", "", "lore").map(|d| d.config_dir().join("config.toml"))
    }

    /// The configuration at [`Config::path`]; the defaults when there is no file.
    pub fn load() -> Result<Config> {
        match Config::path() {
            Some(p) => Config::load_from(&p),
            None => Ok(Config::default()),
        }
    }

    pub fn load_from(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => {
                return Err(Error::invalid(
                    "config",
                    format!("cannot read the configuration file {}: {e}", path.display()),
                ));
            }
        };
        Config::parse(&text).map_err(|m| Error::Invalid {
            field: "config",
            message: format!("{}: {m}", path.display()),
        })
    }

    /// Parses and checks every value; the message names the key and the line.
    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1);
            let what = e.message().to_string();
            match line {
                Some(l) => format!("line {l}: {what}"),
                None => what,
            }
        })?;
        let line_of = |key: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(key))
                .map(|i| format!("line {}: ", i + 1))
                .unwrap_or_default()
        };
        if let Some(t) = &config.lock_timeout {
            parse_duration(t)
                .map_err(|m| format!("{}lock_timeout: {m}", line_of("lock_timeout")))?;
        }
        if let Some(st) = &config.lock_strategy {
            st.parse::<Strategy>().map_err(|_| {
                format!(
                    "{}lock_strategy: `{st}` is not a strategy; use flock or mkdir",
                    line_of("lock_strategy")
                )
            })?;
        }
        if let Some(a) = &config.ui.accent
            && !valid_color(a)
        {
            return Err(format!(
                "{}ui.accent: `{a}` is not a colour; use a name such as cyan, an index 0–255 or #rrggbb",
                line_of("accent")
            ));
        }
        if let Some(name) = config.keys.0.keys().find(|n| Action::named(n).is_none()) {
            let names: Vec<&str> = Action::ALL.iter().map(|a| a.name()).collect();
            return Err(format!(
                "{}keys.{name}: not an action; use one of {}",
                line_of(name),
                names.join(", ")
            ));
        }
        let mut taken: Vec<(char, Action)> = Vec::new();
        for action in Action::ALL {
            let name = action.name();
            let key = config.key(action);
            let given = config.keys.0.get(name);
            if let Some(v) = given
                && (v.chars().count() != 1 || NAVIGATION_KEYS.contains(key))
            {
                return Err(format!(
                    "{}keys.{name}: `{v}` must be one character, not one of the navigation keys j k h l g G or space",
                    line_of(name)
                ));
            }
            if let Some((_, other)) = taken.iter().find(|(k, _)| *k == key) {
                // Name the action whose key was configured (the other kept its default).
                let (named, clash) = if given.is_some() {
                    (name, other.name())
                } else {
                    (other.name(), name)
                };
                return Err(format!(
                    "{}keys.{named}: `{key}` is already the key for {clash}",
                    line_of(named)
                ));
            }
            taken.push((key, action));
        }
        if let Some(i) = &config.sync.auto_interval {
            parse_duration(i)
                .map_err(|m| format!("{}sync.auto_interval: {m}", line_of("auto_interval")))?;
        }
        Ok(config)
    }

    /// The key for `action`: the configured one, else its default.
    pub fn key(&self, action: Action) -> char {
        self.keys
            .0
            .get(action.name())
            .and_then(|v| v.chars().next())
            .unwrap_or(action.default_key())
    }

    pub fn lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
    }

    pub fn lock_strategy(&self) -> Option<Strategy> {
        self.lock_strategy.as_deref().and_then(|s| s.parse().ok())
    }

    /// Whether the hooks judge the commits of a command run without `--no-verify`.
    pub fn verify_hooks(&self) -> bool {
        self.hooks.verify.unwrap_or(true)
    }

    /// Whether the hooks judge the browser's commits.
    pub fn verify_hooks_in_browser(&self) -> bool {
        self.hooks
            .verify_in_browser
            .unwrap_or_else(|| self.verify_hooks())
    }

    /// Whether the hooks judge the commits of `lore mcp`'s tools.
    pub fn verify_hooks_in_mcp(&self) -> bool {
        self.hooks
            .verify_in_mcp
            .unwrap_or_else(|| self.verify_hooks())
    }

    pub fn sync_remote(&self) -> String {
        self.sync.remote.clone().unwrap_or_else(|| "origin".into())
    }

    /// The browser's auto-sync interval; `None` when off.
    pub fn auto_sync(&self) -> Option<Duration> {
        self.sync
            .auto_interval
            .as_deref()
            .and_then(|i| parse_duration(i).ok())
            .filter(|d| !d.is_zero())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_units_and_their_sums() {
        let ms = |s: &str| parse_duration(s).map(|d| d.as_millis());
        assert_eq!(ms("30"), Ok(30_000));
        assert_eq!(ms("2.5"), Ok(2_500));
        assert_eq!(ms("500ms"), Ok(500));
        assert_eq!(ms("2m"), Ok(120_000));
        assert_eq!(ms("1m30s"), Ok(90_000));
        assert_eq!(ms("1h15m"), Ok(4_500_000));
        assert_eq!(ms("2s500ms"), Ok(2_500));
        assert_eq!(ms(" 10s "), Ok(10_000));
        for bad in ["", "s", "1m30", "1x", "ten", "1m-3s", "25h", "-1"] {
            assert!(parse_duration(bad).is_err(), "{bad:?} was taken");
        }
    }

    #[test]
    fn the_shipped_default_file_is_valid_and_documents_every_key() {
        let text = include_str!("../assets/config.toml");
        assert_eq!(Config::parse(text).unwrap(), Config::default());
        let uncommented: String = text
            .lines()
            .map(|l| {
                l.strip_prefix("# ")
                    .filter(|r| r.contains(" = "))
                    .unwrap_or(l)
            })
            .collect::<Vec<_>>()
            .join("\n");
        let full = Config::parse(&uncommented).unwrap();
        assert!(
            full.store.is_some() && full.lock_timeout.is_some() && full.lock_strategy.is_some()
        );
        assert!(
            full.editor.is_some()
                && full.sync.remote.is_some()
                && full.sync.auto_interval.is_some()
        );
        assert!(
            full.author.name.is_some() && full.author.email.is_some() && full.ui.color.is_some()
        );
        assert!(full.ui.accent.is_some() && full.keys.0.len() == Action::ALL.len());
        for action in Action::ALL {
            assert_eq!(full.key(action), action.default_key(), "{action:?}");
        }
    }

    #[test]
    fn a_full_file_parses() {
        let c = Config::parse(
            "store = \"/srv/memory\"\nlock_timeout = \"45s\"\nlock_strategy = \"mkdir\"\neditor = \"nano\"\n[sync]\nremote = \"team\"\nauto_interval = \"10m\"\n[author]\nname = \"Ada\"\nemail = \"ada@example.org\"\n[ui]\ncolor = false\n",
        )
        .unwrap();
        assert_eq!(c.lock_timeout(), Some(Duration::from_secs(45)));
        assert_eq!(c.lock_strategy(), Some(Strategy::Mkdir));
        assert_eq!(c.sync_remote(), "team");
        assert_eq!(c.auto_sync(), Some(Duration::from_secs(600)));
        assert_eq!(c.ui.color, Some(false));
        assert_eq!(Config::parse("").unwrap(), Config::default());
    }

    #[test]
    fn keys_and_colours() {
        let c = Config::parse("[keys]\nsearch = \"s\"\nquit = \"x\"\n[ui]\naccent = \"#ff8800\"\n")
            .unwrap();
        assert_eq!(c.key(Action::Search), 's');
        assert_eq!(c.key(Action::Quit), 'x');
        assert_eq!(c.key(Action::New), 'n');
        let e = Config::parse("[keys]\nsearch = \"s\"\nserch = \"x\"\n").unwrap_err();
        assert!(
            e.contains("line 3") && e.contains("keys.serch: not an action"),
            "{e}"
        );
        let e = Config::parse("[keys]\nsearch = \"n\"\n").unwrap_err();
        assert!(
            e.contains("line 2") && e.contains("already the key for"),
            "{e}"
        );
        let e = Config::parse("[keys]\n\nnew = \"j\"\n").unwrap_err();
        assert!(e.contains("line 3") && e.contains("keys.new"), "{e}");
        let e = Config::parse("[keys]\nhelp = \"F1\"\n").unwrap_err();
        assert!(e.contains("one character"), "{e}");
        let e = Config::parse("[ui]\naccent = \"chartreuse-ish\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("ui.accent"), "{e}");
        assert!(valid_color("light-blue") && valid_color("33") && !valid_color("#12"));
    }

    #[test]
    fn errors_name_the_key_and_the_line() {
        let e = Config::parse("editor = \"vi\"\ncolour = true\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("colour"), "{e}");
        let e = Config::parse("\n\nlock_timeout = \"soon\"\n").unwrap_err();
        assert!(e.starts_with("line 3: lock_timeout:"), "{e}");
        let e = Config::parse("[sync]\nauto_interval = \"5 fortnights\"\n").unwrap_err();
        assert!(e.contains("line 2") && e.contains("auto_interval"), "{e}");
        let e = Config::parse("lock_strategy = \"fcntl\"\n").unwrap_err();
        assert!(e.contains("lock_strategy") && e.contains("line 1"), "{e}");
        let e = Config::parse("[ui]\ncolor = \"maybe\"\n").unwrap_err();
        assert!(e.contains("line 2"), "{e}");
        let e = Config::parse("store = [").unwrap_err();
        assert!(e.contains("line 1"), "{e}");
    }
}
