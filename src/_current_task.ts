/**
 * The one place that knows which task the running code belongs to.
 *
 * A task's body runs inside `runInTask`, so every continuation of its async
 * function (and every promise callback it creates) sees the task here. Only
 * this module touches the host's async context, so that the tracking can
 * move to TC39 `AsyncContext` later without touching the rest of the
 * library.
 *
 * A task runs in its creator's context, as a Python task runs in a copy of
 * its creator's contextvars: its first step starts inside the context that
 * was current where the task was created, so it sees the creator's
 * `AsyncLocalStorage` values (and its later steps inherit them).
 *
 * How, chosen once at load (`contextTracking`):
 *
 * - **Deno frames.** The engine's continuation-preserved data, which Deno's
 *   own `AsyncLocalStorage` is built on (`getAsyncContext` and
 *   `setAsyncContext` of Deno's internal core), holds a task's frame: a
 *   one-field object naming the task, or, when the creator had
 *   `AsyncLocalStorage` values, a copy of Deno's mapping with the task
 *   added, as `AsyncLocalStorage.run` makes it. Capturing the creator's
 *   context is reading one value. `AsyncLocalStorage.run` would make a
 *   dictionary-mode mapping whose elements array is as long as the storage's
 *   id, an entry object and a WeakMap entry: about 0.45 KB per task and
 *   14-15% of B5's time on Deno 2.9, where a frame is 32 bytes.
 * - **Node frames** (Node 24; Node 22 with `--experimental-async-context-frame`).
 *   The same data holds a Map of storages to values there
 *   (`AsyncContextFrame`), which `AsyncLocalStorage.run` copies whole for
 *   every task (184 bytes, and a second copy to restore the first). Node
 *   reads a frame only through `has`, `get`, iteration (when a storage's
 *   `run()` copies it) and `disable`, so a task's frame is a one-field
 *   object that answers those for the task (two fields when the creator
 *   had storages of its own), set current by an `AsyncResource` whose frame
 *   is swapped before each first step (`runInAsyncScope` is the public way
 *   to make a frame current).
 *   Capturing the creator's context is free when the creator runs in a
 *   task's frame (`getStore()` asks the frame, which notes itself), else an
 *   `AsyncResource` is made to read the frame.
 * - **`AsyncLocalStorage`** elsewhere (Bun, Node 20 and 22, and wherever a
 *   probe at load finds the frames not behaving as above): an
 *   `AsyncResource` made at creation holds the creator's context, and the
 *   first step runs inside its `runInAsyncScope`, with `enterWith(task)`.
 *   On Node 20 and 22 without the flag, async hooks make every await some
 *   2.5-3x slower.
 *
 * A captured context also resumes the code that captured it
 * (`captureContext`, `resumeInContext`): a `with()` body after its wait
 * runs in its task's own frame, made current again.
 *
 * Each probe runs the storages both ways round (a user's storage seen
 * through a task's frame, the task through the user's `run()`), so a
 * runtime that changes its internals falls back to `AsyncLocalStorage`
 * rather than losing track; tests/context_test.ts says which is in use.
 * `scripts/bench/mechanisms.ts` measures the mechanisms alone,
 * `scripts/bench/without_context.ts` what tracking costs B1 and B5.
 *
 * Rejected: a promise reaction made at creation and resolved at the first
 * step, to capture the context (the way before frames): a promise, its
 * resolving functions, a reaction and a derived promise per task, alive
 * from creation to the first step, and a microtask hop; B1 on Node 24 went
 * from 439 to 334 ms without it.
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

/** The library's storage: the current task, in every kind of tracking. */
const storage = new AsyncLocalStorage<Task<unknown>>();

/** @internal A context captured for a callback: what `runInAsyncScope` runs it in. */
export interface CallbackContext {
  runInAsyncScope<A extends unknown[], R>(
    callback: (...args: A) => R,
    thisArg: unknown,
    ...args: A
  ): R;
}

/**
 * @internal Where a task was created: what `startInCreatorContext` starts
 * its first step in. Never null (tasks clear theirs to null).
 */
