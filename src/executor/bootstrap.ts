/**
 * The code every pool Worker starts with, kept as a JavaScript string.
 *
 * Why a string: a Worker started from a `data:` URL needs no permission under
 * Deno (a `file:` Worker needs `--allow-read`), and a string
 * survives the npm build, which rewrites `.ts` imports to `.js` and would
 * break a `new URL("./worker.ts", import.meta.url)`. The cost is that this
 * code is not type-checked: `executor_protocol_test.ts` and the pool tests
 * exercise every branch. The message tags and strides of `messages.ts` are
 * written into it where it is built, so the two sides cannot drift apart.
 *
 * What it does, in order:
 * - installs `jobSignal()` and `transferResult()` as globals (so a function
 *   shipped as source can call them by name) and under a registry symbol (so
 *   `worker_api.ts`, imported by module functions, can find them);
 * - makes `close()`, `Deno.exit()` and `process.exit()` post CLOSING first: a
 *   Deno web Worker that ends itself fires no event in the parent
 *   (measured on Deno 2.9.6), and a job in flight would hang;
 * - on Node, notes writes to stdout/stderr and waits for them to be flushed
 *   before posting the job's result: Node relays Worker output through the
 *   main thread, so otherwise a job's `console.log` can print after its
 *   result is handled, or be lost (Node 20-24 lost lines after a post that ended the Worker);
 * - runs jobs one at a time in arrival order. A batch of jobs (RUN) is run
 *   back to back without yielding when the functions are synchronous;
 * - sends outcomes in DONE messages. The outcome of a job the pool marked
 *   `hold` (short, no options) may wait for those of the next jobs, up to
 *   {@linkcode HOLD_MAX_JOBS} of them or {@linkcode HOLD_MAX_MS}; everything
 *   held is sent before the Worker yields (an async job, a function to load,
 *   its queue empty), before a job not marked `hold`, and before it ends
 *   itself. So a result waits at most for one short job's run, and a
 *   terminated job's neighbours lose nothing;
 * - catches errors thrown outside any job (and unhandled rejections): it
 *   sends what it holds, then CRASHED with the error, and ends itself;
 * - writes the id of each job it starts into the pool's shared cell, so
 *   that after a crash the pool knows which job was running even if the
 *   results before it were held back and lost.
 *
 * @module
 */

import {
  CANCEL,
  CANCEL_RING,
  CLOSING,
  CRASHED,
  DONE,
  DONE_HEADER,
  DONE_STRIDE,
  DROPPED,
  ERR,
  INIT,
  INIT_FAILED,
  JOB_HEADER,
  OK,
  READY,
  RUN,
  SHARED_CANCELS,
  SHARED_STARTED,
} from "./messages.ts";

/** Most job outcomes a Worker holds back to send together. */
export const HOLD_MAX_JOBS = 64;
/** Longest a Worker holds an outcome back while running short jobs, in ms. */
export const HOLD_MAX_MS = 2;

