#!/usr/bin/env bash
# The main job on the embedded default store (SQLite, ./iarss.db): registers a demo page
# whose production feed is the example feed in testdata/feeds (a file:// URL, allowed by
# config/daemon.example.toml), then runs the daemon in the foreground. Stop it with Ctrl-C.
# The operator pages are at http://127.0.0.1:8080/ (health: /healthz, metrics: /metrics).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "run.sh: building iarss (release; a first build takes about 10 minutes on two cores)…" >&2
cargo build --release --bin iarss
# Wherever CARGO_TARGET_DIR or a config puts the binary: ask cargo.
target_dir=$(cargo metadata --format-version 1 --no-deps \
  | grep -o '"target_directory":"[^"]*"' | cut -d'"' -f4)
target_dir=${target_dir:-${CARGO_TARGET_DIR:-target}}
iarss="$target_dir/release/iarss"
if [ ! -x "$iarss" ]; then
  echo "run.sh: no binary at $iarss" >&2
  exit 1
fi
if ! "$iarss" pages show news >/dev/null 2>&1; then
  echo "run.sh: registering the demo page \`news\` (news.example.com) in ./iarss.db" >&2
  "$iarss" pages add --id news --name "Example News" --domain news.example.com \
    --feed "file://$PWD/testdata/feeds/example.xml"
fi
"$iarss" pages fetch-now news
echo "run.sh: starting the daemon with config/daemon.example.toml; operator pages on http://127.0.0.1:8080/ (Ctrl-C stops it)" >&2
exec "$iarss" daemon --config config/daemon.example.toml "$@"
