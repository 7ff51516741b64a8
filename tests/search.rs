//! `lore search`: prefix matching, every word required, ranking, hostile query syntax, and
//! broad searches over many rows.

use crate::support::*;

fn ids(s: &TestStore, q: &str) -> Vec<i64> {
    let out: serde_json::Value =
        serde_json::from_str(&s.ok(&["search", q, "--json", "--limit", "2000"])).unwrap();
    out.as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

/// The titles a listing command (`--json` added) prints, sorted.
fn sorted_titles(s: &TestStore, args: &[&str]) -> Vec<String> {
    let mut all = args.to_vec();
    all.push("--json");
    let rows: serde_json::Value = serde_json::from_str(&s.ok(&all)).unwrap();
    let mut t: Vec<String> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap().to_string())
        .collect();
    t.sort();
    t
}

#[test]
fn words_match_as_prefixes_and_all_must_match() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "Lock contention in the deploy job",
        "--domain",
        "ci",
    ]);
    s.ok(&[
        "record",
        "--title",
        "Deployment froze",
        "--domain",
        "ci",
        "--summary",
        "contended mutex",
    ]);
    s.ok(&[
        "record",
        "--title",
        "Unrelated",
        "--domain",
        "docs",
        "--root-cause",
        "typo in the README",
    ]);
    let sorted = |q: &str| {
        let mut v = ids(&s, q);
        v.sort();
        v
    };
    assert_eq!(ids(&s, "lock cont"), [1]);
    assert_eq!(sorted("deploy"), [1, 2]);
    assert_eq!(sorted("conten"), [1, 2]);
    assert_eq!(sorted("CONTENTION"), [1]);
    // Sections of the body are searched too.
    assert_eq!(ids(&s, "readme"), [3]);
    assert!(ids(&s, "nosuchword").is_empty());
    assert!(ids(&s, "deploy nosuchword").is_empty());
    // One letter is a prefix like any other word: the first keystroke of a search already
    // narrows, and the `c` of `lock c` must start a word of the same learning.
    assert_eq!(ids(&s, "lock c"), [1]);
    assert!(ids(&s, "lock x").is_empty());
    // (Letters that start no word of the template, which every learning's body holds.)
    assert_eq!(sorted("l"), [1], "Lock");
    assert_eq!(sorted("L"), [1]);
    assert_eq!(sorted("m"), [2], "mutex");
    assert!(ids(&s, "q").is_empty());
    // A word of one letter is found as itself, a digit like a letter.
    s.ok(&["record", "--title", "Plan B failed at 3am", "--domain", "x"]);
    assert_eq!(ids(&s, "plan b"), [4]);
    assert_eq!(ids(&s, "plan 3"), [4]);
    assert!(ids(&s, "plan 4").is_empty());
}

#[test]
fn query_syntax_in_the_input_is_just_text() {
    let s = TestStore::new();
    s.ok(&["record", "--title", "Quotes \"and\" stars", "--domain", "d"]);
    for q in [
        "\"",
        "*",
        "NEAR(a b)",
        "a OR",
        "'; DROP TABLE learnings; --",
        "title:x",
        "^",
        "(",
        "-",
    ] {
        let out = s.run(&["search", q, "--json"]);
        assert!(out.status.success(), "{q}: {}", stderr(&out));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap();
    }
    assert_eq!(ids(&s, "\"stars\""), [1]);
    assert_eq!(s.row_count(), 1);
    // The count the browser shows agrees with the rows it lists: none for a query with no word
    // in it (it used to count every learning, "0/8").
    let store = lore::store::Store::open(s.root()).unwrap();
    let mut index = lore::index::Index::open(&store).unwrap();
    let all = lore::index::Filter::default();
    for q in ["*", "'", "^", ".", "\"", "(", "-", "stars", "quo"] {
        let rows = index.search_page(q, &all, 0, 50).unwrap().len() as u64;
        assert_eq!(index.search_count(q, &all).unwrap(), rows, "{q}");
    }
}

