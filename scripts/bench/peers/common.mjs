// Shared by the Node peer scripts of `deno task bench:peers` (issue 7): the
// command line, interleaved rounds, statistics, and the JSON line of
// scripts/bench/results/results.jsonl.
//
// Every peer script is run as `node <script> [<peer>] <workload> [--quick]`
// and prints one JSON line per (workload, impl) on stdout, nothing else.
import { spawnSync } from "node:child_process";
import os from "node:os";
import process from "node:process";
import v8 from "node:v8";

export const quick = process.argv.includes("--quick");
/** Measured rounds after the warm-up: median of 5 (1 with --quick). */
export const RUNS = quick ? 1 : 5;

/** The workload id (B1..B8, B5b) given on the command line. */
export const workload = process.argv.slice(2).find((arg) => /^B\d[a-z]?$/.test(arg));

/** N of a workload: as in WORKLOADS.md, a tenth with --quick, or `--n N`. */
export function sizeOf(full) {
  const given = process.argv.indexOf("--n");
  if (given >= 0) return Number(process.argv[given + 1]);
  return quick ? Math.max(1, Math.round(full / 10)) : full;
}

/** Deno runs these scripts too (npm packages from this folder's node_modules). */
const deno = globalThis.Deno;
export const runtime = deno ? `deno ${deno.version.deno}` : `node ${process.versions.node}`;

/**
 * Runs one warm-up of every body (unless each runs in a fresh process), then
 * RUNS rounds in which the bodies take turns, so that a change in the shared
 * machine's load hits them alike. Each body returns its figure for the round;
 * returns one list per body.
 */
export async function rounds(bodies, { warmUp = true } = {}) {
  for (const body of warmUp ? bodies : []) {
    globalThis.gc?.();
    await body();
  }
  const figures = bodies.map(() => []);
  for (let round = 0; round < RUNS; round++) {
    for (let i = 0; i < bodies.length; i++) {
      // A full GC first (when exposed): no body pays for its predecessor's garbage.
      globalThis.gc?.();
      figures[i].push(await bodies[i]());
    }
  }
  return figures;
}

/** Wall time of `body` in ms. */
export async function timed(body) {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

export function stats(figures) {
  const sorted = [...figures].sort((a, b) => a - b);
  return {
    median: round(sorted[sorted.length >> 1]),
    min: round(sorted[0]),
    max: round(sorted[sorted.length - 1]),
  };
}

function round(x) {
  return Math.round(x * 1000) / 1000;
}

export function machine() {
  const cpus = os.cpus();
  return `${cpus[0].model} x${cpus.length}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`;
}

/** Peak RSS of this process so far, MB. */
export function peakRssMb() {
  return round(process.resourceUsage().maxRSS / 1024);
}

/**
 * Prints the result line. `runs` and `floorRuns` are the figures of the
 * rounds; the ratio is median / floor median (for B6 and B7, where higher is
 * better, that is the peer's share of the floor's figure).
 */
export function emit(
  { name, impl, n, unit, runs, floorRuns, extra = {}, rssMb = peakRssMb() },
) {
  const own = stats(runs);
  const floor = floorRuns ? stats(floorRuns) : null;
  const line = {
    workload,
    name,
    impl,
    runtime,
    n,
    unit,
    ...own,
    runs: runs.map(round),
    floor,
    // B3's floor overhead is about 0 (even below): no ratio to it.
    ratio: floor && floor.median > 0 ? round(own.median / floor.median) : null,
    rss_mb: rssMb,
    extra,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    machine: machine(),
  };
  console.log(JSON.stringify(line));
}

export function checkSum(sum, n) {
  if (sum !== (n * (n - 1)) / 2) {
    throw new Error(`${workload}: wrong sum ${sum}`);
  }
}

export function checkMost(most, limit) {
  if (most !== limit) {
    throw new Error(`${workload}: ${most} holders at most, expected ${limit}`);
  }
}

/**
 * B5b's job, one for every contender so that they all run the same one: it
 * holds its slot around one `await null` and returns its input; `most()` is
 * how many ran at once, at most.
 */
export function countingJob() {
  let running = 0;
  let most = 0;
  const job = async (input) => {
    most = Math.max(most, ++running);
    await null;
    running--;
    return input;
  };
  return { job, most: () => most };
}

// -- B8: memory per task ------------------------------------------------------
//
// RSS only grows back slowly once a heap has grown (a second round in the same
// process reads a fraction of the first), so every B8 round is a fresh child
// process of the same script: `--b8-child <side>` parks N tasks and prints its
// bytes per task.

/** Committed bytes of V8's young generation, which holds nothing live after a full GC. */
function nurseryBytes() {
  return v8.getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith("new_"))
    .reduce((sum, space) => sum + space.physical_space_size, 0);
}

/**
 * In a B8 child: `body(n, parked)` parks n tasks on one event, calls
 * `parked()` once they all wait, then sets the event and gathers them.
 * Prints the RSS growth per task less the young generation's growth (V8 grows
 * that nursery with the allocation rate, not with what stays alive, as
 * scripts/bench/workloads.ts does for asyncio-ts), the raw RSS and heap growth
 * per task, and the child's peak RSS.
 */
export async function b8Child(n, body) {
  globalThis.gc?.();
  const rss = process.memoryUsage.rss();
  const nursery = nurseryBytes();
  const heap = process.memoryUsage().heapUsed;
  let growth;
  await body(n, () => {
    globalThis.gc?.();
    growth = {
      rss: process.memoryUsage.rss() - rss,
      nursery: nurseryBytes() - nursery,
      heap: process.memoryUsage().heapUsed - heap,
    };
  });
  console.log(JSON.stringify({
    perTask: (growth.rss - growth.nursery) / n,
    rssPerTask: growth.rss / n,
    heapPerTask: growth.heap / n,
    peakMb: peakRssMb(),
  }));
}

/** The side a B8 child measures ("peer" or "floor"), or undefined in the parent. */
export const b8Side = (() => {
  const at = process.argv.indexOf("--b8-child");
  return at >= 0 ? process.argv[at + 1] : undefined;
})();

/**
 * In the parent: one fresh child process per B8 round, the sides taking
 * turns. Returns each side's list of child reports (see b8Child).
 */
export function b8Rounds(script, sides) {
  const child = (side) => {
    const gcFlag = deno ? ["run", "--allow-all", "--v8-flags=--expose-gc"] : ["--expose-gc"];
    const args = [...gcFlag, script, ...process.argv.slice(2), "--b8-child", side];
    const out = spawnSync(process.execPath, args, { encoding: "utf8" });
    if (out.status !== 0) throw new Error(`B8 child ${side} failed: ${out.stderr}`);
    return JSON.parse(out.stdout.trim().split("\n").pop());
  };
  return rounds(sides.map((side) => () => child(side)), { warmUp: false });
}

/** The result line of B8 from the child reports of the peer and the floor. */
export function emitB8(impl, n, peer, floor, extra) {
  const median = (key) => stats(peer.map((report) => report[key])).median;
  emit({
    name: "memory-per-task",
    impl,
    n,
    unit: "bytes/task",
    runs: peer.map((report) => report.perTask),
    floorRuns: floor.map((report) => report.perTask),
    extra: {
      ...extra,
      rss_bytes_per_task: median("rssPerTask"),
      heap_bytes_per_task: median("heapPerTask"),
    },
    rssMb: Math.max(...peer.map((report) => report.peakMb)),
  });
}
