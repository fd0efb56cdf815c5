/**
 * Benchmarks B2 (queue ping-pong) and B5 (semaphore) of
 * `shared/bench/WORKLOADS.md`, each beside a raw-promise floor in the same
 * process (no scheduler: a minimal promise-based bounded queue, and a
 * p-limit-like promise semaphore).
 *
 * - B2: a producer puts 200,000 ints into a `Queue(100)`, a consumer gets
 *   them and sums.
 * - B5: 100,000 tasks each hold a `Semaphore(100)` around `await sleep(0)`
 *   (the floor: `await null`); the most holders seen must be 100.
 *
 * Each figure is the median of 5 runs after 1 warm-up, ours and the floor
 * taking turns so that machine noise hits both alike. Run:
 * `deno run -A scripts/bench/primitives_bench.ts` (`--quick`: 1 run each).
 *
 * @module
 */

import { createTask, Queue, run, Semaphore, sleep } from "../../mod.ts";

const B2_ITEMS = 200_000;
const B2_MAXSIZE = 100;
const B5_TASKS = 100_000;
const B5_LIMIT = 100;
const quick = Deno.args.includes("--quick");
const RUNS = quick ? 1 : 5;

// -- B2 ----------------------------------------------------------------------

/** B2 on asyncio-ts: producer and consumer tasks around a Queue(100). */
function queuePingPong(): Promise<number> {
  return run(async () => {
    const start = performance.now();
    const queue = new Queue<number>(B2_MAXSIZE);
    const producer = createTask(async () => {
      for (let i = 0; i < B2_ITEMS; i++) await queue.put(i);
    });
    const consumer = createTask(async () => {
      let sum = 0;
      for (let i = 0; i < B2_ITEMS; i++) sum += await queue.get();
      return sum;
    });
    await producer;
    checkSum(await consumer, B2_ITEMS);
    return performance.now() - start;
  });
}

/** The floor's queue: an array and two lists of resolvers, nothing else. */
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

async function queuePingPongFloor(): Promise<number> {
  const start = performance.now();
  const queue = new PromiseQueue<number>(B2_MAXSIZE);
  const producer = (async () => {
    for (let i = 0; i < B2_ITEMS; i++) await queue.put(i);
  })();
  const consumer = (async () => {
    let sum = 0;
    for (let i = 0; i < B2_ITEMS; i++) sum += await queue.get();
    return sum;
  })();
  await producer;
  checkSum(await consumer, B2_ITEMS);
  return performance.now() - start;
}

// -- B5 ----------------------------------------------------------------------

/** B5 on asyncio-ts: N tasks, each `sem.with(() => sleep(0))`. */
function semaphoreTasks(): Promise<number> {
  return run(async () => {
    const start = performance.now();
    const sem = new Semaphore(B5_LIMIT);
    let holders = 0;
    let most = 0;
    const hold = async () => {
      most = Math.max(most, ++holders);
      await sleep(0);
      holders--;
    };
    const tasks = [];
    for (let i = 0; i < B5_TASKS; i++) tasks.push(createTask(() => sem.with(hold)));
    for (const task of tasks) await task;
    checkHolders(most);
    return performance.now() - start;
  });
}

/** The floor's semaphore, p-limit-like: a count and a FIFO of resolvers. */
class PromiseSemaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  #head = 0;

  constructor(value: number) {
    this.#free = value;
  }

  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    // Hand the slot straight to the next waiter, as ours does.
    if (this.#head < this.#waiters.length) this.#waiters[this.#head++]();
    else this.#free++;
  }
}

async function semaphoreTasksFloor(): Promise<number> {
  const start = performance.now();
  const sem = new PromiseSemaphore(B5_LIMIT);
  let holders = 0;
  let most = 0;
  const promises = [];
  for (let i = 0; i < B5_TASKS; i++) {
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
  checkHolders(most);
  return performance.now() - start;
}

// -- running -----------------------------------------------------------------

function checkSum(sum: number, n: number): void {
  if (sum !== (n * (n - 1)) / 2) throw new Error(`B2: wrong sum ${sum}`);
}

function checkHolders(most: number): void {
  if (most !== B5_LIMIT) throw new Error(`B5: at most ${most} holders, expected ${B5_LIMIT}`);
}

/** Medians of RUNS alternating runs of `ours` and `floor`, after one warm-up of each. */
async function compare(
  ours: () => Promise<number>,
  floor: () => Promise<number>,
): Promise<[number, number]> {
  await ours();
  await floor();
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    a.push(await ours());
    b.push(await floor());
  }
  return [medianOf(a), medianOf(b)];
}

function medianOf(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[sorted.length >> 1];
}

console.log(
  `asyncio-ts primitives benchmarks, median of ${RUNS} (Deno ${Deno.version.deno})`,
);
for (
  const [id, ours, floor] of [
    [
      `B2 queue-pingpong (${B2_ITEMS} items, maxsize ${B2_MAXSIZE})`,
      queuePingPong,
      queuePingPongFloor,
    ],
    [
      `B5 semaphore (${B5_TASKS} tasks, Semaphore(${B5_LIMIT}))`,
      semaphoreTasks,
      semaphoreTasksFloor,
    ],
  ] as const
) {
  const [oursMs, floorMs] = await compare(ours, floor);
  console.log(
    `${id}: asyncio-ts ${oursMs.toFixed(1)} ms, floor ${floorMs.toFixed(1)} ms, ratio ${
      (oursMs / floorMs).toFixed(2)
    }x`,
  );
}
