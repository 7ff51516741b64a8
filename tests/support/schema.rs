//! The published JSON Schema (assets/schema/lore-v1.json), for checking what a command printed
//! against the contract wherever a test has that output at hand.

use std::path::Path;

use serde_json::{Value, json};

/// The published schema, with its root pointed at one of its `$defs`.
pub fn validator(def: &str) -> jsonschema::Validator {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/schema/lore-v1.json");
    let mut schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    assert!(
        schema["$defs"].get(def).is_some(),
        "the schema has no {def}"
    );
    schema["$ref"] = json!(format!("#/$defs/{def}"));
    jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

#[track_caller]
pub fn conforms(def: &str, value: &Value) {
    let errors: Vec<String> = validator(def)
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "not a {def}:\n{}\n{value:#}",
        errors.join("\n")
    );
}
