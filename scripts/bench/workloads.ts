/**
 * The eight workloads of `shared/bench/WORKLOADS.md` (B1..B8) on asyncio-ts,
 * each beside its floor: the same work done without our scheduler (raw
 * promises, or a hand-written Worker pool for B6 and B7).
 *
 * Runtime-neutral (only `node:` built-ins and web APIs), so that the npm
 * build runs the very same code on Node. Every workload takes its N, so the
 * smoke test runs it tiny, and checks its own result: a wrong answer throws
 * instead of giving a fast figure.
 *
 * @module
 */

import process from "node:process";
import { getHeapSpaceStatistics } from "node:v8";
import { Worker } from "node:worker_threads";
import { spawn } from "node:child_process";
import {
  CancelledError,
  createSubprocessExec,
  createTask,
  Event,
  type EventLoop,
  gather,
  getRunningLoop,
  mapLimited,
  Queue,
  run,
  Runner,
  sleep,
  type Task,
  WorkerPoolExecutor,
} from "../../mod.ts";
import * as asyncio from "../../mod.ts";
import { PromiseSemaphore } from "./promise_semaphore.ts";

/**
 * What B1 and B5 use of asyncio-ts, passed in so that `without_context.ts`
 * can run them on a patched copy of the library too.
 */
export type Library = Pick<typeof asyncio, "createTask" | "gather" | "run" | "Semaphore" | "sleep">;

/** What a workload's figure counts. */
export type Unit = "ms" | "jobs/s" | "speedup" | "bytes/task";

/** One measured run: the figure, and workload specifics (medians of them are reported). */
export interface Sample {
  value: number;
  extra?: Record<string, number>;
}

/** Knobs for running a workload small and fast (the smoke test). */
export interface WorkloadOptions {
  /** Makes the loop of our side's `run()`; a virtual clock makes B3's sleeps instant. */
  loopFactory?: () => EventLoop;
  /** B3: multiplies every sleep (1 = the 0 to 0.499 s of the workload). */
  sleepScale?: number;
  /** B7: the argument of `fib` (32 by default, about 0.5 s of serial work for 32 calls). */
  fibN?: number;
}

/** The two sides of a workload in one process, sharing whatever they need (Worker pools). */
export interface Contenders {
  ours(): Promise<Sample>;
  floor(): Promise<Sample>;
  /** Frees what the sides hold (terminates Workers). */
  close(): Promise<void>;
}

export interface Workload {
  id: string;
  name: string;
  unit: Unit;
  /** The N of WORKLOADS.md. */
  n: number;
  /** true for jobs/s and speedup; false for times and bytes. */
  higherIsBetter: boolean;
  /** What the floor is, for reports. */
  floorName: string;
  /**
   * Each run needs a process of its own: memory figures, since a runtime
   * keeps the pages a previous run freed (Node gives them back after a
   * while, Deno 2.9 not at all), so a second run in one process grows RSS
   * by nothing.
   */
  freshProcessPerRun?: boolean;
  prepare(n: number, options?: WorkloadOptions): Contenders;
}

// -- helpers -----------------------------------------------------------------

const bun = (globalThis as { Bun?: { gc(force: boolean): void } }).Bun;
const collect = (globalThis as { gc?: () => void }).gc ?? (bun && (() => bun.gc(true)));

/**
 * A full garbage collection, when the runtime exposes one (`node --expose-gc`,
 * `deno --v8-flags=--expose-gc`, Bun's `Bun.gc(true)`): a run should not pay
 * for its predecessor's garbage, and memory figures should count live objects
 * only.
 */
export function collectGarbage(): void {
  collect?.();
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new Error(`validation failed: ${message}`);
}

function checkSum(id: string, sum: number, n: number): void {
  check(sum === (n * (n - 1)) / 2, `${id}: sum ${sum}, expected ${(n * (n - 1)) / 2}`);
}

