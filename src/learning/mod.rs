//! What a learning is before it is saved: its kind, severity, and the validated fields.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::sanitize::{clean_block, clean_line};

pub mod fields;

pub use fields::{Check, FIELDS, Field, Place, Spec};

/// Limits, shared by the CLI, the TUI form and the tests. Counted in characters; each field's
/// is its row in [`fields`].
pub mod limits {
    use super::Field;

    pub const TITLE: usize = Field::Title.limit();
    pub const DOMAIN: usize = Field::Domain.limit();
    pub const SUMMARY: usize = Field::Summary.limit();
    pub const TAGS: usize = Field::Tags.limit();
    /// A whole body given with `--body-file`.
    pub const BODY: usize = 1_000_000;

    /// Reads at most what `chars` characters can take (four bytes each) from `input`, and stops
    /// there: `None` when there is more, so an endless or runaway input (`/dev/zero`, a pipe
    /// that never ends, a device given as a file) is refused instead of filling memory.
    pub fn read_within(
        input: impl std::io::Read,
        chars: usize,
    ) -> std::io::Result<Option<Vec<u8>>> {
        use std::io::Read;
        let max = 4 * chars as u64;
        let mut bytes = Vec::new();
        input.take(max + 1).read_to_end(&mut bytes)?;
        Ok((bytes.len() as u64 <= max).then_some(bytes))
    }
}

/// The `type` column. The five values are the ones the vintage B and C schemas allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Failure,
    Success,
    Heuristic,
    Experiment,
    Observation,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Failure,
        Kind::Success,
        Kind::Heuristic,
        Kind::Experiment,
        Kind::Observation,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Failure => "failure",
            Kind::Success => "success",
            Kind::Heuristic => "heuristic",
            Kind::Experiment => "experiment",
            Kind::Observation => "observation",
        }
    }

    /// The folder under `memory/` that holds this kind's files (`memory/failures/` and so on).
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Failure => "failures",
            Kind::Success => "successes",
            Kind::Heuristic => "heuristics",
            Kind::Experiment => "experiments",
            Kind::Observation => "observations",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == t)
            .ok_or_else(|| {
                Error::invalid(
                    "type",
                    format!(
                        "`{}` is not a type; use one of failure, success, heuristic, experiment, observation",
                        crate::sanitize::display_line(s)
                    ),
                )
            })
    }
}

/// Severity 1 (lowest) to 5. Accepts the script's words too: low=2, medium=3, high=4, critical=5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct Severity(u8);

impl Severity {
    pub const DEFAULT: Severity = Severity(3);

    pub fn new(n: i64) -> Option<Severity> {
        (1..=5).contains(&n).then_some(Severity(n as u8))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// Lenient parsing for text read back from existing stores and hand-written files.
    pub fn parse_lenient(s: &str) -> Option<Severity> {
        s.parse().ok()
    }

    pub fn word(self) -> &'static str {
        match self.0 {
            1 => "minimal",
            2 => "low",
            3 => "medium",
            4 => "high",
            _ => "critical",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for Severity {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let t = s.trim().to_ascii_lowercase();
        let n = match t.as_str() {
            "low" => Some(2),
            "medium" => Some(3),
            "high" => Some(4),
            "critical" => Some(5),
            other => other.parse::<i64>().ok(),
        };
        n.and_then(Severity::new).ok_or_else(|| {
            Error::invalid(
                "severity",
                format!(
                    "`{}` is not a severity; use 1 to 5, or low, medium, high, critical",
                    crate::sanitize::display_line(s)
                ),
            )
        })
    }
}

/// What the user typed, unchecked: the text of every field of the [`fields`] table (empty
/// where nothing was given), so the CLI, the environment variables and the browser's form can
/// all fill it; [`Draft::validate`] decides.
///
/// On disk and in the demo JSON it is an object keyed by each field's `key`, plus `body`;
/// `null` reads as empty and unknown keys are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Draft {
    text: [String; Field::COUNT],
    /// A whole markdown body that replaces the sections.
    pub body: Option<String>,
}

impl Draft {
    pub fn get(&self, field: Field) -> &str {
        &self.text[field as usize]
    }

    pub fn set(&mut self, field: Field, value: impl Into<String>) {
        self.text[field as usize] = value.into();
    }