export type CreatorContext = object;

/** One way of tracking the current task (see the module's note). */
interface Tracking {
  readonly name: typeof contextTracking;
  currentTask(): Task<unknown> | undefined;
  /** The calling code's context, for a task created now. */
  capture(): CreatorContext;
  /** Run `body` with `task` current, inside the `creator` context. */
  runIn<R>(task: Task<unknown>, creator: CreatorContext, body: () => R): R;
  /** Run `body` in `context`, as captured (a task's own, to resume its code). */
  resume<R>(context: CreatorContext, body: () => R): R;
  callbackContext(): CallbackContext;
}

// A creator outside every frame (a capture is never null or undefined).
const NO_FRAME = {};

// --- Deno frames -----------------------------------------------------------

/** The key of the task in a Deno frame, and in a Deno mapping that copies one. */
const TASK = Symbol("asyncio-ts task");

/** The Deno frame of a task whose creator had no other context values. */
class DenoTaskFrame {
  readonly [TASK]: Task<unknown>;
  constructor(task: Task<unknown>) {
    this[TASK] = task;
  }
}

function denoTracking(): Tracking | null {
  const deno = (globalThis as { Deno?: Record<symbol, unknown> & { internal?: symbol } }).Deno;
  const internal = deno?.internal === undefined ? undefined : deno[deno.internal];
  const core = (internal as { core?: Record<string, unknown> } | undefined)?.core;
  const get = core?.getAsyncContext as (() => unknown) | undefined;
  const set = core?.setAsyncContext as ((frame: unknown) => void) | undefined;
  if (typeof get !== "function" || typeof set !== "function") return null;

  const inFrame = <R>(frame: unknown, body: () => R): R => {
    const previous = get();
    set(frame);
    try {
      return body();
    } finally {
      set(previous);
    }
  };
  const taskOf = (frame: unknown) =>
    frame === undefined || frame === null ? undefined : (frame as { [TASK]?: Task<unknown> })[TASK];
  const frameFor = (task: Task<unknown>, creator: unknown): unknown =>
    // Most creators are tasks or the loop, with nothing else in their frame.
    creator === NO_FRAME || creator === undefined || creator === null ||
      creator instanceof DenoTaskFrame
      ? new DenoTaskFrame(task)
      : { __proto__: null, ...(creator as object), [TASK]: task };

  const tracking: Tracking = {
    name: "Deno frames",
    currentTask: () => taskOf(get()),
    capture: () => (get() as object | undefined) ?? NO_FRAME,
    runIn: (task, creator, body) => inFrame(frameFor(task, creator), body),
    resume: (context, body) => inFrame(context === NO_FRAME ? undefined : context, body),
    callbackContext: () => new DenoFrameScope(get(), inFrame),
  };
  return worksBothWays(tracking) ? tracking : null;
}

/** A captured Deno frame, run in as an `AsyncResource` would be. */
class DenoFrameScope implements CallbackContext {
  constructor(
    readonly frame: unknown,
    readonly inFrame: <R>(frame: unknown, body: () => R) => R,
  ) {}

  runInAsyncScope<A extends unknown[], R>(
    callback: (...args: A) => R,
    thisArg: unknown,
    ...args: A
  ): R {
    return this.inFrame(this.frame, () => callback.apply(thisArg, args));
  }
}

// --- Node frames -----------------------------------------------------------

// The Node task frame that getStore() asked last: how a capture reads the
// current frame for free when it is one of ours (cleared once read).
let askedFrame: NodeTaskFrame | null = null;

/**
 * A task's frame on Node: what an `AsyncContextFrame` answers, for the
 * library's storage (the task); `NodeTaskFrameWithValues` answers for the
 * creator's other storages too. Never built on another task frame: a task
 * does not keep its creator alive.
 */
class NodeTaskFrame {
  constructor(readonly task: Task<unknown>) {}

  /** The creator's other storages, if any (Node's own frame). */
  _creatorValues(): ReadonlyMap<unknown, unknown> | undefined {
    return undefined;
  }

