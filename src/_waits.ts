/**
 * The one way the library waits: what a lock's `acquire()`, a queue's
 * `get()`, a condition's `wait()` and every other wait hand out.
 *
 * Design note. Every wait is a Future, so that whoever holds it can cancel
 * the wait itself: `waitFor(queue.get(), 5)`, `gather(lock.acquire(), ...)`
 * and `shield` cancel the Future they were given, and with a plain promise
 * they would cancel only a wrapper while the primitive's waiter stayed
 * queued, to swallow the next item or take the lock for nobody. Two shapes:
 *
 * - `Waiter`: one place in one primitive's queue (Lock, Semaphore, Event,
 *   Queue, a StreamReader's read; `wait()`'s Future is one with no queue).
 *   It is pending while queued, and stays pending once the
 *   primitive grants it (`_grant()`): its *grant step* runs at the loop's
 *   next iteration, takes what was granted (the lock, a slot, an item) and
 *   finishes the Future, delivering the outcome to the code awaiting it in
 *   that same step. That step is where asyncio's coroutine would run after
 *   its future was set, so a cancel that comes first still withdraws the
 *   wait and passes the grant on (`_withdraw`), and orderings are asyncio's
 *   step for step.
 * - `Coroutine`: a wait of several steps (Condition.wait: wait, then take
 *   the lock back; Condition.waitFor, Barrier.wait, asCompleted's next
 *   finished future), written as an async function like
 *   CPython's. It runs in its caller's context, waits on its own account
 *   (`co.wait(inner)`), is stepped by the loop like a task, and a cancel
 *   reaches the inner wait it is parked on.
 *
 * Rejected: awaiting native promises made inside async functions (the shape
 * before: cheap, but nothing outside could cancel the wait), and a Task per
 * multi-step wait (an iteration later at each end, and a task in
 * `allTasks()` that asyncio does not have).
 *
 * @module
 */

import { CancelledError, loopCancelledError } from "./errors.ts";
import { Future, type Stepper } from "./futures.ts";
import type { EventLoop } from "./loop.ts";

/**
 * @internal The side of a primitive that hands out `Waiter`s: what a grant
 * step takes, and how a cancelled wait leaves.
 */
export interface WaitOwner<T> {
  /**
   * The grant step of `waiter`: take what was granted and finish it with
   * `_setResultNow` / `_setExceptionNow`, or queue it again.
   */
  _take(waiter: Waiter<T>): void;
  /** `waiter` was cancelled while pending (its `_place` tells where it was). */
  _withdraw(waiter: Waiter<T>): void;
}

/**
 * @internal A wait in one primitive's queue. Its `owner` says what the
 * grant step takes and how a cancelled wait leaves; `_argument()` what the
 * primitive needs to finish it, if anything (`WaiterWithArgument`).
 */
export class Waiter<T> extends Future<T> {
  // Invariants: pending until its grant step finished it or it was
  // cancelled. _place is "queued" exactly while a WaitQueue holds it (only
  // the queue sets and clears that), "granted" from _grant() until its
  // grant step runs (or it is cancelled). One field for both: a waiter is
  // taken out of its queue before it is granted.
  /** @internal Where the wait is. */
  _place: "nowhere" | "queued" | "granted" = "nowhere";

  constructor(loop: EventLoop, readonly owner: WaitOwner<T>) {
    super(loop);
  }

  /** @internal What the primitive needs to finish it: see `WaiterWithArgument`. */
  _argument(): unknown {
    return undefined;
  }

  /** @internal Let it go: its grant step runs at the loop's next iteration. */
  _grant(): void {
    this._place = "granted";
    this.getLoop()._schedule(runGrantStep, this as Waiter<unknown>);
  }

  /**
   * Cancel the wait: it leaves its primitive's queue at once, and what was
   * granted to it and not taken yet goes to the next waiter.
   */
  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    this.owner._withdraw(this);
    this._place = "nowhere";
    return true;
  }
}

/**
 * @internal A Waiter with what its primitive needs to finish it: a queue's
 * item to put, `true` for a `hold()`. A class of its own so that the
 * others (an event's, a get's) do without the field.
 */
export class WaiterWithArgument<T> extends Waiter<T> {
  readonly #argument: unknown;

  constructor(loop: EventLoop, owner: WaitOwner<T>, argument: unknown) {
    super(loop, owner);
    this.#argument = argument;
  }

  /** @internal */
  override _argument(): unknown {
    return this.#argument;
  }
}

function runGrantStep(waiter: Waiter<unknown>): void {
  if (waiter.done()) return;
  waiter._place = "nowhere";
  waiter.owner._take(waiter);
}

/** @internal A Future of `loop` that is done with `value` (a wait that did not have to wait). */
export function doneFuture<T>(loop: EventLoop, value: T): Future<T> {
  const done = new Future<T>(loop);
  done.setResult(value);
  return done;
}

/**
 * @internal The FIFO queue of a primitive's waiters. `delete` is O(1): a
 * deleted waiter is only unmarked, skipped when it reaches the front, and
 * the array is compacted once the dead entries outnumber the live ones, so
 * cancelling any number of waiters in any order costs O(1) each.
 */
export class WaitQueue<W extends Waiter<unknown>> {
  // Invariant: the live waiters are those of #items[#head...] whose _place
  // is "queued", in arrival order; #live counts them.
  #items: (W | undefined)[] = [];
  #head = 0;
  #live = 0;

