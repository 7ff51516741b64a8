//! The JSON contract v1 (docs/JSON.md, assets/schema/lore-v1.json): every command that prints
//! learnings, checked against the published schema, on a store holding rows lore never wrote.

use serde_json::{Value, json};

use crate::support::mcp::McpClient;
use crate::support::schema::{conforms, validator};
use crate::support::*;

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

fn lines(text: &str) -> Vec<Value> {
    text.lines().map(parse).collect()
}

/// A store with a learning lore recorded and rows as other tools leave them: tags with blanks
/// and empty entries, a date alone, no time at all, a time that is not one, a severity word,
/// another word for the type, a file that is missing.
fn mixed_store() -> (TestStore, Value) {
    let s = oldest_schema_store();
    let recorded = parse(&s.ok(&[
        "record",
        "--title",
        "Cache key ignored the locale",
        "--domain",
        "web",
        "--severity",
        "4",
        "--tags",
        "cache, i18n",
        "--summary",
        "Key on everything that changes the output",
        "--json",
    ]));
    let db = s.db();
    db.execute_batch(
        "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at, updated_at) VALUES
           ('legacy-note', 'memory/failures/old_one.md', 'Old cache note', NULL, ' cache, ,legacy ,', 'web', 'high', '2024-03-01', NULL);
         INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity, created_at, updated_at) VALUES
           ('failure', 'memory/failures/old_two.md', 'Cache warmed twice', 'x', NULL, NULL, 9, 'last tuesday', '2024-03-02T10:00:00+02:00');",
    )
    .unwrap();
    (s, recorded)
}

