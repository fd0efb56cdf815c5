/**
 * `WorkerPoolExecutor`: runs functions on a pool of Workers.
 *
 * Design notes:
 * - Workers start lazily, one per job that finds no free Worker, up to
 *   `maxWorkers` (by default `min(32, cores + 4)`, Python's for threads: a
 *   blocking call must not wait for another on a 2-core machine); an idle
 *   Worker is unref'd at once (it never keeps the process alive on
 *   `worker_threads`) and terminated after `idleTimeout`.
 * - A Worker runs one job at a time. Jobs of a function whose measured run
 *   time is short (under {@linkcode SHORT_JOB_MS}) are also pipelined: each
 *   Worker holds a few ms of them ({@linkcode PIPELINE_BUDGET_MS}, at most
 *   {@linkcode PIPELINE_DEPTH} jobs), refilled in batches when half done, so
 *   that tiny jobs are bound neither by the message round trip nor by the
 *   main thread's turn to refill (with a fixed depth of 32 the Workers of
 *   the echo benchmark, `scripts/bench/workloads.ts`, starved; a depth
 *   that follows the jobs' run time did not). Longer jobs go one per
 *   Worker so that no job waits behind a long one while another Worker
 *   idles. A function's first job counts as long.
 * - A Worker sends the outcomes of pipelined jobs without options together
 *   (bootstrap.ts), so the main thread handles one message and dispatches
 *   once per batch of results, not per result (the echo benchmark's jobs
 *   cost the main thread far less that way). The price: a held outcome
 *   also waits for the job run
 *   after it, so a pipelined function's rare long call delays the outcomes
 *   (at most 64) of the calls run just before it on that Worker.
 * - `submit()` throws when the call cannot be accepted at all (a function
 *   that cannot be shipped, a pool shut down or broken); everything found out
 *   later (arguments that cannot be cloned, a captured variable, a crash, a
 *   timeout) rejects the job.
 * - Nothing waits for good behind a cancelled job: a running job that is
 *   cancelled gets its `jobSignal()` aborted, and its Worker is "detached":
 *   left out of `maxWorkers` (so a new Worker can start at once) and given
 *   no new job until it idles; if the job still runs `cancelGracePeriod`
 *   seconds later, the Worker is terminated. Rejected: terminating at once
 *   (a job that watches its signal deserves the chance to clean up), and
 *   waiting for good (one stuck job blocked every later job and `run()`).
 * - A Worker that dies fails only the job it was running
 *   (`WorkerCrashedError`); jobs sent to it but not started go back to the
 *   front of the queue. An error no job caught is reported by the Worker
 *   itself (CRASHED, bootstrap.ts), after the outcomes it posted before:
 *   Node's own `error` event can overtake those, which then failed too.
 *   Exception: a Worker killed outright (out of memory) while holding
 *   outcomes back; the shared `started` cell says which job
 *   it was running, and the jobs before it, which ran but whose outcomes
 *   died with it, fail with `WorkerCrashedError` rather than run twice.
 *   A Worker that dies before it is ready counts as a start-up failure;
 *   {@linkcode MAX_STARTUP_FAILURES} in a row break the pool
 *   (`BrokenExecutorError`) instead of respawning forever.
 *
 * @module
 */

import { availableParallelism } from "node:os";
import { clearTimeout, setTimeout } from "node:timers";
import {
  BrokenExecutorError,
  CancelledError,
  RuntimeError,
  TimeoutError,
  WorkerCrashedError,
} from "../errors.ts";
import {
  type BackendKind,
  checkResourceLimits,
  type ResourceLimits,
  startWorker,
  type WorkerHandle,
} from "./backend.ts";
import { type FunctionEntry, type Resolved, resolveFunction } from "./functions.ts";
import { Job } from "./job.ts";
import {
  CANCEL,
  CANCEL_RING,
  CLOSING,
  CRASHED,
  DONE,
  DONE_HEADER,
  DONE_STRIDE,
  type DoneMessage,
  DROPPED,
  encodeJob,
  ERR,
  type FromWorker,
  type FunctionDef,
  INIT,
  INIT_FAILED,
  READY,
  RUN,
  SHARED_CANCELS,
  SHARED_STARTED,
  type WireError,
} from "./messages.ts";
import { FifoQueue, type JobQueue } from "./queue.ts";
import { jobError, rebuildError } from "./remote_error.ts";
import type {
  AnyFunction,
  Executor,
  ExecutorJob,
  ModuleFunction,
  ShutdownOptions,
} from "./types.ts";
import type { TransferableObject } from "./types.ts";

/** A job whose function ran shorter than this (ms, moving average) may be pipelined. */
export const SHORT_JOB_MS = 1;
/** Most jobs in flight on one Worker when pipelining. */
export const PIPELINE_DEPTH = 256;
/**
 * Pipelined work per Worker, in ms of measured run time: the depth for a
 * function is this over its mean run time (2 to {@linkcode PIPELINE_DEPTH}),
 * so that a Worker's backlog stays a few ms long however short the jobs.
 */
