/**
 * Variants of one piece of work timed in one process, taking turns, for
 * `mechanisms.ts` and `without_context.ts`: a warm-up of each, then rounds
 * in which each runs once (so that the machine's changing load hits all
 * alike), then each one's median and its ratio to the first, the floor.
 *
 * Imports nothing of the library, so `mechanisms.ts` can stay without it.
 *
 * @module
 */

/** A variant: its name, and one timed run of it in ms. */
export type TimedVariant = readonly [name: string, run: () => Promise<number>];

/** Times `variants` in turns and prints `title`, then a line per variant. */
export async function printInTurns(
  title: string,
  variants: readonly TimedVariant[],
  rounds = 5,
): Promise<void> {
  const times = variants.map((): number[] => []);
  for (const [, run] of variants) await run(); // warm-up
  for (let round = 0; round < rounds; round++) {
    for (let v = 0; v < variants.length; v++) times[v].push(await variants[v][1]());
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[rounds >> 1];
  const floor = median(times[0]);
  const width = Math.max(...variants.map(([name]) => name.length));
  console.log(title);
  for (let v = 0; v < variants.length; v++) {
    const ms = median(times[v]);
    console.log(
      `  ${variants[v][0].padEnd(width)}  ${ms.toFixed(1).padStart(7)} ms  ${
        (ms / floor).toFixed(2)
      }x the floor`,
    );
  }
}
