#!/usr/bin/env bash
# The API contract check: serves the API with `iarss serve` on SQLite and on PostgreSQL and
# holds what it serves to tools written elsewhere, installed from their registries into a
# throwaway directory:
#
#   openapi-spec-validator   the served document is valid OpenAPI 3.1;
#   @redocly/cli lint        no error under its recommended rules, no warning but the
#                            licence the project has not chosen yet;
#   openapi-python-client    generates a client, and the README's Python example runs on it;
#   schemathesis             every check and phase (negative data, response schemas,
#                            stateful links) finds no failure.
#
# PostgreSQL: IARSS_TEST_DATABASE_URL (run under scripts/with-postgres.sh for a throwaway
# cluster); without it only SQLite is checked, unless IARSS_CONTRACT_POSTGRES=required.
# IARSS_BIN names the binary (default target/release/iarss, built when missing);
# IARSS_CONTRACT_EXAMPLES sets schemathesis' examples per operation (default 40).
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS=4.32.5
SPEC_VALIDATOR=0.9.0
PYTHON_CLIENT=0.29.1
REDOCLY=2.77.0

BIN=${IARSS_BIN:-target/release/iarss}
if [ ! -x "$BIN" ]; then cargo build --release --bin iarss; fi
BIN=$(realpath "$BIN")
ROOT=$(pwd)
TEST_DB=${IARSS_TEST_DATABASE_URL:-}
PG_REQUIRED=${IARSS_CONTRACT_POSTGRES:-}
EXAMPLES=${IARSS_CONTRACT_EXAMPLES:-40}
# The server is configured by this script alone: variables meant for the test suite
# (IARSS_BROWSER_TESTS, IARSS_REQUIRE_SHARED, ...) are not its configuration and it refuses them.
while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep '^IARSS_')

