/**
 * Synchronization primitives: `Lock`, `Event`, `Condition`, `Semaphore` and
 * `BoundedSemaphore` (`Barrier` is in `barrier.ts`). Python: `asyncio.locks`.
 *
 * Design note.
 *
 * Waiting. Every wait is a Future the primitive hands out (`_waits.ts`):
 * `acquire()`, `hold()` and `Event.wait()` return a `Waiter` that sits in
 * the primitive's queue, and `Condition.wait()` a `Coroutine` (it waits to
 * be notified, then for the lock). Cancelling one, by a task cancel, a
 * `waitFor` timeout or a cancelled `gather`, withdraws the wait itself, and
 * what was granted to it and not yet taken goes to the next waiter, so no
 * lock, slot or notification is lost. The bookkeeping after a wake-up
 * (taking the lock, counting off a slot) runs in the waiter's grant step,
 * the loop iteration where asyncio's waiting coroutine runs: the orderings
 * below are asyncio's, counted in loop iterations (`sleep(0)`s), and the
 * tests pin them.
 *
 * Fairness. Waiters are served strictly first in, first out, and a newcomer
 * never barges past a waiter that was woken but has not run yet: the woken
 * waiter keeps its place in the queue until it runs, and `acquire()` only
 * takes the fast path when every queued waiter is cancelled. A waiter that
 * is cancelled after it was woken gives its turn to the next one (Lock,
 * Python 3.11.1+ Semaphore, 3.13 Condition).
 *
 * `async with`. Python's `async with lock:` has two spellings here, the same
 * for Lock, Semaphore, BoundedSemaphore and Condition:
 *
 * - `using _ = await lock.hold();` (or `await using`): `hold()` acquires and
 *   returns a `Releaser`, a Disposable whose disposal releases. Releasing is
 *   synchronous in asyncio too, so the plain `using` is exact.
 * - `await lock.with(async () => ...)`: acquires, runs the body, releases
 *   even if the body throws, and returns the body's result. The name is
 *   Python's keyword; `Barrier.with((index) => ...)` is `async with barrier
 *   as index`.
 *
 * Rejected: `acquire()` returning the releaser (asyncio's returns `True`, and
 * `if (await lock.acquire())` must keep working); making the lock itself
 * disposable (`await using _ = lock` cannot wait for the lock: the
 * declaration does not await); `runExclusive`/`use` (names a Python reader
 * would not look for).
 *
 * Loop binding. A primitive binds to the running loop the first time it makes
 * someone wait; from then on waiting from another loop fails with
 * `RuntimeError('<repr> is bound to a different event loop')`.
 *
 * @module
 */

import { CancelledError, RuntimeError } from "./errors.ts";
import { failedFuture, type Future } from "./futures.ts";
import type { EventLoop } from "./loop.ts";
import { anyLoop, LoopBound } from "./_loop_bound.ts";
import { reprValue } from "./_repr.ts";
import { checkCount } from "./_checks.ts";
import { Coroutine, doneFuture, Waiter, WaitQueue } from "./_waits.ts";

/**
 * What `hold()` returns: release what was acquired by disposing of it
 * (`using`/`await using`) or by calling `release()`. It releases at most
 * once, so an early `release()` inside a `using` block is safe.
 *
 * @example Early release inside a `using` block
 * ```ts
 * import { Lock, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const lock = new Lock();
 *   using held = await lock.hold();
 *   held.release();
 *   console.log(lock.locked()); // false (and the disposal does nothing)
 * });
 * ```
 */
export class Releaser implements Disposable, AsyncDisposable {
  #release: (() => void) | null;

  /**
   * Make a releaser that calls `release` once.
   *
   * @param release Called by the first `release()` or disposal.
   */
  constructor(release: () => void) {
    this.#release = release;
  }

  /** Whether `release()` (or a disposal) has run. */
  get released(): boolean {
    return this.#release === null;
  }