export const PIPELINE_BUDGET_MS = 4;
/** Start-up failures in a row after which the pool stops starting Workers. */
export const MAX_STARTUP_FAILURES = 3;

/**
 * Options of {@linkcode WorkerPoolExecutor}.
 *
 * @example A pool of 2 Workers that retire after 1 s idle, each set up first
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({
 *   maxWorkers: 2,
 *   idleTimeout: 1,
 *   initializer: (level: string) => {
 *     (globalThis as { logLevel?: string }).logLevel = level;
 *   },
 *   initargs: ["debug"],
 * });
 * console.log(await pool.submit(() => (globalThis as { logLevel?: string }).logLevel)); // debug
 * ```
 */
export interface WorkerPoolExecutorOptions {
  /**
   * Most Workers at once. The default is Python's for `ThreadPoolExecutor`,
   * so that blocking calls overlap even on one or two cores (Workers start
   * only when jobs overlap, and idle ones retire).
   * @default {Math.min(32, cores + 4)}
   */
  maxWorkers?: number;
  /**
   * Seconds an idle Worker lives before it is terminated. `0` ends Workers as
   * soon as they idle; `Infinity` keeps them (on `worker_threads` an idle
   * Worker does not keep the process alive either way).
   * @default {10}
   */
  idleTimeout?: number;
  /**
   * Seconds a cancelled job may run on after its `jobSignal()` was aborted;
   * then its Worker is terminated. Meanwhile that Worker does not count
   * toward `maxWorkers`, so a new one takes its place at once. `Infinity`:
   * never terminate (the pool still replaces the Worker).
   * @default {5}
   */
  cancelGracePeriod?: number;
  /**
   * The Worker API: `"worker_threads"` (`node:worker_threads`, on Deno too)
   * or `"web"` (the global `Worker`). See the design note in `backend.ts`:
   * on Deno a web Worker cannot be unref'd, so an idle one keeps the process
   * alive until `idleTimeout` or `shutdown()`, and terminating one that spins
   * keeps the process alive for good.
   * @default {"worker_threads"}
   */
  backend?: BackendKind;
  /**
   * Run in each Worker before its first job, with `initargs`: a
   * self-contained function or a module function. If it throws, the Worker
   * counts as failed at start-up. Python: `initializer`.
   * @default {undefined}
   */
  initializer?: AnyFunction | ModuleFunction;
  /**
   * Arguments of `initializer`.
   * @default {[]}
   */
  initargs?: readonly unknown[];
  /**
   * Memory limits of each Worker, on Node with the `"worker_threads"`
   * backend only: refused on Deno, which does not enforce them (a Worker over
   * them stalls without an error), and with `"web"`. A Worker that exceeds
   * them fails its job with `WorkerCrashedError`.
   * @default {undefined}
   */
  resourceLimits?: ResourceLimits;
  /**
   * Prefix of the Workers' names.
   * @default {"asyncio-ts-executor"}
   */
  name?: string;
}

type PoolState = "running" | "shutdown" | "broken";
type WorkerState = "starting" | "ready" | "gone";

/** A Worker as the pool keeps it. */
interface PoolWorker {
  readonly handle: WorkerHandle;
  readonly name: string;
  state: WorkerState;
  /** Sent and not yet reported, in send order: the first is running (or next to run). */
  readonly jobs: Job<unknown>[];
  /** How many of `jobs` were sent as long (not pipelined): while > 0, no pipelining. */
  long: number;
  /** Ids of the functions this Worker has been sent. */
  readonly known: Set<number>;
  /**
   * Shared with the Worker (null: no SharedArrayBuffer): the id of each job
   * it starts, and the ring of cancelled ids (see `InitMessage`).
   */
  readonly started: Int32Array | null;
  /** Cancels the idle timer. */
  idleTimer: (() => void) | undefined;
  /**
   * Set while a cancelled job may still run on it: it is left out of
   * `maxWorkers` and takes no new job until it idles. Cancels the grace timer.
   */
  detached: (() => void) | undefined;
}

function defaultMaxWorkers(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
    ?.hardwareConcurrency ?? availableParallelism();
  return Math.min(32, cores + 4);
}

/** The longest delay a host timer takes (ms); a longer one fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Call `callback` in `seconds` (never for `Infinity`), with an unref'd host
 * timer, re-armed as often as a delay beyond {@linkcode MAX_TIMER_MS} needs.
 * Returns what cancels it.
 */
function later(seconds: number, callback: () => void): () => void {
  if (seconds === Infinity) return () => {};
  const deadline = performance.now() + seconds * 1000;
  let timer: ReturnType<typeof setTimeout>;
  const arm = () => {
    const left = deadline - performance.now();
    timer = left > MAX_TIMER_MS ? setTimeout(arm, MAX_TIMER_MS) : setTimeout(callback, left);
    timer.unref();
  };
  arm();
  return () => clearTimeout(timer);
}

