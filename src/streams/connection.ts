/**
 * Opening connections and serving them: `openConnection`,
 * `openUnixConnection`, `startServer`, `startUnixServer` and `Server`.
 * Python: the functions of `asyncio.streams` and `asyncio.Server`.
 *
 * Design note. Sockets are `node:net` (and `node:tls`) sockets, which both
 * Deno and Node have. A connect or a listen returns a Future settled by the
 * host's events; cancelling it destroys the socket or closes the server, so
 * nothing is left open. A server runs each client's `clientConnected` as a
 * Task of its loop, started by the host's `connection` event (creating a
 * task runs no user code: its first step is scheduled on the loop).
 *
 * TCP sockets are half-open capable (`allowHalfOpen`), as asyncio's are:
 * the peer's EOF ends the reader, and the writer stays usable until
 * `close()`. TLS sockets close when the peer does, as in asyncio.
 *
 * @module
 */

import net from "node:net";
import tls from "node:tls";
import { lstatSync, unlinkSync } from "node:fs";
import { RuntimeError } from "../errors.ts";
import { failedFuture, type Future } from "../futures.ts";
import type { EventLoop } from "../loop.ts";
import type { Task } from "../tasks.ts";
import { requireRunningLoop } from "../_running_loop.ts";
import { holdWhileOpen, IoFuture, settle } from "../_io_future.ts";
import { doneFuture } from "../_waits.ts";
import { formatAddress, hostCode, osError } from "../_os_errors.ts";
import { reprValue } from "../_repr.ts";
import { checkLimit, StreamReader } from "./reader.ts";
import {
  feedReader,
  type StartTlsOptions,
  streamError,
  StreamWriter,
  type TlsOptions,
  type WriterHost,
} from "./writer.ts";

/** TLS for a connection: `true` for the defaults (the system's CAs), or `node:tls` options. */
export type SslOption = boolean | TlsOptions;

/** Options for `openConnection()` and `openUnixConnection()`. */
export interface OpenConnectionOptions {
  /**
   * The reader's limit (see `StreamReader`).
   * @default 65536
   */
  limit?: number;
  /**
   * Connect over TLS: `true`, or `node:tls` connection options (`ca`,
   * `cert`, `key`, `rejectUnauthorized`, ...). Python: `ssl`.
   * @default false
   */
  ssl?: SslOption;
  /**
   * The name checked against the server's certificate (and sent as SNI).
   * Python: `server_hostname`.
   * @default the host
   */
  serverHostname?: string;
  /** The local address to connect from. Python: `local_addr[0]`. */
  localAddress?: string;
  /** The local port to connect from. Python: `local_addr[1]`. */
  localPort?: number;
}

/** The reader and the writer of a new connection. */
export type StreamPair = [StreamReader, StreamWriter];

/** A client connection's handler: may be an async function; it runs as a Task. */
export type ClientConnected = (
  reader: StreamReader,
  writer: StreamWriter,
) => unknown;

/** Options for `startServer()` and `startUnixServer()`. */
export interface StartServerOptions {
  /**
   * The limit of each client's reader.
   * @default 65536
   */
  limit?: number;
  /**
   * Serve TLS: `node:tls` server options (`key`, `cert`, ...). Python: `ssl`.
   * @default no TLS
   */
  ssl?: TlsOptions;
  /**
   * The listen queue's length. Python: `backlog`.
   * @default 100
   */
  backlog?: number;
  /**
   * Let several servers bind the same port (where the runtime supports it).
   * Python: `reuse_port`.
   * @default false
   */
  reusePort?: boolean;
  /**
   * Accept connections at once. With `false`, clients are held until
   * `startServing()` or `serveForever()`. Python: `start_serving`.
   * @default true
   */
  startServing?: boolean;
}

/** Where a server listens: a host and a port, or a Unix socket's path. */
export interface ServerSocket {
  /** The address (`"127.0.0.1"`, `"::"`), for TCP. */
  host?: string;
  /** The port, for TCP. */
  port?: number;
  /** `"IPv4"` or `"IPv6"`, for TCP. */
  family?: string;
  /** The socket file, for a Unix server. */
  path?: string;
}