    /// The draft with `field` set to `value`.
    pub fn with(mut self, field: Field, value: impl Into<String>) -> Draft {
        self.set(field, value);
        self
    }
}

impl serde::Serialize for Draft {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(Field::COUNT + 1))?;
        for spec in &FIELDS {
            map.serialize_entry(spec.key, self.get(spec.field))?;
        }
        map.serialize_entry("body", &self.body)?;
        map.end()
    }
}

impl<'de> serde::Deserialize<'de> for Draft {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let map = std::collections::BTreeMap::<String, Option<String>>::deserialize(d)?;
        let mut draft = Draft::default();
        for (key, value) in map {
            match (key.as_str(), Field::keyed(&key)) {
                ("body", _) => draft.body = value,
                (_, Some(field)) => draft.set(field, value.unwrap_or_default()),
                _ => {}
            }
        }
        Ok(draft)
    }
}

/// A learning that passed validation: clean, within limits, ready to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Learning {
    pub kind: Kind,
    pub severity: Severity,
    pub tags: Vec<String>,
    /// Every field's cleaned text (the type, severity and tags as the file writes them).
    text: [String; Field::COUNT],
    pub body: Option<String>,
}

impl Learning {
    pub fn get(&self, field: Field) -> &str {
        &self.text[field as usize]
    }

    pub fn title(&self) -> &str {
        self.get(Field::Title)
    }

    pub fn domain(&self) -> &str {
        self.get(Field::Domain)
    }

    /// The Summary section, whole.
    pub fn summary(&self) -> &str {
        self.get(Field::Summary)
    }

    pub fn tags_joined(&self) -> String {
        self.tags.join(",")
    }

    /// The `summary` column holds only the first line, as the script's rows do.
    pub fn summary_line(&self) -> &str {
        self.summary().lines().next().unwrap_or("").trim()
    }
}

pub const NO_SUMMARY: &str = "No summary provided";

/// Whether the file at `path` is a template to copy rather than a learning: named
/// `TEMPLATE.md` or `<anything>.template.md`, in any case. Such files are never indexed,
/// listed or checked by `doctor`.
pub fn is_template_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    name == "template.md" || name.ends_with(".template.md")
}

fn check_len(field: Field, value: &str) -> Result<()> {
    let n = value.chars().count();
    let limit = field.limit();
    if n > limit {
        return Err(Error::invalid(
            field.name(),
            format!("is {n} characters long; the limit is {limit}"),
        ));
    }
    Ok(())
}

impl Draft {
    /// Every problem with the draft, one per field, in the table's order (the form shows them
    /// all inline at once).
    pub fn problems(&self) -> Vec<Error> {
        let mut out: Vec<Error> = Field::all()
            .filter_map(|f| check(f, self.get(f)).err())
            .collect();
        if let Some(e) = self.body.as_deref().and_then(|b| check_body(b).err()) {
            out.push(e);
        }
        out
    }

    /// Cleans every field (see [`crate::sanitize`]) and checks it against its row of the
    /// table. The first problem found is returned, naming the field and the limit.
    pub fn validate(&self) -> Result<Learning> {
        let mut learning = Learning {
            kind: Kind::Failure,
            severity: Severity::DEFAULT,
            tags: Vec::new(),
            text: Default::default(),
            body: self.body.as_deref().map(check_body).transpose()?.flatten(),
        };
        for field in Field::all() {
            let text = match check(field, self.get(field))? {
                Checked::Text(t) => t,
                Checked::Kind(k) => {
                    learning.kind = k;
                    k.as_str().to_string()
                }
                Checked::Severity(s) => {
                    learning.severity = s;
                    s.to_string()
                }
                Checked::Tags(tags) => {
                    let joined = tags.join(",");
                    learning.tags = tags;
                    joined
                }
            };
            learning.text[field as usize] = text;
        }
        Ok(learning)
    }
}

/// What one field's text becomes once checked.
enum Checked {
    Text(String),
    Kind(Kind),
    Severity(Severity),
    Tags(Vec<String>),
}

