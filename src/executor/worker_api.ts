/**
 * Helpers for code that runs inside a pool Worker: the job's cancel signal,
 * and results that transfer their buffers instead of copying them.
 *
 * The bootstrap installs both under the same names as Worker globals, so a
 * function shipped by value (which cannot import anything) calls them by
 * name: import them here for the types, and do not rename them on import.
 * A module function may import them from this module as usual.
 *
 * @module
 */

import type { TransferableObject } from "./types.ts";

interface WorkerApi {
  jobSignal(): AbortSignal;
  transferResult<T>(value: T, transfer: readonly TransferableObject[]): T;
}

const REGISTRY = Symbol.for("asyncio-ts.executor.worker");

function api(): WorkerApi | undefined {
  return (globalThis as Record<symbol, WorkerApi | undefined>)[REGISTRY];
}

/**
 * The AbortSignal of the job running in this Worker: aborted (with an error
 * named `CancelledError`) when the job is cancelled or times out. Watch it
 * in long jobs; a job that never looks at it runs to its end unless it was
 * submitted with the `terminate` option.
 *
 * Call it while the job runs (at any point of an async job); outside a job
 * it throws.
 *
 * @returns The job's signal.
 * @throws {Error} Outside a pool Worker, or between jobs.
 *
 * @example A cancellable loop
 * ```ts
 * import { jobSignal } from "./worker_api.ts";
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const job = pool.submit(async () => {
 *   const signal = jobSignal();
 *   while (!signal.aborted) await new Promise((r) => setTimeout(r, 1));
 *   return "stopped";
 * });
 * setTimeout(() => job.cancel(), 10);
 * await job.then(undefined, (e) => console.log(e.name)); // CancelledError
 * ```
 */
export function jobSignal(): AbortSignal {
  const worker = api();
  if (worker === undefined) {
    throw new Error("jobSignal() must be called inside a WorkerPoolExecutor job");
  }
  return worker.jobSignal();
}

/**
 * Return `value` from a job with `transfer` moved (not copied) back to the
 * caller. Outside a pool Worker it returns `value` unchanged.
 *
 * @param value The job's result.
 * @param transfer Transferable objects inside `value`, such as ArrayBuffers.
 * @returns What the job should return (typed as `value`).
 *
 * @example Returning a large buffer without a copy
 * ```ts
 * import { transferResult } from "./worker_api.ts";
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const bytes = await pool.submit((n: number) => {
 *   const out = new Uint8Array(n).fill(7);
 *   return transferResult(out, [out.buffer]);
 * }, 1024);
 * console.log(bytes.length, bytes[0]); // 1024 7
 * ```
 */
export function transferResult<T>(value: T, transfer: readonly TransferableObject[]): T {
  const worker = api();
  return worker === undefined ? value : worker.transferResult(value, transfer);
}
