#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for SECONDS each (default 60), one after the
# other on one core, and prints per target the executions done and the crashes found.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     targets: lint article feed datetime url
#
# Seeds are copied at run time into fuzz/corpus/<target>/ (git-ignored; it keeps growing
# between runs) from testdata/ and, when present, ../shared/corpus. Crash inputs land in
# fuzz/artifacts/<target>/; the summary names one input per distinct panic site. To keep
# one, minimize it:
#   RUSTC_BOOTSTRAP=1 cargo fuzz tmin -O -a --sanitizer none <target> <file>
# then save the minimized input under fuzz/regressions/<target>/ (replayed by
# `cargo test --test it fuzz_regressions`), or fuzz/regressions/pending/<target>/ until fixed.
#
# Only the stable toolchain is needed: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its unstable
# flags, and the targets are built without a sanitizer (the code is safe Rust; panics and
# failed assertions are what the fuzzers look for), with debug assertions and overflow
# checks on. libFuzzer runs with -fork=1 (one worker process at a time) so that a crash is
# saved and fuzzing goes on for the rest of the time instead of stopping at the first one.
#
# Environment: FUZZ_JOBS (cargo build jobs, default 1), FUZZ_FLAGS (extra libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(lint article feed datetime url)
fi
case $seconds in
  '' | *[!0-9]*)
    echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
    exit 2
    ;;
esac

export RUSTC_BOOTSTRAP=1
export CARGO_BUILD_JOBS=${FUZZ_JOBS:-1}
build_flags=(-O -a --sanitizer none)

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "installing cargo-fuzz" >&2
  cargo install --locked cargo-fuzz
fi

echo "building the fuzz targets" >&2
cargo fuzz build "${build_flags[@]}" >&2
bin_dir=$root/fuzz/target/x86_64-unknown-linux-gnu/release

# --- seeds -------------------------------------------------------------------------------
sources=(testdata)
if [ -d ../shared/corpus ]; then
  sources+=(../shared/corpus)
fi

# Copies each file given on stdin (one path a line) into corpus folder $1, named by content.
seed_files() {
  local dir=$1 file sum
  mkdir -p "$dir"
  while IFS= read -r file; do
    sum=$(sha1sum <"$file" | cut -c1-40)
    [ -e "$dir/$sum" ] || cp "$file" "$dir/$sum"
  done
}

# Writes each value extracted from the seed files (see the Python below) as a corpus file.
seed_values() {
  python3 - "$1" "$2" "${sources[@]}" <<'PY'
import hashlib, os, re, sys
kind, out, roots = sys.argv[1], sys.argv[2], sys.argv[3:]
os.makedirs(out, exist_ok=True)
patterns = {
    "datetime": [rb'datetime\s*=\s*"([^"<>]{0,200})"', rb"<pubDate>([^<]{0,200})</pubDate>",
                 rb"<(?:dc:date|updated|published|lastBuildDate)>([^<]{0,200})<"],
    "url": [rb'(?:href|src)\s*=\s*"([^"<>]{0,300})"', rb"<link>([^<]{0,300})</link>",
            rb"<guid[^>]*>([^<]{0,300})</guid>"],
    "article": [rb"<content:encoded>\s*<!\[CDATA\[(.*?)\]\]>\s*</content:encoded>"],
}[kind]
extra = {
    "datetime": [b"2016-02-04T08:00:00+00:00", b"2016-2-4T8:00", b"2026-03-08T02:30",
                 b"2016-02-10 10:00:00.123456789Z", b"2016-02-10T10:00-0530",
                 b"Fri, 20 Nov 2026 08:00:00 +0000", b"20 nov 26 08:00 PST",
                 b"Sat, 31 Dec 2016 23:59:60 Z"],
    "url": [b"https://news.example.com/a?b=c#d", b"https://NEWS.b\xc3\xbccher.example./a\nB\xc3\xbccher.example.",
            b"http://127.0.0.1/\n127.0.0.1", b"news.example.com", b"https://[::1]:8080/x"],
    "article": [],
}[kind]
values = set(extra)
for root in roots:
    for d, _, files in os.walk(root):
        for f in files:
            if f.endswith((".md", ".tsv", ".txt")) or f.startswith("."):
                continue
            data = open(os.path.join(d, f), "rb").read()
            for p in patterns:
                values.update(m.group(1) for m in re.finditer(p, data, re.S))
for v in values:
    name = os.path.join(out, hashlib.sha1(v).hexdigest())
    if not os.path.exists(name):
        open(name, "wb").write(v)
PY
}

