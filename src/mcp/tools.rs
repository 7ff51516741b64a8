//! The tools `lore mcp` offers: their names, descriptions and input schemas, and the checking
//! of an agent's arguments into the library's types. Nothing here touches a store.
//!
//! `record`'s schema is built from the fields table, as the CLI's `record` flags are, so a new
//! field reaches agents without a change here; its properties are the CLI's flag names with
//! `_` for `-` (`what_happened`).

use std::sync::Arc;

use rmcp::model::{JsonObject, Tool, ToolAnnotations};
use serde_json::{Value, json};

use lore::index::{Filter, FilterText};
use lore::learning::{Check, Draft, FIELDS, Field, Place, limits};

/// The tools, in the order they are listed.
pub const NAMES: [&str; 5] = ["record", "search", "show", "list", "lock_status"];

/// Results a read returns when the agent gives no `limit`; at most [`MAX_LIMIT`].
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 500;

/// A tool call whose arguments do not fit: one line naming the argument and what it takes.
pub type ArgError = String;

/// A field's property name in `record`'s arguments.
fn property(field: Field) -> String {
    field.name().replace('-', "_")
}

pub fn list() -> Vec<Tool> {
    vec![
        tool(
            "record",
            "Record a learning: a failure (or a success, heuristic, experiment, observation) and \
             what was learned from it. It becomes a markdown file in the store's git work tree, \
             committed and indexed at once, and is found by `search` from then on. `title`, \
             `domain` and `summary` are what later readers see first; put the detail in \
             `what_happened`, `root_cause`, `impact` and `prevention`. Saving takes the store's \
             lock: if another writer holds it, the call waits (progress notifications say for \
             whom) up to the configured lock timeout, and cancelling the call gives up the wait. \
             Returns the new learning's id, file path and commit.",
            record_schema(),
            false,
        ),
        tool(
            "search",
            "Full-text search of every learning recorded (title, summary, tags, domain and the \
             whole text), best match first. Each word of `query` matches as a prefix (`lock` \
             finds `locking`) and all must match. Use it before acting on something that may \
             have failed before. Returns learnings without their text; `show` gives a whole one.",
            read_schema(true),
            true,
        ),
        tool(
            "show",
            "One learning with its whole markdown text, by id (`12` or `#12`) or by its file's \
             path (`memory/failures/…md`), as `search` and `list` return them.",
            json!({
                "type": "object",
                "properties": {
                    "target": {
                        "type": ["string", "integer"],
                        "description": "The learning's id (12, \"#12\") or its file path relative to the store",
                    },
                },
                "required": ["target"],
                "additionalProperties": false,
            }),
            true,
        ),
        tool(
            "list",
            "The learnings recorded, newest first, optionally only those of a domain, type, \
             severity or since a day. Returns learnings without their text; `show` gives a whole one.",
            read_schema(false),
            true,
        ),
        tool(
            "lock_status",
            "Who holds the store's lock now, if anyone (process id, host, command, since when), \
             and whether it is stale. A `record` that waits is waiting on this holder.",
            json!({ "type": "object", "properties": {}, "additionalProperties": false }),
            true,
        ),
    ]
}

fn tool(name: &'static str, description: &'static str, schema: Value, read_only: bool) -> Tool {
    let Value::Object(schema) = schema else {
        unreachable!("a tool's schema is an object")
    };
    let mut annotations = ToolAnnotations::default();
    annotations.read_only_hint = Some(read_only);
    annotations.destructive_hint = Some(false);
    annotations.idempotent_hint = Some(read_only);
    annotations.open_world_hint = Some(false);
    Tool::new(name, description, Arc::new(schema)).with_annotations(annotations)
}

