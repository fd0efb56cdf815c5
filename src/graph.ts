/**
 * Call graphs: which task awaits which future, up to the root. Python 3.14:
 * `asyncio.graph` (`capture_call_graph`, `format_call_graph`,
 * `print_call_graph`), and a tree of all of a loop's tasks in the spirit of
 * `python -m asyncio pstree`.
 *
 * Design note. Nothing is recorded for the graph while the program runs:
 * "who awaits F" is read from F's callbacks (`Future._awaitedBy`). A task
 * awaiting F is suspended on it; a combinator (gather, shield, waitFor,
 * wait, TaskGroup) marked the one done callback it adds to each future it
 * follows with the future it finishes (or, for a TaskGroup, its parent
 * task). Futures between two tasks (a gather, a shield's outer future, a
 * library coroutine such as a condition's wait) are walked through, not
 * shown, as Python shows the task awaiting a gather as awaiting each child.
 * Where Python shows a coroutine's frames, we show the await site of a
 * suspended task (the `async` frames from its `await` to its function),
 * which debug mode records at each await; without it, the task's function.
 *
 * Not shown: a plain `promise.then()` or `Promise.all` waiting on a future
 * (no task is suspended there), and a task parked on a foreign promise
 * (nothing of the library sees that await).
 *
 * @module
 */

import { Future } from "./futures.ts";
import { Task } from "./tasks.ts";
import type { EventLoop } from "./loop.ts";
import { taskInContext } from "./_current_task.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { awaitSite, captureStack } from "./_debug.ts";
import { reprValue } from "./_repr.ts";

/** One frame of a call stack. Python: `asyncio.FrameCallGraphEntry`. */
export interface FrameCallGraphEntry {
  /** V8's frame text: `async main (file:///app/main.ts:12:5)`, or `async main()` when no site was recorded. */
  readonly frame: string;
}

/**
 * A future (usually a task), where it waits, and who waits for it.
 * Python: `asyncio.FutureCallGraph`.
 */
export interface FutureCallGraph {
  /** The future or task. */
  readonly future: Future<unknown>;
  /** Where the task waits, innermost frame first (empty for a plain future). */
  readonly callStack: readonly FrameCallGraphEntry[];
  /** The tasks waiting for this one, each with its own graph. */
  readonly awaitedBy: readonly FutureCallGraph[];
}

/** Options for `captureCallGraph`, `formatCallGraph` and `printCallGraph`. */
export interface CallGraphOptions {
  /**
   * For the calling task's own stack: how many of the newest frames to
   * leave out, the caller's included (1 keeps the caller's frame).
   * @default 1
   */
  depth?: number;
  /**
   * At most this many frames per call stack, the innermost ones (a
   * negative limit keeps the outermost ones instead).
   * @default no limit
   */
  limit?: number;
}

/**
 * The call graph of `future`: where it waits, and who waits for it, up to
 * the root task. Python: `asyncio.capture_call_graph`.
 *
 * @param future A future or task of the running loop. @default the current task
 * @returns `null` without `future` outside every task.
 * @throws {TypeError} if `future` is not a Future, or for a bad option.
 *
 * @example Who waits for a task
 * ```ts
 * import { captureCallGraph, createTask, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async function main() {
 *   const worker = createTask({ name: "worker" }, () => sleep(1));
 *   await sleep(0);
 *   const watcher = createTask(() => captureCallGraph(worker));
 *   await worker;
 *   const graph = await watcher;
 *   console.log(graph!.awaitedBy[0].future.toString()); // <Task pending name='Task-...' coro=<main()>>
 * });
 * ```
 */
export function captureCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): FutureCallGraph | null {
  const { depth, limit } = checkOptions(options);
  let target = future ?? null;
  const current = taskInContext() ?? null;
  if (target === null) {
    target = current;
    if (target === null) return null;
  } else if (!(target instanceof Future)) {
    throw new TypeError(
      `Cannot capture a call graph: expected a Future or a Task, received ${reprValue(target)}`,
    );
  }
  const ownStack = target === current ? currentStack(depth) : undefined;
  return buildGraph(target, limit, ownStack);
}

/**
 * `captureCallGraph(future, options)` as text, one line per task and frame.
 * Python: `asyncio.format_call_graph`.
 *
 * @returns `""` without `future` outside every task.
 *
 * @example
 * ```ts
 * import { formatCallGraph, gather, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async function main() {
 *   const [text] = await gather(async function child() {
 *     await sleep(0);
 *     return formatCallGraph();
 *   });
 *   console.log(text.split("\n")[0]); // * Task(name='Task-2')
 * });
 * ```
 */