  /**
   * Release, unless already done.
   *
   * @throws whatever the primitive's `release()` throws (for a Lock released
   * behind the releaser's back: `RuntimeError('Lock is not acquired.')`).
   */
  release(): void {
    const release = this.#release;
    if (release === null) return;
    this.#release = null;
    release();
  }

  /** `using`: release. */
  [Symbol.dispose](): void {
    this.release();
  }

  /** `await using`: release (synchronously; nothing is awaited). */
  [Symbol.asyncDispose](): Promise<void> {
    try {
      this.release();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error);
    }
  }
}

/** What an acquire resolves with: `true` for `acquire()`, a Releaser for `hold()`. */
type Acquired = true | Releaser;

/** What `acquire()` (`hold` false) or `hold()` gives once the primitive is held. */
function acquired(primitive: { release(): void }, hold: boolean): Acquired {
  return hold ? new Releaser(() => primitive.release()) : true;
}

/**
 * Wait for `wait` on the calling task's account and then run `body`
 * holding the primitive (`with()`): not an async function while it waits,
 * so a parked task keeps no frame of ours alive, nor a closure.
 */
function withHeld<R>(
  primitive: { release(): void },
  wait: Future<Acquired>,
  body: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  return wait._waitThen(runHolding, primitive, body) as Promise<Awaited<R>>;
}

/** The rest of `with(body)`, holding what was acquired: run `body`, then release. */
async function runHolding<R>(
  primitive: { release(): void },
  body: () => R | PromiseLike<R>,
): Promise<Awaited<R>> {
  try {
    return await body();
  } finally {
    primitive.release();
  }
}

/** The states of a `Lock` (and of a `Condition`'s lock). */
export type LockState = "locked" | "unlocked";

/** The states of an `Event`. */
export type EventState = "set" | "unset";

/**
 * A mutual-exclusion lock for tasks. Python: `asyncio.Lock`.
 *
 * `acquire()` waits until the lock is free, then takes it; `release()` frees
 * it. Waiting tasks get the lock in the order they asked for it, and a task
 * that asks while others wait queues behind them even if the lock happens
 * to be free at that moment. The lock is not owned by a task: any code may
 * release it.
 *
 * Not promised: a task cancelled while waiting leaves the queue at once,
 * but one cancelled after it was given the lock (before it ran again) does
 * not get it: the lock goes to the next waiter instead.
 *
 * @example Guarding a shared resource
 * ```ts
 * import { gather, Lock, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const lock = new Lock();
 *   const log: string[] = [];
 *   const worker = (name: string) => async () => {
 *     await lock.with(async () => {
 *       log.push(`${name} in`);
 *       await sleep(0.1);
 *       log.push(`${name} out`);
 *     });
 *   };
 *   await gather(worker("a"), worker("b"));
 *   console.log(log.join(", ")); // a in, a out, b in, b out
 * });
 * ```
 */
export class Lock extends LoopBound {
  // Invariant: if the lock is unlocked and a waiter is queued, a waiter is
  // on its way (#woken, granted and its step not run yet): release() wakes
  // the first one, and a woken waiter that is cancelled before its step
  // wakes the next. While one is on its way newcomers queue, so no one
  // barges past it.
  #state: LockState = "unlocked";
  readonly #waiters = new WaitQueue<Waiter<Acquired>>();
  #woken: Waiter<Acquired> | null = null;

  /** Whether the lock is held. Python: `locked()`. */
  locked(): boolean {
    return this.#state === "locked";
  }

  /**
   * Wait until the lock is free and take it; the Future resolves with
   * `true`. Python: `acquire()`.
   *
   * Cancelling the Future (or the task awaiting it, or a `waitFor` around
   * it timing out) withdraws the wait: the lock is then not taken, and a
   * turn it was given goes to the next waiter.
   *
   * @throws {CancelledError} (on await) if the wait is cancelled.
   * @throws {RuntimeError} (on await) if the lock is bound to a different event loop.
   */
  acquire(): Future<true> {
    return this.#acquire(false) as Future<true>;
  }

