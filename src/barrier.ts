/**
 * `Barrier`: tasks wait until a set number of them have arrived, then all go
 * on together. Python: `asyncio.Barrier` (3.11+).
 *
 * Design note. The barrier is a state machine driven through a `Condition`,
 * as in asyncio, so that its orderings are asyncio's: the last task to arrive
 * returns first, then the others in arrival order (each takes the
 * condition's lock in turn); tasks arriving while the barrier drains wait for
 * the next cycle. `abort()` and `reset()` take the condition's lock too,
 * which is why they wait too. Each wait is a library coroutine
 * (`_waits.ts`): cancelling it, directly or through `waitFor` or `gather`,
 * reaches the condition wait inside.
 *
 * `async with barrier as index` is `barrier.with((index) => ...)`, the name
 * the locks use (see `locks.ts`). There is no `hold()`: leaving an
 * `async with barrier` block does nothing, so `const index = await
 * barrier.wait()` already is the exact form.
 *
 * @module
 */

import { BrokenBarrierError } from "./errors.ts";
import type { Future } from "./futures.ts";
import { Condition } from "./locks.ts";
import { LoopBound } from "./_loop_bound.ts";
import { checkCount } from "./_checks.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { Coroutine } from "./_waits.ts";

/**
 * The states of a `Barrier`: `filling` (tasks arrive), `draining` (the
 * barrier tripped and its tasks are leaving), `resetting` (`reset()` broke
 * the waiting tasks, which are leaving) and `broken` (`abort()`).
 */
export type BarrierState = "filling" | "draining" | "resetting" | "broken";

/**
 * A meeting point for a fixed number of tasks. Python: `asyncio.Barrier`.
 *
 * Each task calls `wait()`; once `parties` tasks are waiting, all of them
 * return, each with a distinct arrival index from 0 to `parties - 1`. The
 * barrier then fills again for the next round. `abort()` breaks it for
 * good; `reset()` breaks the current round and starts a new one.
 *
 * Not promised: a task cancelled while it waits leaves the barrier (the
 * count goes down), but if the barrier tripped just before, it still counts
 * as having passed.
 *
 * @example Three workers starting a phase together
 * ```ts
 * import { Barrier, gather, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const barrier = new Barrier(3);
 *   const indexes = await gather(
 *     ...[1, 2, 3].map(() => () => barrier.wait()),
 *   );
 *   console.log(indexes); // [ 0, 1, 2 ]
 * });
 * ```
 */
export class Barrier extends LoopBound {
  // Invariants: #count is the number of tasks inside wait() past the
  // blocking phase (arrived in this round, or leaving it). The state goes
  // filling -> draining when the last party arrives, and back to filling
  // when the last task leaves (#exit); resetting likewise returns to filling
  // when the last broken waiter leaves; broken is final until reset().
  // Every state change is announced with notifyAll on #cond.
  readonly #cond = new Condition();
  readonly #parties: number;
  #state: BarrierState = "filling";
  #count = 0;

  /**
   * Make a barrier for `parties` tasks.
   *
   * @param parties How many tasks must wait for the barrier to trip.
   * @throws {RangeError} `parties must be > 0` (also for NaN), or for a number that is not whole.
   * @throws {TypeError} if `parties` is not a number.
   */
  constructor(parties: number) {
    super();
    checkCount(parties, "parties", 1, "parties must be > 0");
    this.#parties = parties;
  }

  /** How many tasks must wait for the barrier to trip. Python: `parties`. */
  get parties(): number {
    return this.#parties;
  }

  /** How many tasks are waiting in the current round (0 unless filling). Python: `n_waiting`. */
  get nWaiting(): number {
    return this.#state === "filling" ? this.#count : 0;
  }

  /** Whether the barrier is broken (by `abort()`). Python: `broken`. */
  get broken(): boolean {
    return this.#state === "broken";
  }

  /** The current state. */
  get state(): BarrierState {
    return this.#state;
  }

