/**
 * `shield`: protect an awaitable from the cancellation of whoever awaits it.
 *
 * @module
 */

import { type Future, markAwaitedBy } from "./futures.ts";
import { ensureFuture } from "./ensure_future.ts";
import type { Awaitable } from "./wait.ts";

/**
 * A Future that follows `aw` but whose cancellation does not reach it:
 * cancelling the returned Future (or the task awaiting it) leaves `aw`
 * running. If `aw` itself is cancelled, the returned Future is cancelled
 * too. A function is started as a Task; an `aw` already done is returned
 * as it is. Python: `asyncio.shield`.
 *
 * Not promised: once the shielding Future is cancelled, no one is told of
 * `aw`'s outcome; keep a reference to it (or add a done callback) if an
 * error it may raise matters.
 *
 * @example Let a save finish even if the caller gives up
 * ```ts
 * import { createTask, run, shield, sleep, timeout } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const save = createTask(async () => {
 *     await sleep(0.05);
 *     return "saved";
 *   });
 *   await timeout(0.01, () => shield(save)).catch(() => console.log("gave up waiting"));
 *   console.log(await save); // saved
 * });
 * ```
 */
export function shield<T>(aw: Awaitable<T>): Future<T> {
  const inner = ensureFuture(aw);
  if (inner.done()) return inner;
  const outer = inner.getLoop().createFuture<T>();
  const onInnerDone = (done: Future<T>) => {
    if (outer.cancelled()) {
      // Mark the outcome as seen: the caller walked away on purpose.
      if (!done.cancelled()) done.exception();
      return;
    }
    if (done.cancelled()) {
      outer.cancel();
      return;
    }
    const error = done.exception();
    if (error !== null) outer.setException(error);
    else outer.setResult(done.result());
  };
  const onOuterDone = () => {
    if (!inner.done()) inner.removeDoneCallback(onInnerDone);
  };
  inner._addDoneCallback(markAwaitedBy(onInnerDone, outer));
  outer._addDoneCallback(onOuterDone);
  return outer;
}
