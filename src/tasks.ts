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

import { CancelledError, loopCancelledError, RuntimeError } from "./errors.ts";
import { Future, isThenable } from "./futures.ts";
import { Coroutine } from "./_waits.ts";
import {
  captureContext,
  type CreatorContext,
  runInTask,
  startInCreatorContext,
  taskInContext,
} from "./_current_task.ts";
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

/** What `new Task()` takes besides the function: `TaskOptions`, the loop and the arguments. */
export interface TaskConstructorOptions extends TaskOptions {
  /**
   * The loop of the task.
   *
   * @default the running loop
   */
  loop?: EventLoop;
  /** The arguments `coro` is called with. @default none */
  args?: readonly unknown[];
  /**
   * Start the body at once, in the constructor, when the loop is running:
   * it runs until its first suspension, and a body that finishes without
   * suspending never goes through the loop. Python 3.12: `eager_start`.
   * @default false
   */
  eagerStart?: boolean;
}

/**
 * Makes the tasks of a loop that has it (`loop.setTaskFactory`): called by
 * `createTask`, `loop.createTask` and `TaskGroup.createTask` with the loop,
 * the function and the options (name and arguments). Python: a task
 * factory, `factory(loop, coro, **kwargs)`.
 */
export type TaskFactory = (
  loop: EventLoop,
  coro: CoroutineFunction<unknown, unknown[]>,
  options: TaskConstructorOptions,
) => Task<unknown>;

/**
 * The arguments of `createTask`: a function with its arguments, optionally
 * preceded by `TaskOptions`.
 */