fn record_schema() -> Value {
    let mut properties = serde_json::Map::new();
    let mut required = Vec::new();
    for spec in &FIELDS {
        let name = property(spec.field);
        let mut help = match spec.check {
            // The CLI's help speaks of `-` for standard input, which an agent has not.
            Check::Summary => format!(
                "What was learned: the lesson in a sentence or a paragraph. Its first line is \
                 what lists show. At most {} characters",
                spec.limit
            ),
            _ => format!("{}. At most {} characters", spec.help, spec.limit),
        };
        if spec.multiline {
            help.push_str("; markdown, several lines allowed");
        } else {
            help.push_str("; one line");
        }
        let schema = match spec.check {
            Check::Severity => json!({
                "type": ["integer", "string"],
                "description": "How bad it was: 1 (low) to 5 (critical), or low, medium, high, critical. Default 3",
            }),
            Check::ExitCode => json!({
                "type": ["integer", "string"],
                "minimum": 0,
                "maximum": 255,
                "description": "The failing command's exit status, 0 to 255",
            }),
            Check::Tags => json!({
                "type": ["array", "string"],
                "items": { "type": "string" },
                "description": format!("Words to find it by: an array, or one comma-separated string. At most {} characters in all", spec.limit),
            }),
            Check::Kind => json!({
                "type": "string",
                "enum": kinds(),
                "description": "What kind of learning it is. Default failure",
            }),
            _ => json!({ "type": "string", "maxLength": spec.limit, "description": help }),
        };
        if spec.check == Check::Required {
            required.push(name.clone());
        }
        properties.insert(name, schema);
    }
    properties.insert(
        "body".into(),
        json!({
            "type": "string",
            "maxLength": limits::BODY,
            "description": format!(
                "Markdown that replaces the sections ({}) when the learning does not fit them; \
                 not together with those fields",
                sections().join(", ")
            ),
        }),
    );
    json!({
        "type": "object",
        "properties": properties,
        "required": required,
        "additionalProperties": false,
    })
}

/// The types a learning can have, for a schema's `enum`.
fn kinds() -> Vec<&'static str> {
    lore::learning::Kind::ALL
        .iter()
        .map(|k| k.as_str())
        .collect()
}

/// The properties of the section fields, which `body` replaces.
fn sections() -> Vec<String> {
    FIELDS
        .iter()
        .filter(|s| matches!(s.place, Place::Section { .. }))
        .map(|s| property(s.field))
        .collect()
}

fn read_schema(with_query: bool) -> Value {
    let mut properties = serde_json::Map::new();
    if with_query {
        properties.insert(
            "query".into(),
            json!({ "type": "string", "description": "Words to find; each matches as a prefix, all must match" }),
        );
    }
    for (name, schema) in [
        (
            "domain",
            json!({ "type": "string", "description": "Only this domain (case-insensitive)" }),
        ),
        (
            "type",
            json!({
                "type": "string",
                "enum": kinds(),
                "description": "Only this type",
            }),
        ),
        (
            "severity",
            json!({ "type": ["integer", "string"], "description": "Only this severity: 1–5, or low, medium, high, critical" }),
        ),
        (
            "tags",
            json!({
                "type": ["array", "string"],
                "items": { "type": "string" },
                "description": "Only learnings carrying every one of these tags: an array, or one comma-separated string (case ignored)",
            }),
        ),
        (
            "since",
            json!({ "type": "string", "description": "Only learnings created on or after this day: YYYY-MM-DD, today, yesterday, 7d, 2w (UTC)" }),
        ),
        (
            "until",
            json!({ "type": "string", "description": "Only learnings created on or before this day, in the same forms" }),
        ),
        (
            "limit",
            json!({
                "type": "integer", "minimum": 1, "maximum": MAX_LIMIT,
                "description": format!("At most this many learnings (default {DEFAULT_LIMIT})"),
            }),
        ),
    ] {
        properties.insert(name.into(), schema);
    }
    let mut schema = json!({
        "type": "object",
        "properties": properties,
        "additionalProperties": false,
    });
    if with_query {
        schema["required"] = json!(["query"]);
    }
    schema
}

/// `record`'s arguments as a draft (not yet validated: [`Draft::validate`] checks it as the
/// CLI's flags are checked).
pub fn draft(args: &JsonObject) -> Result<Draft, ArgError> {
    let mut draft = Draft::default();
    for (key, value) in args {
        if key == "body" {
            draft.body = Some(text("body", value)?);
            continue;
        }
        let Some(field) = Field::all().find(|f| property(*f) == *key) else {
            return Err(unknown(key, args_of_record()));
        };
        let given = match (field.spec().check, value) {
            (Check::Severity | Check::ExitCode, Value::Number(n)) => n.to_string(),
            (Check::Tags, Value::Array(items)) => items
                .iter()
                .map(|item| text(key, item))
                .collect::<Result<Vec<_>, _>>()?
                .join(", "),
            _ => text(key, value)?,
        };
        draft.set(field, given);
    }
    if draft.body.is_some()
        && let Some(section) = sections().into_iter().find(|s| args.contains_key(s))
    {
        return Err(format!(
            "{section}: not together with body, which replaces the sections"
        ));
    }
    Ok(draft)
}

fn args_of_record() -> String {
    let mut names: Vec<String> = Field::all().map(property).collect();
    names.push("body".into());
    names.join(", ")
}

fn unknown(key: &str, known: String) -> ArgError {
    format!(
        "{}: no such argument; the arguments are {known}",
        lore::sanitize::display_line(key)
    )
}

