/**
 * The pool's queue of jobs waiting for a Worker, behind an interface so that
 * another policy (priorities, per-caller fairness) can replace plain FIFO.
 *
 * @module
 */

/** What the queue needs from an entry: a flag it owns. */
export interface Queueable {
  /** True while the entry is in a queue. Only the queue writes it. */
  queued: boolean;
}

/**
 * Jobs waiting for a Worker. An entry is deleted only to be dropped for
 * good: it is never pushed again.
 *
 * @typeParam T The entries.
 */
export interface JobQueue<T extends Queueable> {
  /** Number of entries in the queue. */
  readonly size: number;
  /** Add an entry at the back. */
  push(entry: T): void;
  /** Put entries back at the front, keeping their order (a Worker died before running them). */
  pushFront(entries: readonly T[]): void;
  /** The entry at the front, left in place, or `undefined` when empty. */
  peek(): T | undefined;
  /** Take the entry at the front, or `undefined` when empty. */
  shift(): T | undefined;
  /** Remove an entry wherever it is; false if it was not queued. */
  delete(entry: T): boolean;
}

/**
 * First in, first out. `push`, `shift` and `delete` are O(1) amortised:
 * `delete` only clears the entry's flag and `shift` skips cleared entries;
 * the array is compacted once its dead prefix is half of it.
 *
 * @example
 * ```ts
 * import { FifoQueue } from "./queue.ts";
 * const q = new FifoQueue<{ queued: boolean; n: number }>();
 * const a = { queued: false, n: 1 }, b = { queued: false, n: 2 };
 * q.push(a);
 * q.push(b);
 * q.delete(a);
 * console.log(q.shift()?.n, q.size); // 2 0
 * ```
 */
export class FifoQueue<T extends Queueable> implements JobQueue<T> {
  // Entries from `#head` on, some of them deleted (flag cleared); before
  // `#head`, `undefined` holes awaiting compaction.
  #items: (T | undefined)[] = [];
  #head = 0;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  push(entry: T): void {
    entry.queued = true;
    this.#items.push(entry);
    this.#size++;
  }

  pushFront(entries: readonly T[]): void {
    for (let i = entries.length - 1; i >= 0; i--) {
      const entry = entries[i];
      entry.queued = true;
      if (this.#head > 0) this.#items[--this.#head] = entry;
      else this.#items.unshift(entry);
      this.#size++;
    }
  }

  peek(): T | undefined {
    const items = this.#items;
    // Drop deleted entries at the front, so the next peek is O(1).
    while (this.#head < items.length) {
      const entry = items[this.#head];
      if (entry !== undefined && entry.queued) return entry;
      items[this.#head++] = undefined;
    }
    return undefined;
  }

  shift(): T | undefined {
    const items = this.#items;
    while (this.#head < items.length) {
      const entry = items[this.#head];
      items[this.#head++] = undefined;
      if (this.#head >= 1024 && this.#head * 2 >= items.length) {
        items.splice(0, this.#head);
        this.#head = 0;
      }
      if (entry !== undefined && entry.queued) {
        entry.queued = false;
        this.#size--;
        return entry;
      }
    }
    // Empty: drop holes left by deleted entries.
    items.length = 0;
    this.#head = 0;
    return undefined;
  }

  delete(entry: T): boolean {
    if (!entry.queued) return false;
    entry.queued = false;
    this.#size--;
    return true;
  }
}
