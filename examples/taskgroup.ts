/**
 * Structured concurrency with a TaskGroup: every task started in the group
 * is done when the group's block ends. First all downloads succeed; then one
 * fails, the others are cancelled (and clean up), and the errors arrive
 * together as an ExceptionGroup.
 *
 * Run: `deno run examples/taskgroup.ts`
 *
 * @module
 */

import { CancelledError, ExceptionGroup, run, sleep, taskGroup } from "../mod.ts";

async function download(page: string, seconds: number): Promise<string> {
  try {
    await sleep(seconds);
    if (page.includes("broken")) throw new Error(`${page}: 404`);
    console.log(`  downloaded ${page}`);
    return `<contents of ${page}>`;
  } catch (error) {
    if (error instanceof CancelledError) {
      console.log(`  ${page}: cancelled, closing its connection`);
    }
    throw error;
  }
}

await run(async () => {
  console.log("All pages:");
  const tasks = await taskGroup((tg) =>
    [["a.html", 0.03], ["b.html", 0.01], ["c.html", 0.02]].map(([page, seconds]) =>
      tg.createTask({ name: page as string }, download, page as string, seconds as number)
    )
  );
  console.log(`  results: ${tasks.map((task) => task.result()).join(", ")}`);

  console.log("One broken page:");
  try {
    await taskGroup((tg) => {
      tg.createTask(download, "slow.html", 10);
      tg.createTask(download, "other.html", 10);
      tg.createTask(download, "broken.html", 0.01);
    });
  } catch (error) {
    if (!(error instanceof ExceptionGroup)) throw error;
    console.log(`  ${error.message}: ${error.exceptions.map(String).join("; ")}`);
  }
});
