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
 * A task runs in its creator's context, as a Python task runs in a copy of
 * its creator's contextvars: its first step starts inside the context that
 * was current where the task was created, so it sees the creator's
 * `AsyncLocalStorage` values (and its later steps inherit them). The
 * capture is a promise reaction, made at creation and let go when the step
 * starts: the first step runs in a microtask, and the loop waits for it as
 * for any step. Measured per task (Deno 2.9, Node 24): a reaction about
 * 0.2-0.5 µs; `AsyncLocalStorage.snapshot()` 3-6 µs (an `AsyncResource`
 * each, which Deno registers with a FinalizationRegistry); an
 * `AsyncResource` alone costs as much as the reaction in B1 on Node 24.
 * What it costs B1 and B5: `scripts/bench/against.ts`.
 *
 * Rejected: capturing only when the creator's context differs from the
 * loop's own, which would cost nothing without user context, but needs the
 * identity of the current context frame, which neither runtime exposes (a
 * user's `als.run()` makes a frame that carries the library's own values
 * too, so nothing the library can read tells it apart).
 *
 * @module
 */

import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
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

/** @internal Where a task was created: what `startInCreatorContext` starts its first step in. */
export type CreatorContext = () => void;

/** @internal Capture the calling code's context, for a task being created. */
export function captureCreatorContext(): CreatorContext {
  const begin = new Promise<void>(captureResolve);
  const resolve = capturedResolve!;
  capturedResolve = null;
  begin.then(beginCaptured);
  return resolve;
}

/**
 * @internal Run `body` (a task's first step) inside `context`, in a
 * microtask, so that its continuations belong to `task`.
 */
export function startInCreatorContext(
  context: CreatorContext,
  task: Task<unknown>,
  body: () => void,
): void {
  beginning = task;
  beginningBody = body;
  context();
}

// The task whose step startInCreatorContext let go, and its body: a handoff
// to beginCaptured. The loop waits for that step before it starts another,
// so the slots still hold them when the reaction runs.
let beginning: Task<unknown> | null = null;
let beginningBody: (() => void) | null = null;

function beginCaptured(): void {
  const task = beginning!;
  const body = beginningBody!;
  beginning = beginningBody = null;
  runInTask(task, body);
}

// `new Promise(captureResolve)` hands its resolve function over without a
// closure per call.
let capturedResolve: (() => void) | null = null;
function captureResolve(resolve: () => void): void {
  capturedResolve = resolve;
}

/**
 * @internal The calling code's context, for a callback that must run in it
 * synchronously (a handle of `callSoon`, a done callback): an
 * `AsyncResource`, dearer than a task's capture on Deno, but only callbacks
 * users schedule themselves pay for it.
 */
export function captureCallbackContext(): AsyncResource {
  return new AsyncResource("asyncio-ts.callback");
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
