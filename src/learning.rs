//! What a learning is before it is saved: its kind, severity, and the validated fields.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::error::{Error, Result};
use crate::sanitize::{clean_block, clean_line};

/// Limits, shared by the CLI, the TUI form and the tests. Counted in characters.
pub mod limits {
    pub const TITLE: usize = 500;
    pub const DOMAIN: usize = 100;
    pub const SUMMARY: usize = 50_000;
    pub const TAGS: usize = 1_000;
    /// Each of What Happened, Root Cause, Impact and Prevention.
    pub const SECTION: usize = 50_000;
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

/// What the user typed, unchecked. Every field is optional here so the CLI, the environment
/// variables and the TUI form can all fill it; [`Draft::validate`] decides.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Draft {
    pub kind: Option<String>,
    pub title: String,
    pub domain: String,
    pub severity: Option<String>,
    pub tags: String,
    pub summary: String,
    pub what_happened: String,
    pub root_cause: String,
    pub impact: String,
    pub prevention: String,
    /// A whole markdown body that replaces the four sections above.
    pub body: Option<String>,
}

/// A learning that passed validation: clean, within limits, ready to write.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Learning {
    pub kind: Kind,
    pub title: String,
    pub domain: String,
    pub severity: Severity,
    pub tags: Vec<String>,
    pub summary: String,
    pub what_happened: String,
    pub root_cause: String,
    pub impact: String,
    pub prevention: String,
    pub body: Option<String>,
}

impl Learning {
    pub fn tags_joined(&self) -> String {
        self.tags.join(",")
    }

    /// The `summary` column holds only the first line, as the script's rows do.
    pub fn summary_line(&self) -> &str {
        self.summary.lines().next().unwrap_or("").trim()
    }
}

pub const NO_SUMMARY: &str = "No summary provided";

fn check_len(field: &'static str, value: &str, limit: usize) -> Result<()> {
    let n = value.chars().count();
    if n > limit {
        return Err(Error::invalid(
            field,
            format!("is {n} characters long; the limit is {limit}"),
        ));
    }
    Ok(())
}

fn required(field: &'static str, value: String, limit: usize) -> Result<String> {
    if value.is_empty() {
        return Err(Error::invalid(field, "is empty; give a non-blank value"));
    }
    check_len(field, &value, limit)?;
    Ok(value)
}

impl Draft {
    /// Every problem with the draft, one per field (the form shows them all inline at once).
    pub fn problems(&self) -> Vec<Error> {
        let mut out = Vec::new();
        let mut probe = self.clone();
        // Validate field by field: a problem found is recorded and the field neutralised, so
        // the next call reports the next field.
        for _ in 0..16 {
            match probe.validate() {
                Ok(_) => break,
                Err(e) => {
                    let Error::Invalid { field, .. } = &e else {
                        break;
                    };
                    let field = *field;
                    out.push(e);
                    match field {
                        "title" => probe.title = "x".into(),
                        "domain" => probe.domain = "x".into(),
                        "type" => probe.kind = None,
                        "severity" => probe.severity = None,
                        "tags" => probe.tags.clear(),
                        "summary" => probe.summary.clear(),
                        "what-happened" => probe.what_happened.clear(),
                        "root-cause" => probe.root_cause.clear(),
                        "impact" => probe.impact.clear(),
                        "prevention" => probe.prevention.clear(),
                        "body" => probe.body = None,
                        _ => break,
                    }
                }
            }
        }
        out
    }

    /// Cleans every field (see [`crate::sanitize`]) and checks it against [`limits`].
    /// The first problem found is returned, naming the field and the limit.
    pub fn validate(&self) -> Result<Learning> {
        let title = required("title", clean_line(&self.title), limits::TITLE)?;
        let domain = required("domain", clean_line(&self.domain), limits::DOMAIN)?;
        let kind = match &self.kind {
            Some(k) if !k.trim().is_empty() => k.parse()?,
            _ => Kind::Failure,
        };
        let severity = match &self.severity {
            Some(s) if !s.trim().is_empty() => s.parse()?,
            _ => Severity::DEFAULT,
        };
        let tags_line = clean_line(&self.tags);
        check_len("tags", &tags_line, limits::TAGS)?;
        // A tag given twice (in any case) is kept once, where it first appeared.
        let mut seen = std::collections::HashSet::new();
        let tags = tags_line
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty() && seen.insert(t.to_lowercase()))
            .map(str::to_string)
            .collect();
        let summary = clean_block(&self.summary).trim().to_string();
        check_len("summary", &summary, limits::SUMMARY)?;
        let summary = if summary.is_empty() {
            NO_SUMMARY.to_string()
        } else {
            summary
        };
        let section = |field: &'static str, v: &str| -> Result<String> {
            let v = clean_block(v).trim().to_string();
            check_len(field, &v, limits::SECTION)?;
            Ok(v)
        };
        let body = match &self.body {
            Some(b) => {
                let b = clean_block(b).trim().to_string();
                check_len("body", &b, limits::BODY)?;
                (!b.is_empty()).then_some(b)
            }
            None => None,
        };
        Ok(Learning {
            kind,
            title,
            domain,
            severity,
            tags,
            summary,
            what_happened: section("what-happened", &self.what_happened)?,
            root_cause: section("root-cause", &self.root_cause)?,
            impact: section("impact", &self.impact)?,
            prevention: section("prevention", &self.prevention)?,
            body,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(title: &str, domain: &str) -> Draft {
        Draft {
            title: title.into(),
            domain: domain.into(),
            ..Draft::default()
        }
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
        d.severity = Some("9".into());
        let fields: Vec<String> = d
            .problems()
            .iter()
            .map(|e| e.to_string().split(':').next().unwrap().to_string())
            .collect();
        assert_eq!(fields, ["title", "domain", "severity"]);
        assert!(draft("t", "d").problems().is_empty());
    }

    #[test]
    fn defaults_and_tags() {
        let mut d = draft("t", "d");
        d.tags = " a, ,b ,".into();
        let l = d.validate().unwrap();
        assert_eq!(l.tags, ["a", "b"]);
        d.tags = "a b,a b,c,C,c, b".into();
        assert_eq!(d.validate().unwrap().tags, ["a b", "c", "b"]);
        assert_eq!(l.kind, Kind::Failure);
        assert_eq!(l.severity, Severity::DEFAULT);
        assert_eq!(l.summary, NO_SUMMARY);
    }
}
