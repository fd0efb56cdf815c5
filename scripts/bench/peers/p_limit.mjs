// p-limit on B5 (semaphore) and B5b (map-limited) of WORKLOADS.md, beside the
// raw-promise floor of each in the same process.
// Run: node p_limit.mjs <B5|B5b> [--quick]
import process from "node:process";
import { checkMost, checkSum, countingJob, emit, rounds, sizeOf, workload } from "./common.mjs";
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

/** B5b: `pLimit(100).map(inputs, job)`, p-limit 7's own map, each job around one `await null`. */
async function mapLimited(inputs) {
  const start = performance.now();
  const limit = pLimit(100);
  const { job, most: mostAtOnce } = countingJob();
  const results = await limit.map(inputs, job);
  const elapsed = performance.now() - start;
  checkMost(mostAtOnce(), 100);
  checkSum(results.reduce((a, b) => a + b, 0), inputs.length);
  return elapsed;
}

if (workload === "B5") {
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
} else if (workload === "B5b") {
  const n = sizeOf(100_000);
  const inputs = Array.from({ length: n }, (_, i) => i);
  const [runs, floorRuns] = await rounds([
    () => mapLimited(inputs),
    () => floors.mapLimited(inputs),
  ]);
  emit({
    name: "map-limited",
    impl: "p-limit",
    n,
    unit: "ms",
    runs,
    floorRuns,
    extra: { limit: 100, job: "await null", call: "pLimit(100).map(inputs, job)" },
  });
} else {
  console.error(`usage: node p_limit.mjs <B5|B5b> [--quick]; got ${workload}`);
  process.exit(2);
}
