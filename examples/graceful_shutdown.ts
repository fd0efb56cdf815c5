/**
 * Starting up and shutting down gracefully, after the book's signal
 * listings: SIGINT (Ctrl-C) or SIGTERM cancels every task, the tasks clean
 * up with awaits, and a job running on the executor finishes before `run()`
 * returns. Without a signal, the program shuts itself down the same way
 * after 3 seconds.
 *
 * Run: `deno run examples/graceful_shutdown.ts` (signal listeners need no
 * permission), then press Ctrl-C.
 *
 * @module
 */

import { allTasks, CancelledError, getRunningLoop, run, sleep } from "../mod.ts";

// Runs on a Worker of the default executor: it blocks its own thread only.
function writeReport(seconds: number): string {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, seconds * 1000);
  return `<Report written after ${seconds} s of blocking work>`;
}

let shuttingDown = false;

function shutdown(reason: string): void {
  if (shuttingDown) return;
  shuttingDown = true;
  const loop = getRunningLoop();
  console.log(`Got ${reason}, shutting down.`);
  // A second Ctrl-C during the cleanup is ignored; SIGTERM gets its default back.
  loop.removeSignalHandler("SIGTERM");
  loop.addSignalHandler("SIGINT", () => console.log("<Still shutting down, please wait>"));
  for (const task of allTasks(loop)) task.cancel();
}

async function main(): Promise<void> {
  const loop = getRunningLoop();
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    loop.addSignalHandler(sig, shutdown, `signal: ${sig}`);
  }
  loop.callLater(3, shutdown, "no signal for 3 s");
  const report = loop.runInExecutor(null, writeReport, 1.5);
  try {
    for (;;) {
      console.log("<Your app is running>");
      await sleep(0.5);
    }
  } catch (error) {
    if (!(error instanceof CancelledError)) throw error;
    for (let i = 0; i < 3; i++) {
      console.log("<Your app is shutting down...>");
      await sleep(0.2);
    }
    // The executor job was not cancelled: wait for its result.
    console.log(await report);
  }
}

await run(main);
console.log("<Shut down cleanly>");
