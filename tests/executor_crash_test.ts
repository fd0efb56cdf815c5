// Crash recovery: a Worker that dies fails only its own job; start-up failures stop.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BrokenExecutorError,
  moduleFunction,
  withOptions,
  WorkerCrashedError,
  WorkerPoolExecutor,
} from "../mod.ts";
import { MAX_STARTUP_FAILURES } from "../src/executor/pool.ts";
import { fixture } from "./fixtures/run_script.ts";

const isDeno = "Deno" in globalThis;
/** Runtimes whose Workers ignore `resourceLimits`: there the hoarding job would eat the host's memory. */
const noResourceLimits = isDeno
  ? "Deno 2.9.6 does not enforce resourceLimits (see backend.ts)"
  : "Bun" in globalThis && "Bun 1.4.5 does not enforce resourceLimits (the Worker grows unbounded)";

/** Throws outside the job (from a timer), so the error is uncaught in the Worker. */
const throwOutsideTheJob = () => {
  setTimeout(() => {
    throw new TypeError("thrown at the Worker's top level");
  }, 0);
  return new Promise(() => {}); // the job itself never settles
};

describe("a crashing Worker", () => {
  it("fails its job with WorkerCrashedError on an uncaught error; the pool replaces it", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    await assert.rejects(Promise.resolve(pool.submit(throwOutsideTheJob)), (error: Error) => {
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(error.message, /^The Worker running throwOutsideTheJob\(\) died: /);
      assert.match(error.message, /thrown at the Worker's top level/);
      return true;
    });
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it("fails its job when the job calls process.exit()", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => {
      (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(3);
    });
    await assert.rejects(Promise.resolve(job), {
      name: "WorkerCrashedError",
      message: /exit code 3|exited with code 3/,
    });
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it("fails its job when the job calls Deno.exit()", { skip: !isDeno && "Deno only" }, async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => {
      (globalThis as unknown as { Deno: { exit(code: number): never } }).Deno.exit(4);
    });
    await assert.rejects(Promise.resolve(job), { name: "WorkerCrashedError", message: /code 4/ });
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it("fails its job when the job calls close()", { skip: !isDeno && "Deno only" }, async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => {
      (globalThis as unknown as { close(): void }).close();
      return new Promise(() => {});
    });
    await assert.rejects(Promise.resolve(job), WorkerCrashedError);
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it(
    "fails its job when the Worker runs out of memory (resourceLimits)",
    { skip: noResourceLimits },
    async () => {
      await using pool = new WorkerPoolExecutor({
        maxWorkers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      });
      const job = pool.submit(() => {
        const hoard: unknown[] = [];
        for (let i = 0;; i++) hoard.push({ i, text: `item ${i}` });
      });
      await assert.rejects(Promise.resolve(job), (error: Error) => {
        assert.ok(error instanceof WorkerCrashedError);
        assert.match(error.message, /memory/i);
        return true;
      });
      assert.equal(await pool.submit(() => "replaced"), "replaced");
    },
  );

  it("among pipelined jobs, fails only the one that exited; each job runs once", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const runs = new Int32Array(new SharedArrayBuffer(4 * 10));
    const exitAtFive = (x: number, counts: Int32Array) => {
      Atomics.add(counts, x, 1);
      if (x === 5) {
        (globalThis as unknown as { process: { exit(code: number): never } }).process.exit(3);
      }
      return x;
    };
    await pool.submit(exitAtFive, 0, new Int32Array(10)); // measured short: the next ones go in one batch
    const jobs = Array.from({ length: 10 }, (_, x) => pool.submit(exitAtFive, x, runs));
    const settled = await Promise.allSettled(jobs.map((job) => Promise.resolve(job)));
    settled.forEach((result, x) => {
      if (x !== 5) assert.deepEqual(result, { status: "fulfilled", value: x });
      else assert.ok(result.status === "rejected" && result.reason instanceof WorkerCrashedError);
    });
    assert.deepEqual(Array.from(runs), Array(10).fill(1), "each job ran exactly once");
  });

  it(
    "among pipelined jobs, an out-of-memory crash fails the running job and reruns none",
    { skip: noResourceLimits },
    async () => {
      await using pool = new WorkerPoolExecutor({
        maxWorkers: 1,
        resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
      });
      const runs = new Int32Array(new SharedArrayBuffer(4 * 10));
      const hoardAtFive = (x: number, counts: Int32Array) => {
        Atomics.add(counts, x, 1);
        const hoard: unknown[] = [];
        while (x === 5) hoard.push({ x, text: `item ${hoard.length}` });
        return x;
      };
      await pool.submit(hoardAtFive, 0, new Int32Array(10));
      const jobs = Array.from({ length: 10 }, (_, x) => pool.submit(hoardAtFive, x, runs));
      const settled = await Promise.allSettled(jobs.map((job) => Promise.resolve(job)));
      settled.forEach((result, x) => {
        if (x === 5) {
          assert.ok(result.status === "rejected" && result.reason instanceof WorkerCrashedError);
          assert.match(
            result.reason.message,
            /^The Worker running hoardAtFive\(\) died: .*memory/i,
          );
        } else if (x > 5 || result.status === "fulfilled") {
          assert.deepEqual(result, { status: "fulfilled", value: x });
        } else {
          // It ran, but its result was held back to go with the next ones, and lost.
          assert.ok(result.reason instanceof WorkerCrashedError);
          assert.match(result.reason.message, /died before it sent the result/);
        }
      });
      assert.deepEqual(Array.from(runs), Array(10).fill(1), "each job ran exactly once");
    },
  );

  it("delivers every result the Worker posted before it crashed", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    // x = -1: wait at the gate (cells[0]: started; cells[1]: go); x = -2: crash.
    const job = withOptions((x: number, cells: Int32Array) => {
      if (x === -1) {
        Atomics.store(cells, 0, 1);
        Atomics.wait(cells, 1, 0, 10_000);
      } else if (x === -2) {
        setTimeout(() => {
          throw new TypeError("thrown after 50 results were posted");
        }, 0);
        return new Promise(() => {});
      }
      return x;
    }, { timeout: 60 }); // with options, each result is posted at once
    const cells = new Int32Array(new SharedArrayBuffer(8));
    // Measured short (the first run counts its compiling too): the next jobs go together.
    for (let i = 0; i < 20; i++) await pool.submit(job, 0, cells);
    const gate = pool.submit(job, -1, cells);
    const jobs = Array.from({ length: 50 }, (_, x) => pool.submit(job, x, cells));
    const crash = pool.submit(job, -2, cells);
    // At least one turn: the jobs after the gate are sent in a microtask.
    do await new Promise((resolve) => setTimeout(resolve, 5)); while (Atomics.load(cells, 0) === 0);
    assert.equal(pool.queueSize, 0, "all of them are on the Worker");
    // Keep this thread busy while the Worker posts 50 results and crashes, so
    // that the results and the error all wait to be handled together.
    Atomics.store(cells, 1, 1);
    Atomics.notify(cells, 1);
    const start = performance.now();
    while (performance.now() - start < 200) { /* busy */ }
    assert.equal(await gate, -1);
    const settled = await Promise.allSettled(jobs.map((job) => Promise.resolve(job)));
    assert.deepEqual(
      settled.map((result) => result.status === "fulfilled" ? result.value : result.reason.message),
      Array.from({ length: 50 }, (_, x) => x),
    );
    await assert.rejects(Promise.resolve(crash), {
      name: "WorkerCrashedError",
      message: /thrown after 50 results were posted/,
    });
  });

  it("fails only the running job: the jobs queued behind it still run", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const crash = pool.submit(throwOutsideTheJob);
    const after = [1, 2, 3].map((n) => pool.submit((x: number) => x * 10, n));
    await assert.rejects(Promise.resolve(crash), WorkerCrashedError);
    assert.deepEqual(await Promise.all(after), [10, 20, 30]);
  });
});

