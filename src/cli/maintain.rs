//! `lore doctor` and `lore reindex`.

use super::out::{out, outln};
use lore::ops::doctor::{self, Finding};
use lore::report::{Flagged, FromTo};
use lore::sanitize::display_line;
use lore::{Error, Result};

use super::record::{WaitReporter, warn_all};
use super::{Ctx, print_json};

pub fn doctor(ctx: &Ctx, fix: bool, settle: bool, json: bool) -> Result<()> {
    let store = ctx.store()?;
    let mut findings = doctor::check(&store).map_err(|e| {
        if fix || settle {
            lore::write::before("doctor", lore::error::Step::Inspect, e)
        } else {
            e
        }
    })?;
    let mut done = Vec::new();
    let mut settled_rows = Vec::new();
    let mut waits = WaitReporter::default();
    let mut acted = false;
    if settle {
        let settled = doctor::settle(
            &store,
            &findings,
            &ctx.lock_options("doctor"),
            &mut waits.progress(),
        )?;
        warn_all(&settled.warnings);
        acted = !settled.rows.is_empty();
        settled_rows = settled.rows;
    }
    if fix && findings.iter().any(|f| !f.is_info()) {
        let fixed = doctor::fix(
            &store,
            &findings,
            &ctx.lock_options("doctor"),
            &mut waits.progress(),
        )?;
        let (warnings, said): (Vec<String>, Vec<String>) = fixed
            .into_iter()
            .partition(|d| d.starts_with(doctor::WARNING));
        warn_all(
            &warnings
                .iter()
                .map(|w| w[doctor::WARNING.len()..].to_string())
                .collect::<Vec<_>>(),
        );
        done.extend(said);
        acted = true;
    }
    if acted {
        findings = match doctor::check(&store) {
            Ok(f) => f,
            // The repairs are made; only the second look failed (a full disk, say).
            Err(e) => {
                warn_all(&[format!(
                    "the repairs are made, but looking at the store again failed ({e}); run `lore doctor` to see what is left"
                )]);
                Vec::new()
            }
        };
    }
    let (info, findings): (Vec<Finding>, Vec<Finding>) =
        findings.into_iter().partition(Finding::is_info);
    if json {
        let settled: Vec<_> = settled_rows
            .iter()
            .map(|(id, path)| serde_json::json!({ "id": id, "path": path }))
            .collect();
        // Each finding as its kind and fields, and the line the text output prints for it.
        let described = |list: &[Finding]| -> Vec<serde_json::Value> {
            list.iter()
                .map(|f| {
                    let mut v = serde_json::to_value(f).expect("a finding is plain data");
                    v["message"] = f.describe().into();
                    v
                })
                .collect()
        };
        print_json(&serde_json::json!({
            "fixed": done, "settled": settled,
            "findings": described(&findings), "info": described(&info)
        }));
    } else {
        for (id, path) in &settled_rows {
            outln!(
                "settled #{id} {}: kept, no longer reported",
                display_line(path)
            );
        }
        for d in &done {
            outln!("fixed: {}", display_line(d));
        }
        for f in &findings {
            outln!("{}", display_line(&f.describe()));
        }
        for f in &info {
            outln!("info: {}", display_line(&f.describe()));
        }
        if findings.is_empty() {
            outln!("ok: files on disk, files in HEAD and the index agree");
        }
    }
    if findings.is_empty() {
        Ok(())
    } else {
        let fixable = findings
            .iter()
            .filter(|f| {
                !matches!(
                    f,
                    Finding::RowWithoutFile { .. }
                        | Finding::Modified { .. }
                        | Finding::GitLock { .. }
                )
            })
            .count();
        Err(Error::ProblemsFound {
            count: findings.len(),
            fixable: (!fix && fixable > 0).then_some(fixable),
        })
    }
}

pub fn reindex(ctx: &Ctx, json: bool) -> Result<()> {
    let store = ctx.store()?;
    let mut waits = WaitReporter::default();
    let report =
        lore::ops::reindex::reindex(&store, &ctx.lock_options("reindex"), &mut waits.progress())?;
    warn_all(&report.warnings);
    if json {
        print_json(&report);
        return Ok(());
    }
    print_flagged(&report.flagged);
    if let Some(kept) = &report.corrupt_kept {
        outln!(
            "the old index could not be read: it is kept as {} and a new one was built from HEAD",
            display_line(&kept.display().to_string())
        );
    }
    outln!(
        "reindexed {} file(s) from HEAD; kept {} other row(s){}{}",
        report.files,
        report.kept_rows,
        if report.kept_tables.is_empty() {
            String::new()
        } else {
            format!(" and {} other table(s)", report.kept_tables.len())
        },
        if report.duplicate_rows == 0 {
            String::new()
        } else {
            format!(
                "; dropped {} row(s) that repeated another row's file",
                report.duplicate_rows
            )
        }
    );
    Ok(())
}

