/**
 * `EventLoop`: asyncio's scheduler, running on top of the host's event loop.
 *
 * Design note. The loop owns a FIFO queue of ready callbacks and a heap of
 * timers, and runs only between `runForever()`/`runUntilComplete()` and the
 * matching stop: when it is not running, nothing scheduled on it advances.
 *
 * Tasks are plain async functions, so the loop cannot step a coroutine the way
 * asyncio's `Task.__step` does. Instead, when a callback resumes a task (a
 * Future the task awaits completed), the pump waits until that task's step is
 * over before it runs the next callback: the step ends when the task awaits
 * another pending library Future (`Future.then` reports it), or when its body
 * settles. That keeps asyncio's ordering exactly: one task step, then the next
 * callback. A step that awaits a foreign promise (fetch, a timer of the host)
 * never reports; the host then runs out of microtasks and the *stall sentinel*
 * (one `setImmediate` per host turn) lets the pump go on without it. Such a
 * task continues when its promise settles, and is back in step at its next
 * library await.
 *
 * Rejected: one host macrotask per callback (too slow: a `setTimeout(0)`
 * chain costs about 2 ms per hop on Deno), and running a whole batch before
 * the microtasks (breaks asyncio's ordering as soon as a resumed task goes
 * through a nested `await`).
 *
 * @module
 */

import { setImmediate } from "node:timers";
import { RuntimeError } from "./errors.ts";
import { type Clock, MonotonicClock } from "./clock.ts";
import { Future, type Stepper } from "./futures.ts";
import { describeCallback, Handle, TimerHandle } from "./handles.ts";
import { reprValue } from "./_repr.ts";
import { checkCallable, checkSeconds } from "./_checks.ts";
import { runningLoopOrNull, setRunningLoop } from "./_running_loop.ts";
import { captureCallbackContext, runOutsideTasks } from "./_current_task.ts";
import {
  type CoroutineArgs,
  createTaskFromSpec,
  Task,
  type TaskFactory,
  wrapThenable,
} from "./tasks.ts";
import {
  creationSite,
  debugFromEnvironment,
  formatCreationSite,
  isAsyncFunction,
  recordCreationSite,
} from "./_debug.ts";
import { TimerHeap } from "./_timer_heap.ts";
import {
  addLoopSignalHandler,
  pauseSignalListeners,
  removeAllLoopSignalHandlers,
  removeLoopSignalHandler,
  resumeSignalListeners,
  type SignalName,
} from "./signals.ts";
import type { AnyFunction, Executor, ModuleFunction } from "./executor/types.ts";
import { WorkerPoolExecutor } from "./executor/pool.ts";
import { ExecutorFuture } from "./executor/future.ts";

/** Options for `newEventLoop()` and `new EventLoop()`. */
export interface EventLoopOptions {
  /**
   * The clock behind `time()`, timers and sleeps. Pass a `VirtualClock` to
   * run sleeps and timeouts instantly in tests.
   * @default a `MonotonicClock` (the real time)
   */
  clock?: Clock;
  /**
   * Debug mode (see `EventLoop.setDebug`).
   * @default true if the environment variable `ASYNCIO_TS_DEBUG` is set
   * (and, on Deno, readable without a prompt), else false
   */
  debug?: boolean;
  /**
   * Where debug mode's warnings go (slow callbacks, an ignored cancel).
   * @default `console.warn`
   */
  logger?: LoopLogger;
}

/** Receives the loop's debug-mode warnings, one line (or block) each. */
export type LoopLogger = (message: string) => void;

/**
 * What the exception handler receives. `message` says what happened; the
 * other keys, when present, hold the objects involved.
 */
export interface ExceptionContext {
  /** A one-line description. */
  message?: string;
  /** The error, if there is one. */
  exception?: unknown;
  /** The future or task whose error was never retrieved. */
  future?: unknown;
  /** The task involved. */
  task?: unknown;
  /** The callback handle that threw. */
  handle?: unknown;
  /** Any other value the reporter adds. */
  [key: string]: unknown;
}

/** An exception handler: see `EventLoop.setExceptionHandler`. */
export type ExceptionHandler = (loop: EventLoop, context: ExceptionContext) => void;

/** @internal A future whose exception no one has looked at yet. */
export interface UnretrievedRecord {
  readonly future: WeakRef<Future<unknown>>;
  readonly exception: unknown;
  /** The future's description when it failed, for a report after it was collected. */
  readonly description: string;
  readonly kind: string;
  /** Where the future was created, if debug mode recorded it. */
  readonly sourceTraceback: readonly string[] | undefined;
}

/**
 * An event loop: runs callbacks, timers and tasks. Python:
 * `asyncio.AbstractEventLoop` (the `BaseEventLoop` behaviour).
 *
 * Get one with `getEventLoop()` or `newEventLoop()`; `run()` makes and
 * closes its own. A stopped loop can run again; a closed one never.
 *
 * @example The book's "what run() does" listing
 * ```ts
 * import { allTasks, gather, getEventLoop, sleep } from "@asyncio-ts/asyncio";
 * const loop = getEventLoop();
 * const task = loop.createTask(async () => {
 *   console.log("Hello!");
 *   await sleep(1);
 *   console.log("Goodbye!");
 * });
 * await loop.runUntilComplete(task);
 * const pending = allTasks(loop);
 * for (const t of pending) t.cancel();
 * await loop.runUntilComplete(gather(...pending, { returnExceptions: true }));
 * loop.close();
 * ```
 */
