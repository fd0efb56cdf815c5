/**
 * `wait`, `waitFor` and `asCompleted`: waiting for several awaitables, or
 * for one with a deadline.
 *
 * Design notes.
 * - `wait` resolves with a `[done, pending]` tuple of Sets, as Python's
 *   `done, pending = await asyncio.wait(...)` reads; it never cancels and
 *   never raises TimeoutError. It returns a Future (a `Waiter` of no queue,
 *   `_waits.ts`) whose grant step, at the iteration after the condition
 *   was met, computes the sets, as asyncio's task does when it wakes.
 * - `waitFor(aw, t)` with a Future or a promise returns a Future that
 *   follows `aw` under a deadline: cancelling it (or the task awaiting it)
 *   cancels `aw`, so `waitFor` can itself be handed to `gather` or another
 *   `waitFor`. With a function it is `timeout(t, aw)` (Python 3.12+): the
 *   function runs in the calling task, not in a new one, so it shares the
 *   caller's cancellation and context. Rejected: starting it as a Task
 *   (Python 3.11), which costs a task and hides `currentTask()`.
 * - `asCompleted` is both iterables of Python 3.13: plain iteration yields
 *   Futures resolving in completion order; `for await` yields the original
 *   Futures and Tasks as they finish.
 *
 * @module
 */

import { CancelledError, TimeoutError } from "./errors.ts";
import { failedFuture, Future, markAwaitedBy } from "./futures.ts";
import type { Handle } from "./handles.ts";
import { ensureFuture } from "./ensure_future.ts";
import { getEventLoop } from "./events.ts";
import type { EventLoop } from "./loop.ts";
import { checkSeconds, typeName } from "./_checks.ts";
import { reprValue } from "./_repr.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import type { CoroutineFunction } from "./tasks.ts";
import { timeout as timeoutBlock } from "./timeouts.ts";
import { Queue } from "./queues.ts";
import { Coroutine, doneFuture, Waiter, type WaitOwner } from "./_waits.ts";

/** `wait` returns when any awaitable finishes or is cancelled. */
export const FIRST_COMPLETED = "FIRST_COMPLETED";
/** `wait` returns when any awaitable fails (or when all are done). */
export const FIRST_EXCEPTION = "FIRST_EXCEPTION";
/** `wait` returns when all awaitables are done. */
export const ALL_COMPLETED = "ALL_COMPLETED";

/** When `wait` returns: one of `FIRST_COMPLETED`, `FIRST_EXCEPTION`, `ALL_COMPLETED`. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** Options for `wait`. */
export interface WaitOptions {
  /**
   * Seconds to wait at most; then `wait` returns what is done so far.
   * @default null (no limit)
   */
  timeout?: number | null;
  /**
   * When to return.
   * @default ALL_COMPLETED
   */
  returnWhen?: ReturnWhen;
}

/** Anything `waitFor`, `withSignal` and `asCompleted` accept: a Future, a promise, or an async function. */
export type Awaitable<T> = Future<T> | PromiseLike<T> | CoroutineFunction<T>;

/**
 * Wait for the Futures and Tasks in `aws` and resolve with `[done,
 * pending]`, two Sets. Nothing is cancelled, and a timeout is not an error:
 * what is not done is in `pending`. Python: `asyncio.wait`.
 *
 * Even when everything is already done it yields to the loop once, as
 * asyncio does.
 *
 * @param aws Futures or Tasks (start functions with `createTask` first).
 * @throws {TypeError} (on await) `expect a list of futures, not Task` for a
 * single Future or a function; `Passing coroutines is forbidden, use tasks
 * explicitly.` for a function in the list; a promise in the list.
 * @throws {RangeError} (on await) `Set of Tasks/Futures is empty.`,
 * `Invalid returnWhen value: X`.
 *
 * @example The first of several to finish
 * ```ts
 * import { createTask, FIRST_COMPLETED, run, sleep, wait } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const fast = createTask(() => sleep(0.01, "fast"));
 *   const slow = createTask(() => sleep(10, "slow"));
 *   const [done, pending] = await wait([fast, slow], { returnWhen: FIRST_COMPLETED });
 *   console.log(done.has(fast), pending.has(slow)); // true true
 *   slow.cancel();
 * });
 * ```
 */
