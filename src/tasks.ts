/**
 * `Task`: an async function running on the event loop, which can be
 * cancelled.
 *
 * How cancellation reaches a plain async function: every library Future a
 * task awaits becomes its *waiter* (`Future.then` calls `_suspendOn`).
 * `task.cancel()` cancels the waiter, the waiter's completion resumes the
 * task with `CancelledError`, and the `await` throws it. A task awaiting a
 * foreign promise has no waiter: the cancel is remembered (`_mustCancel`) and
 * delivered at its next library await, and the task's `signal` is aborted at
 * once for the APIs that take one.
 *
 * @module
 */

import { CancelledError, RuntimeError } from "./errors.ts";
import { Future } from "./futures.ts";
import { runInTask, taskInContext } from "./_current_task.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { reprValue } from "./_repr.ts";
import type { EventLoop } from "./loop.ts";

/**
 * An async function a task can run: called with the task's arguments on the
 * loop's next iteration. Python's coroutine object, spelled as a function
 * because calling an async function in JavaScript already starts it.
 */
export type CoroutineFunction<T, A extends unknown[] = []> = (...args: A) => T | PromiseLike<T>;

/** Options for creating a task. */
export interface TaskOptions {
  /**
   * The task's name, shown by `toString()` and `getName()`.
   * @default `Task-N`, from a process-wide counter
   */
  name?: string;
}

/**
 * The arguments of `createTask`: a function with its arguments, or a promise;
 * optionally preceded by `TaskOptions`.
 */
export type CoroutineArgs<T, A extends unknown[]> =
  | [coro: CoroutineFunction<T, A> | PromiseLike<T>, ...args: A]
  | [options: TaskOptions, coro: CoroutineFunction<T, A> | PromiseLike<T>, ...args: A];

let taskCounter = 0;

/**
 * An async function scheduled on an event loop. A Task is a Future of the
 * function's result. Python: `asyncio.Task`.
 *
 * Cancelling (`cancel()`) throws `CancelledError` at the `await` the task is
 * blocked on; the function may catch it and clean up (with more awaits in
 * `finally`). Awaiting a cancelled task returns only after that cleanup.
 * Not promised: a task awaiting a foreign promise is interrupted only at its
 * next library await (or through `signal`), and a task that catches
 * `CancelledError` and returns normally is not cancelled.
 *
 * @typeParam T The type of the function's result.
 *
 * @example Cancel a task and wait for its cleanup
 * ```ts
 * import { CancelledError, createTask, run, sleep } from "./mod.ts";
 * await run(async () => {
 *   const task = createTask(async () => {
 *     try {
 *       await sleep(3600);
 *     } finally {
 *       await sleep(0.1);
 *       console.log("cleaned up");
 *     }
 *   });
 *   await sleep(0);
 *   task.cancel("enough");
 *   try {
 *     await task;
 *   } catch (e) {
 *     console.log(e instanceof CancelledError, task.cancelled()); // true true
 *   }
 * });
 * ```
 */
export class Task<T = unknown> extends Future<T> {
  // Invariants: _waiter is the pending library Future the body is suspended
  // on; only _suspendOn (from Future.then) sets it and only _wakeUp clears
  // it. _mustCancel records a cancel that found no waiter to cancel; it is
  // delivered at the next wake-up or suspension. The task is in its loop's
  // _tasks exactly while it is not done.
  /** @internal */ _waiter: Future<unknown> | null = null;
  /** @internal */ _mustCancel = false;
  #cancelRequests = 0;
  // A number until asked for: most tasks never need their "Task-N" string.
  #name: string | number;
  readonly #coroName: string;
  #body: (() => unknown) | null;
  #abort: AbortController | null = null;

  /**
   * Prefer `loop.createTask()` or `createTask()`.
   *
   * @param coro The async function to run (with `options.args`), or a promise to wait for.
   */
  constructor(
    coro: CoroutineFunction<T, unknown[]> | PromiseLike<T>,
    options: TaskOptions & { loop?: EventLoop; args?: readonly unknown[] } = {},
  ) {
    const loop = options.loop ?? requireRunningLoop();
    super(loop);
    if (typeof coro === "function") {
      const args = options.args ?? [];
      this.#body = args.length === 0 ? coro as () => unknown : () => coro(...args);
      this.#coroName = coro.name || "<anonymous>";
    } else if (isThenable(coro)) {
      // Waiting through a Future makes the wait cancellable at once.
      this.#body = () => wrapThenable(coro, loop);
      this.#coroName = "<promise>";
    } else {
      throw new TypeError(`a coroutine was expected, got ${reprValue(coro)}`);
    }
    this.#name = options.name === undefined ? ++taskCounter : String(options.name);
    loop._tasks.add(this);
    loop._checkOpen();
    loop._schedule(startTask, this as Task<unknown>);
  }

