// The raw-promise floors of WORKLOADS.md (no scheduler at all), measured in
// each peer's own process so that the peer's ratio to its floor holds on a
// noisy machine. Each returns the round's figure: ms, or B3's overhead in ms.
import { checkMost, checkSum, countingJob } from "./common.mjs";

/** B1: Promise.all over N async functions that each `await null`. */
export async function spawnGather(n) {
  const start = performance.now();
  const promises = [];
  for (let i = 0; i < n; i++) {
    promises.push((async () => {
      await null;
      return i;
    })());
  }
  const results = await Promise.all(promises);
  const elapsed = performance.now() - start;
  checkSum(results.reduce((a, b) => a + b, 0), n);
  return elapsed;
}

/** B2's floor queue: an item array and the resolvers of who waits, nothing else. */
class PromiseQueue {
  items = [];
  getters = [];
  putters = [];

  constructor(maxsize) {
    this.maxsize = maxsize;
  }

  async put(item) {
    while (this.items.length >= this.maxsize) {
      await new Promise((resolve) => this.putters.push(resolve));
    }
    this.items.push(item);
    this.getters.shift()?.();
  }

  async get() {
    while (this.items.length === 0) {
      await new Promise((resolve) => this.getters.push(resolve));
    }
    const item = this.items.shift();
    this.putters.shift()?.();
    return item;
  }
}

/** B2: a producer puts N ints into a queue of 100, a consumer sums them. */
export async function queuePingPong(n) {
  const start = performance.now();
  const queue = new PromiseQueue(100);
  const producer = (async () => {
    for (let i = 0; i < n; i++) await queue.put(i);
  })();
  let sum = 0;
  for (let i = 0; i < n; i++) sum += await queue.get();
  await producer;
  const elapsed = performance.now() - start;
  checkSum(sum, n);
  return elapsed;
}

/** B3: N promises on host timers of (i % 500) ms; the overhead is the wall time past 500 ms. */
export async function timers(n) {
  const start = performance.now();
  const promises = [];
  for (let i = 0; i < n; i++) {
    promises.push(new Promise((resolve) => setTimeout(resolve, i % 500)));
  }
  await Promise.all(promises);
  return performance.now() - start - 500;
}

/** B4: N AbortControllers aborted in a loop (only the loop is timed). */
export function cancelStorm(n) {
  const controllers = [];
  for (let i = 0; i < n; i++) controllers.push(new AbortController());
  const start = performance.now();
  for (const controller of controllers) controller.abort();
  const elapsed = performance.now() - start;
  if (!controllers.every((c) => c.signal.aborted)) {
    throw new Error("B4 floor: not aborted");
  }
  return elapsed;
}

/** A p-limit-like semaphore: a count of free slots and a FIFO of resolvers. */
class PromiseSemaphore {
  waiters = [];
  head = 0;

  constructor(free) {
    this.free = free;
  }

  acquire() {
    if (this.free > 0) {
      this.free--;
      return undefined;
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  release() {
    // The slot goes straight to the next waiter.
    if (this.head < this.waiters.length) this.waiters[this.head++]();
    else this.free++;
  }
}

/** B5: N async functions each hold a semaphore of 100 around `await null`. */
export async function semaphore(n) {
  const start = performance.now();
  const sem = new PromiseSemaphore(100);
  let holders = 0;
  let most = 0;
  const promises = [];
  for (let i = 0; i < n; i++) {
    promises.push((async () => {
      await sem.acquire();
      most = Math.max(most, ++holders);
      await null;
      holders--;
      sem.release();
    })());
  }
  await Promise.all(promises);
  const elapsed = performance.now() - start;
  checkMost(most, 100);
  return elapsed;
}

/**
 * B5b: a map of N inputs, 100 at a time, as the least code does it: 100
 * async workers taking the next index until none is left, each job holding
 * its slot around `await null`; results by index.
 */
export async function mapLimited(inputs) {
  const start = performance.now();
  const { job, most: mostAtOnce } = countingJob();
  const results = new Array(inputs.length);
  let next = 0;
  const worker = async () => {
    while (next < inputs.length) {
      const at = next++;
      results[at] = await job(inputs[at]);
    }
  };
  const workers = [];
  for (let i = 0; i < 100; i++) workers.push(worker());
  await Promise.all(workers);
  const elapsed = performance.now() - start;
  checkMost(mostAtOnce(), 100);
  checkSum(results.reduce((a, b) => a + b, 0), inputs.length);
  return elapsed;
}

/** B8: N async functions parked on one pending promise (see b8Child). */
export async function park(n, parked) {
  let open;
  const gate = new Promise((resolve) => open = resolve);
  const waiting = [];
  for (let i = 0; i < n; i++) {
    waiting.push((async () => {
      await gate;
      return i;
    })());
  }
  await null;
  parked();
  open();
  checkSum((await Promise.all(waiting)).reduce((a, b) => a + b, 0), n);
}