export function formatCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): string {
  // The library's own frames are never shown: the caller's depth holds.
  const graph = captureCallGraph(future, options);
  return graph === null ? "" : renderGraph(graph);
}

/**
 * Print `formatCallGraph(future, options)` with `console.log`. Python:
 * `asyncio.print_call_graph`.
 */
export function printCallGraph(
  future?: Future<unknown> | null,
  options: CallGraphOptions = {},
): void {
  const text = formatCallGraph(future, options);
  if (text !== "") console.log(text);
}

/**
 * The tree of `loop`'s live tasks, from each root task (one no other task
 * waits for) down to the tasks it waits for, each with where it waits and
 * on what. In the spirit of `python -m asyncio pstree`: print it when a
 * program seems stuck (see the README's "Debugging a stalled program").
 *
 * @param loop @default the running loop
 *
 * @example
 * ```ts
 * import { formatTaskTree, gather, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async function main() {
 *   const [tree] = await gather(async function report() {
 *     await sleep(0);
 *     return formatTaskTree();
 *   }, () => sleep(0.01));
 *   console.log(tree.split("\n")[0]); // └── Task(name='Task-1') main
 * });
 * ```
 */
export function formatTaskTree(loop?: EventLoop): string {
  const owner = loop ?? requireRunningLoop();
  const tasks = owner._liveTasks();
  const current = taskInContext();
  // For each task, the tasks waiting for it; roots wait for no one.
  const children = new Map<Task<unknown>, Task<unknown>[]>();
  const hasParent = new Set<Task<unknown>>();
  for (const task of tasks) {
    for (const parent of awaitingTasks(task)) {
      if (parent.done() || parent.getLoop() !== owner) continue;
      let list = children.get(parent);
      if (list === undefined) children.set(parent, list = []);
      list.push(task);
      hasParent.add(task);
    }
  }
  const lines: string[] = [];
  const shown = new Set<Task<unknown>>();
  // Depth first without recursion: a user's chain of tasks can be long.
  const stack: { task: Task<unknown>; prefix: string; last: boolean }[] = [];
  const roots = tasks.filter((task) => !hasParent.has(task));
  for (let i = roots.length - 1; i >= 0; i--) {
    stack.push({ task: roots[i], prefix: "", last: i === roots.length - 1 });
  }
  const pushChildren = (task: Task<unknown>, prefix: string) => {
    const list = children.get(task) ?? [];
    for (let i = list.length - 1; i >= 0; i--) {
      stack.push({ task: list[i], prefix, last: i === list.length - 1 });
    }
  };
  for (;;) {
    let entry = stack.pop();
    if (entry === undefined) {
      // Tasks only reachable from a cycle: show them from the first.
      const left = tasks.find((task) => !shown.has(task));
      if (left === undefined) break;
      entry = { task: left, prefix: "", last: true };
    }
    const { task, prefix, last } = entry;
    const branch = last ? "└── " : "├── ";
    if (shown.has(task)) {
      lines.push(`${prefix}${branch}${taskLabel(task)} (shown above)`);
      continue;
    }
    shown.add(task);
    lines.push(`${prefix}${branch}${taskLabel(task)} ${where(task, task === current)}`);
    const inner = prefix + (last ? "    " : "│   ");
    const waiter = task._waiter;
    if (waiter !== null && !(waiter instanceof Task)) {
      lines.push(`${inner}${children.has(task) ? "├" : "└"}── waits on ${String(waiter)}`);
    }
    pushChildren(task, inner);
  }
  return lines.join("\n");
}

/** Print `formatTaskTree(loop)` with `console.log`. */
export function printTaskTree(loop?: EventLoop): void {
  console.log(formatTaskTree(loop));
}

// -- building ----------------------------------------------------------------

function checkOptions(options: CallGraphOptions): { depth: number; limit: number | undefined } {
  const depth = options.depth ?? 1;
  const limit = options.limit;
  if (!Number.isInteger(depth) || depth < 0) {
    throw new TypeError(
      `Cannot capture a call graph: expected a depth >= 0, received ${reprValue(depth)}`,
    );
  }
  if (limit !== undefined && !Number.isInteger(limit)) {
    throw new TypeError(
      `Cannot capture a call graph: expected a whole limit, received ${reprValue(limit)}`,
    );
  }
  return { depth, limit };
}