function sumOf(values: number[]): number {
  let sum = 0;
  for (const value of values) sum += value;
  return sum;
}

/** A workload whose two sides need nothing shared. */
function independent(
  ours: () => Promise<Sample>,
  floor: () => Promise<Sample>,
): Contenders {
  return { ours, floor, close: () => Promise.resolve() };
}

// -- B1 spawn-gather ---------------------------------------------------------

const spawnGather: Workload = {
  id: "B1",
  name: "spawn-gather",
  unit: "ms",
  n: 100_000,
  higherIsBetter: false,
  floorName: "Promise.all of async functions that await null",
  prepare: (n, options = {}) =>
    independent(
      () => spawnGatherOn(asyncio, n, options),
      async () => {
        const start = performance.now();
        const promises = [];
        for (let i = 0; i < n; i++) {
          promises.push((async (i: number) => {
            await null;
            return i;
          })(i));
        }
        const results = await Promise.all(promises);
        const ms = performance.now() - start;
        checkSum("B1", sumOf(results), n);
        return { value: ms };
      },
    ),
};

/** B1's side on `lib`: N tasks that each yield once, gathered. */
export function spawnGatherOn(
  lib: Library,
  n: number,
  options: WorkloadOptions = {},
): Promise<Sample> {
  return lib.run(async () => {
    const start = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) {
      tasks.push(lib.createTask(async (i: number) => {
        await lib.sleep(0);
        return i;
      }, i));
    }
    const results = await lib.gather(...tasks);
    const ms = performance.now() - start;
    checkSum("B1", sumOf(results), n);
    return { value: ms };
  }, options);
}

// -- B2 queue-pingpong -------------------------------------------------------

const QUEUE_MAXSIZE = 100;

/** The floor's bounded queue: an array and two lists of resolvers, nothing else. */
class PromiseQueue<T> {
  readonly #items: T[] = [];
  readonly #getters: (() => void)[] = [];
  readonly #putters: (() => void)[] = [];
  readonly #maxsize: number;

  constructor(maxsize: number) {
    this.#maxsize = maxsize;
  }

