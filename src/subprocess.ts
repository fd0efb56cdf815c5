/**
 * Subprocesses: `createSubprocessExec`, `createSubprocessShell` and
 * `Process`. Python: `asyncio.subprocess`.
 *
 * Design note. A process is a `node:child_process` child (Deno and Node
 * both have it). Its pipes are a `StreamWriter` and `StreamReader`s fed by
 * the host's events, and every wait (`wait()`, `communicate()`, the pipes'
 * reads and drains) is a Future that a cancel withdraws: a cancelled
 * `communicate()` leaves what it had read in the readers' buffers.
 *
 * `stderr: STDOUT` merges the child's stderr into the `stdout` reader at the
 * level of the reader (the host has no way to give both the same pipe):
 * bytes of each stream stay in order, but how writes to the two interleave
 * is up to the timing of the pipes, unlike Python, where they share one.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";
import type { Readable } from "node:stream";
import { BrokenPipeError, ConnectionResetError, ProcessLookupError } from "./errors.ts";
import { failedFuture, type Future } from "./futures.ts";
import type { EventLoop } from "./loop.ts";
import { requireRunningLoop } from "./_running_loop.ts";
import { holdWhileOpen, IoFuture, settle } from "./_io_future.ts";
import { doneFuture } from "./_waits.ts";
import { hostCode, osError } from "./_os_errors.ts";
import { reprValue } from "./_repr.ts";
import type { SignalName } from "./signals.ts";
import { type BytesLike, checkLimit, StreamReader, toBytes } from "./streams/reader.ts";
import { feedReader, StreamWriter, type WriterHost } from "./streams/writer.ts";

/** Connect the child's stream to a new pipe (a reader or writer on `Process`). Python: `subprocess.PIPE`. */
export const PIPE: -1 = -1;
/** `stderr` only: send the child's stderr where its stdout goes. Python: `subprocess.STDOUT`. */
export const STDOUT: -2 = -2;
/** Connect the child's stream to the null device. Python: `subprocess.DEVNULL`. */
export const DEVNULL: -3 = -3;

/**
 * Where a child's standard stream goes: `PIPE`, `DEVNULL`, `STDOUT`
 * (stderr only), a file descriptor of this process, or `null` to inherit
 * this process's.
 */
export type StdioOption = number | null;

/** Options for `createSubprocessExec()` and `createSubprocessShell()`. */
export interface SubprocessOptions {
  /**
   * The child's standard input.
   * @default null (inherit)
   */
  stdin?: StdioOption;
  /**
   * The child's standard output.
   * @default null (inherit)
   */
  stdout?: StdioOption;
  /**
   * The child's standard error.
   * @default null (inherit)
   */
  stderr?: StdioOption;
  /** The child's working directory. @default this process's */
  cwd?: string;
  /** The child's whole environment. @default this process's */
  env?: Record<string, string>;
  /**
   * The limit of the `stdout` and `stderr` readers.
   * @default 65536
   */
  limit?: number;
}

/** A signal for `sendSignal`: its name or its number. */
export type ProcessSignal = SignalName | "SIGKILL" | "SIGSTOP" | number;

/** The arguments after the program: strings, optionally followed by options. */
export type ExecArgs = string[] | [...string[], SubprocessOptions];

/**
 * Start `program` with `args` (no shell). Python:
 * `asyncio.create_subprocess_exec(program, *args, ...)`.
 *
 * @returns A Future of the started `Process`. It fails with
 * `FileNotFoundError` if the program does not exist, `PermissionError` if
 * it cannot run. Cancelling it kills the process.
 *
 * @example Capture a program's output
 * ```ts
 * import { createSubprocessExec, PIPE, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("echo", "hello", { stdout: PIPE });
 *   const [out] = await proc.communicate();
 *   console.log(new TextDecoder().decode(out!), proc.returncode); // "hello\n" 0
 * });
 * ```
 */
export function createSubprocessExec(program: string, ...args: ExecArgs): Future<Process> {
  const loop = requireRunningLoop();
  let options: SubprocessOptions = {};
  const last = args[args.length - 1];
  if (typeof last === "object" && last !== null) {
    options = last as SubprocessOptions;
    args = args.slice(0, -1) as string[];
  }
  try {
    if (typeof program !== "string" || program === "") {
      throw new TypeError(
        `Cannot start a process: program must be a non-empty string, received ${
          reprValue(program)
        }`,
      );
    }
    for (const arg of args) {
      if (typeof arg !== "string") {
        throw new TypeError(
          `Cannot start a process: arguments must be strings, received ${reprValue(arg)}`,
        );
      }
    }
  } catch (error) {
    return failedFuture(loop, error);
  }
  return start(loop, program, args as string[], options, false);
}