  /** How many waiters are queued. */
  get length(): number {
    return this.#live;
  }

  push(waiter: W): void {
    waiter._place = "queued";
    this.#items.push(waiter);
    this.#live++;
  }

  /** The first waiter, left in place. */
  peek(): W | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const waiter = items[this.#head]!;
      if (waiter._place === "queued") return waiter;
      items[this.#head++] = undefined;
    }
    this.#reset();
    return undefined;
  }

  /** Take the first waiter out. */
  shift(): W | undefined {
    const waiter = this.peek();
    if (waiter === undefined) return undefined;
    this.#items[this.#head++] = undefined;
    waiter._place = "nowhere";
    this.#live--;
    if (this.#live === 0) this.#reset();
    return waiter;
  }

  /** Remove `waiter`, wherever it is; false if it was not queued. */
  delete(waiter: W): boolean {
    if (waiter._place !== "queued") return false;
    waiter._place = "nowhere";
    this.#live--;
    const span = this.#items.length - this.#head;
    if (this.#live === 0) this.#reset();
    else if (span > 32 && this.#live * 2 < span) this.#compact();
    return true;
  }

  /** The queued waiters, front first (a copy: the queue may change meanwhile). */
  toArray(): W[] {
    const out: W[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const waiter = this.#items[i]!;
      if (waiter._place === "queued") out.push(waiter);
    }
    return out;
  }

  #compact(): void {
    this.#items = this.toArray();
    this.#head = 0;
  }

  #reset(): void {
    this.#items = [];
    this.#head = 0;
  }
}

/**
 * @internal A wait of several steps, written as an async function `body`
 * that awaits its inner waits through `co.wait(inner)`: the inner waits are
 * this coroutine's own (a cancel of the coroutine reaches the one it is
 * parked on), and the loop steps the body like a task's. The body runs at
 * once, in the caller's context. When it finishes inside its own step, the
 * code awaiting the coroutine resumes in that same step, as a Python caller
 * does when a coroutine it awaits returns.
 *
 * Bodies should await only pending waits (a done one would cost a
 * microtask hop, and the body could then finish after its caller parked).
 */
export class Coroutine<T> extends Future<T> implements Stepper {
  // Invariants: _waiter is the pending inner wait the body is parked on
  // (null while it runs or once done); _mustCancel records a cancel that
  // found no inner wait to cancel, delivered at the next wake-up.
  /** @internal */ _waiter: Future<unknown> | null = null;
  /** @internal */ _mustCancel = false;

  constructor(loop: EventLoop, body: (co: Coroutine<T>) => Promise<T>) {
    super(loop);
    body(this).then(
      (value) => this._end(false, value),
      (error) => this._end(true, error),
    );
  }

  /** Await `inner` on this coroutine's account (from its body only). */
  wait<U>(inner: Future<U>): Promise<U> {
    return inner._waitBy(this);
  }

  /**
   * Cancel: the inner wait the body is parked on is cancelled, and the body
   * gets `CancelledError` there. The coroutine ends when its body does (it
   * may clean up first, or swallow the cancel), as a task would.
   */
  override cancel(message?: string): boolean {
    this._markRetrieved();
    if (this.done()) return false;
    if (this._waiter !== null && this._waiter.cancel(message)) return true;
    this._mustCancel = true;
    this._cancelMessage = message;
    return true;
  }

  override toString(): string {
    return this.done() ? super.toString() : `<Coroutine pending waiter=${this._waiter}>`;
  }

  /** @internal */
  _suspendOn(future: Future<unknown>, _byCall: boolean): void {
    this._waiter = future;
    if (this._mustCancel && future.cancel(this._cancelMessage)) this._mustCancel = false;
    // The step that ends is this coroutine's, or that of the task awaiting
    // it while it ran (see Task._suspendOn); the body goes on until its
    // `await`, so it ends in a microtask.
    const loop = this.getLoop();
    const stepping = loop._stepping;
    if (stepping === this || (stepping !== null && stepping._waiter === this)) {
      loop._endStepSoon(stepping);
    }
  }

  /** @internal */
  _wakeUp(future: Future<unknown>): CancelledError | null {
    if (this._waiter === future) this._waiter = null;
    if (this.done()) return null;
    this.getLoop()._beginStep(this);
    if (!this._mustCancel) return null;
    this._mustCancel = false;
    return loopCancelledError(this._cancelMessage);
  }

  /** @internal The body ended: finish with its outcome. */
  _end(failed: boolean, value: unknown): void {
    const loop = this.getLoop();
    // Ended after its loop closed (only a body that waited on a foreign
    // promise can): there is no one left to tell.
    if (loop.isClosed()) return;
    const stepping = loop._stepping;
    // Inside its own step, or its awaiting task's: deliver now (that code
    // resumes in this step); otherwise through the loop, as any future.
    const now = stepping === this || (stepping !== null && stepping._waiter === this);
    if (failed && value instanceof CancelledError) {
      if (now) {
        this._cancelQuietly();
        this._cancelledError = value;
        this._runCallbacksNow();
      } else {
        Future.prototype.cancel.call(this);
        this._cancelledError = value;
      }
    } else if (failed) {
      if (now) this._setExceptionNow(value);
      else this.setException(value);
    } else {
      if (now) this._setResultNow(value as T);
      else this.setResult(value as T);
    }
    loop._endStep(this);
  }
}
