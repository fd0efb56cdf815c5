// The jobs of B6 and B7, loaded by every pool's workers (and by the main
// thread for B7's serial time).

/** B6: the cheapest job there is, so that the pool's own cost is what is measured. */
export function echo(x) {
  return x;
}

/** B7: recursive on purpose, ~25 ms of CPU for fib(32). */
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}
