//! Hostile input, table-driven: every value goes through `lore record` and comes back through
//! `list`, `show`, `search` and `--json`. Policy (README): control characters are stripped on
//! input; text from elsewhere is escaped visibly on output; nothing reaches the terminal raw.

use std::io::Write;
use std::process::Stdio;

use crate::support::*;

/// What may never appear in anything lore prints.
fn dangerous(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t')
        || ('\u{202a}'..='\u{202e}').contains(&c)
        || ('\u{2066}'..='\u{2069}').contains(&c)
}

fn assert_clean(what: &str, bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Some(c) = text.chars().find(|c| dangerous(*c)) {
        panic!("{what}: U+{:04X} reached the output: {text:?}", c as u32);
    }
}

#[derive(Clone, Copy)]
enum Via {
    Title,
    Domain,
    Summary,
    Tags,
    /// Summary through standard input (`--summary -`): the only way to send NUL or megabytes.
    Stdin,
}

struct Case {
    name: &'static str,
    via: Via,
    value: Vec<u8>,
    /// Expected exit status.
    exit: i32,
}

fn case(name: &'static str, via: Via, value: impl Into<Vec<u8>>, exit: i32) -> Case {
    Case {
        name,
        via,
        value: value.into(),
        exit,
    }
}

fn cases() -> Vec<Case> {
    use Via::*;
    vec![
        case("ansi colour", Title, "\u{1b}[31mred\u{1b}[0m title", 0),
        case("osc 0 window title", Title, "a\u{1b}]0;pwned\u{7}b", 0),
        case(
            "osc 52 clipboard",
            Summary,
            "x\u{1b}]52;c;ZXZpbA==\u{7}y",
            0,
        ),
        case(
            "osc 8 hyperlink",
            Summary,
            "\u{1b}]8;;http://evil\u{1b}\\link\u{1b}]8;;\u{1b}\\",
            0,
        ),
        case("clear screen", Title, "\u{1b}[2J\u{1b}[Hcleared", 0),
        case("cursor moves", Domain, "do\u{1b}[10Amain", 0),
        case("bell", Title, "ring\u{7}ring", 0),
        case("carriage return", Title, "over\rwrite", 0),
        case("backspace", Title, "abc\u{8}\u{8}d", 0),
        case("delete", Tags, "a\u{7f},b", 0),
        case("c1 csi", Title, "x\u{9b}31my", 0),
        case("c1 osc", Summary, "x\u{9d}0;t\u{9c}y", 0),
        case("bidi override", Title, "abc\u{202e}fed", 0),
        case("bidi isolate", Domain, "\u{2067}rtl\u{2069}", 0),
        case("zero-width space", Title, "zero\u{200b}width", 0),
        case("zero-width joiner emoji", Title, "dev 👩\u{200d}💻", 0),
        case("nul in summary", Stdin, b"before\0after".to_vec(), 0),
        case(
            "invalid utf-8 in summary",
            Stdin,
            b"bad \xff\xfe bytes".to_vec(),
            2,
        ),
        case("10 MB summary", Stdin, vec![b'x'; 10 * 1024 * 1024], 2),
        case("50,001-character summary", Summary, "s".repeat(50_001), 2),
        case("50,000-character summary", Summary, "s".repeat(50_000), 0),
        case("500-character title", Title, "t".repeat(500), 0),
        case("501-character title", Title, "t".repeat(501), 2),
        case("101-character domain", Domain, "d".repeat(101), 2),
        case("path traversal", Title, "../../etc/passwd", 0),
        case("absolute path", Title, "/abs/path", 0),
        case("windows path", Title, "C:\\x\\y", 0),
        case("sql fragment", Title, "'; DROP TABLE learnings; --", 0),
        case("sql in domain", Domain, "x' OR '1'='1", 0),
        case("shell substitution", Title, "$(whoami)", 0),
        case("backticks", Summary, "`rm -rf /`", 0),
        case(
            "newline then heading",
            Title,
            "title\n## Summary\ninjected",
            0,
        ),
        case("heading in domain", Domain, "d\n# H1", 0),
        case("empty title", Title, "", 2),
        case("whitespace title", Title, " \t \n ", 2),
        case("controls only", Title, "\u{1b}[0m\u{7}\u{202e}", 2),
        case("empty domain", Domain, "", 2),
        case("cjk", Title, "测试失败 データベース 테스트", 0),
        case("emoji", Title, "🔥 prod is down 🚒", 0),
        case("right-to-left text", Title, "שגיאה في النظام", 0),
        case("combining marks", Title, "e\u{301}\u{301}\u{301} zalgo", 0),
        case("fts syntax", Title, "NEAR(a b) OR \"x\" AND title:y*", 0),
        case("markdown bold field", Summary, "**Domain**: forged", 0),
        case("front matter", Summary, "---\ntitle: forged\n---", 0),
    ]
}

