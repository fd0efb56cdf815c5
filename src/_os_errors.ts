/**
 * Host errors (from `node:net`, `node:child_process`) turned into Python's
 * `OSError` subclasses, keeping the host's `code`.
 *
 * @module
 */

import {
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  GaiError,
  OSError,
  PermissionError,
  TimeoutError,
} from "./errors.ts";

type OSErrorClass = new (
  message: string,
  options?: ErrorOptions & { code?: string; errno?: number },
) => OSError;

const CLASSES: Record<string, OSErrorClass> = {
  ECONNREFUSED: ConnectionRefusedError,
  ECONNRESET: ConnectionResetError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  ENOENT: FileNotFoundError,
  EACCES: PermissionError,
  EPERM: PermissionError,
  ENOTFOUND: GaiError,
  EAI_AGAIN: GaiError,
  EAI_NONAME: GaiError,
  EAI_FAIL: GaiError,
};

// errno numbers on Linux, for messages in Python's "[Errno N] ..." form
// when the host gives only the code.
const ERRNO: Record<string, number> = {
  ENOENT: 2,
  ESRCH: 3,
  ENOTFOUND: -2,
  EAI_NONAME: -2,
  EAI_AGAIN: -3,
  EACCES: 13,
  EPERM: 1,
  EPIPE: 32,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTUNREACH: 113,
  ENETUNREACH: 101,
};

/** The host's error code of `error`, if it has one. */
export function hostCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/**
 * `error` from the host as Python's class for its code (an `OSError` for an
 * unknown code; `TimeoutError`, with `code`, for `ETIMEDOUT`), its message
 * `[Errno N] <what>`. An error that is already one of ours passes through.
 */
export function osError(error: unknown, what: string): Error {
  if (error instanceof OSError) return error;
  const code = hostCode(error);
  if (code === undefined) {
    return new OSError(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
  const hostErrno = (error as { errno?: unknown }).errno;
  const errno = ERRNO[code] ??
    (typeof hostErrno === "number" && hostErrno !== 0 ? Math.abs(hostErrno) : undefined);
  const prefix = errno === undefined ? `[${code}]` : `[Errno ${errno}]`;
  const message = `${prefix} ${what}`;
  if (code === "ETIMEDOUT") {
    return Object.assign(new TimeoutError(message, { cause: error }), { code, errno });
  }
  const Class = CLASSES[code] ?? OSError;
  return new Class(message, { cause: error, code, errno });
}

/** Python's spelling of an address in messages: `('127.0.0.1', 8888)`, or the path. */
export function formatAddress(host: string | undefined, port: number | undefined): string {
  return port === undefined ? `'${host}'` : `('${host}', ${port})`;
}
