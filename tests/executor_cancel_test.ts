// Cancelling jobs: queued, running (jobSignal), with termination, timeouts, signals.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  jobSignal,
  moduleFunction,
  TimeoutError,
  withOptions,
  WorkerPoolExecutor,
} from "../mod.ts";
import { fixture, runScript } from "./fixtures/run_script.ts";

/** Blocks its Worker until `gate[0]` is set; at least 2 ms, so it is never pipelined. */
const waitAtGate = (gate: Int32Array) => {
  const start = performance.now();
  Atomics.wait(gate, 0, 0);
  while (performance.now() - start < 2) { /* long enough not to be pipelined */ }
  return "released";
};

/** Sets `cells[1]` once the job starts, then spins forever (never looks at its signal). */
const spinForever = (cells: Int32Array) => {
  Atomics.store(cells, 1, 1);
  for (;;) { /* spin */ }
};

/**
 * Sets `cells[1]` once started, waits for its job's signal, then records the
 * abort reason in `cells[0]` (1 = a CancelledError).
 */
const waitForAbort = (cells: Int32Array) => {
  Atomics.store(cells, 1, 1);
  const signal = jobSignal();
  return new Promise<string>((resolve) => {
    const record = () => {
      Atomics.store(cells, 0, signal.reason?.name === "CancelledError" ? 1 : 2);
      resolve("saw the abort");
    };
    if (signal.aborted) record();
    else signal.addEventListener("abort", record);
  });
};

function cells(): Int32Array {
  return new Int32Array(new SharedArrayBuffer(8));
}

function open(gate: Int32Array): void {
  Atomics.store(gate, 0, 1);
  Atomics.notify(gate, 0);
}

/** Poll `done()` every few ms (waiting for a Worker, not measuring time). */
async function until(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe("ExecutorJob.cancel", () => {
  it("removes a queued job: it never runs", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const gate = cells();
    const ran = cells();
    const blocker = pool.submit(waitAtGate, gate);
    const queued = pool.submit((c: Int32Array) => {
      Atomics.store(c, 0, 1);
    }, ran);
    assert.equal(pool.queueSize, 1);
    assert.equal(queued.cancel(), true);
    assert.equal(pool.queueSize, 0);
    await assert.rejects(Promise.resolve(queued), CancelledError);
    open(gate);
    assert.equal(await blocker, "released");
    await pool.shutdown();
    assert.equal(Atomics.load(ran, 0), 0, "the cancelled job did not run");
  });

  it("aborts a running job's jobSignal() with a CancelledError reason", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const seen = cells();
    const job = pool.submit(waitForAbort, seen);
    await until(() => Atomics.load(seen, 1) === 1);
    assert.equal(job.cancel(), true);
    await assert.rejects(Promise.resolve(job), CancelledError);
    // shutdown waits for the job to end, which it does only once aborted.
    await pool.shutdown();
    assert.equal(Atomics.load(seen, 0), 1);
  });

  it("aborts the signal of a module function that imported jobSignal()", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const waitForCancel = moduleFunction<
      typeof import("./fixtures/waits_for_cancel.ts"),
      "waitForCancel"
    >(fixture("waits_for_cancel"), "waitForCancel");
    const job = pool.submit(waitForCancel);
    const probe = pool.submit(() => "queued behind it");
    await new Promise((resolve) => setTimeout(resolve, 1));
    job.cancel();
    // The Worker runs jobs in order: the probe answers only after the module function ended.
    assert.equal(await probe, "queued behind it");
    await pool.shutdown();
  });

  it("returns false once the job has settled", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(() => 1);
    assert.equal(await job, 1);
    assert.equal(job.cancel(), false);
    const cancelled = pool.submit(() => 2);
    assert.equal(cancelled.cancel(), true);
    assert.equal(cancelled.cancel(), false);
    await assert.rejects(Promise.resolve(cancelled), { name: "CancelledError" });
  });

  it("with terminate, stops a spinning job and replaces its Worker", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const state = cells();
    const spin = pool.submit(withOptions(spinForever, { terminate: true }), state);
    const next = pool.submit(() => "next job ran");
    await until(() => Atomics.load(state, 1) === 1);
    assert.equal(spin.cancel(), true);
    await assert.rejects(Promise.resolve(spin), CancelledError);
    assert.equal(await next, "next job ran", "the job queued behind it runs on a new Worker");
    assert.equal(pool.workerCount, 1);
  });

  it("with terminate, still lets the process exit by itself", async () => {
    const result = await runScript("spin_terminated_exits");
    assert.equal(result.timedOut, false, "the process did not exit by itself");
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /spin CancelledError\nnext answered\n/);
  });

  it("of a running job that ignores its signal, gives its Worker's place to a new one at once", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, cancelGracePeriod: 3600 });
    const state = new Int32Array(new SharedArrayBuffer(12));
    const ignoring = pool.submit((c: Int32Array) => {
      Atomics.store(c, 1, 1);
      while (Atomics.load(c, 2) === 0) { /* ignores jobSignal() */ }
      return "ran to its end";
    }, state);
    await until(() => Atomics.load(state, 1) === 1);
    assert.equal(ignoring.cancel(), true);
    await assert.rejects(Promise.resolve(ignoring), CancelledError);
    assert.equal(await pool.submit(() => "next job ran"), "next job ran");
    assert.equal(pool.workerCount, 2, "the cancelled job still runs on its own Worker");
    Atomics.store(state, 2, 1);
    await until(() => pool.workerCount === 1);
    assert.equal(await pool.submit(() => "still answers"), "still answers");
  });

  it("terminates the Worker of a job that ignores its signal after cancelGracePeriod", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1, cancelGracePeriod: 0.05 });
    const state = cells();
    const spin = pool.submit(spinForever, state);
    await until(() => Atomics.load(state, 1) === 1);
    spin.cancel();
    await pool.shutdown(); // would wait for ever for the spinning job
    assert.equal(pool.workerCount, 0);
  });

  it("drops a job sent ahead to a Worker busy with a batch: it never runs", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    // x = -1 waits at the gate (c[0]: started; c[1]: go); other jobs count their runs in c[2 + x].
    const job = (x: number, c: Int32Array) => {
      if (x === -1) {
        Atomics.store(c, 0, 1);
        Atomics.wait(c, 1, 0, 10_000);
      } else {
        Atomics.add(c, 2 + x, 1);
      }
      return x;
    };
    const c = new Int32Array(new SharedArrayBuffer(4 * 6));
    // Measured short (the first run counts its compiling too): the next jobs go together.
    for (let i = 0; i < 20; i++) await pool.submit(job, 0, new Int32Array(6));
    const gate = pool.submit(job, -1, c);
    const ahead = [0, 1, 2, 3].map((x) => pool.submit(job, x, c));
    do await new Promise((resolve) => setTimeout(resolve, 5)); while (Atomics.load(c, 0) === 0);
    assert.equal(pool.queueSize, 0, "all of them are on the Worker");
    assert.equal(ahead[2].cancel(), true);
    Atomics.store(c, 1, 1);
    Atomics.notify(c, 1);
    assert.equal(await gate, -1);
    const settled = await Promise.allSettled(ahead.map((job) => Promise.resolve(job)));
    assert.deepEqual(settled.map((result) => result.status), [
      "fulfilled",
      "fulfilled",
      "rejected",
      "fulfilled",
    ]);
    assert.deepEqual(Array.from(c.slice(2)), [1, 1, 0, 1], "the cancelled one never ran");
  });

  it("drops a pipelined job that has not started; the others finish", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const id = (x: number) => x;
    await pool.submit(id, 0); // measured short: the next jobs go in one batch
    const jobs = Array.from({ length: 20 }, (_, i) => pool.submit(id, i));
    assert.equal(jobs[15].cancel(), true);
    const settled = await Promise.allSettled(jobs.map((job) => Promise.resolve(job)));
    settled.forEach((result, i) => {
      if (i === 15) assert.equal(result.status, "rejected");
      else assert.deepEqual(result, { status: "fulfilled", value: i });
    });
    assert.equal(await pool.submit(id, 99), 99);
  });
});