export function wait<F extends Future<unknown>>(
  aws: Iterable<F>,
  options: WaitOptions = {},
): Future<[done: Set<F>, pending: Set<F>]> {
  const loop = requireRunningLoop();
  try {
    if (aws instanceof Future || typeof aws === "function" || !isIterable(aws)) {
      throw new TypeError(`expect a list of futures, not ${typeName(aws)}`);
    }
    const futures = new Set(aws);
    if (futures.size === 0) throw new RangeError("Set of Tasks/Futures is empty.");
    const { timeout = null, returnWhen = ALL_COMPLETED } = options;
    if (
      returnWhen !== FIRST_COMPLETED && returnWhen !== FIRST_EXCEPTION &&
      returnWhen !== ALL_COMPLETED
    ) {
      throw new RangeError(`Invalid returnWhen value: ${String(returnWhen)}`);
    }
    for (const future of futures) {
      if (typeof future === "function") {
        throw new TypeError("Passing coroutines is forbidden, use tasks explicitly.");
      }
      if (!(future instanceof Future)) {
        throw new TypeError(
          `Cannot wait for ${reprValue(future)}: expected a Future or Task ` +
            "(wrap a promise with ensureFuture())",
        );
      }
      checkSameLoop(future, loop);
    }
    if (timeout !== null) checkSeconds(timeout, "timeout");
    return new Waiting(loop, futures, timeout, returnWhen).waiter;
  } catch (error) {
    return failedFuture(loop, error);
  }
}

/** @throws {RangeError} if `future` belongs to another loop than `loop`. */
function checkSameLoop(future: Future<unknown>, loop: EventLoop): void {
  if (future.getLoop() !== loop) {
    throw new RangeError(
      `Cannot wait for ${future}: it belongs to a different event loop than the running one`,
    );
  }
}

/**
 * The Future of `wait()`: a Waiter of no queue, granted when the condition
 * is met (or the time is up); its grant step computes `[done, pending]`.
 */
class Waiting<F extends Future<unknown>> implements WaitOwner<[Set<F>, Set<F>]> {
  readonly waiter: Waiter<[done: Set<F>, pending: Set<F>]>;
  readonly #futures: Set<F>;
  readonly #returnWhen: ReturnWhen;
  readonly #timer: Handle | null;
  #left: number;

