/**
 * The one place that knows which task the running code belongs to.
 *
 * A task's body runs inside `runInTask`, so every continuation of its async
 * function (and every promise callback it creates) sees the task here. Only
 * this module touches the host's async context, so that the tracking can
 * move to TC39 `AsyncContext` later without touching the rest of the
 * library.
 *
 * Two ways to hold it, chosen once at load:
 *
 * - **Frames** (Deno): the engine's continuation-preserved data, which
 *   Deno's own `AsyncLocalStorage` is built on (`getAsyncContext` and
 *   `setAsyncContext` of Deno's internal core). A task's frame is a
 *   one-field object naming the task, or, when the creator had
 *   `AsyncLocalStorage` values, a copy of Deno's mapping with the task
 *   added, as `AsyncLocalStorage.run` makes it, so those values stay
 *   visible inside the task and ours inside their `run()`. Capturing the
 *   creator's context is reading one value. Measured per task on Deno 2.9:
 *   `AsyncLocalStorage.run` makes a dictionary-mode mapping whose elements
 *   array is as long as the storage's id, an entry object and a WeakMap
 *   entry, about 0.45 KB and 14-15% of B5's time; a frame is 32 bytes.
 *   Used only when a probe at load shows that both kinds of value survive
 *   each other's frames; otherwise, and everywhere else:
 * - **`AsyncLocalStorage`** (Node, Bun, and Deno if the probe fails). Cost
 *   per `await`: about zero on Node 24; on Node 20 and 22 without
 *   `--experimental-async-context-frame`, async hooks make every await some
 *   2.5-3x slower. Cost per task: an `AsyncResource` made at creation (it
 *   holds the creator's context), and an `enterWith(task)` inside its
 *   `runInAsyncScope` for the first step (on Node 24 an `AsyncContextFrame`,
 *   a Map copy of 184 bytes; `run()` would make a second one to restore
 *   the context, which `runInAsyncScope` restores anyway). Rejected: a
 *   promise reaction made at creation and resolved at the first step, the
 *   capture before: a promise, its resolving functions, a reaction and a
 *   derived promise per task, alive from creation to the first step, and a
 *   microtask hop; B1 on Node 24 went from 439 to 334 ms without it.
 *
 * A task runs in its creator's context, as a Python task runs in a copy of
 * its creator's contextvars: its first step starts inside the context that
 * was current where the task was created, so it sees the creator's
 * `AsyncLocalStorage` values (and its later steps inherit them).
 *
 * `scripts/bench/mechanisms.ts` measures the mechanisms alone,
 * `scripts/bench/without_context.ts` what tracking costs B1 and B5.
 *
 * Rejected: capturing only when the creator's context differs from the
 * loop's own under `AsyncLocalStorage`, which would cost nothing without
 * user context, but needs the identity of the current context frame, which
 * Node does not expose.
 *
 * @module
 */

import { AsyncLocalStorage, AsyncResource } from "node:async_hooks";
import type { Task } from "./tasks.ts";

// True while the pump runs plain callbacks. Not `storage.exit()`: on Deno
// that only clears a flag which the next `storage.run()` sets again, so a
// callback after a task's first step in the same batch saw the ambient
// task (the pump resumes inside some task's microtask). Our own flag, saved
// and restored around both, cannot leak; no microtask can run while it is
// set, since it is only set during synchronous code.
let outside = false;

// --- Frames --------------------------------------------------------------

/** The key of the task in a frame, and in a Deno mapping that copies one. */
const TASK = Symbol("asyncio-ts task");

/** The frame of a task whose creator had no other context values. */
class TaskFrame {
  readonly [TASK]: Task<unknown>;
  constructor(task: Task<unknown>) {
    this[TASK] = task;
  }
}

/** Read and write the engine's continuation-preserved data. */
interface FrameAccess {
  get(): unknown;
  set(frame: unknown): void;
}

/**
 * Deno's accessors for the continuation-preserved data, if they are there
 * and behave as its `AsyncLocalStorage` needs: a value set by a storage is
 * seen through our frame, and ours through the storage's own `run()`.
 */
function probeFrames(): FrameAccess | null {
  const deno = (globalThis as { Deno?: Record<symbol, unknown> & { internal?: symbol } }).Deno;
  const internal = deno?.internal === undefined ? undefined : deno[deno.internal];
  const core = (internal as { core?: Record<string, unknown> } | undefined)?.core;
  const get = core?.getAsyncContext;
  const set = core?.setAsyncContext;
  if (typeof get !== "function" || typeof set !== "function") return null;
  const access: FrameAccess = {
    get: get as FrameAccess["get"],
    set: set as FrameAccess["set"],
  };
  const before = access.get();
  try {
    const probe = new AsyncLocalStorage<number>();
    const mark = {} as Task<unknown>;
    const works = probe.run(1, () => {
      access.set(frameFor(mark, access.get()));
      return probe.getStore() === 1 &&
        probe.run(2, () => taskOfFrame(access.get()) === mark && probe.getStore() === 2) &&
        taskOfFrame(access.get()) === mark;
    });
    return works ? access : null;
  } catch {
    return null;
  } finally {
    access.set(before);
  }
}

