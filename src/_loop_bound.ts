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
import type { EventLoop } from "./loop.ts";
import { requireRunningLoop } from "./_running_loop.ts";

/** Base of the primitives that bind to the first loop that waits on them; not in mod.ts. */
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
}
