//! RELIABILITY.md cannot drift from the tests: every test it names exists, every test of the
//! reliability suites is named in it, and every hostile input appears with its exit status.

use std::collections::BTreeSet;
use std::path::Path;

const SUITES: &[&str] = &[
    "faults",
    "abuse",
    "filesystem",
    "maintenance",
    "lock",
    "concurrency",
    "queue",
    "scale",
    "hostile",
    "fuzz",
];

fn read(rel: &str) -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// Names of the `#[test]` functions of a file (plain tests and proptest ones).
fn tests_in(src: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let lines: Vec<&str> = src.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("fn ") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if i.checked_sub(1).map(|j| lines[j].trim()) == Some("#[test]") {
            out.insert(name);
        }
    }
    out
}

#[test]
fn every_test_named_exists_and_every_reliability_test_is_named() {
    let doc = read("RELIABILITY.md");
    let mut named = BTreeSet::new();
    for cell in doc.split('|').map(str::trim) {
        if let Some((file, name)) = cell
            .strip_prefix("tests/")
            .and_then(|c| c.split_once(".rs::"))
        {
            let src = read(&format!("tests/{file}.rs"));
            assert!(
                tests_in(&src).contains(name),
                "RELIABILITY.md names tests/{file}.rs::{name}, which does not exist"
            );
            named.insert(format!("{file}::{name}"));
        }
    }
    for suite in SUITES {
        for name in tests_in(&read(&format!("tests/{suite}.rs"))) {
            assert!(
                named.contains(&format!("{suite}::{name}")),
                "tests/{suite}.rs::{name} is not in RELIABILITY.md"
            );
        }
    }
}

#[test]
fn every_hostile_input_is_listed_with_its_exit_status() {
    let doc = read("RELIABILITY.md");
    let src = read("tests/hostile.rs");
    let mut n = 0;
    for line in src
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("case(\""))
    {
        let name = &line[6..line[6..].find('"').unwrap() + 6];
        let exit = line
            .trim_end_matches(',')
            .trim_end_matches(')')
            .rsplit(',')
            .next()
            .unwrap()
            .trim();
        let row = doc
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("hostile input `{name}` is not in RELIABILITY.md"));
        assert!(
            row.contains(&format!("| {exit} |")),
            "`{name}` should be listed with exit {exit}: {row}"
        );
        n += 1;
    }
    assert!(n >= 40, "only {n} hostile inputs found");
}