/**
 * A pool of Workers that runs functions off the event loop's thread.
 * Python: `concurrent.futures.ProcessPoolExecutor` (Workers share nothing
 * but what is sent), with `ThreadPoolExecutor`'s cheap start-up.
 *
 * A job names its function by value (a self-contained function, shipped as
 * source and compiled once per Worker) or with `moduleFunction()`. Inside
 * the job, `jobSignal()` (from `worker_api.ts`) is aborted when the job is
 * cancelled, and `transferResult(value, list)` moves buffers back instead of
 * copying them. Per-job options (transfer list, timeout, terminate on
 * cancel, signal) are attached with `withOptions(fn, options)`.
 *
 * @example Running blocking work off the main thread
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
 * // Shipped as source: a named function may call itself; it may not use outer variables.
 * function fib(n: number): number {
 *   return n < 2 ? n : fib(n - 1) + fib(n - 2);
 * }
 * console.log(await pool.submit(fib, 20)); // 6765
 * for await (const x of pool.map((n: number) => n * n, [1, 2, 3])) console.log(x); // 1 4 9
 * ```
 */
export class WorkerPoolExecutor implements Executor, AsyncDisposable {
  // Invariants:
  // - every job is in exactly one place until it is reported: the queue, or
  //   the `jobs` list of one live Worker; settled jobs may linger in a
  //   Worker's list (cancelled while running) until that Worker reports;
  // - a Worker with an empty `jobs` list is idle: unref'd, with an idle timer
  //   (or terminated, after shutdown); a Worker with jobs is ref'd;
  // - `#workers` holds only Workers that are not gone; `#detached` counts
  //   those of them that are detached, which `maxWorkers` leaves out.
  readonly #maxWorkers: number;
  readonly #idleTimeout: number;
  readonly #cancelGracePeriod: number;
  readonly #backend: BackendKind;
  readonly #name: string;
  readonly #resourceLimits: ResourceLimits | undefined;
  readonly #initDef: FunctionDef | null;
  readonly #initArgs: readonly unknown[];

  readonly #workers = new Set<PoolWorker>();
  readonly #queue: JobQueue<Job<unknown>> = new FifoQueue();
  #state: PoolState = "running";
  #nextJobId = 1;
  #nextWorkerId = 1;
  #detached = 0;
  #startupFailures = 0;
  #topUpScheduled = false;
  #lastFn: unknown;
  #lastResolved: Resolved | undefined;
  #brokenBy: unknown;
  #drained: Promise<void> | undefined;
  #resolveDrained: (() => void) | undefined;

  /**
   * Make a pool; its Workers start when jobs come.
   *
   * @throws {RangeError} For a `maxWorkers` that is not a positive integer, or
   * an `idleTimeout` or `cancelGracePeriod` that is negative or NaN.
   * @throws {TypeError} For an unknown `backend`, an initializer that cannot
   * be shipped, or `resourceLimits` on Deno or with `"web"`.
   */
  constructor(options: WorkerPoolExecutorOptions = {}) {
    const {
      maxWorkers = defaultMaxWorkers(),
      idleTimeout = 10,
      cancelGracePeriod = 5,
      backend = "worker_threads",
      initializer,
      initargs = [],
      resourceLimits,
      name = "asyncio-ts-executor",
    } = options;
    if (!Number.isInteger(maxWorkers) || maxWorkers < 1) {
      throw new RangeError(
        `Cannot create a WorkerPoolExecutor: maxWorkers must be an integer >= 1, received ${maxWorkers}`,
      );
    }
    if (typeof idleTimeout !== "number" || !(idleTimeout >= 0)) {
      throw new RangeError(
        `Cannot create a WorkerPoolExecutor: idleTimeout must be a number of seconds >= 0, received ${idleTimeout}`,
      );
    }
    if (typeof cancelGracePeriod !== "number" || !(cancelGracePeriod >= 0)) {
      throw new RangeError(
        `Cannot create a WorkerPoolExecutor: cancelGracePeriod must be a number of seconds >= 0, received ${cancelGracePeriod}`,
      );
    }
    if (backend !== "worker_threads" && backend !== "web") {
      throw new TypeError(
        `Cannot create a WorkerPoolExecutor: backend must be "worker_threads" or "web", received ${
          String(backend)
        }`,
      );
    }
    checkResourceLimits(resourceLimits, backend);
    this.#maxWorkers = maxWorkers;
    this.#idleTimeout = idleTimeout;
    this.#cancelGracePeriod = cancelGracePeriod;
    this.#backend = backend;
    this.#name = name;
    this.#resourceLimits = resourceLimits;
    this.#initDef = initializer === undefined ? null : resolveFunction(initializer).entry.def;
    this.#initArgs = initargs;
  }