pub fn sync(ctx: &Ctx, remote: &str, json: bool) -> Result<()> {
    let store = ctx.store()?;
    let mut waits = WaitReporter::default();
    let report = lore::ops::sync::sync(&store, remote, &ctx.lock_options("sync"), &mut |p| {
        use lore::ops::sync::Progress;
        let what = match p {
            Progress::Lock(e) => return waits.on_event(&e),
            Progress::Fetching => "fetching",
            Progress::Integrating => "integrating",
            Progress::Pushing => "pushing",
            Progress::Indexing => "indexing",
            Progress::Hook(hook) => {
                if !json {
                    eprintln!("lore: sync: running git's {hook} hook…");
                }
                return;
            }
        };
        if !json {
            eprintln!("lore: sync: {what}…");
        }
    })?;
    warn_all(&report.warnings);
    if json {
        print_json(&report);
        return Ok(());
    }
    for FromTo {
        from: theirs,
        to: kept,
    } in &report.kept_both
    {
        outln!(
            "kept both: {} (the remote's copy is {})",
            display_line(theirs),
            display_line(kept)
        );
    }
    for FromTo { from, to } in &report.moved {
        outln!(
            "moved: {} is now {} (same learning, same id; `lore show {}` still finds it)",
            display_line(from),
            display_line(to),
            display_line(from)
        );
    }
    for c in &report.conflicts {
        outln!("conflict: {}", display_line(c));
    }
    for n in &report.not_learnings {
        outln!("not a learning: {}", display_line(n));
    }
    print_flagged(&report.flagged);
    outln!(
        "synced with {}/{}: {}, {} learning(s) arrived, {}",
        display_line(&report.remote),
        display_line(&report.branch),
        report.integration,
        report.arrived.len(),
        if report.pushed {
            "pushed"
        } else {
            "nothing to push"
        }
    );
    Ok(())
}

pub fn adopt(ctx: &Ctx, yes: bool, script_updated: bool) -> Result<()> {
    use std::io::{BufRead, IsTerminal};
    let store = ctx.store()?;
    let tracked = lore::ops::adopt::tracks_index(&store)?;
    if tracked.is_empty() {
        outln!("nothing to adopt: memory/index.db is not tracked in git");
        return Ok(());
    }
    outln!(
        "This store tracks {} in git. lore will make one commit that stops tracking it (the file stays on disk) and adds it to .gitignore.",
        tracked.join(", ")
    );
    let script = lore::ops::adopt::script_in_use(&store)?;
    if script.is_in_use() {
        outln!();
        outln!("record-failure.sh looks in use in this store:");
        for sign in &script.signs {
            outln!("  - {}", display_line(sign));
        }
        outln!();
        outln!(
            "Adopting breaks it as it is: its `git add memory/index.db` is refused once the index is ignored, and its error trap then deletes the learning it has just written (file and row)."
        );
        outln!(
            "Before adopting, update the script: delete its `git add memory/index.db` line (lore indexes the markdown itself), or record with `lore record` instead (the same flags and FAILURE_* variables)."
        );
        outln!(
            "Or do nothing: lore works beside the script on the store as it is (it never stages or commits the index)."
        );
    }
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(Error::invalid(
                "yes",
                "standard input is not a terminal; pass --yes to confirm",
            ));
        }
        if script.is_in_use() {
            out!("Adopt now (only once the script is updated)? [y/N] ");
        } else {
            out!("Make that commit? [y/N] ");
        }
        let mut line = String::new();
        let _ = std::io::stdin().lock().read_line(&mut line);
        if !matches!(line.trim(), "y" | "Y" | "yes") {
            outln!("nothing changed");
            return Ok(());
        }
    } else if script.is_in_use() && !script_updated {
        return Err(Error::invalid(
            "script-updated",
            "record-failure.sh looks in use here (see above); update it, then pass --script-updated with --yes, or leave the store as it is. Nothing changed",
        ));
    }
    let mut waits = WaitReporter::default();
    let adopted =
        lore::ops::adopt::adopt(&store, &ctx.lock_options("adopt"), &mut waits.progress())?;
    warn_all(&adopted.warnings);
    match adopted.commit {
        Some(commit) => outln!("adopted: commit {}", &commit[..12]),
        None => outln!("nothing to adopt"),
    }
    Ok(())
}

pub fn import(ctx: &Ctx, paths: &[std::path::PathBuf], json: bool) -> Result<()> {
    let store = ctx.store()?;
    let mut waits = WaitReporter::default();
    let report = lore::ops::import::import(
        &store,
        paths,
        &ctx.lock_options("import"),
        &mut waits.progress(),
    )?;
    warn_all(&report.warnings);
    if json {
        print_json(&report);
        return Ok(());
    }
    for FromTo { from, to } in &report.imported {
        outln!("imported {} as {}", display_line(from), display_line(to));
    }
    for d in &report.duplicates {
        outln!("skipped {} (already in the store)", display_line(d));
    }
    print_flagged(&report.flagged);
    outln!(
        "{} imported, {} duplicate(s) skipped{}",
        report.imported.len(),
        report.duplicates.len(),
        report
            .commit
            .as_ref()
            .map(|c| format!(" (commit {})", &c[..12]))
            .unwrap_or_default()
    );
    Ok(())
}

/// Files read with what could be read, one line each.
fn print_flagged(flagged: &[Flagged]) {
    for Flagged { path, problems } in flagged {
        outln!(
            "flagged {}: {}",
            display_line(path),
            display_line(&problems.join("; "))
        );
    }
}
