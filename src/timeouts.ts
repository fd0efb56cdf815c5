/**
 * `timeout` and `timeoutAt`: cancel a block of code that runs past a
 * deadline, and report it as `TimeoutError`.
 *
 * Design note. Python spells this `async with asyncio.timeout(10):`. The
 * exit of that block must see the error the body raised (to turn the
 * timeout's own cancellation into `TimeoutError`), and `await using` cannot
 * see it, so the body is a callback: `await timeout(10, async (t) => ...)`.
 * The body runs in the calling task (no new task), so it shares the task's
 * cancellation, exactly like the Python block.
 *
 * How a deadline is told apart from any other cancel (Python 3.11+): on
 * entry the Timeout records `task.cancelling()`; on expiry it calls
 * `task.cancel()`; on exit it calls `task.uncancel()`, and only if the count
 * is back at (or below) the recorded one and a `CancelledError` is leaving
 * the body does it raise `TimeoutError` instead. So nested timeouts convert
 * only at the level that fired, a cancel from outside in the same iteration
 * wins, and a body that swallows the cancellation just returns (with
 * `expired()` true).
 *
 * Not ported: Python 3.13 also links a `TimeoutError` into the `__context__`
 * chain of a non-cancellation error leaving an expired block; JavaScript
 * errors have no such chain to edit.
 *
 * @module
 */

import { CancelledError, RuntimeError, TimeoutError } from "./errors.ts";
import type { Handle } from "./handles.ts";
import { checkSeconds } from "./_checks.ts";
import { reprValue } from "./_repr.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { currentTask, type Task } from "./tasks.ts";

/**
 * The states of a `Timeout`: `created` until its block starts, `active`
 * while it runs, `expiring` once the deadline cancelled the task, then
 * `expired` (the deadline hit) or `finished` (it did not) after the block.
 */
export type TimeoutState = "created" | "active" | "expiring" | "expired" | "finished";

/**
 * The body of a `timeout()` block: gets the Timeout, to read or move its
 * deadline. What it returns is awaited if it is a Future or a promise (as an
 * async function's return value is); box a Task in an array to return it.
 */
export type TimeoutBody<T> = (timeout: Timeout) => T | PromiseLike<T>;

/**
 * A deadline for a block of code run by `run(body)`. Python:
 * `asyncio.Timeout`. Usually made by `timeout()` or `timeoutAt()`.
 *
 * Not promised: a task busy in synchronous code, or awaiting a foreign
 * promise, is interrupted only at its next library await.
 *
 * @example Moving the deadline from inside the block
 * ```ts
 * import { getRunningLoop, run, sleep, Timeout } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const deadline = new Timeout(null); // no deadline yet
 *   await deadline.run(async (t) => {
 *     t.reschedule(getRunningLoop().time() + 0.05);
 *     await sleep(0.01);
 *   });
 *   console.log(deadline.expired()); // false
 * });
 * ```
 */
export class Timeout {
  // Invariants: #task is set from "active" on. #timer is the pending expiry
  // callback, only while "active" with a deadline. #cancelling is the task's
  // cancelling() count on entry: exit converts the CancelledError only if
  // uncancel() brings the count back to it (no one else cancelled).
  #state: TimeoutState = "created";
  #when: number | null;
  #timer: Handle | null = null;
  #task: Task<unknown> | null = null;
  #cancelling = 0;
  #raised: TimeoutError | null = null;

  /**
   * Make a Timeout with deadline `when` (loop time), or none.
   *
   * @param when The deadline on the loop's clock (`loop.time()`), or `null`
   * for none. A deadline in the past fires at the loop's next iteration.
   * @throws {TypeError} if `when` is neither a number nor null.
   * @throws {RangeError} if `when` is NaN.
   */
  constructor(when: number | null) {
    if (when !== null) checkSeconds(when, "when");
    this.#when = when;
  }

  /** The deadline on the loop's clock, or `null` if there is none. */
  when(): number | null {
    return this.#when;
  }