  /** Most Workers at once (the `maxWorkers` option, or its default). */
  get maxWorkers(): number {
    return this.#maxWorkers;
  }

  /** Number of live Workers (starting, busy or idle). */
  get workerCount(): number {
    return this.#workers.size;
  }

  /** Number of jobs waiting for a Worker. */
  get queueSize(): number {
    return this.#queue.size;
  }

  /**
   * Start `fn(...args)` on a Worker; returns the job at once.
   *
   * @param fn A self-contained function (see `functions.ts`), or a
   * `moduleFunction()`; either may carry `withOptions()`.
   * @param args Its arguments, sent by structured clone (or transferred).
   * @returns The job: await it for the result; `cancel()` it.
   * @throws {UnshippableFunctionError} If `fn` is bound, native, a method shorthand or a class.
   * @throws {RuntimeError} After `shutdown()`.
   * @throws {BrokenExecutorError} If Workers kept failing at start-up.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "./pool.ts";
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * console.log(await pool.submit((a: number, b: number) => a * b, 6, 7)); // 42
   * ```
   */
  submit<F extends AnyFunction>(
    fn: F | ModuleFunction<F>,
    ...args: Parameters<F>
  ): ExecutorJob<Awaited<ReturnType<F>>> {
    // Bursts submit one function many times: look it up once.
    if (fn !== this.#lastFn) {
      this.#lastResolved = resolveFunction(fn);
      this.#lastFn = fn;
    }
    const { entry, options } = this.#lastResolved!;
    if (this.#state !== "running") this.#refuse();
    const job = new Job<Awaited<ReturnType<F>>>(this.#nextJobId++, entry, args, options, this);
    if (options !== undefined) this.#watch(job as Job<unknown>);
    if (!job.settled) {
      this.#queue.push(job as Job<unknown>);
      this.#dispatch(false);
    }
    return job;
  }

  /**
   * Run `fn(item)` for each item; yields the results in the order of
   * `items`. All jobs are submitted at once, when `map` is called (as in
   * Python); if the loop over the results ends early (break, or a job's
   * error), the remaining jobs are cancelled.
   *
   * @returns An async iterator over the results; collect them with
   * `for await` (or `Array.fromAsync` where available).
   * @throws {TypeError} If `items` is not iterable, or as `submit()` does
   * (then no job is left running).
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "./pool.ts";
   * await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
   * const out = [];
   * for await (const s of pool.map((n: number) => String(n), [1, 2])) out.push(s);
   * console.log(out); // ["1", "2"]
   * ```
   */
  map<F extends (item: never) => unknown>(
    fn: F | ModuleFunction<F>,
    items: Iterable<Parameters<F>[0]>,
  ): AsyncIterableIterator<Awaited<ReturnType<F>>> {
    if (typeof (items as Partial<Iterable<unknown>>)?.[Symbol.iterator] !== "function") {
      throw new TypeError(
        `Cannot map over items: expected an iterable, received ${
          items === null ? "null" : typeof items === "object" ? "an object" : String(items)
        }`,
      );
    }
    const submit = this.submit.bind(this) as (
      fn: unknown,
      item: unknown,
    ) => ExecutorJob<Awaited<ReturnType<F>>>;
    const jobs: ExecutorJob<Awaited<ReturnType<F>>>[] = [];
    try {
      for (const item of items) jobs.push(submit(fn, item));
    } catch (error) {
      // All or nothing: the jobs already submitted would run for no one.
      for (const job of jobs) job.cancel();
      throw error;
    }
    return (async function* () {
      try {
        for (const job of jobs) yield await job;
      } finally {
        for (const job of jobs) job.cancel();
      }
    })();
  }

  /**
   * Stop the pool: no more `submit()`. Running jobs finish; queued jobs run
   * too unless `cancelFutures`. Each Worker is terminated when it idles.
   * Calling it again is harmless. Python: `Executor.shutdown(wait,
   * cancel_futures)`.
   *
   * @param options `wait` (default `true`): resolve once every job is
   * settled and every Worker gone. `cancelFutures` (default `false`): cancel
   * the queued jobs.
   *
   * @example
   * ```ts
   * import { WorkerPoolExecutor } from "./pool.ts";
   * const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
   * const job = pool.submit(() => "done");
   * await pool.shutdown({ wait: true });
   * console.log(await job, pool.workerCount); // done 0
   * ```
   */
  shutdown(options: ShutdownOptions = {}): Promise<void> {
    const { wait = true, cancelFutures = false } = options;
    if (this.#state === "running") this.#state = "shutdown";
    if (cancelFutures) {
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        job.reject(new CancelledError());
      }
      // Jobs sent ahead to a Worker (pipelined) have not started either.
      for (const worker of this.#workers) {
        const running = this.#runningJob(worker);
        for (const job of worker.jobs.slice(worker.jobs.indexOf(running!) + 1)) {
          this._cancelJob(job, undefined);
        }
      }
    }
    for (const worker of this.#workers) {
      if (worker.jobs.length === 0) this.#retire(worker);
    }
    this.#drained ??= new Promise((resolve) => (this.#resolveDrained = resolve));
    this.#checkDrained();
    return wait ? this.#drained : Promise.resolve();
  }

  /** `await using pool = new WorkerPoolExecutor()`: shuts down and waits at scope exit. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** The pool's state for logs: `WorkerPoolExecutor(running, workers=1/6, queued=0)`. */
  toString(): string {
    return `WorkerPoolExecutor(${this.#state}, workers=${this.#workers.size}/${this.#maxWorkers}, queued=${this.#queue.size})`;
  }

  /** @internal Cancel a job (from `job.cancel()`, its timeout or its signal): the pool as a job's JobOwner. */
  _cancelJob(job: Job<unknown>, reason: unknown): boolean {
    if (job.settled) return false;
    job.reject(reason ?? new CancelledError());
    if (this.#queue.delete(job)) {
      this.#checkDrained();
      return true;
    }
    const worker = this.#workerOf(job);
    if (worker === undefined) return true;
    const running = this.#runningJob(worker) === job;
    if (running && job.options?.terminate) {
      // It may be spinning: only terminating stops it.
      this.#stop(worker, job);
      this.#dispatch();
      return true;
    }
    this.#post(worker, [CANCEL, job.id]);
    if (running) this.#detach(worker, job);
    else if (worker.started !== null) {
      // The Worker may be running a batch and read its CANCEL too late.
      const cells = worker.started;
      const count = Atomics.load(cells, SHARED_CANCELS);
      Atomics.store(cells, SHARED_CANCELS + 1 + (count % CANCEL_RING), job.id);
      Atomics.store(cells, SHARED_CANCELS, count + 1);
    }
    return true;
  }

  // --- Submitting -----------------------------------------------------------

  #refuse(): never {
    if (this.#state === "broken") {
      throw new BrokenExecutorError(
        "A Worker failed to start several times in a row; the pool cannot run new jobs",
        { cause: this.#brokenBy },
      );
    }
    // CPython's wording (concurrent.futures).
    throw new RuntimeError("cannot schedule new futures after shutdown");
  }

  /** Arm the job's timeout and signal. */
  #watch(job: Job<unknown>): void {
    const { timeout, signal } = job.options!;
    if (signal !== undefined) {
      if (signal.aborted) {
        job.reject(new CancelledError());
        return;
      }
      const onAbort = () => this._cancelJob(job, new CancelledError());
      signal.addEventListener("abort", onAbort, { once: true });
      job.onSettle(() => signal.removeEventListener("abort", onAbort));
    }
    if (timeout !== undefined) {
      // Unref'd: something else (a busy Worker) keeps the process alive while the job is pending.
      const cancel = later(timeout, () => {
        this._cancelJob(
          job,
          new TimeoutError(`${job.entry.label} did not finish within ${timeout} s`),
        );
      });
      job.onSettle(cancel);
    }
  }

  // --- Dispatching ----------------------------------------------------------

  /**
   * Hand queued jobs to Workers, starting Workers as needed. The only place
   * jobs leave the queue for a Worker.
   *
   * The least loaded Worker gets the next job if it is idle; if none is idle
   * a new Worker starts (up to `maxWorkers`); failing that, a Worker running
   * only short jobs is topped up to {@linkcode PIPELINE_DEPTH} once it is
   * down to half of that, so that refills go in batches.
   *
   * `topUp` false (from `submit()`): an idle or new Worker takes the job
   * now, but topping up a busy Worker waits for a microtask, so that a burst
   * of submits (`gather(...items.map(...))`) goes in one message, not one
   * message per job.
   */
  #dispatch(topUp = true): void {
    if (this.#queue.size === 0 || this.#state === "broken") return;
    // From submit(), with a top-up already due: no Worker is idle, none can
    // start, and the top-up takes this job too.
    if (!topUp && this.#topUpScheduled) return;
    let batches: Map<PoolWorker, Job<unknown>[]> | undefined;
    while (this.#queue.size > 0) {
      const worker = this.#pickWorker(topUp);
      if (worker === undefined) break;
      let batch = batches?.get(worker);
      if (batch === undefined) {
        (batches ??= new Map()).set(worker, batch = []);
        if (worker.jobs.length === 0) this.#busy(worker);
      }
      do {
        const job = this.#queue.shift()!;
        const short = job.entry.meanMs < SHORT_JOB_MS;
        if (!short) worker.long++;
        job.markSent(short);
        worker.jobs.push(job);
        batch.push(job);
      } while (worker.long === 0 && worker.jobs.length < this.#depthForNext());
    }
    if (batches !== undefined) {
      for (const [worker, batch] of batches) this.#send(worker, batch);
    }
  }

  /** An idle Worker, else a new one, else (if `topUp`) one that may take more short jobs. */
  #pickWorker(topUp: boolean): PoolWorker | undefined {
    let best: PoolWorker | undefined;
    // Refill a pipelining Worker once it is down to half its depth.
    let load = this.#depthForNext() / 2;
    for (const worker of this.#workers) {
      if (worker.detached !== undefined) continue;
      if (worker.jobs.length === 0) return worker;
      if (worker.long === 0 && worker.jobs.length < load) {
        best = worker;
        load = worker.jobs.length;
      }
    }
    if (this.#workers.size - this.#detached < this.#maxWorkers) return this.#spawn();
    if (best === undefined || !this.#isShortNext()) return undefined;
    if (topUp) return best;
    if (!this.#topUpScheduled) {
      this.#topUpScheduled = true;
      queueMicrotask(this.#topUpLater);
    }
    return undefined;
  }

  readonly #topUpLater = (): void => {
    this.#topUpScheduled = false;
    this.#dispatch();
  };

  #isShortNext(): boolean {
    const next = this.#queue.peek();
    return next !== undefined && next.entry.meanMs < SHORT_JOB_MS;
  }

  /** How many jobs like the next one a Worker may hold (1 if it is not short). */
  #depthForNext(): number {
    const next = this.#queue.peek();
    if (next === undefined || !(next.entry.meanMs < SHORT_JOB_MS)) return 1;
    const depth = Math.floor(PIPELINE_BUDGET_MS / next.entry.meanMs);
    return Math.min(PIPELINE_DEPTH, Math.max(2, depth));
  }

  /** Take `job` off the Worker's in-flight list. */
  #unlist(worker: PoolWorker, index: number): Job<unknown> {
    const job = index === 0 ? worker.jobs.shift()! : worker.jobs.splice(index, 1)[0];
    if (!job.sentShort) worker.long--;
    return job;
  }

  /** Post a batch; if it cannot be cloned, post job by job to find the culprits. */
  #send(worker: PoolWorker, batch: Job<unknown>[]): void {
    let defs: FunctionDef[] | null = null;
    let transfer: TransferableObject[] | undefined;
    const jobs: unknown[] = [];
    let checked: FunctionEntry | undefined;
    for (let i = 0; i < batch.length; i++) {
      const job = batch[i];
      const entry = job.entry;
      if (entry !== checked) {
        checked = entry;
        if (!worker.known.has(entry.id) && !defs?.some((d) => d[0] === entry.id)) {
          (defs ??= []).push(entry.def);
        }
      }
      const list = job.options?.transfer;
      // A loop, not a spread: the list's length is the caller's.
      if (list !== undefined) { for (const each of list) (transfer ??= []).push(each); }
      // A short job without options lets the Worker hold its result back
      // a little, to send it with the next ones (see bootstrap.ts).
      encodeJob(
        jobs,
        job.id,
        entry.id,
        job.sentShort && job.options === undefined ? 1 : 0,
        job.args,
      );
    }
    try {
      worker.handle.post([RUN, defs, jobs], transfer);
    } catch (error) {
      if (batch.length === 1) return this.#unsendable(worker, batch[0], error);
      for (const job of batch) this.#send(worker, [job]);
      return;
    }
    if (defs !== null) { for (const def of defs) worker.known.add(def[0]); }
  }