#[test]
fn every_command_that_prints_learnings_prints_contract_v1() {
    // The schema tells the old shape from v1: comma-joined tags, SQLite's times.
    let v0 = json!({ "id": 1, "type": "failure", "title": "t", "summary": null, "tags": "a,b",
        "domain": "d", "severity": 3, "filepath": "memory/failures/x.md",
        "created_at": "2026-12-02 10:00:00", "updated_at": null });
    assert!(!validator("learning").is_valid(&v0));
    let mut fixed = v0.clone();
    fixed["tags"] = json!(["a", "b"]);
    assert!(
        !validator("learning").is_valid(&fixed),
        "a time without T and offset"
    );
    fixed["created_at"] = json!("2026-12-02T10:00:00+00:00");
    assert!(validator("learning").is_valid(&fixed));

    let (s, recorded) = mixed_store();
    conforms("recorded", &recorded);
    assert_eq!(recorded["tags"], json!(["cache", "i18n"]));
    assert_eq!(s.git(&["rev-parse", "HEAD"]).trim(), recorded["commit"]);

    let list = parse(&s.ok(&["list", "--json"]));
    conforms("list", &list);
    assert_eq!(list.as_array().unwrap().len(), 3);
    let search = parse(&s.ok(&["search", "cache", "--json"]));
    conforms("list", &search);
    assert_eq!(search.as_array().unwrap().len(), 3, "{search:#}");
    for jsonl in [
        s.ok(&["list", "--jsonl"]),
        s.ok(&["search", "cache", "--jsonl"]),
    ] {
        assert_eq!(jsonl.lines().count(), 3, "{jsonl}");
        for line in lines(&jsonl) {
            conforms("learning", &line);
        }
    }
    let export = parse(&s.ok(&["export", "--format", "json"]));
    conforms("export", &export);
    for jsonl in [
        s.ok(&["export", "--jsonl"]),
        s.ok(&["export", "--format", "jsonl"]),
    ] {
        assert_eq!(lines(&jsonl), *export.as_array().unwrap());
    }
    for row in list.as_array().unwrap() {
        let shown = parse(&s.ok(&["show", &row["id"].to_string(), "--json"]));
        conforms("learning_with_body", &shown);
    }
    conforms("version", &parse(&s.ok(&["--version", "--json"])));
    let id = recorded["id"].to_string();
    let edited = parse(&s.ok(&["edit", &id, "--tags", "a, b", "--json"]));
    conforms("recorded", &edited);
    assert_eq!(edited["tags"], json!(["a", "b"]));
    let unchanged = parse(&s.ok(&["edit", &id, "--tags", "a,b", "--json"]));
    conforms("recorded", &unchanged);
    assert_eq!(unchanged["commit"], Value::Null);
    let failed = s.run(&["show", "999", "--json"]);
    assert_eq!(failed.status.code(), Some(1), "not found");
    conforms("error", &parse(&stdout(&failed)));
    let failed = s.run(&["list", "--jsonl", "--since", "someday"]);
    assert_eq!(failed.status.code(), Some(2));
    conforms("error", &parse(&stdout(&failed)));

    let mut agent = McpClient::start({
        let mut cmd = s.cmd();
        cmd.arg("mcp");
        cmd
    });
    conforms("mcp_list", &agent.call_ok("list", json!({})));
    // The CLI's filters, for agents too (the first learning's tags are `a, b` by now; the old
    // row's column has blanks around it and an empty tag).
    let tagged = agent.call_ok("list", json!({ "tags": ["CACHE"], "until": "today" }));
    assert_eq!(tagged["total"], 1, "{tagged:#}");
    let recent = agent.call_ok(
        "search",
        json!({ "query": "cache", "tags": "b,a", "since": "2025-01-01" }),
    );
    assert_eq!(
        recent["learnings"].as_array().unwrap().len(),
        1,
        "{recent:#}"
    );
    conforms(
        "mcp_search",
        &agent.call_ok("search", json!({ "query": "cache" })),
    );
    conforms("mcp_show", &agent.call_ok("show", json!({ "target": 2 })));
    let by_agent = agent.call_ok(
        "record",
        json!({ "title": "From an agent", "domain": "d", "command": "npm test", "exit_code": 1 }),
    );
    conforms("recorded", &by_agent);
    let md =
        std::fs::read_to_string(s.root().join(by_agent["filepath"].as_str().unwrap())).unwrap();
    assert!(
        md.contains("```sh\nnpm test\n```\n\n- **Exit code**: 1\n"),
        "{md}"
    );
    assert!(agent.finish().success());
    conforms("recorded", &parse(&s.ok(&["rm", &id, "--yes", "--json"])));
}