  /**
   * Move the deadline to `when` (loop time; `null`: no deadline). A
   * deadline already past fires at the next iteration.
   *
   * @throws {RuntimeError} `Timeout has not been entered` before the block
   * runs, `Cannot change state of expiring Timeout` (or `expired`,
   * `finished`) after the deadline hit or the block ended.
   */
  reschedule(when: number | null): void {
    if (this.#state !== "active") {
      if (this.#state === "created") throw new RuntimeError("Timeout has not been entered");
      throw new RuntimeError(`Cannot change state of ${this.#state} Timeout`);
    }
    if (when !== null) checkSeconds(when, "when");
    this.#when = when;
    this.#timer?.cancel();
    this.#timer = null;
    if (when === null) return;
    const loop = this.#task!.getLoop();
    // A past deadline still waits for the next iteration, so a block that
    // never suspends is not cut short (pinned by "timeout(0) around code that never suspends does not expire").
    this.#timer = when <= loop.time()
      ? loop._callSoon(this.#expire)
      : loop._callAt(when, this.#expire);
  }

  /** Whether the deadline hit while the block ran. */
  expired(): boolean {
    return this.#state === "expiring" || this.#state === "expired";
  }

  /** The state, as in Python's repr: `<Timeout [active] when=12.5>`. */
  toString(): string {
    if (this.#state !== "active") return `<Timeout [${this.#state}]>`;
    const when = this.#when === null ? "null" : String(Math.round(this.#when * 1000) / 1000);
    return `<Timeout [${this.#state}] when=${when}>`;
  }

  /**
   * Run `body` under this deadline, in the calling task, and return its
   * result. Python: `async with timeout_obj:`. If the deadline hits, the
   * task is cancelled; a `CancelledError` leaving the body because of it
   * becomes `TimeoutError` (its `cause` is the CancelledError).
   *
   * @throws {TimeoutError} the deadline hit and the body let the cancellation out.
   * @throws {RuntimeError} `Timeout has already been entered`, `Timeout
   * should be used inside a task`, `no running event loop`.
   */
  async run<T>(body: TimeoutBody<T>): Promise<T> {
    checkBody(body);
    this.#enter();
    let result: T;
    try {
      result = await body(this);
    } catch (error) {
      this.#exit(true, error);
      throw error;
    }
    this.#exit(false, undefined);
    return result;
  }

  /**
   * @internal Expire now, as the deadline would: `withSignal` is a Timeout
   * whose abort does this, and turns the TimeoutError it then gets
   * (`_isOwnError`) into the signal's reason.
   */
  _expireNow(): void {
    if (this.#state === "active") this.#expire();
  }

  /** @internal Whether `error` is the TimeoutError this Timeout raised. */
  _isOwnError(error: unknown): boolean {
    return error !== null && error === this.#raised;
  }

  #enter(): void {
    if (this.#state !== "created") throw new RuntimeError("Timeout has already been entered");
    const task = currentTask(requireRunningLoop());
    if (task === null) throw new RuntimeError("Timeout should be used inside a task");
    this.#state = "active";
    this.#task = task;
    this.#cancelling = task.cancelling();
    this.reschedule(this.#when);
  }

  #exit(failed: boolean, error: unknown): void {
    this.#timer?.cancel();
    this.#timer = null;
    if (this.#state === "active") {
      this.#state = "finished";
      return;
    }
    // "expiring": the deadline cancelled the task; take that request back.
    this.#state = "expired";
    const left = this.#task!.uncancel();
    if (left <= this.#cancelling && failed && error instanceof CancelledError) {
      throw this.#raised = new TimeoutError("", { cause: error });
    }
  }

  readonly #expire = (): void => {
    this.#task!.cancel();
    this.#state = "expiring";
    this.#timer = null;
  };
}

/**
 * Run `body` in the calling task, cancelling it if it takes longer than
 * `delay` seconds; that cancellation leaves as `TimeoutError`. `null` means
 * no deadline (the body can set one with `t.reschedule()`). Python:
 * `async with asyncio.timeout(delay) as t:`.
 *
 * The body gets the `Timeout`: `t.when()`, `t.reschedule(when)`,
 * `t.expired()`. A body that catches the cancellation and returns normally
 * is not turned into an error (`t.expired()` is then true).
 *
 * @param delay Seconds from now, or `null`.
 * @param body The code to run.
 * @throws {TimeoutError} (on await) when the deadline hits.
 * @throws {RuntimeError} `no running event loop` (at once); `Timeout should
 * be used inside a task` (on await).
 * @throws {TypeError} if `delay` is neither a number nor null.
 *
 * @example Give up on a slow operation
 * ```ts
 * import { run, sleep, timeout, TimeoutError } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   try {
 *     await timeout(0.01, async () => {
 *       await sleep(3600);
 *     });
 *   } catch (e) {
 *     console.log(e instanceof TimeoutError); // true
 *   }
 * });
 * ```
 */
export function timeout<T>(delay: number | null, body: TimeoutBody<T>): Promise<T> {
  const loop = requireRunningLoop();
  if (delay !== null) checkSeconds(delay, "delay");
  checkBody(body);
  return new Timeout(delay === null ? null : loop.time() + delay).run(body);
}

/**
 * Like `timeout()`, with an absolute deadline on the loop's clock
 * (`getRunningLoop().time()`), or `null` for none. Python:
 * `asyncio.timeout_at(when)`.
 *
 * @throws {TimeoutError} (on await) when the deadline hits.
 * @throws {RuntimeError} `Timeout should be used inside a task` (on await).
 *
 * @example A deadline shared by two steps
 * ```ts
 * import { getRunningLoop, run, sleep, timeoutAt } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const deadline = getRunningLoop().time() + 1;
 *   await timeoutAt(deadline, () => sleep(0.01));
 *   await timeoutAt(deadline, () => sleep(0.01));
 *   console.log("both steps made it");
 * });
 * ```
 */
export function timeoutAt<T>(when: number | null, body: TimeoutBody<T>): Promise<T> {
  checkBody(body);
  return new Timeout(when).run(body);
}

/**
 * @throws {TypeError} if `body` is not a function: what a block under a
 * deadline takes; `waitFor` is the form for an awaitable.
 */
function checkBody(body: unknown): void {
  if (typeof body !== "function") {
    throw new TypeError(
      `Cannot run a timeout block: expected a function (the block to run under the deadline), ` +
        `received ${reprValue(body)}; to wait for an awaitable with a deadline, use ` +
        "waitFor(awaitable, delay)",
    );
  }
}
