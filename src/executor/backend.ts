/**
 * The one place that knows which Worker API is in use.
 *
 * Design note: which Worker on Deno? Measured on Deno 2.9.6 (2 cores):
 *
 * - `node:worker_threads` (`"worker_threads"`, the default everywhere): its
 *   `terminate()` of a Worker spinning in a `for (;;)` resolves with code 1
 *   and the process exits by itself (0.3 s for the whole probe); `unref()` of
 *   an idle Worker lets the process exit while the Worker lives, so idle
 *   Workers never keep the process alive; `exit` fires for `process.exit`,
 *   `close()` and uncaught errors. It starts from a `data:` URL with no
 *   permission flag. Echo throughput with a hand-written 2-Worker pool:
 *   86–99k jobs/s.
 * - web `Worker` (`"web"`, opt-in): starts 2–3x faster (15-23 ms against 31-96 ms) and
 *   echoes at the same 88–105k jobs/s, but `terminate()` of a spinning Worker
 *   leaves its thread running and the process never exits (the probe was
 *   killed by `timeout` after 10 s); it has no
 *   `ref`/`unref`, so an idle Worker keeps the process alive until it is
 *   retired (`idleTimeout`) or the pool shut down; ending itself fires no
 *   event (the bootstrap posts CLOSING first).
 *
 * So the pool uses `node:worker_threads` on Deno as on Node (Node 20 has no
 * global `Worker` anyway); `"web"` stays for runtimes without
 * `node:worker_threads` and for callers who prefer its start-up time and
 * never terminate a spinning job. Rejected: mixing both kinds in one pool
 * (only jobs with `terminate` on `worker_threads`): two kinds of Worker to
 * balance for one benefit.
 *
 * `resourceLimits` are Node's alone: on Deno 2.9.6 a Worker that goes over
 * them stalls, with no error and no exit event (its job would never settle,
 * nor would a shutdown), and a web Worker has none; so
 * {@linkcode checkResourceLimits} refuses them there. On Node 22 and 24 a
 * `maxOldGenerationSizeMb` of 2 or less aborts the whole process, and so
 * does a `stackSizeMb` of 0.2 on Node 20 to 24 (0.25 fails the Worker's
 * start, 0.3 works): both are refused too.
 *
 * @module
 */

import { Worker as ThreadWorker } from "node:worker_threads";
import { setTimeout } from "node:timers";
import { bootstrapUrl } from "./bootstrap.ts";
import type { FromWorker, ToWorker } from "./messages.ts";
import type { TransferableObject } from "./types.ts";

/**
 * Which Worker API a pool uses. See the design note of `backend.ts`.
 *
 * @example
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ backend: "web", maxWorkers: 1 });
 * console.log(await pool.submit(() => "from a web Worker"));
 * ```
 */
export type BackendKind = "worker_threads" | "web";

/**
 * Memory limits for a `worker_threads` Worker (ignored by `"web"`).
 *
 * @example
 * ```ts
 * import { WorkerPoolExecutor } from "./pool.ts";
 * const limits = { maxOldGenerationSizeMb: 64 };
 * // Node only: Deno refuses them, as its Workers do not enforce them.
 * const pool = new WorkerPoolExecutor("Deno" in globalThis ? {} : { resourceLimits: limits });
 * await pool.shutdown();
 * ```
 */
export interface ResourceLimits {
  /** Size of the main heap in MB. */
  maxOldGenerationSizeMb?: number;
  /** Size of the heap for recently created objects in MB. */
  maxYoungGenerationSizeMb?: number;
  /** Size of the pre-allocated code range in MB. */
  codeRangeSizeMb?: number;
  /** Maximum stack size in MB. */
  stackSizeMb?: number;
}

/** The lowest value of each limit, exclusive (in MB). */
const LIMIT_ABOVE: Record<keyof ResourceLimits, number> = {
  maxOldGenerationSizeMb: 2,
  maxYoungGenerationSizeMb: 0,
  codeRangeSizeMb: 0,
  stackSizeMb: 0.25,
};

/**
 * Check `resourceLimits` for a pool of `kind` Workers on this runtime.
 *
 * @throws {TypeError} For an unknown field, or limits where they are not
 * enforced (Deno, web Workers).
 * @throws {RangeError} For a value that is not a number, or below the
 * minimum that keeps the process alive (see the design note above).
 *
 * @example
 * ```ts
 * import { checkResourceLimits } from "./backend.ts";
 * checkResourceLimits(undefined, "web"); // nothing to check
 * ```
 */
export function checkResourceLimits(limits: unknown, kind: BackendKind): void {
  if (limits === undefined) return;
  const what = "Cannot create a WorkerPoolExecutor: resourceLimits";
  if (limits === null || typeof limits !== "object") {
    throw new TypeError(`${what} must be an object, received ${String(limits)}`);
  }
  for (const [key, value] of Object.entries(limits)) {
    if (!Object.hasOwn(LIMIT_ABOVE, key)) {
      throw new TypeError(
        `${what} has no field ${key}; expected ${Object.keys(LIMIT_ABOVE).join(", ")}`,
      );
    }
    const above = LIMIT_ABOVE[key as keyof ResourceLimits];
    if (value === undefined) continue;
    if (typeof value !== "number" || !Number.isFinite(value) || !(value > above)) {
      throw new RangeError(
        `${what}.${key} must be a number of MB > ${above}, received ${String(value)}`,
      );
    }
  }
  if (kind === "web") {
    throw new TypeError(`${what} need the "worker_threads" backend: web Workers have none`);
  }
  if ("Deno" in globalThis) {
    throw new TypeError(
      `${what} are not enforced on Deno: a Worker over them stalls without an error. Leave them out`,
    );
  }
}