  async put(item: T): Promise<void> {
    while (this.#items.length >= this.#maxsize) {
      await new Promise<void>((resolve) => this.#putters.push(resolve));
    }
    this.#items.push(item);
    this.#getters.shift()?.();
  }

  async get(): Promise<T> {
    while (this.#items.length === 0) {
      await new Promise<void>((resolve) => this.#getters.push(resolve));
    }
    const item = this.#items.shift()!;
    this.#putters.shift()?.();
    return item;
  }
}

const queuePingPong: Workload = {
  id: "B2",
  name: "queue-pingpong",
  unit: "ms",
  n: 200_000,
  higherIsBetter: false,
  floorName: "a minimal promise queue",
  prepare: (n, options = {}) =>
    independent(
      () =>
        run(async () => {
          const start = performance.now();
          const queue = new Queue<number>(QUEUE_MAXSIZE);
          const producer = createTask(async () => {
            for (let i = 0; i < n; i++) await queue.put(i);
          });
          const consumer = createTask(async () => {
            let sum = 0;
            for (let i = 0; i < n; i++) sum += await queue.get();
            return sum;
          });
          await producer;
          const sum = await consumer;
          const ms = performance.now() - start;
          checkSum("B2", sum, n);
          return { value: ms };
        }, options),
      async () => {
        const start = performance.now();
        const queue = new PromiseQueue<number>(QUEUE_MAXSIZE);
        const producer = (async () => {
          for (let i = 0; i < n; i++) await queue.put(i);
        })();
        const consumer = (async () => {
          let sum = 0;
          for (let i = 0; i < n; i++) sum += await queue.get();
          return sum;
        })();
        await producer;
        const sum = await consumer;
        const ms = performance.now() - start;
        checkSum("B2", sum, n);
        return { value: ms };
      },
    ),
};

// -- B3 timers ---------------------------------------------------------------

/** Task i sleeps (i % 500) ms, scaled; the longest sleep is 499 ms, the workload counts 500. */
const sleepMs = (i: number, scale: number) => (i % 500) * scale;

const timers: Workload = {
  id: "B3",
  name: "timers",
  unit: "ms",
  n: 50_000,
  higherIsBetter: false,
  floorName: "setTimeout promises",
  prepare: (n, options = {}) => {
    const scale = options.sleepScale ?? 1;
    // The figure is the overhead: wall time beyond the half second of sleeping.
    const sleptMs = 500 * scale;
    const longestMs = sleepMs(Math.min(n, 500) - 1, scale);
    return independent(
      () =>
        run(async () => {
          const loop = getRunningLoop();
          const start = performance.now();
          const startTime = loop.time();
          const tasks = [];
          for (let i = 0; i < n; i++) {
            tasks.push(createTask(async (i: number) => {
              await sleep(sleepMs(i, scale) / 1000);
              return i;
            }, i));
          }
          const results = await gather(...tasks);
          const ms = performance.now() - start;
          checkSum("B3", sumOf(results), n);
          // Loop time, so that a virtual clock checks the sleeps too.
          const sleptS = loop.time() - startTime;
          check(sleptS >= longestMs / 1000, `B3: done after ${sleptS} s of loop time`);
          return { value: ms - sleptMs, extra: { wall_ms: ms } };
        }, options),
      async () => {
        const start = performance.now();
        const promises = [];
        for (let i = 0; i < n; i++) {
          promises.push(
            new Promise<number>((resolve) => setTimeout(resolve, sleepMs(i, scale), i)),
          );
        }
        const results = await Promise.all(promises);
        const ms = performance.now() - start;
        checkSum("B3", sumOf(results), n);
        return { value: ms - sleptMs, extra: { wall_ms: ms } };
      },
    );
  },
};

// -- B4 cancel-storm ---------------------------------------------------------

const cancelStorm: Workload = {
  id: "B4",
  name: "cancel-storm",
  unit: "ms",
  n: 100_000,
  higherIsBetter: false,
  floorName: "AbortControllers aborted in a loop",
  prepare: (n, options = {}) =>
    independent(
      () =>
        run(async () => {
          const tasks = [];
          for (let i = 0; i < n; i++) tasks.push(createTask(() => sleep(3600)));
          await sleep(0);
          const start = performance.now();
          for (const task of tasks) task.cancel();
          const results = await gather(...tasks, { returnExceptions: true });
          const ms = performance.now() - start;
          check(
            results.length === n && results.every((result) => result instanceof CancelledError),
            "B4: a result is not a CancelledError",
          );
          return { value: ms };
        }, options),
      () => {
        const controllers = [];
        for (let i = 0; i < n; i++) controllers.push(new AbortController());
        const start = performance.now();
        for (const controller of controllers) controller.abort();
        const ms = performance.now() - start;
        check(controllers.every((controller) => controller.signal.aborted), "B4: not aborted");
        return Promise.resolve({ value: ms });
      },
    ),
};

// -- B5 semaphore ------------------------------------------------------------

const SEMAPHORE_LIMIT = 100;

function checkHolders(most: number, n: number): void {
  const expected = Math.min(SEMAPHORE_LIMIT, n);
  check(most === expected, `B5: at most ${most} holders, expected ${expected}`);
}

const semaphore: Workload = {
  id: "B5",
  name: "semaphore",
  unit: "ms",
  n: 100_000,
  higherIsBetter: false,
  floorName: "a p-limit-like promise semaphore",
  prepare: (n, options = {}) =>
    independent(
      () => semaphoreOn(asyncio, n, options),
      async () => {
        const start = performance.now();
        const sem = new PromiseSemaphore(SEMAPHORE_LIMIT);
        let holders = 0;
        let most = 0;
        const promises = [];
        for (let i = 0; i < n; i++) {
          promises.push((async () => {
            await sem.acquire();
            try {
              most = Math.max(most, ++holders);
              await null;
              holders--;
            } finally {
              sem.release();
            }
          })());
        }
        await Promise.all(promises);
        const ms = performance.now() - start;
        checkHolders(most, n);
        return { value: ms };
      },
    ),
};

/** B5's side on `lib`: N tasks, each holding the semaphore around a yield. */
export function semaphoreOn(
  lib: Library,
  n: number,
  options: WorkloadOptions = {},
): Promise<Sample> {
  return lib.run(async () => {
    const start = performance.now();
    const sem = new lib.Semaphore(SEMAPHORE_LIMIT);
    let holders = 0;
    let most = 0;
    const hold = async () => {
      most = Math.max(most, ++holders);
      await lib.sleep(0);
      holders--;
    };
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(lib.createTask(() => sem.with(hold)));
    for (const task of tasks) await task;
    const ms = performance.now() - start;
    checkHolders(most, n);
    return { value: ms };
  }, options);
}

// -- B5b map-limited ---------------------------------------------------------

const MAP_LIMIT = 100;

const mapLimitedWorkload: Workload = {
  id: "B5b",
  name: "map-limited",
  unit: "ms",
  n: 100_000,
  higherIsBetter: false,
  floorName: "100 async workers taking the next index",
  prepare: (n, options = {}) => {
    const inputs = Array.from({ length: n }, (_, i) => i);
    const checkMap = (results: number[], most: number) => {
      checkSum("B5b", sumOf(results), n);
      check(
        most === Math.min(MAP_LIMIT, n),
        `B5b: at most ${most} jobs at once, expected ${MAP_LIMIT}`,
      );
    };
    return independent(
      () =>
        run(async () => {
          let running = 0;
          let most = 0;
          const job = async (input: number) => {
            most = Math.max(most, ++running);
            await sleep(0);
            running--;
            return input;
          };
          const start = performance.now();
          const results = await mapLimited(job, inputs, { limit: MAP_LIMIT });
          const ms = performance.now() - start;
          checkMap(results, most);
          return { value: ms };
        }, options),
      async () => {
        let running = 0;
        let most = 0;
        const job = async (input: number) => {
          most = Math.max(most, ++running);
          await null;
          running--;
          return input;
        };
        const start = performance.now();
        const results: number[] = new Array(n);
        let next = 0;
        const worker = async () => {
          while (next < n) {
            const at = next++;
            results[at] = await job(inputs[at]);
          }
        };
        const workers = [];
        for (let i = 0; i < MAP_LIMIT; i++) workers.push(worker());
        await Promise.all(workers);
        const ms = performance.now() - start;
        checkMap(results, most);
        return { value: ms };
      },
    );
  },
};

// -- B6 and B7: the executor -------------------------------------------------

const WORKERS = 2;

/**
 * The smallest pool that does the job, on the same kind of Worker as ours
 * (`node:worker_threads` from a `data:` URL): every call posted at once,
 * round robin, one message each way.
 */
class HandWrittenPool {
  readonly #workers: Worker[];
  readonly #pending = new Map<number, (value: unknown) => void>();
  #next = 0;

  constructor(size: number, fn: (arg: number) => unknown) {
    const code = `import { parentPort } from "node:worker_threads";
const fn = ${fn.toString()};
parentPort.on("message", (m) => parentPort.postMessage([m[0], fn(m[1])]));`;
    const url = new URL("data:text/javascript," + encodeURIComponent(code));
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(url);
      worker.on("message", ([id, result]: [number, unknown]) => {
        this.#pending.get(id)!(result);
        this.#pending.delete(id);
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

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}

/**
 * Our side of B6 and B7: a Runner kept across runs whose default executor is
 * a pool of 2 Workers, so each run goes through `runInExecutor(null, ...)`
 * and the Workers start once (in the warm-up), as the hand-written pool's do.
 */
function executorRunner(options: WorkloadOptions): Runner {
  const runner = new Runner({ loopFactory: options.loopFactory });
  runner.getLoop().setDefaultExecutor(new WorkerPoolExecutor({ maxWorkers: WORKERS }));
  return runner;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

function checkEcho(results: unknown[], n: number): void {
  check(results.length === n, `B6: ${results.length} results`);
  for (let i = 0; i < n; i++) check(results[i] === i, `B6: result ${i} is ${results[i]}`);
}

const echo = (x: number) => x;

const executorEcho: Workload = {
  id: "B6",
  name: "executor-echo",
  unit: "jobs/s",
  n: 20_000,
  higherIsBetter: true,
  floorName: "a hand-written pool of 2 Workers",
  prepare: (n, options = {}) => {
    const runner = executorRunner(options);
    const hand = new HandWrittenPool(WORKERS, echo);
    const rate = (ms: number): Sample => ({ value: n / ms * 1000, extra: { ms } });
    return {
      ours: () =>
        runner.run(async () => {
          const loop = getRunningLoop();
          const start = performance.now();
          const results = await gather(...range(n).map((i) => loop.runInExecutor(null, echo, i)));
          const ms = performance.now() - start;
          checkEcho(results, n);
          return rate(ms);
        }),
      floor: async () => {
        const start = performance.now();
        const results = await Promise.all(range(n).map((i) => hand.run(i)));
        const ms = performance.now() - start;
        checkEcho(results, n);
        return rate(ms);
      },
      close: async () => {
        await runner.close();
        await hand.close();
      },
    };
  },
};

function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

const executorCpu: Workload = {
  id: "B7",
  name: "executor-cpu",
  unit: "speedup",
  n: 32,
  higherIsBetter: true,
  floorName: "a hand-written pool of 2 Workers",
  prepare: (n, options = {}) => {
    const fibN = options.fibN ?? 32;
    const expected = fib(fibN);
    const checkFib = (results: unknown[]) =>
      check(
        results.length === n && results.every((result) => result === expected),
        `B7: wrong results of fib(${fibN})`,
      );
    // Each side times the serial work right before its pooled run, so that
    // both times of one speedup see the same machine load.
    const speedup = async (pooled: () => Promise<unknown[]>): Promise<Sample> => {
      let start = performance.now();
      checkFib(range(n).map(() => fib(fibN)));
      const serialMs = performance.now() - start;
      start = performance.now();
      checkFib(await pooled());
      const pooledMs = performance.now() - start;
      return { value: serialMs / pooledMs, extra: { serial_ms: serialMs, pooled_ms: pooledMs } };
    };
    const runner = executorRunner(options);
    const hand = new HandWrittenPool(WORKERS, fib);
    return {
      ours: () =>
        speedup(() =>
          runner.run(() => {
            const loop = getRunningLoop();
            return gather(...range(n).map(() => loop.runInExecutor(null, fib, fibN)));
          })
        ),
      floor: () => speedup(() => Promise.all(range(n).map(() => hand.run(fibN)))),
      close: async () => {
        await runner.close();
        await hand.close();
      },
    };
  },
};

// -- B8 memory-per-task ------------------------------------------------------

/** Committed bytes of V8's young generation, which holds nothing live after a full GC. */
function nurseryBytes(): number {
  return getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith("new_"))
    .reduce((sum, space) => sum + space.physical_space_size, 0);
}

/**
 * Bytes per task of what `spawn` left alive. The figure is RSS growth less
 * the young generation's: V8 grows that nursery (to 10-30 MB) with the
 * allocation rate, not with what stays alive, and it does not shrink after
 * a GC, so at N = 100,000 it would add 100-300 bytes to every task. The raw
 * RSS and the V8 heap figures go along in `extra`.
 */
async function bytesPerTask(n: number, spawn: () => Promise<void>): Promise<Sample> {
  collectGarbage();
  const rss = process.memoryUsage.rss();
  const nursery = nurseryBytes();
  const heap = process.memoryUsage().heapUsed;
  await spawn();
  collectGarbage();
  const rssGrowth = process.memoryUsage.rss() - rss;
  return {
    value: (rssGrowth - (nurseryBytes() - nursery)) / n,
    extra: {
      rss_bytes_per_task: rssGrowth / n,
      heap_bytes_per_task: (process.memoryUsage().heapUsed - heap) / n,
    },
  };
}

const memoryPerTask: Workload = {
  id: "B8",
  name: "memory-per-task",
  unit: "bytes/task",
  n: 100_000,
  higherIsBetter: false,
  floorName: "async functions pending on one promise",
  freshProcessPerRun: true,
  prepare: (n, options = {}) =>
    independent(
      () =>
        run(async () => {
          const event = new Event();
          const tasks: Task<number>[] = [];
          const sample = await bytesPerTask(n, async () => {
            for (let i = 0; i < n; i++) {
              tasks.push(createTask(async (i: number) => {
                await event.wait();
                return i;
              }, i));
            }
            await sleep(0); // every task runs up to its wait()
          });
          event.set();
          checkSum("B8", sumOf(await gather(...tasks)), n);
          return sample;
        }, options),
      async () => {
        let open!: () => void;
        const gate = new Promise<void>((resolve) => open = resolve);
        const promises: Promise<number>[] = [];
        const sample = await bytesPerTask(n, async () => {
          for (let i = 0; i < n; i++) {
            promises.push((async (i: number) => {
              await gate;
              return i;
            })(i));
          }
          await null;
        });
        open();
        checkSum("B8", sumOf(await Promise.all(promises)), n);
        return sample;
      },
    ),
};

// -- B10 subprocess ----------------------------------------------------------

/** The program B10 runs: exits at once, prints nothing. */
const TRUE_PROGRAM = "true";

const subprocessRuns: Workload = {
  id: "B10",
  name: "subprocess",
  unit: "ms",
  n: 1_000,
  higherIsBetter: false,
  floorName: "child_process.spawn of `true`, awaiting its exit, one after another",
  prepare: (n, options = {}) =>
    independent(
      () =>
        run(async () => {
          const start = performance.now();
          let failed = 0;
          for (let i = 0; i < n; i++) {
            const proc = await createSubprocessExec(TRUE_PROGRAM);
            if ((await proc.wait()) !== 0) failed++;
          }
          check(failed === 0, `B10: ${failed} runs of true failed`);
          return { value: performance.now() - start };
        }, options),
      async () => {
        const start = performance.now();
        let failed = 0;
        for (let i = 0; i < n; i++) {
          const code = await new Promise<number | null>((resolve, reject) => {
            const child = spawn(TRUE_PROGRAM, [], { stdio: "inherit" });
            child.once("error", reject);
            child.once("close", resolve);
          });
          if (code !== 0) failed++;
        }
        check(failed === 0, `B10: ${failed} runs of true failed`);
        return { value: performance.now() - start };
      },
    ),
};

/** B1..B8 (B5b after B5) and B10, in order (B9 needs processes of its own: `echo.ts`). */
export const workloads: readonly Workload[] = [
  spawnGather,
  queuePingPong,
  timers,
  cancelStorm,
  semaphore,
  mapLimitedWorkload,
  executorEcho,
  executorCpu,
  memoryPerTask,
  subprocessRuns,
];

/** The workload of an id ("B1", case-insensitive). */
export function workloadById(id: string): Workload {
  const workload = workloads.find((w) => w.id.toUpperCase() === id.toUpperCase());
  if (!workload) {
    throw new Error(`no workload ${id}; known: ${workloads.map((w) => w.id).join(", ")}`);
  }
  return workload;
}
