/**
 * The messages that cross the thread boundary, in both directions.
 *
 * They are small tagged tuples rather than objects: the echo benchmark (B6)
 * sends tens of thousands of them, and a tuple is the cheapest shape to
 * clone. The bootstrap (`bootstrap.ts`) is plain JavaScript in a string, so
 * it repeats these tags as literals; `executor_protocol_test.ts` pins both
 * sides together.
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
/** Worker → main: a job returned `value`. */
export const OK = 11;
/** Worker → main: a job threw `error`. */
export const ERR = 12;
/** Worker → main: a job cancelled before it started was dropped. */
export const DROPPED = 13;
/** Worker → main: the Worker is about to exit by its own call (close or exit). */
export const CLOSING = 14;
/** Worker → main: the pool's initializer threw; the Worker will not take jobs. */
export const INIT_FAILED = 15;

/** How a Worker finds a function: shipped source, or a module export. */
export type FunctionDef =
  | readonly [fnId: number, kind: "source", source: string]
  | readonly [fnId: number, kind: "module", url: string, exportName: string];

/** One job as sent: its id, its function's id and its arguments. */
export type JobMessage = readonly [id: number, fnId: number, args: readonly unknown[]];

/** A batch of jobs (with the definitions of functions new to that Worker). */
export type RunMessage = readonly [tag: typeof RUN, defs: FunctionDef[] | null, jobs: JobMessage[]];
/** Cancel one job. */
export type CancelMessage = readonly [tag: typeof CANCEL, id: number];
/** Set the Worker up: the initializer's definition (or null) and arguments. */
export type InitMessage = readonly [
  tag: typeof INIT,
  def: FunctionDef | null,
  args: readonly unknown[],
];
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

/** Anything a Worker sends. `ms` is the job's run time in the Worker. */
export type FromWorker =
  | readonly [tag: typeof READY]
  | readonly [tag: typeof OK, id: number, value: unknown, ms: number, outputBytes?: number]
  | readonly [tag: typeof ERR, id: number, error: WireError, ms: number, outputBytes?: number]
  | readonly [tag: typeof DROPPED, id: number]
  | readonly [tag: typeof CLOSING, code: number]
  | readonly [tag: typeof INIT_FAILED, error: WireError];
