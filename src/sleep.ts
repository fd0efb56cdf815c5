/**
 * `sleep`: suspend the calling task for a while.
 *
 * @module
 */

import { failedFuture, Future } from "./futures.ts";
import type { TimerHandle } from "./handles.ts";
import type { EventLoop } from "./loop.ts";
import { checkSeconds } from "./_checks.ts";
import { requireRunningLoop } from "./_running_loop.ts";

/**
 * A Future that resolves with `result` after `delay` seconds. With `delay`
 * of 0 or less it yields for exactly one loop iteration, letting the other
 * ready tasks run. Cancelling the awaiting task cancels the sleep.
 * Python: `asyncio.sleep`.
 *
 * An invalid `delay` (not a number, or NaN) gives a Future that fails with a
 * `TypeError` or `RangeError` when awaited.
 *
 * @param delay Seconds to wait.
 * @param result The value to resolve with.
 * @throws {RuntimeError} `no running event loop`.
 *
 * @example Three tasks taking turns
 * ```ts
 * import { gather, run, sleep } from "@asyncio-ts/asyncio";
 * await run(() =>
 *   gather(...["a", "b", "c"].map((name) => async () => {
 *     for (let i = 0; i < 2; i++) {
 *       console.log(name, i); // a 0, b 0, c 0, a 1, b 1, c 1
 *       await sleep(0);
 *     }
 *   }))
 * );
 * ```
 */
export function sleep(delay: number): Future<void>;
/** A Future that resolves with `result` after `delay` seconds. */
export function sleep<T>(delay: number, result: T): Future<T>;
export function sleep<T>(delay: number, result?: T): Future<T | undefined> {
  const loop = requireRunningLoop();
  try {
    checkSeconds(delay, "delay");
  } catch (error) {
    return failedFuture(loop, error);
  }
  if (delay <= 0) {
    const future = new YieldFuture<T | undefined>(loop, result);
    loop._checkOpen();
    loop._schedule(finishYield, future as YieldFuture<unknown>);
    return future;
  }
  return new SleepFuture<T | undefined>(loop, delay, result);
}

// asyncio's sleep(0) is a bare yield: the task's next step is queued at
// once and runs at the next iteration. Running the waiter's wake-up right
// here, not through one more callSoon, gives exactly that (pinned by
// "sleep(0) yields for exactly one iteration").
function finishYield(future: YieldFuture<unknown>): void {
  if (future.done()) future._runCallbacksNow();
  else future._setResultNow(future.value);
}

/**
 * The Future of `sleep(0)`: carries the result until the yield is over. A
 * bare yield leaves nothing to cancel, so a cancel is delivered by the step
 * already queued, not one iteration later (pinned by "a cancel during
 * sleep(0) is delivered by the step already queued"), with the last message.
 */
class YieldFuture<T> extends Future<T> {
  constructor(loop: EventLoop, readonly value: T) {
    super(loop);
  }

  override cancel(message?: string): boolean {
    // Cancelling it again replaces the message: asyncio keeps the task's
    // last one (pinned by "two cancels during sleep(0)").
    return this._cancelQuietlyAgain(message === undefined ? undefined : String(message));
  }
}

/** A sleep's Future: cancelling it cancels its timer too. */
class SleepFuture<T> extends Future<T> {
  readonly #timer: TimerHandle;

  constructor(loop: EventLoop, delay: number, result: T) {
    super(loop);
    this.#timer = loop._callLater(delay, wakeSleeper, this as SleepFuture<unknown>, result);
  }

  override cancel(message?: string): boolean {
    this.#timer.cancel();
    return super.cancel(message);
  }
}

function wakeSleeper<T>(future: SleepFuture<T>, result: T): void {
  if (!future.done()) future.setResult(result);
}
