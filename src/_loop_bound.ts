/**
 * The loop binding shared by the locks and the queues (Python:
 * `asyncio.mixins._LoopBoundMixin`).
 *
 * A primitive is made without a loop and binds itself to the running loop
 * the first time it has to make someone wait (the first Future it creates).
 * Its fast paths (an acquire that succeeds at once, a `getNowait`) never
 * bind, as in asyncio, so a primitive made at module level works with
 * whichever loop first uses it.
 *
 * @module
 */

import { RuntimeError } from "./errors.ts";
import { getEventLoop } from "./events.ts";
import { failedFuture, type Future } from "./futures.ts";
import type { EventLoop } from "./loop.ts";
import { requireRunningLoop, runningLoopOrNull } from "./_running_loop.ts";
import { Waiter, WaiterWithArgument, type WaitOwner, type WaitQueue } from "./_waits.ts";

/**
 * The base of the synchronization primitives and queues: each binds to the
 * first event loop that makes someone wait on it, and refuses waits from
 * any other (`RuntimeError: <repr> is bound to a different event loop`).
 * Python: `asyncio.mixins._LoopBoundMixin`.
 */
export abstract class LoopBound {
  #loop: EventLoop | null = null;

  /**
   * @internal The running loop, binding this object to it on first use.
   *
   * @throws {RuntimeError} `no running event loop`, or `<repr> is bound to a
   * different event loop`.
   */
  _getLoop(): EventLoop {
    const loop = requireRunningLoop();
    if (this.#loop === null) this.#loop = loop;
    else if (this.#loop !== loop) {
      throw new RuntimeError(`${this} is bound to a different event loop`);
    }
    return loop;
  }

  /**
   * @internal Make someone wait: a new Waiter of `owner` (with `argument`,
   * if given) at the back of `queue`, for the running loop; a failed Future
   * instead when that is the wrong loop (or none), as the await of
   * asyncio's coroutine fails.
   */
  _enqueue<T>(queue: WaitQueue<Waiter<T>>, owner: WaitOwner<T>, argument?: unknown): Future<T> {
    let loop: EventLoop;
    try {
      loop = this._getLoop();
    } catch (error) {
      return failedFuture(anyLoop(), error);
    }
    const waiter = argument === undefined
      ? new Waiter(loop, owner)
      : new WaiterWithArgument(loop, owner, argument);
    queue.push(waiter);
    return waiter;
  }
}

/**
 * @internal The loop of a wait that did not have to wait: the running loop,
 * else the current one (an `acquire()` at the top of a module, before any
 * loop runs, still gives a Future).
 */
export function anyLoop(): EventLoop {
  return runningLoopOrNull() ?? getEventLoop();
}