  has(key: unknown): boolean {
    askedFrame = this;
    return key === storage;
  }

  get(key: unknown): unknown {
    askedFrame = this;
    return key === storage ? this.task : undefined;
  }

  *[Symbol.iterator](): IterableIterator<[unknown, unknown]> {
    yield [storage, this.task];
  }

  /** `AsyncLocalStorage.disable()`: Node deletes the storage from the current frame. */
  disable(_key: unknown): void {}
}

/** A task's frame on Node whose creator had other storages: they answer too. */
class NodeTaskFrameWithValues extends NodeTaskFrame {
  readonly #values: ReadonlyMap<unknown, unknown>;

  constructor(task: Task<unknown>, values: ReadonlyMap<unknown, unknown>) {
    super(task);
    this.#values = values;
  }

  override _creatorValues(): ReadonlyMap<unknown, unknown> {
    return this.#values;
  }

  override has(key: unknown): boolean {
    askedFrame = this;
    return key === storage || this.#values.has(key);
  }

  override get(key: unknown): unknown {
    askedFrame = this;
    return key === storage ? this.task : this.#values.get(key);
  }

  override *[Symbol.iterator](): IterableIterator<[unknown, unknown]> {
    for (const entry of this.#values) if (entry[0] !== storage) yield entry;
    yield [storage, this.task];
  }

  override disable(key: unknown): void {
    const values = this.#values as { disable?(key: unknown): void; delete?(key: unknown): void };
    if (values.disable !== undefined) values.disable(key);
    else values.delete?.(key);
  }
}

function nodeTracking(): Tracking | null {
  // The frame an AsyncResource keeps is the one its runInAsyncScope makes current.
  const starter = new AsyncResource("asyncio-ts.task");
  const frameKey = Object.getOwnPropertySymbols(starter)
    .find((key) => key.description === "context_frame");
  if (frameKey === undefined) return null;
  const holder = starter as unknown as Record<symbol, unknown>;

  const current = (): ReadonlyMap<unknown, unknown> | NodeTaskFrame | undefined => {
    askedFrame = null;
    storage.getStore();
    const asked = askedFrame;
    if (asked !== null) {
      askedFrame = null;
      return asked;
    }
    return (new AsyncResource("asyncio-ts.capture") as unknown as Record<symbol, unknown>)[
      frameKey
    ] as ReadonlyMap<unknown, unknown> | undefined;
  };
  // The creator's values without the library's own entry, which a user's
  // run() inside a task copies: a task must not keep its creator alive.
  const valuesOf = (creator: CreatorContext): ReadonlyMap<unknown, unknown> | undefined => {
    if (creator instanceof NodeTaskFrame) return creator._creatorValues();
    if (creator === NO_FRAME) return undefined;
    const values = creator as ReadonlyMap<unknown, unknown>;
    if (!values.has(storage)) return values;
    const copy = new Map(values);
    copy.delete(storage);
    return copy;
  };
  const inNodeFrame = <R>(frame: unknown, body: () => R): R => {
    holder[frameKey] = frame;
    try {
      return starter.runInAsyncScope(body);
    } finally {
      holder[frameKey] = undefined;
    }
  };
  const tracking: Tracking = {
    name: "Node frames",
    currentTask: () => storage.getStore(),
    capture: () => current() ?? NO_FRAME,
    runIn(task, creator, body) {
      const values = valuesOf(creator);
      const frame = values === undefined
        ? new NodeTaskFrame(task)
        : new NodeTaskFrameWithValues(task, values);
      return inNodeFrame(frame, body);
    },
    resume: (context, body) => inNodeFrame(context === NO_FRAME ? undefined : context, body),
    callbackContext: () => new AsyncResource("asyncio-ts.callback"),
  };
  return worksBothWays(tracking) ? tracking : null;
}

// --- AsyncLocalStorage -----------------------------------------------------

// The task and body `runIn` is starting: a handoff to enterTaskAndRun (no
// closure per task).
let startingTask: Task<unknown> | null = null;
let startingBody: (() => unknown) | null = null;

// Inside the creator's context: the task's own context is that one plus
// the task. enterWith, not run(): runInAsyncScope puts the context back
// afterwards, and Node's run() makes a second frame to restore its own.
function enterTaskAndRun(): unknown {
  const task = startingTask!;
  const body = startingBody!;
  startingTask = startingBody = null;
  storage.enterWith(task);
  return body();
}

const storageTracking: Tracking = {
  name: "AsyncLocalStorage",
  currentTask: () => storage.getStore(),
  // Node and Bun give no cheaper way to hold on to a context.
  capture: () => new AsyncResource("asyncio-ts.task"),
  runIn<R>(task: Task<unknown>, creator: CreatorContext, body: () => R): R {
    startingTask = task;
    startingBody = body;
    return (creator as AsyncResource).runInAsyncScope(enterTaskAndRun) as R;
  },
  resume: <R>(context: CreatorContext, body: () => R): R =>
    (context as AsyncResource).runInAsyncScope(body),
  callbackContext: () => new AsyncResource("asyncio-ts.callback"),
};

// ---------------------------------------------------------------------------

/**
 * Whether `tracking` keeps the task and a user's storage apart: a user's
 * value is seen inside a task's frame, and the task inside the user's own
 * `run()` there; both are gone afterwards.
 */
function worksBothWays(tracking: Tracking): boolean {
  const user = new AsyncLocalStorage<number>();
  const mark = {} as Task<unknown>;
  try {
    const creator = user.run(1, () => tracking.capture());
    const inside = tracking.runIn(
      mark,
      creator,
      () =>
        tracking.currentTask() === mark && user.getStore() === 1 &&
        user.run(2, () => tracking.currentTask() === mark && user.getStore() === 2) &&
        tracking.currentTask() === mark && user.getStore() === 1,
    );
    return inside && tracking.currentTask() === undefined && user.getStore() === undefined;
  } catch {
    return false;
  }
}

const tracking: Tracking = denoTracking() ?? nodeTracking() ?? storageTracking;

/** Which tracking this runtime uses (see the module's note; for tests and benchmarks). */
export const contextTracking: "Deno frames" | "Node frames" | "AsyncLocalStorage" = tracking.name;

/** Run `body` (a task's first step) so that its continuations belong to `task`. */
export function runInTask<R>(task: Task<unknown>, body: () => R): R {
  return startInCreatorContext(tracking.capture(), task, body);
}

/**
 * @internal Run `body` (a task's first step) inside `context`, so that its
 * continuations belong to `task`.
 */
export function startInCreatorContext<R>(
  context: CreatorContext,
  task: Task<unknown>,
  body: () => R,
): R {
  const saved = outside;
  outside = false;
  try {
    return tracking.runIn(task, context, body);
  } finally {
    outside = saved;
  }
}

/**
 * @internal The calling code's context: where a task created now starts
 * (`startInCreatorContext`), or where to resume the calling code later
 * (`resumeInContext`). Free on Deno and Node 24 inside a task: its frame.
 */
export function captureContext(): CreatorContext {
  return tracking.capture();
}

/**
 * @internal Run `body` in `context` (from `captureContext`), as the code
 * that captured it, its task current.
 */
export function resumeInContext<R>(context: CreatorContext, body: () => R): R {
  const saved = outside;
  outside = false;
  try {
    return tracking.resume(context, body);
  } finally {
    outside = saved;
  }
}

/**
 * @internal The calling code's context, for a callback that must run in it
 * synchronously (a handle of `callSoon`, a done callback): with
 * `AsyncLocalStorage` an `AsyncResource`, dearer than a task's capture on
 * Deno, but only callbacks users schedule themselves pay for it.
 */
export function captureCallbackContext(): CallbackContext {
  return tracking.callbackContext();
}

/** The task whose code is running, or `undefined` outside every task. */
export function taskInContext(): Task<unknown> | undefined {
  return outside ? undefined : tracking.currentTask();
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