/**
 * Open a TCP connection (TLS with `ssl`) to `host`:`port`.
 * Python: `asyncio.open_connection(host, port, ...)`.
 *
 * @returns A Future of `[reader, writer]`. It fails with
 * `ConnectionRefusedError`, `GaiError` (unknown host), `TimeoutError`, or
 * another `OSError`, each with the host's `code`. Cancelling it destroys
 * the socket.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   await using server = await startServer((_r, w) => w.close(), "127.0.0.1", 0);
 *   const [reader, writer] = await openConnection("127.0.0.1", server.sockets[0].port!);
 *   console.log((await reader.read()).length); // 0: the server closed at once
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export function openConnection(
  host: string,
  port: number,
  options: OpenConnectionOptions = {},
): Future<StreamPair> {
  const loop = requireRunningLoop();
  try {
    checkHost(host, "connect");
    checkPort(port, "connect");
    checkLimit(options.limit);
  } catch (error) {
    return failedFuture(loop, error);
  }
  const ssl = options.ssl ?? false;
  const address = formatAddress(host, port);
  let socket: net.Socket;
  try {
    socket = ssl === false
      ? net.connect({
        host,
        port,
        localAddress: options.localAddress,
        localPort: options.localPort,
        allowHalfOpen: true,
      })
      : tls.connect({
        ...(ssl === true ? {} : ssl),
        host,
        port,
        servername: options.serverHostname ?? (net.isIP(host) ? undefined : host),
        // Passed on to the TCP connect (node:tls's types omit it).
        ...{ localAddress: options.localAddress, localPort: options.localPort },
      } as tls.ConnectionOptions);
  } catch (error) {
    // Thrown at once (Deno without --allow-net): the Future reports it.
    return failedFuture(loop, error);
  }
  return connect(loop, socket, ssl !== false, options.limit, address);
}

/**
 * Open a connection to the Unix socket at `path`.
 * Python: `asyncio.open_unix_connection(path, ...)`.
 *
 * @returns A Future of `[reader, writer]`; it fails with
 * `FileNotFoundError` if nothing is at `path`, `ConnectionRefusedError` if
 * nothing listens there.
 */
export function openUnixConnection(
  path: string,
  options: Omit<OpenConnectionOptions, "localAddress" | "localPort"> = {},
): Future<StreamPair> {
  const loop = requireRunningLoop();
  try {
    checkPath(path, "connect");
    checkLimit(options.limit);
  } catch (error) {
    return failedFuture(loop, error);
  }
  const ssl = options.ssl ?? false;
  let socket: net.Socket;
  try {
    socket = ssl === false ? net.connect({ path, allowHalfOpen: true }) : tls.connect({
      ...(ssl === true ? {} : ssl),
      path,
      servername: options.serverHostname,
    } as tls.ConnectionOptions);
  } catch (error) {
    return failedFuture(loop, error);
  }
  return connect(loop, socket, ssl !== false, options.limit, `'${path}'`);
}

function connect(
  loop: EventLoop,
  socket: net.Socket,
  secure: boolean,
  limit: number | undefined,
  address: string,
): Future<StreamPair> {
  const future = new IoFuture<StreamPair>(loop, () => socket.destroy());
  const onError = (error: unknown) => {
    socket.destroy();
    const code = hostCode(error);
    const what = code === "ENOTFOUND" || code === "EAI_AGAIN"
      ? `Name or service not known ${address}`
      : `Connect call failed ${address}`;
    settle(future, true, osError(error, what));
  };
  socket.once("error", onError);
  socket.once(secure ? "secureConnect" : "connect", () => {
    socket.off("error", onError);
    if (future.done() || loop.isClosed()) {
      socket.destroy();
      return;
    }
    settle(future, false, wrapSocket(loop, socket, secure, limit));
  });
  return future;
}

/**
 * @internal A reader and a writer for a connected socket.
 */
