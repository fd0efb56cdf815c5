/**
 * `gather`: run awaitables concurrently and collect their results in order.
 *
 * @module
 */

import { loopCancelledError } from "./errors.ts";
import { Future, isThenable, markAwaitedBy } from "./futures.ts";
import { ensureFuture } from "./ensure_future.ts";
import { getEventLoop } from "./events.ts";
import type { EventLoop } from "./loop.ts";

/** What `gather` accepts: a Future or Task, a promise, or an async function to start as a Task. */
export type GatherArgument = PromiseLike<unknown> | (() => unknown);

/** Options for `gather`. */
export interface GatherOptions {
  /**
   * Put errors (and `CancelledError` for cancelled children) in the results
   * instead of failing at the first one.
   * @default false
   */
  returnExceptions?: boolean;
}

/** The result type of one `gather` argument. */
export type ResultOf<X> = X extends (...args: never[]) => infer R ? Awaited<R> : Awaited<X>;

/** `gather`'s results: one per argument, in argument order. */
export type GatherResults<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: ResultOf<A[K]>;
};

/** `gather`'s results with `returnExceptions: true`: a result or the error, per argument. */
export type GatherOutcomes<A extends readonly unknown[]> = {
  -readonly [K in keyof A]: ResultOf<A[K]> | Error;
};

/**
 * Run the awaitables concurrently; the Future resolves with their results in
 * argument order (an awaitable given twice is awaited once). Functions are
 * started as Tasks. Python: `asyncio.gather`.
 *
 * Two forms: `gather(a, b, c, options?)`, as in Python, and
 * `gather(iterable, options?)` for a collection of any size (a JavaScript
 * spread stops at about 100,000 arguments; Python's `*args` does not): use
 * the second for anything built at run time, such as `gather(tasks)`.
 *
 * - Without `returnExceptions`, the first error (or a child's cancellation,
 *   as `CancelledError`) fails the gather at once; the other children go on.
 * - Cancelling the gather (or the task awaiting it) cancels every child that
 *   is not done, waits for them, then raises `CancelledError`, even with
 *   `returnExceptions` (and then `cancelled()` is false, as in asyncio).
 * - Children that are all done already make a gather that is done at once.
 *
 * @example Typed results
 * ```ts
 * import { createTask, gather, run, sleep } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const [n, s] = await gather(async () => 1, sleep(0.1, "slept"));
 *   const [ok, failed] = await gather(
 *     async () => "fine",
 *     async () => { throw new Error("boom"); },
 *     { returnExceptions: true },
 *   );
 *   console.log(n, s, ok, failed); // 1 slept fine Error: boom
 *   const tasks = Array.from({ length: 3 }, (_, i) => createTask(() => sleep(0, i)));
 *   console.log(await gather(tasks)); // [ 0, 1, 2 ]
 * });
 * ```
 */