/** The calling code's frames, innermost first, without the `depth - 1` newest. */
function currentStack(depth: number): string[] {
  const frames = captureStack().reverse();
  return frames.slice(Math.max(0, depth - 1));
}

/** Where `task` waits, innermost frame first. */
function taskStack(task: Task<unknown>): string[] {
  const site = awaitSite(task);
  if (site === undefined || site.length === 0 || task._waiter === null) {
    return [`async ${task._coroName()}()`];
  }
  return site.slice().reverse();
}

function limited(frames: string[], limit: number | undefined): FrameCallGraphEntry[] {
  let kept = frames;
  if (limit !== undefined) {
    kept = limit >= 0 ? frames.slice(0, limit) : frames.slice(frames.length + limit);
  }
  return kept.map((frame) => ({ frame }));
}

/**
 * The tasks waiting for `future`: each waiter read from its callbacks, and
 * through the futures in between (a gather, a shield, a coroutine) up to
 * the tasks waiting for those.
 */
function awaitingTasks(future: Future<unknown>): Task<unknown>[] {
  const found: Task<unknown>[] = [];
  const seen = new Set<unknown>([future]);
  const pending: unknown[] = [];
  future._awaitedBy(pending);
  while (pending.length > 0) {
    const next = pending.pop();
    if (seen.has(next)) continue;
    seen.add(next);
    if (next instanceof Task) found.push(next);
    else if (next instanceof Future) next._awaitedBy(pending);
  }
  return found.reverse();
}

/** The graph of `root`, without recursion (the chain of tasks can be long). */
function buildGraph(
  root: Future<unknown>,
  limit: number | undefined,
  ownStack: string[] | undefined,
): FutureCallGraph {
  interface Node {
    future: Future<unknown>;
    callStack: FrameCallGraphEntry[];
    awaitedBy: Node[];
  }
  const stackOf = (future: Future<unknown>): FrameCallGraphEntry[] =>
    future instanceof Task && !future.done() ? limited(taskStack(future), limit) : [];
  const top: Node = {
    future: root,
    callStack: ownStack !== undefined ? limited(ownStack, limit) : stackOf(root),
    awaitedBy: [],
  };
  // A task is shown once on each path: a cycle of awaits stops there.
  const work: { node: Node; path: Set<Future<unknown>> }[] = [{
    node: top,
    path: new Set([root]),
  }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    for (const task of awaitingTasks(item.node.future)) {
      if (item.path.has(task)) continue;
      const node: Node = { future: task, callStack: stackOf(task), awaitedBy: [] };
      item.node.awaitedBy.push(node);
      work.push({ node, path: new Set(item.path).add(task) });
    }
  }
  return top;
}

// -- rendering ---------------------------------------------------------------

function futureLabel(future: Future<unknown>): string {
  return future instanceof Task ? `Task(name='${future.getName()}')` : String(future);
}

function taskLabel(task: Task<unknown>): string {
  return `Task(name='${task.getName()}')`;
}

/** Where `task` waits, on one line: its innermost frame, or its function. */
function where(task: Task<unknown>, isCurrent: boolean): string {
  if (isCurrent) return `${task._coroName()} (running: printing this tree)`;
  const site = awaitSite(task);
  if (site === undefined || site.length === 0 || task._waiter === null) {
    return task._waiter === null
      ? `${task._coroName()} (not at a library await)`
      : task._coroName();
  }
  return site[site.length - 1];
}

/** Python 3.14's layout: a `*` line per future, its stack, then who awaits it, indented. */
function renderGraph(graph: FutureCallGraph): string {
  const lines: string[] = [];
  const work: { graph: FutureCallGraph; level: number }[] = [{ graph, level: 0 }];
  for (let item = work.pop(); item !== undefined; item = work.pop()) {
    const star = "   ".repeat(item.level);
    const pad = item.level === 0 ? "" : star + "   ";
    const node = item.graph;
    lines.push(`${star}* ${futureLabel(node.future)}`);
    if (node.callStack.length > 0) {
      lines.push(`${pad}+ Call stack:`);
      for (const entry of node.callStack) lines.push(`${pad}|   ${entry.frame}`);
    }
    if (node.awaitedBy.length > 0) {
      lines.push(`${pad}+ Awaited by:`);
      for (let i = node.awaitedBy.length - 1; i >= 0; i--) {
        work.push({ graph: node.awaitedBy[i], level: item.level + 1 });
      }
    }
  }
  return lines.join("\n");
}