corpus=$root/fuzz/corpus
list_files() { find "${sources[@]}" -type f ! -name '*.md' ! -name '*.tsv' ! -name '*.txt' ! -name '.*' "$@"; }
for target in "${targets[@]}"; do
  case $target in
    lint) list_files | seed_files "$corpus/lint" ;;
    article)
      list_files -name '*.html' | seed_files "$corpus/article"
      seed_values article "$corpus/article"
      ;;
    feed) list_files -name '*.xml' | seed_files "$corpus/feed" ;;
    datetime) seed_values datetime "$corpus/datetime" ;;
    url) seed_values url "$corpus/url" ;;
    *)
      echo "unknown target: $target" >&2
      exit 2
      ;;
  esac
done

# --- runs --------------------------------------------------------------------------------
max_len() {
  case $1 in
    lint) echo 81920 ;; # past the 64 KiB head, so the streamed rest is read too
    article | feed) echo 32768 ;;
    *) echo 256 ;;
  esac
}

summary=()
for target in "${targets[@]}"; do
  artifacts=$root/fuzz/artifacts/$target
  logs=$root/fuzz/logs
  mkdir -p "$artifacts" "$logs"
  log=$logs/$target.log
  before=$(find "$artifacts" -type f | wc -l)
  echo "fuzzing $target for ${seconds}s (log: fuzz/logs/$target.log)" >&2
  # libFuzzer writes its temporary fork folders and a fuzz-*.log into the working directory.
  (cd "$logs" && "$bin_dir/$target" "$corpus/$target" \
    -max_total_time="$seconds" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
    -timeout=30 -rss_limit_mb=4096 -max_len="$(max_len "$target")" \
    -dict="$root/fuzz/dict/ia.dict" -artifact_prefix="$artifacts/" -print_final_stats=1 \
    ${FUZZ_FLAGS:-}) >"$log" 2>&1 || true
  # Executions: the plain mode's final statistics or DONE line, else fork mode's last status.
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*$' || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*[[:space:]]*DONE' "$log" | tail -1 | tr -dc 0-9 || true)
  [ -n "$execs" ] || execs=$(grep -o '^#[0-9]*: cov' "$log" | tail -1 | tr -dc 0-9 || true)
  status=$(grep -o 'oom/timeout/crash: [0-9/]*' "$log" | tail -1 | cut -d' ' -f2 || true)
  after=$(find "$artifacts" -type f | wc -l)
  summary+=("$(printf '%-9s %12s executions   oom/timeout/crash %-9s new artifacts %d' \
    "$target" "${execs:-?}" "${status:-?}" $((after - before)))")
  # One input per distinct panic site among the crash inputs.
  declare -A seen=()
  while IFS= read -r file; do
    panic=$("$bin_dir/$target" "$file" 2>&1 | grep -m1 -A1 'panicked at' || true)
    site=$(printf '%s\n' "$panic" | grep -o 'panicked at [^ ]*' | head -1 || true)
    site=${site:-"no panic message (abort, out of memory?)"}
    if [ -z "${seen[$site]:-}" ]; then
      seen[$site]=1
      summary+=("    $site $(printf '%s\n' "$panic" | sed -n 2p | cut -c1-160)")
      summary+=("      e.g. ${file#"$root"/} ($(wc -c <"$file") bytes)")
    fi
  done < <(find "$artifacts" -type f -name 'crash-*' -printf '%s %p\n' | sort -n | cut -d' ' -f2-)
  unset seen
  slow=$(find "$artifacts" -type f \( -name 'timeout-*' -o -name 'oom-*' -o -name 'slow-unit-*' \) | wc -l)
  if [ "$slow" -gt 0 ]; then
    summary+=("    $slow timeout, out-of-memory or slow-unit inputs in ${artifacts#"$root"/}")
  fi
done

echo
echo "fuzz summary (${seconds}s per target):"
printf '%s\n' "${summary[@]}"
