#!/usr/bin/env bash
# The whole test suite, as CI runs it: formatting, lints, then every test, with a
# PostgreSQL server for the store tests (IARSS_TEST_DATABASE_URL, or a throwaway cluster).
set -euo pipefail
cd "$(dirname "$0")/.."

cat >&2 <<'MSG'
test.sh: needs the Rust toolchain with rustfmt and clippy (added with rustup when missing),
  PostgreSQL server binaries (/usr/lib/postgresql/*/bin; installed with apt when missing) for
  the store and daemon tests, Debian's chromium and chromium-driver (/usr/bin/chromium,
  /usr/bin/chromedriver; installed with apt when missing and running as root) for the
  browser tests (skipped with a note when absent; IARSS_BROWSER_TESTS=required fails
  instead), and optionally ../shared/corpus beside the checkout for the real-input corpus
  tests (skipped with a note when absent; IARSS_REQUIRE_SHARED=1 fails instead), npm for
  axe-core (the browser tests' accessibility check, installed into a temporary directory;
  IARSS_AXE may name an axe.min.js instead), and python3 (with venv) and npm for the API
  contract check, which installs its tools from PyPI
  and npm into a temporary directory (IARSS_CONTRACT=skip leaves it out). A first
  build takes about 10-15 minutes on two cores; later ones a few.
MSG

for component in rustfmt clippy; do
  if ! cargo "${component/rustfmt/fmt}" --version >/dev/null 2>&1; then
    echo "test.sh: adding the $component component" >&2
    rustup component add "$component"
  fi
done

# The browser tests' headless Chromium and its WebDriver, from Debian, unless given
# (IARSS_CHROMIUM, IARSS_CHROMEDRIVER) or already there.
if { [ -z "${IARSS_CHROMIUM:-}" ] && ! command -v chromium >/dev/null 2>&1; } ||
  { [ -z "${IARSS_CHROMEDRIVER:-}" ] && ! command -v chromedriver >/dev/null 2>&1; }; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium and chromium-driver for the browser tests" >&2
    (apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) >&2
  else
    echo "test.sh: no chromium/chromedriver and not root: the browser tests will skip" >&2
  fi
fi

# axe-core, for the browser tests' accessibility checks: from the npm registry into a
# temporary directory (never vendored), unless IARSS_AXE names an axe.min.js already.
if [ -z "${IARSS_AXE:-}" ] && command -v npm >/dev/null 2>&1; then
  axe_dir="$(mktemp -d)"
  if npm install --prefix "$axe_dir" --no-audit --no-fund --silent axe-core@4 >&2; then
    export IARSS_AXE="$axe_dir/node_modules/axe-core/axe.min.js"
  else
    echo "test.sh: could not install axe-core from npm" >&2
  fi
fi

cargo fmt --all -- --check
cargo clippy --release --all-targets -- -D warnings
cargo build --release --all-targets
scripts/check-packaging.sh
if cargo nextest --version >/dev/null 2>&1; then
  scripts/with-postgres.sh cargo nextest run --release --no-fail-fast
else
  scripts/with-postgres.sh cargo test --release --no-fail-fast
fi
# The API as outside tools see it, on both backends (IARSS_CONTRACT=skip leaves it out, e.g.
# without access to PyPI and npm).
if [ "${IARSS_CONTRACT:-}" != skip ]; then
  IARSS_CONTRACT_POSTGRES=required scripts/with-postgres.sh scripts/contract.sh
fi
