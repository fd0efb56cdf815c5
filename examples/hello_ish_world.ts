// What run() does under the hood: the book's "hello-ish world" listing.
// Run: deno run examples/hello_ish_world.ts
import { allTasks, gather, getEventLoop, sleep } from "../mod.ts";
import { ctime } from "./_ctime.ts";

async function main() {
  console.log(`${ctime()} Hello!`);
  await sleep(1.0);
  console.log(`${ctime()} Goodbye!`);
}

const loop = getEventLoop(); // the loop to run tasks on
const task = loop.createTask(main); // scheduled: runs once the loop runs
await loop.runUntilComplete(task); // runs the loop until main is done
const pending = allTasks(loop);
for (const task of pending) task.cancel();
const group = gather(...pending, { returnExceptions: true });
await loop.runUntilComplete(group);
loop.close();
