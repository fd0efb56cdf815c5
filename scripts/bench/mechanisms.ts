/**
 * What the mechanisms that DESIGN.md fixes cost on their own, with no
 * scheduler: B1's floor (N async functions that each await once, gathered
 * by `Promise.all`), then the same with one `AsyncLocalStorage.run()` per
 * function (how a task gets its own context for `currentTask()`), with an
 * await of a thenable instead of `null` (how a library Future learns that a
 * task awaits it), and with both. The last line is the least a design with
 * those two mechanisms can cost per task, before any loop, Task or gather.
 *
 *     deno run -A scripts/bench/mechanisms.ts [N]
 *     node npm/scripts/bench/mechanisms.js [N]      (after deno task build:npm)
 *
 * Median of 5 after a warm-up, the variants taking turns in one process;
 * no library import, so it runs on its own.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import process from "node:process";

const N = Number(process.argv.slice(2).find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const ROUNDS = 5;
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

async function awaitNull(i: number): Promise<number> {
  await null;
  return i;
}

async function awaitThenable(i: number): Promise<number> {
  await new Thenable();
  return i;
}

type Start = (i: number) => Promise<number>;

const variants: [string, Start][] = [
  ["floor: async function, await null", awaitNull],
  ["+ AsyncLocalStorage.run per function", (i) => storage.run({ i }, awaitNull, i)],
  ["+ await of a thenable", awaitThenable],
  ["+ both", (i) => storage.run({ i }, awaitThenable, i)],
];

async function time(start: Start): Promise<number> {
  const began = performance.now();
  const promises = [];
  for (let i = 0; i < N; i++) promises.push(start(i));
  const results = await Promise.all(promises);
  const elapsed = performance.now() - began;
  if (results[N - 1] !== N - 1) throw new Error("wrong result");
  return elapsed;
}

const times = variants.map((): number[] => []);
for (const [, start] of variants) await time(start); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (let v = 0; v < variants.length; v++) times[v].push(await time(variants[v][1]));
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[ROUNDS >> 1];
const floor = median(times[0]);
const deno = (process.versions as { deno?: string }).deno;
const runtime = deno ? `deno ${deno}` : `node ${process.versions.node}`;
console.log(`B1's mechanisms alone, N=${N}, ${runtime}, median of ${ROUNDS}`);
for (let v = 0; v < variants.length; v++) {
  const ms = median(times[v]);
  console.log(
    `${variants[v][0].padEnd(40)} ${ms.toFixed(1).padStart(7)} ms  ${
      (ms / floor).toFixed(2)
    }x the floor`,
  );
}