export function wrapSocket(
  loop: EventLoop,
  socket: net.Socket,
  secure: boolean,
  limit: number | undefined,
): StreamPair {
  // An open connection is host work: the loop waits for its data.
  socket.once("close", holdWhileOpen(loop));
  const reader = new StreamReader({ limit });
  const host = new SocketHost(socket, secure, reader);
  host.detachReader = feedReader(socket, reader);
  return [reader, new StreamWriter(host, reader)];
}

/** A socket behind a writer. */
class SocketHost implements WriterHost {
  readonly destroyAfterFlush = true;
  detachReader: () => void = () => {};

  constructor(
    readonly stream: net.Socket,
    readonly secure: boolean,
    readonly reader: StreamReader,
  ) {}

  get canWriteEof(): boolean {
    return !this.secure;
  }

  extraInfo(name: string): unknown {
    const socket = this.stream;
    const unix = socket.remoteAddress === undefined && socket.remotePort === undefined;
    switch (name) {
      case "peername":
        return unix ? "" : [socket.remoteAddress, socket.remotePort];
      case "sockname":
        return unix ? (socket.address() as { address?: string }).address ?? "" : [
          socket.localAddress,
          socket.localPort,
        ];
      case "socket":
        return socket;
    }
    if (!this.secure) return undefined;
    const secure = socket as tls.TLSSocket;
    switch (name) {
      case "peercert":
        return secure.getPeerCertificate();
      case "cipher":
        return secure.getCipher();
      case "ssl_object":
      case "sslcontext":
        return secure;
    }
    return undefined;
  }

  abort(): void {
    const socket = this.stream as net.Socket & { resetAndDestroy?: () => void };
    if (typeof socket.resetAndDestroy === "function" && !socket.connecting) {
      socket.resetAndDestroy();
    } else socket.destroy();
  }

  startTls(writer: StreamWriter, options: StartTlsOptions): Future<void> {
    const loop = requireRunningLoop();
    const raw = this.stream;
    this.detachReader();
    const { serverHostname, serverSide, ...tlsOptions } = options;
    const secure = serverSide === true
      ? new tls.TLSSocket(raw, { ...tlsOptions, isServer: true } as tls.TLSSocketOptions)
      : tls.connect(
        { ...tlsOptions, socket: raw, servername: serverHostname } as tls.ConnectionOptions,
      );
    const host = new SocketHost(secure, true, this.reader);
    host.detachReader = feedReader(secure, this.reader);
    writer._replaceHost(host);
    const future = new IoFuture<void>(loop, () => secure.destroy());
    const onError = (error: unknown) => settle(future, true, streamError(error));
    secure.once("error", onError);
    secure.once(serverSide === true ? "secure" : "secureConnect", () => {
      secure.off("error", onError);
      settle(future, false, undefined);
    });
    return future;
  }
}

/**
 * Start a TCP server on `host`:`port` (port 0 picks a free port; read it
 * from `server.sockets`) that runs `clientConnected(reader, writer)` as a
 * Task for each client. Python: `asyncio.start_server(...)`.
 *
 * @param host The address to listen on; `null` for every interface.
 * @returns A Future of the listening `Server`. It fails with an `OSError`
 * (`EADDRINUSE`, `EACCES`, ...). Cancelling it closes the server.
 *
 * @example An echo server and one client
 * ```ts
 * import { openConnection, run, startServer } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     for await (const line of reader) writer.write(line);
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [reader, writer] = await openConnection("127.0.0.1", server.sockets[0].port!);
 *   writer.write("hello\n");
 *   console.log(new TextDecoder().decode(await reader.readline())); // "hello\n"
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export function startServer(
  clientConnected: ClientConnected,
  host: string | null,
  port: number,
  options: StartServerOptions = {},
): Future<Server> {
  const loop = requireRunningLoop();
  try {
    checkHandler(clientConnected);
    if (host !== null) checkHost(host, "start a server");
    checkPort(port, "start a server");
    checkServerOptions(options);
  } catch (error) {
    return failedFuture(loop, error);
  }
  const server = new Server(loop, clientConnected, options);
  const listen: net.ListenOptions & { reusePort?: boolean } = {
    port,
    backlog: options.backlog ?? 100,
  };
  if (host !== null) listen.host = host;
  if (options.reusePort) listen.reusePort = true;
  return server._listen(listen, formatAddress(host ?? "::", port));
}

/**
 * Start a server on the Unix socket at `path` (a stale socket file there
 * is replaced; the file is removed when the server closes).
 * Python: `asyncio.start_unix_server(...)`.
 *
 * @returns A Future of the listening `Server`.
 *
 * @example A Unix socket round trip
 * ```ts
 * import { openUnixConnection, run, startUnixServer } from "@asyncio-ts/asyncio";
 * import { tmpdir } from "node:os";
 * import { join } from "node:path";
 * await run(async () => {
 *   const path = join(tmpdir(), `asyncio-ts-doc-${Date.now()}.sock`);
 *   await using server = await startUnixServer(async (reader, writer) => {
 *     writer.write(await reader.readexactly(4));
 *     writer.close();
 *   }, path);
 *   const [reader, writer] = await openUnixConnection(path);
 *   writer.write("ping");
 *   console.log(new TextDecoder().decode(await reader.read())); // "ping"
 *   writer.close();
 *   await writer.waitClosed();
 * });
 * ```
 */
