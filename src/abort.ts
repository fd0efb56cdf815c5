/**
 * `withSignal`: the bridge from a web `AbortSignal` into asyncio
 * cancellation. (The other direction is `task.signal`, aborted when the
 * task is cancelled, for `fetch` and the APIs that take a signal.)
 *
 * Design note. It is a `Timeout` with no deadline that the abort expires:
 * the abort cancels the calling task once, and the `TimeoutError` the
 * Timeout's exit makes of it becomes `signal.reason`, so a cancel from
 * elsewhere still wins and an outer `timeout()` still sees its own
 * cancellation, by the very same `cancelling()`/`uncancel()` bookkeeping. Throwing
 * `signal.reason` (an `AbortError` DOMException unless the aborter chose
 * another) is what `fetch` and Deno's std do, so web code catches it as usual.
 *
 * @module
 */

import { RuntimeError } from "./errors.ts";
import { Future } from "./futures.ts";
import { ensureFuture } from "./ensure_future.ts";
import { reprValue } from "./_repr.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { currentTask } from "./tasks.ts";
import { Timeout } from "./timeouts.ts";
import type { Awaitable } from "./wait.ts";

/**
 * Await `aw` in the calling task, but stop as soon as `signal` aborts:
 * the await is cancelled (a Future or Task `aw` is cancelled with it, as
 * when a task awaiting it is cancelled) and `signal.reason` is thrown. A
 * function runs in the calling task. With a signal already aborted, a
 * function is never called and a pending Future is cancelled. Python has
 * no counterpart (asyncio has no AbortSignal); it behaves as `timeout()`
 * with the abort for a deadline.
 *
 * Not promised: a task awaiting a foreign promise stops only at its next
 * library await (a promise `aw` is wrapped, so waiting for it stops at once;
 * the promise itself runs on).
 *
 * @param aw A Future or Task, a promise, or an async function.
 * @param signal The signal that cancels the wait.
 * @throws {unknown} `signal.reason` when the signal aborts.
 * @throws {RuntimeError} `withSignal() should be used inside a task`.
 * @throws {TypeError} if `signal` is not an AbortSignal.
 *
 * @example Stop waiting when a controller aborts
 * ```ts
 * import { run, sleep, withSignal } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const controller = new AbortController();
 *   setTimeout(() => controller.abort(), 10);
 *   try {
 *     await withSignal(sleep(3600), controller.signal);
 *   } catch (e) {
 *     console.log((e as DOMException).name); // AbortError
 *   }
 * });
 * ```
 */
export async function withSignal<T>(aw: Awaitable<T>, signal: AbortSignal): Promise<T> {
  if (!(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot wait with a signal: expected an AbortSignal, received ${reprValue(signal)}`,
    );
  }
  const task = currentTask(requireRunningLoop());
  if (task === null) throw new RuntimeError("withSignal() should be used inside a task");
  const body = typeof aw === "function" ? aw : () => ensureFuture(aw);
  if (signal.aborted) {
    if (aw instanceof Future) aw.cancel();
    throw signal.reason;
  }
  // A Timeout with no deadline, expired by the abort instead: its
  // cancelling()/uncancel() bookkeeping decides what the cancel was.
  const scope = new Timeout(null);
  const onAbort = () => scope._expireNow();
  signal.addEventListener("abort", onAbort, { once: true });
  try {
    return await scope.run(body);
  } catch (error) {
    if (scope._isOwnError(error)) throw signal.reason;
    throw error;
  } finally {
    signal.removeEventListener("abort", onAbort);
  }
}
