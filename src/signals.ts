/**
 * Signal plumbing shared by `loop.addSignalHandler` and `run()`'s Ctrl-C
 * handling, on Deno and Node.
 *
 * Design note. Python has one handler per signal per process
 * (`signal.signal` replaces the previous one); host listeners in
 * JavaScript add up instead. This module keeps Python's model: a table of
 * at most one asyncio-ts handler per signal, behind exactly one host
 * listener per signal, installed while a handler is set and removed with
 * it, so that a process without handlers gets the host's default again
 * (Ctrl-C ends it).
 *
 * The host listener is `process.on(signal)` from `node:process`, on both
 * runtimes. Measured on Deno 2.9.6 and Node 20: it needs no permission,
 * does not keep the process alive, and `process.listenerCount()` counts it
 * (Deno's own `Deno.addSignalListener` works as well but no API counts its
 * listeners, so `run()` could not tell whether someone else handles SIGINT).
 * Limitation: listeners added with `Deno.addSignalListener` by other code
 * are invisible here.
 *
 * @module
 */

import process from "node:process";
import { RuntimeError } from "./errors.ts";
import { reprValue } from "./_repr.ts";
import { checkCallable } from "./_checks.ts";
import type { EventLoop } from "./loop.ts";

/** The signals a handler can be installed for (as Deno spells them). */
export type SignalName =
  | "SIGABRT"
  | "SIGALRM"
  | "SIGBREAK"
  | "SIGBUS"
  | "SIGCHLD"
  | "SIGCONT"
  | "SIGEMT"
  | "SIGFPE"
  | "SIGHUP"
  | "SIGILL"
  | "SIGINFO"
  | "SIGINT"
  | "SIGIO"
  | "SIGPOLL"
  | "SIGPROF"
  | "SIGPWR"
  | "SIGQUIT"
  | "SIGSEGV"
  | "SIGSTKFLT"
  | "SIGSYS"
  | "SIGTERM"
  | "SIGTRAP"
  | "SIGTSTP"
  | "SIGTTIN"
  | "SIGTTOU"
  | "SIGURG"
  | "SIGUSR1"
  | "SIGUSR2"
  | "SIGVTALRM"
  | "SIGWINCH"
  | "SIGXCPU"
  | "SIGXFSZ";

const CATCHABLE = new Set<string>([
  "SIGABRT",
  "SIGALRM",
  "SIGBREAK",
  "SIGBUS",
  "SIGCHLD",
  "SIGCONT",
  "SIGEMT",
  "SIGFPE",
  "SIGHUP",
  "SIGILL",
  "SIGINFO",
  "SIGINT",
  "SIGIO",
  "SIGPOLL",
  "SIGPROF",
  "SIGPWR",
  "SIGQUIT",
  "SIGSEGV",
  "SIGSTKFLT",
  "SIGSYS",
  "SIGTERM",
  "SIGTRAP",
  "SIGTSTP",
  "SIGTTIN",
  "SIGTTOU",
  "SIGURG",
  "SIGUSR1",
  "SIGUSR2",
  "SIGVTALRM",
  "SIGWINCH",
  "SIGXCPU",
  "SIGXFSZ",
]);

/** A process-wide handler of one signal; runs in the host's callback. */
export type SignalHandler = () => void;

interface Installed {
  handler: SignalHandler;
  readonly listener: () => void;
}

// Invariant: an entry exists exactly while its host listener is installed.
const installed = new Map<SignalName, Installed>();

/**
 * Check that `sig` names a signal a handler can be installed for.
 *
 * @throws {TypeError} if `sig` is not a string.
 * @throws {RangeError} `invalid signal SIGFOO`.
 * @throws {RuntimeError} `sig SIGKILL cannot be caught` (and SIGSTOP).
 */
export function checkSignal(sig: unknown): asserts sig is SignalName {
  if (typeof sig !== "string") {
    throw new TypeError(`sig must be a signal name such as "SIGINT", not ${reprValue(sig)}`);
  }
  if (sig === "SIGKILL" || sig === "SIGSTOP") throw new RuntimeError(`sig ${sig} cannot be caught`);
  if (!CATCHABLE.has(sig)) throw new RangeError(`invalid signal ${sig}`);
}

