/**
 * What one async context per task (a frame on Deno, an AsyncLocalStorage
 * run elsewhere) costs asyncio-ts itself, where `mechanisms.ts` measures the
 * mechanism alone: B1 and B5 of `workloads.ts`, run on the library as it is
 * and on a copy of it whose current-task module does without any context,
 * beside their floors, taking turns in one
 * process (median of 5 after a warm-up). Beside B5, the bare life of its N
 * tasks (started, doing nothing, awaited one by one) on both.
 *
 * The copy (made in a temporary directory) takes "the task whose step the
 * loop is running" for the current task. That is right while no foreign
 * promise interleaves with a step, as in these two workloads, and wrong in
 * general: which is why the library pays for a context per task.
 *
 *     deno run -A --v8-flags=--expose-gc scripts/bench/without_context.ts [N]
 *     node --expose-gc npm/scripts/bench/without_context.js [N]   (after deno task build:npm)
 *
 * @module
 */

import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath, pathToFileURL } from "node:url";
import * as asyncio from "../../mod.ts";
import { runtimeName } from "./harness.ts";
import { printInTurns } from "./turns.ts";
import {
  collectGarbage,
  type Library,
  type Sample,
  semaphoreOn,
  spawnGatherOn,
  workloadById,
} from "./workloads.ts";

const N = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const ROUNDS = 5;

// The source is TypeScript under Deno and JavaScript in the npm build.
const EXTENSION = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The edit that turns `_current_task` into the loop-stepping tracker. */
const PATCHES: readonly (readonly [from: string, to: string])[] = [
  ["denoTracking() ?? nodeTracking() ?? storageTracking;", "steppingTracking();"],
];

/** The tracker the edit puts in (plain JavaScript: it goes into either build). */
const STEPPING_TRACKER = `
let lastStarted = undefined;
function steppingTracking() {
  return {
    name: "AsyncLocalStorage",
    currentTask: () => lastStarted?.getLoop()._stepping ?? undefined,
    capture: () => NO_FRAME,
    runIn: (task, _creator, body) => (lastStarted = task, body()),
    resume: (_context, body) => body(),
    callbackContext: () => ({ runInAsyncScope: (f, self, ...args) => f.apply(self, args) }),
  };
}
`;

/** A copy of mod and src/ whose current task is the loop's stepping task; its mod loaded. */
async function loadCopyWithoutContext(directory: string): Promise<Library> {
  cpSync(join(ROOT, `mod${EXTENSION}`), join(directory, `mod${EXTENSION}`));
  cpSync(join(ROOT, "src"), join(directory, "src"), { recursive: true });
  const trackerPath = join(directory, "src", `_current_task${EXTENSION}`);
  let tracker = readFileSync(trackerPath, "utf8");
  for (const [from, to] of PATCHES) {
    if (!tracker.includes(from)) {
      throw new Error(`src/_current_task${EXTENSION} has no \`${from}\` any more: update PATCHES`);
    }
    tracker = tracker.replace(from, to);
  }
  writeFileSync(trackerPath, tracker + STEPPING_TRACKER);
  return await import(pathToFileURL(join(directory, `mod${EXTENSION}`)).href);
}

/** N tasks that do nothing, each awaited in turn as B5 awaits its tasks: a task's bare life. */
function emptyTasksOn(lib: Library, n: number): Promise<Sample> {
  return lib.run(async () => {
    const start = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(lib.createTask(() => {}));
    for (const task of tasks) await task;
    return { value: performance.now() - start };
  });
}

async function timed(run: () => Promise<Sample>): Promise<number> {
  collectGarbage(); // a run should not pay for its predecessor's garbage
  return (await run()).value;
}

type Variant = readonly [name: string, run: () => Promise<Sample>];

const directory = mkdtempSync(join(tmpdir(), "asyncio-ts-without-context-"));
try {
  const copy = await loadCopyWithoutContext(directory);
  const workloads: readonly (readonly [string, readonly Variant[]])[] = [
    ["B1 spawn-gather", [
      ["floor", workloadById("B1").prepare(N).floor],
      ["asyncio-ts", () => spawnGatherOn(asyncio, N)],
      ["copy without context", () => spawnGatherOn(copy, N)],
    ]],
    ["B5 semaphore", [
      ["floor", workloadById("B5").prepare(N).floor],
      ["asyncio-ts", () => semaphoreOn(asyncio, N)],
      ["copy without context", () => semaphoreOn(copy, N)],
      ["asyncio-ts, empty tasks only", () => emptyTasksOn(asyncio, N)],
      ["copy, empty tasks only", () => emptyTasksOn(copy, N)],
    ]],
  ];
  console.log(`asyncio-ts with and without a context per task, N=${N}, ${runtimeName()}`);
  for (const [workload, variants] of workloads) {
    await printInTurns(
      workload,
      variants.map(([name, run]) => [name, () => timed(run)] as const),
      ROUNDS,
    );
  }
} finally {
  rmSync(directory, { recursive: true, force: true });
}