#[test]
fn narrow_searches_rank_and_broad_ones_list_newest_first() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "kernel panic",
        "--domain",
        "d",
        "--summary",
        "kernel kernel kernel panic",
    ]);
    s.ok(&[
        "record",
        "--title",
        "a note",
        "--domain",
        "d",
        "--summary",
        "mentions the kernel once",
    ]);
    // The stronger match ranks first although it is older.
    assert_eq!(ids(&s, "kernel"), [1, 2]);

    // 1,200 rows written by another tool, all matching "bulk": listed newest first.
    let db = s.db();
    db.execute_batch("BEGIN").unwrap();
    for i in 0..1200 {
        db.execute(
            "INSERT INTO learnings (type, filepath, title, summary, domain, severity) VALUES ('failure', ?, ?, 'bulk row', 'bulk', 3)",
            [format!("memory/failures/bulk-{i}.md"), format!("bulk {i}")],
        )
        .unwrap();
    }
    db.execute_batch("COMMIT").unwrap();
    let found = ids(&s, "bulk");
    assert_eq!(found.len(), 1200);
    assert!(found.windows(2).all(|w| w[0] > w[1]), "newest first");
}

/// Prefix search expands a word to the indexed words it starts (lore's own word list, filled
/// from FTS5's tokenizer): every path that indexes text must add to that list.
#[test]
fn prefixes_find_rows_whichever_way_they_were_indexed() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "Zeppelin hangar flooded",
        "--domain",
        "ops",
        "--root-cause",
        "Drainage pumps unplugged",
    ]);
    // A row the script wrote straight into the index (no file): indexed on lore's next read.
    s.db()
        .execute(
            "INSERT INTO learnings (type, filepath, title, summary, domain, severity)
             VALUES ('failure', 'memory/failures/20250101_x.md', 'Quokka escaped', 'Kangaroo pen', 'zoo', 3)",
            [],
        )
        .unwrap();
    assert_eq!(ids(&s, "zeppel"), [1]);
    assert_eq!(ids(&s, "draina"), [1], "words of the body are listed");
    assert_eq!(ids(&s, "quokk"), [2], "rows of other tools are listed");
    assert_eq!(ids(&s, "kanga"), [2]);
    // Accents and case fold as FTS5 folds them.
    s.ok(&[
        "record",
        "--title",
        "Échafaudage effondré",
        "--domain",
        "ops",
    ]);
    assert_eq!(ids(&s, "ECHAF"), [3]);
    assert_eq!(ids(&s, "effon"), [3]);

    // An index made before the word list existed: listed from the search index when opened.
    let db = s.db();
    db.execute_batch(
        "DROP TABLE lore_terms; UPDATE lore_meta SET value = '3' WHERE key = 'schema_version';",
    )
    .unwrap();
    drop(db);
    assert_eq!(ids(&s, "zeppel"), [1]);
    assert_eq!(ids(&s, "quokk"), [2]);

    // Rebuilt from the markdown (the script's row, with no file, is kept and stays findable).
    s.ok(&["reindex"]);
    assert_eq!(ids(&s, "draina"), [1]);
    assert_eq!(ids(&s, "quokk"), [2]);
    assert_eq!(ids(&s, "echaf"), [3]);

    // An index made from scratch from HEAD (a fresh clone has none): words listed too.
    std::fs::remove_file(s.root().join("memory/index.db")).unwrap();
    assert_eq!(ids(&s, "zeppel").len(), 1);
    assert_eq!(ids(&s, "effon").len(), 1);
}

/// No query makes search fail: every ASCII control character, before, inside and after words
/// of every length the search treats differently (one letter, prefixes of 2–3, expanded ones).
#[test]
fn control_characters_in_a_query_never_break_it() {
    let s = TestStore::new();
    s.ok(&[
        "record",
        "--title",
        "abcd pipeline stalled",
        "--domain",
        "ci",
    ]);
    for c in (0u8..0x20).chain([0x7f]).map(char::from) {
        if c == '\0' {
            continue; // cannot be passed in an argument
        }
        for q in [
            format!("abcd{c}"),
            format!("{c}abcd"),
            format!("ab{c}cd pipe"),
            format!("a{c}"),
            format!("pipeline {c}{c}"),
        ] {
            let out = s.run(&["search", &q, "--json"]);
            assert_eq!(out.status.code(), Some(0), "{q:?}: {}", stderr(&out));
        }
    }
    assert_eq!(ids(&s, "abcd\u{7f}"), [1]);
}

