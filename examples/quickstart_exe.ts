// A blocking function off the loop: the book's quickstart_exe.py listing
// (chapter 3 of *Using Asyncio in Python*), with a Worker for the thread.
// Run: deno run examples/quickstart_exe.ts
import { allTasks, gather, getEventLoop, sleep } from "../mod.ts";
import { ctime } from "./_ctime.ts";

async function main() {
  console.log(`${ctime()} Hello!`);
  await sleep(1.0);
  console.log(`${ctime()} Goodbye!`);
}

// Runs on a Worker, so it must be self-contained: it cannot use ctime() from
// this module, and formats the time itself (as Python's time.ctime()).
function blocking() {
  // time.sleep(0.5): block this thread, not the event loop's.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  const [day, month, date, year, clock] = new Date().toString().split(" ");
  const now = `${day} ${month} ${date.replace(/^0/, " ")} ${clock} ${year}`;
  console.log(`${now} Hello from a thread!`);
}

const loop = getEventLoop();
const task = loop.createTask(main);
loop.runInExecutor(null, blocking); // a Future, not a Task: allTasks() leaves it out
await loop.runUntilComplete(task);
const pending = allTasks(loop);
for (const task of pending) task.cancel();
const group = gather(...pending, { returnExceptions: true });
await loop.runUntilComplete(group);
loop.close();
