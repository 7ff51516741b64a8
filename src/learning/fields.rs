//! The one table of a learning's fields.
//!
//! Validation, the CLI's `record` flags, the browser's form, the drafts kept on disk (and the
//! JSON that `init --demo` reads), the markdown template and the export read this table and
//! nothing else: a new field is one row here plus its place in `assets/learning.md` (a
//! `**Heading**: {key}` line) or nothing more for a section, which the template writes in the
//! body in table order.
//!
//! The index's columns are the script's schema (`type`, `title`, `summary`, `tags`, `domain`,
//! `severity`), shared with the script and other tools; a field is in one only where the row
//! says so, and a new column is a schema change, not a new row.

/// How a field is checked and what its text becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// One line, not blank.
    Required,
    /// Free text (one line or many, as [`Spec::multiline`] says); may be empty.
    Text,
    /// The text of the Summary section, and its first line the `summary` column; an empty one
    /// is written as the script writes it ([`super::NO_SUMMARY`]).
    Summary,
    /// A comma-separated list; a tag given twice (in any case) is kept once.
    Tags,
    /// One of [`super::Kind`]; empty is `failure`.
    Kind,
    /// One of [`super::Severity`]; empty is 3.
    Severity,
    /// A command's exit status, 0–255; may be empty.
    ExitCode,
}