export function gather<X>(
  awaitables: Iterable<X>,
  options: GatherOptions & { returnExceptions: true },
): Future<(ResultOf<X> | Error)[]>;
/** The collection form: results in order, errors failing the gather. */
export function gather<X>(awaitables: Iterable<X>, options?: GatherOptions): Future<ResultOf<X>[]>;
/** The spread form with `{ returnExceptions: true }`: errors in their slots. */
export function gather<A extends readonly GatherArgument[]>(
  ...args: [...A, GatherOptions & { returnExceptions: true }]
): Future<GatherOutcomes<A>>;
/** The spread form with options. */
export function gather<A extends readonly GatherArgument[]>(
  ...args: [...A, GatherOptions]
): Future<GatherResults<A>>;
/** The spread form: results in argument order. */
export function gather<A extends readonly GatherArgument[]>(...args: A): Future<GatherResults<A>>;
export function gather(...input: unknown[]): Future<unknown[]> {
  let awaitables: Iterable<unknown> = input;
  let options: unknown = undefined;
  const first = input[0];
  if (input.length <= 2 && isCollection(first)) {
    awaitables = first;
    options = input[1];
  } else {
    const last = input[input.length - 1];
    if (isOptions(last)) {
      options = last;
      input.length--;
    }
  }
  const returnExceptions = Boolean((options as GatherOptions | undefined)?.returnExceptions);

  // A function or promise given twice becomes one Task or Future, as in
  // asyncio. A Future given twice just gets a done callback per argument,
  // which ends the gather at the same moment, so a gather of Tasks needs no
  // map at all.
  const loopOption: { loop?: EventLoop } = {};
  let startedFor: Map<unknown, Future<unknown>> | null = null;
  const children: Future<unknown>[] = [];
  for (const awaitable of awaitables) {
    let future: Future<unknown> | undefined;
    if (awaitable instanceof Future) future = ensureFuture(awaitable, loopOption);
    else {
      startedFor ??= new Map();
      future = startedFor.get(awaitable);
      if (future === undefined) {
        future = ensureFuture(awaitable as GatherArgument, loopOption);
        startedFor.set(awaitable, future);
      }
    }
    loopOption.loop ??= future.getLoop();
    children.push(future);
  }
  if (children.length === 0) {
    const empty = getEventLoop().createFuture<unknown[]>();
    empty.setResult([]);
    return empty;
  }

  const outer = new GatheringFuture<unknown[]>(children, loopOption.loop!);
  const total = children.length;
  let finished = 0;
  const onChildDone = (child: Future<unknown>) => {
    finished++;
    if (outer.done()) {
      // Mark the child's error as seen: the gather already reported one.
      if (!child.cancelled()) child.exception();
      return;
    }
    if (!returnExceptions) {
      if (child.cancelled()) {
        outer.setException(child._makeCancelledError());
        return;
      }
      const error = child.exception();
      if (error !== null) {
        outer.setException(error);
        return;
      }
    }
    if (finished < total) return;
    const results = new Array(total);
    for (let i = 0; i < total; i++) {
      const future = children[i];
      if (future.cancelled()) results[i] = loopCancelledError(future._cancelMessage);
      else {
        const error = future.exception();
        results[i] = error !== null ? error : future.result();
      }
    }
    // The CancelledError of the last child in argument order, as asyncio's
    // (its loop variable outlives the loop); pinned by "a cancelled gather
    // raises the CancelledError of its last child".
    if (outer.cancelRequested) outer.setException(children[total - 1]._makeCancelledError());
    else outer.setResult(results);
  };
  // Children done already count now, so a gather of done children is done
  // at once (Python 3.12+); the others tell it when they finish.
  markAwaitedBy(onChildDone, outer);
  for (let i = 0; i < total; i++) {
    const child = children[i];
    if (child.done()) onChildDone(child);
    else child._addDoneCallback(onChildDone);
  }
  return outer;
}

/** Whether `value` is the collection of `gather(iterable, options?)`. */
function isCollection(value: unknown): value is Iterable<unknown> {
  return typeof value === "object" && value !== null && !(value instanceof Future) &&
    !isThenable(value) && typeof (value as Iterable<unknown>)[Symbol.iterator] === "function";
}

/** Whether `value` is gather's trailing options object. */
function isOptions(value: unknown): boolean {
  return typeof value === "object" && value !== null && !(value instanceof Future) &&
    !isThenable(value);
}

/** The Future `gather` returns: cancelling it cancels the children. */
class GatheringFuture<T> extends Future<T> {
  readonly #children: readonly Future<unknown>[];
  /** Set when a cancel reached at least one child: the gather then ends with CancelledError. */
  cancelRequested = false;

  constructor(children: readonly Future<unknown>[], loop: EventLoop) {
    super(loop);
    this.#children = children;
  }

  override cancel(message?: string): boolean {
    if (this.done()) return false;
    let cancelledAny = false;
    for (const child of this.#children) {
      if (child.cancel(message)) cancelledAny = true;
    }
    if (cancelledAny) this.cancelRequested = true;
    return cancelledAny;
  }
}
