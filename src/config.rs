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
    /// The editor for `e` in the browser (before `$VISUAL` and `$EDITOR`).
    pub editor: Option<String>,
    #[serde(default)]
    pub sync: SyncConfig,
    #[serde(default)]
    pub author: AuthorConfig,
    #[serde(default)]
    pub ui: UiConfig,
}

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
}

/// Parses a duration: `30`, `2.5` (seconds) or with a unit, `500ms`, `10s`, `2m`, `1h`.
pub fn parse_duration(s: &str) -> std::result::Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; use e.g. 30, 10s, 500ms, 2m"))?;
    let secs = match unit.trim() {
        "ms" => n / 1000.0,
        "" | "s" => n,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        _ => return Err(format!("`{s}` has an unknown unit; use ms, s, m or h")),
    };
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
            Err(e) => return Err(Error::io(path, e)),
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
        if let Some(i) = &config.sync.auto_interval {
            parse_duration(i)
                .map_err(|m| format!("{}sync.auto_interval: {m}", line_of("auto_interval")))?;
        }
        Ok(config)
    }

    pub fn lock_timeout(&self) -> Option<Duration> {
        self.lock_timeout
            .as_deref()
            .and_then(|t| parse_duration(t).ok())
    }

    pub fn lock_strategy(&self) -> Option<Strategy> {
        self.lock_strategy.as_deref().and_then(|s| s.parse().ok())
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
