/**
 * Getting hold of an event loop: the running one, the current one, a new one.
 *
 * @module
 */

import { RuntimeError } from "./errors.ts";
import { EventLoop, type EventLoopOptions } from "./loop.ts";
import { requireRunningLoop, runningLoopOrNull } from "./_running_loop.ts";
import { reprValue } from "./_repr.ts";

let currentLoop: EventLoop | null = null;
let currentLoopWasSet = false;

/**
 * The running event loop. Python: `asyncio.get_running_loop`.
 *
 * @throws {RuntimeError} `no running event loop`.
 *
 * @example
 * ```ts
 * import { getRunningLoop, run } from "@asyncio-ts/asyncio";
 * await run(async () => console.log(getRunningLoop().isRunning())); // true
 * ```
 */
export function getRunningLoop(): EventLoop {
  return requireRunningLoop();
}

/**
 * The running loop if there is one, else the current loop; the first call
 * with neither makes a new loop and makes it current, as the book's listings
 * expect at the top level of a module. Python: `asyncio.get_event_loop`.
 *
 * @throws {RuntimeError} `There is no current event loop` after
 * `setEventLoop(null)` (which `run()` does when it finishes).
 *
 * @example
 * ```ts
 * import { getEventLoop } from "@asyncio-ts/asyncio";
 * const loop = getEventLoop();
 * await loop.runUntilComplete(async () => console.log("inside the loop"));
 * loop.close();
 * ```
 */
export function getEventLoop(): EventLoop {
  const running = runningLoopOrNull();
  if (running !== null) return running;
  if (currentLoop === null) {
    if (currentLoopWasSet) throw new RuntimeError("There is no current event loop");
    currentLoop = new EventLoop();
  }
  return currentLoop;
}

/**
 * Make `loop` the current loop (`null`: none). Python: `asyncio.set_event_loop`.
 *
 * @throws {TypeError} if `loop` is neither an EventLoop nor null.
 */
export function setEventLoop(loop: EventLoop | null): void {
  if (loop !== null && !(loop instanceof EventLoop)) {
    throw new TypeError(`loop must be an instance of EventLoop or null, not ${reprValue(loop)}`);
  }
  currentLoopWasSet = true;
  currentLoop = loop;
}

/**
 * A new event loop (not made current). Python: `asyncio.new_event_loop`.
 *
 * @example A loop on a virtual clock, for tests
 * ```ts
 * import { newEventLoop, sleep, VirtualClock } from "@asyncio-ts/asyncio";
 * const loop = newEventLoop({ clock: new VirtualClock() });
 * await loop.runUntilComplete(() => sleep(60));
 * console.log(loop.time()); // 60
 * loop.close();
 * ```
 */
export function newEventLoop(options?: EventLoopOptions): EventLoop {
  return new EventLoop(options);
}