/**
 * Run `cmd` with the system shell (`/bin/sh -c`). Python:
 * `asyncio.create_subprocess_shell(cmd, ...)`.
 *
 * @returns A Future of the started `Process` (the shell's; a command the
 * shell cannot find gives return code 127, as in Python).
 *
 * @example A pipeline, both streams in one reader
 * ```ts
 * import { createSubprocessShell, PIPE, run, STDOUT } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessShell("echo one; echo two | tr a-z A-Z", {
 *     stdout: PIPE,
 *     stderr: STDOUT,
 *   });
 *   for await (const line of proc.stdout!) console.log(new TextDecoder().decode(line).trimEnd());
 *   console.log(await proc.wait()); // 0
 * });
 * ```
 */
export function createSubprocessShell(
  cmd: string,
  options: SubprocessOptions = {},
): Future<Process> {
  const loop = requireRunningLoop();
  if (typeof cmd !== "string" || cmd === "") {
    return failedFuture(
      loop,
      new TypeError(
        `Cannot start a shell: cmd must be a non-empty string, received ${reprValue(cmd)}`,
      ),
    );
  }
  return start(loop, cmd, [], options, true);
}

function start(
  loop: EventLoop,
  program: string,
  args: string[],
  options: SubprocessOptions,
  shell: boolean,
): Future<Process> {
  let stdio: ("pipe" | "ignore" | "inherit" | number)[];
  try {
    checkLimit(options.limit);
    stdio = [
      stdioFor(options.stdin, "stdin"),
      stdioFor(options.stdout, "stdout"),
      options.stderr === STDOUT ? "pipe" : stdioFor(options.stderr, "stderr"),
    ];
    if (options.stderr === STDOUT) {
      // The child's stderr goes where its stdout goes; a second pipe is
      // merged into the stdout reader (see the design note).
      stdio[2] = stdio[1] === "inherit" ? 1 : stdio[1];
    }
  } catch (error) {
    return failedFuture(loop, error);
  }
  let child: ChildProcess;
  try {
    child = spawn(program, args, { stdio, cwd: options.cwd, env: options.env, shell });
  } catch (error) {
    // A host error without a code (Deno's missing --allow-run or
    // --allow-env) already says what to do: pass it on as it is.
    return failedFuture(loop, hostCode(error) === undefined ? error : spawnError(error, program));
  }
  const future = new IoFuture<Process>(loop, () => child.kill("SIGKILL"));
  const onError = (error: unknown) => {
    settle(future, true, spawnError(error, program));
  };
  child.once("error", onError);
  child.once("spawn", () => {
    child.off("error", onError);
    const started = new Process(loop, child, options, shell);
    if (future.done() || loop.isClosed()) {
      child.kill("SIGKILL");
      return;
    }
    settle(future, false, started);
  });
  return future;
}

function stdioFor(
  value: StdioOption | undefined,
  name: string,
): "pipe" | "ignore" | "inherit" | number {
  if (value === undefined || value === null) return "inherit";
  if (value === PIPE) return "pipe";
  if (value === DEVNULL) return "ignore";
  if (Number.isInteger(value) && value >= 0) return value;
  throw new RangeError(
    `Cannot start a process: ${name} must be PIPE, DEVNULL, ${
      name === "stderr" ? "STDOUT, " : ""
    }a file descriptor or null, received ${reprValue(value)}`,
  );
}

function spawnError(error: unknown, program: string): Error {
  const code = (error as { code?: unknown }).code;
  const what = code === "ENOENT"
    ? `No such file or directory: '${program}'`
    : code === "EACCES"
    ? `Permission denied: '${program}'`
    : `Cannot start '${program}'`;
  return osError(error, what);
}

type ProcessState = "running" | "exited" | "closed";

/**
 * A running (or finished) child process. Python: `asyncio.subprocess.Process`.
 *
 * Read its output from `stdout`/`stderr` and write to `stdin` when they
 * are `PIPE`s; `wait()` for it to finish, or `communicate()` to feed its
 * input, collect its output and wait, without the deadlock of a full pipe.
 *
 * @example A read with a timeout, then a kill
 * ```ts
 * import { createSubprocessExec, PIPE, run, TimeoutError, waitFor } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const proc = await createSubprocessExec("sleep", "60", { stdout: PIPE });
 *   try {
 *     await waitFor(proc.stdout!.readline(), 0.1);
 *   } catch (error) {
 *     console.log(error instanceof TimeoutError); // true: sleep prints nothing
 *   }
 *   proc.kill();
 *   console.log(await proc.wait()); // -9
 * });
 * ```
 */
