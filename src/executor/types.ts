/**
 * The executor contract: what the event loop needs from a pool of Workers.
 *
 * The core (`loop.runInExecutor`) depends only on these interfaces, never on
 * the pool itself, so another executor (a test double, a pool of processes)
 * can stand in for `WorkerPoolExecutor`.
 *
 * @module
 */

/**
 * Any function: the bound of the function type a job runs.
 *
 * @example
 * ```ts
 * import type { AnyFunction } from "./types.ts";
 * const f: AnyFunction = (a: number, b: string) => b.repeat(a);
 * ```
 */
// deno-lint-ignore no-explicit-any
export type AnyFunction = (...args: any[]) => unknown;

/**
 * Something that runs functions elsewhere (on Workers) and reports back.
 * Python: `concurrent.futures.Executor`.
 *
 * @example Running a function on an executor
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * import type { Executor } from "./types.ts";
 * const executor: Executor = new WorkerPoolExecutor({ maxWorkers: 1 });
 * console.log(await executor.submit((a: number, b: number) => a + b, 1, 2)); // 3
 * await executor.shutdown();
 * ```
 */
export interface Executor {
  /**
   * Start `fn(...args)` on the executor; returns at once.
   *
   * `fn` is either a self-contained function (shipped as source) or a
   * {@linkcode ModuleFunction}; either may carry per-job options
   * (see `withOptions`).
   */
  submit<F extends AnyFunction>(
    fn: F | ModuleFunction<F>,
    ...args: Parameters<F>
  ): ExecutorJob<Awaited<ReturnType<F>>>;

  /**
   * Stop the executor. `wait` (default `true`): resolve only after the running
   * and queued jobs finished and every Worker is gone. `cancelFutures`
   * (default `false`): cancel the queued jobs instead of running them.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
}

/**
 * Options of {@linkcode Executor.shutdown}.
 *
 * @example Stop now: drop the queued jobs, wait for the running ones
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * await pool.shutdown({ wait: true, cancelFutures: true });
 * ```
 */
export interface ShutdownOptions {
  /**
   * Resolve only once every job has settled and every Worker has stopped.
   * @default {true}
   */
  wait?: boolean;
  /**
   * Cancel the jobs still queued (they reject with `CancelledError`).
   * @default {false}
   */
  cancelFutures?: boolean;
}

/**
 * One submitted job: a thenable for its result, plus `cancel()`.
 *
 * It never causes an unhandled rejection in the host: a job nobody awaits
 * keeps its error to itself.
 *
 * @example Awaiting and cancelling jobs
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const job = pool.submit((n: number) => n * 2, 21);
 * console.log(await job); // 42
 * console.log(job.cancel()); // false: already settled
 * ```
 */
export interface ExecutorJob<T> extends PromiseLike<T> {
  /**
   * Cancel the job: a queued one is removed; a running one has its in-worker
   * AbortSignal (`jobSignal()`) aborted and, if the job was submitted with the
   * `terminate` option, its Worker is terminated and replaced. Returns `false`
   * if the job had already settled. After `cancel()` the job rejects with
   * `CancelledError` at once. A running function that ignores its signal
   * keeps its Worker, but no later job waits for it: a new Worker takes its
   * place at once, and the old one is terminated if the function still runs
   * after the pool's `cancelGracePeriod` (`shutdown({ wait: true })` waits
   * that long at most).
   */
  cancel(): boolean;
}

/**
 * The key of `ModuleFunction`'s type-only slot (which carries the function's
 * type and is never set at run time).
 */
export const functionType: unique symbol = Symbol("asyncio-ts.functionType");

/**
 * An exported function of a module, named by the module's URL and the export
 * name, and typed from the module itself. Made by `moduleFunction()`.
 *
 * Unlike a function shipped as source, a module function may use its module's
 * imports and top-level variables.
 *
 * @example
 * ```ts ignore
 * import { moduleFunction } from "./functions.ts";
 * import type { ModuleFunction } from "./types.ts";
 * const fib: ModuleFunction<(n: number) => number> = moduleFunction<
 *   typeof import("./fib.ts"),
 *   "fib"
 * >(new URL("./fib.ts", import.meta.url), "fib");
 * ```
 */
export interface ModuleFunction<F extends AnyFunction = AnyFunction> {
  /** The module's absolute URL. */
  readonly url: string;
  /** The export's name. */
  readonly exportName: string;
  /** Per-job options attached by `withOptions()`. */
  readonly options?: JobOptions;
  /** Type only: the function's type (never set at run time). */
  readonly [functionType]?: F;
}

/**
 * Per-job options, attached to the function with `withOptions(fn, options)`
 * so that `submit(fn, ...args)` stays positional.
 *
 * @example A job that may spin: give it 5 s, then terminate its Worker
 * ```ts
 * import { withOptions } from "./functions.ts";
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const solve = (n: number) => n * 2;
 * console.log(await pool.submit(withOptions(solve, { timeout: 5, terminate: true }), 21)); // 42
 * ```
 */
export interface JobOptions {
  /**
   * Objects to transfer (not copy) to the Worker with the arguments, such as
   * `ArrayBuffer`s found in `args`; they are detached in the caller.
   * @default {[]}
   */
  transfer?: readonly TransferableObject[];
  /**
   * Seconds from `submit()` until the job rejects with `TimeoutError` and is
   * cancelled (as by `cancel()`, so `terminate` applies). No limit when
   * `undefined`.
   * @default {undefined}
   */
  timeout?: number;
  /**
   * On cancel or timeout of a running job, terminate its Worker (and start a
   * new one when needed) instead of only aborting the job's signal. For jobs
   * that do not watch `jobSignal()`, such as a tight loop.
   * @default {false}
   */
  terminate?: boolean;
  /**
   * Cancels the job when aborted.
   * @default {undefined}
   */
  signal?: AbortSignal;
}

/**
 * An object that can be transferred to or from a Worker: an `ArrayBuffer`, a
 * `MessagePort`, or another transferable of the runtime. Spelled as `object`
 * because the DOM's `Transferable` type is missing from Node's type library,
 * and the shipped declarations must compile without it.
 */
export type TransferableObject = object;