  /** The task's name. */
  getName(): string {
    const name = this.#name;
    return typeof name === "number" ? `Task-${name}` : name;
  }

  /** Rename the task. */
  setName(name: unknown): void {
    this.#name = String(name);
  }

  /**
   * An `AbortSignal` aborted when the task is cancelled, for `fetch` and
   * other APIs that take one. Created on first use. If the task later
   * `uncancel()`s back to zero requests, a fresh signal replaces it.
   */
  get signal(): AbortSignal {
    if (this.#abort === null) {
      this.#abort = new AbortController();
      if (this.#cancelRequests > 0 || this.cancelled()) {
        this.#abort.abort(new CancelledError(this._cancelMessage));
      }
    }
    return this.#abort.signal;
  }

  /**
   * Ask the task to stop: `CancelledError(message)` is thrown at the `await`
   * it is blocked on (or its next library await). Returns `false` if the task
   * is already done. Python: `Task.cancel`.
   */
  override cancel(message?: string): boolean {
    this._markRetrieved();
    if (this.done()) return false;
    this.#cancelRequests++;
    this.#abort?.abort(new CancelledError(message));
    if (this._waiter !== null && this._waiter.cancel(message)) return true;
    this._mustCancel = true;
    this._cancelMessage = message;
    return true;
  }

  /** How many cancel requests are pending (`cancel()` calls not undone by `uncancel()`). */
  cancelling(): number {
    return this.#cancelRequests;
  }

  /**
   * Undo one cancel request; returns the number left. At zero a cancel not
   * yet delivered is dropped (Python 3.13).
   */
  uncancel(): number {
    if (this.#cancelRequests > 0) {
      this.#cancelRequests--;
      if (this.#cancelRequests === 0) {
        this._mustCancel = false;
        if (this.#abort?.signal.aborted) this.#abort = null;
      }
    }
    return this.#cancelRequests;
  }

  /** @throws {RuntimeError} always: a task's result comes from its function. */
  override setResult(_result: T): never {
    throw new RuntimeError("Task does not support set_result operation");
  }

  /** @throws {RuntimeError} always: a task's exception comes from its function. */
  override setException(_exception: unknown): never {
    throw new RuntimeError("Task does not support set_exception operation");
  }

  override toString(): string {
    const head = `<Task ${this._state} name='${this.getName()}' coro=<${this.#coroName}()>`;
    if (this._state !== "finished") return `${head}>`;
    const error = this._peekException();
    return error !== undefined ? `${head} exception=${reprValue(error)}>` : `${head}>`;
  }

  /** @internal First step: run the body inside the task's context. */
  _start(): void {
    const body = this.#body!;
    this.#body = null;
    if (this._mustCancel) {
      // Cancelled before its first step: the body never runs.
      this._mustCancel = false;
      this.#bodyFailed(new CancelledError(this._cancelMessage));
      return;
    }
    this.getLoop()._stepping = this as Task<unknown>;
    let outcome: unknown;
    try {
      outcome = runInTask(this as Task<unknown>, body);
    } catch (error) {
      this.#bodyFailed(error);
      return;
    }
    if (isThenable(outcome)) {
      const onReturn = (value: unknown) => this.#bodyReturned(value as T);
      const onFail = (error: unknown) => this.#bodyFailed(error);
      // A body that returns a library Future (`() => sleep(1)`) waits on it
      // as the task, so that a cancel reaches it.
      if (outcome instanceof Future) {
        runInTask(this as Task<unknown>, () => outcome.then(onReturn, onFail));
      } else outcome.then(onReturn, onFail);
    } else {
      this.#bodyReturned(outcome as T);
    }
  }

  /** @internal The body awaits the pending `future`: it is now the waiter. */
  _suspendOn(future: Future<unknown>): void {
    this._waiter = future;
    if (this._mustCancel && future.cancel(this._cancelMessage)) this._mustCancel = false;
    this.getLoop()._endStep(this as Task<unknown>);
  }

  /**
   * @internal `future`, which the body awaited, is done and the body resumes
   * now. Returns the CancelledError to throw instead of the outcome when a
   * cancel came too late to cancel the waiter.
   */
  _wakeUp(future: Future<unknown>): CancelledError | null {
    if (this._waiter === future) this._waiter = null;
    if (this.done()) return null;
    this.getLoop()._stepping = this as Task<unknown>;
    if (!this._mustCancel) return null;
    this._mustCancel = false;
    return new CancelledError(this._cancelMessage);
  }

  #bodyReturned(value: T): void {
    if (this._mustCancel) {
      // Cancelled while the body was finishing: asyncio still cancels it.
      this._mustCancel = false;
      Future.prototype.cancel.call(this, this._cancelMessage);
    } else {
      this._finishWithResult(value);
    }
    this.#finished();
  }