export type CoroutineArgs<T, A extends unknown[]> =
  | [coro: CoroutineFunction<T, A>, ...args: A]
  | [options: TaskOptions, coro: CoroutineFunction<T, A>, ...args: A];

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
 * import { CancelledError, createTask, run, sleep } from "@asyncio-ts/asyncio";
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
  // live-task list exactly while it is not done.
  /** @internal */ _waiter: Future<unknown> | null = null;
  /** @internal Where the loop's list of live tasks holds it (-1: not there); only the loop writes it. */
  _liveIndex = -1;
  // The cancel requests not undone by uncancel(), doubled, plus 1 while
  // _mustCancel: one field for the two.
  #cancelState = 0;
  // A number until asked for: most tasks never need their "Task-N" string.
  #name: string | number = 0;
  // The function (or promise) until the first step, then its name: a
  // started body is held by its own async function, not by the task.
  #coro: unknown;
  // The arguments until the first step: NO_ARGUMENTS, the only one itself,
  // or an ArgumentList over createTask's own rest array, kept rather than
  // copied. Most tasks take none or one, and their rest array then dies
  // young instead of living as long as the task waits.
  #args: unknown = NO_ARGUMENTS;
  // Until the first step: its creator's context, captured (see _init).
  #context: CreatorContext | null = null;

  /**
   * Prefer `loop.createTask()` or `createTask()`.
   *
   * @param coro The async function to run (with `options.args`).
   * @throws {TypeError} if `coro` is not a function (a promise has already
   * started: see `createTask`).
   * @throws {RuntimeError} `Event loop is closed`; `no running event loop`
   * without `options.loop`.
   */
  constructor(coro: CoroutineFunction<T, unknown[]>, options: TaskConstructorOptions = {}) {
    const handedOff = options === HANDED_OFF;
    const loop = handedOff ? handoff.loop! : options.loop ?? requireRunningLoop();
    super(loop);
    if (handedOff) {
      const spec = handoff.spec!;
      handoff.loop = handoff.spec = null;
      this._initFromSpec(loop, spec);
    } else {
      this._init(loop, coro, options.name, options.args ?? null, 0, options.eagerStart === true);
    }
  }

  /**
   * @internal `createTask(options?, coro, ...args)`: its own argument
   * array, parsed here and kept (see #args).
   */
  _initFromSpec(loop: EventLoop, spec: readonly unknown[]): void {
    const head = spec[0];
    if (typeof head === "object" && head !== null && !isThenable(head)) {
      this._init(loop, spec[1], (head as TaskOptions).name, spec, 2);
    } else {
      this._init(loop, head, undefined, spec, 1);
    }
  }

  /** @internal The constructor's work, for both of its forms. */
  _init(
    loop: EventLoop,
    coro: unknown,
    name: unknown,
    args: readonly unknown[] | null,
    argStart: number,
    eager = false,
  ): void {
    checkCoroutine(coro, "createTask");
    loop._checkOpen();
    this.#coro = coro;
    const count = args === null ? 0 : args.length - argStart;
    if (count === 1) this.#args = args![argStart];
    else if (count > 1) this.#args = new ArgumentList(args!, argStart);
    this.#name = name === undefined ? ++taskCounter : String(name);
    loop._linkTask(this as Task<unknown>);
    if (eager && loop.isRunning()) {
      // Already in the creator's context, inside the creator's step (the
      // loop follows that one): the first step is part of it.
      startingTask = this as Task<unknown>;
      runInTask(this as Task<unknown>, Task.#firstStep);
      return;
    }
    // The first step runs in the context of the code creating the task, as
    // a Python task runs in a copy of its creator's contextvars.
    this.#context = captureContext();
    loop._schedule(startTask, this as Task<unknown>);
  }

  /** @internal A cancel found no waiter to cancel: deliver it at the next wake-up or suspension. */
  get _mustCancel(): boolean {
    return (this.#cancelState & 1) === 1;
  }

  set _mustCancel(value: boolean) {
    this.#cancelState = value ? this.#cancelState | 1 : this.#cancelState & ~1;
  }

  /** The task's name. */
  getName(): string {
    const name = this.#name;
    return typeof name === "number" ? `Task-${name}` : name;
  }

  /**
   * The function the task runs, until its first step; `null` from then on:
   * a started body belongs to its own async function (the task keeps only
   * its name, so that it does not hold the function's closure). Python:
   * `Task.get_coro()` (which may return None for an eager task too).
   */
  getCoro(): CoroutineFunction<T, unknown[]> | null {
    return typeof this.#coro === "function" ? this.#coro as CoroutineFunction<T, unknown[]> : null;
  }

  /** @internal The name of the task's function (`main`), for call graphs. */
  _coroName(): string {
    return coroName(this.#coro);
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
    let controller = signals.get(this as Task<unknown>);
    if (controller === undefined) {
      controller = new AbortController();
      signals.set(this as Task<unknown>, controller);
      signalsAsked = true;
      if (this.#cancelState >= 2 || this.cancelled()) {
        controller.abort(new CancelledError(this._cancelMessage));
      }
    }
    return controller.signal;
  }

  /**
   * Ask the task to stop: `CancelledError(message)` is thrown at the `await`
   * it is blocked on (or its next library await). Returns `false` if the task
   * is already done. Python: `Task.cancel`.
   */
  override cancel(message?: string): boolean {
    this._markRetrieved();
    if (this.done()) return false;
    if (message !== undefined) message = String(message);
    this.#cancelState += 2;
    if (signalsAsked) signals.get(this as Task<unknown>)?.abort(new CancelledError(message));
    if (this._waiter !== null && this._waiter.cancel(message)) return true;
    this._mustCancel = true;
    this._cancelMessage = message;
    const loop = this.getLoop();
    if (loop.getDebug()) loop._watchIgnoredCancel(this as Task<unknown>);
    return true;
  }

  /** How many cancel requests are pending (`cancel()` calls not undone by `uncancel()`). */
  cancelling(): number {
    return this.#cancelState >> 1;
  }

  /**
   * Undo one cancel request; returns the number left. At zero a cancel not
   * yet delivered is dropped (Python 3.13).
   */
  uncancel(): number {
    if (this.#cancelState >= 2) {
      this.#cancelState -= 2;
      if (this.#cancelState < 2) {
        this._mustCancel = false;
        if (signalsAsked && signals.get(this as Task<unknown>)?.signal.aborted) {
          signals.delete(this as Task<unknown>);
        }
      }
    }
    return this.#cancelState >> 1;
  }

  /**
   * Refused: a task's result comes from its function.
   *
   * @throws {RuntimeError} always: a task's result comes from its function.
   */
  override setResult(_result: T): never {
    throw new RuntimeError("Task does not support set_result operation");
  }

  /**
   * Refused: a task's exception comes from its function.
   *
   * @throws {RuntimeError} always: a task's exception comes from its function.
   */
  override setException(_exception: unknown): never {
    throw new RuntimeError("Task does not support set_exception operation");
  }

  /** The task's state for logs: `<Task pending name='Task-1' coro=<main()>>`. */
  override toString(): string {
    const head = `<Task ${this._state} name='${this.getName()}' coro=<${coroName(this.#coro)}()>`;
    if (this._state !== "finished") return `${head}>`;
    const error = this._peekException();
    return error !== undefined ? `${head} exception=${reprValue(error)}>` : `${head}>`;
  }

  /** @internal First step: run the body inside the task's context. */
  _start(): void {
    if (this._mustCancel) {
      // Cancelled before its first step: the body never runs.
      this._mustCancel = false;
      this.#coro = coroName(this.#coro);
      this.#args = NO_ARGUMENTS;
      this.#context = null;
      this._bodyFailed(loopCancelledError(this._cancelMessage));
      return;
    }
    this.getLoop()._beginStep(this as Task<unknown>);
    const context = this.#context!;
    this.#context = null;
    // One context switch per task: the body and the handlers of its outcome
    // both start inside it (no closure: the task goes by a module slot).
    startingTask = this as Task<unknown>;
    startInCreatorContext(context, this as Task<unknown>, Task.#firstStep);
  }

  static readonly #firstStep = (): void => {
    const task = startingTask!;
    startingTask = null;
    task._runFirstStep();
  };

  /** @internal Runs inside the task's context, so promise reactions made here carry it. */
  _runFirstStep(): void {
    let outcome: unknown;
    try {
      outcome = this._callBody();
    } catch (error) {
      this._bodyFailed(error);
      return;
    }
    if (
      outcome instanceof Promise && Object.getPrototypeOf(outcome) === Promise.prototype &&
      outcome.then === nativeThen
    ) {
      // A native promise (any async function's) runs its reactions in the
      // context they were made in, so shared handlers find the task there:
      // no two closures per task, retained for its whole life.
      outcome.then(Task.#onBodyReturned, Task.#onBodyFailed);
    } else if (outcome instanceof Future && outcome.then === Future.prototype.then) {
      // A library Future (`() => sleep(1)`): the task waits on it, so that a
      // cancel reaches it.
      outcome._finishTaskWith(this as Task<unknown>);
    } else if (isThenable(outcome)) {
      // Foreign thenables may call back from anywhere: these get closures.
      outcome.then(
        (value: unknown) => this._bodyReturned(value as T),
        (error: unknown) => this._bodyFailed(error),
      );
    } else {
      this._bodyReturned(outcome as T);
    }
  }

  /** @internal Call the function with its arguments, letting go of both. */
  _callBody(): unknown {
    const coro = this.#coro;
    const args = this.#args;
    this.#coro = coroName(coro);
    this.#args = NO_ARGUMENTS;
    if (args === NO_ARGUMENTS) return (coro as AnyCoroutine)();
    if (!(args instanceof ArgumentList)) return (coro as AnyCoroutine)(args);
    const { list, start } = args;
    // Spelled out for two so that no argument array is made.
    return list.length - start === 2
      ? (coro as AnyCoroutine)(list[start], list[start + 1])
      : (coro as AnyCoroutine)(...list.slice(start));
  }

  static readonly #onBodyReturned = (value: unknown): void => {
    (taskInContext() as Task<unknown>)._bodyReturned(value);
  };

  static readonly #onBodyFailed = (error: unknown): void => {
    (taskInContext() as Task<unknown>)._bodyFailed(error);
  };

  /**
   * @internal The body awaits the pending `future`: it is now the waiter.
   * `byCall`: the wait was started by a call (the library's own waits), so
   * the body may still be running until its next await.
   */
  _suspendOn(future: Future<unknown>, byCall = false): void {
    this._waiter = future;
    if (this._mustCancel && future.cancel(this._cancelMessage)) this._mustCancel = false;
    // A library coroutine this step started, still running in microtasks,
    // ends inside this step: the task is not suspended until then.
    if (future instanceof Coroutine && future._waiter === null) return;
    const loop = this.getLoop();
    if (byCall) loop._endStepSoon(this as Task<unknown>);
    else loop._endStep(this as Task<unknown>);
  }

  /**
   * @internal `future`, which the body awaited, is done and the body resumes
   * now. Returns the CancelledError to throw instead of the outcome when a
   * cancel came too late to cancel the waiter.
   */
  _wakeUp(future: Future<unknown>): CancelledError | null {
    if (this._waiter === future) this._waiter = null;
    if (this.done()) return null;
    this.getLoop()._beginStep(this as Task<unknown>);
    if (!this._mustCancel) return null;
    this._mustCancel = false;
    return loopCancelledError(this._cancelMessage);
  }

  /** @internal The body finished with `value`. */
  _bodyReturned(value: unknown): void {
    if (this._mustCancel) {
      // Cancelled while the body was finishing: asyncio still cancels it.
      this._mustCancel = false;
      Future.prototype.cancel.call(this, this._cancelMessage);
    } else {
      this._finishWithResult(value as T);
    }
    this._afterDone();
  }

  /** @internal The body failed with `error`. */
  _bodyFailed(error: unknown): void {
    if (error instanceof CancelledError) {
      Future.prototype.cancel.call(this);
      // The first retrieval re-raises this very error, message included.
      this._cancelledError = error;
    } else {
      this._finishWithException(
        error === undefined ? new Error("Task failed with undefined") : error,
      );
    }
    this._afterDone();
  }

  /** @internal The task is done: it leaves the loop's live tasks and ends its step. */
  _afterDone(): void {
    const loop = this.getLoop();
    loop._unlinkTask(this as Task<unknown>);
    if (signalsAsked) signals.delete(this as Task<unknown>);
    this._waiter = null;
    loop._endStep(this as Task<unknown>);
  }
}

// The AbortControllers of the tasks whose `signal` was asked for, until
// they are done: few tasks need one, and a field in every task would cost
// them all 8 bytes.
const signals = new WeakMap<Task<unknown>, AbortController>();
// Until then, the lookups are skipped.
let signalsAsked = false;

function startTask(task: Task<unknown>): void {
  task._start();
}

// The shared body handlers need the engine's own then(), which runs a
// reaction in the context it was made in; a then() patched later (a zone
// library, say) gets the closures.
const nativeThen = Promise.prototype.then;

// A task's #args when it takes none (null is an argument).
const NO_ARGUMENTS = Symbol("no arguments");

/** Two or more arguments: `list[start...]` (the module's own class, so no argument is one). */
class ArgumentList {
  constructor(readonly list: readonly unknown[], readonly start: number) {}
}

// The task whose first step runInTask is about to run: a handoff (see
// HANDED_OFF) to Task.#firstStep.
let startingTask: Task<unknown> | null = null;

// A handoff: arguments passed to a call through a module-level slot, read
// back at once by the callee, instead of through an object or a closure
// made per call. The hot paths use it in three places: this one (the
// constructor gets createTask's loop and argument array, so the public
// constructor keeps its plain signature and the fast path allocates no
// options object), `startingTask` (Task._start), and the captured resolvers
// of futures.ts. The callee runs synchronously, so a slot is never read by
// anyone else.
const HANDED_OFF: TaskOptions = {};
const handoff: { loop: EventLoop | null; spec: readonly unknown[] | null } = {
  loop: null,
  spec: null,
};

/** @internal `loop.createTask(...spec)` after its checks: `spec` is kept, not copied. */
export function createTaskFromSpec<T>(loop: EventLoop, spec: readonly unknown[]): Task<T> {
  const factory = loop.getTaskFactory();
  if (factory !== null) return createWithFactory(factory, loop, spec) as Task<T>;
  handoff.loop = loop;
  handoff.spec = spec;
  return new Task<T>(undefined as never, HANDED_OFF);
}

type AnyCoroutine = (...args: unknown[]) => unknown;

function createWithFactory(factory: TaskFactory, loop: EventLoop, spec: readonly unknown[]) {
  const head = spec[0];
  const named = typeof head === "object" && head !== null && !isThenable(head);
  const coro = named ? spec[1] : head;
  checkCoroutine(coro, "createTask");
  const options: TaskConstructorOptions = { args: spec.slice(named ? 2 : 1) };
  if (named && (head as TaskOptions).name !== undefined) options.name = (head as TaskOptions).name;
  const task = factory(loop, coro as CoroutineFunction<unknown, unknown[]>, options);
  if (!(task instanceof Task)) {
    throw new TypeError(
      `Cannot create a task: the task factory returned ${reprValue(task)}, not a Task`,
    );
  }
  return task;
}

/**
 * The task factory of eager tasks: a task's body starts at once, inside
 * `createTask`, and runs until its first suspension; a body that finishes
 * without suspending never goes through the loop, which saves a loop
 * iteration per task when results are often ready (a cache hit, say).
 * Python 3.12: `asyncio.eager_task_factory`.
 *
 * Not promised: an async body that returns without awaiting is done only
 * after a microtask (its promise settles then), not when `createTask`
 * returns; a plain function's is done at once.
 *
 * @example
 * ```ts
 * import { createTask, eagerTaskFactory, getRunningLoop, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   getRunningLoop().setTaskFactory(eagerTaskFactory);
 *   const order: string[] = [];
 *   const task = createTask(() => {
 *     order.push("body");
 *     return 1;
 *   });
 *   order.push("after createTask");
 *   console.log(order, task.done()); // [ "body", "after createTask" ] true
 * });
 * ```
 */
export const eagerTaskFactory: TaskFactory = (
  loop: EventLoop,
  coro: CoroutineFunction<unknown, unknown[]>,
  options: TaskConstructorOptions,
): Task<unknown> => new Task(coro, { ...options, loop, eagerStart: true });

function coroName(coro: unknown): string {
  if (typeof coro === "string") return coro;
  return typeof coro === "function" ? coro.name || "<anonymous>" : "<promise>";
}

/**
 * @internal Check what `createTask`, `run` and `TaskGroup.createTask` were
 * given: a function. A promise has already started outside any task, so a
 * task around it could not cancel it: refuse it and show the right form.
 *
 * @throws {TypeError} for a promise (naming `ensureFuture` for waiting on
 * one) or anything else that is not a function.
 */
export function checkCoroutine(coro: unknown, api: string): void {
  if (typeof coro === "function") return;
  if (isThenable(coro)) {
    throw new TypeError(
      `${api}() takes the async function, not a promise: the promise has already started ` +
        `outside any task, so the task could not cancel it. Write ${api}(work) or ` +
        `${api}(() => work(x)); to wait for a promise that is already running, use ` +
        "ensureFuture(promise)",
    );
  }
  throw new TypeError(`a coroutine was expected, got ${reprValue(coro)}`);
}

/**
 * Start `coro(...args)` as a Task on the running loop. Pass a `{ name }`
 * object first to name the task. Python: `asyncio.create_task(coro(x))` is
 * `createTask(coro, x)` or `createTask(() => coro(x))`: the function, not
 * its promise, since calling an async function already starts it.
 *
 * @throws {RuntimeError} `no running event loop`.
 * @throws {TypeError} if `coro` is not a function; a promise gets a message
 * showing the function form (and `ensureFuture` to wait for a promise).
 *
 * @example Two tasks at once
 * ```ts
 * import { createTask, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const a = createTask(async (n: number) => { await sleep(0.1); return n; }, 1);
 *   const b = createTask({ name: "b" }, async () => 2);
 *   console.log(await a + await b); // 3
 * });
 * ```
 */
export function createTask<T, A extends unknown[]>(...spec: CoroutineArgs<T, A>): Task<T> {
  // Not loop.createTask(...spec): that would copy the argument array the
  // task keeps. A running loop is never closed, so there is nothing to check.
  return createTaskFromSpec<T>(requireRunningLoop(), spec);
}

/**
 * The task running the calling code, or `null` outside every task (in a
 * plain callback, say). Python: `asyncio.current_task`.
 *
 * @param loop Only a task of this loop counts. @default the running loop
 * @throws {RuntimeError} `no running event loop` without `loop` when none runs.
 */
export function currentTask(loop?: EventLoop): Task<unknown> | null {
  const owner = loopArgument(loop, "find the current task");
  const task = taskInContext();
  return task !== undefined && !task.done() && task.getLoop() === owner ? task : null;
}

/**
 * The tasks of `loop` that are not done yet. Python: `asyncio.all_tasks`.
 *
 * @param loop @default the running loop
 * @throws {RuntimeError} `no running event loop` without `loop` when none runs.
 * @throws {TypeError} if `loop` is not an EventLoop.
 */
export function allTasks(loop?: EventLoop): Set<Task<unknown>> {
  return new Set(loopArgument(loop, "list the tasks")._liveTasks());
}

/** The `loop` argument of `currentTask`/`allTasks`, checked, or the running loop. */
function loopArgument(loop: unknown, action: string): EventLoop {
  if (loop === undefined) return requireRunningLoop();
  // Not `instanceof EventLoop`: loop.ts imports this module.
  if (typeof (loop as EventLoop | null)?._liveTasks !== "function") {
    throw new TypeError(`Cannot ${action}: expected an EventLoop, received ${reprValue(loop)}`);
  }
  return loop as EventLoop;
}

/**
 * @internal A Future on `loop` that settles as `thenable` does. If the Future
 * is cancelled first, the thenable's outcome is dropped (and a rejection
 * never reaches the host as unhandled).
 */
export function wrapThenable<T>(thenable: PromiseLike<T>, loop: EventLoop): Future<T> {
  // A closed loop would never settle the Future: refuse, as asyncio does.
  loop._checkOpen();
  const future = new Future<T>(loop);
  // The loop waits for the host while the promise is pending.
  loop._holdHost();
  const settle = (settleFuture: () => void) => {
    loop._releaseHost();
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
