/**
 * Clocks for the event loop: the real monotonic one, and a virtual one that
 * jumps to the next timer whenever the loop has nothing else to do, so tests
 * of sleeps and timeouts run instantly.
 *
 * @module
 */

import { clearImmediate, setImmediate } from "node:timers";

/** What the event loop needs from a clock. */
export interface Clock {
  /** The current time in seconds; never goes backwards. */
  now(): number;
  /**
   * Call `wake` once the clock has reached `deadline` (seconds, on this
   * clock). Returns a function that cancels the wake-up. `deadline` may be
   * `Infinity`: then only the cancel function is ever called.
   */
  wakeAt(deadline: number, wake: () => void): () => void;
}

// setTimeout's delay is a signed 32-bit count of milliseconds; longer waits
// are cut to this and the loop simply waits again.
const MAX_HOST_DELAY_MS = 2 ** 31 - 1;

/**
 * The real clock: `performance.now()` in seconds, host timers for waiting.
 * This is the default clock of every loop.
 */
export class MonotonicClock implements Clock {
  now(): number {
    return performance.now() / 1000;
  }

  wakeAt(deadline: number, wake: () => void): () => void {
    if (deadline === Infinity) return noop;
    const delayMs = (deadline - this.now()) * 1000;
    if (delayMs <= 0) {
      const immediate = setImmediate(wake);
      return () => clearImmediate(immediate);
    }
    // Host timers may fire a little early; the loop then finds nothing due
    // and waits again for the remainder.
    const timer = setTimeout(wake, Math.min(Math.ceil(delayMs), MAX_HOST_DELAY_MS));
    return () => clearTimeout(timer);
  }
}

/**
 * A clock that only moves when the loop is idle: then it jumps straight to
 * the next timer's deadline (after letting the host run the callbacks that
 * are already due, so replies from Workers or I/O still come first).
 *
 * Use it for tests: `sleep(3600)` returns at once and `loop.time()` reads
 * 3600 more.
 *
 * @example A virtual hour
 * ```ts
 * import { newEventLoop, sleep, VirtualClock } from "@asyncio-ts/asyncio";
 * const loop = newEventLoop({ clock: new VirtualClock() });
 * await loop.runUntilComplete(() => sleep(3600));
 * console.log(loop.time()); // 3600
 * loop.close();
 * ```
 */
export class VirtualClock implements Clock {
  #now: number;

  /**
   * Make a virtual clock showing `start` seconds.
   *
   * @param start The time the clock shows at first, in seconds.
   */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  wakeAt(deadline: number, wake: () => void): () => void {
    if (deadline === Infinity) return noop;
    const immediate = setImmediate(() => {
      if (deadline > this.#now) this.#now = deadline;
      wake();
    });
    return () => clearImmediate(immediate);
  }

  /** Move the clock forward by `seconds` (for tests that step time by hand). */
  advance(seconds: number): void {
    if (typeof seconds !== "number") {
      throw new TypeError(
        `Cannot advance the clock: expected a number of seconds, received ${typeof seconds}`,
      );
    }
    if (!(seconds >= 0)) throw new RangeError(`Cannot advance the clock by ${seconds} seconds`);
    this.#now += seconds;
  }
}

function noop(): void {}