describe("Worker start-up", () => {
  it("runs the initializer with initargs before the first job", async () => {
    await using pool = new WorkerPoolExecutor({
      maxWorkers: 1,
      initializer: (greeting: string) => {
        (globalThis as { greeting?: string }).greeting = greeting;
      },
      initargs: ["hello"],
    });
    assert.equal(await pool.submit(() => (globalThis as { greeting?: string }).greeting), "hello");
  });

  it("stops respawning after repeated failures, with BrokenExecutorError", async () => {
    const starts = new Int32Array(new SharedArrayBuffer(4));
    const pool = new WorkerPoolExecutor({
      maxWorkers: 1,
      initializer: (counter: Int32Array) => {
        Atomics.add(counter, 0, 1);
        throw new Error("no database");
      },
      initargs: [starts],
    });
    const job = pool.submit(() => "never runs");
    await assert.rejects(Promise.resolve(job), (error: Error) => {
      assert.ok(error instanceof BrokenExecutorError);
      assert.match(error.message, /3 start-up failures in a row/);
      assert.match(error.message, /no database/);
      return true;
    });
    assert.equal(Atomics.load(starts, 0), MAX_STARTUP_FAILURES, "tried 3 times, then stopped");
    assert.equal(pool.workerCount, 0, "no Worker left, none starting");
    assert.throws(() => pool.submit(() => 1), BrokenExecutorError);
    await pool.shutdown();
    assert.equal(Atomics.load(starts, 0), MAX_STARTUP_FAILURES);
  });

  it("breaks the pool when the initializer's module fails to load", async () => {
    const pool = new WorkerPoolExecutor({
      maxWorkers: 2,
      initializer: moduleFunction<typeof import("./fixtures/throws_on_import.ts"), "unreachable">(
        fixture("throws_on_import"),
        "unreachable",
      ),
    });
    const jobs = [1, 2, 3].map((n) => pool.submit((x: number) => x, n));
    for (const job of jobs) {
      await assert.rejects(Promise.resolve(job), {
        name: "BrokenExecutorError",
        message: /failed to load/,
      });
    }
    await pool.shutdown();
    assert.equal(pool.workerCount, 0);
  });
});
