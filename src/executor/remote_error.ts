/**
 * Rebuilding an error thrown in a Worker, from its wire form.
 *
 * Structured clone keeps the class of the built-in errors only; a custom
 * class arrives as plain `Error` and `cause` may be lost. The bootstrap sends
 * a {@linkcode WireError} instead, and here it becomes: the built-in class of
 * that name, or one of this library's error classes of that name (so
 * `instanceof TimeoutError` works across the boundary), or an `Error` whose
 * `name` is the original class name. Message, stack (the Worker's), `cause`
 * and own properties (such as `code`) are kept.
 *
 * @module
 */

import * as libraryErrors from "../errors.ts";
import { UnshippableFunctionError } from "../errors.ts";
import type { FunctionEntry } from "./functions.ts";
import type { WireError } from "./messages.ts";

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

const BUILT_IN: Record<string, ErrorClass> = {
  Error,
  TypeError,
  RangeError,
  ReferenceError,
  SyntaxError,
  EvalError,
  URIError,
};

const LIBRARY: Record<string, ErrorClass> = {};
for (const [name, value] of Object.entries(libraryErrors)) {
  if (
    typeof value === "function" && value.prototype instanceof Error && name !== "ExceptionGroup"
  ) {
    LIBRARY[name] = value as ErrorClass;
  }
}

/**
 * Turn a wire error back into a thrown value.
 *
 * @example
 * ```ts
 * import { rebuildError } from "./remote_error.ts";
 * const e = rebuildError({ error: true, name: "ParseError", message: "bad" }) as Error;
 * console.log(e.name, e.message, e instanceof Error); // ParseError bad true
 * ```
 */
export function rebuildError(wire: WireError): unknown {
  if (!wire.error) return wire.value;
  const cause = wire.cause === undefined ? undefined : rebuildError(wire.cause);
  const options = wire.cause === undefined ? undefined : { cause };
  let error: Error;
  if (wire.name === "AggregateError" && wire.errors !== undefined) {
    error = new AggregateError(wire.errors.map(rebuildError), wire.message, options);
  } else {
    const Class = BUILT_IN[wire.name] ?? LIBRARY[wire.name] ?? Error;
    error = new Class(wire.message, options);
  }
  if (error.name !== wire.name) {
    Object.defineProperty(error, "name", {
      value: wire.name,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (wire.stack !== undefined) {
    Object.defineProperty(error, "stack", {
      value: wire.stack,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
  if (wire.props !== undefined) Object.assign(error, wire.props);
  return error;
}

const NOT_DEFINED = /^([\p{L}_$][\p{L}\p{N}_$]*) is not defined$/u;

/**
 * Rebuild the error of a job; a `ReferenceError` for a name the shipped
 * source uses becomes an {@linkcode UnshippableFunctionError} naming it.
 *
 * @example
 * ```ts ignore
 * const e = jobError({ error: true, name: "ReferenceError", message: "K is not defined" }, entry);
 * // UnshippableFunctionError: Cannot run add() in a Worker: it uses K, ...
 * ```
 */
export function jobError(wire: WireError, entry: FunctionEntry): unknown {
  const error = rebuildError(wire);
  if (!wire.error || wire.name !== "ReferenceError" || entry.source === undefined) return error;
  const match = NOT_DEFINED.exec(wire.message);
  if (match === null || !usesName(entry.source, match[1])) return error;
  const name = match[1];
  return new UnshippableFunctionError(
    `Cannot run ${entry.label} in a Worker: it uses ${name}, which is not defined there. ` +
      `A function shipped by value must be self-contained: pass ${name} as an argument, ` +
      `or export the function from a module and use moduleFunction()`,
    { cause: error },
  );
}

/** Whether `source` mentions the identifier `name` (not as part of a longer one). */
function usesName(source: string, name: string): boolean {
  const escaped = name.replaceAll("$", "\\$");
  return new RegExp(`(?<![\\p{L}\\p{N}_$])${escaped}(?![\\p{L}\\p{N}_$])`, "u").test(source);
}
