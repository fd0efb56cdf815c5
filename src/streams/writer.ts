/**
 * `StreamWriter`: the writing side of a connection or a pipe, and the
 * wiring that delivers a host stream's events to a reader and a writer.
 * Python: `asyncio.StreamWriter`.
 *
 * Design note. Writing is synchronous: `write()` hands the bytes to the host
 * stream, which buffers them. `drain()` is the back-pressure point: while
 * the host stream reports its buffer above its high-water mark (its
 * `write()` returned false), `drain()` waits for the host's `drain` event.
 * Host events only settle Futures (see `_io_future.ts`).
 *
 * @module
 */

import type { Duplex, Readable, Writable } from "node:stream";
import { ConnectionResetError, RuntimeError } from "../errors.ts";
import { failedFuture, type Future } from "../futures.ts";
import { requireRunningLoop } from "../_running_loop.ts";
import { IoFuture, settle } from "../_io_future.ts";
import { doneFuture } from "../_waits.ts";
import { hostCode, osError } from "../_os_errors.ts";
import { type BytesLike, type StreamReader, toBytes } from "./reader.ts";

/** @internal How a writer reaches what is behind it. */
export interface WriterHost {
  /** The stream written to. */
  stream: Writable;
  /** Whether `writeEof()` is possible (false over TLS). */
  canWriteEof: boolean;
  /** Values for `getExtraInfo(name)`. */
  extraInfo(name: string): unknown;
  /** Whether `close()` destroys the stream once its bytes are flushed (sockets; a pipe closes by itself). */
  destroyAfterFlush: boolean;
  /** `abort()`: drop buffered bytes and close at once. */
  abort(): void;
  /** `startTls()`, where the stream is a socket. */
  startTls?(writer: StreamWriter, options: StartTlsOptions): Future<void>;
}

/**
 * TLS options as `node:tls` takes them: the usual ones typed here (so the
 * package's types need no `@types/node`), any other passed through.
 */
export interface TlsOptions {
  /** Certificates of the authorities to trust (PEM), instead of the system's. */
  ca?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** This side's certificate chain (PEM). */
  cert?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** This side's private key (PEM). */
  key?: string | Uint8Array | readonly (string | Uint8Array)[];
  /** The key's passphrase. */
  passphrase?: string;
  /**
   * Whether a peer certificate that does not check out fails the handshake.
   * @default true
   */
  rejectUnauthorized?: boolean;
  /** The protocols to offer through ALPN, most wanted first. */
  ALPNProtocols?: readonly string[];
  /** Any other `node:tls` option. */
  [option: string]: unknown;
}

/** Options for `writer.startTls()`: TLS options, plus Python's names. */
export interface StartTlsOptions extends TlsOptions {
  /** The name checked against the server's certificate. Python: `server_hostname`. */
  serverHostname?: string;
  /**
   * Take the server's side of the handshake (with `key` and `cert`).
   * @default false
   */
  serverSide?: boolean;
}

/**
 * The writing side of a stream. Python: `asyncio.StreamWriter`.
 *
 * `write()` never waits; `await writer.drain()` after writes waits while
 * the bytes handed over are more than the host buffers (back-pressure).
 * The bytes of a `Uint8Array` are not copied: do not change them before
 * `drain()` returns.
 *
 * @example A client that sends a line and reads the answer
 * ```ts
 * import { openConnection, run, startServer } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const server = await startServer(async (reader, writer) => {
 *     writer.write(await reader.readline());
 *     await writer.drain();
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [reader, writer] = await openConnection("127.0.0.1", server.sockets[0].port!);
 *   writer.write("ping\n");
 *   await writer.drain();
 *   console.log(new TextDecoder().decode(await reader.readline())); // "ping\n"
 *   writer.close();
 *   await writer.waitClosed();
 *   server.close();
 *   await server.waitClosed();
 * });
 * ```
 */
export class StreamWriter {
  // Invariants: #closing is set by close() and stays; #closed once the host
  // stream emitted "close" (#lostError is the error it died of, if any).
  // #needDrain is true from a write() the host refused to buffer freely
  // until its "drain"; #drainWaiters are pending only while it is.
  #host: WriterHost;
  readonly #reader: StreamReader | null;
  #closing = false;
  #eofWritten = false;
  #closed = false;
  #lostError: unknown = undefined;
  #needDrain = false;
  #drained: Future<void> | null = null;
  #drainWaiters: IoFuture<void>[] = [];
  #closeWaiters: IoFuture<void>[] = [];
  #detach: () => void;

  /** @internal Made by `openConnection`, `startServer` and the subprocess functions. */
  constructor(host: WriterHost, reader: StreamReader | null) {
    this.#host = host;
    this.#reader = reader;
    this.#detach = this.#listen(host.stream);
  }

