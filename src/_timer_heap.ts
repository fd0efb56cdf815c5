/**
 * The loop's timers: a binary min-heap ordered by deadline, then by
 * scheduling order, so equal deadlines fire first-scheduled first.
 *
 * Cancelled timers stay in the heap (removal from the middle would cost a
 * search) and are dropped when they reach the top; when they make up more
 * than half of a large heap, `noteCancelled()` rebuilds it without them, so memory
 * stays bounded by twice the live timers.
 *
 * @module
 */

import type { TimerHandle } from "./handles.ts";

const MIN_TIMERS_TO_PRUNE = 100;

export class TimerHeap {
  #items: TimerHandle[] = [];
  #cancelledCount = 0;

  get size(): number {
    return this.#items.length;
  }

  push(timer: TimerHandle): void {
    const items = this.#items;
    items.push(timer);
    this.#siftUp(items.length - 1);
  }

  /** The earliest live timer, dropping cancelled ones off the top. */
  peek(): TimerHandle | undefined {
    const items = this.#items;
    while (items.length > 0 && items[0].cancelled()) {
      this.#cancelledCount--;
      this.#removeTop();
    }
    return items[0];
  }

  pop(): TimerHandle | undefined {
    const top = this.peek();
    if (top !== undefined) this.#removeTop();
    return top;
  }

  /** Count a timer cancelled while in the heap; rebuild when they dominate. */
  noteCancelled(): void {
    this.#cancelledCount++;
    const items = this.#items;
    if (items.length > MIN_TIMERS_TO_PRUNE && this.#cancelledCount * 2 > items.length) {
      this.#items = items.filter((timer) => !timer.cancelled());
      this.#cancelledCount = 0;
      for (let i = (this.#items.length >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    }
  }

  clear(): void {
    this.#items = [];
    this.#cancelledCount = 0;
  }

  #removeTop(): void {
    const items = this.#items;
    const last = items.pop()!;
    if (items.length > 0) {
      items[0] = last;
      this.#siftDown(0);
    }
  }

  #siftUp(index: number): void {
    const items = this.#items;
    const timer = items[index];
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!earlier(timer, items[parent])) break;
      items[index] = items[parent];
      index = parent;
    }
    items[index] = timer;
  }

  #siftDown(index: number): void {
    const items = this.#items;
    const length = items.length;
    const timer = items[index];
    for (;;) {
      let child = 2 * index + 1;
      if (child >= length) break;
      if (child + 1 < length && earlier(items[child + 1], items[child])) child++;
      if (!earlier(items[child], timer)) break;
      items[index] = items[child];
      index = child;
    }
    items[index] = timer;
  }
}

function earlier(a: TimerHandle, b: TimerHandle): boolean {
  const aWhen = a.when();
  const bWhen = b.when();
  return aWhen < bWhen || (aWhen === bWhen && a.sequence < b.sequence);
}
