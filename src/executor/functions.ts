/**
 * Naming the function a job runs: by value (shipped as source) or as a module
 * export, with per-job options attached by `withOptions()`.
 *
 * Design note: a function shipped by value must be self-contained, because a
 * Worker has its own global scope: `fn.toString()` carries the body but none
 * of the variables it closes over. What can be checked from the source alone
 * is checked once per function object, here, and throws at `submit()`: bound
 * and native functions (`[native code]`), method shorthand and accessors
 * (their source is not an expression), classes (not callable). A captured
 * variable only shows at run time as `ReferenceError: K is not defined` in
 * the Worker; `remote_error.ts` turns that into an `UnshippableFunctionError`
 * naming `K`. Rejected: parsing the source to find free variables (a parser
 * is far bigger than this layer, and globals of the Worker are legitimate).
 *
 * @module
 */

import { UnshippableFunctionError } from "../errors.ts";
import type { FunctionDef } from "./messages.ts";
import type { AnyFunction, JobOptions, ModuleFunction } from "./types.ts";

const TARGET: unique symbol = Symbol("asyncio-ts.executor.target");
const OPTIONS: unique symbol = Symbol("asyncio-ts.executor.options");

interface WithOptions {
  [TARGET]?: AnyFunction;
  [OPTIONS]?: JobOptions;
}

/**
 * Name an exported function of a module, typed from the module.
 *
 * The Worker imports the module (once per Worker) and calls the export, so
 * the function may use its module's imports and top-level variables. Under
 * Deno a `file:` module needs `--allow-read` in the host, as Workers inherit
 * its permissions.
 *
 * @typeParam M The module's type: `typeof import("./fib.ts")`.
 * @typeParam K The export's name.
 * @param url The module's URL (absolute, e.g. `new URL("./fib.ts", import.meta.url)`).
 * @param exportName The export to call.
 * @returns A {@linkcode ModuleFunction} to pass to `submit()`.
 * @throws {TypeError} If `url` is not an absolute URL.
 *
 * @example A typed module function
 * ```ts ignore
 * import { moduleFunction, WorkerPoolExecutor } from "@asyncio-ts/asyncio";
 * const fib = moduleFunction<typeof import("./fib.ts"), "fib">(
 *   new URL("./fib.ts", import.meta.url),
 *   "fib",
 * );
 * await using pool = new WorkerPoolExecutor();
 * const n: number = await pool.submit(fib, 30);
 * ```
 */
export function moduleFunction<M, K extends FunctionExportName<M>>(
  url: string | URL,
  exportName: K,
): ModuleFunction<Extract<M[K], AnyFunction>> {
  let href: string;
  try {
    href = new URL(url).href;
  } catch {
    throw new TypeError(
      `Cannot name a module function: expected an absolute URL, received ${String(url)}`,
    );
  }
  if (typeof exportName !== "string" || exportName === "") {
    throw new TypeError(
      `Cannot name a module function: expected an export name, received ${String(exportName)}`,
    );
  }
  return Object.freeze({ url: href, exportName });
}

/**
 * The names of a module's exports that are functions.
 *
 * @example
 * ```ts
 * import type { FunctionExportName } from "./functions.ts";
 * type Names = FunctionExportName<{ f(): void; n: number }>; // "f"
 * const name: Names = "f";
 * ```
 */
export type FunctionExportName<M> = {
  [K in keyof M & string]: M[K] extends AnyFunction ? K : never;
}[keyof M & string];

/**
 * Attach per-job options to a function, keeping `submit(fn, ...args)`
 * positional: `pool.submit(withOptions(fn, { timeout: 5 }), ...args)`.
 *
 * The result has the type of `fn` (a by-value function stays callable
 * locally), so it also works through `loop.runInExecutor(executor, fn,
 * ...args)`. Options given twice are merged, the later ones winning.
 *
 * @param fn The function, or a {@linkcode ModuleFunction}.
 * @param options The job's options.
 * @returns `fn` with the options attached.
 * @throws {RangeError} If `timeout` is negative or NaN.
 * @throws {TypeError} If `transfer` is not an array or `signal` not an AbortSignal.
 *
 * @example Transferring a buffer, with a timeout
 * ```ts
 * import { withOptions } from "./functions.ts";
 * import { WorkerPoolExecutor } from "./pool.ts";
 * await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
 * const buf = new Uint8Array([1, 2, 3]).buffer;
 * const sum = (b: ArrayBuffer) => new Uint8Array(b).reduce((a, x) => a + x, 0);
 * console.log(await pool.submit(withOptions(sum, { transfer: [buf], timeout: 5 }), buf)); // 6
 * console.log(buf.byteLength); // 0: moved to the Worker
 * ```
 */
export function withOptions<F extends AnyFunction>(
  fn: ModuleFunction<F>,
  options: JobOptions,
): ModuleFunction<F>;
/** The form for a function shipped as source: the result has `fn`'s own type. */
export function withOptions<F extends AnyFunction>(fn: F, options: JobOptions): F;
export function withOptions<F extends AnyFunction>(
  fn: F | ModuleFunction<F>,
  options: JobOptions,
): F | ModuleFunction<F> {
  checkJobOptions(options);
  if (typeof fn !== "function") {
    checkModuleFunction(fn);
    return Object.freeze({ ...fn, options: { ...fn.options, ...options } });
  }
  const marked = fn as F & WithOptions;
  const target = marked[TARGET] ?? fn;
  const merged = { ...marked[OPTIONS], ...options };
  const wrapper = function (this: unknown, ...args: Parameters<F>) {
    return target.apply(this, args);
  } as unknown as F & WithOptions;
  Object.defineProperty(wrapper, "name", { value: target.name });
  wrapper[TARGET] = target;
  wrapper[OPTIONS] = merged;
  return wrapper;
}