  /**
   * The host stream written to: a `node:net` Socket, a child's stdin (a
   * Node `Writable`, typed `object` so that the package's types need no
   * `@types/node`). Python: `transport`.
   */
  get transport(): object {
    return this.#host.stream;
  }

  /**
   * Write `data` (a string is written as UTF-8). Python: `write(data)`.
   *
   * @throws {RuntimeError} after `writeEof()` or `close()`.
   * @throws {TypeError} if `data` is neither bytes nor a string.
   */
  write(data: BytesLike): void {
    if (this.#eofWritten) throw new RuntimeError("Cannot call write() after write_eof()");
    if (this.#closing) throw new RuntimeError("Cannot write: the writer is closed");
    const bytes = toBytes(data, "write");
    // Python drops writes to a lost connection; drain() reports the loss.
    if (this.#closed || bytes.length === 0) return;
    if (!this.#host.stream.write(bytes)) this.#needDrain = true;
  }

  /** Write each of `lines` in order. Python: `writelines(data)`. */
  writelines(lines: Iterable<BytesLike>): void {
    for (const line of lines) this.write(line);
  }

  /**
   * Wait until the host can take more bytes. Python: `drain()`.
   *
   * @returns A Future, done at once when the host's buffer is below its
   * high-water mark. It fails with the reader's error if the connection
   * failed; a drain waiting when the connection is lost fails with the
   * error it died of (`BrokenPipeError`, ...), a later one with
   * `ConnectionResetError("Connection lost")`.
   */
  drain(): Future<void> {
    const loop = requireRunningLoop();
    const readerError = this.#reader?.exception();
    if (readerError !== undefined) return failedFuture(loop, readerError);
    // As Python: a drain() waiting when the connection died gets its error;
    // one started after gets this.
    if (this.#closed) return failedFuture(loop, new ConnectionResetError("Connection lost"));
    if (!this.#needDrain) {
      // One done Future serves every drain() that need not wait (most do).
      let drained = this.#drained;
      if (drained === null || drained.getLoop() !== loop) {
        drained = this.#drained = doneFuture(loop, undefined);
      }
      return drained;
    }
    const waiter: IoFuture<void> = new IoFuture<void>(
      loop,
      () => remove(this.#drainWaiters, waiter),
    );
    this.#drainWaiters.push(waiter);
    return waiter;
  }

  /** Whether `writeEof()` is supported (not over TLS). Python: `can_write_eof()`. */
  canWriteEof(): boolean {
    return this.#host.canWriteEof;
  }

  /**
   * Close the writing half once the buffered bytes are sent; the reading
   * half stays open. Python: `write_eof()`.
   *
   * @throws {RuntimeError} if the stream cannot (see `canWriteEof()`).
   */
  writeEof(): void {
    if (!this.#host.canWriteEof) throw new RuntimeError("Cannot write EOF: not supported over TLS");
    if (this.#eofWritten || this.#closing) return;
    this.#eofWritten = true;
    this.#host.stream.end();
  }

  /**
   * Close the stream once the buffered bytes are sent (it is then closed
   * for reading too). Idempotent. Python: `close()`.
   */
  close(): void {
    if (this.#closing) return;
    this.#closing = true;
    const stream = this.#host.stream;
    if (this.#closed) return;
    if (this.#host.destroyAfterFlush) {
      if (stream.writableFinished) stream.destroy();
      else {
        stream.once("finish", () => stream.destroy());
        if (!this.#eofWritten) stream.end();
      }
    } else if (!this.#eofWritten) stream.end();
  }

  /** @internal Close at once, dropping unsent bytes (Python: `transport.abort()`). */
  _abort(): void {
    this.#closing = true;
    if (!this.#closed) this.#host.abort();
  }

  /** Whether `close()` was called or the stream is closed. Python: `is_closing()`. */
  isClosing(): boolean {
    return this.#closing || this.#closed;
  }

  /**
   * Wait until the stream is closed. Python: `wait_closed()`.
   *
   * @returns A Future; it fails with the error the connection died of, if
   * it died of one.
   */
  waitClosed(): Future<void> {
    const loop = requireRunningLoop();
    if (this.#closed) {
      const error = this.#lostError;
      return error === undefined ? doneFuture(loop, undefined) : failedFuture(loop, error);
    }
    const waiter: IoFuture<void> = new IoFuture<void>(
      loop,
      () => remove(this.#closeWaiters, waiter),
    );
    this.#closeWaiters.push(waiter);
    return waiter;
  }

  /**
   * Information about the connection: `"peername"` and `"sockname"` (an
   * address as `[host, port]`, or a path for Unix sockets), `"socket"`
   * (the host socket), over TLS `"peercert"`, `"cipher"`, `"ssl_object"`
   * (the `TLSSocket`). Python: `get_extra_info(name, default=None)`.
   */
  getExtraInfo<T = unknown>(name: string, defaultValue?: T): T | unknown {
    const value = this.#host.extraInfo(name);
    return value === undefined ? defaultValue : value;
  }

  /**
   * Upgrade the connection to TLS; reads and writes go through TLS once
   * the Future is done. Python: `start_tls(sslcontext, *, server_hostname)`.
   *
   * @returns A Future done after the handshake; it fails with the
   * handshake's error. Cancelling it closes the connection.
   */
  startTls(options: StartTlsOptions = {}): Future<void> {
    const loop = requireRunningLoop();
    const upgrade = this.#host.startTls;
    if (upgrade === undefined || this.isClosing()) {
      return failedFuture(
        loop,
        new RuntimeError("Cannot start TLS: the stream is not an open socket"),
      );
    }
    return upgrade.call(this.#host, this, options);
  }

  /** @internal The stream behind this writer was replaced (`startTls`). */
  _replaceHost(host: WriterHost): void {
    this.#detach();
    this.#host = host;
    this.#detach = this.#listen(host.stream);
  }

  /** The writer's state for logs. */
  toString(): string {
    const state = this.#closed ? " closed" : this.#closing ? " closing" : "";
    return `<StreamWriter${state}>`;
  }

  #listen(stream: Writable): () => void {
    const onDrain = () => {
      this.#needDrain = false;
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const waiter of waiters) settle(waiter, false, undefined);
    };
    const onError = (error: unknown) => {
      this.#lostError ??= streamError(error);
    };
    const onClose = () => {
      this.#closed = true;
      const lost = this.#lostError;
      const drainWaiters = this.#drainWaiters;
      const closeWaiters = this.#closeWaiters;
      this.#drainWaiters = [];
      this.#closeWaiters = [];
      for (const waiter of drainWaiters) {
        settle(waiter, true, lost ?? new ConnectionResetError("Connection lost"));
      }
      for (const waiter of closeWaiters) settle(waiter, lost !== undefined, lost);
    };
    stream.on("drain", onDrain);
    stream.on("error", onError);
    stream.on("close", onClose);
    return () => {
      stream.off("drain", onDrain);
      stream.off("error", onError);
      stream.off("close", onClose);
    };
  }
}

// Python's strerror for the codes a live stream dies of.
const STRERROR: Record<string, string> = {
  ECONNRESET: "Connection reset by peer",
  EPIPE: "Broken pipe",
  ETIMEDOUT: "Connection timed out",
  ECONNABORTED: "Software caused connection abort",
};

/** @internal A host stream's error as Python's class for it. */
export function streamError(error: unknown): Error {
  const code = hostCode(error);
  const what = (code !== undefined ? STRERROR[code] : undefined) ??
    (error instanceof Error ? error.message : String(error));
  return osError(error, what);
}

/**
 * @internal Deliver the data, end and errors of `stream` (and of `other`,
 * merged in: a child's stderr sent to its stdout) to `reader`, and let the
 * reader pause and resume them. The reader sees EOF once every stream
 * ended. Returns a function that undoes this.
 */
export function feedReader(
  stream: Readable | Duplex,
  reader: StreamReader,
  other: Readable | null = null,
): () => void {
  const streams = other === null ? [stream] : [stream, other];
  let open = streams.length;
  const onData = (chunk: Uint8Array | string) => {
    if (readerDone(reader)) return;
    if (typeof chunk === "string") reader.feedData(chunk);
    else reader._feedHostData(chunk);
  };
  const onError = (error: unknown) => {
    if (!readerDone(reader)) reader.setException(streamError(error));
  };
  const detachers = streams.map((each) => {
    let ended = false;
    const onEnd = () => {
      if (ended) return;
      ended = true;
      if (--open === 0 && !readerDone(reader)) reader.feedEof();
    };
    each.on("data", onData);
    each.on("end", onEnd);
    each.on("error", onError);
    each.on("close", onEnd);
    return () => {
      each.off("data", onData);
      each.off("end", onEnd);
      each.off("error", onError);
      each.off("close", onEnd);
    };
  });
  reader._setTransport({
    pause: () => streams.forEach((each) => each.pause()),
    resume: () => streams.forEach((each) => each.resume()),
  });
  return () => {
    for (const detach of detachers) detach();
    reader._setTransport(null);
  };
}

function readerDone(reader: StreamReader): boolean {
  return reader.exception() !== undefined || reader._eofFed();
}

function remove<T>(list: T[], item: T): void {
  const index = list.indexOf(item);
  if (index !== -1) list.splice(index, 1);
}
