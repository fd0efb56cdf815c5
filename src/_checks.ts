/**
 * Argument checks shared by the library, and the one style of their
 * messages.
 *
 * Where asyncio raises for the same mistake, the message is CPython's,
 * word for word (`a callable object was expected by callSoon(), got 1`,
 * `Invalid delay: NaN (not a number)`). Otherwise it names the failed
 * action, what was expected and what was received:
 * `Cannot <action>: expected <what>, received <value>`. A value of the
 * wrong type is a `TypeError`; a number out of range (NaN included) is a
 * `RangeError`, Python's `ValueError`.
 *
 * @module
 */

import { reprValue } from "./_repr.ts";

/**
 * A time in seconds: a number, not NaN (Infinity is a time that never comes).
 *
 * @throws {TypeError} for anything but a number.
 * @throws {RangeError} `Invalid <what>: NaN (not a number)` (CPython's words).
 */
export function checkSeconds(value: unknown, what: string): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(
      `Invalid ${what}: expected a number of seconds, received ${reprValue(value)}`,
    );
  }
  if (Number.isNaN(value)) throw new RangeError(`Invalid ${what}: NaN (not a number)`);
}

/**
 * A callback given to `api` (CPython's wording).
 *
 * @throws {TypeError} `a callable object was expected by <api>(), got <value>`.
 */
export function checkCallable(
  value: unknown,
  api: string,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new TypeError(`a callable object was expected by ${api}(), got ${reprValue(value)}`);
  }
}

/**
 * A function argument of our own API.
 *
 * @throws {TypeError} `Cannot <action>: expected a function, received <value>`.
 */
export function checkFunction(
  value: unknown,
  action: string,
): asserts value is (...args: never[]) => unknown {
  if (typeof value !== "function") {
    throw new TypeError(`Cannot ${action}: expected a function, received ${reprValue(value)}`);
  }
}

/**
 * A whole number of things (slots, parties) of at least `min`.
 *
 * @param tooSmall The message for a number below `min` or NaN (CPython's,
 * where it has one: `Semaphore initial value must be >= 0`).
 * @throws {TypeError} for anything but a number.
 * @throws {RangeError} `tooSmall`, or for a number that is not whole.
 */
export function checkCount(
  value: unknown,
  what: string,
  min: number,
  tooSmall: string,
): asserts value is number {
  if (typeof value !== "number") {
    throw new TypeError(`Invalid ${what}: expected a whole number, received ${reprValue(value)}`);
  }
  if (!(value >= min)) throw new RangeError(tooSmall);
  if (!Number.isInteger(value)) {
    throw new RangeError(`Invalid ${what}: expected a whole number, received ${value}`);
  }
}

/** The name of `value`'s type, as asyncio's messages show it (`Task`, `function`). */
export function typeName(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "function") return "function";
  if (typeof value === "object") return value.constructor?.name ?? "Object";
  return typeof value;
}
