/**
 * `run` and `Runner`: the entry points that own a loop from start to close.
 *
 * @module
 */

import { CancelledError, KeyboardInterrupt, RuntimeError } from "./errors.ts";
import { setEventLoop } from "./events.ts";
import type { Future } from "./futures.ts";
import { gather } from "./gather.ts";
import { type Clock, VirtualClock } from "./clock.ts";
import { EventLoop } from "./loop.ts";
import { reprValue } from "./_repr.ts";
import { runningLoopOrNull } from "./_running_loop.ts";
import {
  foreignListenerCount,
  getSignalHandler,
  setSignalHandler,
  type SignalHandler,
} from "./signals.ts";
import { checkCoroutine, type Task } from "./tasks.ts";
import { formatTaskTree } from "./graph.ts";

/** What `run` and `Runner.run` accept as the main coroutine: an async function. */
export type MainCoroutine<T> = () => T | PromiseLike<T>;

/** Options for `run()` and `new Runner()`. */
export interface RunnerOptions {
  /**
   * Turn the loop's debug mode on or off.
   * @default unchanged (off for a new loop)
   */
  debug?: boolean;
  /**
   * Makes the loop, instead of `newEventLoop()`; the loop is then not made
   * current.
   * @default `new EventLoop()`, made current while it runs
   */
  loopFactory?: () => EventLoop;
  /**
   * The clock of the loop the runner makes (without `loopFactory`):
   * `"virtual"` for a `VirtualClock`, on which sleeps and timeouts take no
   * real time (for tests), or any `Clock`.
   * @default the real clock
   */
  clock?: Clock | "virtual";
  /**
   * Seconds `close()` waits for the default executor's jobs, then warns
   * and goes on (see `EventLoop.shutdownDefaultExecutor`); `null`: no limit.
   * @default {300}
   */
  executorShutdownTimeout?: number | null;
}

/** Options for `run()` and `Runner.run()` besides the runner's. */
export interface RunOptions {
  /**
   * Cancels the main task when aborted; if main lets that cancellation
   * out, the run rejects with `signal.reason` (an `AbortError` unless the
   * aborter chose another), as Node's and Deno's APIs do.
   * @default none
   */
  signal?: AbortSignal;
}

type RunnerState = "created" | "initialized" | "closed";

/**
 * A loop held across several `run()` calls, closed once at the end.
 * Python: `asyncio.Runner`.
 *
 * @example
 * ```ts
 * import { Runner, sleep } from "@asyncio-ts/asyncio";
 * await using runner = new Runner();
 * await runner.run(() => sleep(0.01));
 * console.log(await runner.run(async () => "again")); // again
 * ```
 */
export class Runner {
  // Invariant: #loop is set exactly in state "initialized".
  #state: RunnerState = "created";
  #loop: EventLoop | null = null;
  #madeLoopCurrent = false;
  #interruptCount = 0;
  #interruptNow = false;
  readonly #options: RunnerOptions;

  /** Make a runner; its loop is made on first use. */
  constructor(options: RunnerOptions = {}) {
    this.#options = options;
  }