export class EventLoop {
  // Invariants: #ready holds the callbacks of the next batch; a batch is the
  // callbacks that were ready when it began, and callbacks scheduled while it
  // runs wait for the next one. #stepping is the task whose step the pump is
  // waiting for (null when it waits for none). #idle is true exactly while
  // the pump waits for work (a timer or a callback).
  readonly #clock: Clock;
  // Flat (callback, argument) pairs: internal scheduling (task steps, future
  // callbacks) allocates no Handle; public handles go in as (runHandle, handle).
  #ready: unknown[] = [];
  #spareBatch: unknown[] = [];
  readonly #timers = new TimerHeap();
  #timerSequence = 0;
  #running = false;
  #stopping = false;
  #closed = false;
  #debug: boolean;
  #slowCallbackDuration = 0.1;
  #logger: LoopLogger;
  // Debug mode only: the step the pump waits for and when it began, to
  // time it when it ends (see #runBatchDebug).
  #timedStep: Stepper | null = null;
  #timedStepStart = 0;
  // Debug mode only: tasks already reported for ignoring a cancel.
  #ignoredCancels: WeakSet<Task<unknown>> | null = null;
  #exceptionHandler: ExceptionHandler | null = null;
  #taskFactory: TaskFactory | null = null;

  // The tasks of this loop that are not done (for `allTasks`), in creation
  // order, each at its _liveIndex: a finished one leaves a hole (null), and
  // the array is compacted once holes outnumber tasks. O(1) per task,
  // amortized, and one field in the task, where a Set would hash on add
  // and delete and a linked list would take two fields. Only _linkTask,
  // _unlinkTask and #compactTasks write them.
  #tasks: (Task<unknown> | null)[] = [];
  #taskHoles = 0;
  // The task (or library coroutine) whose step the pump waits for: set by
  // _beginStep, cleared when that step ends (see "the pump" below).
  #stepping: Stepper | null = null;
  #batch: unknown[] | null = null;
  // The task whose step _endStepSoon ends in a microtask.
  #stepToEnd: Stepper | null = null;
  #batchIndex = 0;
  #inBatch = false;
  #finishRun: (error: unknown) => void = noFinish;
  #sentinel: ReturnType<typeof setImmediate> | null = null;
  #idle = false;
  #cancelClockWake: (() => void) | null = null;
  #idleDeadline = Infinity;
  #defaultExecutor: Executor | null = null;
  #executorShutdownCalled = false;
  // What can wake the idle loop besides its timers: host operations it
  // waits for (_holdHost), and steps parked on foreign promises.
  #hostWork = 0;
  readonly #foreignParked = new Set<Stepper>();
  #signalsPaused = false;

