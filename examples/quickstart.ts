// The "Hello World" of asyncio, from chapter 3 of *Using Asyncio in Python*.
// Run: deno run examples/quickstart.ts
import { run, sleep } from "../mod.ts";
import { ctime } from "./_ctime.ts";

async function main() {
  console.log(`${ctime()} Hello!`);
  await sleep(1.0);
  console.log(`${ctime()} Goodbye!`);
}

await run(main);
