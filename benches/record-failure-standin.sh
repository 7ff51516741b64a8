#!/usr/bin/env bash
# A stand-in for record-failure.sh, for the side-by-side benchmark only (benches/scale.rs).
# Written from the description in the project's reference notes: the same steps in the same
# order (file, row, then flock -w 30 on .git/claude-lock around git add + git commit), with
# the sqlite3 command-line tool and git. Not the script itself, and not for real use.
#
#   record-failure-standin.sh STORE TITLE DOMAIN SUMMARY
set -u
base=$1 title=$2 domain=$3 summary=$4
date_file=$(date +%Y%m%d)
date_iso=$(date +%Y-%m-%d)
slug=$(printf '%s' "$title" | tr '[:upper:]' '[:lower:]' | tr ' ' '-' | tr -cd 'a-z0-9-' | cut -c1-100)
rel="memory/failures/${date_file}_${slug}.md"
mkdir -p "$base/memory/failures"
cat > "$base/$rel" <<MD
# $title

**Domain**: $domain
**Severity**: 3
**Tags**: 
**Date**: $date_iso

## Summary
$summary

## What Happened
[Describe what happened]

## Root Cause
[Describe the root cause]

## Impact
[Describe the impact]

## Prevention
[How to prevent this]

## Related
- **Experiments**:
- **Heuristics**:
- **Similar Failures**:
MD
q() { printf '%s' "$1" | sed "s/'/''/g"; }
for try in 1 2 3 4 5; do
  sqlite3 "$base/memory/index.db" "INSERT INTO learnings (type, filepath, title, summary, tags, domain, severity) VALUES ('failure', '$(q "$rel")', '$(q "$title")', '$(q "${summary%%$'\n'*}")', '', '$(q "$domain")', 3);" 2>/dev/null && break
  sleep 0.1
done
(
  flock -w 30 200 || exit 3
  cd "$base" || exit 1
  git add "$rel"
  git add memory/index.db 2>/dev/null
  git commit -q -m "failure: $title" -m "Domain: $domain | Severity: 3" || echo "no changes"
) 200>"$base/.git/claude-lock"