#[test]
fn list_since_a_day_whichever_way_the_day_is_written() {
    let s = TestStore::new();
    for (title, created) in [
        ("Old one", "2026-10-30 23:59:59"),
        ("On the day", "2026-11-01 00:00:00"),
        ("Later", "2026-11-20 08:00:00"),
    ] {
        s.record(title, "d");
        s.db()
            .execute(
                "UPDATE learnings SET created_at = ? WHERE title = ?",
                [created, title],
            )
            .unwrap();
    }
    let titles = |since: &str| sorted_titles(&s, &["list", "--since", since]);
    let expected = vec!["Later".to_string(), "On the day".to_string()];
    for since in [
        "2026-11-01",
        "20261101",
        "2026-11-01T00:00",
        "2026-11-01T13:30:00",
    ] {
        assert_eq!(titles(since), expected, "--since {since}");
    }
    assert_eq!(titles("2099-12-31"), Vec::<String>::new());
    assert_eq!(titles("20991231"), Vec::<String>::new());
}

#[test]
fn tags_and_relative_days_filter_list_search_and_export_together() {
    let s = TestStore::new();
    let day = |back: i64| {
        jiff::Timestamp::now()
            .to_zoned_datetime(jiff::tz::TimeZone::UTC)
            .date()
            .checked_sub(jiff::Span::new().days(back))
            .unwrap()
            .strftime("%Y-%m-%d 12:00:00")
            .to_string()
    };
    for (title, tags, back) in [
        ("Deploy on ci", "deploy,ci", 0),
        ("Deploy by hand", "deploy", 10),
        // Another tool's row: blanks around the commas.
        ("Flaky on ci", "ci , flaky", 20),
        ("Percent", "100%", 0),
    ] {
        s.ok(&["record", "--title", title, "--domain", "d"]);
        s.db()
            .execute(
                "UPDATE learnings SET tags = ?, created_at = ? WHERE title = ?",
                [tags, &day(back), title],
            )
            .unwrap();
    }
    let titles = |args: &[&str]| sorted_titles(&s, args);
    assert_eq!(
        titles(&["list", "--tag", "deploy"]),
        ["Deploy by hand", "Deploy on ci"]
    );
    assert_eq!(
        titles(&["list", "--tag", "deploy", "--tag", "CI"]),
        ["Deploy on ci"]
    );
    assert_eq!(titles(&["list", "--tag", "flaky"]), ["Flaky on ci"]);
    assert_eq!(titles(&["list", "--tag", "ci,flaky"]), ["Flaky on ci"]);
    assert_eq!(
        titles(&["list", "--tag", "depl"]),
        Vec::<String>::new(),
        "a tag is whole"
    );
    assert_eq!(titles(&["list", "--tag", "100%"]), ["Percent"]);
    assert_eq!(
        titles(&["list", "--tag", "%"]),
        Vec::<String>::new(),
        "% is a character"
    );
    assert_eq!(
        titles(&["list", "--tag", "ci", "--since", "2w"]),
        ["Deploy on ci"]
    );
    assert_eq!(
        titles(&["list", "--since", "7d"]),
        ["Deploy on ci", "Percent"]
    );
    assert_eq!(
        titles(&["list", "--since", "today"]),
        ["Deploy on ci", "Percent"]
    );
    assert_eq!(
        titles(&["list", "--until", "yesterday"]),
        ["Deploy by hand", "Flaky on ci"]
    );
    assert_eq!(
        titles(&["list", "--since", "3w", "--until", "9d"]),
        ["Deploy by hand", "Flaky on ci"]
    );
    assert_eq!(
        titles(&["list", "--until", &day(10)[..10]]),
        ["Deploy by hand", "Flaky on ci"]
    );
    assert_eq!(
        titles(&["search", "deploy", "--tag", "ci"]),
        ["Deploy on ci"]
    );
    assert_eq!(titles(&["search", "on", "--until", "1w"]), ["Flaky on ci"]);
    let exported = s.ok(&["export", "--jsonl", "--tag", "flaky"]);
    assert_eq!(exported.lines().count(), 1, "{exported}");
    assert!(exported.contains("Flaky on ci"));

    for (args, field) in [
        (&["list", "--since", "someday"][..], "since:"),
        (&["list", "--until", "7x"][..], "until:"),
        (&["list", "--since", "1d", "--until", "1w"][..], "until:"),
        (&["list", "--tag", " , "][..], "tag:"),
        (&["search", "x", "--since", "2026-13-01"][..], "since:"),
    ] {
        let out = s.run(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains(field), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn stats_count_the_store_and_the_locks_contention_over_a_period() {
    let s = TestStore::new();
    for (title, domain, severity, created) in [
        ("One", "ci", "4", "2026-10-05 10:00:00"),
        ("Two", "ci", "4", "2026-11-05 10:00:00"),
        ("Three", "db", "2", "2026-11-20 10:00:00"),
    ] {
        s.ok(&[
            "record",
            "--title",
            title,
            "--domain",
            domain,
            "--severity",
            severity,
        ]);
        s.db()
            .execute(
                "UPDATE learnings SET created_at = ? WHERE title = ?",
                [created, title],
            )
            .unwrap();
    }
    // A holder for two seconds: one save gives up, one waits it out.
    let mut holder = hold(&s, 2, &[]);
    let gave_up = s.run(&[
        "--lock-timeout",
        "0.3",
        "record",
        "--title",
        "Late",
        "--domain",
        "x",
    ]);
    assert_eq!(gave_up.status.code(), Some(3));
    s.ok(&[
        "--lock-timeout",
        "10",
        "record",
        "--title",
        "Waited",
        "--domain",
        "x",
    ]);
    holder.wait().unwrap();

    let v: serde_json::Value = serde_json::from_str(&s.ok(&["stats", "--json"])).unwrap();
    assert_eq!(v["learnings"], 4, "{v:#}");
    assert_eq!(
        v["by_domain"][0],
        serde_json::json!({ "value": "ci", "count": 2 })
    );
    assert_eq!(
        v["by_severity"][0],
        serde_json::json!({ "value": "4", "count": 2 })
    );
    let months: Vec<&str> = v["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    assert_eq!(months[..2], ["2026-10", "2026-11"], "oldest first");
    let lock = &v["lock"];
    assert_eq!(lock["timeouts"], 1, "{lock:#}");
    assert!(lock["acquisitions"].as_u64().unwrap() >= 6, "{lock:#}");
    assert!(
        lock["waits_ms"]["max"].as_u64().unwrap() >= 1_000,
        "{lock:#}"
    );
    assert!(lock["waits_ms"]["p99"].as_u64().unwrap() >= lock["waits_ms"]["p50"].as_u64().unwrap());
    assert_eq!(lock["longest_holders"][0]["operation"], "hold", "{lock:#}");
    assert!(lock["longest_holders"][0]["held_ms"].as_u64().unwrap() >= 1_500);

    // A period and the filters narrow the counts.
    let v: serde_json::Value = serde_json::from_str(&s.ok(&[
        "stats",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-30",
        "--json",
    ]))
    .unwrap();
    assert_eq!(v["learnings"], 2);
    assert_eq!(
        v["lock"]["acquisitions"], 0,
        "no lock events in that period"
    );
    let v: serde_json::Value =
        serde_json::from_str(&s.ok(&["stats", "--domain", "ci", "--json"])).unwrap();
    assert_eq!(v["learnings"], 2);
    let text = s.ok(&["stats"]);
    assert!(text.starts_with("4 learnings\n"), "{text}");
    assert!(text.contains("by domain    ci: 2 · db: 1 · x: 1"), "{text}");
    assert!(text.contains("1 timed out"), "{text}");
}

/// Every order pages through every row exactly once, forwards and backwards, on rows as other
/// tools leave them: severities as words or missing, domains missing or numbers, many rows on
/// the same second (the id decides).
#[test]
fn every_sort_pages_through_every_row_once_each_way() {
    use lore::index::{Anchor, Filter, Index, Sort};
    // The script's oldest table: no CHECKs, so words and blanks stand where numbers should.
    let s = oldest_schema_store();
    s.record("first", "d");
    let db = s.db();
    let severities = ["1", "5", "3", "'high'", "NULL", "4", "2", "5"];
    let domains = ["'ci'", "NULL", "'web'", "''", "7", "'ci'", "'api'", "'web'"];
    for i in 0..61 {
        db.execute(
            &format!(
                "INSERT INTO learnings (type, filepath, title, domain, severity, created_at) VALUES
                 ('failure', 'memory/failures/r{i}.md', 'row {i}', {}, {}, '2026-11-{:02} 10:00:00')",
                domains[i % domains.len()],
                severities[i % severities.len()],
                1 + i % 5,
            ),
            [],
        )
        .unwrap();
    }
    drop(db);
    let store = lore::store::Store::open(s.root()).unwrap();
    let index = Index::open(&store).unwrap();
    let all = index.count(&Filter::default()).unwrap() as usize;
    for sort in [Sort::Newest, Sort::Severity, Sort::Domain] {
        // Forwards, seven rows a page.
        let mut seen = Vec::new();
        let mut page = index
            .page(&Filter::default(), sort, &Anchor::First, 7)
            .unwrap();
        while let Some(last) = page.last().map(|r| r.key()) {
            seen.extend(page.iter().map(|r| r.id));
            page = index
                .page(&Filter::default(), sort, &Anchor::After(last), 7)
                .unwrap();
        }
        assert_eq!(seen.len(), all, "{sort:?}: {seen:?}");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all, "{sort:?}: a row came twice");
        // Backwards from the end, the same rows in the same order.
        let mut back = Vec::new();
        let mut page = index
            .page(&Filter::default(), sort, &Anchor::Last, 7)
            .unwrap();
        while let Some(first) = page.first().map(|r| r.key()) {
            back.splice(0..0, page.iter().map(|r| r.id));
            page = index
                .page(&Filter::default(), sort, &Anchor::Before(first), 7)
                .unwrap();
        }
        assert_eq!(back, seen, "{sort:?}");
        // And the order is the one named.
        let rows: Vec<_> = seen
            .iter()
            .map(|id| {
                s.db()
                    .query_row(
                        "SELECT coalesce(CAST(severity AS INTEGER), 0), CAST(ifnull(domain, '') AS TEXT), ifnull(created_at, '') FROM learnings WHERE id = ?",
                        [id],
                        |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?)),
                    )
                    .unwrap()
            })
            .collect();
        for pair in rows.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let in_order = match sort {
                Sort::Newest => a.2 >= b.2,
                Sort::Severity => a.0 > b.0 || (a.0 == b.0 && a.2 >= b.2),
                Sort::Domain => a.1 < b.1 || (a.1 == b.1 && a.2 >= b.2),
            };
            assert!(in_order, "{sort:?}: {a:?} before {b:?}");
        }
    }
    // The orders are served by their indexes: no sort of the whole table.
    let plan: Vec<String> = s
        .db()
        .prepare(
            "EXPLAIN QUERY PLAN SELECT id FROM learnings l WHERE 1
             ORDER BY coalesce(CAST(l.severity AS INTEGER), 0) DESC, ifnull(l.created_at, '') DESC, l.id DESC LIMIT 7",
        )
        .unwrap()
        .query_map([], |r| r.get::<_, String>(3))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert!(
        plan.iter().any(|p| p.contains("lore_learnings_severity"))
            && !plan.iter().any(|p| p.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}
