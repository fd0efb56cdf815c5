/**
 * One submitted job: the pool's record of it and the caller's handle on it.
 *
 * @module
 */

import type { FunctionEntry } from "./functions.ts";
import type { Queueable } from "./queue.ts";
import type { ExecutorJob, JobOptions } from "./types.ts";

/**
 * Where a job is: waiting for a Worker, sent to one, or settled.
 *
 * @example
 * ```ts
 * import type { JobState } from "./job.ts";
 * const done = (state: JobState) => state === "fulfilled" || state === "rejected";
 * ```
 */
export type JobState = "queued" | "sent" | "fulfilled" | "rejected";

/**
 * Told when a job settles, without a promise: the event loop's Future of a
 * job listens this way, which saves a promise, two closures and a microtask
 * per job (a burst of submits keeps all its jobs alive until their results come).
 */
export interface JobListener {
  /** @internal The job settled: fulfilled with `value`, or rejected with it. */
  _jobSettled(fulfilled: boolean, value: unknown): void;
}

/** The pool, as a job sees it: the one thing it can ask for. */
export interface JobOwner {
  /** Cancel `job` with `reason` (queued: removed; sent: aborted or terminated). */
  _cancelJob(job: Job<unknown>, reason: unknown): boolean;
}

/**
 * A job. The pool moves it through its states; the caller awaits it or
 * cancels it.
 *
 * Its promise is made only when someone calls `then` (most jobs are awaited
 * once, and a job nobody awaits then cannot cause an unhandled rejection).
 *
 * @example
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const job = pool.submit(() => 1);
 * console.log(String(job).startsWith("ExecutorJob#")); // true
 * console.log(await job); // 1
 * ```
 */
export class Job<T> implements ExecutorJob<T>, Queueable {
  // Invariants: `#state` only moves forward (queued → sent → settled, or
  // queued → settled); a settled job's `#value` never changes; while
  // `sent`, the job is in exactly one worker's in-flight list (the pool
  // keeps that list; a cancelled job stays in it until the Worker reports).
  #state: JobState = "queued";
  #value: unknown = undefined;
  #promise: Promise<T> | undefined;
  #resolve: ((value: T) => void) | undefined;
  #reject: ((reason: unknown) => void) | undefined;
  #cleanup: (() => void) | undefined;
  #listener: JobListener | undefined;

  /** Set by the queue while the job waits in it. */
  queued = false;
  /** Set by the pool when sent: whether it was sent as a short (pipelinable) job. */
  sentShort = false;

  constructor(
    /** Unique in the pool; the Worker reports by it. */
    readonly id: number,
    /** The function. */
    readonly entry: FunctionEntry,
    /** The arguments, as given. */
    readonly args: readonly unknown[],
    /** Per-job options. */
    readonly options: JobOptions | undefined,
    readonly owner: JobOwner,
  ) {}

  /** Where the job is. */
  get state(): JobState {
    return this.#state;
  }

  /** True once the job is fulfilled or rejected. */
  get settled(): boolean {
    return this.#state === "fulfilled" || this.#state === "rejected";
  }

  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    // deno-lint-ignore no-explicit-any
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#getPromise().then(onFulfilled, onRejected);
  }

  /** Like `Promise.prototype.catch`. */
  catch<R = never>(onRejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#getPromise().catch(onRejected);
  }

  /** Like `Promise.prototype.finally`. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this.#getPromise().finally(onFinally);
  }

  cancel(): boolean {
    return this.owner._cancelJob(this as Job<unknown>, undefined);
  }

  /**
   * Tell `listener` when the job settles (at once if it has). One listener
   * per job; it is called synchronously, by whatever settles the job.
   */
  listen(listener: JobListener): void {
    if (this.settled) listener._jobSettled(this.#state === "fulfilled", this.#value);
    else this.#listener = listener;
  }

  /** Pool only: the job was handed to a Worker, pipelined if `short`. */
  markSent(short: boolean): void {
    this.#state = "sent";
    this.sentShort = short;
  }

  /** Pool only: run `cleanup` (clear a timer, drop a listener) when the job settles. */
  onSettle(cleanup: () => void): void {
    const previous = this.#cleanup;
    this.#cleanup = previous === undefined ? cleanup : () => {
      previous();
      cleanup();
    };
  }

  /** Pool only: fulfil the job. No-op if settled. */
  fulfil(value: T): void {
    if (this.settled) return;
    this.#state = "fulfilled";
    this.#value = value;
    this.#settle();
    this.#resolve?.(value);
  }

  /** Pool only: reject the job. No-op if settled. */
  reject(reason: unknown): void {
    if (this.settled) return;
    this.#state = "rejected";
    this.#value = reason;
    this.#settle();
    this.#reject?.(reason);
  }

  toString(): string {
    return `ExecutorJob#${this.id} ${this.entry.label} ${this.#state}`;
  }

  #settle(): void {
    const cleanup = this.#cleanup;
    this.#cleanup = undefined;
    cleanup?.();
    const listener = this.#listener;
    this.#listener = undefined;
    if (listener !== undefined) listener._jobSettled(this.#state === "fulfilled", this.#value);
  }

  #getPromise(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    switch (this.#state) {
      case "fulfilled":
        return this.#promise = Promise.resolve(this.#value as T);
      case "rejected":
        return this.#promise = Promise.reject(this.#value);
      default:
        return this.#promise = new Promise<T>((resolve, reject) => {
          this.#resolve = resolve;
          this.#reject = reject;
        });
    }
  }
}
