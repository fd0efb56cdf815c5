/**
 * Many jobs, a few at a time, with `mapLimited`: ten pages fetched three
 * at a time (results in input order); then pages read as they arrive from a
 * slow listing (an async generator, pulled only as fast as slots free up),
 * stopping early; then a failure, which cancels the jobs still running.
 *
 * Run: `deno run examples/map_limited.ts`
 *
 * @module
 */

import { CancelledError, ExceptionGroup, getRunningLoop, mapLimited, run, sleep } from "../mod.ts";

let running = 0;

async function fetchPage(n: number): Promise<string> {
  running++;
  try {
    await sleep(0.05 + (n % 3) * 0.02); // a request
    if (n === 13) throw new Error(`page ${n}: 404`);
    return `page ${n}`;
  } catch (error) {
    if (error instanceof CancelledError) console.log(`  page ${n}: cancelled`);
    throw error;
  } finally {
    running--;
  }
}

async function* listing(): AsyncGenerator<number> {
  try {
    for (let n = 1; n <= 100; n++) {
      await sleep(0.01); // the next entry of a paginated API
      yield n;
    }
  } finally {
    console.log("  listing closed");
  }
}

await run(async () => {
  const loop = getRunningLoop();
  const start = loop.time();
  const pages = await mapLimited(fetchPage, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { limit: 3 });
  console.log(`ten pages, three at a time: ${pages[0]} .. ${pages[9]}`);
  console.log(`  in ${(loop.time() - start).toFixed(2)} s`);

  console.log("As they arrive, until page 5:");
  for await (const page of mapLimited(fetchPage, listing(), { limit: 3 })) {
    console.log(`  ${page}`);
    if (page === "page 5") break; // cancels the jobs still running, closes the listing
  }
  console.log(`  jobs still running: ${running}`);

  console.log("A failure:");
  try {
    await mapLimited(fetchPage, [11, 12, 13, 14, 15], { limit: 3 });
  } catch (error) {
    console.log(`  ${(error as ExceptionGroup).message}: ${(error as ExceptionGroup).exceptions}`);
  }
  console.log(`  jobs still running: ${running}`);
});
