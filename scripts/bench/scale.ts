/**
 * Scale: does anything grow faster than linearly? Each scenario runs at
 * 10^4, 10^5 and 10^6 tasks (or waiters) in a fresh loop and prints the
 * time and the heap per task; a flat column means linear cost.
 *
 * Scenarios: spawn and `gather` (the collection form); `run()` cancelling
 * every task its main left pending; `wait`; a `TaskGroup`; `asCompleted`
 * with `for await`; and N waiters of one Queue cancelled in arrival order
 * and in a shuffled order (removal from a wait queue is O(1), so the two
 * should cost about the same).
 *
 * Run: `deno run -A --v8-flags=--expose-gc scripts/bench/scale.ts [--max 1e5]`
 * (Node: `node --expose-gc npm/esm/scripts/bench/scale.js` after
 * `deno task build:npm`). Timings are wall time on a shared machine:
 * compare the columns of one run, not runs of different days.
 *
 * @module
 */

import {
  asCompleted,
  createTask,
  gather,
  Queue,
  run,
  sleep,
  type Task,
  taskGroup,
  wait,
} from "../../mod.ts";

type Scenario = readonly [name: string, run: (n: number) => Promise<Measure>];
/** What one run measured: ms for the timed part, heap bytes held at its peak. */
interface Measure {
  ms: number;
  heap: number;
}

const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});

function heapUsed(): number {
  return (globalThis as { process?: { memoryUsage(): { heapUsed: number } } }).process
    ?.memoryUsage().heapUsed ?? 0;
}

/** Spawn `n` tasks that each yield once. */
function spawn(n: number, body: () => Promise<unknown> = () => sleep(0)): Task<unknown>[] {
  const tasks: Task<unknown>[] = new Array(n);
  for (let i = 0; i < n; i++) tasks[i] = createTask(body);
  return tasks;
}

/**
 * In a fresh `run()`: time `work(n, notePeak)` from its start, and the heap
 * it holds when it calls `notePeak()` (once everything it made exists).
 */
function timed(
  work: (n: number, notePeak: () => void) => Promise<unknown>,
): (n: number) => Promise<Measure> {
  return async (n) => {
    collect();
    const before = heapUsed();
    let peak = before;
    const start = performance.now();
    await run(() => work(n, () => (peak = heapUsed())));
    return { ms: performance.now() - start, heap: peak - before };
  };
}

const scenarios: Scenario[] = [
  [
    "spawn + gather(tasks)",
    timed(async (n, notePeak) => {
      const tasks = spawn(n);
      notePeak();
      await gather(tasks);
    }),
  ],
  [
    "run() cancels what main left",
    timed(async (n, notePeak) => {
      spawn(n, () => sleep(3600));
      await sleep(0);
      notePeak();
    }),
  ],
  [
    "wait(tasks)",
    timed(async (n, notePeak) => {
      const tasks = spawn(n);
      notePeak();
      await wait(tasks);
    }),
  ],
  [
    "TaskGroup",
    timed((n, notePeak) =>
      taskGroup((tg) => {
        for (let i = 0; i < n; i++) tg.createTask(() => sleep(0));
        notePeak();
      })
    ),
  ],
  [
    "for await asCompleted(tasks)",
    timed(async (n, notePeak) => {
      const tasks = spawn(n);
      notePeak();
      let seen = 0;
      for await (const _ of asCompleted(tasks)) seen++;
      if (seen !== n) throw new Error(`asCompleted gave ${seen} of ${n}`);
    }),
  ],
  ["cancel n Queue waiters, arrival order", (n) => cancelWaiters(n, false)],
  ["cancel n Queue waiters, shuffled", (n) => cancelWaiters(n, true)],
];

function cancelWaiters(n: number, shuffled: boolean): Promise<Measure> {
  return run(async () => {
    collect();
    const before = heapUsed();
    const queue = new Queue<number>();
    const getters = new Array(n);
    for (let i = 0; i < n; i++) getters[i] = queue.get();
    const peak = heapUsed();
    if (shuffled) {
      // A fixed pseudo-random permutation, the same for every run.
      let seed = 12345;
      for (let i = n - 1; i > 0; i--) {
        seed = (seed * 1103515245 + 12345) & 0x7fffffff;
        const j = seed % (i + 1);
        [getters[i], getters[j]] = [getters[j], getters[i]];
      }
    }
    const start = performance.now();
    for (let i = 0; i < n; i++) getters[i].cancel();
    const ms = performance.now() - start;
    await sleep(0);
    queue.putNowait(1);
    if (queue.qsize() !== 1) throw new Error("a cancelled getter took the item");
    return { ms, heap: peak - before };
  });
}

const host = globalThis as { Deno?: { args: string[] }; process?: { argv: string[] } };
const args = host.Deno?.args ?? host.process?.argv.slice(2) ?? [];
const maxArg = args.indexOf("--max");
const max = maxArg >= 0 ? Number(args[maxArg + 1]) : 1e6;
const sizes = [1e4, 1e5, 1e6].filter((n) => n <= max);

console.log("scenario | n | ms | µs per task | heap bytes per task");
console.log("--- | ---: | ---: | ---: | ---:");
for (const [name, runScenario] of scenarios) {
  for (const n of sizes) {
    const { ms, heap } = await runScenario(n);
    console.log(
      `${name} | ${n.toLocaleString("en")} | ${ms.toFixed(0)} | ${(ms * 1000 / n).toFixed(2)} | ${
        Math.round(heap / n)
      }`,
    );
  }
}