/** The frame of `task`, created where `creator` was current. */
function frameFor(task: Task<unknown>, creator: unknown): unknown {
  // Most creators are tasks or the loop, with nothing else in their frame.
  if (creator === undefined || creator === null || creator instanceof TaskFrame) {
    return new TaskFrame(task);
  }
  return { __proto__: null, ...(creator as object), [TASK]: task };
}

function taskOfFrame(frame: unknown): Task<unknown> | undefined {
  return frame === undefined || frame === null
    ? undefined
    : (frame as { [TASK]?: Task<unknown> })[TASK];
}

const frames = probeFrames();

/** Run `body` with `frame` current. */
function inFrame<R>(frame: unknown, body: () => R): R {
  const access = frames!;
  const previous = access.get();
  access.set(frame);
  try {
    return body();
  } finally {
    access.set(previous);
  }
}

// --- AsyncLocalStorage ---------------------------------------------------

const storage = new AsyncLocalStorage<Task<unknown>>();

// ---------------------------------------------------------------------------

/** Which of the two this runtime uses (for benchmarks and tests). */
export const contextTracking: "frames" | "AsyncLocalStorage" = frames === null
  ? "AsyncLocalStorage"
  : "frames";

/** Run `body` (a task's first step) so that its continuations belong to `task`. */
export function runInTask<R>(task: Task<unknown>, body: () => R): R {
  const saved = outside;
  outside = false;
  try {
    return frames === null ? storage.run(task, body) : inFrame(frameFor(task, frames.get()), body);
  } finally {
    outside = saved;
  }
}

/**
 * @internal Where a task was created: what `startInCreatorContext` starts
 * its first step in. Never null (tasks clear theirs to null).
 */
export type CreatorContext = object;

// A creator outside every frame (frames are never undefined inside a task).
const NO_FRAME = {};

/** @internal Capture the calling code's context, for a task being created. */
export function captureCreatorContext(): CreatorContext {
  if (frames !== null) return (frames.get() as object | undefined) ?? NO_FRAME;
  // Node and Bun give no cheaper way to hold on to a context.
  return new AsyncResource("asyncio-ts.task");
}

/**
 * @internal Run `body` (a task's first step) inside `context`, so that its
 * continuations belong to `task`.
 */
export function startInCreatorContext(
  context: CreatorContext,
  task: Task<unknown>,
  body: () => void,
): void {
  const saved = outside;
  outside = false;
  try {
    if (frames !== null) {
      inFrame(frameFor(task, context === NO_FRAME ? undefined : context), body);
    } else {
      startingTask = task;
      startingBody = body;
      (context as AsyncResource).runInAsyncScope(enterTaskAndRun);
    }
  } finally {
    outside = saved;
  }
}

// The task and body startInCreatorContext is starting: a handoff to
// enterTaskAndRun (no closure per task).
let startingTask: Task<unknown> | null = null;
let startingBody: (() => void) | null = null;

// Inside the creator's context: the task's own context is that one plus
// the task. enterWith, not run(): runInAsyncScope puts the context back
// afterwards, and Node's run() makes a second frame to restore its own.
function enterTaskAndRun(): void {
  const task = startingTask!;
  const body = startingBody!;
  startingTask = startingBody = null;
  storage.enterWith(task);
  body();
}

/** @internal A context captured for a callback: what `runInAsyncScope` runs it in. */
export interface CallbackContext {
  runInAsyncScope<A extends unknown[], R>(
    callback: (...args: A) => R,
    thisArg: unknown,
    ...args: A
  ): R;
}

/** A captured frame, run in as an `AsyncResource` would be. */
class FrameScope implements CallbackContext {
  constructor(readonly frame: unknown) {}

  runInAsyncScope<A extends unknown[], R>(
    callback: (...args: A) => R,
    thisArg: unknown,
    ...args: A
  ): R {
    return inFrame(this.frame, () => callback.apply(thisArg, args));
  }
}

/**
 * @internal The calling code's context, for a callback that must run in it
 * synchronously (a handle of `callSoon`, a done callback): with
 * `AsyncLocalStorage` an `AsyncResource`, dearer than a task's capture on
 * Deno, but only callbacks users schedule themselves pay for it.
 */
export function captureCallbackContext(): CallbackContext {
  return frames !== null ? new FrameScope(frames.get()) : new AsyncResource("asyncio-ts.callback");
}

/** The task whose code is running, or `undefined` outside every task. */
export function taskInContext(): Task<unknown> | undefined {
  if (outside) return undefined;
  return frames === null ? storage.getStore() : taskOfFrame(frames.get());
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
