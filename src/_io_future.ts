/**
 * The Future that the I/O waits hand out (a read, a drain, a connect, a
 * process's wait), and the one safe way to settle it from a host callback.
 *
 * Design note. Every I/O wait returns a Future, not an async function's
 * promise: `waitFor`, `gather`, `shield` and a task's cancel cancel the
 * Future they hold, and only a Future can hear that and withdraw the
 * operation (a reader forgets the read and keeps its bytes, a connect
 * destroys its socket). The withdrawal runs inside `cancel()`, so a read
 * started right after a cancelled one does not find the first still
 * waiting. Host events (`data`, `end`, `exit`) only settle such Futures:
 * their callbacks are scheduled on the loop, which wakes it; no user code
 * runs inside a host callback.
 *
 * @module
 */

import { Future } from "./futures.ts";
import type { EventLoop } from "./loop.ts";

/** @internal A Future whose `cancel()` also withdraws the operation behind it. */
export class IoFuture<T> extends Future<T> {
  /** Called once, synchronously, if the future is cancelled while pending. */
  onCancel: (() => void) | null;

  constructor(loop: EventLoop, onCancel: (() => void) | null = null) {
    super(loop);
    this.onCancel = onCancel;
  }

  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    const withdraw = this.onCancel;
    this.onCancel = null;
    withdraw?.();
    return true;
  }
}

/**
 * @internal Settle `future` from a host callback: nothing happens if it is
 * already done (it was cancelled) or if its loop was closed meanwhile (no
 * one can run its callbacks any more).
 */
export function settle<T>(future: Future<T>, failed: boolean, value: unknown): void {
  if (future.done() || future.getLoop().isClosed()) return;
  if (future instanceof IoFuture) future.onCancel = null;
  if (failed) future.setException(value);
  else future.setResult(value as T);
}

/** @internal A Future of `loop` that is already finished with `value`. */
export function doneFuture<T>(loop: EventLoop, value: T): Future<T> {
  const future = new Future<T>(loop);
  future.setResult(value);
  return future;
}