  /**
   * Run `main` (an async function) as the main task on the
   * runner's loop until it is done; resolves with its result.
   *
   * Ctrl-C (Python 3.11+): unless other code listens for SIGINT, the first
   * SIGINT cancels the main task (in debug mode it first prints the tree
   * of the loop's tasks, `formatTaskTree`, to stderr), and if main lets the CancelledError out,
   * `run` raises `KeyboardInterrupt` instead (a main that handles it returns
   * normally). A second SIGINT stops the loop at the end of its current
   * iteration and raises `KeyboardInterrupt`. The listener is removed when
   * `run` returns; a SIGINT handler main installs with
   * `loop.addSignalHandler` replaces it.
   *
   * `options.signal` cancels the main task when aborted, and the run then
   * rejects with `signal.reason` (a signal already aborted: main never runs).
   *
   * @throws {KeyboardInterrupt} after Ctrl-C, as above.
   * @throws {unknown} `signal.reason` after an abort, as above.
   * @throws {RuntimeError} inside a running loop, or after `close()`.
   * @throws {TypeError} if `main` is not a function (a promise has already
   * started: pass `() => promise` only if it need not be cancelled).
   */
  async run<T>(main: MainCoroutine<T>, options: RunOptions = {}): Promise<T> {
    checkMain(main);
    if (runningLoopOrNull() !== null) {
      throw new RuntimeError("Runner.run() cannot be called from a running event loop");
    }
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Cannot run: expected an AbortSignal, received ${reprValue(signal)}`);
    }
    signal?.throwIfAborted();
    const loop = this.getLoop();
    const task = loop.createTask(main);
    let aborted = false;
    const onAbort = () => {
      aborted = true;
      task.cancel();
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    // Ctrl-C handling as Python 3.11+, only when no one else handles SIGINT.
    let onSigint: SignalHandler | null = null;
    if (getSignalHandler("SIGINT") === null && foreignListenerCount("SIGINT") === 0) {
      onSigint = () => this.#onSigint(task);
      try {
        setSignalHandler("SIGINT", onSigint);
      } catch {
        // A host without SIGINT (some Workers, Windows runtimes): run without it.
        onSigint = null;
      }
    }
    this.#interruptCount = 0;
    this.#interruptNow = false;
    try {
      const result = await loop.runUntilComplete(task);
      if (this.#interruptNow) throw new KeyboardInterrupt();
      return result;
    } catch (error) {
      if (this.#interruptNow) throw new KeyboardInterrupt();
      // The first Ctrl-C (or the abort) cancelled main; if main let that out, say so.
      if (error instanceof CancelledError && this.#interruptCount > 0 && task.uncancel() === 0) {
        throw new KeyboardInterrupt();
      }
      if (error instanceof CancelledError && aborted && task.uncancel() === 0) throw signal!.reason;
      throw error;
    } finally {
      signal?.removeEventListener("abort", onAbort);
      // Main may have installed its own SIGINT handler meanwhile: keep it.
      if (onSigint !== null && getSignalHandler("SIGINT") === onSigint) {
        setSignalHandler("SIGINT", null);
      }
    }
  }

  // The first SIGINT cancels the main task; a second one (or one after main
  // is done) stops the loop at once and run() raises KeyboardInterrupt.
  // JavaScript cannot raise inside running code from a signal, so "at once"
  // means at the end of the current loop iteration.
  #onSigint(task: Task<unknown>): void {
    this.#interruptCount++;
    const loop = this.#loop;
    if (this.#interruptCount === 1 && loop !== null && loop.getDebug() && !loop.isClosed()) {
      // Debug mode: show where everything waits before cancelling it all.
      console.error(`KeyboardInterrupt: the tasks of ${loop}:\n${formatTaskTree(loop)}`);
    }
    if (this.#interruptCount === 1 && !task.done()) {
      task.cancel();
      return;
    }
    this.#interruptNow = true;
    this.#loop?.stop();
  }

  /**
   * The runner's loop, made on first use.
   *
   * @throws {RuntimeError} `Runner is closed`.
   */
  getLoop(): EventLoop {
    if (this.#state === "closed") throw new RuntimeError("Runner is closed");
    if (this.#loop === null) {
      const { loopFactory: factory, clock } = this.#options;
      this.#loop = factory !== undefined
        ? factory()
        : new EventLoop({ clock: clock === "virtual" ? new VirtualClock() : clock });
      if (factory === undefined) {
        setEventLoop(this.#loop);
        this.#madeLoopCurrent = true;
      }
      if (this.#options.debug !== undefined) this.#loop.setDebug(this.#options.debug);
      this.#state = "initialized";
    }
    return this.#loop;
  }

  /**
   * Cancel the tasks still pending and wait for them, wait for the default
   * executor's jobs and shut it down, then close the loop. Errors of those
   * tasks go to the loop's exception handler. Calling it again does nothing.
   */
  async close(): Promise<void> {
    const loop = this.#loop;
    if (this.#state !== "initialized" || loop === null) return;
    try {
      await cancelAllTasks(loop);
      const { executorShutdownTimeout: timeout = 300 } = this.#options;
      await loop.runUntilComplete(() => loop.shutdownDefaultExecutor(timeout));
    } finally {
      if (this.#madeLoopCurrent) setEventLoop(null);
      loop.close();
      this.#loop = null;
      this.#state = "closed";
    }
  }

  /** `await using runner = new Runner()` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/**
 * Run `main` on a new event loop and return its result: the program's entry
 * point. When `main` is done, the tasks still pending are cancelled and
 * awaited (their errors reported through the exception handler), then the
 * loop is closed. Python: `asyncio.run`.
 *
 * Ctrl-C cancels the main task and then raises `KeyboardInterrupt`, as in
 * `Runner.run`; catch it at the top level to exit quietly. `options.signal`
 * cancels it too, and the run then rejects with `signal.reason`.
 *
 * For tests, `run(main, { clock: "virtual" })` runs main on a virtual
 * clock: a day of sleeps and timeouts takes milliseconds.
 *
 * @param main An async function (called on the loop): `run(main)` or
 * `run(() => main(arg))`, not `run(main())`, whose promise would already run
 * outside the loop.
 * @throws {KeyboardInterrupt} after Ctrl-C, unless main handled the cancellation.
 * @throws {RuntimeError} `run() cannot be called from a running event loop`.
 *
 * @example The book's quickstart
 * ```ts
 * import { run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   console.log("Hello!");
 *   await sleep(1);
 *   console.log("Goodbye!");
 * });
 * ```
 *
 * @example Virtual time, for tests: an hour's deadline in no real time
 * ```ts
 * import assert from "node:assert/strict";
 * import { getRunningLoop, run, sleep, timeout, TimeoutError } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   await assert.rejects(timeout(3600, () => sleep(86_400)), TimeoutError);
 *   assert.equal(getRunningLoop().time(), 3600);
 * }, { clock: "virtual" });
 * ```
 *
 * @example Stop a run with an AbortSignal
 * ```ts
 * import { run, sleep } from "@asyncio-ts/asyncio";
 * const controller = new AbortController();
 * setTimeout(() => controller.abort(), 10);
 * try {
 *   await run(() => sleep(3600), { signal: controller.signal });
 * } catch (e) {
 *   console.log((e as DOMException).name); // AbortError
 * }
 * ```
 */
export async function run<T>(
  main: MainCoroutine<T>,
  options: RunnerOptions & RunOptions = {},
): Promise<T> {
  if (runningLoopOrNull() !== null) {
    throw new RuntimeError("run() cannot be called from a running event loop");
  }
  checkMain(main);
  const runner = new Runner(options);
  try {
    return await runner.run(main, options);
  } finally {
    await runner.close();
  }
}

function checkMain(main: unknown): void {
  checkCoroutine(main, "run");
}

async function cancelAllTasks(loop: EventLoop): Promise<void> {
  const pending = loop._liveTasks();
  if (pending.length === 0) return;
  for (const task of pending) task.cancel();
  // The collection form: a spread of this many tasks could overflow the stack.
  await loop.runUntilComplete(gather(pending, { returnExceptions: true }) as Future<unknown>);
  for (const task of pending) {
    if (task.cancelled()) continue;
    const error = task.exception();
    if (error !== null) {
      loop.callExceptionHandler({
        message: "unhandled exception during run() shutdown",
        exception: error,
        task,
      });
    }
  }
}