/// Where a field goes in the markdown file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The `# Title` line (`{key}` in the template).
    Title,
    /// A `**Heading**: value` line (`{key}` in the template).
    Header(&'static str),
    /// A `## Heading` section the template holds itself (`{key}` under it), kept when a whole
    /// body replaces the others.
    Block(&'static str),
    /// A `## Heading` section of the body, with the placeholder the script writes when empty.
    Section {
        heading: &'static str,
        placeholder: &'static str,
    },
    /// Not in the text: the type decides the folder (`memory/failures/` …) and the column.
    Folder,
    /// The failing command's context: a `## Failing Command` section written only when one of
    /// its fields is given (the command in a code block, then a `- **Label**: value` line each).
    Context(&'static str),
}

/// One row of the table.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub field: Field,
    /// The CLI flag (`--what-happened`) and the name an error gives (`what-happened: …`).
    pub name: &'static str,
    /// The key in a draft file and the demo JSON, and the template's placeholder.
    pub key: &'static str,
    /// The environment variable that fills an absent flag, as the script reads it.
    pub env: Option<&'static str>,
    /// The CLI's help line.
    pub help: &'static str,
    /// The form's label.
    pub label: &'static str,
    /// At most this many characters, after cleaning.
    pub limit: usize,
    /// Whether the text may hold several lines (the form gives it a text box).
    pub multiline: bool,
    pub check: Check,
    pub place: Place,
    /// The `learnings` column it fills, if any.
    pub column: Option<&'static str>,
}

/// Declares the fields: the [`Field`] enum, in form order, and [`FIELDS`], a row per field.
macro_rules! fields {
    ($( $field:ident { $($k:ident : $v:expr),* $(,)? } )*) => {
        /// A learning's field; `Field::X as usize` is its row in [`FIELDS`].
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field { $($field),* }

        impl Field {
            /// Every field, in the form's order.
            pub const ALL: [Field; [$(Field::$field),*].len()] = [$(Field::$field),*];
        }

        const TABLE: [Spec; [$(Field::$field),*].len()] = [
            $(Spec { field: Field::$field, $($k: $v),* }),*
        ];
    };
}

fields! {
    Title {
        name: "title", key: "title", env: Some("FAILURE_TITLE"),
        help: "One line, at most 500 characters", label: "Title",
        limit: 500, multiline: false, check: Check::Required, place: Place::Title,
        column: Some("title"),
    }
    Domain {
        name: "domain", key: "domain", env: Some("FAILURE_DOMAIN"),
        help: "At most 100 characters", label: "Domain",
        limit: 100, multiline: false, check: Check::Required, place: Place::Header("Domain"),
        column: Some("domain"),
    }
    Severity {
        name: "severity", key: "severity", env: Some("FAILURE_SEVERITY"),
        help: "1–5, or low, medium, high, critical [default: 3]", label: "Severity (1–5)",
        limit: 100, multiline: false, check: Check::Severity, place: Place::Header("Severity"),
        column: Some("severity"),
    }
    Tags {
        name: "tags", key: "tags", env: Some("FAILURE_TAGS"),
        help: "Comma-separated", label: "Tags (comma-separated)",
        limit: 1_000, multiline: false, check: Check::Tags, place: Place::Header("Tags"),
        column: Some("tags"),
    }
    Type {
        name: "type", key: "kind", env: None,
        help: "failure, success, heuristic, experiment or observation [default: failure]",
        label: "Type (failure, success, heuristic, experiment or observation)",
        limit: 100, multiline: false, check: Check::Kind, place: Place::Folder,
        column: Some("type"),
    }
    Summary {
        name: "summary", key: "summary", env: Some("FAILURE_SUMMARY"),
        help: "Text, or `-` to read it from standard input (at most 50,000 characters)",
        label: "Summary",
        limit: 50_000, multiline: true, check: Check::Summary,
        place: Place::Block("Summary"), column: Some("summary"),
    }
    WhatHappened {
        name: "what-happened", key: "what_happened", env: None,
        help: "The \"What Happened\" section", label: "What happened",
        limit: 50_000, multiline: true, check: Check::Text,
        place: Place::Section {
            heading: "What Happened",
            placeholder: "[Describe the failure in detail]",
        },
        column: None,
    }
    RootCause {
        name: "root-cause", key: "root_cause", env: None,
        help: "The \"Root Cause\" section", label: "Root cause",
        limit: 50_000, multiline: true, check: Check::Text,
        place: Place::Section {
            heading: "Root Cause",
            placeholder: "[What was the underlying issue?]",
        },
        column: None,
    }
    Impact {
        name: "impact", key: "impact", env: None,
        help: "The \"Impact\" section", label: "Impact",
        limit: 50_000, multiline: true, check: Check::Text,
        place: Place::Section {
            heading: "Impact",
            placeholder: "[What were the consequences?]",
        },
        column: None,
    }
    Prevention {
        name: "prevention", key: "prevention", env: None,
        help: "The \"Prevention\" section", label: "Prevention",
        limit: 50_000, multiline: true, check: Check::Text,
        place: Place::Section {
            heading: "Prevention",
            placeholder: "[What heuristic or practice would prevent this?]",
        },
        column: None,
    }
    Command {
        name: "command", key: "command", env: Some("FAILURE_COMMAND"),
        help: "The command that failed (a `## Failing Command` section)", label: "Failing command",
        limit: 4_000, multiline: false, check: Check::Text, place: Place::Context("Command"),
        column: None,
    }
    ExitCode {
        name: "exit-code", key: "exit_code", env: Some("FAILURE_EXIT_CODE"),
        help: "Its exit status, 0–255", label: "Exit code",
        limit: 3, multiline: false, check: Check::ExitCode, place: Place::Context("Exit code"),
        column: None,
    }
    Cwd {
        name: "cwd", key: "cwd", env: Some("FAILURE_CWD"),
        help: "The directory it ran in", label: "Directory",
        limit: 4_096, multiline: false, check: Check::Text, place: Place::Context("Directory"),
        column: None,
    }
}

/// Every field, in the form's order.
pub static FIELDS: [Spec; TABLE.len()] = TABLE;

impl Field {
    pub const COUNT: usize = TABLE.len();

    /// How many fields the browser's form shows: all but the failing command's context, which
    /// scripts and hooks give (those rows are last, so a field's row is its place in the form).
    pub const IN_FORM: usize = Field::Command as usize;

    /// The fields of the browser's form, in its order.
    pub fn in_form() -> &'static [Field] {
        &Field::ALL[..Field::IN_FORM]
    }

    /// Every field, in the form's order.
    pub fn all() -> impl Iterator<Item = Field> + Clone {
        Field::ALL.into_iter()
    }

    pub fn spec(self) -> &'static Spec {
        &FIELDS[self as usize]
    }

    /// Its limit, for constants ([`super::limits`]).
    pub const fn limit(self) -> usize {
        TABLE[self as usize].limit
    }

    pub fn name(self) -> &'static str {
        self.spec().name
    }

    pub fn label(self) -> &'static str {
        self.spec().label
    }

    pub fn multiline(self) -> bool {
        self.spec().multiline
    }

    /// The field a draft key or template placeholder names (`what_happened`).
    pub fn keyed(key: &str) -> Option<Field> {
        FIELDS.iter().find(|s| s.key == key).map(|s| s.field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_in_enum_order_and_names_are_unique() {
        for (i, s) in FIELDS.iter().enumerate() {
            assert_eq!(s.field as usize, i, "{} is out of order", s.name);
            assert_eq!(
                FIELDS.iter().filter(|o| o.name == s.name).count(),
                1,
                "{} is named twice",
                s.name
            );
            assert_eq!(Field::keyed(s.key), Some(s.field));
            assert!(s.limit > 0);
        }
    }

    #[test]
    fn the_failing_commands_fields_come_last_and_only_they_are_out_of_the_form() {
        for (i, s) in FIELDS.iter().enumerate() {
            let context = matches!(s.place, Place::Context(_));
            assert_eq!(context, i >= Field::IN_FORM, "{} is out of place", s.name);
        }
    }

    #[test]
    fn the_template_has_a_place_for_every_header_field() {
        let template = include_str!("../../assets/learning.md");
        for s in &FIELDS {
            let wanted = match s.place {
                Place::Title => format!("# {{{}}}", s.key),
                Place::Block(h) => format!("## {h}\n\n{{{}}}", s.key),
                Place::Header(h) => format!("**{h}**: {{{}}}", s.key),
                Place::Section { .. } | Place::Folder | Place::Context(_) => continue,
            };
            assert!(
                template.contains(&wanted),
                "assets/learning.md lacks `{wanted}`"
            );
        }
        assert!(template.contains("{body}"), "the sections go in `{{body}}`");
    }
}