#[test]
fn a_learning_is_the_same_object_everywhere_and_the_index_keeps_the_scripts_values() {
    let (s, recorded) = mixed_store();
    let id = recorded["id"].as_i64().unwrap();
    let find = |all: &Value, id: i64| -> Value {
        all.as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == id)
            .unwrap_or_else(|| panic!("#{id} missing from {all:#}"))
            .clone()
    };
    let without = |mut v: Value, keys: &[&str]| -> Value {
        for k in keys {
            v.as_object_mut().unwrap().remove(*k);
        }
        v
    };
    let listed = find(&parse(&s.ok(&["list", "--json"])), id);
    assert_eq!(without(recorded.clone(), &["commit", "warnings"]), listed);
    assert_eq!(
        find(&parse(&s.ok(&["search", "locale", "--json"])), id),
        listed
    );
    let shown = parse(&s.ok(&["show", &id.to_string(), "--json"]));
    assert_eq!(without(shown.clone(), &["body"]), listed);
    let exported = find(&parse(&s.ok(&["export"])), id);
    assert_eq!(exported, shown);
    let body =
        std::fs::read_to_string(s.root().join(listed["filepath"].as_str().unwrap())).unwrap();
    assert_eq!(shown["body"], json!(body));
    let mut agent = McpClient::start({
        let mut cmd = s.cmd();
        cmd.arg("mcp");
        cmd
    });
    assert_eq!(agent.call_ok("show", json!({ "target": id })), shown);
    assert_eq!(
        find(&agent.call_ok("list", json!({}))["learnings"], id),
        listed
    );
    assert!(agent.finish().success());

    // The other tools' rows, converted on the way out only.
    let all = parse(&s.ok(&["list", "--json"]));
    let old = find(&all, id + 1);
    assert_eq!(old["tags"], json!(["cache", "legacy"]));
    assert_eq!(old["severity"], json!(4), "`high` is severity 4");
    assert_eq!(old["created_at"], json!("2024-03-01T00:00:00+00:00"));
    assert_eq!(old["updated_at"], Value::Null);
    let odd = find(&all, id + 2);
    assert_eq!(odd["tags"], json!([]));
    assert_eq!(odd["severity"], Value::Null, "9 is not a severity");
    assert_eq!(
        odd["created_at"],
        Value::Null,
        "`last tuesday` is not a time"
    );
    assert_eq!(odd["updated_at"], json!("2024-03-02T08:00:00+00:00"));
    let shown = parse(&s.ok(&["show", &(id + 1).to_string(), "--json"]));
    assert_eq!(shown["body"], Value::Null, "the file is missing");

    let stored: (String, String) = s
        .db()
        .query_row(
            "SELECT tags, created_at FROM learnings WHERE id = ?",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(stored.0, "cache,i18n");
    let created = listed["created_at"].as_str().unwrap();
    assert_eq!(
        format!("{}T{}+00:00", &stored.1[..10], &stored.1[11..]),
        created,
        "stored as SQLite's CURRENT_TIMESTAMP, printed as RFC 3339"
    );
}

