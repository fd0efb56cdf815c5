/**
 * Measures one workload in this process: a warm-up of each side, then
 * `runs` rounds in which ours and the floor take turns (so that the shared
 * machine's changing load hits both alike), a full GC before each run when
 * the runtime exposes one. A memory workload instead runs each side in a new
 * process per run (see `Workload.freshProcessPerRun`). Builds the result line of the shared format
 * (`/tmp/brief/bench_common.md`, one JSON object per line).
 *
 * Runtime-neutral, like the workloads.
 *
 * @module
 */

import { execFile } from "node:child_process";
import os from "node:os";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { collectGarbage, type Sample, type Workload, type WorkloadOptions } from "./workloads.ts";

/** Median and spread of a set of runs. */
export interface Figures {
  median: number;
  min: number;
  max: number;
}

/** One line of `results/results.jsonl`. */
export interface ResultLine extends Figures {
  workload: string;
  name: string;
  impl: string;
  runtime: string;
  n: number;
  unit: string;
  runs: number[];
  /** The floor measured in the same process, or null if none. */
  floor: Figures | null;
  /** median / floor.median (for B6 and B7, higher is better, as for the figures). */
  ratio: number | null;
  /** Peak RSS of the process after the workload, MB. */
  rss_mb: number;
  extra: Record<string, number>;
  date: string;
  machine: string;
}

const execFileAsync = promisify(execFile);

export interface MeasureOptions {
  /** Default: the workload's N. */
  n?: number;
  /** Measured rounds; default 5. */
  runs?: number;
  workload?: WorkloadOptions;
}

/** "deno 2.9.6", "bun 1.4.5" or "node 24.11.0". */
export function runtimeName(): string {
  const { deno, bun } = process.versions as { deno?: string; bun?: string };
  if (deno) return `deno ${deno}`;
  // Bun reports a Node version too: ask for Bun's first.
  return bun ? `bun ${bun}` : `node ${process.versions.node}`;
}

/** "<cpu model> x<cores>, <GiB> GiB". */
export function machineName(): string {
  const cpus = os.cpus();
  return `${cpus[0]?.model ?? "unknown cpu"} x${cpus.length}, ${
    Math.round(os.totalmem() / 2 ** 30)
  } GiB`;
}

export function figures(values: number[]): Figures {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[sorted.length >> 1], min: sorted[0], max: sorted[sorted.length - 1] };
}

/** Five significant digits: enough for noisy timings, short lines. */
const round = (value: number) => Number(value.toPrecision(5));

function roundFigures(f: Figures): Figures {
  return { median: round(f.median), min: round(f.min), max: round(f.max) };
}

/** Median of every extra value over the samples; the floor's keys get a `floor_` prefix. */
function extras(samples: Sample[], prefix: string): Record<string, number> {
  const keys = new Set(samples.flatMap((sample) => Object.keys(sample.extra ?? {})));
  const result: Record<string, number> = {};
  for (const key of keys) {
    const values = samples.map((sample) => sample.extra?.[key]).filter((v) => v !== undefined);
    result[prefix + key] = round(figures(values).median);
  }
  return result;
}

/** Which side of a workload: asyncio-ts or its floor. */
export type Side = "ours" | "floor";

/** A sample and the peak RSS (MB) of the process that took it. */
export interface SideSample extends Sample {
  rss_mb: number;
}

/** Peak RSS of this process so far, MB (maxRSS is in KiB on Linux and macOS). */
const peakRssMb = () => process.resourceUsage().maxRSS / 1024;

/** One run of one side, in a process started for it (`one.ts B8 --side ours`). */
export async function measureSide(
  workload: Workload,
  side: Side,
  { n = workload.n, workload: options }: MeasureOptions = {},
): Promise<SideSample> {
  const sides = workload.prepare(n, options);
  try {
    const sample = await sides[side]();
    return { ...sample, rss_mb: peakRssMb() };
  } finally {
    await sides.close();
  }
}

/** Warm-up, then `runs` rounds of ours and the floor taking turns, in this process. */
async function samplesHere(
  workload: Workload,
  n: number,
  runs: number,
  options: WorkloadOptions | undefined,
): Promise<{ ours: Sample[]; floor: Sample[]; rssMb: number }> {
  const sides = workload.prepare(n, options);
  const ours: Sample[] = [];
  const floor: Sample[] = [];
  try {
    await sides.ours();
    await sides.floor();
    for (let i = 0; i < runs; i++) {
      collectGarbage();
      ours.push(await sides.ours());
      collectGarbage();
      floor.push(await sides.floor());
    }
  } finally {
    await sides.close();
  }
  return { ours, floor, rssMb: peakRssMb() };
}

/** `runs` rounds of ours and the floor taking turns, each run in a new process of this runtime. */
async function samplesInFreshProcesses(
  workload: Workload,
  n: number,
  runs: number,
): Promise<{ ours: Sample[]; floor: Sample[]; rssMb: number }> {
  const script = fileURLToPath(new URL("./one.ts", import.meta.url));
  // The same runtime with a GC to call; Node passes its flags on, Deno needs its
  // own, Bun needs none (and runs one.ts itself).
  const command = (process.versions as { deno?: string }).deno
    ? ["run", "--allow-all", "--v8-flags=--expose-gc", script]
    : [...process.execArgv, script];
  const runSide = async (side: Side): Promise<SideSample> => {
    const args = [...command, workload.id, "--side", side, "--n", String(n)];
    const { stdout } = await execFileAsync(process.execPath, args);
    return JSON.parse(stdout);
  };
  const ours: SideSample[] = [];
  const floor: SideSample[] = [];
  for (let i = 0; i < runs; i++) {
    ours.push(await runSide("ours"));
    floor.push(await runSide("floor"));
  }
  return { ours, floor, rssMb: Math.max(...ours.map((s) => s.rss_mb)) };
}

/** Runs `workload` as described at the top and returns its result line (impl asyncio-ts). */
export async function measure(
  workload: Workload,
  { n = workload.n, runs = 5, workload: options }: MeasureOptions = {},
): Promise<ResultLine> {
  const { ours, floor, rssMb } = workload.freshProcessPerRun
    ? await samplesInFreshProcesses(workload, n, runs)
    : await samplesHere(workload, n, runs, options);
  const oursFigures = roundFigures(figures(ours.map((sample) => sample.value)));
  const floorFigures = roundFigures(figures(floor.map((sample) => sample.value)));
  return {
    workload: workload.id,
    name: workload.name,
    impl: "asyncio-ts",
    runtime: runtimeName(),
    n,
    unit: workload.unit,
    ...oursFigures,
    runs: ours.map((sample) => round(sample.value)),
    floor: floorFigures,
    // B3's overhead can be near zero or below for the floor: no meaningful ratio then.
    ratio: floorFigures.median > 0 ? round(oursFigures.median / floorFigures.median) : null,
    rss_mb: round(rssMb),
    extra: { ...extras(ours, ""), ...extras(floor, "floor_") },
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    machine: machineName(),
  };
}
