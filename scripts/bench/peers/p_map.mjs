// p-map on B5b (map-limited) of WORKLOADS.md, beside the raw-promise floor
// in the same process. Run: node p_map.mjs B5b [--quick]
import process from "node:process";
import { checkSum, countingJob, emit, rounds, sizeOf, workload } from "./common.mjs";
import * as floors from "./floors.mjs";

// Imported at run time: installed on demand, not needed by `deno check scripts/`.
const { default: pMap } = await import("p-map");

let mostAtOnce = 0;

/** B5b: `pMap(inputs, job, { concurrency: 100 })`, each job around one `await null`. */
async function mapLimited(inputs) {
  const start = performance.now();
  const { job, most: mostOf } = countingJob();
  const results = await pMap(inputs, job, { concurrency: 100 });
  const elapsed = performance.now() - start;
  // p-map starts each job a microtask or more after the previous one, so jobs
  // that only yield once end before the hundredth starts: fewer than 100 run
  // at once (about 50 measured), never more.
  const most = mostOf();
  if (most > 100 || most < 2) throw new Error(`B5b: ${most} jobs at once, limit 100`);
  mostAtOnce = most;
  checkSum(results.reduce((a, b) => a + b, 0), inputs.length);
  return elapsed;
}

if (workload !== "B5b") {
  console.error(`usage: node p_map.mjs B5b [--quick]; got ${workload}`);
  process.exit(2);
}
const n = sizeOf(100_000);
const inputs = Array.from({ length: n }, (_, i) => i);
const [runs, floorRuns] = await rounds([
  () => mapLimited(inputs),
  () => floors.mapLimited(inputs),
]);
emit({
  name: "map-limited",
  impl: "p-map",
  n,
  unit: "ms",
  runs,
  floorRuns,
  extra: {
    limit: 100,
    most_at_once: mostAtOnce,
    job: "await null",
    call: "pMap(inputs, job, { concurrency: 100 })",
  },
});