/** @internal The asyncio-ts handler of `sig`, or `null`. */
export function getSignalHandler(sig: SignalName): SignalHandler | null {
  return installed.get(sig)?.handler ?? null;
}

/**
 * @internal Make `handler` the process's asyncio-ts handler of `sig`
 * (`null`: none; the host's default comes back when no one else listens).
 *
 * @throws {RuntimeError} if the host refuses the signal.
 */
export function setSignalHandler(sig: SignalName, handler: SignalHandler | null): void {
  const entry = installed.get(sig);
  if (handler === null) {
    if (entry === undefined) return;
    installed.delete(sig);
    if (!paused) process.off(sig, entry.listener);
    return;
  }
  if (entry !== undefined) {
    entry.handler = handler;
    return;
  }
  const fresh: Installed = { handler, listener: () => fresh.handler() };
  try {
    // While paused, resumeSignalListeners() adds it; the check still runs.
    process.on(sig, fresh.listener);
    if (paused) process.off(sig, fresh.listener);
  } catch (error) {
    throw new RuntimeError(`sig ${sig} cannot be caught`, { cause: error });
  }
  installed.set(sig, fresh);
}

/** @internal How many host listeners of `sig` other code installed. */
export function foreignListenerCount(sig: SignalName): number {
  return process.listenerCount(sig) - (installed.has(sig) && !paused ? 1 : 0);
}

// The handlers each loop installed: what `removeSignalHandler` and `close()` undo.
const loopHandlers = new WeakMap<EventLoop, Map<SignalName, SignalHandler>>();

/**
 * @internal `loop.addSignalHandler`: on `sig`, schedule `callback(...args)`
 * on `loop` with `callSoon` (so it runs inside the loop, in order).
 */
export function addLoopSignalHandler(
  loop: EventLoop,
  sig: unknown,
  callback: unknown,
  args: readonly unknown[],
): void {
  checkSignal(sig);
  checkCallable(callback, "addSignalHandler");
  if (callback.constructor?.name === "AsyncFunction") {
    throw new TypeError("coroutines cannot be used with addSignalHandler()");
  }
  const call = callback as (...args: unknown[]) => unknown;
  const handler: SignalHandler = () => {
    if (!loop.isClosed()) loop.callSoon(call, ...args);
  };
  setSignalHandler(sig, handler);
  let handlers = loopHandlers.get(loop);
  if (handlers === undefined) loopHandlers.set(loop, handlers = new Map());
  handlers.set(sig, handler);
}

/** @internal `loop.removeSignalHandler`: whether a handler was removed. */
export function removeLoopSignalHandler(loop: EventLoop, sig: unknown): boolean {
  checkSignal(sig);
  const handlers = loopHandlers.get(loop);
  const handler = handlers?.get(sig);
  if (handler === undefined) return false;
  handlers!.delete(sig);
  // Another loop (or run()) may have replaced it since; leave theirs alone.
  if (getSignalHandler(sig) === handler) setSignalHandler(sig, null);
  return true;
}

/** @internal Remove every handler `loop` installed (when it closes). */
export function removeAllLoopSignalHandlers(loop: EventLoop): void {
  const handlers = loopHandlers.get(loop);
  if (handlers === undefined) return;
  for (const sig of [...handlers.keys()]) removeLoopSignalHandler(loop, sig);
}

// Paused: the host listeners are off while the handlers stay in the table.
let paused = false;

/**
 * @internal Take every host listener off (the handlers stay), so that they
 * do not keep the process alive: the loop does this when nothing it knows
 * of can wake it (see `loop.ts`, `#waitForWork`).
 */
export function pauseSignalListeners(): void {
  if (paused) return;
  paused = true;
  for (const [sig, entry] of installed) process.off(sig, entry.listener);
}

/** @internal Put the host listeners back after `pauseSignalListeners`. */
export function resumeSignalListeners(): void {
  if (!paused) return;
  paused = false;
  for (const [sig, entry] of installed) process.on(sig, entry.listener);
}