export class Process {
  /** The process id. */
  readonly pid: number;
  /** The child's stdin, with `stdin: PIPE`; else `null`. */
  readonly stdin: StreamWriter | null;
  /** The child's stdout, with `stdout: PIPE`; else `null`. */
  readonly stdout: StreamReader | null;
  /** The child's stderr, with `stderr: PIPE`; else `null`. */
  readonly stderr: StreamReader | null;
  // Invariants: #state is "running" until the host's "exit" (#returncode
  // set), "closed" after its "close" (the pipes are closed too). #waiters
  // settle at "close".
  readonly #loop: EventLoop;
  readonly #child: ChildProcess;
  readonly #shell: boolean;
  #returncode: number | null = null;
  #state: ProcessState = "running";
  #waiters: IoFuture<number>[] = [];

  /** @internal Made by `createSubprocessExec` and `createSubprocessShell`. */
  constructor(loop: EventLoop, child: ChildProcess, options: SubprocessOptions, shell: boolean) {
    this.#loop = loop;
    this.#child = child;
    this.#shell = shell;
    // A running child is host work: the loop waits for it, not deadlocked.
    child.once("close", holdWhileOpen(loop));
    this.pid = child.pid!;
    this.stdin = child.stdin === null ? null : new StreamWriter(new PipeHost(child.stdin), null);
    if (child.stdin !== null) {
      // A child that exits without reading its input breaks the pipe; the
      // writer reports it at drain(), not as an uncaught error.
      child.stdin.on("error", () => {});
    }
    const merge = options.stderr === STDOUT;
    this.stdout = pipeReader(child.stdout, options.limit, merge ? child.stderr : null);
    this.stderr = merge ? null : pipeReader(child.stderr, options.limit);
    child.on("exit", (code, signal) => {
      this.#state = "exited";
      this.#returncode = code ??
        -(constants.signals[signal as keyof typeof constants.signals] ?? 0);
    });
    child.on("close", (code, signal) => {
      this.#returncode ??= code ??
        -(constants.signals[signal as keyof typeof constants.signals] ?? 0);
      this.#state = "closed";
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) settle(waiter, false, this.#returncode);
    });
  }

  /**
   * The exit status: `null` while the process runs, `-N` if signal N
   * killed it. Python: `returncode`.
   */
  get returncode(): number | null {
    return this.#returncode;
  }

