#!/usr/bin/env bash
# Fuzz campaigns over every libFuzzer target of srtpsdes.
#
#   scripts/fuzz.sh [MINUTES]      each target for MINUTES (default 30), then the
#                                  new coverage is merged into the corpus in the
#                                  repository; a report goes to build-fuzz/fuzz-report.md
#   scripts/fuzz.sh --smoke [S]    each target for S seconds (default 15) on a
#                                  scratch corpus, nothing merged (scripts/test.sh)
#
# Environment: FUZZ_JOBS=N runs N targets at once (default 1); FUZZ_TARGETS="a b"
# runs only those (names as in the table below).
#
# The build (build-fuzz/, clang, ASan+UBSan) instruments every library with
# -fsanitize=fuzzer-no-link (meson -Dfuzz=enabled), not just the targets, so
# a target sees the coverage of the code it drives. Each run is limited to
# 2 GB of RSS: an input that needs more is a find, like a crash or a hang
# (-timeout=10 s per input). Finds are kept in build-fuzz/campaign/NAME/finds/.
# Exits non-zero if any target found anything.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

smoke=0
if [ "${1:-}" = "--smoke" ]; then
  smoke=1
  seconds=${2:-15}
else
  seconds=$(( ${1:-30} * 60 ))
fi
jobs=${FUZZ_JOBS:-1}

if ! command -v clang >/dev/null 2>&1; then
  bash scripts/install-deps.sh
fi

# target name, binary (under build-fuzz/tests), corpus directory in the repository
TARGETS=(
  "crypto-attr   crypto/fuzz-crypto-attr   tests/crypto/fuzz/corpus"
  "sdes-answer   sip/fuzz-sdes-answer      tests/sip/fuzz-corpus"
  "pcap-frame    tools/fuzz-pcap-frame     tests/tools/fuzz-corpus"
  "sip-invite    fuzz/fuzz-sip-invite      tests/fuzz/corpus-sip-invite"
  "srtpsdesdec   fuzz/fuzz-srtpsdesdec     tests/fuzz/corpus-srtpsdesdec"
)

opts=(-Dfuzz=enabled -Db_sanitize=address,undefined -Db_lundef=false -Dtests=true
      -Dgst=enabled -Dsip=enabled -Dintrospection=disabled)
if [ -f build-fuzz/build.ninja ]; then
  meson setup --reconfigure build-fuzz "${opts[@]}" >/dev/null
else
  CC=clang meson setup build-fuzz "${opts[@]}" >/dev/null
fi
meson compile -C build-fuzz >/dev/null

export GST_PLUGIN_PATH_1_0="$top/build-fuzz/gst"
export GST_REGISTRY="$top/build-fuzz/fuzz-registry.bin"
export GST_REGISTRY_FORK=no
export G_SLICE=always-malloc
export LSAN_OPTIONS="suppressions=$top/tests/lsan.supp:print_suppressions=0"
export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1"

# Build the GStreamer registry once, before any fuzzer runs: a scan loads
# every system plugin in-process, and some of them keep what they allocate
# (reported by LeakSanitizer as leaks of whatever input ran then, with
# stacks too short to suppress). With the registry cached, no fuzz run scans.
if [ -x build-fuzz/tests/fuzz/fuzz-srtpsdesdec-replay ]; then
  ASAN_OPTIONS="detect_leaks=0" build-fuzz/tests/fuzz/fuzz-srtpsdesdec-replay /dev/null >/dev/null 2>&1 || true
fi

mkdir -p build-fuzz/campaign
rm -f build-fuzz/campaign/*/result
report=build-fuzz/fuzz-report.md

run_one() {  # run_one NAME BINARY CORPUS: one campaign; writes NAME/result
  local name=$1 bin=build-fuzz/tests/$2 seeds=$3
  local dir=build-fuzz/campaign/$name
  rm -rf "$dir"; mkdir -p "$dir/corpus" "$dir/finds"
  if [ ! -x "$bin" ]; then
    echo "$name | not built | | | |" > "$dir/result"; return
  fi
  local before
  before=$(find "$seeds" -type f | wc -l)
  "$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=10 \
    -print_final_stats=1 -artifact_prefix="$dir/finds/" "$dir/corpus" "$seeds" \
    > "$dir/log" 2>&1 || true
  local execs cov ft finds after
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  cov=$(grep -o 'cov: [0-9]*' "$dir/log" | tail -n 1 | cut -d' ' -f2)
  ft=$(grep -o 'ft: [0-9]*' "$dir/log" | tail -n 1 | cut -d' ' -f2)
  finds=$(find "$dir/finds" -type f | wc -l)
  after=$before
  if [ "$smoke" -eq 0 ]; then
    # only inputs that add coverage go into the repository's corpus
    "$bin" -merge=1 -rss_limit_mb=2048 -timeout=10 "$seeds" "$dir/corpus" > "$dir/merge.log" 2>&1 || true
    after=$(find "$seeds" -type f | wc -l)
  fi
  echo "$name | ${execs:-?} | ${cov:-?} | ${ft:-?} | $finds | $before → $after" > "$dir/result"
}

running=0
for spec in "${TARGETS[@]}"; do
  read -r name bin seeds <<< "$spec"
  if [ -n "${FUZZ_TARGETS:-}" ] && ! grep -qw "$name" <<< "$FUZZ_TARGETS"; then
    continue
  fi
  echo "fuzz: $name for ${seconds}s"
  run_one "$name" "$bin" "$seeds" &
  running=$((running + 1))
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
done
wait

{
  echo "# Fuzz campaign, $(date -u +%Y-%m-%d), ${seconds} s per target"
  echo
  echo "target | executions | edges (cov) | features (ft) | finds | corpus files"
  echo "---|---|---|---|---|---"
  cat build-fuzz/campaign/*/result
} > "$report"
cat "$report"

total=0
for d in build-fuzz/campaign/*/finds; do
  n=$(find "$d" -type f | wc -l)
  if [ "$n" -gt 0 ]; then
    echo "FINDS in $d:"; ls "$d"; tail -n 30 "$(dirname "$d")/log"
  fi
  total=$((total + n))
done
exit $(( total > 0 ? 1 : 0 ))
