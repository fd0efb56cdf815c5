/**
 * `Future`: a result that will be set later, awaitable from async functions.
 *
 * Futures are thenables, not Promises: `await future` works everywhere, and
 * when a task awaits one the future becomes that task's waiter, which is how
 * `task.cancel()` reaches the `await` (see `tasks.ts`). Done callbacks, and
 * the continuations of everyone awaiting, are scheduled on the loop with
 * `callSoon`, never run synchronously, as in asyncio.
 *
 * @module
 */

import { CancelledError, InvalidStateError, loopCancelledError, RuntimeError } from "./errors.ts";
import {
  captureCallbackContext,
  captureContext,
  type CreatorContext,
  resumeInContext,
  taskInContext,
} from "./_current_task.ts";
import { runningLoopOrNull } from "./_running_loop.ts";
import { reprValue } from "./_repr.ts";
import { checkFunction } from "./_checks.ts";
import { creationSite, recordAwaitSite, recordCreationSite } from "./_debug.ts";
import type { EventLoop, UnretrievedRecord } from "./loop.ts";
import type { Task } from "./tasks.ts";

/**
 * What waits on futures and is resumed by the loop, one step at a time: a
 * Task, or a library coroutine (`_waits.ts`). The loop's pump waits for the
 * step of one of them at a time (see `loop.ts`). For the library's own use,
 * but kept in the npm build's declarations, since `Task implements Stepper`
 * needs it there.
 */
export interface Stepper {
  /** @internal The pending future it is parked on, if any. */
  _waiter: Future<unknown> | null;
  getLoop(): EventLoop;
  done(): boolean;
  /** @internal It now waits on the pending `future`; `byCall`: the wait was started by a call it may not have awaited yet. */
  _suspendOn(future: Future<unknown>, byCall: boolean): void;
  /** @internal `future`, which it waited on, is done: its step starts; the CancelledError to throw instead of the outcome, if any. */
  _wakeUp(future: Future<unknown>): CancelledError | null;
}

/** The states of a Future: it leaves `pending` once, for one of the others. */
export type FutureState = "pending" | "cancelled" | "finished";

/** A callback given to `addDoneCallback`: called with the finished future. */
export type DoneCallback<T> = (future: Future<T>) => void;

// A future's callbacks are kept as flat (function, argument) pairs, the form
// the loop's ready queue takes, so that scheduling them allocates nothing.
// PASS_FUTURE as the argument means "call it with the future" (a done
// callback); a waiting then() or await carries its Waiting instead.
type Callback = (argument: unknown) => void;
const PASS_FUTURE = Symbol("pass the future");
// The marker in a future's callback slot for "more than one; see the list".
const MANY = Symbol("many callbacks");

// A future's outcome before it is done, and once it is cancelled.
const PENDING = Symbol("pending");
const CANCELLED = Symbol("cancelled");

/** A failed future's outcome: the exception, and the loop's record of it until someone looks. */
class Failure {
  unretrieved: UnretrievedRecord | null = null;
  constructor(readonly exception: unknown) {}
}

/**
 * A result that is not there yet. Python: `asyncio.Future`.
 *
 * Most code never makes one: tasks, `sleep` and the other functions return
 * them. Make one with `loop.createFuture()` to bridge a callback API into
 * `await`.
 *
 * @typeParam T The type of the result.
 *
 * @example Bridging a callback
 * ```ts
 * import { getRunningLoop, run } from "@asyncio-ts/asyncio";
 * const value = await run(async () => {
 *   const future = getRunningLoop().createFuture<number>();
 *   setTimeout(() => future.setResult(42), 1);
 *   return await future;
 * });
 * console.log(value); // 42
 * ```
 */
export class Future<T = unknown> implements PromiseLike<T> {
  // Invariants: #outcome leaves PENDING exactly once, for CANCELLED, the
  // result, or a Failure for an exception (the state is read from it: one
  // field for both). Callbacks: #callback null means
  // none; one pair is #callback/#argument (most futures get one or none);
  // with more, #callback is MANY and #argument the flat list of pairs. All
  // are cleared once the future is done (its callbacks went to the loop).
  // Five fields: tasks and every waiter of a lock or queue are futures.
  // No private methods (here, in Task or in Continuation): V8 gives every
  // instance of a class that has one an 8-byte brand.
  #outcome: unknown = PENDING;
  #callback: unknown = null;
  #argument: unknown = undefined;
  // The message given to cancel(), or (tasks, library coroutines) the
  // CancelledError that ended the body: see _cancelledError.
  #cancellation: string | CancelledError | undefined = undefined;
  readonly #loop: EventLoop;