  /**
   * Wait for the process to exit (and its pipes to close). Python: `wait()`.
   *
   * A child writing more to a `PIPE` than the reader buffers blocks until
   * someone reads; use `communicate()` to avoid that deadlock.
   *
   * @returns A Future of the return code.
   */
  wait(): Future<number> {
    const loop = requireRunningLoop();
    if (this.#returncode !== null && this.#state !== "running") {
      // As Python: once the exit status is known, wait() returns it at once.
      return doneFuture(loop, this.#returncode);
    }
    const waiter: IoFuture<number> = new IoFuture<number>(loop, () => {
      const index = this.#waiters.indexOf(waiter);
      if (index !== -1) this.#waiters.splice(index, 1);
    });
    this.#waiters.push(waiter);
    return waiter;
  }

  /**
   * Send `input` to stdin (then close it), read stdout and stderr to EOF,
   * and wait for the process to exit. Python: `communicate(input=None)`.
   *
   * @returns A Future of `[stdout, stderr]`, each `null` unless it is a
   * `PIPE`. Cancelling it stops waiting: the output read so far stays in
   * the readers, the process runs on.
   */
  communicate(input?: BytesLike | null): Future<[Uint8Array | null, Uint8Array | null]> {
    const loop = requireRunningLoop();
    let bytes: Uint8Array | null = null;
    try {
      if (input !== undefined && input !== null) bytes = toBytes(input, "communicate");
    } catch (error) {
      return failedFuture(loop, error);
    }
    return new Communication(loop, this, bytes).future;
  }

  /**
   * Send `signal` to the process. Python: `send_signal(signal)`.
   *
   * @throws {ProcessLookupError} once the process has finished and been waited for.
   */
  sendSignal(signal: ProcessSignal): void {
    if (this.#state === "closed") throw new ProcessLookupError("[Errno 3] No such process");
    try {
      // process.kill() first: on Deno 2.9.6, after child.kill() the child's
      // "exit" reports the signal sent even when the child handled it and
      // exited with a code. Deno allows process.kill() only with an
      // unrestricted --allow-run; child.kill() is the fallback.
      process.kill(this.pid, signal);
    } catch (error) {
      const code = hostCode(error);
      // Exited, not yet reaped: nothing to signal, as Python's Popen.
      if (code === "ESRCH") return;
      // The host's own argument errors (ERR_UNKNOWN_SIGNAL) say what is wrong.
      if (code?.startsWith("ERR_")) throw error;
      if (code !== undefined) throw osError(error, "Cannot send a signal");
      this.#child.kill(signal as Parameters<ChildProcess["kill"]>[0]);
    }
  }

  /** Send SIGTERM. Python: `terminate()`. */
  terminate(): void {
    this.sendSignal("SIGTERM");
  }

  /** Send SIGKILL. Python: `kill()`. */
  kill(): void {
    this.sendSignal("SIGKILL");
  }

  /** The process for logs: `<Process 1234 running>`. */
  toString(): string {
    const state = this.#returncode === null ? "running" : `returncode=${this.#returncode}`;
    return `<Process ${this.pid}${this.#shell ? " shell" : ""} ${state}>`;
  }
}

/** `communicate()`: three parts in parallel, then `wait()`. */
class Communication {
  readonly future: IoFuture<[Uint8Array | null, Uint8Array | null]>;
  #parts: Future<unknown>[] = [];
  #left = 0;
  #output: [Uint8Array | null, Uint8Array | null] = [null, null];

  constructor(loop: EventLoop, readonly process: Process, input: Uint8Array | null) {
    this.future = new IoFuture(loop, () => this.#cancelParts());
    const { stdin, stdout, stderr } = process;
    if (stdin !== null) this.#add(this.#feed(loop, stdin, input), -1);
    if (stdout !== null) this.#add(stdout.read(), 0);
    if (stderr !== null) this.#add(stderr.read(), 1);
    if (this.#left === 0) this.#waitForExit();
  }

  #add(part: Future<unknown>, slot: number): void {
    this.#parts.push(part);
    this.#left++;
    part._addDoneCallback(() => {
      if (this.future.done()) return;
      if (part.cancelled()) {
        this.#cancelParts();
        this.future.cancel();
        return;
      }
      const error = part.exception();
      if (error !== null) {
        this.#cancelParts();
        settle(this.future, true, error);
        return;
      }
      if (slot >= 0) this.#output[slot] = part.result() as Uint8Array;
      if (--this.#left === 0) this.#waitForExit();
    });
  }

  /** Write the input, drain, close stdin; a child that stopped reading is no error. */
  #feed(loop: EventLoop, stdin: StreamWriter, input: Uint8Array | null): Future<void> {
    const fed = new IoFuture<void>(loop);
    try {
      if (input !== null && input.length > 0) stdin.write(input);
    } catch (error) {
      fed.setException(error);
      return fed;
    }
    const drained = input === null ? doneFuture(loop, undefined) : stdin.drain();
    fed.onCancel = () => drained.cancel();
    drained._addDoneCallback(() => {
      if (fed.done()) return;
      const error = drained.cancelled() ? null : drained.exception();
      stdin.close();
      if (
        error !== null && !(error instanceof BrokenPipeError) &&
        !(error instanceof ConnectionResetError)
      ) {
        settle(fed, true, error);
      } else settle(fed, false, undefined);
    });
    return fed;
  }

  #waitForExit(): void {
    const waited = this.process.wait();
    this.#parts.push(waited);
    waited._addDoneCallback(() => {
      if (this.future.done() || waited.cancelled()) return;
      settle(this.future, false, this.#output);
    });
  }

  #cancelParts(): void {
    for (const part of this.#parts) part.cancel();
  }
}

/** A child's stdin behind a writer. */
class PipeHost implements WriterHost {
  readonly canWriteEof = true;
  readonly destroyAfterFlush = false;
  constructor(readonly stream: NonNullable<ChildProcess["stdin"]>) {}

  extraInfo(name: string): unknown {
    return name === "pipe" ? this.stream : undefined;
  }

  abort(): void {
    this.stream.destroy();
  }
}

function pipeReader(
  stream: Readable | null,
  limit: number | undefined,
  merged: Readable | null = null,
): StreamReader | null {
  if (stream === null) return null;
  const reader = new StreamReader({ limit });
  feedReader(stream, reader, merged);
  return reader;
}
