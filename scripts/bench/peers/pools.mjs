// piscina, tinypool and workerpool on B6 (executor-echo) and B7
// (executor-cpu) of WORKLOADS.md, each beside the hand-written worker_threads
// pool of hand_pool.mjs in the same process: 2 workers, every call submitted
// at once, results checked. Each pool keeps its defaults but the worker count.
// Run: node pools.mjs <piscina|tinypool|workerpool> <B6|B7> [--quick]
import process from "node:process";
import { fileURLToPath } from "node:url";
import { emit, rounds, sizeOf, timed, workload } from "./common.mjs";
import { HandWrittenPool } from "./hand_pool.mjs";
import { fib } from "./jobs.mjs";

const WORKERS = 2;
const FIB_N = 32;
const FIB_JOBS = 32;

/** piscina, or tinypool (its fork, with the same API), on jobs.mjs. */
function piscinaLike(Pool) {
  const pool = new Pool({
    filename: new URL("./jobs.mjs", import.meta.url).href,
    minThreads: WORKERS,
    maxThreads: WORKERS,
  });
  return {
    run: (job, arg) => pool.run(arg, { name: job }),
    close: () => pool.destroy(),
  };
}

/** Each pool as `{ run(job, arg): Promise, close(): Promise }`. */
const pools = {
  piscina: async () => piscinaLike((await import("piscina")).Piscina),
  tinypool: async () => piscinaLike((await import("tinypool")).Tinypool),
  async workerpool() {
    const { default: workerpool } = await import("workerpool");
    const pool = workerpool.pool(
      fileURLToPath(new URL("./workerpool_worker.mjs", import.meta.url)),
      {
        minWorkers: WORKERS,
        maxWorkers: WORKERS,
        workerType: "thread",
      },
    );
    return {
      run: (job, arg) => pool.exec(job, [arg]),
      close: () => pool.terminate(),
    };
  },
};

const peer = process.argv.slice(2).find((arg) => arg in pools);
if (!peer || (workload !== "B6" && workload !== "B7")) {
  console.error(
    `usage: node pools.mjs <${Object.keys(pools).join("|")}> <B6|B7> [--quick]`,
  );
  process.exit(2);
}

const range = (n) => Array.from({ length: n }, (_, i) => i);
const pool = await pools[peer]();
const hand = new HandWrittenPool(WORKERS);

if (workload === "B6") {
  const n = sizeOf(20_000);
  /** One round: n echo calls submitted at once; its figure is jobs/s. */
  const echoes = (pool) => async () => {
    const ms = await timed(async () => {
      const results = await Promise.all(
        range(n).map((i) => pool.run("echo", i)),
      );
      if (!results.every((result, i) => result === i)) {
        throw new Error("B6: wrong result");
      }
    });
    return n / ms * 1000;
  };
  const [runs, floorRuns] = await rounds([echoes(pool), echoes(hand)]);
  emit({
    name: "executor-echo",
    impl: peer,
    n,
    unit: "jobs/s",
    runs,
    floorRuns,
    extra: { workers: WORKERS, floor: "hand-written worker_threads pool" },
  });
} else {
  const expected = fib(FIB_N);
  const check = (results) => {
    if (results.length !== FIB_JOBS || results.some((r) => r !== expected)) {
      throw new Error("B7: wrong result");
    }
  };
  const pooled = (pool) => () =>
    timed(async () =>
      check(
        await Promise.all(range(FIB_JOBS).map(() => pool.run("fib", FIB_N))),
      )
    );
  const serial = () => timed(() => check(range(FIB_JOBS).map(() => fib(FIB_N))));
  const [serialMs, poolMs, handMs] = await rounds([
    serial,
    pooled(pool),
    pooled(hand),
  ]);
  // Each round's speedup against the serial time of the same round.
  const speedups = (times) => times.map((ms, round) => serialMs[round] / ms);
  const median = (list) => [...list].sort((a, b) => a - b)[list.length >> 1];
  emit({
    name: "executor-cpu",
    impl: peer,
    n: FIB_JOBS,
    unit: "speedup",
    runs: speedups(poolMs),
    floorRuns: speedups(handMs),
    extra: {
      workers: WORKERS,
      job: `fib(${FIB_N})`,
      serial_ms: Math.round(median(serialMs)),
      pooled_ms: Math.round(median(poolMs)),
      floor: "hand-written worker_threads pool",
    },
  });
}

await pool.close();
await hand.close();
