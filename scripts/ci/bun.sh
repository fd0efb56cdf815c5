#!/usr/bin/env bash
# Bun side of CI (issue 16): install the pinned Bun from npm, then run the test
# suite from the TypeScript sources with `bun test`, one process per file (as
# `node --test` does: in one process the files would share the library's
# module state, such as the current event loop). The suite runs the examples
# (with `bun examples/x.ts`) and the executor on both of Bun's Workers
# (`node:worker_threads`, the default, and the web Worker).
#
# Usage: bash scripts/ci/bun.sh
# Env:   BUN (default .tools/bun/node_modules/@oven/bun-linux-x64/bin/bun).
#        Logs go to .tools/bun/logs/.
#
# Prints every skipped test with its reason, and ends with one line
# `N passed, N failed`. A file that ends without a report counts as one failure.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
BUN_VERSION=1.4.5
BUN=${BUN:-$ROOT/.tools/bun/node_modules/@oven/bun-linux-x64/bin/bun}
# Bounds, so that a hung test or a process kept alive cannot eat the CI budget.
TEST_TIMEOUT_MS=30000
FILE_TIMEOUT_S=120

passed=0
failed=0
finish() {
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}

if ! [ -x "$BUN" ] || [ "$("$BUN" --version 2>/dev/null)" != "$BUN_VERSION" ]; then
  echo "== installing bun $BUN_VERSION from npm (@oven/bun-linux-x64)"
  if ! npm install --prefix "$ROOT/.tools/bun" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error "@oven/bun-linux-x64@$BUN_VERSION" >&2 || ! [ -x "$BUN" ]; then
    echo "FAIL could not install bun $BUN_VERSION"
    failed=$((failed + 1))
    finish
  fi
fi

logs=$ROOT/.tools/bun/logs
rm -rf "$logs"
mkdir -p "$logs"
mapfile -t files < <(find tests -maxdepth 1 -name '*_test.ts' | sort)
echo "== tests: bun $("$BUN" --version) test (${#files[@]} files, one process each)"
for file in "${files[@]}"; do
  name=$(basename "$file" .ts)
  NO_COLOR=1 timeout "$FILE_TIMEOUT_S" "$BUN" test --preload ./.ci/bun_skips.ts \
    --timeout "$TEST_TIMEOUT_MS" --reporter=junit --reporter-outfile="$logs/$name.xml" \
    "./$file" >"$logs/$name.log" 2>&1
  rc=$?
  # Skips, with the reasons the preload printed.
  sed -n 's/^skipped: /  skipped: /p' "$logs/$name.log"
  # The first <testsuites> element holds the file's totals.
  totals=$(grep -m 1 -o '<testsuites [^>]*>' "$logs/$name.xml" 2>/dev/null)
  if [ -z "$totals" ]; then
    grep -v '^(pass)' "$logs/$name.log" | tail -n 25
    echo "FAIL $file: no report (exit $rc; 124 = killed after ${FILE_TIMEOUT_S}s)"
    failed=$((failed + 1))
    continue
  fi
  attr() { sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p" <<<"$totals"; }
  t=$(attr tests)
  f=$(attr failures)
  s=$(attr skipped)
  p=$((t - f - s))
  passed=$((passed + p))
  failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    grep -v '^(pass)' "$logs/$name.log" | tail -n 40
    echo "FAIL $file: $f failed"
  elif [ "$rc" -ne 0 ]; then
    grep -v '^(pass)' "$logs/$name.log" | tail -n 25
    echo "FAIL $file: exit $rc with no failed test"
    failed=$((failed + 1))
  fi
done

finish