  /** The job's arguments (or transfer list) cannot be sent: reject it; the Worker is unharmed. */
  #unsendable(worker: PoolWorker, job: Job<unknown>, error: unknown): void {
    const index = worker.jobs.indexOf(job);
    if (index >= 0) this.#unlist(worker, index);
    job.reject(
      new TypeError(
        `Cannot send the arguments of ${job.entry.label} to a Worker: ${
          (error instanceof Error ? error.message : String(error)).replace(/\.$/, "")
        }. Arguments must be structured-cloneable (no functions, class instances lose their class)`,
        { cause: error },
      ),
    );
    if (worker.jobs.length === 0) {
      this.#idle(worker);
      // Jobs queued behind it found this Worker busy (and wait for no
      // message from it): dispatch them, once the current dispatch is over.
      if (this.#queue.size > 0 && !this.#topUpScheduled) {
        this.#topUpScheduled = true;
        queueMicrotask(this.#topUpLater);
      }
    }
  }

  #post(worker: PoolWorker, message: Parameters<WorkerHandle["post"]>[0]): void {
    try {
      worker.handle.post(message);
    } catch {
      // Only job arguments can fail to clone; control messages are numbers.
    }
  }

  // --- Worker lifecycle -----------------------------------------------------

  #spawn(): PoolWorker | undefined {
    const name = `${this.#name}-${this.#nextWorkerId++}`;
    let worker: PoolWorker;
    try {
      const handle = startWorker(
        { kind: this.#backend, name, resourceLimits: this.#resourceLimits },
        {
          message: (data) => this.#onMessage(worker, data),
          exit: (reason) => this.#onExit(worker, reason),
        },
      );
      worker = {
        handle,
        name,
        state: "starting",
        jobs: [],
        long: 0,
        known: new Set(),
        started: typeof SharedArrayBuffer === "function"
          ? new Int32Array(new SharedArrayBuffer(4 * (SHARED_CANCELS + 1 + CANCEL_RING)))
          : null,
        idleTimer: undefined,
        detached: undefined,
      };
    } catch (error) {
      // The runtime cannot start this kind of Worker at all: retrying is pointless.
      this.#break(error);
      return undefined;
    }
    this.#workers.add(worker);
    worker.handle.post([INIT, this.#initDef, this.#initArgs, worker.started]);
    if (this.#initDef !== null) worker.known.add(this.#initDef[0]);
    return worker;
  }

  #onMessage(worker: PoolWorker, data: FromWorker): void {
    switch (data[0]) {
      case DONE:
        this.#onDone(worker, data);
        this.#dispatch();
        if (worker.jobs.length === 0) this.#idle(worker);
        return;
      case READY:
        worker.state = "ready";
        this.#startupFailures = 0;
        return;
      case CLOSING:
        this.#onExit(worker, `the Worker ended itself (exit code ${data[1]})`);
        return;
      case INIT_FAILED:
        this.#onExit(worker, rebuildError(data[1]));
        return;
      case CRASHED:
        // `undefined` would read as "no crash" below: name what was thrown.
        this.#onExit(worker, rebuildError(data[1]) ?? "it threw undefined outside any job");
        return;
    }
  }

  /** Take the jobs of a DONE message off the Worker's list and settle them. */
  #onDone(worker: PoolWorker, data: DoneMessage): void {
    const jobs = worker.jobs;
    // Settled once the host relayed what the Worker printed (Node relays a
    // Worker's stdout through another port): the caller sees a result only
    // after everything its job printed was written.
    const outputBytes = data[1];
    let toSettle: (Job<unknown> | unknown)[] | undefined;
    for (let at = DONE_HEADER; at < data.length; at += DONE_STRIDE) {
      const tag = data[at];
      const id = data[at + 1];
      // Outcomes come in send order, so this is nearly always index 0.
      let index = 0;
      while (index < jobs.length && jobs[index].id !== id) index++;
      if (index === jobs.length) continue;
      const job = this.#unlist(worker, index);
      if (tag === DROPPED) continue;
      const entry = job.entry;
      const ms = data[at + 3] as number;
      entry.meanMs = entry.meanMs !== entry.meanMs ? ms : entry.meanMs * 0.75 + ms * 0.25;
      const outcome = tag === ERR ? jobError(data[at + 2] as WireError, entry) : data[at + 2];
      if (outputBytes > 0) (toSettle ??= []).push(job, tag, outcome);
      else settle(job, tag, outcome);
    }
    if (toSettle !== undefined) {
      const list = toSettle;
      worker.handle.afterOutput(outputBytes, () => {
        for (let i = 0; i < list.length; i += 3) {
          settle(list[i] as Job<unknown>, list[i + 1], list[i + 2]);
        }
      });
    }
  }

  #onExit(worker: PoolWorker, reason: unknown): void {
    if (worker.state === "gone") return;
    const crashed = worker.state === "ready";
    this.#lose(worker, reason);
    if (!crashed) this.#startupFailed(reason);
    this.#dispatch();
  }

  /**
   * Forget a Worker (and stop it): after a crash (`reason` given, Worker
   * ready), the job it was running fails with `WorkerCrashedError`; the jobs
   * behind it, which never started, go back to the front of the queue.
   * Without `reason` (retired, or terminated to cancel its first job) the
   * first job is already settled.
   */
  #lose(worker: PoolWorker, reason: unknown): void {
    const started = worker.state === "ready";
    worker.state = "gone";
    this.#workers.delete(worker);
    worker.idleTimer?.();
    this.#attach(worker);
    worker.handle.terminate();
    const jobs = worker.jobs.splice(0);
    worker.long = 0;
    if (started && reason !== undefined) {
      // Jobs before the last one the Worker started ran to their end, but
      // their outcomes were held back (bootstrap.ts) and died with it.
      const last = worker.started === null ? -1 : Atomics.load(worker.started, SHARED_STARTED);
      const lastIndex = jobs.findIndex((job) => job.id === last);
      for (const job of jobs.splice(0, Math.max(0, lastIndex))) {
        job.reject(
          new WorkerCrashedError(
            `The Worker that ran ${job.entry.label} died before it sent the result: ${
              describeExit(reason)
            }`,
            { cause: reason },
          ),
        );
      }
      // The running job is the first one not settled: jobs before it were
      // cancelled (finished or dropped). If one of those was still running,
      // this one never started; failing it anyway keeps "at most once".
      const index = jobs.findIndex((job) => !job.settled);
      if (index >= 0) {
        const [running] = jobs.splice(index, 1);
        running.reject(
          new WorkerCrashedError(
            `The Worker running ${running.entry.label} died: ${describeExit(reason)}`,
            { cause: reason },
          ),
        );
      }
    }
    const requeue = jobs.filter((job) => !job.settled);
    if (requeue.length > 0) this.#queue.pushFront(requeue);
    this.#checkDrained();
  }

  #startupFailed(reason: unknown): void {
    if (++this.#startupFailures >= MAX_STARTUP_FAILURES) this.#break(reason);
  }

  /** Stop starting Workers: fail every pending job with BrokenExecutorError. */
  #break(reason: unknown): void {
    if (this.#state === "broken") return;
    this.#state = "broken";
    this.#brokenBy = reason;
    const error = new BrokenExecutorError(
      `The pool cannot start Workers (${this.#startupFailures} start-up failures in a row): ${
        describeExit(reason)
      }`,
      { cause: reason },
    );
    for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
      job.reject(error);
    }
    for (const worker of this.#workers) {
      for (const job of worker.jobs) job.reject(error);
      this.#lose(worker, undefined);
    }
    this.#checkDrained();
  }

  /** The Worker now has a job: keep the process alive for it. */
  #busy(worker: PoolWorker): void {
    worker.idleTimer?.();
    worker.idleTimer = undefined;
    worker.handle.ref();
  }

  /** The Worker has no job: let the process exit, and retire it later (or now, after shutdown). */
  #idle(worker: PoolWorker): void {
    worker.handle.unref();
    if (worker.detached !== undefined) {
      this.#attach(worker);
      // Its replacement has its place.
      if (this.#workers.size - this.#detached > this.#maxWorkers) return this.#retire(worker);
    }
    if (this.#state !== "running" || this.#idleTimeout === 0) {
      // Unless the queue still needs it (shutdown without cancelFutures).
      if (this.#queue.size === 0 || this.#state === "broken") this.#retire(worker);
      return;
    }
    worker.idleTimer = later(this.#idleTimeout, () => this.#retire(worker));
  }

  /**
   * `job`, running on `worker`, was cancelled: until the Worker idles, leave
   * it out of `maxWorkers` (a new Worker may start at once) and give it no
   * new job; if `job` still runs after the grace period, terminate it.
   */
  #detach(worker: PoolWorker, job: Job<unknown>): void {
    if (worker.detached !== undefined) return;
    this.#detached++;
    worker.detached = later(this.#cancelGracePeriod, () => {
      if (worker.state !== "gone" && this.#runningJob(worker) === job) {
        this.#stop(worker, job);
        this.#dispatch();
      }
    });
    this.#dispatch();
  }

  /** Count the Worker toward `maxWorkers` again. */
  #attach(worker: PoolWorker): void {
    if (worker.detached === undefined) return;
    worker.detached();
    worker.detached = undefined;
    this.#detached--;
  }

  /**
   * The job `worker` is running or may start at any moment: the last one it
   * started (the shared cell says which) until it reports, then the first
   * one not reported (jobs run and report in order).
   */
  #runningJob(worker: PoolWorker): Job<unknown> | undefined {
    if (worker.started !== null) {
      const id = Atomics.load(worker.started, SHARED_STARTED);
      for (const job of worker.jobs) if (job.id === id) return job;
    }
    return worker.jobs[0];
  }

  /**
   * Terminate `worker`, stuck in the settled (cancelled) `job`. The jobs
   * before it ran, but their outcomes may still be held or on the way:
   * they fail rather than run twice. The jobs after it never started: they
   * go back to the queue.
   */
  #stop(worker: PoolWorker, job: Job<unknown>): void {
    for (const earlier of worker.jobs) {
      if (earlier === job) break;
      earlier.reject(
        new WorkerCrashedError(
          `The Worker that ran ${earlier.entry.label} was terminated before it sent the result, to stop ${job.entry.label}`,
        ),
      );
    }
    this.#lose(worker, undefined);
  }

  #retire(worker: PoolWorker): void {
    if (worker.state === "gone" || worker.jobs.length > 0) return;
    this.#lose(worker, undefined);
  }

  #workerOf(job: Job<unknown>): PoolWorker | undefined {
    for (const worker of this.#workers) {
      if (worker.jobs.includes(job)) return worker;
    }
    return undefined;
  }

  #checkDrained(): void {
    if (
      this.#resolveDrained !== undefined && this.#state !== "running" &&
      this.#workers.size === 0 && this.#queue.size === 0
    ) {
      this.#resolveDrained();
      this.#resolveDrained = undefined;
    }
  }
}

function settle(job: Job<unknown>, tag: unknown, outcome: unknown): void {
  if (tag === ERR) job.reject(outcome);
  else job.fulfil(outcome);
}

function describeExit(reason: unknown): string {
  if (typeof reason === "number") return `it exited with code ${reason}`;
  if (typeof reason === "string") return reason;
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  return String(reason);
}
