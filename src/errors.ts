/**
 * The error classes of asyncio-ts, in one place.
 *
 * Each keeps asyncio's name and, where asyncio raises it, CPython's message
 * wording. Python's builtin `RuntimeError` has no JavaScript counterpart, so it
 * is defined here too: the loop and the tasks raise it where Python does.
 *
 * @module
 */

/**
 * The base of this library's error classes: an `Error` whose `name` is its
 * own class's name (`CancelledError`, `QueueFull`), so that logs and
 * `toString()` show it.
 */
export class NamedError extends Error {
  /** Make the error, with `message` and `options.cause` as for `Error`. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The operation was cancelled: thrown at the `await` of a cancelled task, and
 * by a cancelled Future's `result()`.
 *
 * Catch it to clean up, then re-throw it: a task that swallows it is not
 * cancelled. Python: `asyncio.CancelledError`.
 *
 * @example Cleaning up after a cancel
 * ```ts
 * import { CancelledError, run, sleep, createTask } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const task = createTask(async () => {
 *     try {
 *       await sleep(3600);
 *     } catch (e) {
 *       if (e instanceof CancelledError) console.log("cleaning up");
 *       throw e;
 *     }
 *   });
 *   await sleep(0);
 *   task.cancel();
 * });
 * ```
 */
export class CancelledError extends NamedError {
  /** Make a CancelledError; its message is empty without one. */
  constructor(message?: string, options?: ErrorOptions) {
    super(message ?? "", options);
  }
}

/**
 * @internal A CancelledError made by the loop itself (a cancel delivered at
 * an `await`, `gather`'s results), without capturing a stack: that stack
 * would only show the loop's own frames, and capturing it was most of what a
 * cancel cost (on Deno every Error records a detailed trace, about 2 µs and
 * 800 bytes; 100,000 tasks cancelled at shutdown pay it 100,000 times).
 * Same class and message; `stack` is just `CancelledError: message`.
 */
export function loopCancelledError(message: string | undefined): CancelledError {
  return new (StacklessCancelledError as unknown as new (message: string) => CancelledError)(
    message ?? "",
  );
}

// A plain constructor sharing CancelledError's prototype: `instanceof`,
// `name` and `toString()` are those of the class, but no Error is built.
function StacklessCancelledError(this: { message: string }, message: string) {
  this.message = message;
}
StacklessCancelledError.prototype = CancelledError.prototype;
Object.defineProperties(CancelledError.prototype, {
  name: { value: "CancelledError", writable: true, configurable: true },
  // Real instances have their own `stack`; a stackless one reads this.
  stack: {
    get(this: CancelledError) {
      return `${this.name}: ${this.message}`;
    },
    set(this: CancelledError, stack: unknown) {
      Object.defineProperty(this, "stack", { value: stack, writable: true, configurable: true });
    },
    configurable: true,
  },
});

/** A deadline passed (`waitFor`, `timeout`, `asCompleted`). Python: `TimeoutError`. */
export class TimeoutError extends NamedError {}

/** A Future was asked for something its state does not allow. Python: `asyncio.InvalidStateError`. */
export class InvalidStateError extends NamedError {}

/** An operation was used in the wrong state, as Python's builtin `RuntimeError`. */
export class RuntimeError extends NamedError {}

/** `getNowait()` on an empty queue. Python: `asyncio.QueueEmpty`. */
export class QueueEmpty extends NamedError {}

/** `putNowait()` on a full queue. Python: `asyncio.QueueFull`. */
export class QueueFull extends NamedError {}

/** `put`/`get` on a queue that was shut down. Python: `asyncio.QueueShutDown`. */
export class QueueShutDown extends NamedError {}

/** A `Barrier` was aborted or reset while waiting. Python: `asyncio.BrokenBarrierError`. */
export class BrokenBarrierError extends RuntimeError {}

/**
 * Several errors raised together, as by a `TaskGroup`. An `AggregateError`
 * whose `exceptions` are the errors in the order they happened.
 * Python: `ExceptionGroup`.
 */
export class ExceptionGroup extends AggregateError {
  /** The grouped errors (the same array as `errors`). */
  readonly exceptions: readonly unknown[];

