import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  fromReadableStream,
  fromWritableStream,
  Queue,
  run,
  sleep,
  StreamReader,
  toReadableStream,
  toWritableStream,
  waitFor,
} from "../mod.ts";
import { failure } from "./_virtual.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe("toReadableStream()", () => {
  it("gives a reader's bytes until EOF", () =>
    run(async () => {
      const reader = new StreamReader();
      reader.feedData("hello ");
      createTask(async () => {
        await sleep(0);
        reader.feedData("world");
        reader.feedEof();
      });
      assert.equal(await new Response(toReadableStream(reader)).text(), "hello world");
      assert.equal(reader.atEof(), true);
    }));

  it("gives a queue's items until it is shut down and drained", () =>
    run(async () => {
      const queue = new Queue<number>();
      const producer = createTask(async () => {
        for (let i = 1; i <= 3; i++) await queue.put(i);
        queue.shutdown();
      });
      const seen: number[] = [];
      for await (const item of toReadableStream(queue)) seen.push(item);
      await producer;
      assert.deepEqual(seen, [1, 2, 3]);
    }));

  it("refuses anything else", () => {
    assert.throws(() => toReadableStream({} as never), TypeError);
  });
});

describe("toWritableStream()", () => {
  it("writes each chunk, waits for drain, and closes the writer", () =>
    run(async () => {
      const chunks: string[] = [];
      const writer = fromWritableStream(
        new WritableStream<Uint8Array>({ write: (chunk) => void chunks.push(text(chunk)) }),
      );
      const source = new ReadableStream<string>({
        start(controller) {
          for (const piece of ["a", "b", "c"]) controller.enqueue(piece);
          controller.close();
        },
      });
      await source.pipeThrough(new TextEncoderStream()).pipeTo(toWritableStream(writer));
      assert.equal(chunks.join(""), "abc");
      assert.equal(writer.isClosing(), true);
    }));

  it("refuses anything but a StreamWriter", () => {
    assert.throws(() => toWritableStream({} as never), TypeError);
  });
});

describe("fromReadableStream()", () => {
  it("reads lines of a Web stream", () =>
    run(async () => {
      const reader = fromReadableStream(new Response("one\ntwo\nthree").body!);
      assert.equal(text(await reader.readline()), "one\n");
      assert.equal(text(await reader.readuntil("\n")), "two\n");
      assert.equal(text(await reader.read()), "three");
      assert.equal(reader.atEof(), true);
    }));

  it("a timed-out read loses no byte", () =>
    run(async () => {
      let push!: (text: string) => void;
      const readable = new ReadableStream<string>({
        start(controller) {
          push = (piece) => controller.enqueue(piece);
        },
      });
      const reader = fromReadableStream(readable);
      push("par");
      const error = await failure(waitFor(reader.readline(), 0.05));
      assert.equal((error as Error).name, "TimeoutError");
      push("tial\n");
      assert.equal(text(await reader.readline()), "partial\n");
    }, { clock: "virtual" }));

  it("an error of the stream fails the waiting read", () =>
    run(async () => {
      const readable = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.error(new Error("body broke"));
        },
      });
      const reader = fromReadableStream(readable);
      const error = await failure(reader.read());
      assert.ok(error instanceof Error && !(error instanceof CancelledError));
    }));

  it("refuses anything but a ReadableStream", () =>
    run(() => {
      assert.throws(() => fromReadableStream("x" as never), TypeError);
      assert.throws(() => fromWritableStream("x" as never), TypeError);
    }));
});
