// The "web" backend (the global Worker, Deno): the same contract where it can hold.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  jobSignal,
  withOptions,
  WorkerCrashedError,
  WorkerPoolExecutor,
} from "../mod.ts";

const SKIP = typeof (globalThis as { Worker?: unknown }).Worker !== "function" &&
  "this runtime has no global Worker";
const isDeno = "Deno" in globalThis;

describe('WorkerPoolExecutor({ backend: "web" })', { skip: SKIP }, () => {
  it("runs jobs and shuts down leaving no Worker", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 2, backend: "web" });
    const results = await Promise.all([1, 2, 3].map((n) => pool.submit((x: number) => x * x, n)));
    assert.deepEqual(results, [1, 4, 9]);
    await pool.shutdown();
    assert.equal(pool.workerCount, 0);
  });

  it("survives a job whose error is uncaught in the Worker (the host is not killed)", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, backend: "web" });
    const job = pool.submit(() => {
      setTimeout(() => {
        throw new RangeError("uncaught in a web Worker");
      }, 0);
      return new Promise(() => {});
    });
    await assert.rejects(Promise.resolve(job), (error: Error) => {
      assert.ok(error instanceof WorkerCrashedError);
      assert.match(error.message, /uncaught in a web Worker/);
      return true;
    });
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it("notices a job that closes its Worker (no event fires for it)", {
    skip: !isDeno && "Deno's Worker only: Bun's has no global close()",
  }, async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, backend: "web" });
    const job = pool.submit(() => {
      (globalThis as unknown as { close(): void }).close();
      return new Promise(() => {});
    });
    await assert.rejects(Promise.resolve(job), { name: "WorkerCrashedError", message: /code 0/ });
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it("notices a job that calls Deno.exit()", { skip: !isDeno && "Deno only" }, async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1, backend: "web" });
    const job = pool.submit(() => {
      (globalThis as unknown as { Deno: { exit(code: number): never } }).Deno.exit(5);
    });
    await assert.rejects(Promise.resolve(job), { name: "WorkerCrashedError", message: /code 5/ });
    assert.equal(await pool.submit(() => "replaced"), "replaced");
  });

  it("aborts jobSignal() on cancel, and supports timeouts", async () => {
    const pool = new WorkerPoolExecutor({ maxWorkers: 1, backend: "web" });
    const job = pool.submit(withOptions(() => {
      const signal = jobSignal();
      return new Promise((resolve) => {
        if (signal.aborted) resolve(null);
        signal.addEventListener("abort", resolve);
      });
    }, { timeout: 0.05 }));
    await assert.rejects(Promise.resolve(job), { name: "TimeoutError" });
    const queued = pool.submit(() => 1);
    queued.cancel();
    await assert.rejects(Promise.resolve(queued), CancelledError);
    await pool.shutdown();
    assert.equal(pool.workerCount, 0);
  });
});