/** What a started Worker reports back to its owner. */
export interface WorkerEvents {
  /** A message from the bootstrap. */
  message(data: FromWorker): void;
  /** The Worker died: an uncaught error, an exit, or a message it could not decode. */
  exit(reason: unknown): void;
}

/**
 * A started Worker, whatever its kind.
 *
 * Invariant: after `exit` was reported or `terminate()` called, no event is
 * reported any more.
 */
export interface WorkerHandle {
  /** Send a message; throws (synchronously) a `DataCloneError` if it cannot be cloned. */
  post(message: ToWorker, transfer?: TransferableObject[]): void;
  /** Let this Worker keep the process alive (a job is in flight). */
  ref(): void;
  /** Let the process exit while this Worker idles. A no-op for web Workers. */
  unref(): void;
  /** Stop the Worker now. Idempotent. */
  terminate(): void;
  /**
   * Call `callback` once the host has relayed `bytes` bytes (counted since
   * the Worker started) of the Worker's stdout and stderr: at once where the
   * runtime prints a Worker's output itself.
   */
  afterOutput(bytes: number, callback: () => void): void;
}

/** Options for {@linkcode startWorker}. */
export interface StartWorkerOptions {
  /** The Worker API. */
  kind: BackendKind;
  /** The Worker's name (shown by debuggers and in Deno's error lines). */
  name: string;
  /** Memory limits (`worker_threads` only). */
  resourceLimits?: ResourceLimits;
}

/**
 * Start a Worker running the bootstrap, and route its events to `events`.
 *
 * @example
 * ```ts
 * import { startWorker } from "./backend.ts";
 * import { INIT, READY } from "./messages.ts";
 * const handle = startWorker({ kind: "worker_threads", name: "demo" }, {
 *   message(data) {
 *     if (data[0] === READY) handle.terminate();
 *   },
 *   exit() {},
 * });
 * handle.post([INIT, null, [], null]);
 * ```
 */
export function startWorker(options: StartWorkerOptions, events: WorkerEvents): WorkerHandle {
  return options.kind === "web" ? startWebWorker(options, events) : startThread(options, events);
}

function startThread(options: StartWorkerOptions, events: WorkerEvents): WorkerHandle {
  const worker = new ThreadWorker(new URL(bootstrapUrl()), {
    name: options.name,
    resourceLimits: options.resourceLimits,
  });
  let live = true;
  const end = (reason: unknown) => {
    if (!live) return;
    live = false;
    events.exit(reason);
  };
  // Listeners first, then ref/unref: on Deno an unref() before on("message")
  // lets the process exit under a pending reply (measured).
  worker.on("message", (data: FromWorker) => {
    if (live) events.message(data);
  });
  // Node pipes a Worker's output to the process through streams; count what
  // went through, for afterOutput. (Deno prints it itself: no data events.)
  let relayed = 0;
  let waiting: { bytes: number; callback: () => void }[] = [];
  const release = (all: boolean) => {
    const due = all ? waiting : waiting.filter((w) => w.bytes <= relayed);
    if (due.length === 0) return;
    waiting = all ? [] : waiting.filter((w) => w.bytes > relayed);
    for (const w of due) w.callback();
  };
  const relays = [worker.stdout, worker.stderr].filter((stream) => stream != null);
  for (const stream of relays) {
    stream.on("data", (chunk: { length: number }) => {
      relayed += chunk.length;
      release(false);
    });
  }
  worker.on("exit", () => release(true));
  // Node's error event can overtake messages the Worker posted before it
  // failed; its exit event comes after them all. So an error is reported
  // with the exit (hastened by terminate()); the timer is a safety net in
  // case a runtime sends no exit after an error.
  let failure: { error: unknown } | undefined;
  const fail = (error: unknown) => {
    if (failure !== undefined) return;
    failure = { error };
    worker.terminate().catch(() => {});
    setTimeout(() => end(error), 1000).unref();
  };
  worker.on("error", fail);
  worker.on("messageerror", fail);
  worker.on("exit", (code: number) => end(failure === undefined ? code : failure.error));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer as never),
    ref: () => worker.ref(),
    unref: () => worker.unref(),
    terminate() {
      live = false;
      // The promise settles with the exit code; nothing to wait for here.
      worker.terminate().catch(() => {});
    },
    afterOutput(bytes, callback) {
      if (relays.length === 0 || bytes <= relayed) callback();
      else waiting.push({ bytes, callback });
    },
  };
}

function startWebWorker(options: StartWorkerOptions, events: WorkerEvents): WorkerHandle {
  if (typeof Worker !== "function") {
    throw new TypeError(
      'Cannot start a "web" Worker: this runtime has no global Worker; use "worker_threads"',
    );
  }
  const worker = new Worker(bootstrapUrl(), { type: "module", name: options.name });
  let live = true;
  const end = (reason: unknown) => {
    if (!live) return;
    live = false;
    // A web Worker fires nothing when it dies; make sure it is gone.
    worker.terminate();
    events.exit(reason);
  };
  worker.onmessage = (event: MessageEvent<FromWorker>) => {
    if (live) events.message(event.data);
  };
  worker.onerror = (event: ErrorEvent) => {
    // Without this, Deno kills the host process ("Unhandled error in child worker").
    event.preventDefault();
    end(event.error ?? new Error(event.message));
  };
  worker.onmessageerror = () => end(new Error("A message from the Worker could not be decoded"));
  return {
    post: (message, transfer) => worker.postMessage(message, (transfer ?? []) as Transferable[]),
    ref() {},
    unref() {},
    terminate() {
      live = false;
      worker.terminate();
    },
    // Deno prints a web Worker's output itself, in real time.
    afterOutput: (_bytes, callback) => callback(),
  };
}