export function startUnixServer(
  clientConnected: ClientConnected,
  path: string,
  options: Omit<StartServerOptions, "reusePort"> = {},
): Future<Server> {
  const loop = requireRunningLoop();
  try {
    checkHandler(clientConnected);
    checkPath(path, "start a server");
    checkServerOptions(options);
    removeStaleSocket(path);
  } catch (error) {
    return failedFuture(loop, error);
  }
  const server = new Server(loop, clientConnected, options);
  return server._listen({ path, backlog: options.backlog ?? 100 }, `'${path}'`);
}

type ServerState = "listening" | "closed";

/**
 * A listening server. Python: `asyncio.Server`.
 *
 * `close()` stops accepting; `closeClients()` / `abortClients()` close the
 * open connections; `waitClosed()` waits until the server is closed and
 * every connection and every handler task has ended. `await using server`
 * does `close()` and `waitClosed()` at the end of the block. A server left
 * open keeps the host process alive after `run()` returns, as any open
 * `node:net` server does: close it.
 *
 * @example Serving until cancelled, then closing the clients
 * ```ts
 * import { createTask, run, sleep, startServer } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const server = await startServer(async (_reader, writer) => {
 *     writer.write("hello\n");
 *   }, "127.0.0.1", 0);
 *   const serving = createTask(() => server.serveForever());
 *   await sleep(0.01);
 *   serving.cancel(); // closes the server, as Ctrl-C in run() would
 *   server.closeClients();
 *   await server.waitClosed();
 *   console.log(server.isServing()); // false
 * });
 * ```
 */
export class Server {
  // Invariants: #writers are the open client connections (removed on the
  // socket's "close"); #tasks the handler tasks not done. #held are
  // connections accepted while not serving, started by startServing().
  // #closeWaiters settle once the state is "closed" and both sets are
  // empty.
  readonly #loop: EventLoop;
  readonly #handler: ClientConnected;
  readonly #options: StartServerOptions;
  readonly #server: net.Server;
  #state: ServerState = "listening";
  #serving: boolean;
  #held: net.Socket[] = [];
  readonly #writers = new Set<StreamWriter>();
  readonly #tasks = new Set<Task<unknown>>();
  #closeWaiters: IoFuture<void>[] = [];
  #forever: IoFuture<void> | null = null;
  // Ends the server's hold on the loop (see _listen).
  #closed: () => void = () => {};

  /** @internal Made by `startServer` and `startUnixServer`. */
  constructor(loop: EventLoop, handler: ClientConnected, options: StartServerOptions) {
    this.#loop = loop;
    this.#handler = handler;
    this.#options = options;
    this.#serving = options.startServing ?? true;
    const onSocket = (socket: net.Socket) => this.#accept(socket);
    this.#server = options.ssl === undefined
      ? net.createServer({ allowHalfOpen: true }, onSocket)
      : tls.createServer(options.ssl as tls.TlsOptions, onSocket);
  }