#[test]
fn jsonl_streams_every_page_in_the_order_of_the_json_array() {
    let s = TestStore::new();
    let db = s.db();
    db.execute_batch("BEGIN").unwrap();
    for i in 0..1_234 {
        db.execute(
            "INSERT INTO learnings (type, filepath, title, domain, severity, created_at) VALUES ('failure', ?1, ?2, 'd', 3, ?3)",
            rusqlite::params![
                format!("memory/failures/n{i}.md"),
                format!("Learning {i}"),
                // Ties on the second, so the id breaks them across page boundaries.
                format!("2026-01-{:02} 10:00:00", 1 + i / 100)
            ],
        )
        .unwrap();
    }
    db.execute_batch("COMMIT").unwrap();
    let array = parse(&s.ok(&["list", "--json", "--limit", "1200"]));
    let streamed = lines(&s.ok(&["list", "--jsonl", "--limit", "1200"]));
    assert_eq!(streamed.len(), 1200);
    assert_eq!(streamed, *array.as_array().unwrap());
    let exported = lines(&s.ok(&["export", "--jsonl"]));
    assert_eq!(exported.len(), 1_234);
    let ids: Vec<i64> = exported.iter().map(|v| v["id"].as_i64().unwrap()).collect();
    let mut newest_first = ids.clone();
    newest_first.sort_by_key(|id| {
        let created = exported.iter().find(|v| v["id"] == *id).unwrap()["created_at"]
            .as_str()
            .unwrap()
            .to_string();
        std::cmp::Reverse((created, *id))
    });
    assert_eq!(ids, newest_first);
    // A reader that stops early is not an error.
    let mut child = s
        .cmd()
        .args(["export", "--jsonl"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert!(child.wait().unwrap().success());
}

/// The reports that carry no learning (doctor, import, reindex, stats, lock status, config)
/// are under the contract too, each with something in every list that can hold something: a
/// schema checked against empty lists only proves nothing.
#[test]
fn every_report_is_under_the_contract_with_its_lists_filled() {
    let (s, recorded) = mixed_store();
    let root = s.root();
    let recorded_file = root.join(recorded["filepath"].as_str().unwrap());

    // doctor: rows without files (the mixed store has two), a learning no commit holds, and a
    // git lock file; each finding says what it is in a line of its own.
    std::fs::write(root.join("memory/failures/loose.md"), "# Loose\n").unwrap();
    std::fs::write(root.join(".git/index.lock"), "").unwrap();
    let out = s.run(&["doctor", "--json"]);
    assert_eq!(out.status.code(), Some(1), "problems fail doctor");
    let doctor = parse(&stdout(&out));
    conforms("doctor", &doctor);
    let kinds: Vec<&str> = doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    for kind in ["row-without-file", "uncommitted", "git-lock"] {
        assert!(kinds.contains(&kind), "{kind} in {doctor:#}");
    }
    let loose = doctor["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["kind"] == "uncommitted")
        .unwrap();
    assert_eq!(loose["path"], "memory/failures/loose.md");
    assert!(loose["message"].as_str().unwrap().contains("loose.md"));
    std::fs::remove_file(root.join(".git/index.lock")).unwrap();
    std::fs::remove_file(root.join("memory/failures/loose.md")).unwrap();

    // import: one file imported, one flagged, one already in the store.
    let from = tempfile::tempdir().unwrap();
    std::fs::write(
        from.path().join("a_good.md"),
        "# Imported one\n\nIt broke.\n",
    )
    .unwrap();
    std::fs::write(
        from.path().join("b_bad.md"),
        "no title here\n**Severity**: 99\n",
    )
    .unwrap();
    std::fs::copy(&recorded_file, from.path().join("c_same.md")).unwrap();
    let import = parse(&s.ok(&["import", from.path().to_str().unwrap(), "--json"]));
    conforms("import", &import);
    let imported = import["imported"].as_array().unwrap();
    assert_eq!(imported.len(), 2, "{import:#}");
    assert!(imported[0]["from"].as_str().unwrap().ends_with("a_good.md"));
    let to = imported[0]["to"].as_str().unwrap();
    assert!(root.join(to).is_file(), "{to}");
    assert!(
        import["flagged"][0]["path"]
            .as_str()
            .unwrap()
            .ends_with("b_bad.md")
    );
    assert!(
        !import["flagged"][0]["problems"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        import["duplicates"].as_array().unwrap().len(),
        1,
        "{import:#}"
    );
    assert_eq!(s.git(&["rev-parse", "HEAD"]).trim(), import["commit"]);
    let mut before_v1 = import.clone();
    before_v1["imported"] = json!([[imported[0]["from"], to]]);
    assert!(
        !validator("import").is_valid(&before_v1),
        "pairs are not v1"
    );

    // reindex: the flagged file again, under its path in the store, and the rows without files
    // kept.
    let reindex = parse(&s.ok(&["reindex", "--json"]));
    conforms("reindex", &reindex);
    assert_eq!(reindex["kept_rows"], 2, "{reindex:#}");
    let flagged = reindex["flagged"][0]["path"].as_str().unwrap();
    assert_eq!(flagged, imported[1]["to"], "{reindex:#}");

    // stats: another tool's severity word counted as it is stored, and the lock's holders with
    // times a date parser reads.
    let stats = parse(&s.ok(&["stats", "--json"]));
    conforms("stats", &stats);
    assert!(
        stats["by_severity"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["value"] == "high"),
        "{stats:#}"
    );
    assert!(
        !stats["lock"]["longest_holders"]
            .as_array()
            .unwrap()
            .is_empty()
    );

    // lock status, free and held: the holder's own record shows, its proofs of life do not.
    conforms("lock_status", &parse(&s.ok(&["lock", "status", "--json"])));
    let mut holder = hold(&s, 30, &[]);
    let held = parse(&s.ok(&["lock", "status", "--json"]));
    holder.kill().unwrap();
    holder.wait().unwrap();
    conforms("lock_status", &held);
    assert_eq!(held["holder"]["pid"], holder.id(), "{held:#}");
    assert!(held["holder"]["since"].is_string(), "{held:#}");

    conforms("config", &parse(&s.ok(&["config", "show", "--json"])));
}
