/**
 * The messages that cross the thread boundary, in both directions.
 *
 * They are small tagged tuples rather than objects: the echo benchmark
 * sends tens of thousands of them, and a tuple is the cheapest shape to
 * clone. This module owns the format: the tags, the strides, and
 * `encodeJob`; the bootstrap (`bootstrap.ts`, plain JavaScript in a string)
 * gets the same constants written into its source, and
 * `executor_protocol_test.ts` exercises both sides together.
 *
 * @module
 */

/** Main → Worker: run these jobs, after defining these functions. */
export const RUN = 0;
/** Main → Worker: cancel job `id` (abort its signal, or drop it if queued). */
export const CANCEL = 1;
/** Main → Worker, always first: run the pool's initializer (if any), then say READY. */
export const INIT = 2;

/** Worker → main: the bootstrap (and the initializer) finished; jobs may run. */
export const READY = 10;
/** In a DONE message: a job returned `value`. */
export const OK = 11;
/** In a DONE message: a job threw `error`. */
export const ERR = 12;
/** In a DONE message: a job cancelled before it started was dropped. */
export const DROPPED = 13;
/** Worker → main: the Worker is about to exit by its own call (close or exit). */
export const CLOSING = 14;
/** Worker → main: the pool's initializer threw; the Worker will not take jobs. */
export const INIT_FAILED = 15;
/** Worker → main: the outcomes of one or more jobs, in the order the jobs ran. */
export const DONE = 16;
/** Worker → main: an error nothing caught (thrown outside a job); the Worker ends itself. */
export const CRASHED = 17;

/** How a Worker finds a function: shipped source, or a module export. */
export type FunctionDef =
  | readonly [fnId: number, kind: "source", source: string]
  | readonly [fnId: number, kind: "module", url: string, exportName: string];

/**
 * A batch of jobs, with the definitions of functions new to that Worker.
 * `jobs` is flat: for each job, `id, fnId, hold, argCount`, then its
 * `argCount` arguments. `hold` says whether the Worker may hold the job's
 * outcome back to send it with those of the jobs after it (1: a short job
 * without options; 0: send it at once).
 *
 * Flat because the pool sends thousands of jobs a second: one array of
 * plain values clones 3-4 times faster than an array and its arguments'
 * array per job (0.1 against 0.43 µs a job in batches of 256, Node 24).
 */
export type RunMessage = readonly [tag: typeof RUN, defs: FunctionDef[] | null, jobs: unknown[]];
/** Entries before a job's arguments in `RunMessage` jobs: id, fnId, hold, argCount. */
export const JOB_HEADER = 4;

/** Append one job to the flat `jobs` of a `RunMessage`. */
export function encodeJob(
  jobs: unknown[],
  id: number,
  fnId: number,
  hold: 0 | 1,
  args: readonly unknown[],
): void {
  jobs.push(id, fnId, hold, args.length);
  for (let a = 0; a < args.length; a++) jobs.push(args[a]);
}
/** Cancel one job. */
export type CancelMessage = readonly [tag: typeof CANCEL, id: number];
/**
 * Set the Worker up: the initializer's definition (or null) and arguments,
 * and the shared cells (null where there is no SharedArrayBuffer: then the
 * Worker holds no result back). {@linkcode SHARED_STARTED}: the Worker
 * writes the id of each job it starts there. {@linkcode SHARED_CANCELS}:
 * how many ids the pool wrote, in turn, into the {@linkcode CANCEL_RING}
 * cells after it, one per job cancelled before it started. A Worker runs a
 * batch of jobs without reading its messages; it reads the ring before each
 * job, so that a CANCEL message stuck behind a batch still drops its job.
 */
export type InitMessage = readonly [
  tag: typeof INIT,
  def: FunctionDef | null,
  args: readonly unknown[],
  started: Int32Array | null,
];
/** Index of the started job's id in the shared cells. */
export const SHARED_STARTED = 0;
/** Index of the count of cancelled ids written to the ring. */
export const SHARED_CANCELS = 1;
/** Cells of the ring of cancelled ids (after the two above): as many jobs as a Worker holds. */
export const CANCEL_RING = 256;
/** Anything the main thread sends. */
export type ToWorker = RunMessage | CancelMessage | InitMessage;

/**
 * An error (or any thrown value) in a cloneable form that keeps what
 * structured clone loses: the class name of custom errors, `cause`, own
 * properties.
 */
export type WireError =
  | {
    readonly error: true;
    readonly name: string;
    readonly message: string;
    readonly stack?: string;
    readonly cause?: WireError;
    readonly errors?: readonly WireError[];
    readonly props?: Record<string, unknown>;
  }
  | { readonly error: false; readonly value: unknown };

/**
 * The outcomes of jobs, flat, {@linkcode DONE_STRIDE} entries per job:
 * `OK, id, value, ms` or `ERR, id, error, ms` (`ms`: the job's run time in
 * the Worker) or `DROPPED, id, undefined, 0`. `outputBytes` is what the
 * Worker had printed by then (0 if nothing since its previous DONE): the
 * host must have relayed that much of its output before it delivers them.
 *
 * One message per job would cost the main thread a message event, and the
 * event loop an iteration, per result: a Worker running short jobs back to
 * back sends their outcomes together instead (see `hold` in `RunMessage`).
 */
export type DoneMessage = readonly [tag: typeof DONE, outputBytes: number, ...outcomes: unknown[]];
/** Entries before the outcomes in a {@linkcode DoneMessage}: the tag, outputBytes. */
export const DONE_HEADER = 2;
/** Entries per job in a {@linkcode DoneMessage}. */
export const DONE_STRIDE = 4;

/** Anything a Worker sends. */
export type FromWorker =
  | readonly [tag: typeof READY]
  | DoneMessage
  | readonly [tag: typeof CLOSING, code: number]
  | readonly [tag: typeof INIT_FAILED, error: WireError]
  | readonly [tag: typeof CRASHED, error: WireError];
