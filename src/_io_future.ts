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

/**
 * @internal A Future whose `cancel()` also withdraws the operation behind
 * it. While it is pending its loop counts it as host work (`_holdHost`):
 * an idle loop is then waiting for I/O, not deadlocked.
 */
export class IoFuture<T> extends Future<T> {
  /** Called once, synchronously, if the future is cancelled while pending. */
  onCancel: (() => void) | null;
  #held = true;

  constructor(loop: EventLoop, onCancel: (() => void) | null = null) {
    super(loop);
    this.onCancel = onCancel;
    loop._holdHost();
  }

  override cancel(message?: string): boolean {
    if (!super.cancel(message)) return false;
    this._release();
    const withdraw = this.onCancel;
    this.onCancel = null;
    withdraw?.();
    return true;
  }

  /** @internal The operation is over: the loop no longer waits for it. */
  _release(): void {
    if (!this.#held) return;
    this.#held = false;
    this.getLoop()._releaseHost();
  }
}

/**
 * @internal Count a host resource that calls the loop back while it is open
 * (a listening server, a connected socket, a child process) as host work
 * of `loop` until `closed` is called; returns that function (idempotent).
 */
export function holdWhileOpen(loop: EventLoop): () => void {
  loop._holdHost();
  let open = true;
  return () => {
    if (!open) return;
    open = false;
    loop._releaseHost();
  };
}

/**
 * @internal Settle `future` from a host callback: nothing happens if it is
 * already done (it was cancelled) or if its loop was closed meanwhile (no
 * one can run its callbacks any more).
 */
export function settle<T>(future: Future<T>, failed: boolean, value: unknown): void {
  if (future instanceof IoFuture) future._release();
  if (future.done() || future.getLoop().isClosed()) return;
  if (future instanceof IoFuture) future.onCancel = null;
  if (failed) future.setException(value);
  else future.setResult(value as T);
}