describe("job options: timeout and signal", () => {
  it("timeout rejects with TimeoutError and aborts the job's signal", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const seen = cells();
    const job = pool.submit(withOptions(waitForAbort, { timeout: 0.05 }), seen);
    await assert.rejects(Promise.resolve(job), (error: Error) => {
      assert.ok(error instanceof TimeoutError);
      assert.match(error.message, /did not finish within 0\.05 s/);
      return true;
    });
    await pool.shutdown();
    assert.equal(Atomics.load(seen, 0), 1);
  });

  it("timeout with terminate stops a spinning job", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(withOptions(spinForever, { timeout: 0.05, terminate: true }), cells());
    await assert.rejects(Promise.resolve(job), TimeoutError);
    assert.equal(await pool.submit(() => "answers"), "answers");
  });

  it("a timeout beyond what a host timer holds (2^31 ms), or Infinity, does not fire early", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    for (const timeout of [2 ** 31 / 1000 + 1, 1e10, Infinity]) {
      const gate = cells();
      const job = pool.submit(withOptions(waitAtGate, { timeout }), gate);
      await new Promise((resolve) => setTimeout(resolve, 20)); // a host timer would have fired
      open(gate);
      assert.equal(await job, "released", `timeout ${timeout}`);
    }
  });

  it("a job that finishes in time is not affected by its timeout", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    assert.equal(await pool.submit(withOptions(() => "fast", { timeout: 30 })), "fast");
  });

  it("an AbortSignal cancels the job when aborted", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const controller = new AbortController();
    const seen = cells();
    const job = pool.submit(withOptions(waitForAbort, { signal: controller.signal }), seen);
    await until(() => Atomics.load(seen, 1) === 1);
    controller.abort();
    await assert.rejects(Promise.resolve(job), CancelledError);
    await pool.shutdown();
    assert.equal(Atomics.load(seen, 0), 1);
  });

  it("an AbortSignal already aborted rejects the job without running it", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const job = pool.submit(withOptions(() => "ran", { signal: AbortSignal.abort() }));
    await assert.rejects(Promise.resolve(job), CancelledError);
    assert.equal(pool.workerCount, 0, "no Worker was started for it");
  });
});
