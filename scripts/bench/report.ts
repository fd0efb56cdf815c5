/**
 * Writes `results/latest.md` from `results/results.jsonl`: the newest line
 * per (workload, impl, runtime), one table per workload, and issue 7's
 * targets checked against them.
 *
 *     deno run -A scripts/bench/report.ts [results.jsonl [latest.md]]
 *
 * Every producer (`deno task bench`, the peers of `deno task bench:peers`)
 * appends its lines and then runs this. Runtime-neutral (`node:` built-ins).
 *
 * @module
 */

import { readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { fileURLToPath } from "node:url";
import type { ResultLine } from "./harness.ts";
import { type Unit, type Workload, workloads } from "./workloads.ts";

const RESULTS = fileURLToPath(new URL("./results/results.jsonl", import.meta.url));
const LATEST = fileURLToPath(new URL("./results/latest.md", import.meta.url));

/** Every line of a results file (blank lines skipped). */
export function readResults(file: string = RESULTS): ResultLine[] {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text.split("\n").filter((line) => line.trim() !== "").map((line) => JSON.parse(line));
}

/** The newest line per (workload, impl, runtime); a later line wins a tie. */
export function newest(lines: ResultLine[]): ResultLine[] {
  const kept = new Map<string, ResultLine>();
  for (const line of lines) {
    const key = `${line.workload}\u0000${line.impl}\u0000${line.runtime}`;
    const old = kept.get(key);
    if (!old || line.date >= old.date) kept.set(key, line);
  }
  return [...kept.values()];
}

// -- formatting --------------------------------------------------------------

/** A figure in its unit, rounded for reading. */
export function formatValue(value: number, unit: Unit | string): string {
  if (unit === "speedup") return value.toFixed(2);
  if (unit === "ms") {
    const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
    return value.toFixed(digits);
  }
  return Math.round(value).toLocaleString("en-US");
}

/** For units where higher is better the ratio is ours / theirs, so no "x" (it reads as a share). */
export function formatRatio(ratio: number | null, unit: Unit | string): string {
  if (ratio === null) return "–";
  return unit === "ms" || unit === "bytes/task" ? `${ratio.toFixed(2)}x` : ratio.toFixed(2);
}

/** Node 20 and 22 run AsyncLocalStorage without AsyncContextFrame: reported, not targeted. */
export function isReportedOnly(runtime: string): boolean {
  return /^node (20|22)\./.test(runtime);
}

const isTargeted = (runtime: string) => /^deno /.test(runtime) || /^node 24\./.test(runtime);

/** Deno, then Node newest first, then Bun, then anything else (Python). */
function runtimeOrder(runtime: string): number {
  const node = /^node (\d+)\./.exec(runtime);
  if (runtime.startsWith("deno ")) return 0;
  if (node) return 100 - Number(node[1]);
  if (runtime.startsWith("bun ")) return 100;
  return 1000;
}

const IMPL_ORDER = ["asyncio-ts", "floor", "hand-written pool"];
const implOrder = (impl: string) => {
  const at = IMPL_ORDER.indexOf(impl);
  return at < 0 ? IMPL_ORDER.length : at;
};

function byRuntimeThenImpl(a: ResultLine, b: ResultLine): number {
  return runtimeOrder(a.runtime) - runtimeOrder(b.runtime) ||
    a.runtime.localeCompare(b.runtime) || implOrder(a.impl) - implOrder(b.impl) ||
    a.impl.localeCompare(b.impl);
}

const runtimeCell = (runtime: string) => isReportedOnly(runtime) ? `${runtime} †` : runtime;

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

// -- the workload tables -----------------------------------------------------

function workloadTable(workload: Workload, lines: ResultLine[]): string[] {
  const better = workload.higherIsBetter ? "higher is better" : "lower is better";
  const out = [
    `## ${workload.id} ${workload.name} (${workload.unit}, ${better})`,
    "",
    workload.freshProcessPerRun
      ? `Floor: ${workload.floorName}; each run of either side in a new process (memory).`
      : `Floor: ${workload.floorName}, measured in the same process as asyncio-ts.`,
    "",
    row(["runtime", "impl", "N", "median", "min–max", "unit", "ratio to floor", "RSS MB"]),
    row(["---", "---", "---:", "---:", "---:", "---", "---:", "---:"]),
  ];
  const figureCells = (median: number, min: number, max: number, unit: string) => [
    formatValue(median, unit),
    `${formatValue(min, unit)}–${formatValue(max, unit)}`,
    unit,
  ];
  for (const line of [...lines].sort(byRuntimeThenImpl)) {
    out.push(row([
      runtimeCell(line.runtime),
      line.impl,
      line.n.toLocaleString("en-US"),
      ...figureCells(line.median, line.min, line.max, line.unit),
      formatRatio(line.ratio, line.unit),
      typeof line.rss_mb === "number" ? Math.round(line.rss_mb) : "–",
    ]));
    // Our line carries the floor measured beside it; show it right below.
    if (line.impl === "asyncio-ts" && line.floor) {
      out.push(row([
        runtimeCell(line.runtime),
        workload.id === "B6" || workload.id === "B7" ? "hand-written pool" : "floor",
        line.n.toLocaleString("en-US"),
        ...figureCells(line.floor.median, line.floor.min, line.floor.max, line.unit),
        "–",
        "",
      ]));
    }
  }
  return [...out, ""];
}

// -- the targets -------------------------------------------------------------

type Verdict = { status: "met" | "not met" | "no data" | "n/a"; detail: string };

/** The newest line of `impl` for `workload`: on the column's runtime (`find`), or on any (`findAny`). */
type Finder = (workload: string, impl: string) => ResultLine | undefined;

interface Target {
  label: string;
  judge(find: Finder, runtime: string, findAny: Finder): Verdict;
}

const noData = (detail = ""): Verdict => ({ status: "no data", detail });
const verdict = (ok: boolean, detail: string): Verdict => ({
  status: ok ? "met" : "not met",
  detail,
});

/** Our ratio to the same-process floor against a bound. */
function ratioTarget(id: string, label: string, ok: (ratio: number) => boolean): Target {
  return {
    label,
    judge: (find) => {
      const ours = find(id, "asyncio-ts");
      if (!ours || ours.ratio === null) return noData();
      return verdict(ok(ours.ratio), formatRatio(ours.ratio, ours.unit));
    },
  };
}

/** Our ratio to the same-process floor against a bound that depends on the runtime. */
function ratioTargetOn(
  id: string,
  label: string,
  bound: { deno: number; node: number },
): Target {
  return {
    label,
    judge: (find, runtime) => {
      const ours = find(id, "asyncio-ts");
      if (!ours || ours.ratio === null) return noData();
      const limit = runtime.startsWith("deno") ? bound.deno : bound.node;
      return verdict(ours.ratio <= limit, `${formatRatio(ours.ratio, ours.unit)}, bound ${limit}x`);
    },
  };
}

/** Our median against a peer's on the same runtime (separate processes). */
function peerTarget(id: string, peer: string, label: string, nodeOnly: boolean): Target {
  return {
    label,
    judge: (find, runtime) => {
      if (nodeOnly && !runtime.startsWith("node ")) return { status: "n/a", detail: "Node only" };
      const ours = find(id, "asyncio-ts");
      const theirs = find(id, peer);
      if (!ours || !theirs) return noData(ours ? `no ${peer} line` : "");
      const higher = ours.unit === "jobs/s" || ours.unit === "speedup";
      const ok = higher ? ours.median >= theirs.median : ours.median <= theirs.median;
      return verdict(
        ok,
        `${formatValue(ours.median, ours.unit)} vs ${
          formatValue(theirs.median, theirs.unit)
        } ${ours.unit}`,
      );
    },
  };
}

export const TARGETS: Target[] = [
  ratioTarget("B1", "B1 spawn-gather within 2x of the floor", (r) => r <= 2),
  ratioTarget("B2", "B2 queue-pingpong within 2x of the floor", (r) => r <= 2),
  {
    label: "B3 timers: overhead no more than the floor's",
    judge: (find) => {
      const ours = find("B3", "asyncio-ts");
      if (!ours?.floor) return noData();
      return verdict(
        ours.median <= ours.floor.median,
        `${formatValue(ours.median, "ms")} vs ${formatValue(ours.floor.median, "ms")} ms`,
      );
    },
  },
  ratioTarget("B4", "B4 cancel-storm no slower than the floor", (r) => r <= 1),
  peerTarget("B5", "p-limit", "B5 semaphore no slower than p-limit", false),
  peerTarget("B5b", "p-limit", "B5b map-limited faster than p-limit (issue 17)", false),
  peerTarget("B5b", "p-map", "B5b map-limited faster than p-map (issue 17)", false),
  ratioTarget("B6", "B6 executor-echo ≥ 0.9 of the hand-written pool", (r) => r >= 0.9),
  peerTarget("B6", "piscina", "B6 executor-echo no slower than piscina (Node)", true),
  {
    label: "B7 executor-cpu speedup ≥ 1.85",
    judge: (find) => {
      const ours = find("B7", "asyncio-ts");
      // Three decimals: 1.849 must not read as a met 1.85.
      return ours ? verdict(ours.median >= 1.85, ours.median.toFixed(3)) : noData();
    },
  },
  ratioTarget("B8", "B8 memory-per-task at most 1.5x the floor's bytes", (r) => r <= 1.5),
  ratioTargetOn("B1", "B1 within 6x (Deno) / 10x (Node 24) of the floor (issue 17)", {
    deno: 6,
    node: 10,
  }),
  ratioTargetOn("B5", "B5 within 2.5x (Deno) / 3.5x (Node 24) of the floor (issue 17)", {
    deno: 2.5,
    node: 3.5,
  }),
  {
    label: "B8 memory-per-task at most CPython asyncio's (issue 17)",
    judge: (find, _runtime, findAny) => {
      const ours = find("B8", "asyncio-ts");
      const cpython = findAny("B8", "cpython asyncio");
      if (!ours || !cpython) return noData(ours ? "no CPython line" : "");
      return verdict(
        ours.median <= cpython.median,
        `${formatValue(ours.median, ours.unit)} vs ${formatValue(cpython.median, cpython.unit)}`,
      );
    },
  },
  ratioTarget("B10", "B10 subprocess at least 0.9x the floor's speed", (r) => r <= 1 / 0.9),
];

function targetsTable(lines: ResultLine[]): string[] {
  const found = [...new Set(lines.map((line) => line.runtime))].filter(isTargeted);
  // The two targeted runtimes always get a column, "no data" if never measured.
  const runtimes = [
    ...(found.some((r) => r.startsWith("deno ")) ? [] : ["deno"]),
    ...(found.some((r) => r.startsWith("node 24.")) ? [] : ["node 24"]),
    ...found,
  ].sort((a, b) => runtimeOrder(a) - runtimeOrder(b));
  const out = [
    "## Targets (issues 7 and 17)",
    "",
    "On Deno and Node 24, as ratios within one run; B5 and B6's peers run in processes of their own.",
    "",
    row(["target", ...runtimes]),
    row(["---", ...runtimes.map(() => "---")]),
  ];
  let met = 0;
  let judged = 0;
  for (const target of TARGETS) {
    const cells = runtimes.map((runtime) => {
      const find = (workload: string, impl: string) =>
        lines.find((l) => l.workload === workload && l.impl === impl && l.runtime === runtime);
      const findAny = (workload: string, impl: string) =>
        lines.filter((l) => l.workload === workload && l.impl === impl)
          .sort((a, b) => b.date.localeCompare(a.date))[0];
      const { status, detail } = target.judge(find, runtime, findAny);
      if (status === "met" || status === "not met") judged++;
      if (status === "met") met++;
      const label = status === "not met" ? "**not met**" : status;
      return detail ? `${label} (${detail})` : label;
    });
    out.push(row([target.label, ...cells]));
  }
  return [...out, "", `${met} of ${judged} judged targets met.`, ""];
}

// -- the whole report --------------------------------------------------------

/** The markdown of `latest.md` for these lines (already the newest per key). */
export function renderReport(lines: ResultLine[]): string {
  const dates = lines.map((line) => line.date).sort();
  const machines = [...new Set(lines.map((line) => line.machine))];
  const runtimes = [...new Set(lines.map((line) => line.runtime))].sort((a, b) =>
    runtimeOrder(a) - runtimeOrder(b) || a.localeCompare(b)
  );
  const out = [
    "# Benchmark results",
    "",
    "Written by `scripts/bench/report.ts` from the newest line per (workload, impl, runtime) of",
    "`results.jsonl`. Each figure is the median of 5 runs after a warm-up; a ratio compares with",
    "the floor measured in the same process, in the same sitting. The machine is shared and noisy:",
    "compare ratios, not absolute figures across days.",
    "",
    `- Measured: ${dates.length ? `${dates[0]} to ${dates[dates.length - 1]}` : "nothing yet"}`,
    `- Machine: ${machines.join("; ") || "–"}`,
    `- Runtimes: ${
      runtimes.map((r) => isReportedOnly(r) ? `${r} (reported, not targeted)` : r).join(", ") ||
      "–"
    }`,
    "",
    "† Node 20 and 22 run AsyncLocalStorage without AsyncContextFrame: reported, not targeted.",
    "",
    ...targetsTable(lines),
  ];
  for (const workload of workloads) {
    const mine = lines.filter((line) => line.workload === workload.id);
    if (mine.length > 0) out.push(...workloadTable(workload, mine));
  }
  return out.join("\n");
}

/** Reads `results`, writes `latest`; returns the lines it used. */
export function writeReport(results: string = RESULTS, latest: string = LATEST): ResultLine[] {
  const lines = newest(readResults(results));
  writeFileSync(latest, renderReport(lines));
  return lines;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [results = RESULTS, latest = LATEST] = process.argv.slice(2);
  const lines = writeReport(results, latest);
  console.log(`wrote ${latest} from ${lines.length} result lines`);
}
