#!/usr/bin/env bash
# Regenerates screenshots/*.png from the real binary in a real terminal (tmux), on the demo
# store (`lore init --demo`). Needs tmux, python3 and the DejaVu fonts; installs Pillow into a
# private virtualenv. Run from anywhere: bash scripts/screenshots.sh
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
cd "$here"
cargo build --release --quiet
lore="$here/target/release/lore"
venv="$here/target/screenshot-venv"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c 'import PIL' 2>/dev/null || "$venv/bin/pip" install --quiet pillow
work="$(mktemp -d)"
trap 'tmux kill-session -t lore-shots 2>/dev/null || true; rm -rf "$work"' EXIT
store="$work/store"
export LORE_CONFIG="$work/none.toml" TERM=xterm-256color
"$lore" init --demo "$store" >/dev/null
# Some lock history for the inspector's charts.
for i in 1 2 3; do "$lore" --store "$store" lock hold --for 0.2s >/dev/null; done
"$lore" --store "$store" lock hold --for 3s >/dev/null & sleep 0.3
"$lore" --store "$store" --lock-timeout 0.5 record --title "Timed out" --domain demo >/dev/null 2>&1 || true
wait

shot() { # name
  sleep 0.6
  tmux capture-pane -e -p -t lore-shots > "$work/$1.txt"
  "$venv/bin/python" scripts/ansi2png.py "$work/$1.txt" "screenshots/$1.png" 120 35
  echo "screenshots/$1.png"
}
keys() { tmux send-keys -t lore-shots "$@"; sleep 0.3; }

tmux kill-session -t lore-shots 2>/dev/null || true
tmux new-session -d -s lore-shots -x 120 -y 35 "$lore --store $store"
sleep 1
shot 1-list-and-detail
keys / ; keys -l "cache" ; shot 2-search
keys Escape ; keys Escape
keys n ; keys -l "$(printf 'x%.0s' $(seq 1 510))" ; keys Tab ; keys Tab ; keys -l "9" ; shot 3-compose-validation
keys Escape ; keys d
# A save waiting on a lock held by another process.
"$lore" --store "$store" lock hold --for 20s >/dev/null &
holder=$!
sleep 0.5
keys n ; keys -l "Save while someone else holds the lock" ; keys Tab ; keys -l "demo" ; keys C-s
sleep 2.5
shot 4-save-waiting-on-lock
keys Escape
kill "$holder" 2>/dev/null || true
sleep 0.5 ; keys Escape ; keys d
keys L ; shot 5-lock-inspector
keys Escape ; keys ? ; shot 6-help
keys Escape ; keys q
