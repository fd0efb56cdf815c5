// WorkerPoolExecutor: submitting, Worker lifecycle, map, shutdown.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { CancelledError, type ResourceLimits, RuntimeError, WorkerPoolExecutor } from "../mod.ts";
import { runScript } from "./fixtures/run_script.ts";

/**
 * A blocking job: waits (in the Worker) until `gate[0]` is set by the test.
 * It also runs for 2 ms at least, so the pool never counts it as a short job
 * to pipeline (that would change the queue sizes these tests check).
 */
const waitAtGate = (gate: Int32Array) => {
  const start = performance.now();
  Atomics.wait(gate, 0, 0);
  while (performance.now() - start < 2) { /* long enough not to be pipelined */ }
  return "released";
};

function newGate(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(4));
}

function open(gate: Int32Array): void {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}

/** Poll `done()` every few ms (waiting for a Worker, not measuring time). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("WorkerPoolExecutor", () => {
  it("runs a function with its arguments and returns the result", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    assert.equal(await pool.submit((a: number, b: string) => b.repeat(a), 3, "ab"), "ababab");
  });

  it("awaits an async function in the Worker", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(async (n: number) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      return n + 1;
    }, 41);
    assert.equal(await job, 42);
  });

  it("starts Workers lazily, one per waiting job, up to maxWorkers", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    assert.equal(pool.workerCount, 0);
    const gate = newGate();
    const jobs = [1, 2, 3].map(() => pool.submit(waitAtGate, gate));
    assert.equal(pool.workerCount, 2);
    assert.equal(pool.queueSize, 1);
    open(gate);
    assert.deepEqual(await Promise.all(jobs), ["released", "released", "released"]);
    await pool.shutdown();
    assert.equal(pool.workerCount, 0);
  });

  it("defaults maxWorkers to Python's ThreadPoolExecutor size, min(32, cores + 4)", async () => {
    const pool = new WorkerPoolExecutor();
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator
      ?.hardwareConcurrency ?? availableParallelism();
    assert.equal(pool.maxWorkers, Math.min(32, cores + 4));
    await pool.shutdown();
  });

  it("runs two blocking jobs of the default pool at the same time, on any number of cores", async () => {
    await using pool = new WorkerPoolExecutor();
    // Each job waits until both have started: on one Worker the first would time out.
    const meet = (cells: Int32Array) => {
      Atomics.add(cells, 0, 1);
      Atomics.notify(cells, 0);
      while (Atomics.load(cells, 0) < 2) {
        if (Atomics.wait(cells, 0, 1, 10_000) === "timed-out") return "alone";
      }
      return "met";
    };
    const cells = new Int32Array(new SharedArrayBuffer(4));
    assert.deepEqual(await Promise.all([pool.submit(meet, cells), pool.submit(meet, cells)]), [
      "met",
      "met",
    ]);
  });

  it("keeps an idle Worker for an idleTimeout beyond what a host timer holds (2^31 ms)", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 1e7 });
    assert.equal(await pool.submit(() => 1), 1);
    await new Promise((resolve) => setTimeout(resolve, 20)); // a host timer would have fired
    assert.equal(pool.workerCount, 1);
  });

  it("refuses resourceLimits that would abort the process, or that name no limit", () => {
    for (
      const [limits, message] of [
        [
          { maxOldGenerationSizeMb: 2 },
          /maxOldGenerationSizeMb must be a number of MB > 2, received 2/,
        ],
        [{ stackSizeMb: 0.2 }, /stackSizeMb must be a number of MB > 0.25, received 0.2/],
        [{ maxYoungGenerationSizeMb: NaN }, /maxYoungGenerationSizeMb must be .*, received NaN/],
        [{ maxOldSpaceSizeMb: 64 }, /resourceLimits has no field maxOldSpaceSizeMb/],
      ] as const
    ) {
      assert.throws(
        () => new WorkerPoolExecutor({ resourceLimits: limits as ResourceLimits }),
        message,
      );
    }
    assert.throws(
      () => new WorkerPoolExecutor({ backend: "web", resourceLimits: { stackSizeMb: 4 } }),
      { name: "TypeError", message: /resourceLimits need the "worker_threads" backend/ },
    );
  });

  it("refuses resourceLimits on Deno, where a Worker over them would stall", {
    skip: !("Deno" in globalThis) && "Deno only",
  }, () => {
    assert.throws(
      () => new WorkerPoolExecutor({ resourceLimits: { maxOldGenerationSizeMb: 64 } }),
      { name: "TypeError", message: /resourceLimits are not enforced on Deno/ },
    );
  });

  it("rejects invalid options up front", () => {
    assert.throws(() => new WorkerPoolExecutor({ maxWorkers: 0 }), RangeError);
    assert.throws(() => new WorkerPoolExecutor({ maxWorkers: 1.5 }), RangeError);
    assert.throws(() => new WorkerPoolExecutor({ idleTimeout: -1 }), RangeError);
    assert.throws(() => new WorkerPoolExecutor({ cancelGracePeriod: NaN }), RangeError);
    assert.throws(
      () => new WorkerPoolExecutor({ backend: "fork" as "web" }),
      /backend must be "worker_threads" or "web", received fork/,
    );
  });

  it("retires a Worker as soon as it idles with idleTimeout 0", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 0 });
    assert.equal(await pool.submit(() => 1), 1);
    assert.equal(pool.workerCount, 0);
    assert.equal(await pool.submit(() => 2), 2, "a new Worker starts for the next job");
  });

  it("retires idle Workers after idleTimeout", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, idleTimeout: 0.05 });
    await pool.submit(() => 1);
    assert.equal(pool.workerCount, 1, "kept while idle for less than idleTimeout");
    await until(() => pool.workerCount === 0);
  });

  it("lets the process exit while Workers idle (no shutdown)", async () => {
    const result = await runScript("idle_pool_exits");
    assert.equal(result.timedOut, false, "the process did not exit by itself");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /result 5\nworkers 1\n/);
  });

  it("runs 2,000 short jobs submitted at once, each result in its place", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    const echo = (x: number) => x;
    const jobs = Array.from({ length: 2000 }, (_, i) => pool.submit(echo, i));
    const results = await Promise.all(jobs);
    assert.ok(results.every((value, i) => value === i));
  });

  it("never causes an unhandled rejection for a job nobody awaits", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    pool.submit(() => {
      throw new Error("nobody listens");
    });
    // The failing job finished before this one (one Worker, in order).
    assert.equal(await pool.submit(() => "after"), "after");
    // Give an unhandled rejection a chance to surface (it would fail the test run).
    await new Promise((resolve) => setTimeout(resolve, 1));
  });
});

describe("WorkerPoolExecutor.map", () => {
  it("yields the results in the order of the items", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    const out: number[] = [];
    for await (const x of pool.map((n: number) => n * n, [1, 2, 3, 4, 5])) out.push(x);
    assert.deepEqual(out, [1, 4, 9, 16, 25]);
  });

  it("submits every job at once, and cancels the rest when the loop stops early", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const gate = newGate();
    const results = pool.map(waitAtGate, [gate, gate, gate]);
    assert.equal(pool.queueSize, 2, "all jobs submitted before iterating");
    open(gate);
    for await (const value of results) {
      assert.equal(value, "released");
      break;
    }
    assert.equal(pool.queueSize, 0, "the jobs left were cancelled");
    await pool.shutdown();
  });

  it("throws a job's error at its place in the order", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 2 });
    const out: number[] = [];
    await assert.rejects(async () => {
      for await (
        const x of pool.map((n: number) => {
          if (n === 2) throw new RangeError("two");
          return n;
        }, [1, 2, 3])
      ) out.push(x);
    }, { name: "RangeError", message: "two" });
    assert.deepEqual(out, [1]);
  });

  it("refuses items that are not iterable with a TypeError, submitting nothing", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    assert.throws(() => pool.map((n: number) => n, 5 as never), {
      name: "TypeError",
      message: "Cannot map over items: expected an iterable, received 5",
    });
    assert.throws(() => pool.map((n: number) => n, { length: 2 } as never), TypeError);
    assert.equal(pool.workerCount, 0);
  });

  it("cancels the jobs it submitted when a later item cannot be submitted", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const gate = newGate();
    function* items() {
      yield gate;
      yield gate;
      throw new RangeError("the items failed");
    }
    assert.throws(() => pool.map(waitAtGate, items()), RangeError);
    assert.equal(pool.queueSize, 0, "the job queued behind the first was cancelled");
    open(gate);
  });
});

describe("WorkerPoolExecutor.shutdown", () => {
  it("waits for running and queued jobs, then leaves no Worker", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const gate = newGate();
    const running = pool.submit(waitAtGate, gate);
    const queued = pool.submit((x: number) => x * 2, 21);
    const stopped = pool.shutdown({ wait: true });
    open(gate);
    await stopped;
    assert.equal(pool.workerCount, 0);
    assert.equal(await running, "released");
    assert.equal(await queued, 42);
  });

  it("cancels queued jobs with cancelFutures", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const gate = newGate();
    const running = pool.submit(waitAtGate, gate);
    const queued = pool.submit(() => "ran");
    const stopped = pool.shutdown({ cancelFutures: true });
    await assert.rejects(Promise.resolve(queued), CancelledError);
    open(gate);
    await stopped;
    assert.equal(await running, "released");
    assert.equal(pool.workerCount, 0);
  });

  it("cancels with cancelFutures the jobs sent ahead to a Worker but not started", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    // x = -1 waits at the gate (cells[0]: started; cells[1]: go); cells[2] counts runs.
    const job = (x: number, cells: Int32Array) => {
      if (x === -1) {
        Atomics.store(cells, 0, 1);
        Atomics.wait(cells, 1, 0, 10_000);
      } else {
        Atomics.add(cells, 2, 1);
      }
      return x;
    };
    const cells = new Int32Array(new SharedArrayBuffer(12));
    // Measured short (the first run counts its compiling too): the next jobs go together.
    for (let i = 0; i < 20; i++) await pool.submit(job, 0, new Int32Array(3));
    const gate = pool.submit(job, -1, cells);
    const ahead = [1, 2, 3].map((x) => pool.submit(job, x, cells));
    // At least one turn: the jobs after the gate are sent in a microtask.
    do await new Promise((resolve) => setTimeout(resolve, 5)); while (Atomics.load(cells, 0) === 0);
    assert.equal(pool.queueSize, 0, "all of them are on the Worker");
    const stopped = pool.shutdown({ cancelFutures: true });
    Atomics.store(cells, 1, 1);
    Atomics.notify(cells, 1);
    await stopped;
    assert.equal(await gate, -1);
    for (const job of ahead) await assert.rejects(Promise.resolve(job), CancelledError);
    assert.equal(Atomics.load(cells, 2), 0, "none of them ran");
  });

  it("returns at once with wait: false; Workers end when their jobs do", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const gate = newGate();
    const running = pool.submit(waitAtGate, gate);
    await pool.shutdown({ wait: false });
    assert.equal(pool.workerCount, 1, "the busy Worker is left to finish");
    open(gate);
    assert.equal(await running, "released");
    assert.equal(pool.workerCount, 0);
  });

  it("refuses new jobs afterwards with CPython's RuntimeError", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    await pool.shutdown();
    assert.throws(() => pool.submit(() => 1), {
      name: "RuntimeError",
      message: "cannot schedule new futures after shutdown",
    });
    assert.throws(() => pool.submit(() => 1), RuntimeError);
    await pool.shutdown(); // harmless again
  });

  it("is what `await using` calls at the end of the scope", async () => {
    let outside: WorkerPoolExecutor;
    {
      await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
      outside = pool;
      await pool.submit(() => 1);
      assert.equal(pool.workerCount, 1);
    }
    assert.equal(outside.workerCount, 0);
    assert.throws(() => outside.submit(() => 1), RuntimeError);
  });
});