  /**
   * Wait until `parties` tasks are waiting; the Future resolves with this
   * task's arrival index (0 for the first). Python: `wait()`.
   *
   * @throws {BrokenBarrierError} `Barrier aborted` if the barrier is broken
   * when the task arrives, `Abort or reset of barrier` if it is aborted or
   * reset while the task waits.
   * @throws {CancelledError} if the wait is cancelled.
   * @throws {RuntimeError} if the barrier is bound to a different event loop.
   */
  wait(): Future<number> {
    return new Coroutine(requireRunningLoop(), (co) => this.#waitIn(co));
  }

  async #waitIn(co: Coroutine<number>): Promise<number> {
    await waitUnlessDone(co, this.#cond.acquire());
    try {
      await this.#block(co);
      // A task about to wait binds the barrier first, before it counts in.
      if (this.#count + 1 < this.#parties) this._getLoop();
      try {
        const index = this.#count++;
        if (index + 1 === this.#parties) this.#trip();
        else await this.#waitForTrip(co);
        return index;
      } finally {
        this.#count--;
        this.#exit();
      }
    } finally {
      this.#cond.release();
    }
  }

  /**
   * Wait at the barrier, then run `body` with the arrival index and resolve
   * with its result. Python: `async with barrier as index: ...`.
   *
   * @throws as `wait()`, and whatever `body` throws.
   */
  async with<R>(body: (index: number) => R | PromiseLike<R>): Promise<Awaited<R>> {
    return await body(await this.wait());
  }

  /**
   * Break the current round: its waiting tasks fail with
   * `BrokenBarrierError`, and the barrier fills again. Python: `reset()`.
   *
   * @throws {CancelledError} if the wait for the barrier's lock is cancelled.
   */
  reset(): Future<void> {
    return this.#holdingLock(() => {
      if (this.#count > 0) {
        // The tasks inside leave one by one; the last one refills (#exit).
        if (this.#state !== "resetting") this.#state = "resetting";
      } else {
        this.#state = "filling";
      }
      this.#cond.notifyAll();
    });
  }

  /**
   * Break the barrier: waiting tasks and later callers of `wait()` fail with
   * `BrokenBarrierError`, until `reset()`. Python: `abort()`.
   *
   * @throws {CancelledError} if the wait for the barrier's lock is cancelled.
   */
  abort(): Future<void> {
    return this.#holdingLock(() => {
      this.#state = "broken";
      this.#cond.notifyAll();
    });
  }

  /** `<Barrier [filling, waiters:2/3]>` or `<Barrier [broken]>`, like asyncio's repr. */
  override toString(): string {
    const extra = this.#state === "broken"
      ? this.#state
      : `${this.#state}, waiters:${this.nWaiting}/${this.#parties}`;
    return `<${this.constructor.name} [${extra}]>`;
  }

  // Run `change` holding the condition's lock (`reset`, `abort`).
  #holdingLock(change: () => void): Future<void> {
    return new Coroutine<void>(requireRunningLoop(), async (co) => {
      await waitUnlessDone(co, this.#cond.acquire());
      try {
        change();
      } finally {
        this.#cond.release();
      }
    });
  }

  // Arriving: wait while the previous round drains or resets.
  async #block(co: Coroutine<number>): Promise<void> {
    if (this.#state === "draining" || this.#state === "resetting") this._getLoop();
    await waitUnlessDone(
      co,
      this.#cond.waitFor(() => this.#state !== "draining" && this.#state !== "resetting"),
    );
    if (this.#state === "broken") throw new BrokenBarrierError("Barrier aborted");
  }

  // The last party arrived: let everyone go.
  #trip(): void {
    this.#state = "draining";
    this.#cond.notifyAll();
  }

  // Waiting in a filling round until it trips, or breaks.
  async #waitForTrip(co: Coroutine<number>): Promise<void> {
    await waitUnlessDone(co, this.#cond.waitFor(() => this.#state !== "filling"));
    if (this.#state === "broken" || this.#state === "resetting") {
      throw new BrokenBarrierError("Abort or reset of barrier");
    }
  }

  // Leaving: the last task out of a draining or resetting round refills it.
  #exit(): void {
    if (this.#count !== 0) return;
    if (this.#state === "resetting" || this.#state === "draining") this.#state = "filling";
    this.#cond.notifyAll();
  }
}

/**
 * `await co.wait(inner)` for a pending `inner`; a done one gives its outcome
 * without a wait (a coroutine that never parks ends in its caller's step).
 */
function waitUnlessDone<T>(co: Coroutine<unknown>, inner: Future<T>): T | Promise<T> {
  return inner.done() ? inner.result() : co.wait(inner);
}
