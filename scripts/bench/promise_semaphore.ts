/**
 * B5's floor semaphore, shared by `workloads.ts` and `mechanisms.ts`: what a
 * p-limit-like limiter does with raw promises, a count and a FIFO of
 * resolvers, nothing else.
 *
 * @module
 */

/** A count of free slots and a FIFO of the resolvers of those waiting for one. */
export class PromiseSemaphore {
  #free: number;
  readonly #waiters: (() => void)[] = [];
  #head = 0;

  constructor(value: number) {
    this.#free = value;
  }

  /** `undefined` when a slot was free, else a promise of the next one. */
  acquire(): Promise<void> | undefined {
    if (this.#free > 0) {
      this.#free--;
      return undefined;
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    // Hand the slot straight to the next waiter, as asyncio-ts's does.
    if (this.#head < this.#waiters.length) this.#waiters[this.#head++]();
    else this.#free++;
  }
}