WORK=$(mktemp -d /tmp/iarss-contract.XXXXXX)
SERVER=
cleanup() {
  if [ -n "$SERVER" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
say() { echo "contract: $*" >&2; }

# --- the tools ---------------------------------------------------------------------------
if ! python3 -m venv "$WORK/venv" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing python3-venv"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null) >&2
    python3 -m venv "$WORK/venv"
  else
    say "no python3 venv module"; exit 1
  fi
fi
if ! command -v npm >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing nodejs and npm"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null) >&2
  else
    say "no npm"; exit 1
  fi
fi
say "installing schemathesis $SCHEMATHESIS, openapi-spec-validator $SPEC_VALIDATOR, openapi-python-client $PYTHON_CLIENT, @redocly/cli $REDOCLY"
"$WORK/venv/bin/pip" install -q --disable-pip-version-check \
  "schemathesis==$SCHEMATHESIS" "openapi-spec-validator==$SPEC_VALIDATOR" \
  "openapi-python-client==$PYTHON_CLIENT" >&2
npm install -s --no-audit --no-fund --prefix "$WORK/npm" "@redocly/cli@$REDOCLY" >&2
PY=$WORK/venv/bin/python
REDOCLY_BIN=$WORK/npm/node_modules/.bin/redocly

# The README's Python example, exactly as written there.
awk '/<!-- contract: python example -->/ {on=1; next}
     on && /^```python/ {code=1; next}
     code && /^```/ {exit}
     code {print}' README.md > "$WORK/example.py"
[ -s "$WORK/example.py" ] || { say "no Python example found in README.md"; exit 1; }

free_port() {
  local candidate
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then echo "$candidate"; return; fi
  done
  say "no free port"; exit 1
}

# --- one backend -------------------------------------------------------------------------
check_backend() {
  local label=$1 db=$2 port base token
  say "[$label] seeding a page and an operator"
  export IARSS_DATABASE_URL=$db
  "$BIN" pages add --id news --domain example.com --feed https://example.com/ia.rss >/dev/null
  echo 'a long contract password' |
    "$BIN" users add contract@example.com --operator --password-stdin >/dev/null
  token=$("$BIN" tokens create --user contract@example.com --name contract | grep '^iarss_')
  port=$(free_port)
  base=http://127.0.0.1:$port
  "$BIN" serve --listen "127.0.0.1:$port" >"$WORK/$label-serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do
    if curl -sf "$base/healthz" >/dev/null 2>&1; then break; fi
    sleep 0.2
  done
  curl -sf "$base/api/v1/openapi.json" >"$WORK/$label.json" ||
    { say "[$label] the server did not come up:"; cat "$WORK/$label-serve.log" >&2; exit 1; }

  say "[$label] openapi-spec-validator"
  "$WORK/venv/bin/openapi-spec-validator" "$WORK/$label.json" >&2

  say "[$label] redocly lint (recommended rules)"
  "$REDOCLY_BIN" lint --format stylish --max-problems 50 "$WORK/$label.json" >"$WORK/$label-redocly.log" 2>&1 ||
    { cat "$WORK/$label-redocly.log" >&2; exit 1; }
  # Its one warning is expected: the document names no licence, as iarss has none yet.
  if grep -E '(error|warning) ' "$WORK/$label-redocly.log" | grep -v 'info-license' >&2; then
    exit 1
  fi

  say "[$label] openapi-python-client, and the README's example on the client it generates"
  rm -rf "$WORK/client"
  "$WORK/venv/bin/openapi-python-client" generate --path "$WORK/$label.json" \
    --output-path "$WORK/client" --meta setup >"$WORK/$label-client.log" 2>&1 ||
    { cat "$WORK/$label-client.log" >&2; exit 1; }
  "$WORK/venv/bin/pip" install -q --disable-pip-version-check --force-reinstall --no-deps "$WORK/client" >&2
  (cd "$ROOT" && IARSS_URL=$base IARSS_TOKEN=$token "$PY" "$WORK/example.py") >"$WORK/$label-example.log" 2>&1 ||
    { cat "$WORK/$label-example.log" >&2; exit 1; }
  grep -q "^success inserted https://news.example.com/2026/11/harbour-reopens" "$WORK/$label-example.log" ||
    { say "[$label] the example did not import its article:"; cat "$WORK/$label-example.log" >&2; exit 1; }

  # Every check is on by default; naming them on the command line (`--checks all`) would
  # override the per-operation exceptions of schemathesis.toml.
  say "[$label] schemathesis (all checks, all phases)"
  (cd "$WORK" && "$WORK/venv/bin/schemathesis" --config-file "$ROOT/scripts/contract/schemathesis.toml" \
    run "$base/api/v1/openapi.json" --url "$base" \
    -H "Authorization: Bearer $token" \
    --max-examples "$EXAMPLES" --no-color) >"$WORK/$label-schemathesis.log" 2>&1 ||
    { cat "$WORK/$label-schemathesis.log" >&2; exit 1; }
  tail -n 4 "$WORK/$label-schemathesis.log" >&2

  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  unset IARSS_DATABASE_URL
}

check_backend sqlite "sqlite://$WORK/contract.db"

if [ -n "$TEST_DB" ]; then
  # A database of its own on the server, dropped at the end.
  name=iarss_contract_$$
  PSQL=$(command -v psql || ls -d /usr/lib/postgresql/*/bin/psql | sort -V | tail -n 1)
  "$PSQL" -q "$TEST_DB" -c "CREATE DATABASE $name" >/dev/null
  pg_url="${TEST_DB%/*}/$name"
  check_backend postgres "$pg_url"
  "$PSQL" -q "$TEST_DB" -c "DROP DATABASE $name WITH (FORCE)" >/dev/null
elif [ "$PG_REQUIRED" = required ]; then
  say "no PostgreSQL (IARSS_TEST_DATABASE_URL) and IARSS_CONTRACT_POSTGRES=required"; exit 1
else
  say "no IARSS_TEST_DATABASE_URL: PostgreSQL not checked (run under scripts/with-postgres.sh)"
fi
say "ok"
