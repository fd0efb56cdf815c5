/**
 * Deadlines: `timeout()` around a block, moving the deadline with
 * `reschedule()`, `waitFor()` around one awaitable, and `shield()` to let
 * work finish after the caller stopped waiting.
 *
 * Run: `deno run examples/timeout.ts`
 *
 * @module
 */

import {
  createTask,
  getRunningLoop,
  run,
  shield,
  sleep,
  timeout,
  TimeoutError,
  waitFor,
} from "../mod.ts";

async function slowQuery(seconds: number): Promise<string> {
  try {
    await sleep(seconds);
    return `rows after ${seconds} s`;
  } finally {
    // Runs on a timeout too: the cancellation reaches this await first.
    console.log(`  query of ${seconds} s: connection released`);
  }
}

await run(async () => {
  const loop = getRunningLoop();

  console.log("timeout() around a block:");
  try {
    await timeout(0.05, async () => {
      console.log(`  ${await slowQuery(0.01)}`);
      console.log(`  ${await slowQuery(1)}`); // cut short
    });
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log("  TimeoutError: the block took too long");
  }

  console.log("reschedule() when more time is granted:");
  const rows = await timeout(0.02, async (t) => {
    t.reschedule(loop.time() + 0.1);
    const result = await slowQuery(0.05);
    console.log(`  expired: ${t.expired()}`);
    return result;
  });
  console.log(`  ${rows}`);

  console.log("waitFor() one awaitable:");
  console.log(`  ${await waitFor(() => slowQuery(0.01), 0.1)}`);
  await waitFor(() => slowQuery(1), 0.02).catch((error) => {
    console.log(`  ${error.name} after 0.02 s`);
  });

  console.log("shield() keeps the work going:");
  const save = createTask(() => slowQuery(0.05));
  await waitFor(shield(save), 0.01).catch(() => console.log("  stopped waiting for the save"));
  console.log(`  the save still finished: ${await save}`);
});
