/**
 * B1 and B5 on this tree and on another copy of the library, taking turns
 * in one process (median of 5 after a warm-up, beside their floors): how a
 * change costs, measured on a shared machine where separate runs are too
 * noisy to compare. "eager tasks" runs this tree with `eagerTaskFactory`.
 *
 *     git worktree add /tmp/base main   # or any copy with a mod.ts
 *     deno run -A --v8-flags=--expose-gc scripts/bench/against.ts /tmp/base [N]
 *     node --expose-gc --experimental-transform-types scripts/bench/against.ts /tmp/base [N]
 *
 * @module
 */

import { resolve } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import * as asyncio from "../../mod.ts";
import { runtimeName } from "./harness.ts";
import { printInTurns } from "./turns.ts";
import {
  collectGarbage,
  type Library,
  type Sample,
  semaphoreOn,
  spawnGatherOn,
  workloadById,
} from "./workloads.ts";

const args = process.argv.slice(2);
const other = args.find((arg) => !/^\d+$/.test(arg));
if (other === undefined) throw new Error("usage: against.ts <directory with mod.ts> [N]");
const N = Number(args.find((arg) => /^\d+$/.test(arg)) ?? 100_000);
const ROUNDS = 5;

const copy: Library = await import(pathToFileURL(resolve(other, "mod.ts")).href);

// This tree with every task eager (`eagerTaskFactory`).
const eager: Library = {
  ...asyncio,
  run: ((main: () => unknown) =>
    asyncio.run(() => {
      asyncio.getRunningLoop().setTaskFactory(asyncio.eagerTaskFactory);
      return main();
    })) as Library["run"],
};

async function timed(run: () => Promise<Sample>): Promise<number> {
  collectGarbage();
  return (await run()).value;
}

console.log(`this tree against ${other}, N=${N}, ${runtimeName()}`);
for (
  const [workload, id, on] of [
    ["B1 spawn-gather", "B1", spawnGatherOn],
    ["B5 semaphore", "B5", semaphoreOn],
  ] as const
) {
  await printInTurns(workload, [
    ["floor", () => timed(workloadById(id).prepare(N).floor)],
    ["this tree", () => timed(() => on(asyncio, N))],
    ["other", () => timed(() => on(copy, N))],
    ["eager tasks", () => timed(() => on(eager, N))],
  ], ROUNDS);
}
