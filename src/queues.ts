/**
 * `Queue`, `PriorityQueue` and `LifoQueue`: queues between tasks, optionally
 * bounded. Python: `asyncio.queues` (with 3.13's `shutdown`).
 *
 * Design note. As for the locks (see `locks.ts`), every wait is a Future
 * the queue hands out (a `Waiter`, `_waits.ts`): cancelling it, by a task
 * cancel, a `waitFor` timeout or a cancelled `gather`, withdraws it from
 * the queue, so no item is swallowed and no item is put after its `put()`
 * gave up. Waiting getters and putters are served first come, first served;
 * `putNowait` wakes one getter and `getNowait` one putter, and the woken
 * waiter takes the item (or puts its own) in its grant step, where asyncio's
 * coroutine would run. One cancelled in between takes nothing and wakes the
 * next one, so no item is stranded (the same for putters and free slots).
 *
 * Async iteration. `for await (const item of queue)` gets items until the
 * queue is shut down and drained (it ends at `QueueShutDown`; other errors,
 * a cancel included, are thrown). It does not call `taskDone()`: the item is
 * done when the loop body has finished with it, which may be later and
 * elsewhere (a body may hand the item to another task), and a `join()` that
 * returned before that would be wrong. Call `taskDone()` in the body, as
 * after `get()`.
 *
 * Thenable items. `await` of `get()`'s Future adopts a thenable value, as
 * a promise does. So `await queue.get()` on a queue of promises
 * (or Futures) gives their values, not the items, and so does `for await`.
 * `getNowait()` returns the item itself; or wrap such items (`{ promise }`).
 *
 * The three classes differ only in how they store items: a ring-buffer deque
 * (FIFO), an array used as a stack (LIFO), or a binary heap.
 *
 * @module
 */

import { QueueEmpty, QueueFull, QueueShutDown } from "./errors.ts";
import { failedFuture, type Future } from "./futures.ts";
import { Deque } from "./_deque.ts";
import { BinaryHeap, pythonLess } from "./_heap.ts";
import { anyLoop, LoopBound } from "./_loop_bound.ts";
import { reprValue } from "./_repr.ts";
import { doneFuture, type Waiter, type WaitOwner, WaitQueue } from "./_waits.ts";

/** The states of a queue: `shutdown` once `shutdown()` was called (for good). */
export type QueueState = "open" | "shutdown";

/** Options for `PriorityQueue`. */
export interface PriorityQueueOptions<T> {
  /**
   * Orders the items: negative if `a` comes out before `b`, positive if
   * after, 0 if either may (as for `Array.prototype.sort`).
   * @default Python's `<`: numbers, strings, Dates, and arrays compared
   * like tuples, element by element (`[priority, item]` pairs)
   */
  compare?: (a: T, b: T) => number;
}

/**
 * A first-in, first-out queue for tasks. Python: `asyncio.Queue`.
 *
 * `put()` waits while the queue is full, `get()` while it is empty; waiting
 * tasks are served in order. `taskDone()` and `join()` count the items that
 * were put but not yet processed. `shutdown()` stops the queue. A queue is an
 * async iterable of its items (see the module's design note).
 *
 * @typeParam T The type of the items.
 *
 * @example A bounded queue between a producer and a consumer
 * ```ts
 * import { createTask, Queue, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const queue = new Queue<number>(2);
 *   const consumer = createTask(async () => {
 *     let sum = 0;
 *     for await (const n of queue) {
 *       sum += n;
 *       queue.taskDone();
 *     }
 *     return sum;
 *   });
 *   for (let i = 1; i <= 10; i++) await queue.put(i);
 *   await queue.join(); // every item processed
 *   queue.shutdown();
 *   console.log(await consumer); // 55
 * });
 * ```
 */