fn check(field: Field, raw: &str) -> Result<Checked> {
    let spec = field.spec();
    let cleaned = if spec.multiline {
        clean_block(raw).trim().to_string()
    } else {
        clean_line(raw)
    };
    Ok(match spec.check {
        Check::Required => {
            if cleaned.is_empty() {
                return Err(Error::invalid(
                    spec.name,
                    "is empty; give a non-blank value",
                ));
            }
            check_len(field, &cleaned)?;
            Checked::Text(cleaned)
        }
        Check::Text => {
            check_len(field, &cleaned)?;
            Checked::Text(cleaned)
        }
        Check::Summary => {
            check_len(field, &cleaned)?;
            Checked::Text(if cleaned.is_empty() {
                NO_SUMMARY.to_string()
            } else {
                cleaned
            })
        }
        Check::Tags => {
            check_len(field, &cleaned)?;
            let mut seen = std::collections::HashSet::new();
            Checked::Tags(
                cleaned
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
                    .map(str::to_string)
                    .collect(),
            )
        }
        Check::Kind if raw.trim().is_empty() => Checked::Kind(Kind::Failure),
        Check::Kind => Checked::Kind(raw.parse()?),
        Check::Severity if raw.trim().is_empty() => Checked::Severity(Severity::DEFAULT),
        Check::Severity => Checked::Severity(raw.parse()?),
        Check::ExitCode => match cleaned.parse::<u8>() {
            _ if cleaned.is_empty() => Checked::Text(cleaned),
            Ok(n) => Checked::Text(n.to_string()),
            Err(_) => {
                return Err(Error::invalid(
                    spec.name,
                    format!(
                        "`{}` is not an exit status; give a number from 0 to 255 (`$?` in a shell)",
                        crate::sanitize::display_line(&cleaned)
                    ),
                ));
            }
        },
    })
}

/// A whole body: cleaned, within [`limits::BODY`]; `None` when blank.
fn check_body(raw: &str) -> Result<Option<String>> {
    let b = clean_block(raw).trim().to_string();
    let n = b.chars().count();
    if n > limits::BODY {
        return Err(Error::invalid(
            "body",
            format!("is {n} characters long; the limit is {}", limits::BODY),
        ));
    }
    Ok((!b.is_empty()).then_some(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(title: &str, domain: &str) -> Draft {
        Draft::default()
            .with(Field::Title, title)
            .with(Field::Domain, domain)
    }

    #[test]
    fn severity_words_and_numbers() {
        assert_eq!("critical".parse::<Severity>().unwrap().get(), 5);
        assert_eq!(" Medium ".parse::<Severity>().unwrap().get(), 3);
        assert_eq!("1".parse::<Severity>().unwrap().get(), 1);
        assert!("0".parse::<Severity>().is_err());
        assert!("6".parse::<Severity>().is_err());
        assert!("urgent".parse::<Severity>().is_err());
    }

    #[test]
    fn limits_name_field_and_limit() {
        let e = draft(&"x".repeat(501), "d")
            .validate()
            .unwrap_err()
            .to_string();
        assert_eq!(e, "title: is 501 characters long; the limit is 500");
        assert!(draft(&"x".repeat(500), "d").validate().is_ok());
        let e = draft("t", &"d".repeat(101))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("domain:") && e.contains("100"), "{e}");
        let e = draft("   ", "d").validate().unwrap_err().to_string();
        assert!(e.starts_with("title: is empty"), "{e}");
    }

    #[test]
    fn problems_lists_every_bad_field() {
        let mut d = draft("", &"d".repeat(101));
        d.set(Field::Severity, "9");
        let fields: Vec<String> = d
            .problems()
            .iter()
            .map(|e| e.to_string().split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["title", "domain", "severity"]);
        assert!(draft("t", "d").problems().is_empty());
    }

    #[test]
    fn templates_are_told_by_name() {
        for t in [
            "memory/failures/TEMPLATE.md",
            "memory/failures/template.md",
            "memory/successes/2026-01/02/post-mortem.Template.md",
        ] {
            assert!(is_template_file(t), "{t}");
        }
        for l in [
            "memory/failures/20260101_template-md-was-wrong.md",
            "memory/failures/20260101_templates.md",
            "memory/failures/TEMPLATE.md.bak",
        ] {
            assert!(!is_template_file(l), "{l}");
        }
    }

    #[test]
    fn defaults_and_tags() {
        let mut d = draft("t", "d");
        d.set(Field::Tags, " a, ,b ,");
        let l = d.validate().unwrap();
        assert_eq!(l.tags, ["a", "b"]);
        d.set(Field::Tags, "a b,a b,c,C,c, b");
        assert_eq!(d.validate().unwrap().tags, ["a b", "c", "b"]);
        assert_eq!(l.kind, Kind::Failure);
        assert_eq!(l.severity, Severity::DEFAULT);
        assert_eq!(l.summary(), NO_SUMMARY);
    }
}
