/**
 * The one place that knows which task the running code belongs to.
 *
 * A task's body runs inside `runInTask`, so every continuation of its async
 * function (and every promise callback it creates) sees the task here. Only
 * this module touches `AsyncLocalStorage`, so that the tracking can move to
 * TC39 `AsyncContext` later without touching the rest of the library.
 *
 * Cost per `await`: about zero on Deno and on Node 24; on Node 20 and 22
 * without `--experimental-async-context-frame`, async hooks make every await
 * some 2.5-3x slower. Cost per task: the one `storage.run()` of its first
 * step, the dearest part of a task on Deno 2.9 (a new context object and a
 * WeakMap entry, about 0.45 KB; `scripts/bench/mechanisms.ts` measures it,
 * and `scripts/bench/without_context.ts` what it costs the library's
 * spawn-gather and semaphore workloads).
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { Task } from "./tasks.ts";

const storage = new AsyncLocalStorage<Task<unknown>>();

// True while the pump runs plain callbacks. Not `storage.exit()`: on Deno
// that only clears a flag which the next `storage.run()` sets again, so a
// callback after a task's first step in the same batch saw the ambient
// task (the pump resumes inside some task's microtask). Our own flag, saved
// and restored around both, cannot leak; no microtask can run while it is
// set, since it is only set during synchronous code.
let outside = false;

/** Run `body` (a task's first step) so that its continuations belong to `task`. */
export function runInTask<R>(task: Task<unknown>, body: () => R): R {
  const saved = outside;
  outside = false;
  try {
    return storage.run(task, body);
  } finally {
    outside = saved;
  }
}

/** The task whose code is running, or `undefined` outside every task. */
export function taskInContext(): Task<unknown> | undefined {
  return outside ? undefined : storage.getStore();
}

/**
 * Run `body` outside every task. The loop's pump starts here so that plain
 * callbacks never see the task whose microtask the pump happens to run in.
 */
export function runOutsideTasks<R>(body: () => R): R {
  const saved = outside;
  outside = true;
  try {
    return body();
  } finally {
    outside = saved;
  }
}