export class Queue<T = unknown> extends LoopBound implements AsyncIterable<T> {
  // Invariants: a getter is queued only while the queue is empty and a
  // putter only while it is full, except for waiters already woken (and
  // removed) whose grant step has not run. #unfinished counts the items put
  // and not yet matched by taskDone(); #joiners wait for it to reach 0.
  readonly #maxsize: number;
  readonly #getters = new WaitQueue<Waiter<T>>();
  readonly #putters = new WaitQueue<Waiter<void>>();
  readonly #joiners = new WaitQueue<Waiter<void>>();
  // The owners of the three kinds of wait (see WaitOwner): the queue itself
  // for getters, these two for putters and joiners.
  readonly #putSide: WaitOwner<void> = {
    _take: (putter) => this.#putFor(putter),
    _withdraw: (putter) => this.#withdrawPutter(putter),
  };
  readonly #joinSide: WaitOwner<void> = {
    _take: (joiner) => joiner._setResultNow(undefined),
    _withdraw: (joiner) => this.#joiners.delete(joiner),
  };
  #unfinished = 0;
  #state: QueueState = "open";
  /** @internal Where the items live; the subclasses set their own. */
  _items: { readonly length: number; push(item: T): void; take(): T; toArray(): T[] } =
    new FifoStore<T>();

  /**
   * Make a queue of at most `maxsize` items.
   *
   * @param maxsize The most items the queue holds; 0 or less means no limit.
   * @default 0
   * @throws {TypeError} if `maxsize` is not a number.
   * @throws {RangeError} if `maxsize` is NaN.
   */
  constructor(maxsize = 0) {
    super();
    if (typeof maxsize !== "number") {
      throw new TypeError(`Invalid maxsize: expected a number, received ${reprValue(maxsize)}`);
    }
    if (Number.isNaN(maxsize)) throw new RangeError("Invalid maxsize: NaN (not a number)");
    this.#maxsize = maxsize;
  }

  /** The most items the queue holds (0 or less: no limit). Python: `maxsize`. */
  get maxsize(): number {
    return this.#maxsize;
  }

  /** Whether `shutdown()` was called. */
  get state(): QueueState {
    return this.#state;
  }

  /** The number of items in the queue. Python: `qsize()`. */
  qsize(): number {
    return this._items.length;
  }

  /** Whether the queue has no items. Python: `empty()`. */
  empty(): boolean {
    return this._items.length === 0;
  }

  /** Whether the queue holds `maxsize` items (never, without a limit). Python: `full()`. */
  full(): boolean {
    return this.#maxsize > 0 && this._items.length >= this.#maxsize;
  }

  /**
   * Put `item` in the queue, waiting while it is full; the Future resolves
   * once it is in. Cancelling the Future withdraws the wait, and the item is
   * then not put. Python: `put(item)`.
   *
   * @throws {QueueShutDown} (on await) if the queue is (or gets) shut down.
   * @throws {CancelledError} (on await) if the wait is cancelled.
   * @throws {RuntimeError} (on await) if the queue is bound to a different event loop.
   */
  put(item: T): Future<void> {
    if (!this.full()) {
      try {
        this.putNowait(item);
      } catch (error) {
        return failedFuture(anyLoop(), error);
      }
      return doneFuture(anyLoop(), undefined);
    }
    if (this.#state === "shutdown") return failedFuture(anyLoop(), new QueueShutDown());
    return this._enqueue(this.#putters, this.#putSide, item);
  }

  /**
   * Put `item` in the queue at once. Python: `put_nowait(item)`.
   *
   * @throws {QueueShutDown} if the queue is shut down.
   * @throws {QueueFull} if the queue is full.
   */
  putNowait(item: T): void {
    if (this.#state === "shutdown") throw new QueueShutDown();
    if (this.full()) throw new QueueFull();
    this._items.push(item);
    this.#unfinished++;
    wakeUpNext(this.#getters);
  }

  /**
   * Take an item from the queue, waiting while it is empty; the Future
   * resolves with it. Cancelling the Future withdraws the wait: it then
   * takes no item (one it was woken for goes to the next getter).
   * Python: `get()`.
   *
   * @throws {QueueShutDown} (on await) if the queue is shut down and empty,
   * or was shut down with `immediate`.
   * @throws {CancelledError} (on await) if the wait is cancelled.
   * @throws {RuntimeError} (on await) if the queue is bound to a different event loop.
   */
  get(): Future<T> {
    if (this._items.length > 0) return doneFuture(anyLoop(), this.getNowait());
    if (this.#state === "shutdown") return failedFuture(anyLoop(), new QueueShutDown());
    return this._enqueue(this.#getters, this);
  }

  /**
   * Take an item at once. Python: `get_nowait()`.
   *
   * @throws {QueueShutDown} if the queue is shut down and empty.
   * @throws {QueueEmpty} if the queue is empty.
   */
  getNowait(): T {
    if (this._items.length === 0) {
      if (this.#state === "shutdown") throw new QueueShutDown();
      throw new QueueEmpty();
    }
    const item = this._items.take();
    wakeUpNext(this.#putters);
    return item;
  }

  /**
   * Mark one item taken from the queue as processed; when every item put
   * is processed, `join()` returns. Python: `task_done()`.
   *
   * @throws {RangeError} `taskDone() called too many times` if there is no
   * unprocessed item.
   */
  taskDone(): void {
    if (this.#unfinished <= 0) throw new RangeError("taskDone() called too many times");
    this.#unfinished--;
    if (this.#unfinished === 0) wakeAll(this.#joiners);
  }

  /**
   * Wait until every item put has been processed (`taskDone()` called for
   * it); resolves at once if there is none. Cancelling the Future
   * withdraws the wait. Python: `join()`.
   *
   * @throws {CancelledError} (on await) if the wait is cancelled.
   */
  join(): Future<void> {
    if (this.#unfinished === 0) return doneFuture(anyLoop(), undefined);
    return this._enqueue(this.#joiners, this.#joinSide);
  }

  /**
   * Shut the queue down: `put` and `putNowait` fail with `QueueShutDown`
   * from now on, `get` and `getNowait` once the queue is empty, and every
   * blocked `put`/`get` is woken to fail (or to take a remaining item).
   * With `immediate`, the items left are dropped and counted as processed
   * (which may release `join()`), and `get` fails at once.
   * Python: `shutdown(immediate=False)` (3.13).
   *
   * @param immediate Drop the items left in the queue.
   */
  shutdown(immediate = false): void {
    this.#state = "shutdown";
    if (immediate) {
      while (this._items.length > 0) {
        this._items.take();
        if (this.#unfinished > 0) this.#unfinished--;
      }
      if (this.#unfinished === 0) wakeAll(this.#joiners);
    }
    // Every waiter re-checks the state when it runs, and fails there.
    wakeAll(this.#getters);
    wakeAll(this.#putters);
  }

  /**
   * The items, taken with `get()` as the loop asks for them, until the queue
   * is shut down and empty. Does not call `taskDone()`.
   */
  [Symbol.asyncIterator](): AsyncIterator<T, undefined> {
    return { next: () => this.#next() };
  }

  /** `<Queue maxsize=5 _queue=[1, 2] _getters[1] tasks=2 shutdown>`, as asyncio's `str()`. */
  override toString(): string {
    let text = `<${this.constructor.name} maxsize=${this.#maxsize}`;
    if (this._items.length > 0) text += ` _queue=${reprItem(this._items.toArray())}`;
    if (this.#getters.length > 0) text += ` _getters[${this.#getters.length}]`;
    if (this.#putters.length > 0) text += ` _putters[${this.#putters.length}]`;
    if (this.#unfinished > 0) text += ` tasks=${this.#unfinished}`;
    if (this.#state === "shutdown") text += " shutdown";
    return `${text}>`;
  }

  /** @internal The grant step of a woken getter: take an item, or wait again. */
  _take(getter: Waiter<T>): void {
    if (this._items.length > 0) getter._setResultNow(this.getNowait());
    else if (this.#state === "shutdown") getter._setExceptionNow(new QueueShutDown());
    else this.#getters.push(getter); // Someone took it first: queue again, at the back.
  }

  /**
   * @internal A getter was cancelled: leave the queue; one woken for an
   * item that it cannot take now wakes the next getter (pinned by "a getter
   * woken then cancelled does not swallow the item").
   */
  _withdraw(getter: Waiter<T>): void {
    if (!this.#getters.delete(getter) && this._items.length > 0) wakeUpNext(this.#getters);
  }

  // The grant step of a woken putter: put its item, or wait again.
  #putFor(putter: Waiter<void>): void {
    if (this.#state === "shutdown") putter._setExceptionNow(new QueueShutDown());
    else if (this.full()) this.#putters.push(putter);
    else {
      this.putNowait(putter._argument() as T);
      putter._setResultNow(undefined);
    }
  }

  // A putter was cancelled: leave the queue; one woken for a free slot
  // wakes the next putter (pinned by "a putter woken then cancelled hands
  // the slot on").
  #withdrawPutter(putter: Waiter<void>): void {
    if (!this.#putters.delete(putter) && !this.full()) wakeUpNext(this.#putters);
  }

  async #next(): Promise<IteratorResult<T, undefined>> {
    try {
      return { done: false, value: await this.get() };
    } catch (error) {
      if (error instanceof QueueShutDown) return { done: true, value: undefined };
      throw error;
    }
  }
}

/**
 * A queue that gives out its smallest item first. Python:
 * `asyncio.PriorityQueue`.
 *
 * Items are ordered by `options.compare`, or else like Python's `<`:
 * numbers, strings, Dates, and arrays element by element, so
 * `[priority, item]` pairs come out by priority. Items that compare equal
 * come out in the order CPython's heap gives them, which is not the order
 * they were put in: add a counter (`[priority, seq, item]`) for that.
 *
 * @typeParam T The type of the items.
 *
 * @example Jobs by priority
 * ```ts
 * import { PriorityQueue, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const jobs = new PriorityQueue<[number, string]>();
 *   jobs.putNowait([2, "write"]);
 *   jobs.putNowait([1, "read"]);
 *   jobs.putNowait([3, "close"]);
 *   console.log((await jobs.get())[1]); // read
 *   const byLength = new PriorityQueue<string>(0, { compare: (a, b) => a.length - b.length });
 *   byLength.putNowait("three");
 *   byLength.putNowait("one");
 *   console.log(byLength.getNowait()); // one
 * });
 * ```
 */
export class PriorityQueue<T = unknown> extends Queue<T> {
  /**
   * Make a priority queue of at most `maxsize` items.
   *
   * @param maxsize As for `Queue`.
   * @default 0
   * @throws {TypeError} if `maxsize` is not a number or `compare` not a
   * function; `put`/`putNowait` throw the comparator's errors (the default
   * one: `'<' not supported between instances of 'string' and 'number'`),
   * leaving the queue as it was.
   * @throws {RangeError} if `maxsize` is NaN.
   */
  constructor(maxsize = 0, options: PriorityQueueOptions<T> = {}) {
    super(maxsize);
    const compare = options.compare;
    if (compare === undefined) {
      this._items = new BinaryHeap<T>(pythonLess);
    } else if (typeof compare === "function") {
      this._items = new BinaryHeap<T>((a, b) => compare(a, b) < 0);
    } else {
      throw new TypeError(`Invalid compare: expected a function, received ${reprValue(compare)}`);
    }
  }
}

/**
 * A queue that gives out the item put last first (a stack). Python:
 * `asyncio.LifoQueue`.
 *
 * @typeParam T The type of the items.
 *
 * @example Last in, first out
 * ```ts
 * import { LifoQueue, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const stack = new LifoQueue<number>();
 *   for (const n of [1, 2, 3]) await stack.put(n);
 *   console.log(await stack.get(), await stack.get(), await stack.get()); // 3 2 1
 * });
 * ```
 */
export class LifoQueue<T = unknown> extends Queue<T> {
  /**
   * Make a LIFO queue of at most `maxsize` items.
   *
   * @param maxsize As for `Queue`.
   * @default 0
   * @throws as `Queue`'s constructor.
   */
  constructor(maxsize = 0) {
    super(maxsize);
    this._items = new LifoStore<T>();
  }
}

class FifoStore<T> extends Deque<T> {
  take(): T {
    return this.shift() as T;
  }
}

class LifoStore<T> {
  readonly #items: T[] = [];

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    this.#items.push(item);
  }

  take(): T {
    return this.#items.pop() as T;
  }

  toArray(): T[] {
    return this.#items.slice();
  }
}

// Wake the first waiter still queued: it leaves the queue now, and takes
// what it was woken for in its grant step.
function wakeUpNext(waiters: WaitQueue<Waiter<unknown>>): void {
  waiters.shift()?._grant();
}

function wakeAll(waiters: WaitQueue<Waiter<unknown>>): void {
  for (let waiter = waiters.shift(); waiter !== undefined; waiter = waiters.shift()) {
    waiter._grant();
  }
}

// Python's list repr: `[1, 'a', [2, 'b']]`.
function reprItem(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reprItem).join(", ")}]`;
  return reprValue(value);
}