  #bodyFailed(error: unknown): void {
    if (error instanceof CancelledError) {
      // The first retrieval re-raises this very error, message included.
      this._cancelledError = error;
      Future.prototype.cancel.call(this);
    } else {
      this._finishWithException(
        error === undefined ? new Error("Task failed with undefined") : error,
      );
    }
    this.#finished();
  }

  #finished(): void {
    const loop = this.getLoop();
    loop._tasks.delete(this as Task<unknown>);
    this.#abort = null;
    this._waiter = null;
    loop._endStep(this as Task<unknown>);
  }
}

function startTask(task: Task<unknown>): void {
  task._start();
}

/**
 * Start `coro(...args)` as a Task on the running loop. Pass a `{ name }`
 * object first to name the task. Python: `asyncio.create_task`.
 *
 * @throws {RuntimeError} `no running event loop`.
 * @throws {TypeError} if `coro` is neither a function nor a promise.
 *
 * @example Two tasks at once
 * ```ts
 * import { createTask, run, sleep } from "./mod.ts";
 * await run(async () => {
 *   const a = createTask(async (n: number) => { await sleep(0.1); return n; }, 1);
 *   const b = createTask({ name: "b" }, async () => 2);
 *   console.log(await a + await b); // 3
 * });
 * ```
 */
export function createTask<T, A extends unknown[]>(...spec: CoroutineArgs<T, A>): Task<T> {
  return requireRunningLoop().createTask(...spec);
}

/**
 * The task running the calling code, or `null` outside every task (in a
 * plain callback, say). Python: `asyncio.current_task`.
 *
 * @param loop Only a task of this loop counts. @default the running loop
 * @throws {RuntimeError} `no running event loop` without `loop` when none runs.
 */
export function currentTask(loop?: EventLoop): Task<unknown> | null {
  const owner = loop ?? requireRunningLoop();
  const task = taskInContext();
  return task !== undefined && !task.done() && task.getLoop() === owner ? task : null;
}

/**
 * The tasks of `loop` that are not done yet. Python: `asyncio.all_tasks`.
 *
 * @param loop @default the running loop
 * @throws {RuntimeError} `no running event loop` without `loop` when none runs.
 */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  return new Set((loop ?? requireRunningLoop())._tasks);
}

/** @internal Split `createTask`'s arguments into options, function and arguments. */
export function parseTaskArguments<T, A extends unknown[]>(
  spec: CoroutineArgs<T, A>,
): { coro: CoroutineFunction<T, unknown[]> | PromiseLike<T>; args: unknown[]; name?: string } {
  const first = spec[0];
  if (typeof first === "object" && first !== null && !isThenable(first)) {
    const [options, coro, ...args] = spec as unknown as [
      TaskOptions,
      CoroutineFunction<T, unknown[]>,
      ...unknown[],
    ];
    return { coro, args, name: options.name };
  }
  const [coro, ...args] = spec as unknown as [CoroutineFunction<T, unknown[]>, ...unknown[]];
  return { coro, args };
}

/** Whether `value` has a `then` method (a promise or another thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/**
 * @internal A Future on `loop` that settles as `thenable` does. If the Future
 * is cancelled first, the thenable's outcome is dropped (and a rejection
 * never reaches the host as unhandled).
 */
export function wrapThenable<T>(thenable: PromiseLike<T>, loop: EventLoop): Future<T> {
  const future = new Future<T>(loop);
  const settle = (settleFuture: () => void) => {
    if (!future.done() && !loop.isClosed()) settleFuture();
  };
  thenable.then(
    (value) => settle(() => future.setResult(value)),
    (error) =>
      settle(() =>
        future.setException(
          error === undefined ? new Error("Promise rejected with undefined") : error,
        )
      ),
  );
  return future;
}
