#!/usr/bin/env bash
# Builds srtpsdes and runs the whole test suite:
#   1. every test under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/)
#   2. the library suites again under valgrind (build-valgrind/, which also builds the
#      API reference: gi-docgen fails it on an undocumented public symbol)
#   3. the GObject introspection suite (Python) in the plain build
#   4. short libFuzzer runs of every target (scripts/fuzz.sh --smoke) when clang is available (build-fuzz/)
# Installs missing Debian packages first (scripts/install-deps.sh).
# Prints "N passed, N failed" at the end; exits non-zero if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$(pwd)

bash scripts/install-deps.sh

jobs=$(nproc 2>/dev/null || echo 2)
fail=0
passed=0
failed=0

count() {  # count <build dir>: add the results of the last meson test run
  local log
  log=$(ls -t "$1"/meson-logs/testlog*.json 2>/dev/null | head -n 1)
  [ -n "$log" ] && [ -f "$log" ] || return 0
  local p f
  p=$(grep -c '"result": "OK"' "$log" || true)
  f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" || true)
  passed=$((passed + p)); failed=$((failed + f))
}

setup() {  # setup <dir> <meson args...>: configure once, reconfigure after
  local dir="$1"; shift
  if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@"
  fi
}

echo "== ASan + UBSan: all suites"
setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-asan
meson test -C build-asan --print-errorlogs --num-processes "$jobs" || fail=1
count build-asan

echo "== valgrind: library suites"
# -Ddoc=enabled: the plain build also makes the API reference, and fails on
# any public symbol, property or signal without documentation (gi-docgen check).
setup build-valgrind -Dbuildtype=debug -Ddoc=enabled
meson compile -C build-valgrind
# Every library suite, and the element tests (not the e2e phone run, nor
# the loopback script, which runs the system's gst-launch-1.0).
# Build the GStreamer registry outside valgrind: a scan under it loads every
# system plugin in-process, and some of them (OpenNI2, pango) leak on load.
if command -v gst-inspect-1.0 >/dev/null 2>&1; then
  GST_REGISTRY="$top/build-valgrind/tests/gst-registry.bin" GST_PLUGIN_PATH_1_0="$top/build-valgrind/gst" \
    gst-inspect-1.0 srtpsdesenc >/dev/null 2>&1 || true
fi
vg_tests=()
vg_list=$(meson test -C build-valgrind --list 2>/dev/null)
while read -r line; do
  case "$line" in
    srtpsdes:crypto\ /*|srtpsdes:sip\ /*|srtpsdes:agent\ /*|srtpsdes:backend\ /*|"srtpsdes:gst / srtpsdes-elements"|"srtpsdes:gst / srtpsdes-config"|"srtpsdes:gst / srtpsdes-rekey-roc"|srtpsdes:security\ /\ fuzz-*)
      vg_tests+=("${line##* / }") ;;
  esac
done <<< "$vg_list"
if [ ${#vg_tests[@]} -gt 0 ]; then
  # The backend's 10^5-packet cross-check runs in full under ASan; 10^4 is
  # enough under valgrind (the full run takes ~7 minutes there).
  SRTPSDES_TEST_CROSS_PACKETS=10000 \
  meson test -C build-valgrind "${vg_tests[@]}" --print-errorlogs --num-processes "$jobs" \
    --timeout-multiplier 10 \
    --wrap="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --suppressions=$top/tests/valgrind.supp --suppressions=$top/tests/sip/agent/sofia-tls.supp --suppressions=$top/tests/gst/valgrind.supp" \
    || fail=1
  count build-valgrind
fi

echo "== GObject introspection (the library from Python, exported symbols) and the README's code blocks"
# In the plain (valgrind) build: a typelib is not made in sanitizer builds.
if meson test -C build-valgrind --list 2>/dev/null | grep -q '^srtpsdes:gi / '; then
  meson test -C build-valgrind --suite gi --suite docs --print-errorlogs || fail=1
  count build-valgrind
else
  echo "no gi suite (gobject-introspection or python3-gi missing)"; failed=$((failed + 1)); fail=1
fi

echo "== release build (gcc -O3 sees uninitialised uses that -O0 and -O1 builds do not)"
setup build-release --buildtype=release
if meson compile -C build-release >/dev/null; then
  passed=$((passed + 1))
else
  meson compile -C build-release 2>&1 | tail -40
  failed=$((failed + 1)); fail=1
fi

if command -v clang >/dev/null 2>&1; then
  echo "== libFuzzer smoke runs: every target (scripts/fuzz.sh --smoke), coverage on every library"
  # The corpora (grown by scripts/fuzz.sh campaigns) are also replayed in
  # full by the ASan and valgrind builds above, as the *-corpus tests.
  FUZZ_JOBS=$jobs bash scripts/fuzz.sh --smoke "${SRTPSDES_FUZZ_SECONDS:-15}" || true
  while IFS='|' read -r name execs cov ft finds rest; do
    finds=$(echo "$finds" | tr -d ' ')
    case "$finds" in
      0) passed=$((passed + 1)) ;;
      ''|*[!0-9]*) failed=$((failed + 1)); fail=1; echo "fuzz $name: not run" ;;
      *) failed=$((failed + 1)); fail=1; echo "fuzz $name: $finds finds" ;;
    esac
  done < <(tail -n +5 build-fuzz/fuzz-report.md)
fi

echo
echo "$passed passed, $failed failed"
exit $fail
