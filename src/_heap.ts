/**
 * The binary min-heap behind `PriorityQueue`, and the default ordering of
 * its items (Python's `<` on numbers, strings and tuples).
 *
 * The heap makes the same moves as Python's `heapq` (sift-up on push, the
 * bottom-up sift on pop), so items that compare equal come out in the same
 * order as in CPython. Unlike `heapq`, each operation first finds where
 * things go using comparisons only, and moves items afterwards: a comparison
 * that throws (items Python could not compare either) leaves the heap as it
 * was, and no item is lost. Both operations cost O(log n) comparisons.
 *
 * @module
 */

import { typeName } from "./_checks.ts";

/** @internal Whether `a` goes before `b`. */
export type Less<T> = (a: T, b: T) => boolean;

/** @internal A min-heap of items under `less`. */
export class BinaryHeap<T> {
  // Invariant: for every i > 0, !less(items[i], items[(i - 1) >> 1]).
  readonly #items: T[] = [];
  readonly #less: Less<T>;
  // Reused by pop(): the positions on the path of smaller children.
  readonly #path: number[] = [0];

  constructor(less: Less<T>) {
    this.#less = less;
  }

  /** How many items there are. */
  get length(): number {
    return this.#items.length;
  }

  /** Add `item`. */
  push(item: T): void {
    const items = this.#items;
    const less = this.#less;
    const end = items.length;
    // Where the item settles: climb while it goes before its parent.
    let pos = end;
    while (pos > 0) {
      const parent = (pos - 1) >> 1;
      if (!less(item, items[parent])) break;
      pos = parent;
    }
    // Shift the parents on that path down one level, then place the item.
    items.push(item);
    for (let hole = end; hole > pos;) {
      const parent = (hole - 1) >> 1;
      items[hole] = items[parent];
      hole = parent;
    }
    items[pos] = item;
  }

  /** Remove and return the smallest item. The heap must not be empty. */
  take(): T {
    const items = this.#items;
    const less = this.#less;
    const top = items[0];
    const end = items.length - 1;
    if (end === 0) {
      items.pop();
      return top;
    }
    const last = items[end];
    // The path of smaller children from the root to a leaf...
    const path = this.#path;
    let depth = 0;
    for (let child = 1; child < end; child = 2 * child + 1) {
      const right = child + 1;
      if (right < end && !less(items[child], items[right])) child = right;
      path[++depth] = child;
    }
    // ...along which the children move up one level, and where `last` stops
    // when it climbs back from the leaf.
    let stop = depth;
    while (stop > 0 && less(last, items[path[stop]])) stop--;
    for (let i = 0; i < stop; i++) items[path[i]] = items[path[i + 1]];
    items[path[stop]] = last;
    items.length = end;
    return top;
  }

  /** The items in heap order (the smallest first), as a new array. */
  toArray(): T[] {
    return this.#items.slice();
  }
}

/**
 * Python's `a < b` for the values a priority queue usually holds: numbers
 * (and bigints and booleans, which Python compares as numbers), strings,
 * Dates, and arrays compared like tuples, element by element (the first
 * unequal elements decide; a prefix goes first).
 *
 * @throws {TypeError} `'<' not supported between instances of 'string' and
 * 'number'` for values Python could not order either.
 */
export function pythonLess(a: unknown, b: unknown): boolean {
  const kindA = kindOf(a);
  const kindB = kindOf(b);
  if (kindA === kindB) {
    switch (kindA) {
      case "number":
      case "string":
        return (a as number) < (b as number);
      case "date":
        return (a as Date).getTime() < (b as Date).getTime();
      case "array":
        return arrayLess(a as readonly unknown[], b as readonly unknown[]);
    }
  }
  throw new TypeError(
    `'<' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`,
  );
}

type Kind = "number" | "string" | "date" | "array" | "other";

function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case "number":
    case "bigint":
    case "boolean":
      return "number";
    case "string":
      return "string";
    case "object":
      if (Array.isArray(value)) return "array";
      if (value instanceof Date) return "date";
  }
  return "other";
}

function arrayLess(a: readonly unknown[], b: readonly unknown[]): boolean {
  const shorter = Math.min(a.length, b.length);
  for (let i = 0; i < shorter; i++) {
    if (!pythonEqual(a[i], b[i])) return pythonLess(a[i], b[i]);
  }
  return a.length < b.length;
}

// Python's `x is y or x == y`, as tuple comparison uses it: numbers by value
// (so 1 == true), arrays and Dates by content, anything else by identity.
function pythonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  switch (kind) {
    case "number":
      // deno-lint-ignore eqeqeq
      return (a as number) == (b as number);
    case "date":
      return (a as Date).getTime() === (b as Date).getTime();
    case "array": {
      const x = a as readonly unknown[];
      const y = b as readonly unknown[];
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) if (!pythonEqual(x[i], y[i])) return false;
      return true;
    }
  }
  return false;
}