  /**
   * Free the lock and wake the first waiter, if any.
   * Python: `release()`.
   *
   * @throws {RuntimeError} `Lock is not acquired.` if the lock is not held.
   */
  release(): void {
    if (this.#state !== "locked") throw new RuntimeError("Lock is not acquired.");
    this.#state = "unlocked";
    this.#wakeUpFirst();
  }

  /**
   * Acquire, and resolve with a `Releaser` that releases when disposed of:
   * `using _ = await lock.hold();` is Python's `async with lock:`.
   * Cancelling the Future withdraws the wait, as for `acquire()`.
   *
   * @throws as `acquire()`.
   */
  hold(): Future<Releaser> {
    return this.#acquire(true) as Future<Releaser>;
  }

  /**
   * Run `body` holding the lock, release it even if `body` throws, and
   * resolve with `body`'s result. Python: `async with lock: ...`.
   *
   * The body runs in the calling task; to hand the whole block to `gather`
   * or `waitFor`, pass a function (`() => lock.with(body)`), which runs as a
   * task of its own.
   *
   * @throws as `acquire()`, and whatever `body` throws.
   */
  with<R>(body: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    // Not through acquire(): with the lock free, `body` starts at once.
    if (this.#tryAcquire()) return runHolding(this, body);
    return withHeld(this, this.#acquire(false), body);
  }

  /** `<Lock [locked, waiters:2]>`, like asyncio's repr. */
  override toString(): string {
    const waiting = this.#waiters.length + (this.#woken === null ? 0 : 1);
    return `<${this.constructor.name} [${withWaiters(this.#state, waiting)}]>`;
  }

  #acquire(hold: boolean): Future<Acquired> {
    if (this.#tryAcquire()) return doneFuture(anyLoop(), acquired(this, hold));
    return this._enqueue(this.#waiters, this, hold ? true : undefined);
  }

  // The fast path: free, and no waiter goes first, not even one woken but
  // not run yet (pinned by "lets no newcomer barge past a woken waiter").
  #tryAcquire(): boolean {
    if (this.#state === "unlocked" && this.#woken === null && this.#waiters.length === 0) {
      this.#state = "locked";
      return true;
    }
    return false;
  }

  #wakeUpFirst(): void {
    // One already on its way will take the lock or pass it on.
    if (this.#woken !== null) return;
    const first = this.#waiters.shift();
    if (first === undefined) return;
    this.#woken = first;
    first._grant();
  }

  /** @internal The grant step of `waiter`: take the lock. */
  _take(waiter: Waiter<true | Releaser>): void {
    this.#woken = null;
    this.#state = "locked";
    waiter._setResultNow(acquired(this, waiter._argument() === true));
  }

  /**
   * @internal `waiter` was cancelled: leave the queue, and restore the
   * invariant: if nobody holds the lock, the next waiter must run (pinned
   * by "hands a lost wake-up to the next waiter").
   */
  _withdraw(waiter: Waiter<true | Releaser>): void {
    this.#waiters.delete(waiter);
    if (this.#woken === waiter) this.#woken = null;
    if (this.#state === "unlocked") this.#wakeUpFirst();
  }
}

/**
 * A flag that tasks can wait for. Python: `asyncio.Event`.
 *
 * `set()` raises the flag and wakes every waiting task; `clear()` lowers it;
 * `wait()` returns at once while the flag is up.
 *
 * @example Waiting for a signal
 * ```ts
 * import { createTask, Event, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const ready = new Event();
 *   const waiter = createTask(async () => {
 *     await ready.wait();
 *     console.log("ready!");
 *   });
 *   await sleep(0.1);
 *   ready.set();
 *   await waiter;
 * });
 * ```
 */
export class Event extends LoopBound {
  // Invariant: while the flag is set, no waiter is queued: set() wakes all
  // of them, and wait() does not queue when it is set. #woken counts those
  // woken whose step has not run (they still count in the repr, as
  // asyncio's do until their task runs).
  #state: EventState = "unset";
  readonly #waiters = new WaitQueue<Waiter<true>>();
  #woken = 0;

  /** Whether the flag is set. Python: `is_set()`. */
  isSet(): boolean {
    return this.#state === "set";
  }

  /** Set the flag and wake every waiting task. Python: `set()`. */
  set(): void {
    if (this.#state === "set") return;
    this.#state = "set";
    for (let waiter = this.#waiters.shift(); waiter !== undefined; waiter = this.#waiters.shift()) {
      this.#woken++;
      waiter._grant();
    }
  }

  /** Clear the flag: later `wait()` calls block until `set()`. Python: `clear()`. */
  clear(): void {
    this.#state = "unset";
  }

  /**
   * Wait until the flag is set; the Future resolves with `true`. Cancelling
   * it withdraws the wait. Python: `wait()`.
   *
   * @throws {CancelledError} (on await) if the wait is cancelled.
   * @throws {RuntimeError} (on await) if the event is bound to a different event loop.
   */
  wait(): Future<true> {
    // No wait, so no loop binding (and no check), as in asyncio.
    if (this.#state === "set") return doneFuture(anyLoop(), true);
    return this._enqueue(this.#waiters, this);
  }

  /** `<Event [unset, waiters:1]>`, like asyncio's repr. */
  override toString(): string {
    const waiting = this.#waiters.length + this.#woken;
    return `<${this.constructor.name} [${withWaiters(this.#state, waiting)}]>`;
  }

  /** @internal The grant step of a woken waiter. */
  _take(waiter: Waiter<true>): void {
    this.#woken--;
    waiter._setResultNow(true);
  }

  /** @internal A waiter was cancelled. */
  _withdraw(waiter: Waiter<true>): void {
    if (waiter._place === "granted") this.#woken--;
    else this.#waiters.delete(waiter);
  }
}

/**
 * A condition variable: tasks wait, holding a lock, until another task
 * notifies them. Python: `asyncio.Condition`.
 *
 * `wait()` must be called with the lock held: it releases the lock, waits
 * for a `notify()`, and takes the lock again before returning, also when
 * the wait is cancelled (the `CancelledError` is thrown only once the lock is
 * back). Wake-ups can be spurious (a waiter failing after being notified
 * passes the notification on), so wait in a loop or use `waitFor()`.
 *
 * @example A producer notifying a consumer
 * ```ts
 * import { Condition, createTask, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const cond = new Condition();
 *   const items: number[] = [];
 *   const consumer = createTask(() =>
 *     cond.with(async () => {
 *       await cond.waitFor(() => items.length > 0);
 *       console.log("got", items.shift()); // got 42
 *     })
 *   );
 *   await sleep(0.1);
 *   await cond.with(() => {
 *     items.push(42);
 *     cond.notify();
 *   });
 *   await consumer;
 * });
 * ```
 */
export class Condition extends LoopBound {
  // Invariant: a waiter is queued only while its coroutine is inside
  // wait(), with the lock released; every path out of wait() takes the lock
  // back first. #notified counts the waiters notified whose step has not
  // run (they still count in the repr).
  readonly #lock: Lock;
  readonly #waiters = new WaitQueue<Waiter<boolean>>();
  #notified = 0;

  /**
   * Make a condition, on its own lock or on `lock`.
   *
   * @param lock The lock to use (several conditions may share one).
   * @default a new `Lock`
   */
  constructor(lock?: Lock) {
    super();
    this.#lock = lock ?? new Lock();
  }

  /** Whether the underlying lock is held. Python: `locked()`. */
  locked(): boolean {
    return this.#lock.locked();
  }

  /**
   * Acquire the underlying lock. Python: `acquire()`.
   *
   * @throws as `Lock.acquire()`.
   */
  acquire(): Future<true> {
    return this.#lock.acquire();
  }

  /**
   * Release the underlying lock. Python: `release()`.
   *
   * @throws {RuntimeError} `Lock is not acquired.`
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquire the lock, and resolve with a `Releaser` that releases it when
   * disposed of: `using _ = await cond.hold();` is `async with cond:`.
   *
   * @throws as `Lock.acquire()`.
   */
  hold(): Future<Releaser> {
    return this.#lock.hold();
  }

  /**
   * Run `body` holding the lock, release it even if `body` throws, and
   * resolve with `body`'s result. Python: `async with cond: ...`.
   *
   * @throws as `Lock.acquire()`, and whatever `body` throws.
   */
  with<R>(body: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    return this.#lock.with(body);
  }

  /**
   * Release the lock, wait until notified, take the lock back; the Future
   * resolves with `true`. Python: `wait()`.
   *
   * The lock is taken back even if the wait is cancelled; the
   * `CancelledError` is thrown after that. A waiter that fails after it was
   * notified passes the notification on.
   *
   * @throws {RuntimeError} (on await) `cannot wait on un-acquired lock`, or
   * if the condition is bound to a different event loop.
   * @throws {CancelledError} (on await) if the wait is cancelled.
   */
  wait(): Future<true> {
    let loop: EventLoop;
    try {
      if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock");
      loop = this._getLoop();
    } catch (error) {
      return failedFuture(anyLoop(), error);
    }
    return new Coroutine<true>(loop, (co) => this.#waitIn(co));
  }

  async #waitIn(co: Coroutine<true>): Promise<true> {
    const waiter = new Waiter<boolean>(co.getLoop(), this);
    this.release();
    try {
      try {
        this.#waiters.push(waiter);
        try {
          await co.wait(waiter);
          return true;
        } finally {
          this.#waiters.delete(waiter);
        }
      } finally {
        await this.#reacquire(co);
      }
    } catch (error) {
      // This waiter may have been notified before it failed: pass the
      // notification on (a spurious wake-up at worst, which callers allow).
      // Pinned by "passes on a notification its cancelled waiter got".
      this.#notify(1);
      throw error;
    }
  }

  // The lock must be held again whatever happens: a cancel arriving while
  // we wait for it withdraws that wait, which starts again at the back; the
  // last cancel is thrown once the lock is ours.
  async #reacquire(co: Coroutine<true>): Promise<void> {
    let cancelled: unknown = null;
    for (;;) {
      const reacquired = this.#lock.acquire();
      if (reacquired.done()) {
        reacquired.result();
        break;
      }
      try {
        await co.wait(reacquired);
        break;
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
        cancelled = error;
      }
    }
    if (cancelled !== null) throw cancelled;
  }

  /**
   * Wait until `predicate()` is truthy; the Future resolves with its value.
   * The predicate is checked first, with the lock held, and after each
   * wake-up. Python: `wait_for(predicate)`.
   *
   * @throws as `wait()` (not if the predicate is already true), and
   * whatever `predicate` throws.
   */
  waitFor<R>(predicate: () => R): Future<R> {
    let result: R;
    try {
      result = predicate();
    } catch (error) {
      return failedFuture(anyLoop(), error);
    }
    if (result) return doneFuture(anyLoop(), result);
    let loop: EventLoop;
    try {
      loop = this._getLoop();
    } catch (error) {
      return failedFuture(anyLoop(), error);
    }
    return new Coroutine<R>(loop, async (co) => {
      while (!result) {
        await co.wait(this.wait());
        result = predicate();
      }
      return result;
    });
  }

  /**
   * Wake up to `n` waiting tasks, first come first served. They return from
   * `wait()` once they get the lock, which the caller still holds.
   * Python: `notify(n=1)`.
   *
   * @throws {RuntimeError} `cannot notify on un-acquired lock`.
   * @throws {TypeError} if `n` is not a number; {RangeError} if it is NaN.
   */
  notify(n = 1): void {
    if (typeof n !== "number" || Number.isNaN(n)) {
      const Class = typeof n === "number" ? RangeError : TypeError;
      throw new Class(`Cannot notify: expected a number of waiters, received ${reprValue(n)}`);
    }
    if (!this.locked()) throw new RuntimeError("cannot notify on un-acquired lock");
    this.#notify(n);
  }

  /**
   * Wake up every waiting task. Python: `notify_all()`.
   *
   * @throws {RuntimeError} `cannot notify on un-acquired lock`.
   */
  notifyAll(): void {
    this.notify(this.#waiters.length);
  }

  /** `<Condition [locked, waiters:1]>`, like asyncio's repr. */
  override toString(): string {
    const state: LockState = this.locked() ? "locked" : "unlocked";
    const waiting = this.#waiters.length + this.#notified;
    return `<${this.constructor.name} [${withWaiters(state, waiting)}]>`;
  }

  #notify(n: number): void {
    for (let woken = 0; woken < n; woken++) {
      const waiter = this.#waiters.shift();
      if (waiter === undefined) return;
      this.#notified++;
      waiter._grant();
    }
  }

  /** @internal The grant step of a notified waiter. */
  _take(waiter: Waiter<boolean>): void {
    this.#notified--;
    waiter._setResultNow(false);
  }

  /** @internal A waiter was cancelled (its coroutine takes the lock back). */
  _withdraw(waiter: Waiter<boolean>): void {
    if (waiter._place === "granted") this.#notified--;
    else this.#waiters.delete(waiter);
  }
}

/**
 * A counter of free slots: `acquire()` takes one, waiting while there are
 * none, `release()` gives one back. Python: `asyncio.Semaphore`.
 *
 * Fair as in Python 3.11.1+: waiters are served in order, a released slot
 * goes straight to the first waiter, and `locked()` is true while any
 * waiter is queued, so newcomers wait their turn. A waiter cancelled after
 * it was handed a slot gives it back and wakes the next ones (Python 3.13).
 *
 * @example At most two at a time
 * ```ts
 * import { gather, run, Semaphore, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const sem = new Semaphore(2);
 *   let inside = 0, most = 0;
 *   await gather(...Array.from({ length: 5 }, () => () =>
 *     sem.with(async () => {
 *       most = Math.max(most, ++inside);
 *       await sleep(0.1);
 *       inside--;
 *     })
 *   ));
 *   console.log(most); // 2
 * });
 * ```
 */
export class Semaphore extends LoopBound {
  // Invariants: _value >= 0 is the number of free slots not yet promised to
  // anyone; a slot handed to a waiter is counted off _value when the waiter
  // is woken (granted), not when its step runs. #woken counts the waiters
  // woken whose step has not run: like the queued ones, they go before
  // newcomers.
  /** @internal The free slots (Python's `_value`). */
  _value: number;
  readonly #waiters = new WaitQueue<Waiter<Acquired>>();
  #woken = 0;

  /**
   * Make a semaphore with `value` free slots.
   *
   * @param value The initial number of free slots.
   * @default 1
   * @throws {RangeError} `Semaphore initial value must be >= 0` (also for
   * NaN), or for a number that is not whole.
   * @throws {TypeError} if `value` is not a number.
   */
  constructor(value = 1) {
    super();
    checkCount(value, "Semaphore initial value", 0, "Semaphore initial value must be >= 0");
    this._value = value;
  }

  /**
   * Whether `acquire()` would have to wait: no free slot, or a task already
   * waiting (which goes first). Python: `locked()`.
   */
  locked(): boolean {
    // Queued waiters go first, even with slots free (pinned by "a successful
    // acquire wakes the waiters queued behind it").
    return this._value === 0 || this.#waiters.length > 0 || this.#woken > 0;
  }

  /**
   * Take a slot, waiting for one if needed; the Future resolves with
   * `true`. Python: `acquire()`.
   *
   * Cancelling the Future (or the task awaiting it, or a `waitFor` around
   * it timing out) withdraws the wait: no slot is then taken, and one handed
   * to it goes to the next waiter.
   *
   * @throws {CancelledError} (on await) if the wait is cancelled.
   * @throws {RuntimeError} (on await) if the semaphore is bound to a different event loop.
   */
  acquire(): Future<true> {
    return this.#acquire(false) as Future<true>;
  }

  /**
   * Give a slot back, handing it to the first waiter if any.
   * Python: `release()`.
   */
  release(): void {
    this._value++;
    this.#wakeUpNext();
  }

  /**
   * Acquire a slot, and resolve with a `Releaser` that releases it when
   * disposed of: `using _ = await sem.hold();` is `async with sem:`.
   * Cancelling the Future withdraws the wait, as for `acquire()`.
   *
   * @throws as `acquire()`.
   */
  hold(): Future<Releaser> {
    return this.#acquire(true) as Future<Releaser>;
  }

  /**
   * Run `body` holding a slot, release it even if `body` throws, and
   * resolve with `body`'s result. Python: `async with sem: ...`.
   *
   * The body runs in the calling task; to hand the whole block to `gather`
   * or `waitFor`, pass a function (`() => sem.with(body)`).
   *
   * @throws as `acquire()`, and whatever `body` throws.
   */
  with<R>(body: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    // Not through acquire(): with a slot free, `body` starts at once.
    if (!this.locked()) {
      this._value--;
      return runHolding(this, body);
    }
    return withHeld(this, this.#acquire(false), body);
  }

  /** `<Semaphore [unlocked, value:1]>` or `<Semaphore [locked, waiters:2]>`. */
  override toString(): string {
    const state = this.locked() ? "locked" : `unlocked, value:${this._value}`;
    return `<${this.constructor.name} [${withWaiters(state, this.#waiters.length + this.#woken)}]>`;
  }

  #acquire(hold: boolean): Future<Acquired> {
    if (!this.locked()) {
      this._value--;
      return doneFuture(anyLoop(), acquired(this, hold));
    }
    return this._enqueue(this.#waiters, this, hold ? true : undefined);
  }

  /** Hand a slot to the first waiter not already woken; false if none. */
  #wakeUpNext(): boolean {
    const waiter = this.#waiters.shift();
    if (waiter === undefined) return false;
    this._value--;
    this.#woken++;
    waiter._grant();
    return true;
  }

  // New waiters may have queued while slots were free (FIFO made them
  // wait): wake as many as there are slots.
  #wakeUpAllowed(): void {
    while (this._value > 0 && this.#wakeUpNext());
  }

  /** @internal The grant step of `waiter`: its slot was counted off when it was woken. */
  _take(waiter: Waiter<true | Releaser>): void {
    this.#woken--;
    this.#wakeUpAllowed();
    waiter._setResultNow(acquired(this, waiter._argument() === true));
  }

  /**
   * @internal `waiter` was cancelled: leave the queue, or give back the
   * slot it was handed (pinned by "a woken-then-cancelled waiter hands its
   * slot on"); then wake as many waiters as there are slots.
   */
  _withdraw(waiter: Waiter<true | Releaser>): void {
    if (waiter._place === "granted") {
      this.#woken--;
      this._value++;
    } else {
      this.#waiters.delete(waiter);
    }
    this.#wakeUpAllowed();
  }
}

/**
 * A `Semaphore` that refuses to be released more often than acquired.
 * Python: `asyncio.BoundedSemaphore`.
 *
 * @example Catching a double release
 * ```ts
 * import { BoundedSemaphore, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const sem = new BoundedSemaphore(1);
 *   await sem.acquire();
 *   sem.release();
 *   try {
 *     sem.release();
 *   } catch (e) {
 *     console.log((e as Error).message); // BoundedSemaphore released too many times
 *   }
 * });
 * ```
 */
export class BoundedSemaphore extends Semaphore {
  // Invariant: _value never exceeds the initial value.
  readonly #bound: number;

  /**
   * Make a bounded semaphore with `value` slots.
   *
   * @param value The initial (and largest) number of free slots.
   * @default 1
   * @throws as `Semaphore`'s constructor.
   */
  constructor(value = 1) {
    super(value);
    this.#bound = value;
  }

  /**
   * Give a slot back. Python: `release()`.
   *
   * @throws {RangeError} `BoundedSemaphore released too many times` if every
   * slot is already free.
   */
  override release(): void {
    if (this._value >= this.#bound) {
      throw new RangeError("BoundedSemaphore released too many times");
    }
    super.release();
  }
}

function withWaiters(state: string, waiting: number): string {
  return waiting > 0 ? `${state}, waiters:${waiting}` : state;
}
