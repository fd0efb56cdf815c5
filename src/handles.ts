/**
 * Handles: callbacks scheduled on an event loop, which can be cancelled.
 *
 * @module
 */

import { isThenable } from "./futures.ts";
import type { EventLoop } from "./loop.ts";
import type { CallbackContext } from "./_current_task.ts";

// deno-lint-ignore no-explicit-any
type AnyCallback = (...args: any[]) => unknown;

/**
 * A callback scheduled with `loop.callSoon()`. Python: `asyncio.Handle`.
 *
 * @example Cancelling a scheduled callback
 * ```ts
 * import { getEventLoop } from "@asyncio-ts/asyncio";
 * const loop = getEventLoop();
 * const handle = loop.callSoon(() => console.log("never printed"));
 * handle.cancel();
 * ```
 */
export class Handle {
  // Invariant: once cancelled, #callback and #args are dropped so that a
  // cancelled handle parked in a queue keeps nothing alive.
  #callback: AnyCallback | null;
  #args: readonly unknown[];
  #cancelled = false;
  // The context the callback runs in: its scheduler's (null for the
  // library's own callbacks, which need none).
  #context: CallbackContext | null;
  /** The loop the callback is scheduled on. */
  protected readonly loop: EventLoop;

  /** @internal Created by the loop's `callSoon`/`callLater`/`callAt`. */
  constructor(
    callback: AnyCallback,
    args: readonly unknown[],
    loop: EventLoop,
    context: CallbackContext | null = null,
  ) {
    this.#callback = callback;
    this.#args = args;
    this.loop = loop;
    this.#context = context;
  }

  /** Stop the callback from running. Calling it again does nothing. */
  cancel(): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#callback = null;
    this.#args = [];
    this.#context = null;
  }

  /** Whether `cancel()` was called. */
  cancelled(): boolean {
    return this.#cancelled;
  }

  /**
   * @internal Run the callback; an error goes to the loop's exception
   * handler, and so does the rejection of a promise it returns (an async
   * callback), which would otherwise reach the host as unhandled.
   */
  run(): void {
    const callback = this.#callback;
    if (callback === null) return;
    let returned: unknown;
    try {
      const context = this.#context;
      returned = context === null
        ? callback(...this.#args)
        : context.runInAsyncScope(callback, null, ...this.#args);
    } catch (error) {
      this._report(callback, error);
      return;
    }
    if (isThenable(returned)) {
      returned.then(undefined, (error: unknown) => this._report(callback, error));
    }
  }

  /** @internal The callback threw: tell the loop's exception handler. */
  _report(callback: AnyCallback, error: unknown): void {
    this.loop.callExceptionHandler({
      message: `Exception in callback ${describeCallback(callback)}`,
      exception: error,
      handle: this,
    });
  }

  /** The callback's description for logs: `<Handle name()>`, or `<Handle cancelled>`. */
  toString(): string {
    const state = this.#cancelled ? "cancelled" : describeCallback(this.#callback!);
    return `<${this.constructor.name} ${state}>`;
  }
}

/**
 * A callback scheduled for a time with `loop.callLater()` or `loop.callAt()`.
 * Python: `asyncio.TimerHandle`.
 */
export class TimerHandle extends Handle {
  readonly #when: number;
  /** @internal Tie-breaker: timers with equal deadlines run in scheduling order. */
  readonly sequence: number;
  /** @internal True while the timer sits in the loop's heap. */
  inHeap = true;

  /** @internal */
  constructor(
    when: number,
    sequence: number,
    callback: AnyCallback,
    args: readonly unknown[],
    loop: EventLoop,
    context: CallbackContext | null = null,
  ) {
    super(callback, args, loop, context);
    this.#when = when;
    this.sequence = sequence;
  }

  /** The loop time (seconds) the callback is scheduled for. */
  when(): number {
    return this.#when;
  }

  /** Stop the callback from running. Calling it again does nothing. */
  override cancel(): void {
    if (!this.cancelled() && this.inHeap) this.loop._timerCancelled();
    super.cancel();
  }
}

/** `name()` for a callback, as asyncio shows it in handle reprs and log lines. */
export function describeCallback(callback: AnyCallback): string {
  return `${callback.name || "<anonymous>"}()`;
}
