#!/usr/bin/env bash
# The main job on the embedded default store (SQLite, ./iarss.db): registers a demo page
# whose production feed is the example feed in testdata/feeds (a file:// URL, allowed by
# config/daemon.example.toml), then runs the daemon in the foreground. Stop it with Ctrl-C.
# The operator pages are at http://127.0.0.1:8080/ (health: /healthz, metrics: /metrics).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --quiet
iarss=target/release/iarss
if ! "$iarss" pages show news >/dev/null 2>&1; then
  "$iarss" pages add --id news --name "Example News" --domain news.example.com \
    --feed "file://$PWD/testdata/feeds/example.xml"
fi
"$iarss" pages fetch-now news
exec "$iarss" daemon --config config/daemon.example.toml "$@"