  constructor(loop: EventLoop, futures: Set<F>, timeout: number | null, returnWhen: ReturnWhen) {
    this.waiter = new Waiter(loop, this);
    this.#futures = futures;
    this.#returnWhen = returnWhen;
    this.#left = futures.size;
    markAwaitedBy(this.#onCompletion, this.waiter);
    for (const future of futures) future._addDoneCallback(this.#onCompletion);
    this.#timer = timeout === null ? null : loop._callLater(timeout, this.#release);
  }

  readonly #onCompletion = (future: Future<unknown>): void => {
    this.#left--;
    if (
      this.#left <= 0 || this.#returnWhen === FIRST_COMPLETED ||
      (this.#returnWhen === FIRST_EXCEPTION && !future.cancelled() && future.exception() !== null)
    ) {
      this.#release();
    }
  };

  readonly #release = (): void => {
    const waiter = this.waiter;
    if (!waiter.done() && waiter._place !== "granted") waiter._grant();
  };

  _take(waiter: Waiter<[Set<F>, Set<F>]>): void {
    this.#cleanUp();
    const done = new Set<F>();
    const pending = new Set<F>();
    for (const future of this.#futures) (future.done() ? done : pending).add(future);
    waiter._setResultNow([done, pending]);
  }

  // Cancelled or not, leave nothing behind on the futures.
  _withdraw(): void {
    this.#cleanUp();
  }

  #cleanUp(): void {
    this.#timer?.cancel();
    for (const future of this.#futures) future.removeDoneCallback(this.#onCompletion);
  }
}

/**
 * Await `aw` for at most `timeout` seconds: past that, `aw` is cancelled,
 * its cancellation awaited, and `TimeoutError` raised (its `cause` is the
 * CancelledError). Python: `asyncio.wait_for` (3.12+).
 *
 * - A Future or Task is followed by the returned Future, and cancelled on
 *   timeout; a promise is wrapped, and only the wait for it is cancelled.
 *   Cancelling the returned Future (or the task awaiting it) cancels `aw`
 *   and ends once `aw` is done, so `waitFor` can itself be handed to
 *   `gather`, `wait` or another `waitFor`.
 * - A function runs in the calling task (as `await timeout(t, aw)`); to
 *   hand that to a combinator, pass `() => waitFor(fn, t)`.
 * - `timeout` null or undefined: no deadline.
 * - `timeout <= 0`: a done Future gives its result; otherwise `aw` is
 *   cancelled at once (a function then never runs) and `TimeoutError`
 *   raised once the cancellation is over.
 * - If `aw` swallows the cancellation and returns a value, that value is
 *   returned.
 *
 * @throws {TimeoutError} (on await) when the time runs out.
 * @throws {TypeError} (on await) if `timeout` is not a number or `aw` is
 * not awaitable.
 *
 * @example
 * ```ts
 * import { Queue, run, sleep, waitFor, TimeoutError } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   console.log(await waitFor(sleep(0.01, "quick"), 1)); // quick
 *   const queue = new Queue<string>();
 *   try {
 *     await waitFor(queue.get(), 0.01);
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 *   queue.putNowait("kept"); // the get that timed out took nothing
 *   console.log(queue.qsize()); // 1
 * });
 * ```
 */
export function waitFor<T>(
  aw: Future<T> | PromiseLike<T>,
  timeout: number | null | undefined,
): Future<T>;
/** The form for a function (run in the calling task) or any awaitable: a Promise. */
export function waitFor<T>(aw: Awaitable<T>, timeout: number | null | undefined): Promise<T>;
export function waitFor<T>(
  aw: Awaitable<T>,
  timeout: number | null | undefined,
): Future<T> | Promise<T> {
  const loop = requireRunningLoop();
  try {
    if (timeout !== null && timeout !== undefined) checkSeconds(timeout, "timeout");
  } catch (error) {
    return failedFuture(loop, error);
  }
  const deadline = timeout ?? null;
  if (typeof aw === "function") {
    // asyncio wraps the coroutine in a task and cancels it before its
    // first step: the function never runs.
    if (deadline !== null && deadline <= 0) return new Deadline(loop.createTask(aw), 0);
    return timeoutBlock(deadline, () => aw());
  }
  let future: Future<T>;
  try {
    future = toFuture(aw, loop);
  } catch (error) {
    return failedFuture(loop, error);
  }
  if (future.done() || deadline === null) return future;
  return new Deadline(future, deadline);
}

/**
 * The Future of `waitFor(aw, t)` for a Future `aw`: it follows `aw`, and
 * its timer cancels `aw` and turns the CancelledError that ends it into
 * `TimeoutError`, as `timeout()` does for a block.
 */
class Deadline<T> extends Future<T> {
  // Invariants: #timer is pending until it fires or `aw` is done. #expired:
  // the timer fired; #cancelRequested: someone cancelled this Future; the
  // *Late flags: that happened once `aw` was already done, too late to
  // cancel it (its outcome is then dropped, as the task's in asyncio).
  readonly #inner: Future<T>;
  #timer: Handle | null = null;
  #expired = false;
  #expiredLate = false;
  #cancelRequested = false;
  #cancelledLate = false;

  constructor(inner: Future<T>, delay: number) {
    super(inner.getLoop());
    this.#inner = inner;
    inner._addDoneCallback(markAwaitedBy(this.#onInnerDone, this));
    if (delay <= 0) this.#expire();
    else this.#timer = inner.getLoop()._callLater(delay, this.#expire);
  }

  /**
   * Cancel `aw`; this Future ends once `aw` is done (cancelled, or with the
   * value it returned instead). False if it is already done.
   */
  override cancel(message?: string): boolean {
    if (this.done()) return false;
    this.#cancelRequested = true;
    this._cancelMessage = message;
    if (!this.#inner.cancel(message)) this.#cancelledLate = true;
    return true;
  }

  readonly #expire = (): void => {
    this.#timer = null;
    this.#expired = true;
    if (!this.#inner.cancel()) this.#expiredLate = true;
  };

  // A loop callback: the code awaiting this Future resumes in it.
  readonly #onInnerDone = (inner: Future<T>): void => {
    this.#timer?.cancel();
    this.#timer = null;
    if (this.done()) return;
    const innerCancelled = inner.cancelled();
    if (this.#cancelRequested && (innerCancelled || this.#cancelledLate)) {
      // A cancel from outside wins over the deadline, as in `timeout()`.
      const error = innerCancelled ? inner._makeCancelledError() : null;
      this._cancelQuietly(this._cancelMessage);
      if (error !== null) this._cancelledError = error;
      this._runCallbacksNow();
      return;
    }
    if (this.#expired && (innerCancelled || this.#expiredLate)) {
      const cause = innerCancelled ? inner._makeCancelledError() : new CancelledError();
      if (!innerCancelled) inner._markRetrieved();
      this._setExceptionNow(new TimeoutError("", { cause }));
      return;
    }
    const error = innerCancelled ? inner._makeCancelledError() : inner.exception();
    if (error !== null) this._setExceptionNow(error);
    else this._setResultNow(inner.result());
  };
}

function toFuture<T>(aw: Future<T> | PromiseLike<T>, loop: EventLoop): Future<T> {
  return aw instanceof Future ? aw : ensureFuture(aw, { loop });
}

/** Options for `asCompleted`. */
export interface AsCompletedOptions {
  /**
   * Seconds after which the remaining awaits raise `TimeoutError`.
   * @default null (no limit)
   */
  timeout?: number | null;
}

/**
 * What `asCompleted` returns: iterate it plainly for Futures of the results
 * in completion order, or with `for await` for the original Futures and
 * Tasks as they finish.
 */
export class AsCompleted<T> implements Iterable<Future<T>>, AsyncIterable<Future<T>> {
  // Invariants, as CPython's `_AsCompletedIterator`: #todo holds the
  // futures not done yet (emptied by the timeout); #done is the FIFO of
  // those done and not yet handed out, each boxed (a Future in a queue
  // would be adopted by the await of get()), with null for "the time ran
  // out"; #left counts the hand-outs still owed (one per future, plain or
  // async). Every wait for the next one is a `get()` of #done, so a
  // cancelled one takes nothing and the next in line gets it.
  readonly #loop: EventLoop;
  readonly #todo: Set<Future<T>>;
  readonly #done = new Queue<[Future<T>] | null>();
  #timer: Handle | null = null;
  #left: number;

  /** @internal Use `asCompleted()`. */
  constructor(futures: Set<Future<T>>, timeout: number | null, loop: EventLoop) {
    this.#loop = loop;
    this.#todo = futures;
    this.#left = futures.size;
    for (const future of futures) future._addDoneCallback(this.#onCompletion);
    if (futures.size > 0 && timeout !== null) {
      this.#timer = loop._callLater(timeout, this.#onTimeout);
    }
  }

  /** Futures of the results, in the order the awaitables finish. */
  *[Symbol.iterator](): Iterator<Future<T>> {
    while (this.#left > 0) {
      this.#left--;
      yield this.#waitForOne((finished) => finished.result());
    }
  }

  /** The original Futures and Tasks, as they finish. */
  [Symbol.asyncIterator](): AsyncIterator<Future<T>> {
    // Not an async generator: `yield` in one would await the Future and
    // hand out its result instead of the Future itself.
    return {
      next: (): Future<IteratorResult<Future<T>>> => {
        if (this.#left <= 0) return doneFuture(this.#loop, { done: true, value: undefined });
        this.#left--;
        return this.#waitForOne((finished) => ({ done: false, value: finished }));
      },
    };
  }

  // The next future to finish, given to `take`: a wait for the next of
  // #done on its own account, so that cancelling it withdraws the get().
  #waitForOne<R>(take: (finished: Future<T>) => R): Future<R> {
    return new Coroutine<R>(this.#loop, async (co) => {
      const got = this.#done.get();
      const next = got.done() ? got.result() : await co.wait(got);
      if (next === null) throw new TimeoutError();
      return take(next[0]);
    });
  }

  readonly #onCompletion = (future: Future<T>): void => {
    if (!this.#todo.delete(future)) return; // The timeout came first.
    this.#done.putNowait([future]);
    if (this.#todo.size === 0) this.#timer?.cancel();
  };

  readonly #onTimeout = (): void => {
    for (const future of this.#todo) {
      future.removeDoneCallback(this.#onCompletion);
      this.#done.putNowait(null);
    }
    this.#todo.clear();
  };
}

/**
 * Iterate over `aws` in the order they finish. Python: `asyncio.as_completed`
 * (3.13, both forms). Functions are started as Tasks, promises wrapped; an
 * awaitable given twice counts once.
 *
 * - `for (const next of asCompleted(aws)) await next` gives the results
 *   (or throws the errors) earliest first.
 * - `for await (const task of asCompleted(aws))` gives the original Futures
 *   and Tasks, earliest first.
 *
 * With `timeout`, every await after the deadline throws `TimeoutError`; the
 * awaitables are not cancelled.
 *
 * TypeScript note: TypeScript assumes async iterators never yield
 * thenables, so it types the `for await` variable as the result type `T`.
 * At run time it is the finished Future: `await earliest` gives its result
 * (as in Python); cast it (`earliest as unknown as Future<T>`) to call
 * `result()` or `exception()`.
 *
 * @throws {TypeError} `expects an iterable of awaitables, not Task` for a
 * single Future or a function.
 *
 * @example Results as they come
 * ```ts
 * import { asCompleted, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const jobs = [sleep(0.03, "c"), sleep(0.01, "a"), sleep(0.02, "b")];
 *   for (const next of asCompleted(jobs)) console.log(await next); // a, b, c
 * });
 * ```
 */
export function asCompleted<T>(
  aws: Iterable<Awaitable<T>>,
  options: AsCompletedOptions = {},
): AsCompleted<T> {
  if (aws instanceof Future || typeof aws === "function" || !isIterable(aws)) {
    throw new TypeError(`expects an iterable of awaitables, not ${typeName(aws)}`);
  }
  const { timeout = null } = options;
  if (timeout !== null) checkSeconds(timeout, "timeout");
  const loop = getEventLoop();
  const futures = new Set<Future<T>>();
  for (const aw of new Set(aws)) futures.add(ensureFuture(aw, { loop }));
  return new AsCompleted(futures, timeout, loop);
}

function isIterable(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null &&
    typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
}
