/**
 * Synchronization primitives: `Lock`, `Event`, `Condition`, `Semaphore` and
 * `BoundedSemaphore` (`Barrier` is in `barrier.ts`). Python: `asyncio.locks`.
 *
 * Design note.
 *
 * Waiting. Every wait is an `await` on a Future of the loop, made inside the
 * waiting task's own call (the methods are async functions). So a cancel
 * reaches the wait at once, and the bookkeeping after a wake-up (leaving the
 * waiter queue, taking the lock, handing a lost wake-up on) runs in the
 * waiter's own step, exactly where asyncio runs it: the orderings below are
 * asyncio's, counted in loop iterations (`sleep(0)`s), and the tests pin
 * them.
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
import { failedFuture, Future, type WaitOwner } from "./futures.ts";
import { Deque } from "./_deque.ts";
import { LoopBound } from "./_loop_bound.ts";
import { reprValue } from "./_repr.ts";
import { requireRunningLoop } from "./_running_loop.ts";

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

  /** @param release Called by the first `release()` or disposal. */
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

/**
 * `hold()` of a primitive: acquire it, then hand out a Releaser. No async
 * function of its own: a task waiting in it keeps only the wait of
 * `acquire()` alive.
 */
function holdOf(primitive: { acquire(): Promise<true>; release(): void }): Promise<Releaser> {
  return primitive.acquire().then(() => new Releaser(() => primitive.release()));
}

/**
 * Queue a new waiter on `waiters` and wait for it, `owner` doing its
 * bookkeeping as the wait ends (`_waitOver`). Not an async function, so a
 * parked task keeps no frame of ours alive; but it rejects, as an async
 * function would, when the wait cannot start (the wrong loop).
 */
