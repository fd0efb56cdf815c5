/**
 * What debug mode needs besides the loop's own timing: whether the
 * environment turns it on, creation sites of futures, tasks and handles,
 * and how a report shows them.
 *
 * Design note. A creation site is kept in a WeakMap beside the object, not
 * in a field: futures are the library's most numerous objects (every parked
 * wait is one), and with debug mode off the only cost is the one check of
 * the loop's flag in their constructor.
 *
 * @module
 */

/** The environment variable that turns debug mode on for every new loop. */
export const DEBUG_VARIABLE = "ASYNCIO_TS_DEBUG";

let fromEnvironment: boolean | undefined;

/**
 * @internal Whether `ASYNCIO_TS_DEBUG` is set to a non-empty value, read once
 * per process. On Deno it is read only if the permission to read it is
 * already granted (`--allow-env` or `--allow-env=ASYNCIO_TS_DEBUG`), so
 * that a new loop never prompts.
 */
export function debugFromEnvironment(): boolean {
  fromEnvironment ??= readDebugVariable();
  return fromEnvironment;
}

function readDebugVariable(): boolean {
  try {
    const deno = (globalThis as { Deno?: DenoEnv }).Deno;
    let value: string | undefined;
    if (deno?.permissions?.querySync !== undefined && deno.env !== undefined) {
      const status = deno.permissions.querySync({ name: "env", variable: DEBUG_VARIABLE });
      if (status.state !== "granted") return false;
      value = deno.env.get(DEBUG_VARIABLE);
    } else {
      const process = (globalThis as { process?: { env?: Record<string, string | undefined> } })
        .process;
      value = process?.env?.[DEBUG_VARIABLE];
    }
    return value !== undefined && value !== "";
  } catch {
    // A host that cannot tell (no env at all): debug mode stays off.
    return false;
  }
}

interface DenoEnv {
  permissions?: {
    querySync?: (descriptor: { name: "env"; variable: string }) => { state: string };
  };
  env?: { get(name: string): string | undefined };
}

// Frames from this directory are the library's own and are left out of a
// creation site: the user's call is what explains where an object came from.
const LIBRARY_DIR = new URL(".", import.meta.url).href;
const LIBRARY_PATH = LIBRARY_DIR.startsWith("file://")
  ? decodeURIComponent(new URL(LIBRARY_DIR).pathname)
  : LIBRARY_DIR;

// The module whose frames start every task step and every run of the pump.
const STEP_BEGINS = new URL("./_current_task.", import.meta.url).href;

// How many frames a creation site keeps, at most (the newest ones).
const FRAMES = 30;

/**
 * @internal The stack of the calling code, oldest frame first (CPython's
 * "most recent call last" order), without the library's own frames and the
 * host's internals. Each frame is V8's `name (file:line:column)`.
 */
export function captureStack(): string[] {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = FRAMES + 20;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  const frames: string[] = [];
  const lines = stack.split("\n");
  // Newest first, up to where a task's step or the loop's pump began: the
  // frames below it (the microtask the pump happens to run in) belong to
  // whatever task resumed last, not to this code.
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line.startsWith("at ")) continue;
    const frame = line.slice(3);
    if (frame.includes(STEP_BEGINS)) break;
    if (isLibraryFrame(frame)) continue;
    frames.push(frame);
  }
  frames.reverse();
  return frames.length > FRAMES ? frames.slice(frames.length - FRAMES) : frames;
}

function isLibraryFrame(frame: string): boolean {
  return frame.includes(LIBRARY_DIR) || frame.includes(LIBRARY_PATH) ||
    frame.includes("ext:") || frame.includes("node:internal");
}

// The creation sites recorded in debug mode.
const creationSites = new WeakMap<object, readonly string[]>();

/** @internal Record where `object` is being created (debug mode only). */
export function recordCreationSite(object: object): void {
  creationSites.set(object, captureStack());
}

/** @internal Where `object` was created, if debug mode recorded it. */
export function creationSite(object: object): readonly string[] | undefined {
  return creationSites.get(object);
}

// Debug mode: where each task last suspended (its await site).
const awaitSites = new WeakMap<object, readonly string[]>();

/** @internal Record where `stepper` (a task) suspends, at its await (debug mode only). */
export function recordAwaitSite(stepper: object): void {
  awaitSites.set(stepper, captureStack());
}

/** @internal Where `stepper` last suspended, if debug mode recorded it (oldest frame first). */
export function awaitSite(stepper: object): readonly string[] | undefined {
  return awaitSites.get(stepper);
}

/**
 * @internal A creation site as a report shows it: a heading, then one
 * indented line per frame, oldest first.
 */
export function formatCreationSite(heading: string, frames: readonly string[]): string {
  const lines = [`${heading} (most recent call last):`];
  for (const frame of frames) lines.push(`  at ${frame}`);
  return lines.join("\n");
}

/** @internal Whether `fn` is an `async function` (or an async generator function). */
export function isAsyncFunction(fn: unknown): boolean {
  if (typeof fn !== "function") return false;
  const kind = fn.constructor?.name;
  return kind === "AsyncFunction" || kind === "AsyncGeneratorFunction";
}