  /** Group `exceptions` under `message`; the count of sub-exceptions is appended, as in Python. */
  constructor(message: string, exceptions: readonly unknown[]) {
    const count = exceptions.length;
    super(
      exceptions,
      `${message} (${count} sub-exception${count === 1 ? "" : "s"})`,
    );
    this.name = new.target.name;
    this.exceptions = exceptions;
  }
}

/**
 * A Worker died (it threw outside any job, exited, closed itself or ran out of
 * memory) while running this job. The pool replaces the Worker; only the job
 * that was running fails.
 */
export class WorkerCrashedError extends NamedError {}

/**
 * A function cannot run in a Worker as shipped: it is bound, native, a method
 * shorthand or a class, or it uses a variable from outside its own body.
 * Pass such values as arguments, or name the function with `moduleFunction()`.
 */
export class UnshippableFunctionError extends NamedError {}

/**
 * The executor can no longer start Workers (they failed at start-up several
 * times in a row). Python: `concurrent.futures.BrokenExecutor`.
 */
export class BrokenExecutorError extends RuntimeError {}

/**
 * The user pressed Ctrl-C: `run()` raises it when the first SIGINT cancelled
 * the main task and the main task did not handle the cancellation, and at
 * once on a second SIGINT. Python: `KeyboardInterrupt`.
 */
export class KeyboardInterrupt extends NamedError {}

/**
 * The stream ended before a read could be satisfied: `readexactly()` got
 * fewer bytes than asked, or `readuntil()` met EOF before the separator.
 * `partial` holds the bytes read (they were taken from the buffer).
 * Python: `asyncio.IncompleteReadError` (an `EOFError`).
 */
export class IncompleteReadError extends NamedError {
  /** The bytes read before the end of the stream. */
  readonly partial: Uint8Array;
  /** How many bytes were expected; `null` when a separator was. */
  readonly expected: number | null;

  /** Make the error of a read that got `partial` of the `expected` bytes (`null`: until EOF). */
  constructor(partial: Uint8Array, expected: number | null) {
    super(`${partial.length} bytes read on a total of ${expected} expected bytes`);
    this.partial = partial;
    this.expected = expected;
  }
}

/**
 * `readuntil()` reached the reader's limit without finding the separator;
 * the data stays in the buffer, `consumed` bytes of it can be read before
 * the limit. Python: `asyncio.LimitOverrunError`.
 */
export class LimitOverrunError extends NamedError {
  /** How many bytes are to be consumed. */
  readonly consumed: number;

  /** Make the error of a read that went `consumed` bytes past the limit. */
  constructor(message: string, consumed: number) {
    super(message);
    this.consumed = consumed;
  }
}

/**
 * An error of the operating system (a socket, a pipe, a process), with the
 * host's error `code` (`"ECONNREFUSED"`) and its number. Python: `OSError`.
 */
export class OSError extends NamedError {
  /** The host's error code, such as `"ECONNRESET"`; `undefined` if it gave none. */
  code: string | undefined;
  /** The error number (positive, as Python's `errno`); `undefined` if unknown. */
  errno: number | undefined;

  /** Make an OS error, with the host's `code` (`"ECONNREFUSED"`) and `errno` when known. */
  constructor(message: string, options?: ErrorOptions & { code?: string; errno?: number }) {
    super(message, options);
    this.code = options?.code;
    this.errno = options?.errno;
  }
}

/** A connection-related `OSError`. Python: `ConnectionError`. */
export class ConnectionError extends OSError {}

/** The peer refused the connection (`ECONNREFUSED`). Python: `ConnectionRefusedError`. */
export class ConnectionRefusedError extends ConnectionError {}

/** The peer reset the connection (`ECONNRESET`), or it was lost. Python: `ConnectionResetError`. */
export class ConnectionResetError extends ConnectionError {}

/** The connection was aborted on this side (`ECONNABORTED`). Python: `ConnectionAbortedError`. */
export class ConnectionAbortedError extends ConnectionError {}

/** Writing to a pipe or socket whose other end is closed (`EPIPE`). Python: `BrokenPipeError`. */
export class BrokenPipeError extends ConnectionError {}

/** A file or program that does not exist (`ENOENT`). Python: `FileNotFoundError`. */
export class FileNotFoundError extends OSError {}

/** Not allowed by the operating system (`EACCES`, `EPERM`). Python: `PermissionError`. */
export class PermissionError extends OSError {}

/** A host name that does not resolve (`ENOTFOUND`, `EAI_AGAIN`). Python: `socket.gaierror`. */
export class GaiError extends OSError {}

/** The process is gone: a signal sent to a process that has finished. Python: `ProcessLookupError`. */
export class ProcessLookupError extends OSError {}