  /** @internal Listen; the Future is done once the server listens. */
  _listen(listen: net.ListenOptions, address: string): Future<Server> {
    const server = this.#server;
    const future = new IoFuture<Server>(this.#loop, () => this.close());
    const onError = (error: unknown) => {
      this.#state = "closed";
      server.close();
      settle(
        future,
        true,
        osError(error, `error while attempting to bind on address ${address}`),
      );
    };
    server.once("error", onError);
    try {
      server.listen(listen, () => {
        server.off("error", onError);
        // While it listens, the loop waits for connections, not deadlocked.
        this.#closed = holdWhileOpen(this.#loop);
        // Later errors of the listening socket (rare) must not go uncaught.
        server.on("error", () => {});
        settle(future, false, this);
      });
    } catch (error) {
      // Thrown at once (Deno without --allow-net): the Future reports it.
      server.off("error", onError);
      this.#state = "closed";
      settle(future, true, hostCode(error) === undefined ? error : osError(error, address));
    }
    return future;
  }

  /** The loop the server belongs to. Python: `get_loop()`. */
  getLoop(): EventLoop {
    return this.#loop;
  }

  /** Whether the server accepts connections now. Python: `is_serving()`. */
  isServing(): boolean {
    return this.#serving && this.#state === "listening";
  }

  /** Where the server listens (empty once it is closed). Python: `sockets`. */
  get sockets(): ServerSocket[] {
    if (this.#state === "closed") return [];
    const address = this.#server.address();
    if (address === null) return [];
    if (typeof address === "string") return [{ path: address }];
    return [{ host: address.address, port: address.port, family: address.family }];
  }

  /** Accept connections (those held since the start too). Python: `start_serving()`. */
  startServing(): void {
    if (this.#state === "closed") throw new RuntimeError(`server ${this} is closed`);
    if (this.#serving) return;
    this.#serving = true;
    const held = this.#held;
    this.#held = [];
    for (const socket of held) this.#accept(socket);
  }

  /**
   * Serve until cancelled: the Future never finishes by itself. Cancelling
   * it (a task's cancel, Ctrl-C in `run()`) closes the server; await
   * `waitClosed()` afterwards to wait for the connections.
   * Python: `serve_forever()`.
   *
   * @throws {RuntimeError} if the server is closed or already serving forever.
   */
  serveForever(): Future<void> {
    if (this.#forever !== null) {
      return failedFuture(
        this.#loop,
        new RuntimeError(`server ${this} is already being awaited on serve_forever()`),
      );
    }
    if (this.#state === "closed") {
      return failedFuture(this.#loop, new RuntimeError(`server ${this} is closed`));
    }
    this.startServing();
    const forever = new IoFuture<void>(this.#loop, () => {
      this.#forever = null;
      this.close();
    });
    this.#forever = forever;
    return forever;
  }

  /**
   * Stop listening. Open connections stay open (see `closeClients()`).
   * Idempotent. Python: `close()`.
   */
  close(): void {
    if (this.#state === "closed") return;
    this.#state = "closed";
    this.#closed();
    this.#serving = false;
    this.#server.close();
    const held = this.#held;
    this.#held = [];
    for (const socket of held) socket.destroy();
    const forever = this.#forever;
    this.#forever = null;
    if (forever !== null && !forever.done()) {
      forever.onCancel = null;
      forever.cancel();
    }
    this.#wakeUpIfDone();
  }

  /** Close every open client connection (after their buffered bytes). Python: `close_clients()`. */
  closeClients(): void {
    for (const writer of [...this.#writers]) writer.close();
  }

  /** Close every open client connection at once, dropping unsent bytes. Python: `abort_clients()`. */
  abortClients(): void {
    for (const writer of [...this.#writers]) writer._abort();
  }

  /**
   * Wait until the server is closed, every client connection is closed,
   * and every handler task is done. Python: `wait_closed()`.
   */
  waitClosed(): Future<void> {
    if (this.#isDone()) return doneFuture(this.#loop, undefined);
    const waiter: IoFuture<void> = new IoFuture<void>(this.#loop, () => {
      const index = this.#closeWaiters.indexOf(waiter);
      if (index !== -1) this.#closeWaiters.splice(index, 1);
    });
    this.#closeWaiters.push(waiter);
    return waiter;
  }

  /** `await using server`: `close()`, then `waitClosed()`. */
  [Symbol.asyncDispose](): PromiseLike<void> {
    this.close();
    return this.waitClosed();
  }

  /** The server's state for logs. */
  toString(): string {
    const where = this.sockets.map((s) => s.path ?? formatAddress(s.host, s.port)).join(", ");
    return `<Server ${this.#state}${where === "" ? "" : ` ${where}`}>`;
  }

  #accept(socket: net.Socket): void {
    const loop = this.#loop;
    if (this.#state === "closed" || loop.isClosed()) {
      socket.destroy();
      return;
    }
    if (!this.#serving) {
      this.#held.push(socket);
      socket.once("close", () => {
        const index = this.#held.indexOf(socket);
        if (index !== -1) this.#held.splice(index, 1);
      });
      return;
    }
    const [reader, writer] = wrapSocket(
      this.#loop,
      socket,
      this.#options.ssl !== undefined,
      this.#options.limit,
    );
    this.#writers.add(writer);
    socket.once("close", () => {
      this.#writers.delete(writer);
      this.#wakeUpIfDone();
    });
    const handler = this.#handler;
    const task = loop.createTask(() => handler(reader, writer));
    this.#tasks.add(task);
    task._addDoneCallback(() => {
      this.#tasks.delete(task);
      // As in asyncio: a handler that failed or was cancelled loses its
      // connection; one that returned leaves it to whoever holds the writer.
      if (task.cancelled()) writer.close();
      else {
        const error = task.exception();
        if (error !== null) {
          loop.callExceptionHandler({
            message: "Unhandled exception in client_connected_cb",
            exception: error,
            transport: socket,
          });
          writer.close();
        }
      }
      this.#wakeUpIfDone();
    });
  }

  #isDone(): boolean {
    return this.#state === "closed" && this.#writers.size === 0 && this.#tasks.size === 0;
  }

  #wakeUpIfDone(): void {
    if (!this.#isDone()) return;
    const waiters = this.#closeWaiters;
    this.#closeWaiters = [];
    for (const waiter of waiters) settle(waiter, false, undefined);
  }
}

// -- argument checks -------------------------------------------------------

function checkHost(host: unknown, action: string): void {
  if (typeof host !== "string" || host === "") {
    throw new TypeError(
      `Cannot ${action}: host must be a non-empty string, received ${reprValue(host)}`,
    );
  }
}

function checkPort(port: unknown, action: string): void {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(
      `Cannot ${action}: port must be an integer from 0 to 65535, received ${reprValue(port)}`,
    );
  }
}

function checkPath(path: unknown, action: string): void {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(
      `Cannot ${action}: path must be a non-empty string, received ${reprValue(path)}`,
    );
  }
}

function checkHandler(handler: unknown): void {
  if (typeof handler !== "function") {
    throw new TypeError(
      `Cannot start a server: clientConnected must be a function, received ${reprValue(handler)}`,
    );
  }
}

function checkServerOptions(options: StartServerOptions): void {
  checkLimit(options.limit);
  const backlog = options.backlog;
  if (backlog !== undefined && (!Number.isInteger(backlog) || backlog < 0)) {
    throw new RangeError(
      `Cannot start a server: backlog must be a non-negative integer, received ${
        reprValue(backlog)
      }`,
    );
  }
}

/** A socket file left by a server that did not close: Python removes it too. */
function removeStaleSocket(path: string): void {
  try {
    if (lstatSync(path).isSocket()) unlinkSync(path);
  } catch (error) {
    const code = hostCode(error);
    // No code: Deno's missing permission, whose message says what to do.
    if (code === undefined) throw error;
    if (code !== "ENOENT") throw osError(error, `Cannot use ${path}`);
  }
}
