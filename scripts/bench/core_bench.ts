// B1 (spawn-gather) and B4 (cancel storm) of shared/bench/WORKLOADS.md, each
// beside its raw-promise floor in the same process, median of 5 after a
// warm-up. Run: deno run -A scripts/bench/core_bench.ts [N]
import { CancelledError, createTask, gather, run, sleep } from "../../mod.ts";

const N = Number(Deno.args.find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const ROUNDS = 5;

/** B1 on asyncio-ts: N tasks each `await sleep(0); return i`, gathered. */
async function spawnGather(n: number): Promise<number> {
  return await run(async () => {
    const start = performance.now();
    const tasks = [];
    for (let i = 0; i < n; i++) {
      tasks.push(createTask(async (i: number) => {
        await sleep(0);
        return i;
      }, i));
    }
    const results = await gather(...tasks);
    const elapsed = performance.now() - start;
    checkSum(results, n);
    return elapsed;
  });
}

/** B1's floor: Promise.all over N async functions that each `await null`. */
async function spawnGatherFloor(n: number): Promise<number> {
  const start = performance.now();
  const promises = [];
  for (let i = 0; i < n; i++) {
    promises.push((async (i: number) => {
      await null;
      return i;
    })(i));
  }
  const results = await Promise.all(promises);
  const elapsed = performance.now() - start;
  checkSum(results, n);
  return elapsed;
}

/** B4 on asyncio-ts: N sleeping tasks cancelled and gathered; times the cancel + gather. */
async function cancelStorm(n: number): Promise<number> {
  return await run(async () => {
    const tasks = [];
    for (let i = 0; i < n; i++) tasks.push(createTask(() => sleep(3600)));
    await sleep(0);
    const start = performance.now();
    for (const task of tasks) task.cancel();
    const results = await gather(...tasks, { returnExceptions: true });
    const elapsed = performance.now() - start;
    if (!results.every((result) => result instanceof CancelledError)) {
      throw new Error("B4: a result is not a CancelledError");
    }
    return elapsed;
  });
}

/** B4's floor: N AbortControllers aborted in a loop. */
function cancelStormFloor(n: number): Promise<number> {
  const controllers = [];
  for (let i = 0; i < n; i++) controllers.push(new AbortController());
  const start = performance.now();
  for (const controller of controllers) controller.abort();
  const elapsed = performance.now() - start;
  if (!controllers.every((controller) => controller.signal.aborted)) throw new Error("B4 floor");
  return Promise.resolve(elapsed);
}

function checkSum(results: number[], n: number): void {
  const sum = results.reduce((total, value) => total + value, 0);
  if (sum !== (n * (n - 1)) / 2) throw new Error(`wrong sum ${sum}`);
}

/** Medians of ours and the floor, their rounds interleaved so that machine noise hits both alike. */
async function medians(
  ours: (n: number) => Promise<number>,
  floor: (n: number) => Promise<number>,
): Promise<[number, number]> {
  await ours(N); // warm-up
  await floor(N);
  const oursTimes = [];
  const floorTimes = [];
  for (let i = 0; i < ROUNDS; i++) {
    oursTimes.push(await ours(N));
    floorTimes.push(await floor(N));
  }
  const middle = (times: number[]) => times.sort((a, b) => a - b)[ROUNDS >> 1];
  return [middle(oursTimes), middle(floorTimes)];
}

console.log(`asyncio-ts core benchmarks, N=${N}, median of ${ROUNDS} (Deno ${Deno.version.deno})`);
for (
  const [id, ours, floor] of [
    ["B1 spawn-gather", spawnGather, spawnGatherFloor],
    ["B4 cancel-storm", cancelStorm, cancelStormFloor],
  ] as const
) {
  const [oursMs, floorMs] = await medians(ours, floor);
  console.log(
    `${id}: asyncio-ts ${oursMs.toFixed(1)} ms, floor ${floorMs.toFixed(1)} ms, ratio ${
      (oursMs / floorMs).toFixed(2)
    }x`,
  );
}
