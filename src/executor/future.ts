/**
 * The Future that `loop.runInExecutor()` returns for a job.
 *
 * @module
 */

import { Future } from "../futures.ts";
import type { EventLoop } from "../loop.ts";
import { Job, type JobListener } from "./job.ts";
import type { ExecutorJob } from "./types.ts";

/** The Future of an executor job: cancelling it cancels the job. */
/** @internal Made by `loop.runInExecutor()`. */
export class ExecutorFuture<T> extends Future<T> implements JobListener {
  readonly #job: ExecutorJob<T>;
  #held = true;

  constructor(job: ExecutorJob<T>, loop: EventLoop) {
    super(loop);
    this.#job = job;
    loop._holdHost();
    // The pool's own jobs report straight back (no promise per job).
    if (job instanceof Job) {
      job.listen(this);
    } else {
      job.then((value) => this._jobSettled(true, value), (error) => this._jobSettled(false, error));
    }
  }

  /** @internal */
  _jobSettled(fulfilled: boolean, value: unknown): void {
    if (this.#held) {
      this.#held = false;
      this.getLoop()._releaseHost();
    }
    if (this.done() || this.getLoop().isClosed()) return;
    if (fulfilled) this.setResult(value as T);
    // What the function threw, `null` included; a Future cannot hold
    // `undefined`, so that one becomes an Error, as in a Task.
    else this.setException(value === undefined ? new Error("Job failed with undefined") : value);
  }

  override cancel(message?: string): boolean {
    const cancelled = super.cancel(message);
    if (cancelled) this.#job.cancel();
    return cancelled;
  }
}
