#!/usr/bin/env bash
# Writes the consumer project used by scripts/ci/node.sh into directory $1.
#
# These sources live here rather than as files under tests/: they import the
# bare name "asyncio-ts", which `deno check tests/` cannot resolve.
#
# Each JavaScript consumer prints exactly:
#   Hello!
#   Goodbye!
#   executor: 42 5
set -eu
app=$1
mkdir -p "$app"

cat >"$app/package.json" <<'EOF'
{ "name": "asyncio-ts-consumer", "private": true, "type": "module" }
EOF

# The README's quickstart, plus one job through each executor entry point.
cat >"$app/esm.mjs" <<'EOF'
import { getRunningLoop, run, sleep, toThread } from "asyncio-ts";

const results = await run(async () => {
  console.log("Hello!");
  await sleep(0.05);
  console.log("Goodbye!");
  const doubled = await toThread((n) => n * 2, 21);
  const sum = await getRunningLoop().runInExecutor(null, (a, b) => a + b, 2, 3);
  return [doubled, sum];
});
console.log(`executor: ${results.join(" ")}`);
EOF

# CommonJS gets the same ES module through require() (Node 20.19+, 22.12+).
cat >"$app/cjs.cjs" <<'EOF'
const { getRunningLoop, run, sleep, toThread } = require("asyncio-ts");

run(async () => {
  console.log("Hello!");
  await sleep(0.05);
  console.log("Goodbye!");
  const doubled = await toThread((n) => n * 2, 21);
  const sum = await getRunningLoop().runInExecutor(null, (a, b) => a + b, 2, 3);
  return [doubled, sum];
}).then((results) => console.log(`executor: ${results.join(" ")}`));
EOF

# A project with nothing added: no @types/node (`types: []`, TypeScript 6's
# default), the target's default library, and the shipped declarations checked
# too (skipLibCheck off). Node's `console` comes from the DOM library here.
cat >"$app/tsconfig.bare.json" <<'EOF'
{
  "compilerOptions": {
    "module": "nodenext",
    "moduleResolution": "nodenext",
    "types": [],
    "strict": true,
    "skipLibCheck": false,
    "noEmit": true
  },
  "files": ["typed.ts", "typed_cjs.cts"]
}
EOF
# With --enable-source-maps, a stack trace through the library names the
# TypeScript source shipped in ts/; and every map's sources are in the package.
cat >"$app/maps.mjs" <<'EOF'
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { Lock } from "asyncio-ts";

const root = "node_modules/asyncio-ts";
const maps = readdirSync(root, { recursive: true }).filter((f) => f.endsWith(".map"));
const missing = [];
for (const map of maps) {
  for (const source of JSON.parse(readFileSync(join(root, map), "utf8")).sources) {
    if (!existsSync(join(root, dirname(map), source))) missing.push(`${map}: ${source}`);
  }
}
let frame = "";
try {
  new Lock().release();
} catch (error) {
  frame = error.stack.split("\n")[1].trim();
}
console.log(`${maps.length} maps, missing sources: ${missing.join(", ") || "none"}`);
console.log(frame.replace(/\(.*node_modules\/asyncio-ts\//, "(").replace(/:\d+:\d+\)$/, ")"));
EOF

# A Node project's usual setup: no DOM library, Node's types, and the shipped
# declarations checked too (skipLibCheck off).
cat >"$app/tsconfig.json" <<'EOF'
{
  "compilerOptions": {
    "module": "nodenext",
    "target": "es2022",
    "lib": ["es2022"],
    "types": ["node"],
    "strict": true,
    "skipLibCheck": false,
    "noEmit": true
  },
  "files": ["typed.ts", "typed_cjs.cts"]
}
EOF
# The same with the DOM library, as in a project that leaves `lib` at its default.
cat >"$app/tsconfig.dom.json" <<'EOF'
{ "extends": "./tsconfig.json", "compilerOptions": { "lib": ["es2022", "dom"] } }
EOF
cat >"$app/tsconfig.wrong.json" <<'EOF'
{ "extends": "./tsconfig.json", "files": ["wrong.ts"] }
EOF

# Every @ts-expect-error must meet its error, or tsc fails: so the wrong calls
# are proved to be rejected, not just the right ones accepted.
cat >"$app/typed.ts" <<'EOF'
import {
  CancelledError,
  createTask,
  getRunningLoop,
  Handle,
  run,
  sleep,
  toThread,
} from "asyncio-ts";
import type { Task } from "asyncio-ts";

const total: number = await run(async () => {
  const task: Task<string> = createTask(async () => {
    await sleep(0.01);
    return "done";
  });
  const doubled: number = await toThread((n: number) => n * 2, 21);
  const sum: number = await getRunningLoop().runInExecutor(
    null,
    (a: number, b: number) => a + b,
    2,
    3,
  );
  return doubled + sum + (await task).length;
});
const error: Error = new CancelledError("stop");
console.log(total, error.name);

// @ts-expect-error run() wants an async function (or a promise), not a number
await run(42);
// @ts-expect-error sleep() takes seconds as a number
await sleep("1");
// @ts-expect-error run() resolves to what the function returns: a number here
const text: string = await run(async () => 1);
// @ts-expect-error toThread() checks the arguments against the function's parameters
await toThread((n: number) => n * 2, "21");
console.log(text);

// The library's own members (marked @internal) are not in the published types.
declare const internal: Task<number>;
// @ts-expect-error _setResultNow is the library's, not the user's
internal._setResultNow(2);
// @ts-expect-error a Handle is made by the loop's callSoon/callLater, not by `new`
new Handle(() => {}, [], getRunningLoop());
EOF

cat >"$app/typed_cjs.cts" <<'EOF'
import asyncio = require("asyncio-ts");

const answer: Promise<number> = asyncio.run(async () => 42);
// @ts-expect-error the promise resolves to a number
const wrong: Promise<string> = asyncio.run(async () => 42);
console.log(answer, wrong);
EOF

# Must fail to compile: proves the checker really runs on the package's types.
cat >"$app/wrong.ts" <<'EOF'
import { sleep } from "asyncio-ts";

await sleep("one second");
EOF