  /**
   * Make a pending future of `loop`.
   *
   * @param loop The loop whose `callSoon` runs this future's callbacks.
   * @default the running loop
   * @throws {RuntimeError} without `loop` when no loop is running.
   */
  constructor(loop?: EventLoop) {
    const owner = loop ?? runningLoopOrNull();
    if (owner === null) throw new RuntimeError("no running event loop");
    this.#loop = owner;
    if (owner.getDebug()) recordCreationSite(this);
  }

  /**
   * Where the future was created (oldest frame first, the library's own
   * frames left out), if debug mode was on then; else `undefined`. Python:
   * `Future._source_traceback`.
   */
  get sourceTraceback(): readonly string[] | undefined {
    return creationSite(this);
  }

  /** @internal The state, read from the outcome. */
  get _state(): FutureState {
    const outcome = this.#outcome;
    return outcome === PENDING ? "pending" : outcome === CANCELLED ? "cancelled" : "finished";
  }

  /** The loop this future belongs to. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** Whether the future has a result, an exception, or was cancelled. */
  done(): boolean {
    return this.#outcome !== PENDING;
  }

  /** Whether the future was cancelled. */
  cancelled(): boolean {
    return this.#outcome === CANCELLED;
  }

  /**
   * The result. Throws the stored exception if there is one.
   *
   * @throws {CancelledError} if the future was cancelled.
   * @throws {InvalidStateError} if the future is not done yet.
   */
  result(): T {
    if (this.#outcome === CANCELLED) throw this._makeCancelledError();
    if (this.#outcome === PENDING) throw new InvalidStateError("Result is not set.");
    const outcome = this.#outcome;
    if (outcome instanceof Failure) {
      this._markRetrieved();
      throw outcome.exception;
    }
    return outcome as T;
  }

  /**
   * The stored exception, or `null` if the future has a result.
   *
   * @throws {CancelledError} if the future was cancelled.
   * @throws {InvalidStateError} if the future is not done yet.
   */
  exception(): unknown {
    if (this.#outcome === CANCELLED) throw this._makeCancelledError();
    if (this.#outcome === PENDING) throw new InvalidStateError("Exception is not set.");
    const outcome = this.#outcome;
    if (!(outcome instanceof Failure)) return null;
    this._markRetrieved();
    return outcome.exception;
  }

  /**
   * Finish the future with a result and schedule its callbacks.
   *
   * @throws {InvalidStateError} if the future is already done.
   */
  setResult(result: T): void {
    if (this.#outcome !== PENDING) throw new InvalidStateError("invalid state");
    this.#outcome = result;
    this._scheduleCallbacks();
  }

  /**
   * Finish the future with an exception and schedule its callbacks.
   *
   * @throws {InvalidStateError} if the future is already done.
   * @throws {TypeError} if `exception` is `undefined` (nothing to raise).
   */
  setException(exception: unknown): void {
    if (this.#outcome !== PENDING) throw new InvalidStateError("invalid state");
    if (exception === undefined) {
      throw new TypeError("Cannot set an exception of undefined: pass an Error");
    }
    const failure = new Failure(exception);
    this.#outcome = failure;
    this._scheduleCallbacks();
    failure.unretrieved = this.#loop._noteUnretrieved(this, exception);
  }

  /**
   * Cancel the future: if it is pending, it becomes cancelled and its
   * callbacks are scheduled. Returns `false` if it was already done.
   *
   * @param message Carried by the `CancelledError` that awaiting it raises.
   */
  cancel(message?: string): boolean {
    this._markRetrieved();
    if (this.#outcome !== PENDING) return false;
    this.#outcome = CANCELLED;
    this._cancelMessage = message === undefined ? undefined : String(message);
    this._scheduleCallbacks();
    return true;
  }

  /**
   * Call `callback(future)` once the future is done, through the loop's
   * `callSoon` (at once, if it is already done). It runs in the context of
   * the code adding it (its `AsyncLocalStorage` values), as in Python.
   */
  addDoneCallback(callback: DoneCallback<T>): void {
    checkFunction(callback, "add a done callback");
    if (this.#outcome !== PENDING) this.#loop.callSoon(callback, this);
    else {
      const context = captureCallbackContext();
      this._addCallback(
        runInItsContext,
        new InContext(callback as DoneCallback<unknown>, this, context),
      );
    }
  }

  /**
   * @internal `addDoneCallback` for the library's own callbacks (gather,
   * shield, ...): no context is captured, and call graphs can read the
   * combinator's mark on it (`markAwaitedBy`).
   */
  _addDoneCallback(callback: DoneCallback<T>): void {
    if (this.#outcome !== PENDING) this.#loop._schedule(callback, this);
    else this._addCallback(callback, PASS_FUTURE);
  }

  /** Remove every registration of `callback`; returns how many were removed. */
  removeDoneCallback(callback: DoneCallback<T>): number {
    const callbacks = this._takeCallbacks();
    if (callbacks === null) return 0;
    let removed = 0;
    for (let i = 0; i < callbacks.length; i += 2) {
      const argument = callbacks[i + 1];
      const matches = argument === PASS_FUTURE
        ? callbacks[i] === callback
        : callbacks[i] === runInItsContext && (argument as InContext).callback === callback;
      if (matches) removed++;
      else this._addCallback(callbacks[i], argument);
    }
    return removed;
  }

  /**
   * Make the future awaitable. Awaiting it from a task makes it the task's
   * waiter, so cancelling the task cancels this future and the `await`
   * throws `CancelledError`. An `await` calls `then` with both handlers,
   * and a task's own code calling it with both is taken for an await (the
   * task's step ends there), so attach callbacks with one handler, `catch`,
   * `finally` or `addDoneCallback`: those never suspend the calling task.
   */
  then<R1 = T, R2 = never>(
    onFulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    // deno-lint-ignore no-explicit-any
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    // A task's code calling `future.then(callback)` directly must not end
    // its step: the loop would run the next callbacks in the middle of it.
    // A done future suspends no one, so its awaiter need not be looked up.
    const awaiter = typeof onRejected === "function" && this.#outcome === PENDING
      ? taskInContext()
      : undefined;
    return this._chain(onFulfilled, onRejected, awaiter);
  }

  /** As `Promise.prototype.catch`; the future does not become the caller's waiter. */
  catch<R = never>(
    // deno-lint-ignore no-explicit-any
    onRejected?: ((reason: any) => R | PromiseLike<R>) | null,
  ): Promise<T | R> {
    return this._chain(undefined, onRejected, undefined);
  }

  /** As `Promise.prototype.finally`; the future does not become the caller's waiter. */
  finally(onFinally?: (() => void) | null): Promise<T> {
    return this._chain<T, never>(undefined, undefined, undefined).finally(onFinally);
  }

  /** `Object.prototype.toString` calls it `[object Future]`; with `catch` and `finally`, a Future is a `Promise` to TypeScript. */
  get [Symbol.toStringTag](): string {
    return "Future";
  }

  /** @internal `then`, `catch` and `finally`: a Continuation for the handlers, registered. */
  _chain<R1, R2>(
    onFulfilled: ((value: T) => R1 | PromiseLike<R1>) | null | undefined,
    onRejected: ((reason: unknown) => R2 | PromiseLike<R2>) | null | undefined,
    awaiter: Stepper | undefined,
  ): Promise<R1 | R2> {
    // Done: nothing to wait for, so no one to remember (an await of a
    // queue's get() with an item there, say). The handler runs now, as
    // for a Continuation registered on a done future.
    if (this.#outcome !== PENDING) {
      return thenDone(this, onFulfilled, onRejected) as Promise<R1 | R2>;
    }
    const continuation = new Continuation(
      this as Future<unknown>,
      awaiter,
      onFulfilled as ((value: unknown) => unknown) | null | undefined,
      onRejected,
    );
    this._register(continuation);
    return continuation as Promise<R1 | R2>;
  }

  /**
   * @internal `await future._wait()` is `await future` for the library's own
   * code: the promise awaited is a native one, so V8 makes no promise and
   * job of its own for a thenable. The future becomes the calling task's
   * waiter at once; the task's step ends once the calling code is done (it
   * may await later).
   */
  _wait(): Promise<T> {
    return this._waitBy(taskInContext());
  }

  /**
   * @internal As `_wait()`, for `awaiter` (a library coroutine waiting on
   * this future on its own account, not on its caller task's).
   */
  _waitBy(awaiter: Stepper | undefined): Promise<T> {
    const promise = new Promise(captureResolvers) as Promise<T>;
    const wait = new NativeWait(
      this as Future<unknown>,
      awaiter,
      capturedResolve!,
      capturedReject!,
    );
    capturedResolve = capturedReject = null;
    this._register(wait, true);
    return promise;
  }

  /**
   * @internal `_wait().then(() => onDone(first, second))` without the
   * promise in between and the closure: once this future is done, in the
   * step where the calling task resumes, `onDone` runs in the calling
   * code's context, and the promise returned follows what it returns; the
   * future's failure (a cancel) rejects it instead. A task parked in a
   * lock's `with()` holds this and the promise.
   */
  _waitThen<A, B, R>(
    onDone: (first: A, second: B) => R | PromiseLike<R>,
    first: A,
    second: B,
  ): Promise<Awaited<R>> {
    const promise = new Promise(captureResolvers) as Promise<Awaited<R>>;
    const wait = new ResumingWait(
      this as Future<unknown>,
      taskInContext(),
      capturedResolve!,
      capturedReject!,
      captureContext(),
      onDone as (first: unknown, second: unknown) => unknown,
      first,
      second,
    );
    capturedResolve = capturedReject = null;
    this._register(wait, true);
    return promise;
  }

  /**
   * @internal `task`'s body returned this future (`() => sleep(1)`): the
   * task waits on it as `then()` from inside the task would, but without
   * the promise nobody sees.
   */
  _finishTaskWith(task: Task<unknown>): void {
    this._register(new BodyWait(this as Future<unknown>, task));
  }

  /** @internal `waiting` waits for the outcome; its awaiter, if any, suspends on this future. */
  _register(waiting: Waiting, byCall = false): void {
    const awaiter = waiting.awaiter;
    if (awaiter === (this as unknown)) {
      waiting.deliver(true, new RuntimeError(`Task cannot await on itself: ${this}`));
    } else if (this.#outcome !== PENDING) {
      // Awaiting a done future does not suspend, as in asyncio.
      waiting.settle(null);
    } else if (awaiter === undefined || awaiter.done()) {
      waiting.awaiter = undefined;
      this._addCallback(resumeWaiting, waiting);
    } else if (awaiter.getLoop() !== this.#loop) {
      // Its loop would never resume this task: fail now, as asyncio does.
      waiting.awaiter = undefined;
      waiting.deliver(
        true,
        new RuntimeError(`Task ${awaiter} got Future ${this} attached to a different loop`),
      );
    } else {
      this._addCallback(resumeWaiting, waiting);
      // A body that returned this future has no await to show.
      if (this.#loop.getDebug() && !(waiting instanceof BodyWait)) recordAwaitSite(awaiter);
      awaiter._suspendOn(this as Future<unknown>, byCall);
    }
  }

  /**
   * @internal Who waits for this future, read from its callbacks (call
   * graphs, `graph.ts`): the task or library coroutine suspended on it, and
   * the future a combinator finishes from a done callback it marked with
   * `markAwaitedBy`. Pushed onto `out`; nothing is kept per future.
   */
  _awaitedBy(out: unknown[]): void {
    const callback = this.#callback;
    if (callback === null) return;
    if (callback !== MANY) {
      pushAwaiter(callback, this.#argument, out);
      return;
    }
    const pairs = this.#argument as unknown[];
    for (let i = 0; i < pairs.length; i += 2) pushAwaiter(pairs[i], pairs[i + 1], out);
  }

  /** The future's state for logs: `<Future finished result=1>`. */
  toString(): string {
    const name = this.constructor.name;
    if (this.#outcome === PENDING) return `<${name} pending>`;
    if (this.#outcome === CANCELLED) return `<${name} cancelled>`;
    const outcome = this.#outcome;
    return outcome instanceof Failure
      ? `<${name} finished exception=${reprValue(outcome.exception)}>`
      : `<${name} finished result=${reprValue(outcome)}>`;
  }

  /** @internal The message given to `cancel()`, if any. */
  get _cancelMessage(): string | undefined {
    const cancellation = this.#cancellation;
    return typeof cancellation === "string" ? cancellation : undefined;
  }

  set _cancelMessage(message: string | undefined) {
    this.#cancellation = message;
  }

  /**
   * @internal For tasks and library coroutines: the CancelledError that
   * ended the body, which the first retrieval raises. It takes the
   * message's place (asyncio cancels such a task with no message), so set
   * it after cancelling.
   */
  get _cancelledError(): CancelledError | null {
    const cancellation = this.#cancellation;
    return cancellation instanceof CancelledError ? cancellation : null;
  }

  set _cancelledError(error: CancelledError | null) {
    this.#cancellation = error ?? undefined;
  }

  /** @internal The error that a retrieval of this cancelled future raises. */
  _makeCancelledError(): CancelledError {
    const saved = this._cancelledError;
    if (saved !== null) {
      this._cancelledError = null;
      return saved;
    }
    return loopCancelledError(this._cancelMessage);
  }

  /** @internal The exception, without counting as a retrieval (for reprs). */
  _peekException(): unknown {
    const outcome = this.#outcome;
    return outcome instanceof Failure ? outcome.exception : undefined;
  }

  /** @internal Someone looked at the outcome: no "never retrieved" report. */
  _markRetrieved(): void {
    const outcome = this.#outcome;
    if (outcome instanceof Failure && outcome.unretrieved !== null) {
      this.#loop._forgetUnretrieved(outcome.unretrieved);
      outcome.unretrieved = null;
    }
  }

  /**
   * @internal Finish with `result` from inside a loop callback or a step,
   * delivering it at once to the code waiting on this future (see
   * `_runCallbacksNow`).
   */
  _setResultNow(result: T): void {
    this.#outcome = result;
    this._runCallbacksNow();
  }

  /** @internal As `_setResultNow`, with an exception. */
  _setExceptionNow(exception: unknown): void {
    const failure = new Failure(exception);
    this.#outcome = failure;
    // Noted first: the waiter run now retrieves it.
    failure.unretrieved = this.#loop._noteUnretrieved(this, exception);
    this._runCallbacksNow();
  }

  /**
   * @internal Cancel without scheduling the callbacks: whoever calls this
   * runs them later with `_runCallbacksNow` (a `sleep(0)` whose wake-up is
   * already queued). False if the future is done.
   */
  _cancelQuietly(message?: string): boolean {
    if (this.#outcome !== PENDING) return false;
    this.#outcome = CANCELLED;
    this._cancelMessage = message;
    return true;
  }

  /**
   * @internal As `_cancelQuietly`, but a cancelled future is cancelled
   * again, with `message` (a `sleep(0)` keeps a task's last cancel message).
   */
  _cancelQuietlyAgain(message?: string): boolean {
    if (this.#outcome === CANCELLED) this.#outcome = PENDING;
    return this._cancelQuietly(message);
  }

  /**
   * @internal The future is done: run its first waiter (an `await`, a
   * library wait) now, inside the current loop callback or step, as a
   * coroutine awaiting it resumes in asyncio's step; schedule the rest, and
   * every done callback, as usual. Only one waiter resumes now, since the
   * loop follows one step at a time.
   */
  _runCallbacksNow(): void {
    const callback = this.#callback;
    if (callback === null) return;
    const argument = this.#argument;
    this.#callback = null;
    this.#argument = undefined;
    if (callback === resumeWaiting) {
      resumeWaiting(argument as Waiting);
      return;
    }
    if (callback !== MANY) {
      this.#loop._schedule(callback as Callback, argument === PASS_FUTURE ? this : argument);
      return;
    }
    const pairs = argument as unknown[];
    let resumed = false;
    for (let i = 0; i < pairs.length; i += 2) {
      const each = pairs[i + 1];
      if (!resumed && pairs[i] === resumeWaiting) {
        resumed = true;
        resumeWaiting(each as Waiting);
      } else {
        this.#loop._schedule(pairs[i] as Callback, each === PASS_FUTURE ? this : each);
      }
    }
  }

  /** @internal For Task: finish with a result, bypassing Task's refusal. */
  protected _finishWithResult(result: T): void {
    Future.prototype.setResult.call(this, result);
  }

  /** @internal For Task: finish with an exception, bypassing Task's refusal. */
  protected _finishWithException(exception: unknown): void {
    Future.prototype.setException.call(this, exception);
  }

  /** @internal Add one (callback, argument) pair, in order. */
  _addCallback(callback: unknown, argument: unknown): void {
    const first = this.#callback;
    if (first === null) {
      this.#callback = callback;
      this.#argument = argument;
    } else if (first === MANY) {
      (this.#argument as unknown[]).push(callback, argument);
    } else {
      this.#argument = [first, this.#argument, callback, argument];
      this.#callback = MANY;
    }
  }

  /** @internal All callback pairs in order, as one flat list (null if none); the future keeps none. */
  _takeCallbacks(): unknown[] | null {
    const callback = this.#callback;
    if (callback === null) return null;
    const argument = this.#argument;
    this.#callback = null;
    this.#argument = undefined;
    return callback === MANY ? argument as unknown[] : [callback, argument];
  }

  /** @internal The future is done: hand every callback to the loop. */
  _scheduleCallbacks(): void {
    const callback = this.#callback;
    if (callback === null) return;
    const argument = this.#argument;
    this.#callback = null;
    this.#argument = undefined;
    const loop = this.#loop;
    loop._checkOpen();
    if (callback !== MANY) {
      loop._schedule(callback as Callback, argument === PASS_FUTURE ? this : argument);
      return;
    }
    const pairs = argument as unknown[];
    for (let i = 0; i < pairs.length; i += 2) {
      const each = pairs[i + 1];
      loop._schedule(pairs[i] as Callback, each === PASS_FUTURE ? this : each);
    }
  }
}

/**
 * @internal A Future of `loop` that already failed with `error`: how a wait
 * that cannot start (bad arguments, the wrong loop) reports it, as an async
 * function's rejected promise would.
 */
export function failedFuture<T>(loop: EventLoop, error: unknown): Future<T> {
  const failed = new Future<T>(loop);
  failed.setException(error);
  return failed;
}

/** Whether `value` is an asyncio-ts Future (or Task). Python: `asyncio.isfuture`. */
export function isFuture(value: unknown): value is Future<unknown> {
  return value instanceof Future;
}

// `new Promise(captureResolvers)` hands over the resolving functions without
// allocating a closure per call (a handoff, as tasks.ts calls the pattern):
// the executor runs synchronously, so the two slots are read back right away.
let capturedResolve: ((value: unknown) => void) | null = null;
let capturedReject: ((reason: unknown) => void) | null = null;
function captureResolvers(resolve: (value: unknown) => void, reject: (reason: unknown) => void) {
  capturedResolve = resolve;
  capturedReject = reject;
}

/**
 * Someone waiting for a future: the task suspended on it, if any, and what
 * to do with its outcome. `then()` makes a Continuation, the library's own
 * waits a NativeWait, a task whose body returned the future a BodyWait.
 */
abstract class Waiting {
  constructor(readonly future: Future<unknown>, public awaiter: Stepper | undefined) {}

  /**
   * Take the future's outcome, or `cancelInstead`, to `deliver`. A
   * CancelledError the future already carries is kept: a cancel that
   * arrives while one is being delivered does not replace it (asyncio's
   * `Task.__step` makes a new one only for another kind of outcome).
   */
  settle(cancelInstead: CancelledError | null): void {
    let value: unknown;
    try {
      value = this.future.result();
    } catch (error) {
      this.deliver(true, error instanceof CancelledError ? error : cancelInstead ?? error);
      return;
    }
    if (cancelInstead !== null) this.deliver(true, cancelInstead);
    else this.deliver(false, value);
  }

  abstract deliver(failed: boolean, value: unknown): void;
}

/**
 * One `then()` (usually an `await`) waiting for a future, with the caller's
 * handlers.
 *
 * It is also what `then()` returns: a promise whose native Promise is made
 * only when someone uses it. An `await` (and `Promise.resolve`, and
 * `Promise.all`) ignores what `then()` returns, so most continuations never
 * make one: a parked await costs a promise and two closures less.
 */
class Continuation extends Waiting implements Promise<unknown> {
  // Invariants: #settlement is null until the handler ran or someone chained
  // onto this promise. Fulfilled first: FULFILLED, the value in #outcome
  // until a chain asks for it. Otherwise the native promise (with its
  // resolvers while it is pending): chained first, or a rejection nobody
  // chained onto, made a rejected promise at once so that the host reports
  // it as unhandled, as it would for a native then(). #outcome holds the
  // onFulfilled handler until the outcome arrives (the handlers are spent
  // then): five fields, and every parked await holds one.
  #settlement: typeof FULFILLED | Chained | null = null;
  #outcome: unknown;
  #onRejected: ((reason: unknown) => unknown) | null | undefined;

  constructor(
    future: Future<unknown>,
    awaiter: Stepper | undefined,
    onFulfilled: ((value: unknown) => unknown) | null | undefined,
    onRejected: ((reason: unknown) => unknown) | null | undefined,
  ) {
    super(future, awaiter);
    this.#outcome = onFulfilled;
    this.#onRejected = onRejected;
  }

  /** Call the handler; this promise follows it, as Promise.prototype.then does. */
  deliver(failed: boolean, value: unknown): void {
    const handler = failed ? this.#onRejected : this.#outcome;
    this.#outcome = this.#onRejected = undefined;
    value = runHandler(handler, failed, value);
    failed = handlerFailed;
    // Delivered once: nothing settled yet, at most chained.
    const chained = this.#settlement as Chained | null;
    if (chained !== null) {
      (failed ? chained.reject : chained.resolve)(value);
    } else if (failed || isThenable(value)) {
      // A rejection, or a thenable to adopt, cannot wait for someone to ask.
      this.#settlement = settledPromise(failed, value);
    } else {
      this.#settlement = FULFILLED;
      this.#outcome = value;
    }
  }

  then<R1 = unknown, R2 = never>(
    onFulfilled?: ((value: unknown) => R1 | PromiseLike<R1>) | null,
    // deno-lint-ignore no-explicit-any
    onRejected?: ((reason: any) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this._promise().then(onFulfilled, onRejected);
  }

  catch<R = never>(
    // deno-lint-ignore no-explicit-any
    onRejected?: ((reason: any) => R | PromiseLike<R>) | null,
  ): Promise<unknown> {
    return this._promise().catch(onRejected);
  }

  finally(onFinally?: (() => void) | null): Promise<unknown> {
    return this._promise().finally(onFinally);
  }

  get [Symbol.toStringTag](): string {
    return "Promise";
  }

  _promise(): Promise<unknown> {
    const settlement = this.#settlement;
    if (settlement === FULFILLED) {
      this.#settlement = settledPromise(false, this.#outcome);
      this.#outcome = undefined;
    } else if (settlement === null) {
      this.#settlement = pendingPromise();
    }
    return (this.#settlement as Chained).promise;
  }
}

// A Continuation fulfilled before anyone chained onto it.
const FULFILLED = Symbol("fulfilled");

/** A Continuation's native promise, with its resolvers while it is pending. */
interface Chained {
  readonly promise: Promise<unknown>;
  readonly resolve: (value: unknown) => void;
  readonly reject: (reason: unknown) => void;
}

function pendingPromise(): Chained {
  const promise = new Promise(captureResolvers);
  const chained = { promise, resolve: capturedResolve!, reject: capturedReject! };
  capturedResolve = capturedReject = null;
  return chained;
}

function settledPromise(failed: boolean, value: unknown): Chained {
  const chained = pendingPromise();
  (failed ? chained.reject : chained.resolve)(value);
  return chained;
}

/** `then()` on a done future: the handler's outcome as a native promise. */
function thenDone(
  future: Future<unknown>,
  onFulfilled: ((value: never) => unknown) | null | undefined,
  onRejected: ((reason: unknown) => unknown) | null | undefined,
): Promise<unknown> {
  let failed = false;
  let value: unknown;
  try {
    value = future.result();
  } catch (error) {
    failed = true;
    value = error;
  }
  value = runHandler(failed ? onRejected : onFulfilled, failed, value);
  return handlerFailed ? Promise.reject(value) : Promise.resolve(value);
}

// Whether runHandler's outcome is a failure: its second result, a handoff
// (see tasks.ts) read at once by the caller.
let handlerFailed = false;

/**
 * What `Promise.prototype.then` does with an outcome: call `handler` with
 * it, if there is one (a throw is a failure), else pass it on. Returns the
 * value, and leaves whether it is a failure in `handlerFailed`.
 */
function runHandler(handler: unknown, failed: boolean, value: unknown): unknown {
  handlerFailed = failed;
  if (typeof handler !== "function") return value;
  try {
    const result = (handler as (value: unknown) => unknown)(value);
    handlerFailed = false;
    return result;
  } catch (error) {
    handlerFailed = true;
    return error;
  }
}

/** Whether `value` has a `then` method (a promise or another thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null &&
    typeof (value as { then?: unknown }).then === "function";
}

/** A task's body returned the future: its outcome goes straight to the task. */
class BodyWait extends Waiting {
  constructor(future: Future<unknown>, readonly task: Task<unknown>) {
    super(future, task);
  }

  deliver(failed: boolean, value: unknown): void {
    if (failed) this.task._bodyFailed(value);
    else this.task._bodyReturned(value);
  }
}

/**
 * A `_wait()`: settles the native promise the library awaits (a TaskGroup's
 * exit, a library coroutine's inner wait).
 */
class NativeWait extends Waiting {
  constructor(
    future: Future<unknown>,
    awaiter: Stepper | undefined,
    readonly resolve: (value: unknown) => void,
    readonly reject: (reason: unknown) => void,
  ) {
    super(future, awaiter);
  }

  deliver(failed: boolean, value: unknown): void {
    (failed ? this.reject : this.resolve)(value);
  }
}

/**
 * A `_waitThen()`: resumes the calling code with its continuation, in its
 * context, and settles the native promise it was handed with the outcome.
 */
class ResumingWait extends NativeWait {
  constructor(
    future: Future<unknown>,
    awaiter: Stepper | undefined,
    resolve: (value: unknown) => void,
    reject: (reason: unknown) => void,
    readonly context: CreatorContext,
    readonly onDone: (first: unknown, second: unknown) => unknown,
    readonly first: unknown,
    readonly second: unknown,
  ) {
    super(future, awaiter, resolve, reject);
  }

  override deliver(failed: boolean, value: unknown): void {
    if (failed) {
      this.reject(value);
      return;
    }
    resuming = this;
    try {
      this.resolve(resumeInContext(this.context, runResuming));
    } catch (error) {
      this.reject(error);
    }
  }
}

// The wait whose continuation runResuming calls: a handoff (see tasks.ts).
let resuming: ResumingWait | null = null;

function runResuming(): unknown {
  const wait = resuming!;
  resuming = null;
  return wait.onDone(wait.first, wait.second);
}

// The property of a combinator's done callback that names the future it
// finishes (see markAwaitedBy).
const AWAITED_BY = Symbol("awaited by");

/**
 * @internal Mark `callback`, a done callback a combinator (gather, shield,
 * waitFor, wait, TaskGroup) adds to the futures it follows, as finishing
 * `outer`: call graphs then see `outer` (or, for a TaskGroup, its parent
 * task) waiting on each of them. One property on the combinator's one
 * callback, not a field per future.
 */
export function markAwaitedBy<C extends object>(callback: C, outer: Future<unknown>): C {
  (callback as { [AWAITED_BY]?: Future<unknown> })[AWAITED_BY] = outer;
  return callback;
}

function pushAwaiter(callback: unknown, argument: unknown, out: unknown[]): void {
  if (callback === resumeWaiting) {
    const awaiter = (argument as Waiting).awaiter;
    if (awaiter !== undefined) out.push(awaiter);
  } else if (argument === PASS_FUTURE) {
    const outer = (callback as { [AWAITED_BY]?: Future<unknown> })[AWAITED_BY];
    if (outer !== undefined) out.push(outer);
  }
}

/** A done callback added by user code, with the context it runs in. */
class InContext {
  constructor(
    readonly callback: DoneCallback<unknown>,
    readonly future: Future<unknown>,
    readonly context: ReturnType<typeof captureCallbackContext>,
  ) {}
}

/** The loop callback for a user's done callback: run it in its context. */
function runInItsContext(entry: InContext): void {
  try {
    entry.context.runInAsyncScope(entry.callback, null, entry.future);
  } catch (error) {
    entry.future.getLoop()._reportDoneCallbackError(entry.callback, entry.future, error);
  }
}

/** The loop callback for someone waiting for a future that is done. */
function resumeWaiting(waiting: Waiting): void {
  const awaiter = waiting.awaiter;
  waiting.settle(awaiter === undefined ? null : awaiter._wakeUp(waiting.future));
}