  readonly #unretrieved = new Set<UnretrievedRecord>();
  readonly #collected = new FinalizationRegistry<UnretrievedRecord>((record) => {
    if (this.#unretrieved.delete(record)) this.#reportUnretrieved(record, record.description);
  });

  /** Make a loop; it runs only from `runForever()` or `runUntilComplete()`. */
  constructor(options: EventLoopOptions = {}) {
    this.#clock = options.clock ?? new MonotonicClock();
    this.#debug = options.debug ?? debugFromEnvironment();
    this.#logger = options.logger ?? defaultLogger;
  }

  // -- running and stopping ------------------------------------------------

  /**
   * Run until `stop()` is called. Resolves once the loop has stopped.
   *
   * @throws {RuntimeError} if the loop is closed or already running, or
   * another loop is running.
   */
  async runForever(): Promise<void> {
    this.#checkClosed();
    this.#checkNotRunning();
    this.#running = true;
    setRunningLoop(this);
    try {
      await new Promise<void>((resolve, reject) => {
        this.#finishRun = (error) => (error === null ? resolve() : reject(error));
        runOutsideTasks(this.#iterate);
      });
    } finally {
      this.#finishRun = noFinish;
      this.#stopping = false;
      this.#running = false;
      this.#stepping = null;
      this.#timedStep = null;
      setRunningLoop(null);
    }
  }

  /**
   * Run until `awaitable` is done, then stop; resolves with its result or
   * rejects with its exception. A function is started as a Task on this
   * loop, a promise is wrapped in a Future. Python: `run_until_complete`.
   *
   * @throws {RuntimeError} as `runForever`, and `Event loop stopped before
   * Future completed.` if `stop()` came first.
   */
  async runUntilComplete<T>(
    awaitable: Future<T> | PromiseLike<T> | (() => T | PromiseLike<T>),
  ): Promise<T> {
    this.#checkClosed();
    this.#checkNotRunning();
    const future = this.#toFuture(awaitable);
    const stopWhenDone = (done: Future<T>) => {
      if (!done.cancelled()) done.exception();
      this.stop();
    };
    future._addDoneCallback(stopWhenDone);
    try {
      await this.runForever();
    } finally {
      future.removeDoneCallback(stopWhenDone);
    }
    if (!future.done()) throw new RuntimeError("Event loop stopped before Future completed.");
    return future.result();
  }

  /**
   * Stop after the callbacks of the current iteration. Before `runForever()`,
   * it makes the next run do exactly one iteration.
   */
  stop(): void {
    this.#stopping = true;
    this.#wakePump();
  }

  /**
   * Close the loop: drop pending callbacks and timers, report errors no one
   * retrieved, and shut the default executor down without waiting. Calling
   * it again does nothing.
   *
   * @throws {RuntimeError} `Cannot close a running event loop`.
   */
  close(): void {
    if (this.#running) throw new RuntimeError("Cannot close a running event loop");
    if (this.#closed) return;
    this.#closed = true;
    removeAllLoopSignalHandlers(this);
    this.#ready = [];
    this.#timers.clear();
    for (const task of this._liveTasks()) {
      if (!task.done()) {
        const context: ExceptionContext = {
          message: "Task was destroyed but it is pending!",
          task,
        };
        const site = creationSite(task);
        if (site !== undefined) context.sourceTraceback = site;
        this.callExceptionHandler(context);
      }
    }
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    // Without waiting, as asyncio does; a failure to stop has no one to tell.
    executor?.shutdown({ wait: false }).catch(() => {});
    const unretrieved = [...this.#unretrieved];
    this.#unretrieved.clear();
    for (const record of unretrieved) {
      const future = record.future.deref();
      if (future !== undefined) this.#collected.unregister(record);
      this.#reportUnretrieved(record, future ?? record.description);
    }
  }

  /** Whether the loop is running. */
  isRunning(): boolean {
    return this.#running;
  }

  /** Whether `close()` was called. */
  isClosed(): boolean {
    return this.#closed;
  }

  /** The loop's clock, in seconds. Python: `loop.time()`. */
  time(): number {
    return this.#clock.now();
  }

  /** Whether debug mode is on. Python: `loop.get_debug()`. */
  getDebug(): boolean {
    return this.#debug;
  }

  /**
   * Turn debug mode on or off. Python: `loop.set_debug()`. In debug mode:
   *
   * - a callback or a task step that runs longer than
   *   `slowCallbackDuration` is logged (`Executing <Task ...> took 0.302
   *   seconds`); a step runs from the callback that resumed the task until
   *   the task awaits again or ends;
   * - futures, tasks and handles made from then on record where they were
   *   created, and the reports about them show it ("Task exception was
   *   never retrieved", "Task was destroyed but it is pending!", an error in
   *   a callback);
   * - `callSoon`, `callLater` and `callAt` refuse an async function;
   * - a task cancelled while it awaits a promise that is not the library's
   *   (which the cancel cannot interrupt) and still not stopped after
   *   `slowCallbackDuration` is logged once.
   *
   * Also turned on by `run(main, { debug: true })` and, for every new loop,
   * by the environment variable `ASYNCIO_TS_DEBUG=1`.
   *
   * @example A step that blocks the loop is logged
   * ```ts
   * import { getRunningLoop, run } from "@asyncio-ts/asyncio";
   * await run(async function main() {
   *   const loop = getRunningLoop();
   *   loop.setLogger((line) => console.log(line));
   *   loop.slowCallbackDuration = 0.01;
   *   const end = Date.now() + 20;
   *   while (Date.now() < end); // blocks the loop for 20 ms
   * }, { debug: true }); // Executing <Task finished name='Task-1' coro=<main()>> took 0.020 seconds
   * ```
   */
  setDebug(enabled: boolean): void {
    this.#debug = Boolean(enabled);
  }

  /**
   * In debug mode, callbacks and task steps that run longer than this many
   * seconds are logged. Python: `loop.slow_callback_duration`.
   * @default 0.1
   */
  get slowCallbackDuration(): number {
    return this.#slowCallbackDuration;
  }

  set slowCallbackDuration(seconds: number) {
    checkSeconds(seconds, "slowCallbackDuration");
    if (seconds < 0) {
      throw new RangeError(
        `Cannot set slowCallbackDuration: expected a number of seconds >= 0, received ${seconds}`,
      );
    }
    this.#slowCallbackDuration = seconds;
  }

  /**
   * Send debug mode's warnings to `logger` (`null`: back to `console.warn`).
   * Python's asyncio logs them on its `asyncio` logger.
   */
  setLogger(logger: LoopLogger | null): void {
    if (logger !== null) checkCallable(logger, "setLogger");
    this.#logger = logger ?? defaultLogger;
  }

  /**
   * @internal Debug mode: `task` was cancelled while no library wait could
   * take the cancel. If it is still parked on a foreign promise after
   * `slowCallbackDuration`, say so, once per task.
   */
  _watchIgnoredCancel(task: Task<unknown>): void {
    if (this.#closed || this.#ignoredCancels?.has(task)) return;
    this._callLater(this.#slowCallbackDuration, this.#checkIgnoredCancel, task);
  }

  readonly #checkIgnoredCancel = (task: Task<unknown>): void => {
    if (task.done() || !task._mustCancel || !this.#foreignParked.has(task)) return;
    this.#ignoredCancels ??= new WeakSet();
    if (this.#ignoredCancels.has(task)) return;
    this.#ignoredCancels.add(task);
    this._log(
      `${task} was cancelled ${this.#slowCallbackDuration.toFixed(3)} seconds ago and still ` +
        "awaits a promise that is not the library's, which a cancel cannot interrupt: it gets " +
        "the CancelledError at its next library await. Hand task.signal to the API it awaits " +
        "(fetch(url, { signal: task.signal })), or await ensureFuture(promise) so that the " +
        "cancel ends the wait.",
    );
  };

  /** @internal Log one debug-mode warning; a logger that throws is ignored. */
  _log(message: string): void {
    try {
      this.#logger(message);
    } catch {
      // A warning must never break the loop.
    }
  }

  // -- scheduling callbacks ------------------------------------------------

  /**
   * Run `callback(...args)` at the next iteration, after the callbacks already
   * scheduled (FIFO). It runs in the context of the code calling
   * `callSoon` (its `AsyncLocalStorage` values), as in Python, as do the
   * callbacks of `callLater` and `callAt`.
   *
   * @throws {RuntimeError} `Event loop is closed`.
   */
  callSoon<A extends unknown[]>(callback: (...args: A) => unknown, ...args: A): Handle {
    this.#checkClosed();
    checkCallable(callback, "callSoon");
    if (this.#debug) checkNotAsync(callback, "callSoon");
    const handle = new Handle(callback, args, this, captureCallbackContext());
    if (this.#debug) recordCreationSite(handle);
    this.#ready.push(runHandle, handle);
    if (this.#idle) this.#wakePump();
    return handle;
  }

  /**
   * Run `callback(...args)` after `delay` seconds (a delay of 0 or less runs
   * it at the next iteration).
   *
   * @throws {TypeError} if `delay` is not a number.
   * @throws {RangeError} if `delay` is NaN.
   */
  callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkSeconds(delay, "delay");
    if (this.#debug) checkNotAsync(callback, "callLater");
    return this.callAt(this.time() + delay, callback, ...args);
  }

  /** Run `callback(...args)` when `loop.time()` reaches `when`. */
  callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    checkSeconds(when, "when");
    this.#checkClosed();
    checkCallable(callback, "callAt");
    if (this.#debug) checkNotAsync(callback, "callAt");
    return this.#addTimer(when, callback, args, captureCallbackContext());
  }

  /**
   * @internal `callLater` for the library's own callbacks, which need no
   * context: nothing is captured.
   */
  _callLater<A extends unknown[]>(
    delay: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    return this._callAt(this.time() + delay, callback, ...args);
  }

  /** @internal `callAt` for the library's own callbacks (no context captured). */
  _callAt<A extends unknown[]>(
    when: number,
    callback: (...args: A) => unknown,
    ...args: A
  ): TimerHandle {
    this.#checkClosed();
    return this.#addTimer(when, callback as (...args: never[]) => unknown, args, null);
  }

  /** @internal `callSoon` for the library's own callbacks (no context captured). */
  _callSoon(callback: () => unknown): Handle {
    this.#checkClosed();
    const handle = new Handle(callback, [], this);
    this.#ready.push(runHandle, handle);
    if (this.#idle) this.#wakePump();
    return handle;
  }

  #addTimer(
    when: number,
    callback: (...args: never[]) => unknown,
    args: readonly unknown[],
    context: ReturnType<typeof captureCallbackContext> | null,
  ): TimerHandle {
    const timer = new TimerHandle(when, this.#timerSequence++, callback, args, this, context);
    if (this.#debug) recordCreationSite(timer);
    this.#timers.push(timer);
    if (this.#idle && when < this.#idleDeadline) this.#wakePump();
    return timer;
  }

  /**
   * @internal `callSoon(callback, argument)` for the library's own callbacks:
   * no Handle, no closed check (callers check with `_checkOpen` first).
   */
  _schedule<A>(callback: (argument: A) => void, argument: A): void {
    this.#ready.push(callback, argument);
    if (this.#idle) this.#wakePump();
  }

  /** @internal The tasks not done yet, in creation order. */
  _liveTasks(): Task<unknown>[] {
    const live = [];
    for (const task of this.#tasks) if (task !== null) live.push(task);
    return live;
  }

  /** @internal A new task of this loop: it is live until `_unlinkTask`. */
  _linkTask(task: Task<unknown>): void {
    task._liveIndex = this.#tasks.length;
    this.#tasks.push(task);
  }

  /** @internal `task` is done: it leaves the live tasks (once). */
  _unlinkTask(task: Task<unknown>): void {
    const tasks = this.#tasks;
    const index = task._liveIndex;
    if (index < 0 || tasks[index] !== task) return;
    tasks[index] = null;
    task._liveIndex = -1;
    if (++this.#taskHoles * 2 > tasks.length) this.#compactTasks();
  }

  #compactTasks(): void {
    const tasks = this.#tasks;
    let live = 0;
    for (const task of tasks) {
      if (task === null) continue;
      task._liveIndex = live;
      tasks[live++] = task;
    }
    tasks.length = live;
    this.#taskHoles = 0;
  }

  /**
   * @internal A host operation that will schedule work on this loop has
   * started (an executor job, a wrapped promise, I/O): while one is pending,
   * an idle loop is waiting, not deadlocked. Pair with `_releaseHost`.
   */
  _holdHost(): void {
    this.#hostWork++;
  }

  /** @internal The operation of a `_holdHost` is over. */
  _releaseHost(): void {
    this.#hostWork--;
  }

  /** @internal Throws `Event loop is closed` if it is. */
  _checkOpen(): void {
    this.#checkClosed();
  }

  /** @internal A timer in the heap was cancelled. */
  _timerCancelled(): void {
    this.#timers.noteCancelled();
  }

  // -- futures and tasks ---------------------------------------------------

  /** A new pending Future on this loop. */
  createFuture<T = unknown>(): Future<T> {
    return new Future<T>(this);
  }

  /**
   * Start `coro(...args)` as a Task on this loop: it runs from the loop's next
   * iteration. Pass a `{ name }` object first to name it.
   *
   * @throws {RuntimeError} `Event loop is closed`.
   * @throws {TypeError} if `coro` is not a function (a promise has already
   * started: see `createTask`).
   */
  createTask<T, A extends unknown[]>(...spec: CoroutineArgs<T, A>): Task<T> {
    this.#checkClosed();
    return createTaskFromSpec<T>(this, spec);
  }

  /**
   * Make the tasks of `createTask`, `loop.createTask` and
   * `TaskGroup.createTask` with `factory` (`null`: plain tasks again).
   * Python: `loop.set_task_factory`.
   *
   * @throws {TypeError} `task factory must be a callable or None` (in
   * TypeScript's words) for anything else.
   */
  setTaskFactory(factory: TaskFactory | null): void {
    if (factory !== null && typeof factory !== "function") {
      throw new TypeError(
        `task factory must be a function or null, received ${reprValue(factory)}`,
      );
    }
    this.#taskFactory = factory;
  }

  /** The task factory, or `null`. Python: `loop.get_task_factory`. */
  getTaskFactory(): TaskFactory | null {
    return this.#taskFactory;
  }

  // -- the executor --------------------------------------------------------

  /**
   * Run `fn(...args)` on `executor` (`null`: the loop's default executor, a
   * `WorkerPoolExecutor` made on first use) and return a Future of its
   * result. The Future is not a Task: `allTasks()` does not list it.
   * Cancelling the Future cancels the job. Python: `loop.run_in_executor`.
   *
   * `fn` runs on a Worker: it must be self-contained (it cannot use outer
   * variables; pass them as arguments) or be a `moduleFunction()`. The
   * Future fails with what `fn` threw, `null` included; a Future cannot
   * hold `undefined`, so that becomes `Error("Job failed with undefined")`.
   *
   * @throws {RuntimeError} `Event loop is closed`, or `Executor shutdown has
   * been called` for the default executor after `shutdownDefaultExecutor()`.
   *
   * @example A blocking function off the loop
   * ```ts
   * import { getRunningLoop, run } from "@asyncio-ts/asyncio";
   * await run(async () => {
   *   const loop = getRunningLoop();
   *   console.log(await loop.runInExecutor(null, (n: number) => n * 2, 21)); // 42
   * });
   * ```
   */
  runInExecutor<F extends AnyFunction>(
    executor: Executor | null,
    fn: F | ModuleFunction<F>,
    ...args: Parameters<F>
  ): Future<Awaited<ReturnType<F>>> {
    this.#checkClosed();
    if (executor === null) {
      if (this.#executorShutdownCalled) throw new RuntimeError("Executor shutdown has been called");
      executor = this.#defaultExecutor ??= new WorkerPoolExecutor();
    }
    return new ExecutorFuture(executor.submit(fn, ...args), this);
  }

  /**
   * Use `executor` for `runInExecutor(null, ...)` from now on.
   *
   * @throws {TypeError} if `executor` has no `submit` and `shutdown` methods.
   */
  setDefaultExecutor(executor: Executor): void {
    if (
      typeof executor?.submit !== "function" || typeof executor?.shutdown !== "function"
    ) {
      throw new TypeError(
        `executor must be an Executor (with submit and shutdown), received ${reprValue(executor)}`,
      );
    }
    this.#defaultExecutor = executor;
  }

  /**
   * Shut the default executor down, waiting for its running jobs; later
   * `runInExecutor(null, ...)` calls fail. `run()` calls it before closing
   * the loop (with `RunnerOptions.executorShutdownTimeout`, 300 s by
   * default), so idle Workers never keep the process alive.
   * Python: `loop.shutdown_default_executor(timeout)`.
   *
   * @param timeout Seconds to wait at most (on the loop's clock); `null`
   * (the default) or `Infinity` waits until the jobs are done. When it
   * expires, the loop's exception handler gets CPython's warning (the
   * default handler logs it with `console.error`) and this returns, while the
   * executor goes on stopping: its running jobs finish (or, once cancelled,
   * are terminated after the pool's `cancelGracePeriod`).
   * @throws {TypeError} if `timeout` is not a number or null.
   * @throws {RangeError} if `timeout` is NaN.
   *
   * @example Waiting at most 5 s for the default executor
   * ```ts
   * import { newEventLoop } from "@asyncio-ts/asyncio";
   * const loop = newEventLoop();
   * await loop.runUntilComplete(() => loop.shutdownDefaultExecutor(5));
   * loop.close();
   * ```
   */
  async shutdownDefaultExecutor(timeout: number | null = null): Promise<void> {
    if (timeout !== null) checkSeconds(timeout, "timeout");
    this.#executorShutdownCalled = true;
    const executor = this.#defaultExecutor;
    this.#defaultExecutor = null;
    if (executor === null) return;
    const joined = this.createFuture<boolean>();
    const settle = (done: () => void) => {
      if (!joined.done() && !this.isClosed()) done();
    };
    executor.shutdown({ wait: true }).then(
      () => settle(() => joined.setResult(true)),
      (error) => settle(() => joined.setException(error ?? new Error("Executor shutdown failed"))),
    );
    const timer = timeout === null || timeout === Infinity
      ? null
      : this.callLater(timeout, () => settle(() => joined.setResult(false)));
    try {
      if (!(await joined)) {
        // CPython's warning, word for word.
        this.callExceptionHandler({
          message: `The executor did not finishing joining its threads within ${timeout} seconds.`,
          executor,
        });
      }
    } finally {
      timer?.cancel();
    }
  }

  // -- signals -------------------------------------------------------------

  /**
   * Run `callback(...args)` in the loop (through `callSoon`) each time the
   * process receives `sig`. It replaces the loop's earlier handler of `sig`
   * and any other asyncio-ts handler of it (one per signal per process, as
   * in Python); `close()` removes it. Python: `loop.add_signal_handler`.
   *
   * @param sig A signal name: `"SIGINT"`, `"SIGTERM"`, ...
   * @throws {TypeError} `coroutines cannot be used with addSignalHandler()`
   * for an async function; a non-function `callback`.
   * @throws {RangeError} `invalid signal X`.
   * @throws {RuntimeError} `sig SIGKILL cannot be caught`; `Event loop is closed`.
   *
   * @example Stop on Ctrl-C or SIGTERM
   * ```ts
   * import { getRunningLoop, run, waitFor } from "@asyncio-ts/asyncio";
   * await run(async () => {
   *   const loop = getRunningLoop();
   *   const stopped = loop.createFuture<string>();
   *   for (const sig of ["SIGINT", "SIGTERM"] as const) {
   *     loop.addSignalHandler(sig, (name: string) => stopped.done() || stopped.setResult(name), sig);
   *   }
   *   // A real program awaits `stopped` without a limit.
   *   console.log(await waitFor(stopped, 0.01).catch(() => "no signal")); // no signal
   * });
   * ```
   */
  addSignalHandler<A extends unknown[]>(
    sig: SignalName,
    callback: (...args: A) => unknown,
    ...args: A
  ): void {
    this.#checkClosed();
    addLoopSignalHandler(this, sig, callback, args);
  }

  /**
   * Remove this loop's handler of `sig`; returns whether there was one.
   * Python: `loop.remove_signal_handler`.
   *
   * @throws {RangeError} `invalid signal X`.
   */
  removeSignalHandler(sig: SignalName): boolean {
    return removeLoopSignalHandler(this, sig);
  }

  // -- errors --------------------------------------------------------------

  /**
   * Set the function that receives errors no one else can handle (a callback
   * that threw, a task exception never retrieved). `null` restores the
   * default, which logs to the console.
   */
  setExceptionHandler(handler: ExceptionHandler | null): void {
    if (handler !== null && typeof handler !== "function") {
      throw new TypeError(`A callable object or null is expected, got ${reprValue(handler)}`);
    }
    this.#exceptionHandler = handler;
  }

  /** The custom exception handler, or `null`. */
  getExceptionHandler(): ExceptionHandler | null {
    return this.#exceptionHandler;
  }

  /**
   * The default handler: logs the message, one `key: value` line per other
   * key (sorted), and the exception's stack, with `console.error`.
   */
  defaultExceptionHandler(context: ExceptionContext): void {
    const lines = [context.message ?? "Unhandled exception in event loop"];
    for (const key of Object.keys(context).sort()) {
      if (key === "message" || key === "exception") continue;
      const value = context[key];
      if (key === "sourceTraceback" || key === "handleTraceback") {
        const heading = key === "sourceTraceback" ? "Object created at" : "Handle created at";
        lines.push(`${key}: ${formatCreationSite(heading, value as string[])}`);
      } else {
        lines.push(`${key}: ${typeof value === "string" ? value : reprValue(value)}`);
      }
    }
    if ("exception" in context) {
      const error = context.exception;
      lines.push(error instanceof Error && error.stack ? error.stack : reprValue(error));
    }
    console.error(lines.join("\n"));
  }

  /**
   * Hand `context` to the exception handler. If a custom handler throws, the
   * default one logs that (`Unhandled error in exception handler`). In debug
   * mode a `handle` created then brings its creation site
   * (`handleTraceback`), as a future or task does (`sourceTraceback`).
   */
  callExceptionHandler(context: ExceptionContext): void {
    if (this.#debug && context.handle instanceof Handle && !("handleTraceback" in context)) {
      const site = creationSite(context.handle);
      if (site !== undefined) context = { ...context, handleTraceback: site };
    }
    const handler = this.#exceptionHandler;
    if (handler === null) {
      this.#logSafely(context);
      return;
    }
    try {
      handler(this, context);
    } catch (error) {
      this.#logSafely({
        message: "Unhandled error in exception handler",
        exception: error,
        context,
      });
    }
  }

  /** The loop's state for logs: `<EventLoop running debug=false>`. */
  toString(): string {
    const state = this.#closed ? "closed" : this.#running ? "running" : "stopped";
    return `<EventLoop ${state} debug=${this.#debug}>`;
  }

  // -- errors never retrieved ----------------------------------------------

  /**
   * @internal `future` failed; report it unless someone looks at the error.
   * Returns the record for `_forgetUnretrieved`.
   */
  _noteUnretrieved(future: Future<unknown>, exception: unknown): UnretrievedRecord {
    const record: UnretrievedRecord = {
      future: new WeakRef(future),
      exception,
      description: String(future),
      kind: future.constructor.name,
      sourceTraceback: this.#debug ? creationSite(future) : undefined,
    };
    this.#unretrieved.add(record);
    this.#collected.register(future, record, record);
    return record;
  }

  /** @internal Someone retrieved the error of `record`'s future. */
  _forgetUnretrieved(record: UnretrievedRecord): void {
    this.#unretrieved.delete(record);
    this.#collected.unregister(record);
  }

  #reportUnretrieved(record: UnretrievedRecord, future: unknown): void {
    const context: ExceptionContext = {
      message: `${record.kind} exception was never retrieved`,
      exception: record.exception,
      future,
    };
    if (record.sourceTraceback !== undefined) context.sourceTraceback = record.sourceTraceback;
    this.callExceptionHandler(context);
  }

  /** @internal A done callback added by user code threw. */
  _reportDoneCallbackError(callback: (future: never) => void, future: unknown, error: unknown) {
    this.#reportCallbackError(callback, future, error);
  }

  // Only done callbacks added by users can throw here; handles catch their own.
  #reportCallbackError(
    callback: (argument: never) => void,
    argument: unknown,
    error: unknown,
  ): void {
    this.callExceptionHandler({
      message: `Exception in callback ${describeCallback(callback)}`,
      exception: error,
      handle: new Handle(callback, [argument], this),
    });
  }

  #logSafely(context: ExceptionContext): void {
    try {
      this.defaultExceptionHandler(context);
    } catch {
      // Logging must never break the loop; there is nowhere left to report.
    }
  }

  // -- the pump ------------------------------------------------------------
  //
  // A state machine rather than an async loop, so that waiting for a task's
  // step costs no promise: `#iterate` starts iterations, `#runBatch` runs
  // callbacks until one resumes a task, and `_endStep` (called when that
  // task suspends or finishes) continues the batch. All three run outside
  // every task's context, so plain callbacks never see a current task.

  /**
   * Run iterations until there is nothing to do now or a task step is in
   * progress. One iteration: move due timers to the ready queue, then run the
   * batch of callbacks ready at that moment; callbacks scheduled meanwhile
   * wait for the next iteration.
   */
  readonly #iterate = (): void => {
    try {
      for (;;) {
        this.#moveDueTimers();
        if (this.#ready.length === 0 && !this.#stopping) {
          this.#waitForWork();
          return;
        }
        this.#batch = this.#ready;
        this.#batchIndex = 0;
        this.#ready = this.#spareBatch;
        if (!this.#runBatch()) return;
        if (this.#stopping) {
          this.#finishRun(null);
          return;
        }
      }
    } catch (error) {
      this.#finishRun(error);
    }
  };

  /**
   * The only place callbacks run. Returns false when a callback resumed a
   * task: the rest of the batch waits until the task's step is over.
   */
  #runBatch(): boolean {
    if (this.#debug) return this.#runBatchDebug();
    const batch = this.#batch;
    // Let go already: its last callback began the step that just ended.
    if (batch === null) return true;
    this.#inBatch = true;
    try {
      while (this.#batchIndex < batch.length) {
        const index = this.#batchIndex;
        this.#batchIndex = index + 2;
        const callback = batch[index] as (argument: unknown) => void;
        const argument = batch[index + 1];
        try {
          callback(argument);
        } catch (error) {
          this.#reportCallbackError(callback, argument, error);
        }
        // A resumed task runs its step in microtasks; wait for the step to end.
        if (this.#stepping !== null) {
          this.#sentinel ??= setImmediate(this.#stallSentinel);
          // Nothing left to run: let the batch go now rather than hold
          // it (two slots per callback) for as long as the step runs.
          if (this.#batchIndex === batch.length) this.#releaseBatch(batch);
          return false;
        }
      }
    } finally {
      this.#inBatch = false;
    }
    this.#releaseBatch(batch);
    return true;
  }

  /** The batch is run: empty it, and keep it for the next iteration's ready queue. */
  #releaseBatch(batch: unknown[]): void {
    batch.length = 0;
    this.#spareBatch = batch;
    this.#batch = null;
  }

  /**
   * `#runBatch` in debug mode: the same, timing each callback, and each
   * task step to its end (`#endTimedStep`).
   */
  #runBatchDebug(): boolean {
    const batch = this.#batch;
    if (batch === null) return true;
    const clock = this.#clock;
    this.#inBatch = true;
    try {
      while (this.#batchIndex < batch.length) {
        const index = this.#batchIndex;
        this.#batchIndex = index + 2;
        const callback = batch[index] as (argument: unknown) => void;
        const argument = batch[index + 1];
        const start = clock.now();
        try {
          callback(argument);
        } catch (error) {
          this.#reportCallbackError(callback, argument, error);
        }
        if (this.#stepping !== null) {
          this.#timedStep = this.#stepping;
          this.#timedStepStart = start;
          this.#sentinel ??= setImmediate(this.#stallSentinel);
          if (this.#batchIndex === batch.length) this.#releaseBatch(batch);
          return false;
        }
        const took = clock.now() - start;
        if (took >= this.#slowCallbackDuration) {
          this._log(
            `Executing ${describeReady(callback, argument)} took ${took.toFixed(3)} seconds`,
          );
        }
      }
    } finally {
      this.#inBatch = false;
    }
    this.#releaseBatch(batch);
    return true;
  }

  // Debug mode: the step timed by #runBatchDebug is over (it suspended,
  // ended, or parked on a foreign promise).
  #endTimedStep(): void {
    const stepper = this.#timedStep!;
    this.#timedStep = null;
    const took = this.#clock.now() - this.#timedStepStart;
    if (took >= this.#slowCallbackDuration) {
      this._log(`Executing ${stepper} took ${took.toFixed(3)} seconds`);
    }
  }

  readonly #continueBatch = (): void => {
    try {
      if (this.#timedStep !== null) this.#endTimedStep();
      if (!this.#runBatch()) return;
      if (this.#stopping) this.#finishRun(null);
      else this.#iterate();
    } catch (error) {
      this.#finishRun(error);
    }
  };

  /**
   * @internal The step of `stepper` begins now (a loop callback resumed it,
   * or started a task): the pump runs no other callback until it ends.
   */
  _beginStep(stepper: Stepper): void {
    this.#stepping = stepper;
  }

  /** @internal Whose step is running: a task's, a library coroutine's, or none. */
  get _stepping(): Stepper | null {
    return this.#stepping;
  }

  /** @internal `task` suspended or finished: if the pump waits for it, go on. */
  _endStep(task: Stepper): void {
    if (this.#foreignParked.size !== 0) this.#foreignParked.delete(task);
    if (this.#stepping !== task) return;
    this.#stepping = null;
    // A task that suspends synchronously inside its first step (a `then()`
    // call before any await) is still inside #runBatch, which goes on itself.
    if (!this.#inBatch) runOutsideTasks(this.#continueBatch);
  }

  /**
   * @internal As `_endStep`, for a wait that `task`'s code started by a
   * call it may not have awaited yet (`const got = sem.acquire(); ...`):
   * the rest of the batch waits for that code to finish, in a microtask,
   * as a coroutine's caller would not run before its next await.
   */
  _endStepSoon(task: Stepper): void {
    if (this.#foreignParked.size !== 0) this.#foreignParked.delete(task);
    if (this.#stepping !== task) return;
    if (this.#inBatch) {
      // Its first step, called by the batch itself, which goes on after it.
      this.#stepping = null;
      return;
    }
    this.#stepToEnd = task;
    // A reaction, not queueMicrotask(): on Node that makes an AsyncResource
    // per call, and this runs once per such wait.
    settled.then(this.#endStepSoon);
  }

  readonly #endStepSoon = (): void => {
    const task = this.#stepToEnd;
    this.#stepToEnd = null;
    if (task !== null) this._endStep(task);
  };

  // Runs only once the host has no microtasks left: if the pump still waits
  // for a step, that step is parked on a foreign promise.
  readonly #stallSentinel = (): void => {
    this.#sentinel = null;
    if (this.#stepping === null) return;
    this.#foreignParked.add(this.#stepping);
    this.#stepping = null;
    runOutsideTasks(this.#continueBatch);
  };

  #moveDueTimers(): void {
    const timers = this.#timers;
    if (timers.size === 0) return;
    const now = this.#clock.now();
    for (
      let timer = timers.peek();
      timer !== undefined && timer.when() <= now;
      timer = timers.peek()
    ) {
      timers.pop();
      timer.inHeap = false;
      this.#ready.push(runHandle, timer);
    }
  }

  #waitForWork(): void {
    this.#idle = true;
    const next = this.#timers.peek();
    this.#idleDeadline = next === undefined ? Infinity : next.when();
    this.#cancelClockWake = this.#clock.wakeAt(this.#idleDeadline, this.#wakePump);
    // Nothing the loop knows of can wake it (no timer, no host work, no
    // task on a foreign promise): the program may be deadlocked. Let the
    // host end it, as Node does: our signal listeners would keep Deno
    // waiting forever under a top-level await. They come back on wake-up.
    if (next === undefined && this.#hostWork === 0 && this.#foreignParked.size === 0) {
      this.#signalsPaused = true;
      pauseSignalListeners();
    }
  }

  // Never runs the pump synchronously: whoever scheduled the work goes on
  // first, as with any callSoon.
  readonly #wakePump = (): void => {
    if (!this.#idle) return;
    this.#idle = false;
    if (this.#signalsPaused) {
      this.#signalsPaused = false;
      resumeSignalListeners();
    }
    this.#cancelClockWake!();
    this.#cancelClockWake = null;
    queueMicrotask(this.#iterateOutsideTasks);
  };

  readonly #iterateOutsideTasks = (): void => {
    runOutsideTasks(this.#iterate);
  };

  // -- checks --------------------------------------------------------------

  #checkClosed(): void {
    if (this.#closed) throw new RuntimeError("Event loop is closed");
  }

  #checkNotRunning(): void {
    if (this.#running) throw new RuntimeError("This event loop is already running");
    if (runningLoopOrNull() !== null) {
      throw new RuntimeError("Cannot run the event loop while another loop is running");
    }
  }

  #toFuture<T>(awaitable: Future<T> | PromiseLike<T> | (() => T | PromiseLike<T>)): Future<T> {
    if (awaitable instanceof Future) {
      if (awaitable.getLoop() !== this) {
        throw new RangeError(
          "The future belongs to a different loop than the one specified as the loop argument",
        );
      }
      return awaitable;
    }
    if (typeof awaitable === "function") return this.createTask(awaitable);
    return wrapThenable(awaitable, this);
  }
}

function noFinish(): void {}

function defaultLogger(message: string): void {
  console.warn(message);
}

/**
 * Debug mode's check of a callback (CPython's wording): an async function
 * would start a promise nobody awaits.
 *
 * @throws {TypeError} `coroutines cannot be used with <api>()`.
 */
function checkNotAsync(callback: unknown, api: string): void {
  if (isAsyncFunction(callback)) {
    throw new TypeError(`coroutines cannot be used with ${api}()`);
  }
}

// What _endStepSoon chains onto: a promise already settled, so its reaction
// is queued at once.
const settled = Promise.resolve();

function runHandle(handle: Handle): void {
  handle.run();
}

/** A ready callback as debug mode's log shows it: the handle, or the task it starts. */
function describeReady(callback: (argument: never) => void, argument: unknown): string {
  if (callback === runHandle) return String(argument);
  if (argument instanceof Task) return String(argument);
  return `<Handle ${describeCallback(callback)}>`;
}
