// A program that stalls: two workers each hold one lock and wait for the
// other's, until a timeout gives up after a minute. `kill -USR2 <pid>`
// prints the tree of its tasks meanwhile; run it with ASYNCIO_TS_DEBUG=1
// (on Deno with --allow-env=ASYNCIO_TS_DEBUG) to see the line of each await.
import process from "node:process";
import { getRunningLoop, Lock, printTaskTree, run, sleep, taskGroup, timeout } from "../mod.ts";

await run(async function main() {
  getRunningLoop().addSignalHandler("SIGUSR2", () => printTaskTree());
  console.log(`kill -USR2 ${process.pid} prints the tasks`);
  const first = new Lock();
  const second = new Lock();
  async function transfer(from: Lock, to: Lock) {
    await from.acquire();
    await sleep(0.1);
    await to.acquire();
  }
  await timeout(60, () =>
    taskGroup((tg) => {
      tg.createTask({ name: "a-to-b" }, transfer, first, second);
      tg.createTask({ name: "b-to-a" }, transfer, second, first);
    })).catch((error) => console.log(`gave up: ${error}`));
});
