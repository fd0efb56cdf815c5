/**
 * `StreamReader`: the reading side of a connection or a pipe.
 * Python: `asyncio.StreamReader`.
 *
 * Design note. A read is a pending Future plus a check: each read method
 * first tries to finish at once from the buffer; if it cannot, it leaves
 * one pending read, which is checked again whenever data, EOF or an error
 * arrives (`feedData`, `feedEof`, `setException`). Bytes leave the buffer
 * only in the read's grant step (`_waits.ts`), the loop iteration after
 * they arrived, where Python's reading coroutine resumes and consumes them:
 * a read that is cancelled before then, or that times out under `waitFor`
 * in the iteration its data arrived, takes nothing, and the next read finds
 * every byte.
 *
 * Flow control, as in Python: reading from the host pauses while the buffer
 * holds more than twice the limit and no read is waiting, and resumes once
 * reads bring it to the limit or below, or a read needs more bytes.
 *
 * @module
 */

import { IncompleteReadError, LimitOverrunError, RuntimeError } from "../errors.ts";
import { failedFuture, Future } from "../futures.ts";
import type { EventLoop } from "../loop.ts";
import { requireRunningLoop } from "../_running_loop.ts";
import { settle } from "../_io_future.ts";
import { Waiter } from "../_waits.ts";
import { reprValue } from "../_repr.ts";

/** The default `limit` of a reader: 64 KiB. Python: `asyncio.streams._DEFAULT_LIMIT`. */
export const DEFAULT_LIMIT = 2 ** 16;

/** Bytes, or a string taken as its UTF-8 encoding. */
export type BytesLike = Uint8Array | string;

/** @internal What a reader pauses and resumes: the host's reading. */
export interface ReadingTransport {
  pause(): void;
  resume(): void;
}

/** Options for `new StreamReader()`. */
export interface StreamReaderOptions {
  /**
   * The longest line (or `readuntil` chunk) the reader accepts, and the
   * flow-control mark: reading pauses above twice this many buffered bytes.
   * @default 65536
   */
  limit?: number;
}

type ReadKind = "read" | "exactly" | "until";

/**
 * A read waiting for data: the Future handed out, carrying what it waits
 * for (one object per read, since a busy connection makes one per chunk).
 * A `Waiter` of the reader: data or EOF grants it, and its grant step (the
 * loop iteration where Python's reading coroutine resumes) takes the bytes,
 * so a cancel before then withdraws it and the reader keeps every byte.
 */
class PendingRead extends Waiter<Uint8Array> {
  /** readuntil(): where the next search starts. */
  offset = 0;

  constructor(
    loop: EventLoop,
    readonly reader: StreamReader,
    readonly kind: ReadKind,
    /** The method's name, for the error of a second concurrent read. */
    readonly name: string,
    /** read(n), readexactly(n): the n. */
    readonly n: number,
    /** readuntil(): the separators, shortest first. */
    readonly separators: Uint8Array[] = NO_SEPARATORS,
    /** readline(): a line over the limit is dropped; EOF returns what is left. */
    readonly line = false,
  ) {
    super(loop, reader);
  }
}

const NO_SEPARATORS: Uint8Array[] = [];

const encoder = new TextEncoder();
const EMPTY = new Uint8Array(0);

/**
 * The reading side of a stream. Python: `asyncio.StreamReader`.
 *
 * `openConnection()`, `startServer()` and the subprocess functions make
 * readers; make one yourself to parse bytes you feed with `feedData()`.
 * Each read returns a Future: cancel it (directly, or through `waitFor`,
 * `timeout` or a task's cancel) and the read is withdrawn with no byte
 * lost. One read at a time: a second read while one waits throws
 * `RuntimeError`, as in Python. A reader is an async iterable of its lines.
 *
 * @example Lines from fed data
 * ```ts
 * import { run, StreamReader } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const reader = new StreamReader();
 *   reader.feedData("hello\nworld");
 *   reader.feedEof();
 *   for await (const line of reader) console.log(new TextDecoder().decode(line).trimEnd());
 * });
 * ```
 */
export class StreamReader implements AsyncIterable<Uint8Array> {
  // Invariants: the buffered bytes are #buffer[#start, #end). #pending is the
  // one read waiting (null if none); it is pending exactly while its Future
  // is (a cancel clears it through _withdraw). #paused is true while the
  // host's reading is paused by this reader. #granting is set while a grant
  // step runs, whose read delivers its outcome at once.
  readonly #limit: number;
  #buffer: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  #eof = false;
  #exception: unknown = undefined;
  #pending: PendingRead | null = null;
  #granting = false;
  // The buffer is a host chunk adopted whole (no copy), not ours to reuse.
  #adopted = false;
  #transport: ReadingTransport | null = null;
  #paused = false;

