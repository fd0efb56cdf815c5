// Errors and values across the Worker boundary: thrown errors, cloning, transfer.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { transferResult, withOptions, WorkerPoolExecutor } from "../mod.ts";
import { rebuildError } from "../src/executor/remote_error.ts";

describe("errors thrown in a job", () => {
  it("keep their class name, message, stack and cause", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(function failingJob() {
      class ParseError extends Error {
        constructor(message: string, options?: ErrorOptions) {
          super(message, options);
          this.name = "ParseError";
        }
      }
      throw new ParseError("bad input", { cause: new RangeError("line 3") });
    });
    await assert.rejects(Promise.resolve(job), (error: Error) => {
      assert.ok(error instanceof Error);
      assert.equal(error.name, "ParseError");
      assert.equal(error.message, "bad input");
      assert.match(String(error.stack), /failingJob/, "the Worker's stack");
      assert.ok(error.cause instanceof RangeError);
      assert.equal((error.cause as Error).message, "line 3");
      assert.equal(Object.keys(error).includes("name"), false, "name is not enumerable");
      return true;
    });
  });

  it("come back as the built-in class of that name", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    await assert.rejects(
      Promise.resolve(pool.submit(() => {
        throw new TypeError("wrong type");
      })),
      TypeError,
    );
  });

  it("keep their own properties, such as code", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => {
      throw Object.assign(new Error("no such file"), { code: "ENOENT", errno: -2 });
    });
    await assert.rejects(Promise.resolve(job), {
      message: "no such file",
      code: "ENOENT",
      errno: -2,
    });
  });

  it("keep an AggregateError's errors", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => {
      throw new AggregateError([new TypeError("a"), new RangeError("b")], "two failed");
    });
    await assert.rejects(Promise.resolve(job), (error: AggregateError) => {
      assert.ok(error instanceof AggregateError);
      assert.equal(error.errors.length, 2);
      assert.ok(error.errors[0] instanceof TypeError);
      assert.ok(error.errors[1] instanceof RangeError);
      return true;
    });
  });

  it("may be any value, which comes back as is", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => {
      throw { status: 418 };
    });
    await assert.rejects(Promise.resolve(job), (value) => {
      assert.deepEqual(value, { status: 418 });
      return true;
    });
  });

  it("may be null or undefined, which the job rejects with exactly", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    for (const thrown of [null, undefined]) {
      const job = pool.submit((value: null | undefined) => {
        throw value;
      }, thrown);
      await assert.rejects(Promise.resolve(job), (value) => {
        assert.equal(value, thrown);
        return true;
      });
    }
  });

  it("of a rejected async job come back the same way", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(async () => {
      await null;
      throw new SyntaxError("late");
    });
    await assert.rejects(Promise.resolve(job), SyntaxError);
  });
});

describe("rebuildError()", () => {
  it("gives an unknown class name to a plain Error", () => {
    const error = rebuildError({ error: true, name: "DOMException", message: "x" }) as Error;
    assert.equal(error.constructor, Error);
    assert.equal(error.name, "DOMException");
  });
});

describe("arguments and results", () => {
  it("a non-cloneable argument rejects with a clear TypeError; the pool keeps working", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit((f: unknown) => typeof f, () => 1);
    await assert.rejects(Promise.resolve(job), (error: Error) => {
      assert.equal(error.name, "TypeError");
      assert.match(error.message, /^Cannot send the arguments of <anonymous>\(\) to a Worker: /);
      assert.match(error.message, /structured-cloneable/);
      assert.ok(error.cause !== undefined);
      return true;
    });
    assert.equal(await pool.submit((x: number) => x + 1, 1), 2);
  });

  it("a non-cloneable argument among pipelined jobs fails alone", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const id = (x: unknown) => typeof x;
    await pool.submit(id, 0); // measured short: later calls are pipelined in batches
    const args: unknown[] = [1, 2, Symbol("no"), 4, 5];
    const settled = await Promise.allSettled(args.map((x) => Promise.resolve(pool.submit(id, x))));
    assert.deepEqual(settled.map((s) => s.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
      "fulfilled",
    ]);
  });

  it("a non-cloneable argument sent alone does not strand the jobs queued behind it", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    // 2 ms at least: never pipelined, so each job goes to the Worker alone.
    const slow = (x: unknown) => {
      const start = performance.now();
      while (performance.now() - start < 2) { /* long enough not to be pipelined */ }
      return typeof x;
    };
    const jobs = [1, Symbol("no"), 3].map((x) => Promise.resolve(pool.submit(slow, x)));
    const settled = await Promise.allSettled(jobs);
    assert.deepEqual(settled.map((s) => s.status), ["fulfilled", "rejected", "fulfilled"]);
  });

  it("a non-cloneable result rejects with a clear TypeError; the pool keeps working", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => () => 1);
    await assert.rejects(Promise.resolve(job), {
      name: "TypeError",
      message: /^Cannot send the result of the job back from the Worker/,
    });
    assert.equal(await pool.submit(() => "still here"), "still here");
  });

  it("structured clone keeps Maps, Dates, typed arrays and cycles", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const cyclic: { self?: unknown; when: Date } = { when: new Date(0) };
    cyclic.self = cyclic;
    const out = await pool.submit(
      (m: Map<string, number>, c: typeof cyclic, bytes: Uint8Array) => ({
        sum: [...m.values()].reduce((a, b) => a + b, 0),
        cyclic: c.self === c,
        year: c.when.getUTCFullYear(),
        bytes: bytes.length,
      }),
      new Map([["a", 1], ["b", 2]]),
      cyclic,
      new Uint8Array(3),
    );
    assert.deepEqual(out, { sum: 3, cyclic: true, year: 1970, bytes: 3 });
  });

  it("a transfer list moves buffers to the Worker instead of copying them", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const buffer = new Uint8Array([1, 2, 3, 4]).buffer;
    const sum = (b: ArrayBuffer) => new Uint8Array(b).reduce((a, x) => a + x, 0);
    assert.equal(await pool.submit(withOptions(sum, { transfer: [buffer] }), buffer), 10);
    assert.equal(buffer.byteLength, 0, "detached in the caller");
  });

  it("transferResult() moves buffers back from the Worker", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit((n: number) => {
      const bytes = new Uint8Array(n).fill(7);
      (globalThis as { kept?: Uint8Array }).kept = bytes;
      return transferResult(bytes, [bytes.buffer]);
    }, 1024);
    const bytes = await job;
    assert.equal(bytes.length, 1024);
    assert.equal(bytes[1023], 7);
    // The same Worker kept a reference: moved, so it is detached there.
    const left = await pool.submit(() => (globalThis as { kept?: Uint8Array }).kept!.byteLength);
    assert.equal(left, 0);
  });

  it("transferResult() returns its value unchanged outside a Worker", () => {
    const value = { a: 1 };
    assert.equal(transferResult(value, []), value);
  });

  it("a SharedArrayBuffer is shared, not copied", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const shared = new Int32Array(new SharedArrayBuffer(4));
    await pool.submit((cell: Int32Array) => {
      Atomics.add(cell, 0, 5);
    }, shared);
    assert.equal(Atomics.load(shared, 0), 5);
  });
});
