//! Where the store's critical operations may appear in the code, by module: naming git2 or
//! rusqlite,
//! taking the store lock, editing git's index, moving a branch, opening SQLite's write
//! transaction of a change.
//! Only the write seam (`write`) does them, over the modules that implement them; besides it,
//! only `lore lock hold` takes the lock (a demonstration that changes nothing). A new caller
//! anywhere else fails this test, so every change keeps going through one critical section.
//! The table names modules by path, so that moving them means changing one line here.

use std::path::Path;

/// (what, the marks of it in the source, the modules where it may appear).
const RULES: &[(&str, &[&str], &[&str])] = &[
    ("naming git2", &["git2"], &["src/git/"]),
    ("naming rusqlite", &["rusqlite"], &["src/index/"]),
    (
        "taking the store lock",
        &["lock::acquire("],
        &["src/write/", "src/lock/", "src/cli/lock.rs"],
    ),
    (
        "editing git's index",
        &["git::stage(", "edit_index", "StagedUndo"],
        &["src/write/", "src/git/"],
    ),
    (
        "moving a branch",
        &["commit_blobs", "move_branch_to", "move_branch("],
        &["src/write/", "src/git/"],
    ),
    (
        "a change's SQLite transaction",
        &["begin_write(", "commit_write(", "rollback_write("],
        &["src/write/", "src/index/"],
    ),
];

fn sources(dir: &Path, out: &mut Vec<(String, String)>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|x| x == "rs") {
            let rel = path
                .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                .unwrap()
                .to_string_lossy()
                .into_owned();
            out.push((rel, std::fs::read_to_string(&path).unwrap()));
        }
    }
}

#[test]
fn only_the_write_seam_locks_stages_commits_and_opens_a_change() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    assert!(files.len() > 20, "the sources were not found");
    let mut wrong = Vec::new();
    for (what, marks, allowed) in RULES {
        let mut seen = false;
        for (rel, text) in &files {
            let ok = allowed.iter().any(|a| rel.starts_with(a));
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                if marks.iter().any(|m| code.contains(m)) {
                    seen = true;
                    if !ok {
                        wrong.push(format!("{rel}:{}: {what}: {}", n + 1, line.trim()));
                    }
                }
            }
        }
        assert!(seen, "no mark of {what} found: the rule is out of date");
    }
    assert!(
        wrong.is_empty(),
        "outside the write seam:\n{}",
        wrong.join("\n")
    );
}

/// The module a source file is part of, at the level circles are checked: a top-level module
/// of the library (`index`, `write`, …), or one of the browser's or the CLI's (`tui::app`,
/// `tui::screens`, `cli::record`, …). `None` for the crate roots.
fn node_of(rel: &str) -> Option<String> {
    let path = rel.strip_prefix("src/")?.strip_suffix(".rs")?;
    let parts: Vec<&str> = path.split('/').filter(|p| *p != "mod").collect();
    match parts.as_slice() {
        ["lib" | "main"] | [] => None,
        [first @ ("tui" | "cli")] => Some(first.to_string()),
        [first @ ("tui" | "cli"), second, ..] => Some(format!("{first}::{second}")),
        [first, ..] => Some(first.to_string()),
    }
}

/// The file's own module path (`src/tui/screens/list.rs` → `tui::screens::list`).
fn module_of(rel: &str) -> Vec<String> {
    let path = rel
        .strip_prefix("src/")
        .and_then(|p| p.strip_suffix(".rs"))
        .unwrap_or("");
    path.split('/')
        .filter(|p| *p != "mod")
        .map(str::to_string)
        .collect()
}

