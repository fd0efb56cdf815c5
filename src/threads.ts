/**
 * `toThread`: run a blocking function off the loop, on the default executor.
 *
 * @module
 */

import type { Future } from "./futures.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import type { AnyFunction, ModuleFunction } from "./executor/types.ts";

/**
 * Run `fn(...args)` on the running loop's default executor (a pool of
 * Workers) and return a Future of its result. Python: `asyncio.to_thread`,
 * with a Worker for the thread: `fn` must be self-contained (pass what it
 * needs as arguments) or a `moduleFunction()`.
 *
 * @throws {RuntimeError} `no running event loop`.
 *
 * @example
 * ```ts
 * import { run, toThread } from "@asyncio-ts/asyncio";
 * const sum = await run(() => toThread((n: number) => {
 *   let total = 0;
 *   for (let i = 1; i <= n; i++) total += i;
 *   return total;
 * }, 1_000_000));
 * console.log(sum); // 500000500000
 * ```
 */
export function toThread<F extends AnyFunction>(
  fn: F | ModuleFunction<F>,
  ...args: Parameters<F>
): Future<Awaited<ReturnType<F>>> {
  return requireRunningLoop().runInExecutor(null, fn, ...args);
}
