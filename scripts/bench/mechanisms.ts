/**
 * What the mechanisms that DESIGN.md fixes cost on their own, with no
 * scheduler, beside the floors of B1 and B5: one `AsyncLocalStorage.run()`
 * per function (how a task gets its own context for `currentTask()`), and
 * awaits of thenables instead of promises (how a library Future learns that
 * a task awaits it), then both. "+ both" is the least a design with those
 * two mechanisms can cost, before any loop, Task, gather or Semaphore.
 *
 * - B1's floor: N async functions that each `await null`, gathered by
 *   `Promise.all`.
 * - B5's floor: the p-limit-like semaphore of `workloads.ts`
 *   (`promise_semaphore.ts`), N async functions each holding it around an
 *   `await null`; with the mechanisms, the wait for a slot and the yield
 *   are both awaits of thenables.
 *
 *     deno run -A --v8-flags=--expose-gc scripts/bench/mechanisms.ts [N]
 *     node --expose-gc npm/scripts/bench/mechanisms.js [N]   (after deno task build:npm)
 *
 * Median of 5 after a warm-up, the variants taking turns in one process;
 * it does not import the library.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import process from "node:process";
import { PromiseSemaphore } from "./promise_semaphore.ts";
import { printInTurns } from "./turns.ts";

const N = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const ROUNDS = 5;
const SLOTS = 100;
const storage = new AsyncLocalStorage<object>();

/**
 * Settles at once when `then()` is called: what an await of a thenable costs
 * the engine (a promise, its resolving functions, a job), and nothing more.
 */
class Thenable {
  then(onFulfilled: (value: number) => void): void {
    onFulfilled(1);
  }
}

/** A promise awaited as a thenable, as a task awaits a library Future. */
class ThenableOf {
  readonly promise: Promise<void>;
  constructor(promise: Promise<void>) {
    this.promise = promise;
  }
  then(onFulfilled: () => void, onRejected: (reason: unknown) => void): void {
    this.promise.then(onFulfilled, onRejected);
  }
}

async function yieldOnce(i: number): Promise<number> {
  await null;
  return i;
}

async function yieldThroughThenable(i: number): Promise<number> {
  await new Thenable();
  return i;
}

async function holdSlot(semaphore: PromiseSemaphore): Promise<void> {
  await semaphore.acquire();
  try {
    await null;
  } finally {
    semaphore.release();
  }
}

async function holdSlotThroughThenables(semaphore: PromiseSemaphore): Promise<void> {
  const wait = semaphore.acquire();
  await (wait === undefined ? undefined : new ThenableOf(wait));
  try {
    await new Thenable();
  } finally {
    semaphore.release();
  }
}

/** Starts function i of a run; the semaphore is fresh for each run. */
type Start = (i: number, semaphore: PromiseSemaphore) => Promise<unknown>;
type Variant = readonly [name: string, start: Start];

const inContext = (start: Start): Start => (i, semaphore) =>
  storage.run({ i }, start, i, semaphore);

const workloads: readonly (readonly [name: string, variants: readonly Variant[]])[] = [
  ["B1 spawn-gather", [
    ["floor: async functions, await null", yieldOnce],
    ["+ AsyncLocalStorage.run per function", inContext(yieldOnce)],
    ["+ await of a thenable", yieldThroughThenable],
    ["+ both", inContext(yieldThroughThenable)],
  ]],
  ["B5 semaphore", [
    ["floor: p-limit-like semaphore", (_, semaphore) => holdSlot(semaphore)],
    ["+ AsyncLocalStorage.run per function", inContext((_, semaphore) => holdSlot(semaphore))],
    ["+ awaits of thenables", (_, semaphore) => holdSlotThroughThenables(semaphore)],
    ["+ both", inContext((_, semaphore) => holdSlotThroughThenables(semaphore))],
  ]],
];

const collectGarbage = (globalThis as { gc?: () => void }).gc;

async function time(start: Start): Promise<number> {
  collectGarbage?.(); // a run should not pay for its predecessor's garbage
  const semaphore = new PromiseSemaphore(SLOTS);
  const began = performance.now();
  const promises = [];
  for (let i = 0; i < N; i++) promises.push(start(i, semaphore));
  await Promise.all(promises);
  return performance.now() - began;
}

const deno = (process.versions as { deno?: string }).deno;
const runtime = deno ? `deno ${deno}` : `node ${process.versions.node}`;
console.log(`The mechanisms alone, N=${N}, ${runtime}, median of ${ROUNDS}`);
for (const [workload, variants] of workloads) {
  await printInTurns(
    workload,
    variants.map(([name, start]) => [name, () => time(start)] as const),
    ROUNDS,
  );
}
