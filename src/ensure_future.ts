/**
 * `ensureFuture`: turn anything awaitable into a Future of a loop.
 *
 * @module
 */

import { Future, isThenable } from "./futures.ts";
import { getEventLoop } from "./events.ts";
import type { EventLoop } from "./loop.ts";
import { type CoroutineFunction, wrapThenable } from "./tasks.ts";

/** Options for `ensureFuture`. */
export interface EnsureFutureOptions {
  /**
   * The loop the Future (or Task) belongs to.
   * @default the running loop, else the current one (`getEventLoop()`)
   */
  loop?: EventLoop;
}

/**
 * A Future for `awaitable`: a Future or Task is returned as it is, a function
 * is started as a Task, a promise (or other thenable) is wrapped in a Future.
 * Python: `asyncio.ensure_future`.
 *
 * Wrapping is also how a task awaits a foreign promise cancellably: the
 * `await` of the wrapper throws `CancelledError` as soon as the task is
 * cancelled (the promise itself runs on; pass the task's `signal` to stop it).
 *
 * @throws {TypeError} `An asyncio.Future, a coroutine or an awaitable is
 * required` if `awaitable` is none of those.
 * @throws {RuntimeError} `Event loop is closed` if a function or promise
 * is given with a closed `loop`.
 * @throws {RangeError} if a Future of another loop is passed with `loop`.
 *
 * @example Awaiting fetch cancellably
 * ```ts
 * import { currentTask, ensureFuture, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const signal = currentTask()!.signal;
 *   const slow = new Promise((resolve) => setTimeout(resolve, 10, "done"));
 *   console.log(await ensureFuture(slow), signal.aborted); // done false
 * });
 * ```
 */
export function ensureFuture<T>(
  awaitable: Future<T> | PromiseLike<T> | CoroutineFunction<T>,
  options: EnsureFutureOptions = {},
): Future<T> {
  const { loop } = options;
  if (awaitable instanceof Future) {
    if (loop !== undefined && awaitable.getLoop() !== loop) {
      throw new RangeError(
        "The future belongs to a different loop than the one specified as the loop argument",
      );
    }
    return awaitable;
  }
  if (typeof awaitable === "function") return (loop ?? getEventLoop()).createTask(awaitable);
  if (isThenable(awaitable)) return wrapThenable(awaitable, loop ?? getEventLoop());
  // CPython's message, word for word.
  throw new TypeError("An asyncio.Future, a coroutine or an awaitable is required");
}