fn run_case(s: &TestStore, c: &Case) -> std::process::Output {
    use std::os::unix::ffi::OsStrExt;
    let mut cmd = s.cmd();
    cmd.arg("record").arg("--json");
    let value = std::ffi::OsStr::from_bytes(&c.value);
    let (title, domain): (&std::ffi::OsStr, &std::ffi::OsStr) = match c.via {
        Via::Title => (value, "d".as_ref()),
        Via::Domain => ("hostile".as_ref(), value),
        _ => ("hostile".as_ref(), "d".as_ref()),
    };
    cmd.arg("--title").arg(title).arg("--domain").arg(domain);
    match c.via {
        Via::Summary => {
            cmd.arg("--summary").arg(value);
        }
        Via::Tags => {
            cmd.arg("--tags").arg(value);
        }
        Via::Stdin => {
            cmd.args(["--summary", "-"]);
        }
        _ => {}
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    if matches!(c.via, Via::Stdin) {
        let _ = stdin.write_all(&c.value);
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn every_hostile_input_is_stored_by_the_policy_and_never_printed_raw() {
    let s = TestStore::new();
    let cases = cases();
    assert!(cases.len() >= 40);
    for c in &cases {
        let before = s.snapshot();
        let out = run_case(&s, c);
        assert_eq!(
            out.status.code(),
            Some(c.exit),
            "{}: {}",
            c.name,
            stderr(&out)
        );
        assert_clean(c.name, &out.stderr);
        assert_clean(c.name, &out.stdout);
        if c.exit != 0 {
            assert_eq!(s.snapshot(), before, "{}: something was written", c.name);
            assert_eq!(
                stderr(&out).trim_end().lines().count(),
                1,
                "{}: one line",
                c.name
            );
            continue;
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let path = v["filepath"].as_str().unwrap();
        let name = path.rsplit('/').next().unwrap();
        assert_eq!(path, daily(name), "{}", c.name);
        assert!(
            !name.starts_with('.') && name.ends_with(".md"),
            "{}: {path}",
            c.name
        );
        // The file holds no control characters and exactly one title line.
        let md = std::fs::read_to_string(s.root().join(path)).unwrap();
        assert!(!md.chars().any(dangerous), "{}: {md:?}", c.name);
        assert_eq!(
            md.lines().filter(|l| l.starts_with("# ")).count(),
            1,
            "{}",
            c.name
        );
        assert_eq!(md.matches("\n## Summary\n").count(), 1, "{}", c.name);
        let id = v["id"].to_string();
        for args in [
            vec!["show", id.as_str()],
            vec!["show", id.as_str(), "--json"],
            vec!["list", "--limit", "3"],
            vec!["list", "--json", "--limit", "3"],
            vec!["search", "hostile", "--json"],
            vec!["search", "hostile"],
        ] {
            let out = s.run(&args);
            assert!(
                out.status.success(),
                "{} {args:?}: {}",
                c.name,
                stderr(&out)
            );
            assert_clean(&format!("{} {args:?}", c.name), &out.stdout);
        }
    }
    // The SQL fragments did nothing.
    let tables: i64 = s
        .db()
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE name = 'learnings'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tables, 1);
}

#[test]
fn text_written_by_other_tools_is_escaped_visibly() {
    let s = TestStore::new();
    let evil = "T\u{1b}]0;x\u{7}\u{9b}2J\u{202e}end";
    std::fs::write(
        s.root().join("memory/failures/evil.md"),
        format!("# {evil}\n\nbody \u{1b}[31m\u{0}\n"),
    )
    .unwrap();
    s.db()
        .execute(
            "INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('failure', 'memory/failures/evil.md', ?1, ?1, ?1, 3)",
            [evil],
        )
        .unwrap();
    for args in [
        vec!["list"],
        vec!["list", "--json"],
        vec!["show", "1"],
        vec!["show", "1", "--json"],
        vec!["search", "end", "--json"],
        vec!["search", "end"],
    ] {
        let out = s.run(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        assert_clean(&format!("{args:?}"), &out.stdout);
    }
    let out = s.ok(&["show", "1"]);
    assert!(
        out.contains("T\\e]0;x\\x07\\x9b2J\\u{202e}end"),
        "escaped visibly: {out}"
    );
    let json: serde_json::Value = serde_json::from_str(&s.ok(&["show", "1", "--json"])).unwrap();
    assert_eq!(
        json["title"], evil,
        "JSON keeps the value, escaped as \\u sequences"
    );
}
