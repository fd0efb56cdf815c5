/**
 * Runs one workload in this process and prints its result line (JSON) on
 * stdout; `run.ts` starts one of these per workload and runtime, so that no
 * workload's garbage or grown heap weighs on the next.
 *
 *     deno run -A --v8-flags=--expose-gc scripts/bench/one.ts B1 [--n N] [--runs R]
 *     node --expose-gc npm/scripts/bench/one.js B1 [--n N] [--runs R]
 *
 * With `--side ours|floor` it runs that side once instead and prints the
 * sample (how the harness measures memory, one process per run).
 *
 * Runtime-neutral, like the workloads.
 *
 * @module
 */

import process from "node:process";
import { measure, measureSide } from "./harness.ts";
import { workloadById } from "./workloads.ts";

const USAGE = "usage: one.(ts|js) B1..B8|B5b|B10 [--n N] [--runs R] [--side ours|floor]";

/** The positive integer after `flag`, if the flag is given. */
function intOption(args: string[], flag: string): number | undefined {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const value = Number(args[at + 1]);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${flag} needs a positive integer`);
  return value;
}

try {
  const args = process.argv.slice(2);
  const id = args[0];
  if (id === undefined || id.startsWith("-")) throw new Error(USAGE);
  const workload = workloadById(id);
  const n = intOption(args, "--n");
  const side = args[args.indexOf("--side") + 1];
  if (!args.includes("--side")) {
    console.log(JSON.stringify(await measure(workload, { n, runs: intOption(args, "--runs") })));
  } else if (side === "ours" || side === "floor") {
    console.log(JSON.stringify(await measureSide(workload, side, { n })));
  } else {
    throw new Error(USAGE);
  }
} catch (error) {
  console.error(error instanceof Error ? error.stack ?? error.message : error);
  process.exitCode = 1;
}
