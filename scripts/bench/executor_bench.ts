/**
 * Benchmarks B6 (executor-echo) and B7 (executor-cpu) of
 * `bench/WORKLOADS.md`, for `WorkerPoolExecutor`, beside a minimal
 * hand-written pool on the same kind of Worker (`node:worker_threads` from a
 * `data:` URL) in the same process.
 *
 * - B6: 20,000 `echo(i)` jobs submitted at once to 2 Workers, every result
 *   checked; jobs/s, and the ratio ours / hand-written (target >= 0.8).
 * - B7: 32 x `fib(32)` (recursive); speedup = serial time on the main
 *   thread / time on 2 Workers (target >= 1.8, limit 2.0 on 2 cores).
 *
 * Each figure is the median of 5 runs after 1 warm-up, the contenders taking
 * turns. Run:
 * `deno run --allow-all scripts/bench/executor_bench.ts` (add `--quick` for
 * one run of each).
 *
 * @module
 */

import process from "node:process";
import { Worker } from "node:worker_threads";
import { WorkerPoolExecutor } from "../../src/executor/pool.ts";

const ECHO_JOBS = 20_000;
const FIB_JOBS = 32;
const FIB_N = 32;
const WORKERS = 2;
const quick = process.argv.includes("--quick") ||
  (globalThis as { Deno?: { args: string[] } }).Deno?.args.includes("--quick");
const RUNS = quick ? 1 : 5;

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

const echo = (x: number) => x;

/** The smallest pool that does the job: post every call at once, round robin. */
class HandWrittenPool {
  #workers: Worker[];
  #pending = new Map<number, (value: unknown) => void>();
  #next = 0;

  constructor(size: number, source: string) {
    const code = `import { parentPort } from "node:worker_threads";
const fn = ${source};
parentPort.on("message", (m) => parentPort.postMessage([m[0], fn(m[1])]));`;
    const url = new URL("data:text/javascript," + encodeURIComponent(code));
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(url);
      worker.on("message", (m: [number, unknown]) => {
        this.#pending.get(m[0])!(m[1]);
        this.#pending.delete(m[0]);
      });
      return worker;
    });
  }

  run(arg: number): Promise<unknown> {
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#workers[id % this.#workers.length].postMessage([id, arg]);
    });
  }

  close(): Promise<unknown> {
    return Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}

async function time(body: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

/**
 * Median ms of each body over RUNS rounds, after one warm-up round. The
 * bodies take turns within a round, so that a change in the host's load
 * (it is shared and noisy) hits them alike.
 */
async function medians(bodies: (() => Promise<void> | void)[]): Promise<number[]> {
  for (const body of bodies) await body();
  const times: number[][] = bodies.map(() => []);
  for (let run = 0; run < RUNS; run++) {
    for (let i = 0; i < bodies.length; i++) times[i].push(await time(bodies[i]));
  }
  return times.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)]);
}

function checkEcho(results: unknown[]): void {
  for (let i = 0; i < results.length; i++) {
    if (results[i] !== i) throw new Error(`B6: result ${i} is ${results[i]}`);
  }
}

const expectedFib = fib(FIB_N);
function checkFib(results: unknown[]): void {
  if (results.length !== FIB_JOBS || results.some((r) => r !== expectedFib)) {
    throw new Error("B7: wrong results");
  }
}

const ours = new WorkerPoolExecutor({ maxWorkers: WORKERS });
const hand = new HandWrittenPool(WORKERS, echo.toString());
const handFib = new HandWrittenPool(WORKERS, fib.toString());

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

const [b6Ours, b6Hand] = await medians([
  async () => checkEcho(await Promise.all(range(ECHO_JOBS).map((i) => ours.submit(echo, i)))),
  async () => checkEcho(await Promise.all(range(ECHO_JOBS).map((i) => hand.run(i)))),
]);
const [b7Serial, b7Ours, b7Hand] = await medians([
  () => checkFib(range(FIB_JOBS).map(() => fib(FIB_N))),
  async () => checkFib(await Promise.all(range(FIB_JOBS).map(() => ours.submit(fib, FIB_N)))),
  async () => checkFib(await Promise.all(range(FIB_JOBS).map(() => handFib.run(FIB_N)))),
]);

await ours.shutdown();
await hand.close();
await handFib.close();

const rate = (ms: number) => Math.round(ECHO_JOBS / ms * 1000);
const runtime = (globalThis as { Deno?: { version: { deno: string } } }).Deno
  ? `Deno ${(globalThis as unknown as { Deno: { version: { deno: string } } }).Deno.version.deno}`
  : `Node ${process.versions.node}`;
console.log(`executor benchmarks on ${runtime}, ${WORKERS} workers, median of ${RUNS}`);
console.log(
  `B6 echo x${ECHO_JOBS}: ours ${rate(b6Ours)} jobs/s, hand-written ${rate(b6Hand)} jobs/s, ` +
    `ratio ${(b6Hand / b6Ours).toFixed(2)} (target >= 0.80)`,
);
console.log(
  `B7 fib(${FIB_N}) x${FIB_JOBS}: serial ${b7Serial.toFixed(0)} ms, ours ${
    b7Ours.toFixed(0)
  } ms, ` +
    `hand-written ${b7Hand.toFixed(0)} ms; speedup ours ${(b7Serial / b7Ours).toFixed(2)} ` +
    `(target >= 1.80), hand-written ${(b7Serial / b7Hand).toFixed(2)}`,
);
