#!/usr/bin/env bash
# Checks the packaging files without building anything: the systemd unit with
# systemd-analyze (verify, and its offline security score), the server configuration with
# the built binary's --print-config, and that the YAML files parse. A check whose tool is
# missing is skipped with a line saying so; any failed check makes the script exit 1.
set -euo pipefail
cd "$(dirname "$0")/.."

failed=0
fail() { echo "check-packaging: FAIL: $*" >&2; failed=1; }
skip() { echo "check-packaging: skipped: $*"; }
ok() { echo "check-packaging: ok: $*"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. The systemd unit. ExecStart names /usr/local/bin/iarss, which need not exist here, so a
#    copy of the unit points at a stand-in executable.
unit=packaging/systemd/iarss.service
if command -v systemd-analyze >/dev/null 2>&1; then
  printf '#!/bin/sh\nexit 0\n' >"$tmp/iarss"
  chmod +x "$tmp/iarss"
  sed "s|/usr/local/bin/iarss|$tmp/iarss|g" "$unit" >"$tmp/iarss.service"
  # verify exits 0 on unknown keys and bad values: any message about the unit is a failure.
  if out=$(systemd-analyze verify "$tmp/iarss.service" 2>&1) && ! grep -q 'iarss\.service' <<<"$out"; then
    ok "systemd-analyze verify $unit"
  else
    fail "systemd-analyze verify $unit:"$'\n'"$out"
  fi
  # Exposure score on systemd's 0–10 scale: 3.0 or more means the sandbox got weaker.
  if systemd-analyze security --help 2>&1 | grep -q -- '--offline'; then
    if out=$(systemd-analyze security --offline=true --threshold=30 "$tmp/iarss.service" 2>&1); then
      ok "systemd-analyze security: $(grep -o 'Overall exposure level.*' <<<"$out" || true)"
    else
      fail "systemd-analyze security $unit:"$'\n'"$(grep -E '✗|Overall' <<<"$out")"
    fi
  else
    skip "systemd-analyze security --offline (systemd older than 250)"
  fi
else
  skip "systemd-analyze verify $unit (systemd-analyze not installed)"
fi

# 2. The server configuration, read by the daemon's own loader (unknown keys are errors).
if [ -x target/release/iarss ]; then
  if out=$(env -i PATH="$PATH" target/release/iarss daemon --config packaging/daemon.toml --print-config 2>&1); then
    ok "packaging/daemon.toml loads"
  else
    fail "packaging/daemon.toml: $out"
  fi
else
  skip "packaging/daemon.toml (no target/release/iarss; build first)"
fi

# 3. YAML files parse.
if command -v python3 >/dev/null 2>&1 && python3 -c 'import yaml' 2>/dev/null; then
  for f in .pre-commit-hooks.yaml examples/github-actions/lint-feed.yml; do
    if python3 -c 'import sys, yaml; yaml.safe_load(open(sys.argv[1]))' "$f"; then
      ok "$f parses"
    else
      fail "$f is not valid YAML"
    fi
  done
else
  skip "YAML files (python3 with PyYAML not available)"
fi

exit "$failed"
