#!/usr/bin/env bash
# The main job on the embedded default store (SQLite, ./iarss.db): registers a demo page
# whose production feed is the example feed in testdata/feeds (a file:// URL, allowed by
# config/daemon.example.toml) and a first operator account, then runs the daemon in the
# foreground. Stop it with Ctrl-C. The web pages are at http://127.0.0.1:8080/ (health:
# /healthz, metrics: /metrics, the API: /api/v1).
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
# A first operator, so the web pages can be used at once. The password is made here and
# shown once; it lives only as an argon2id hash in the store.
login=admin@example.com
if ! "$iarss" users list --format json 2>/dev/null | grep -q "\"$login\""; then
  password=$(head -c 15 /dev/urandom | base64 | tr -d '/+=\n')
  printf '%s\n' "$password" | "$iarss" users add "$login" --operator --password-stdin >/dev/null
  cat >&2 <<MSG
run.sh: first operator created; sign in at http://127.0.0.1:8080/login with
          email:    $login
          password: $password
        (shown this once; \`iarss users remove $login\` and \`iarss users add\` make another)
MSG
else
  echo "run.sh: sign in at http://127.0.0.1:8080/login as $login (password set when it was created)" >&2
fi
echo "run.sh: starting the daemon with config/daemon.example.toml; web pages on http://127.0.0.1:8080/ (Ctrl-C stops it)" >&2
exec "$iarss" daemon --config config/daemon.example.toml "$@"
