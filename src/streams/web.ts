/**
 * Bridges to the platform's Web Streams: a `StreamReader` or a `Queue` as a
 * `ReadableStream`, a `StreamWriter` as a `WritableStream`, and readers and
 * writers made from Web Streams, so that asyncio-ts code plugs into `fetch`
 * bodies, `Deno.serve`, `Response` and Node's `stream/web`.
 *
 * Design note. Toward the Web side, each `pull`/`write` is one library wait
 * (`read()`, `get()`, `drain()`), awaited by the host's stream machinery:
 * the Web stream's own queue is kept at one chunk (`highWaterMark` 0 or 1),
 * so back-pressure stays where asyncio puts it. From the Web side, a
 * `ReadableStream` or `WritableStream` becomes a Node stream
 * (`Readable.fromWeb`, `Writable.fromWeb`, on Deno and Node alike) and then
 * a reader or a writer as for a pipe; while it is open, the loop counts it
 * as host work.
 *
 * @module
 */

import { Readable, Writable } from "node:stream";
import { QueueShutDown } from "../errors.ts";
import { Queue } from "../queues.ts";
import { requireRunningLoop } from "../_running_loop.ts";
import { holdWhileOpen } from "../_io_future.ts";
import { type BytesLike, StreamReader, type StreamReaderOptions } from "./reader.ts";
import { feedReader, StreamWriter, type WriterHost } from "./writer.ts";

/** How many bytes one `pull` of a reader's ReadableStream asks for at most. */
const CHUNK = 2 ** 16;

/**
 * A `ReadableStream` of what `source` gives: a reader's bytes (until EOF),
 * or a queue's items (until it is shut down and drained). Each pull is one
 * `read()` or `get()`; cancelling the stream stops pulling (a reader is left
 * as it is; a queue is not shut down). Call it, and read the stream, while
 * the loop runs.
 *
 * @example A queue of lines as a Response body
 * ```ts
 * import { Queue, run, toReadableStream } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const lines = new Queue<string>();
 *   lines.putNowait("hello\n");
 *   lines.putNowait("world\n");
 *   lines.shutdown();
 *   const body = toReadableStream(lines).pipeThrough(new TextEncoderStream());
 *   console.log(await new Response(body).text()); // hello\nworld\n
 * });
 * ```
 */
export function toReadableStream(source: StreamReader): ReadableStream<Uint8Array>;
/** The items of `queue`, until it is shut down and drained. */
export function toReadableStream<T>(source: Queue<T>): ReadableStream<T>;
export function toReadableStream<T>(
  source: StreamReader | Queue<T>,
): ReadableStream<Uint8Array | T> {
  if (source instanceof StreamReader) {
    return new ReadableStream<Uint8Array>({
      async pull(controller) {
        const chunk = await source.read(CHUNK);
        if (chunk.length === 0) controller.close();
        else controller.enqueue(chunk);
      },
    }, { highWaterMark: 0 });
  }
  if (source instanceof Queue) {
    return new ReadableStream<T>({
      async pull(controller) {
        try {
          controller.enqueue(await source.get());
        } catch (error) {
          if (!(error instanceof QueueShutDown)) throw error;
          controller.close();
        }
      },
    }, { highWaterMark: 0 });
  }
  throw new TypeError(
    `Cannot make a ReadableStream: expected a StreamReader or a Queue, received ${typeof source}`,
  );
}

/**
 * A `WritableStream` that writes to `writer`: each chunk is `write()` then
 * `drain()` (so the Web side waits while the host's buffer is full),
 * closing it closes the writer and waits until it is closed, aborting it
 * aborts the writer's transport.
 *
 * @example
 * ```ts
 * import { openConnection, run, startServer, toWritableStream } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   await using server = await startServer(async (reader, writer) => {
 *     console.log(new TextDecoder().decode(await reader.readline())); // hi
 *     writer.close();
 *   }, "127.0.0.1", 0);
 *   const [, writer] = await openConnection("127.0.0.1", server.sockets[0].port!);
 *   await ReadableStream.from(["hi\n"]).pipeThrough(new TextEncoderStream())
 *     .pipeTo(toWritableStream(writer));
 * });
 * ```
 */
export function toWritableStream(writer: StreamWriter): WritableStream<BytesLike> {
  if (!(writer instanceof StreamWriter)) {
    throw new TypeError(
      `Cannot make a WritableStream: expected a StreamWriter, received ${typeof writer}`,
    );
  }
  return new WritableStream<BytesLike>({
    async write(chunk) {
      writer.write(chunk);
      await writer.drain();
    },
    async close() {
      writer.close();
      await writer.waitClosed();
    },
    abort() {
      writer._abort();
    },
  }, { highWaterMark: 1 });
}

/**
 * A `StreamReader` fed from `readable` (bytes, or strings taken as UTF-8),
 * for `readline()`, `readuntil()` and the rest on a `fetch` body or any Web
 * stream. Reading it pauses `readable` while more than twice the limit is
 * buffered. Call it while the loop runs.
 *
 * @example Lines of a response body
 * ```ts
 * import { fromReadableStream, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const reader = fromReadableStream(new Response("one\ntwo\n").body!);
 *   for await (const line of reader) console.log(new TextDecoder().decode(line).trimEnd());
 *   // one, two
 * });
 * ```
 */
export function fromReadableStream(
  readable: ReadableStream<BytesLike>,
  options: StreamReaderOptions = {},
): StreamReader {
  if (!(readable instanceof ReadableStream)) {
    throw new TypeError(
      `Cannot make a StreamReader: expected a ReadableStream, received ${typeof readable}`,
    );
  }
  const loop = requireRunningLoop();
  const reader = new StreamReader(options);
  const stream = Readable.fromWeb(readable as never);
  stream.once("close", holdWhileOpen(loop));
  feedReader(stream, reader);
  reader._setTransport({ pause: () => stream.pause(), resume: () => stream.resume() });
  return reader;
}

/**
 * A `StreamWriter` that writes to `writable`; `drain()` waits while
 * `writable` pushes back, `close()` closes it. Call it while the loop runs.
 *
 * @example
 * ```ts
 * import { fromWritableStream, run } from "@asyncio-ts/asyncio";
 * await run(async () => {
 *   const chunks: string[] = [];
 *   const writer = fromWritableStream(new WritableStream<Uint8Array>({
 *     write: (chunk) => void chunks.push(new TextDecoder().decode(chunk)),
 *   }));
 *   writer.write("hello");
 *   writer.close();
 *   await writer.waitClosed();
 *   console.log(chunks.join("")); // hello
 * });
 * ```
 */
export function fromWritableStream(writable: WritableStream<Uint8Array>): StreamWriter {
  if (!(writable instanceof WritableStream)) {
    throw new TypeError(
      `Cannot make a StreamWriter: expected a WritableStream, received ${typeof writable}`,
    );
  }
  const loop = requireRunningLoop();
  const stream = Writable.fromWeb(writable as never);
  stream.once("close", holdWhileOpen(loop));
  return new StreamWriter(new WebStreamHost(stream), null);
}

/** A Node stream over a Web WritableStream, behind a writer. */
class WebStreamHost implements WriterHost {
  readonly canWriteEof = true;
  readonly destroyAfterFlush = false;

  constructor(readonly stream: Writable) {}

  extraInfo(): unknown {
    return undefined;
  }

  abort(): void {
    this.stream.destroy();
  }
}
