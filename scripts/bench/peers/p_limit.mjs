// p-limit on B5 (semaphore) of WORKLOADS.md, beside the raw-promise floor (a
// p-limit-like semaphore written here) in the same process.
// Run: node p_limit.mjs B5 [--quick]
import process from "node:process";
import { checkMost, emit, rounds, sizeOf, workload } from "./common.mjs";
import * as floors from "./floors.mjs";

// Imported at run time: installed on demand, not needed by `deno check scripts/`.
const { default: pLimit } = await import("p-limit");

/** B5: N functions run through `pLimit(100)`, each holding its slot around one `await null`. */
async function semaphore(n) {
  const start = performance.now();
  const limit = pLimit(100);
  let holders = 0;
  let most = 0;
  const hold = async () => {
    most = Math.max(most, ++holders);
    await null;
    holders--;
  };
  const promises = [];
  for (let i = 0; i < n; i++) promises.push(limit(hold));
  await Promise.all(promises);
  const elapsed = performance.now() - start;
  checkMost(most, 100);
  return elapsed;
}

if (workload !== "B5") {
  console.error(`usage: node p_limit.mjs B5 [--quick]; got ${workload}`);
  process.exit(2);
}
const n = sizeOf(100_000);
const [runs, floorRuns] = await rounds([
  () => semaphore(n),
  () => floors.semaphore(n),
]);
emit({
  name: "semaphore",
  impl: "p-limit",
  n,
  unit: "ms",
  runs,
  floorRuns,
  extra: { limit: 100, hold: "await null" },
});