function checkJobOptions(options: JobOptions): void {
  if (options === null || typeof options !== "object") {
    throw new TypeError(`Cannot set job options: expected an object, received ${String(options)}`);
  }
  const { timeout, transfer, signal } = options;
  if (timeout !== undefined && (typeof timeout !== "number" || !(timeout >= 0))) {
    throw new RangeError(
      `Cannot set job options: timeout must be a number of seconds >= 0, received ${
        String(timeout)
      }`,
    );
  }
  if (transfer !== undefined && !Array.isArray(transfer)) {
    throw new TypeError(
      `Cannot set job options: transfer must be an array, received ${typeof transfer}`,
    );
  }
  if (signal !== undefined && !(signal instanceof AbortSignal)) {
    throw new TypeError(
      `Cannot set job options: signal must be an AbortSignal, received ${typeof signal}`,
    );
  }
}

function checkModuleFunction(fn: unknown): asserts fn is ModuleFunction {
  const m = fn as ModuleFunction | null;
  if (m === null || typeof m !== "object" || typeof m.url !== "string") {
    throw new TypeError(
      `Cannot submit a job: expected a function or a moduleFunction(), received ${
        m === null ? "null" : typeof m
      }`,
    );
  }
}

/**
 * What the pool knows about one function, shared by all its jobs.
 *
 * Invariant: `id` is unique in the process and never reused, so a Worker's
 * cache of compiled functions (by id) can never run the wrong one.
 */
export interface FunctionEntry {
  /** Key of the Worker-side cache. */
  readonly id: number;
  /** How the Worker finds it. */
  readonly def: FunctionDef;
  /** For messages: `add()` or `fib() from file:///…/fib.ts`. */
  readonly label: string;
  /** Shipped source, for turning a ReferenceError into a clear error. */
  readonly source: string | undefined;
  /** Moving average of the run time in the Worker, in ms (NaN until the first run). */
  meanMs: number;
}

/** A resolved `submit()` target: the function's entry and the job's options. */
export interface Resolved {
  /** The function. */
  readonly entry: FunctionEntry;
  /** The job's options (shared, never mutated). */
  readonly options: JobOptions | undefined;
}

let nextFunctionId = 1;
// Two levels: the function object (no toString() per call), then its source,
// so that an inline arrow re-created per call (`submit((x) => x, i)` in a
// loop) is still compiled once per Worker. Sources are never forgotten: the
// map grows with the number of distinct function texts, not of calls.
const byValue = new WeakMap<AnyFunction, FunctionEntry>();
const bySource = new Map<string, FunctionEntry>();
const byModule = new Map<string, FunctionEntry>();

/**
 * Find (or make, checking it once) the entry of a `submit()` target.
 *
 * @throws {UnshippableFunctionError} For bound, native, method-shorthand and class functions.
 * @throws {TypeError} For anything that is neither a function nor a module function.
 *
 * @example
 * ```ts
 * import { resolveFunction } from "./functions.ts";
 * const { entry } = resolveFunction((x: number) => x + 1);
 * console.log(entry.label); // "<anonymous>()"
 * ```
 */
export function resolveFunction(fn: unknown): Resolved {
  if (typeof fn === "function") {
    const marked = fn as AnyFunction & WithOptions;
    const target = marked[TARGET] ?? marked;
    let entry = byValue.get(target);
    if (entry === undefined) {
      entry = sourceEntry(target);
      byValue.set(target, entry);
    }
    return { entry, options: marked[OPTIONS] };
  }
  checkModuleFunction(fn);
  const key = `${fn.exportName}@${fn.url}`;
  let entry = byModule.get(key);
  if (entry === undefined) {
    const id = nextFunctionId++;
    entry = {
      id,
      def: [id, "module", fn.url, fn.exportName],
      label: `${fn.exportName}() from ${fn.url}`,
      source: undefined,
      meanMs: NaN,
    };
    byModule.set(key, entry);
  }
  return { entry, options: fn.options };
}

// A function expression, as `new Function("return (" + source + ")")` needs:
// `function`, `async function`, an arrow with or without parentheses.
const EXPRESSION_START = /^(?:async\s*)?(?:function\b|\(|[\p{L}_$][\p{L}\p{N}_$]*\s*=>)/u;
const NATIVE = /\{\s*\[native code\]\s*\}\s*$/;

function sourceEntry(fn: AnyFunction): FunctionEntry {
  const source = Function.prototype.toString.call(fn);
  const known = bySource.get(source);
  if (known !== undefined) return known;
  const label = `${fn.name || "<anonymous>"}()`;
  let problem: string | undefined;
  if (NATIVE.test(source)) {
    problem = fn.name.startsWith("bound ")
      ? "it is a bound function, whose source is not available. Pass the bound values as arguments instead"
      : "it is a native function, whose source is not available. Wrap it in an arrow function";
  } else if (/^class\b/.test(source)) {
    problem = "it is a class, which cannot be called. Submit a function that constructs it";
  } else if (!EXPRESSION_START.test(source)) {
    problem =
      "it is a method shorthand or accessor, whose source is not a function expression. Use an arrow function or a function expression";
  }
  if (problem !== undefined) {
    throw new UnshippableFunctionError(`Cannot ship ${label} to a Worker: ${problem}`);
  }
  const id = nextFunctionId++;
  const entry: FunctionEntry = { id, def: [id, "source", source], label, source, meanMs: NaN };
  bySource.set(source, entry);
  return entry;
}