  /**
   * Make a reader to feed with `feedData()`.
   *
   * @param options `limit`.
   * @throws {RangeError} if `limit` is not a positive integer.
   */
  constructor(options: StreamReaderOptions = {}) {
    this.#limit = checkLimit(options.limit);
  }

  /** The limit given to the constructor. */
  get limit(): number {
    return this.#limit;
  }

  /** How many bytes are buffered. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** The error set by `setException`, or `undefined`. Python: `exception()`. */
  exception(): unknown {
    return this.#exception;
  }

  /** Whether EOF was fed and the buffer is empty. Python: `at_eof()`. */
  atEof(): boolean {
    return this.#eof && this.#end === this.#start;
  }

  /** @internal Whether `feedEof()` was called. */
  _eofFed(): boolean {
    return this.#eof;
  }

  /** Add bytes to the buffer (a string is taken as UTF-8). Python: `feed_data`. */
  feedData(data: BytesLike): void {
    if (this.#eof) throw new RuntimeError("Cannot feed data: feedEof() was called");
    const bytes = toBytes(data, "feed data");
    if (bytes.length === 0) return;
    this.#append(bytes);
    this.#check();
  }

  /**
   * @internal Data from the host, which hands each chunk over for good: a
   * chunk that a waiting `read(n)` takes whole goes to it without a copy.
   */
  _feedHostData(chunk: Uint8Array): void {
    if (this.#end === this.#start && chunk.length > 0 && !this.#eof) {
      // Empty: the chunk becomes the buffer; a read that takes it whole gets it.
      this.#buffer = chunk;
      this.#start = 0;
      this.#end = chunk.length;
      this.#adopted = true;
      this.#check();
      return;
    }
    this.feedData(chunk);
  }

  /** Mark the end of the stream: reads waiting for more end. Python: `feed_eof`. */
  feedEof(): void {
    this.#eof = true;
    this.#check();
  }

  /** Make every read, the waiting one included, fail with `error`. Python: `set_exception`. */
  setException(error: unknown): void {
    this.#exception = error;
    const op = this.#pending;
    if (op !== null) {
      this.#pending = null;
      settle(op, true, error);
    }
  }

  /** @internal Pause and resume `transport` for flow control. */
  _setTransport(transport: ReadingTransport | null): void {
    this.#transport = transport;
    this.#paused = false;
  }

  /**
   * Read up to `n` bytes: what is buffered (at most `n`), or, if nothing
   * is, the next bytes to arrive; an empty array at EOF. With `n` negative,
   * read everything up to EOF. Python: `read(n=-1)`.
   *
   * @param n How many bytes at most; negative for all.
   * @default -1
   * @returns A Future of the bytes; cancelling it takes none.
   */
  read(n = -1): Future<Uint8Array> {
    const loop = this.#getLoop();
    if (!Number.isInteger(n)) {
      return failedFuture(
        loop,
        new TypeError(`Cannot read: n must be an integer, received ${reprValue(n)}`),
      );
    }
    return this.#begin(new PendingRead(loop, this, "read", "read", n));
  }

  /**
   * Read exactly `n` bytes. Python: `readexactly(n)`.
   *
   * @returns A Future of the bytes. It fails with `IncompleteReadError`
   * (its `partial` holding the bytes read) if the stream ends first.
   */
  readexactly(n: number): Future<Uint8Array> {
    const loop = this.#getLoop();
    if (!Number.isInteger(n)) {
      return failedFuture(
        loop,
        new TypeError(`Cannot read: n must be an integer, received ${reprValue(n)}`),
      );
    }
    if (n < 0) {
      return failedFuture(loop, new RangeError("readexactly size can not be less than zero"));
    }
    return this.#begin(new PendingRead(loop, this, "exactly", "readexactly", n));
  }

  /**
   * Read one line, ending with `\n`: the bytes up to and including it, or
   * what is left at EOF (an empty array once the stream is done).
   * Python: `readline()`.
   *
   * A line longer than the limit is dropped from the buffer and the Future
   * fails with `LimitOverrunError` (Python raises `ValueError` here, with
   * the same message).
   */
  readline(): Future<Uint8Array> {
    const loop = this.#getLoop();
    return this.#begin(new PendingRead(loop, this, "until", "readline", 0, [NEWLINE], true));
  }

  /**
   * Read up to and including `separator`, or the first of several (the
   * shortest chunk that ends with any of them). Python: `readuntil()`.
   *
   * @param separator Bytes or a string; or an array of them (Python's tuple).
   * @default "\n"
   * @returns A Future of the bytes. It fails with `IncompleteReadError`
   * (the buffer goes into `partial`) if the stream ends first, and with
   * `LimitOverrunError` if the chunk would be longer than the limit: the
   * data then stays in the buffer.
   */
  readuntil(separator: BytesLike | readonly BytesLike[] = NEWLINE): Future<Uint8Array> {
    const loop = this.#getLoop();
    let separators: Uint8Array[];
    try {
      separators = Array.isArray(separator)
        ? (separator as readonly BytesLike[]).map((each) => toBytes(each, "read until a separator"))
        : [toBytes(separator as BytesLike, "read until a separator")];
    } catch (error) {
      return failedFuture(loop, error);
    }
    if (separators.length === 0) {
      return failedFuture(loop, new RangeError("Separator should contain at least one element"));
    }
    separators.sort((a, b) => a.length - b.length);
    if (separators[0].length === 0) {
      return failedFuture(loop, new RangeError("Separator should be at least one-byte string"));
    }
    return this.#begin(new PendingRead(loop, this, "until", "readuntil", 0, separators));
  }

  /** `for await (const line of reader)`: `readline()` until it returns no bytes. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    for (;;) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** The reader's state for logs: `<StreamReader 5 bytes eof>`. */
  toString(): string {
    const parts = ["StreamReader"];
    if (this.buffered > 0) parts.push(`${this.buffered} bytes`);
    if (this.#eof) parts.push("eof");
    if (this.#limit !== DEFAULT_LIMIT) parts.push(`limit=${this.#limit}`);
    if (this.#pending !== null) parts.push(`waiter=${this.#pending}`);
    if (this.#exception !== undefined) parts.push(`exception=${reprValue(this.#exception)}`);
    if (this.#paused) parts.push("paused");
    return `<${parts.join(" ")}>`;
  }

  // -- the operations --------------------------------------------------------

  #getLoop(): EventLoop {
    return requireRunningLoop();
  }

  #begin(op: PendingRead): Future<Uint8Array> {
    if (this.#pending !== null) {
      return failedFuture(
        op.getLoop(),
        new RuntimeError(
          `${op.name}() called while another coroutine is already waiting for incoming data`,
        ),
      );
    }
    if (this.#exception !== undefined) {
      op.setException(this.#exception);
      return op;
    }
    if (!this.#attempt(op)) {
      this.#pending = op;
      this.#resumeReading();
    }
    return op;
  }

  /**
   * @internal The grant step of the waiting read: take its bytes if they
   * are there now, else it waits on (its data did not all arrive).
   */
  _take(op: Waiter<Uint8Array>): void {
    this.#granting = true;
    try {
      if (this.#attempt(op as PendingRead)) this.#pending = null;
    } finally {
      this.#granting = false;
    }
    if (this.#pending !== null) this.#resumeReading();
    else this.#pauseIfFull();
  }

  /** @internal A cancelled read: forget it; its bytes stay in the buffer. */
  _withdraw(op: Waiter<Uint8Array>): void {
    if (this.#pending === op) this.#pending = null;
    this.#pauseIfFull();
  }

  /** New data, EOF: the waiting read takes what it can in its grant step. */
  #check(): void {
    const op = this.#pending;
    if (op !== null && op._place !== "granted") op._grant();
    if (this.#pending !== null) this.#resumeReading();
    else this.#pauseIfFull();
  }

  /** Finish `op` from the buffer if it can be; true if its Future is settled. */
  #attempt(op: PendingRead): boolean {
    const size = this.#end - this.#start;
    switch (op.kind) {
      case "read": {
        if (op.n === 0) return this.#finish(op, EMPTY);
        if (op.n < 0) return this.#eof ? this.#finish(op, this.#take(size)) : false;
        if (size > 0) return this.#finish(op, this.#take(Math.min(op.n, size)));
        return this.#eof ? this.#finish(op, EMPTY) : false;
      }
      case "exactly": {
        if (size >= op.n) return this.#finish(op, this.#take(op.n));
        if (!this.#eof) return false;
        return this.#fail(op, new IncompleteReadError(this.#take(size), op.n));
      }
      case "until":
        return this.#attemptUntil(op);
    }
  }

  #attemptUntil(op: PendingRead): boolean {
    const separators = op.separators;
    const buffer = this.#buffer;
    const start = this.#start;
    const size = this.#end - start;
    if (size - op.offset >= separators[0].length) {
      let matchStart = -1;
      let matchEnd = -1;
      for (const separator of separators) {
        const found = indexOf(buffer, separator, start + op.offset, this.#end);
        if (found !== -1) {
          const end = found - start + separator.length;
          if (matchEnd === -1 || end < matchEnd) {
            matchEnd = end;
            matchStart = found - start;
          }
        }
      }
      if (matchEnd !== -1) {
        if (matchStart > this.#limit) {
          return this.#overrun(
            op,
            "Separator is found, but chunk is longer than limit",
            matchStart,
          );
        }
        return this.#finish(op, this.#take(matchEnd));
      }
      // Where the next search starts: a separator may straddle new data.
      op.offset = Math.max(0, size + 1 - separators[separators.length - 1].length);
      if (op.offset > this.#limit) {
        return this.#overrun(op, "Separator is not found, and chunk exceed the limit", op.offset);
      }
    }
    if (!this.#eof) return false;
    const partial = this.#take(size);
    // readline() returns what is left at EOF; readuntil() reports it.
    if (op.line) return this.#finish(op, partial);
    return this.#fail(op, new IncompleteReadError(partial, null));
  }

  #overrun(
    op: PendingRead,
    message: string,
    consumed: number,
  ): boolean {
    if (op.line) {
      // readline() drops the over-long line (up to its newline if there is
      // one, else all that is buffered), as Python's does.
      const size = this.#end - this.#start;
      const endsAtNewline = consumed < size && this.#buffer[this.#start + consumed] === 0x0a;
      this.#take(endsAtNewline ? consumed + 1 : size);
    }
    return this.#fail(op, new LimitOverrunError(message, consumed));
  }

  // A read finishes in its grant step (delivered at once to whoever awaits
  // it), or at once when it is made and the bytes are already there.
  #finish(op: PendingRead, value: Uint8Array): boolean {
    if (this.#granting) op._setResultNow(value);
    else op.setResult(value);
    return true;
  }

  #fail(op: PendingRead, error: unknown): boolean {
    if (this.#granting) op._setExceptionNow(error);
    else op.setException(error);
    return true;
  }

  // -- the buffer --------------------------------------------------------------

  #append(bytes: Uint8Array): void {
    const size = this.#end - this.#start;
    if (this.#adopted) {
      // The host's chunk is not ours to write into: copy it out first.
      this.#buffer = this.#buffer.slice(this.#start, this.#end);
      this.#adopted = false;
      this.#start = 0;
      this.#end = size;
    }
    if (this.#end + bytes.length > this.#buffer.length) {
      if (size + bytes.length <= this.#buffer.length && this.#start >= size) {
        // Enough room once the live bytes move to the front.
        this.#buffer.copyWithin(0, this.#start, this.#end);
      } else {
        const grown = new Uint8Array(Math.max(size + bytes.length, this.#buffer.length * 2, 1024));
        grown.set(this.#buffer.subarray(this.#start, this.#end));
        this.#buffer = grown;
      }
      this.#start = 0;
      this.#end = size;
    }
    this.#buffer.set(bytes, this.#end);
    this.#end += bytes.length;
  }

  /** Remove the first `n` buffered bytes and return them (a copy, or an adopted chunk whole). */
  #take(n: number): Uint8Array {
    if (n === 0) return EMPTY;
    if (this.#adopted && this.#start === 0 && n === this.#end) {
      const whole = this.#buffer;
      this.#buffer = EMPTY;
      this.#adopted = false;
      this.#start = this.#end = 0;
      if (this.#paused) this.#resumeReading();
      return whole;
    }
    const taken = this.#buffer.slice(this.#start, this.#start + n);
    this.#start += n;
    if (this.#start === this.#end) this.#start = this.#end = 0;
    if (this.#paused && this.#end - this.#start <= this.#limit) this.#resumeReading();
    return taken;
  }

  #pauseIfFull(): void {
    if (this.#paused || this.#transport === null) return;
    if (this.#end - this.#start > 2 * this.#limit) {
      this.#paused = true;
      this.#transport.pause();
    }
  }

  #resumeReading(): void {
    if (!this.#paused || this.#transport === null) return;
    this.#paused = false;
    this.#transport.resume();
  }
}

const NEWLINE = new Uint8Array([0x0a]);

/** @internal `data` as bytes: a string is encoded as UTF-8. */
export function toBytes(data: unknown, action: string): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (typeof data === "string") return encoder.encode(data);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  throw new TypeError(
    `Cannot ${action}: expected a Uint8Array or a string, received ${reprValue(data)}`,
  );
}

/** @internal The limit option, checked. */
export function checkLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_LIMIT;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) {
    throw new RangeError(
      `Cannot make a StreamReader: limit must be a positive integer, received ${reprValue(limit)}`,
    );
  }
  return limit;
}

/** The index of `needle` in `haystack[from, to)`, or -1. */
function indexOf(haystack: Uint8Array, needle: Uint8Array, from: number, to: number): number {
  // A view ending at `to`: the native indexOf must not scan the spare room.
  const view = haystack.subarray(0, to);
  const first = needle[0];
  if (needle.length === 1) return view.indexOf(first, from);
  const last = to - needle.length;
  for (let i = view.indexOf(first, from); i !== -1 && i <= last; i = view.indexOf(first, i + 1)) {
    let j = 1;
    while (j < needle.length && haystack[i + j] === needle[j]) j++;
    if (j === needle.length) return i;
  }
  return -1;
}