function queueAndWait(
  owner: LoopBound & WaitOwner,
  waiters: Deque<Future<true>>,
): Promise<true> {
  let waiter: Future<true>;
  try {
    waiter = owner._getLoop().createFuture<true>();
  } catch (error) {
    return Promise.reject(error);
  }
  waiters.push(waiter);
  return waiter._wait(owner);
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
  // Invariant: if the lock is unlocked and a waiter is queued, the first
  // waiter is (or is about to be) woken: release() wakes it, and a woken
  // waiter that is cancelled before taking the lock wakes the next one.
  // A woken waiter stays queued until it runs, which keeps newcomers out.
  #state: LockState = "unlocked";
  readonly #waiters = new Deque<Future<true>>();

  /** Whether the lock is held. Python: `locked()`. */
  locked(): boolean {
    return this.#state === "locked";
  }

  /**
   * Wait until the lock is free and take it; resolves with `true`.
   * Python: `acquire()`.
   *
   * @throws {CancelledError} if the calling task is cancelled while it waits
   * (it then does not hold the lock).
   * @throws {RuntimeError} if the lock is bound to a different event loop.
   */
  acquire(): Promise<true> {
    if (this.#tryAcquire()) return Promise.resolve(true);
    return queueAndWait(this, this.#waiters);
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
   * Acquire, and return a `Releaser` that releases when disposed of:
   * `using _ = await lock.hold();` is Python's `async with lock:`.
   *
   * @throws as `acquire()`.
   */
  hold(): Promise<Releaser> {
    return holdOf(this);
  }

  /**
   * Run `body` holding the lock, release it even if `body` throws, and
   * resolve with `body`'s result. Python: `async with lock: ...`.
   *
   * @throws as `acquire()`, and whatever `body` throws.
   */
  with<R>(body: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    // Not `acquire().then(...)`: with the lock free, `body` starts at once.
    if (this.#tryAcquire()) return runHolding(this, body);
    return queueAndWait(this, this.#waiters).then(() => runHolding(this, body));
  }

  /** `<Lock [locked, waiters:2]>`, like asyncio's repr. */
  override toString(): string {
    return `<${this.constructor.name} [${withWaiters(this.#state, this.#waiters)}]>`;
  }

  // The fast path: free, and no waiter (that is not cancelled) goes first:
  // a woken waiter that has not run yet still counts (pinned by "lets no
  // newcomer barge past a woken waiter").
  #tryAcquire(): boolean {
    if (this.#state === "unlocked" && allCancelled(this.#waiters)) {
      this.#state = "locked";
      return true;
    }
    return false;
  }

  /**
   * @internal The wait of `waiter` is over, just before its task resumes
   * (see `Future._wait`): leave the queue, then take the lock, or
   * (interrupted) restore the invariant: if nobody took the lock, the next
   * waiter must run (pinned by "hands a lost wake-up to the next waiter").
   */
  _waitOver(waiter: Future<unknown>, interrupted: boolean): void {
    this.#waiters.remove(waiter as Future<true>);
    if (!interrupted) this.#state = "locked";
    else if (this.#state === "unlocked") this.#wakeUpFirst();
  }

  #wakeUpFirst(): void {
    if (this.#waiters.length === 0) return;
    const first = this.#waiters.at(0);
    // A done waiter is already on its way; it will take the lock or pass it on.
    if (!first.done()) first.setResult(true);
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
  // Invariant: while the flag is set, no waiter is left un-woken: set()
  // wakes all of them, and wait() does not queue when it is set.
  #state: EventState = "unset";
  readonly #waiters = new Deque<Future<true>>();

  /** Whether the flag is set. Python: `is_set()`. */
  isSet(): boolean {
    return this.#state === "set";
  }

  /** Set the flag and wake every waiting task. Python: `set()`. */
  set(): void {
    if (this.#state === "set") return;
    this.#state = "set";
    const waiters = this.#waiters;
    for (let i = 0; i < waiters.length; i++) {
      const waiter = waiters.at(i);
      if (!waiter.done()) waiter.setResult(true);
    }
  }

  /** Clear the flag: later `wait()` calls block until `set()`. Python: `clear()`. */
  clear(): void {
    this.#state = "unset";
  }

  /**
   * Wait until the flag is set; resolves with `true`. Python: `wait()`.
   *
   * A Future rather than an async function: a parked waiter then costs one
   * Future, not a suspended frame around it (B8 parks 100,000 tasks here).
   *
   * @throws {CancelledError} if the calling task is cancelled while it waits.
   * @throws {RuntimeError} if the event is bound to a different event loop.
   */
  wait(): Future<true> {
    if (this.#state === "set") {
      // No wait, so no loop binding (and no check), as in asyncio.
      const done = new Future<true>(requireRunningLoop());
      done.setResult(true);
      return done;
    }
    let waiter: Future<true>;
    try {
      waiter = this._getLoop().createFuture<true>();
    } catch (error) {
      return failedFuture(requireRunningLoop(), error);
    }
    this.#waiters.push(waiter);
    // Registered first, so it runs just before the waiter's awaiter resumes:
    // a woken waiter counts in the repr until then, as asyncio's does.
    waiter.addDoneCallback(this.#leave);
    return waiter;
  }

  readonly #leave = (waiter: Future<true>): void => {
    this.#waiters.remove(waiter);
  };

  /** `<Event [unset, waiters:1]>`, like asyncio's repr. */
  override toString(): string {
    return `<${this.constructor.name} [${withWaiters(this.#state, this.#waiters)}]>`;
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
  // Invariant: a waiter is queued only while its task is inside wait(), with
  // the lock released; every path out of wait() takes the lock back first.
  readonly #lock: Lock;
  readonly #waiters = new Deque<Future<boolean>>();

  /**
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
  acquire(): Promise<true> {
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
   * Acquire the lock, and return a `Releaser` that releases it when
   * disposed of: `using _ = await cond.hold();` is `async with cond:`.
   *
   * @throws as `Lock.acquire()`.
   */
  hold(): Promise<Releaser> {
    return holdOf(this);
  }

  /**
   * Run `body` holding the lock, release it even if `body` throws, and
   * resolve with `body`'s result. Python: `async with cond: ...`.
   *
   * @throws as `Lock.acquire()`, and whatever `body` throws.
   */
  async with<R>(body: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    await this.acquire();
    try {
      return await body();
    } finally {
      this.release();
    }
  }

  /**
   * Release the lock, wait until notified, take the lock back; resolves
   * with `true`. Python: `wait()`.
   *
   * The lock is taken back even if the task is cancelled while waiting;
   * the `CancelledError` is thrown after that.
   *
   * @throws {RuntimeError} `cannot wait on un-acquired lock`, or if the
   * condition is bound to a different event loop.
   * @throws {CancelledError} if the calling task is cancelled.
   */
  async wait(): Promise<true> {
    if (!this.locked()) throw new RuntimeError("cannot wait on un-acquired lock");
    const waiter = this._getLoop().createFuture<boolean>();
    this.release();
    try {
      try {
        this.#waiters.push(waiter);
        try {
          await waiter._wait();
          return true;
        } finally {
          this.#waiters.remove(waiter);
        }
      } finally {
        await this.#reacquire();
      }
    } catch (error) {
      // This task may have been notified before it failed: pass the
      // notification on (a spurious wake-up at worst, which callers allow).
      // Pinned by "passes on a notification its cancelled waiter got".
      this.#notify(1);
      throw error;
    }
  }

  /**
   * Wait until `predicate()` is truthy, and resolve with its value. The
   * predicate is checked first, with the lock held, and after each wake-up.
   * Python: `wait_for(predicate)`.
   *
   * @throws as `wait()` (not if the predicate is already true).
   */
  async waitFor<R>(predicate: () => R): Promise<R> {
    let result = predicate();
    while (!result) {
      await this.wait();
      result = predicate();
    }
    return result;
  }

  /**
   * Wake up to `n` waiting tasks, first come first served. They return from
   * `wait()` once they get the lock, which the caller still holds.
   * Python: `notify(n=1)`.
   *
   * @throws {RuntimeError} `cannot notify on un-acquired lock`.
   */
  notify(n = 1): void {
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
    return `<${this.constructor.name} [${withWaiters(state, this.#waiters)}]>`;
  }

  #notify(n: number): void {
    const waiters = this.#waiters;
    let woken = 0;
    for (let i = 0; i < waiters.length && woken < n; i++) {
      const waiter = waiters.at(i);
      if (waiter.done()) continue;
      woken++;
      waiter.setResult(false);
    }
  }

  // The lock must be held again whatever happens: cancels arriving while we
  // wait for it are held back and the last one re-thrown once it is ours.
  async #reacquire(): Promise<void> {
    let cancelled: unknown = null;
    for (;;) {
      try {
        await this.acquire();
        break;
      } catch (error) {
        if (!(error instanceof CancelledError)) throw error;
        cancelled = error;
      }
    }
    if (cancelled !== null) throw cancelled;
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
  // is woken (not when it runs). A woken waiter stays queued until it runs.
  /** @internal The free slots (Python's `_value`). */
  _value: number;
  readonly #waiters = new Deque<Future<true>>();
  // The waiters before this position are all done (woken or cancelled), so
  // #wakeUpNext need not look at them again: with n slots, up to n woken
  // waiters sit at the front until they run.
  #doneBefore = 0;

  /**
   * @param value The initial number of free slots.
   * @default 1
   * @throws {RangeError} `Semaphore initial value must be >= 0` (also for NaN).
   * @throws {TypeError} if `value` is not an integer.
   */
  constructor(value = 1) {
    super();
    if (typeof value !== "number") {
      throw new TypeError(`Semaphore initial value must be a number, got ${reprValue(value)}`);
    }
    if (!(value >= 0)) throw new RangeError("Semaphore initial value must be >= 0");
    if (!Number.isInteger(value)) {
      throw new TypeError(`Semaphore initial value must be an integer, got ${value}`);
    }
    this._value = value;
  }

  /**
   * Whether `acquire()` would have to wait: no free slot, or a task already
   * waiting (which goes first). Python: `locked()`.
   */
  locked(): boolean {
    // Queued waiters go first, even with slots free (pinned by "a successful
    // acquire wakes the waiters queued behind it").
    return this._value === 0 || anyNotCancelled(this.#waiters);
  }

  /**
   * Take a slot, waiting for one if needed; resolves with `true`.
   * Python: `acquire()`.
   *
   * @throws {CancelledError} if the calling task is cancelled while it waits
   * (it then holds no slot).
   * @throws {RuntimeError} if the semaphore is bound to a different event loop.
   */
  acquire(): Promise<true> {
    if (!this.locked()) {
      this._value--;
      return Promise.resolve(true);
    }
    return queueAndWait(this, this.#waiters);
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
   * Acquire a slot, and return a `Releaser` that releases it when disposed
   * of: `using _ = await sem.hold();` is `async with sem:`.
   *
   * @throws as `acquire()`.
   */
  hold(): Promise<Releaser> {
    return holdOf(this);
  }

  /**
   * Run `body` holding a slot, release it even if `body` throws, and
   * resolve with `body`'s result. Python: `async with sem: ...`.
   *
   * @throws as `acquire()`, and whatever `body` throws.
   */
  with<R>(body: () => R | PromiseLike<R>): Promise<Awaited<R>> {
    // Not `acquire().then(...)`: with a slot free, `body` starts at once.
    if (!this.locked()) {
      this._value--;
      return runHolding(this, body);
    }
    return queueAndWait(this, this.#waiters).then(() => runHolding(this, body));
  }

  /** `<Semaphore [unlocked, value:1]>` or `<Semaphore [locked, waiters:2]>`. */
  override toString(): string {
    const state = this.locked() ? "locked" : `unlocked, value:${this._value}`;
    return `<${this.constructor.name} [${withWaiters(state, this.#waiters)}]>`;
  }

  /**
   * @internal The wait of `waiter` is over, just before its task resumes
   * (see `Future._wait`): leave the queue; if interrupted after being handed
   * a slot, give it back (pinned by "a woken-then-cancelled waiter hands its
   * slot on"). Then wake the waiters that queued behind us while slots were
   * free (FIFO made them wait), as many as there are slots.
   */
  _waitOver(waiter: Future<unknown>, interrupted: boolean): void {
    const position = this.#waiters.remove(waiter as Future<true>);
    if (position >= 0 && position < this.#doneBefore) this.#doneBefore--;
    if (interrupted && waiter.done() && !waiter.cancelled()) this._value++;
    while (this._value > 0 && this.#wakeUpNext());
  }

  /** Hand a slot to the first waiter not already woken; false if none. */
  #wakeUpNext(): boolean {
    const waiters = this.#waiters;
    for (let i = this.#doneBefore; i < waiters.length; i++) {
      const waiter = waiters.at(i);
      if (waiter.done()) continue;
      this._value--;
      waiter.setResult(true);
      this.#doneBefore = i + 1;
      return true;
    }
    this.#doneBefore = waiters.length;
    return false;
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

function allCancelled(waiters: Deque<Future<unknown>>): boolean {
  for (let i = 0; i < waiters.length; i++) if (!waiters.at(i).cancelled()) return false;
  return true;
}

function anyNotCancelled(waiters: Deque<Future<unknown>>): boolean {
  return !allCancelled(waiters);
}

function withWaiters(state: string, waiters: Deque<unknown>): string {
  return waiters.length > 0 ? `${state}, waiters:${waiters.length}` : state;
}
