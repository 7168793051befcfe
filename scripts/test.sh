#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test, with a
# PostgreSQL server for the store tests (IARSS_TEST_DATABASE_URL, or a throwaway cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
cargo build --release --all-targets
if cargo nextest --version >/dev/null 2>&1; then
  scripts/with-postgres.sh cargo nextest run --release --no-fail-fast
else
  scripts/with-postgres.sh cargo test --release --no-fail-fast
fi