/// The paths a file names through `crate::` and `super::` (in `use` lists too), as module
/// paths from its crate's root; comments are left out.
fn references(rel: &str, text: &str) -> Vec<Vec<String>> {
    let here = module_of(rel);
    let code: String = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut out = Vec::new();
    let bytes = code.as_bytes();
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|p| {
                p.chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|p| !p.is_empty())
            .collect()
    };
    for (i, _) in code
        .match_indices("crate::")
        .chain(code.match_indices("super::"))
    {
        if i > 0 && (bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_') {
            continue;
        }
        let rest = &code[i..];
        let mut base = if rest.starts_with("crate::") {
            Vec::new()
        } else {
            here.clone()
        };
        let mut tail = rest.strip_prefix("crate::").unwrap_or(rest);
        while let Some(t) = tail.strip_prefix("super::") {
            base.pop();
            tail = t;
        }
        // `use crate::{a, b::c}` names each of its members.
        let heads: Vec<&str> = match tail.strip_prefix('{') {
            Some(group) => group
                .split('}')
                .next()
                .unwrap_or("")
                .split(',')
                .map(str::trim)
                .collect(),
            None => vec![tail],
        };
        for h in heads {
            let mut p = base.clone();
            p.extend(ident(h));
            out.push(p);
        }
    }
    out
}

/// Finds a circle in `edges`, if there is one, as the nodes around it.
fn circle(
    edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        edges: &std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
        state: &mut std::collections::BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in edges.get(n).into_iter().flatten() {
            match state.get(m.as_str()).copied().unwrap_or(0) {
                1 => {
                    let at = stack.iter().position(|s| s == m).unwrap_or(0);
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                0 => {
                    if let Some(c) = visit(m, edges, state, stack) {
                        return Some(c);
                    }
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = std::collections::BTreeMap::new();
    for n in edges.keys() {
        if state.get(n.as_str()).copied().unwrap_or(0) == 0
            && let Some(c) = visit(n, edges, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// The edges between the nodes `node` makes of the source files, from what each file names;
/// none between a module and a module inside it (a module's children may use it).
fn import_edges(
    files: &[(String, String)],
    node: impl Fn(&str) -> Option<String>,
) -> (
    usize,
    std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
) {
    let inside =
        |a: &str, b: &str| a.starts_with(&format!("{b}::")) || b.starts_with(&format!("{a}::"));
    let mut edges: std::collections::BTreeMap<String, std::collections::BTreeSet<String>> =
        Default::default();
    let mut named = 0;
    for (rel, text) in files {
        let Some(from) = node(rel) else { continue };
        edges.entry(from.clone()).or_default();
        for path in references(rel, text) {
            // The longest prefix of the path that is a file of its own.
            let to = (1..=path.len()).rev().find_map(|n| {
                let p = &path[..n];
                let file = format!("src/{}.rs", p.join("/"));
                let dir = format!("src/{}/mod.rs", p.join("/"));
                files
                    .iter()
                    .any(|(r, _)| *r == file || *r == dir)
                    .then(|| node(&file))
                    .flatten()
            });
            let Some(to) = to else { continue };
            named += 1;
            if to != from && !inside(&from, &to) {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    (named, edges)
}

/// No two modules use each other, directly or round a longer circle: the library's top-level
/// modules (the bottom ones — `clock`, `sanitize`, `error` — used by the rest), and the
/// browser's and the CLI's modules (`tui::screens` as one); and, inside any of them, no two
/// files. A module's own children may use it; that is not a circle between modules.
#[test]
fn there_are_no_import_circles_between_modules() {
    let mut files = Vec::new();
    sources(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let (named, edges) = import_edges(&files, node_of);
    assert!(
        named > 100 && edges.len() > 30,
        "the references were not found"
    );
    if let Some(c) = circle(&edges) {
        panic!("an import circle between modules: {}", c.join(" → "));
    }
    let (_, edges) = import_edges(&files, |rel| {
        node_of(rel).map(|_| module_of(rel).join("::"))
    });
    if let Some(c) = circle(&edges) {
        panic!("an import circle between files: {}", c.join(" → "));
    }
}

/// No source file is so long that it does several jobs: at most 800 lines.
#[test]
fn no_source_file_is_over_800_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches", "crates"] {
        if root.join(dir).is_dir() {
            sources(&root.join(dir), &mut files);
        }
    }
    let long: Vec<String> = files
        .iter()
        .filter(|(rel, _)| !rel.contains("/target/"))
        .map(|(rel, text)| (rel, text.lines().count()))
        .filter(|(_, n)| *n > 800)
        .map(|(rel, n)| format!("{rel}: {n} lines"))
        .collect();
    assert!(long.is_empty(), "over 800 lines:\n{}", long.join("\n"));
}
