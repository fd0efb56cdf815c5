/**
 * A double-ended queue on a ring buffer, for the queues' items and the
 * waiters of the locks and queues (Python: `collections.deque`).
 *
 * Pushing and shifting at either end is amortised O(1); the buffer doubles
 * when full and never shrinks (a queue that was once long keeps its
 * capacity, as a JavaScript array would). `remove` is O(n), like
 * `deque.remove`: it searches from the front, where the waiter being removed
 * almost always is.
 *
 * @module
 */

const INITIAL_CAPACITY = 8;

/** @internal A FIFO/LIFO sequence with O(1) access at both ends. */
export class Deque<T> {
  // Invariants: the elements are #buffer[(#head + i) & #mask] for
  // i < #length; the capacity (#buffer.length) is a power of two; unused
  // slots hold undefined, so that removed elements can be collected.
  #buffer: (T | undefined)[] = new Array(INITIAL_CAPACITY).fill(undefined);
  #mask = INITIAL_CAPACITY - 1;
  #head = 0;
  #length = 0;

  /** How many elements there are. */
  get length(): number {
    return this.#length;
  }

  /** Add `value` at the back. */
  push(value: T): void {
    if (this.#length > this.#mask) this.#grow();
    this.#buffer[(this.#head + this.#length) & this.#mask] = value;
    this.#length++;
  }

  /** Remove and return the front element (`undefined` if empty). */
  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const value = this.#buffer[this.#head];
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#length--;
    return value;
  }

  /** Remove and return the back element (`undefined` if empty). */
  pop(): T | undefined {
    if (this.#length === 0) return undefined;
    this.#length--;
    const index = (this.#head + this.#length) & this.#mask;
    const value = this.#buffer[index];
    this.#buffer[index] = undefined;
    return value;
  }

  /** The element at position `index` from the front (0 is the front). */
  at(index: number): T {
    return this.#buffer[(this.#head + index) & this.#mask] as T;
  }

  /**
   * Remove the first element identical to `value`; returns the position it
   * had, or -1 if there was none. The elements after it move one place
   * towards the front.
   */
  remove(value: T): number {
    const buffer = this.#buffer;
    const mask = this.#mask;
    const length = this.#length;
    for (let i = 0; i < length; i++) {
      if (buffer[(this.#head + i) & mask] !== value) continue;
      if (i === 0) {
        this.shift();
        return 0;
      }
      for (let j = i; j < length - 1; j++) {
        buffer[(this.#head + j) & mask] = buffer[(this.#head + j + 1) & mask];
      }
      buffer[(this.#head + length - 1) & mask] = undefined;
      this.#length--;
      return i;
    }
    return -1;
  }

  /** Remove every element. */
  clear(): void {
    this.#buffer.fill(undefined);
    this.#head = 0;
    this.#length = 0;
  }

  /** The elements, front first, as a new array. */
  toArray(): T[] {
    const out: T[] = new Array(this.#length);
    for (let i = 0; i < this.#length; i++) out[i] = this.at(i);
    return out;
  }

  #grow(): void {
    const old = this.#buffer;
    const capacity = old.length * 2;
    const buffer: (T | undefined)[] = new Array(capacity).fill(undefined);
    for (let i = 0; i < this.#length; i++) buffer[i] = old[(this.#head + i) & this.#mask];
    this.#buffer = buffer;
    this.#mask = capacity - 1;
    this.#head = 0;
  }
}