/** The bootstrap's source. Plain ES2022; no backticks inside. */
export const BOOTSTRAP_SOURCE = String.raw`
const RUN = ${RUN}, CANCEL = ${CANCEL}, INIT = ${INIT};
const READY = ${READY}, OK = ${OK}, ERR = ${ERR}, DROPPED = ${DROPPED}, CLOSING = ${CLOSING};
const INIT_FAILED = ${INIT_FAILED}, DONE = ${DONE}, CRASHED = ${CRASHED};
const DONE_HEADER = ${DONE_HEADER}, DONE_STRIDE = ${DONE_STRIDE}, JOB_HEADER = ${JOB_HEADER};
const HOLD_MAX_JOBS = ${HOLD_MAX_JOBS}, HOLD_MAX_MS = ${HOLD_MAX_MS};
const SHARED_STARTED = ${SHARED_STARTED}, SHARED_CANCELS = ${SHARED_CANCELS}, CANCEL_RING = ${CANCEL_RING};
const wt = await import("node:worker_threads").catch(() => null);
const port = wt && wt.parentPort;
const post = port
  ? (m, t) => port.postMessage(m, t)
  : (m, t) => self.postMessage(m, t);
const isNode = typeof Deno === "undefined" && typeof process === "object" &&
  process !== null && typeof process.versions === "object" && !!process.versions.node;

// --- The job the Worker is running, for jobSignal(). One record, reused. ---
const current = { id: 0, controller: null, aborted: false };
let running = false;
function cancelReason() {
  const e = new Error("The job was cancelled");
  e.name = "CancelledError";
  return e;
}
function jobSignal() {
  if (!running) throw new Error("jobSignal() must be called while an executor job runs");
  if (current.controller === null) {
    current.controller = new AbortController();
    if (current.aborted) current.controller.abort(cancelReason());
  }
  return current.controller.signal;
}
class TransferMark {
  constructor(value, transfer) { this.value = value; this.transfer = transfer; }
}
function transferResult(value, transfer) { return new TransferMark(value, Array.from(transfer)); }
const api = { jobSignal, transferResult, inWorker: true };
Object.defineProperty(globalThis, Symbol.for("asyncio-ts.executor.worker"), { value: api });
globalThis.jobSignal = jobSignal;
globalThis.transferResult = transferResult;

// --- Ending itself: say so first (a Deno web Worker fires no event). ---
const exitProcess = typeof process === "object" && process !== null && typeof process.exit === "function"
  ? process.exit.bind(process)
  : null;
const closeSelf = !port && typeof self === "object" && typeof self.close === "function"
  ? self.close.bind(self)
  : null;
let closing = false;
function announce(code) {
  if (closing) return;
  closing = true;
  sendHeld();
  try { post([CLOSING, typeof code === "number" ? code : 0]); } catch { /* nothing to tell */ }
}
if (!port && typeof self === "object" && typeof self.close === "function") {
  const close = self.close.bind(self);
  self.close = () => { announce(0); close(); };
}
if (typeof Deno === "object" && Deno !== null && typeof Deno.exit === "function") {
  const exit = Deno.exit;
  try { Deno.exit = (code) => { announce(code); return exit(code); }; } catch { /* frozen */ }
}
if (exitProcess !== null) {
  process.exit = (code) => { announce(code); return exitProcess(code); };
}

// --- An error nothing caught: report it after the outcomes before it, then end. ---
// Reported on the same port as the outcomes, so none is overtaken and lost
// (Node's own error event can arrive before messages posted earlier), and
// handled here, so that the runtime prints nothing for it.
let crashed = false;
function crash(error) {
  if (crashed) return;
  crashed = true;
  closing = true;
  sendHeld();
  try { post([CRASHED, wireError(error, 0)]); } catch { /* the host terminates us anyway */ }
  if (port && exitProcess !== null) exitProcess(1);
  else if (closeSelf !== null) closeSelf();
  else if (exitProcess !== null) exitProcess(1);
}
if (isNode) {
  process.on("uncaughtException", crash);
  process.on("unhandledRejection", crash);
} else if (typeof globalThis.addEventListener === "function") {
  globalThis.addEventListener("error", (event) => {
    event.preventDefault();
    crash(event.error !== undefined ? event.error : new Error(event.message));
  });
  globalThis.addEventListener("unhandledrejection", (event) => {
    event.preventDefault();
    crash(event.reason);
  });
}

// --- Node: flush relayed stdout/stderr before a result (Node relays it through the host). ---
// The bytes written count too: the host waits until it has relayed them all.
let dirty = false;
let written = 0;
if (isNode) {
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write;
    stream.write = function (chunk, ...rest) {
      dirty = true;
      written += typeof chunk === "string" ? Buffer.byteLength(chunk) : (chunk?.byteLength ?? 0);
      return write.call(this, chunk, ...rest);
    };
  }
}
function flushStdio() {
  dirty = false;
  const one = (s) => new Promise((resolve) => s.write("", () => resolve()));
  return Promise.all([one(process.stdout), one(process.stderr)]);
}

// --- Errors in a cloneable form that keeps name, stack, cause, own props. ---
function cloneable(v) {
  try { structuredClone(v); return v; } catch { return String(v); }
}
function wireError(e, depth) {
  if (e !== null && typeof e === "object" && typeof e.message === "string" && (e instanceof Error || typeof e.name === "string")) {
    const out = { error: true, name: String(e.name), message: e.message };
    if (typeof e.stack === "string") out.stack = e.stack;
    if (depth < 8 && "cause" in e) out.cause = wireError(e.cause, depth + 1);
    if (depth < 8 && Array.isArray(e.errors)) out.errors = e.errors.map((x) => wireError(x, depth + 1));
    let props;
    for (const key of Object.keys(e)) {
      if (key === "cause" || key === "errors" || key === "name" || key === "message" || key === "stack") continue;
      (props ??= {})[key] = cloneable(e[key]);
    }
    if (props) out.props = props;
    return out;
  }
  return { error: false, value: cloneable(e) };
}

// --- Functions: compiled or imported once per Worker, cached by id. ---
const defs = new Map();
const fns = new Map();
function compile(source) {
  try {
    return new Function('"use strict";\nreturn (' + source + "\n);")();
  } catch (e) {
    // node --disallow-code-generation-from-strings: a data: module still works.
    if (!(e instanceof EvalError)) throw e;
    const url = "data:text/javascript," + encodeURIComponent("export default (" + source + "\n);");
    return import(url).then((m) => m.default);
  }
}
async function load(fnId) {
  const def = defs.get(fnId);
  if (def === undefined) throw new Error("Unknown function id " + fnId + " in the Worker");
  let fn;
  if (def[1] === "source") {
    fn = await compile(def[2]);
  } else {
    const mod = await import(def[2]);
    fn = mod[def[3]];
    if (typeof fn !== "function") {
      throw new TypeError("Cannot run " + def[3] + " from " + def[2] + ": the module exports no function by that name");
    }
  }
  fns.set(fnId, fn);
  return fn;
}

// --- Outcomes waiting to be sent together (one DONE message). ---
let held = [DONE, 0];
let heldTransfer = null; // [index in held, transfer list] pairs, or null
let heldSince = 0;
function hold(tag, id, value, ms, transfer) {
  if (held.length === DONE_HEADER) heldSince = performance.now();
  if (transfer !== undefined) (heldTransfer ??= []).push(held.length, transfer);
  held.push(tag, id, value, ms);
}
function sendHeld(outputBytes) {
  if (held.length === DONE_HEADER) return;
  const message = held, transfers = heldTransfer;
  held = [DONE, 0];
  heldTransfer = null;
  message[1] = outputBytes ?? 0;
  let transfer;
  if (transfers !== null) {
    transfer = [];
    for (let i = 1; i < transfers.length; i += 2) for (const each of transfers[i]) transfer.push(each);
  }
  try {
    post(message, transfer);
    return;
  } catch (e) {
    if (message.length === DONE_HEADER + DONE_STRIDE) return unsendable(message, e);
  }
  // Find the outcome that cannot be cloned: send them one by one.
  for (let i = DONE_HEADER; i < message.length; i += DONE_STRIDE) {
    let list;
    if (transfers !== null) {
      for (let t = 0; t < transfers.length; t += 2) if (transfers[t] === i) list = transfers[t + 1];
    }
    const one = [DONE, message[1], message[i], message[i + 1], message[i + 2], message[i + 3]];
    try { post(one, list); } catch (e) { unsendable(one, e); }
  }
}
function unsendable(one, e) {
  const what = one[2] === OK ? "result" : "error";
  post([DONE, one[1], ERR, one[3], {
    error: true, name: "TypeError",
    message: "Cannot send the " + what + " of the job back from the Worker: " + (e && e.message),
    cause: wireError(e, 1),
  }, one[5]]);
}

// --- The job queue: one job at a time, in arrival order. ---
const queue = [];
let head = 0;
const dropped = new Set();
let ready = false;
let draining = false;
let started = null; // the pool's shared cells (messages.ts): the job running, the cancel ring
let cancelsSeen = 0;

// Ids the pool cancelled since the last look, of jobs not started: next
// (about to start) and those still in the queue.
function readCancels(next) {
  const count = Atomics.load(started, SHARED_CANCELS);
  for (let n = Math.max(cancelsSeen, count - CANCEL_RING); n < count; n++) {
    const id = started[SHARED_CANCELS + 1 + (n % CANCEL_RING)];
    if (id === next) { dropped.add(id); continue; }
    for (let i = head; i < queue.length; i++) {
      if (queue[i][0] === id) { dropped.add(id); break; }
    }
  }
  cancelsSeen = count;
}

async function drain() {
  draining = true;
  while (head < queue.length && !crashed) {
    const job = queue[head];
    queue[head++] = undefined;
    if (head >= 1024 && head * 2 >= queue.length) { queue.splice(0, head); head = 0; }
    const id = job[0];
    if (started !== null && Atomics.load(started, SHARED_CANCELS) !== cancelsSeen) readCancels(id);
    if (dropped.size !== 0 && dropped.delete(id)) { hold(DROPPED, id, undefined, 0); continue; }
    const mayHold = job[3] === 1 && started !== null;
    if (!mayHold) sendHeld();
    if (started !== null) started[SHARED_STARTED] = id;
    current.id = id;
    current.controller = null;
    current.aborted = false;
    running = true;
    const start = performance.now();
    let tag = OK, value, transfer;
    try {
      let fn = fns.get(job[1]);
      if (fn === undefined) {
        sendHeld();
        fn = await load(job[1]);
      }
      value = fn.apply(undefined, job[2]);
      if (value !== null && typeof value === "object" && typeof value.then === "function") {
        sendHeld();
        value = await value;
      }
      if (value instanceof TransferMark) { transfer = value.transfer; value = value.value; }
    } catch (e) {
      tag = ERR;
      value = wireError(e, 0);
      transfer = undefined;
    }
    running = false;
    if (crashed) break;
    const end = performance.now();
    hold(tag, id, value, end - start, transfer);
    if (dirty) {
      // What it printed must reach the host's stdout before its result.
      const outputBytes = written;
      await flushStdio();
      sendHeld(outputBytes);
    } else if (
      !mayHold || head >= queue.length || held.length >= DONE_HEADER + DONE_STRIDE * HOLD_MAX_JOBS ||
      end - heldSince >= HOLD_MAX_MS
    ) {
      sendHeld();
    }
  }
  sendHeld();
  draining = false;
}

async function init(def, args, cell) {
  started = cell;
  try {
    if (def !== null) {
      defs.set(def[0], def);
      const fn = await load(def[0]);
      await fn.apply(undefined, args);
    }
  } catch (e) {
    post([INIT_FAILED, wireError(e, 0)]);
    return;
  }
  ready = true;
  post([READY]);
  if (!draining && head < queue.length) drain();
}

function onMessage(msg) {
  if (crashed) return;
  switch (msg[0]) {
    case RUN: {
      const newDefs = msg[1];
      if (newDefs !== null) for (const def of newDefs) defs.set(def[0], def);
      // Flat: id, fnId, hold, argCount, then the arguments (messages.ts).
      const jobs = msg[2];
      for (let i = 0; i < jobs.length;) {
        const argCount = jobs[i + 3];
        const at = i + JOB_HEADER;
        queue.push([jobs[i], jobs[i + 1], jobs.slice(at, at + argCount), jobs[i + 2]]);
        i = at + argCount;
      }
      if (ready && !draining) drain();
      break;
    }
    case CANCEL: {
      const id = msg[1];
      if (running && current.id === id) {
        current.aborted = true;
        if (current.controller !== null) current.controller.abort(cancelReason());
      } else {
        for (let i = head; i < queue.length; i++) {
          if (queue[i][0] === id) { dropped.add(id); break; }
        }
      }
      break;
    }
    case INIT:
      init(msg[1], msg[2], msg[3] ?? null);
      break;
  }
}
if (port) port.on("message", onMessage);
else self.onmessage = (event) => onMessage(event.data);
`;

let url: string | undefined;

/**
 * The bootstrap as a `data:` URL, built once.
 *
 * @example
 * ```ts
 * import { bootstrapUrl } from "./bootstrap.ts";
 * console.log(bootstrapUrl().startsWith("data:text/javascript,")); // true
 * ```
 */
export function bootstrapUrl(): string {
  return url ??= "data:text/javascript," + encodeURIComponent(BOOTSTRAP_SOURCE);
}