fn text(key: &str, value: &Value) -> Result<String, ArgError> {
    match value {
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("{key}: must be a string, not {}", kind_of(other))),
    }
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What `search` and `list` were asked for.
#[derive(Debug)]
pub struct Read {
    pub query: Option<String>,
    pub filter: Filter,
    pub limit: usize,
}

pub fn read(args: &JsonObject, with_query: bool) -> Result<Read, ArgError> {
    let mut query = None;
    let (mut domain, mut kind, mut severity, mut since, mut until) = (None, None, None, None, None);
    let mut tags: Vec<String> = Vec::new();
    let mut limit = DEFAULT_LIMIT;
    for (key, value) in args {
        match key.as_str() {
            "query" if with_query => query = Some(text(key, value)?),
            "domain" => domain = Some(text(key, value)?),
            "type" => kind = Some(text(key, value)?),
            "severity" => {
                severity = Some(match value {
                    Value::Number(n) => n.to_string(),
                    other => text(key, other)?,
                })
            }
            "since" => since = Some(text(key, value)?),
            "until" => until = Some(text(key, value)?),
            "tags" => {
                tags = match value {
                    Value::Array(items) => items
                        .iter()
                        .map(|item| text(key, item))
                        .collect::<Result<Vec<_>, _>>()?,
                    other => vec![text(key, other)?],
                }
            }
            "limit" => {
                limit = value
                    .as_u64()
                    .filter(|n| (1..=MAX_LIMIT as u64).contains(n))
                    .ok_or_else(|| format!("limit: must be a whole number from 1 to {MAX_LIMIT}"))?
                    as usize
            }
            _ => {
                let known = if with_query {
                    "query, domain, type, severity, tags, since, until, limit"
                } else {
                    "domain, type, severity, tags, since, until, limit"
                };
                return Err(unknown(key, known.into()));
            }
        }
    }
    if with_query && query.as_deref().is_none_or(|q| q.trim().is_empty()) {
        return Err("query: give the words to search for".into());
    }
    let filter = Filter::parse(FilterText {
        domain: domain.as_deref(),
        kind: kind.as_deref(),
        severity: severity.as_deref(),
        since: since.as_deref(),
        until: until.as_deref(),
        tags: &tags,
    })
    .map_err(|e| e.to_string())?;
    Ok(Read {
        query,
        filter,
        limit,
    })
}

/// `show`'s target, as the CLI takes it.
pub fn target(args: &JsonObject) -> Result<String, ArgError> {
    if let Some(key) = args.keys().find(|k| *k != "target") {
        return Err(unknown(key, "target".into()));
    }
    match args.get("target") {
        Some(Value::Number(n)) => Ok(n.to_string()),
        Some(other) => text("target", other),
        None => Err("target: give a learning's id or its file path".into()),
    }
}

/// `lock_status` takes nothing.
pub fn nothing(args: &JsonObject) -> Result<(), ArgError> {
    match args.keys().next() {
        Some(key) => Err(format!(
            "{}: lock_status takes no arguments",
            lore::sanitize::display_line(key)
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(v: Value) -> JsonObject {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn record_takes_every_field_of_the_table_and_body() {
        let schema = record_schema();
        let props = schema["properties"].as_object().unwrap();
        for f in Field::all() {
            assert!(props.contains_key(&property(f)), "{}", f.name());
        }
        assert!(props.contains_key("body"));
        assert_eq!(schema["required"], json!(["title", "domain"]));
    }

    #[test]
    fn tags_as_an_array_and_severity_as_a_number_are_accepted() {
        let d = draft(&object(json!({
            "title": "t", "domain": "d", "tags": ["a", "b c"], "severity": 4,
            "what_happened": "x",
        })))
        .unwrap();
        assert_eq!(d.get(Field::Tags), "a, b c");
        assert_eq!(d.get(Field::Severity), "4");
        assert_eq!(d.get(Field::WhatHappened), "x");
    }

    #[test]
    fn an_unknown_argument_or_a_wrong_type_is_named() {
        let e = draft(&object(json!({ "title": "t", "titel": "x" }))).unwrap_err();
        assert!(e.starts_with("titel: no such argument"), "{e}");
        let e = draft(&object(json!({ "title": 5 }))).unwrap_err();
        assert_eq!(e, "title: must be a string, not a number");
        let e = draft(&object(json!({ "body": "b", "impact": "i" }))).unwrap_err();
        assert!(e.starts_with("impact: not together with body"), "{e}");
        let e = read(&object(json!({ "limit": 0 })), false).unwrap_err();
        assert!(e.starts_with("limit:"), "{e}");
        let e = read(&object(json!({ "query": " " })), true).unwrap_err();
        assert!(e.starts_with("query:"), "{e}");
    }
}
