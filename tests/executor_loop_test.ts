import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allTasks,
  CancelledError,
  type Executor,
  type ExecutorJob,
  Future,
  getRunningLoop,
  run,
  type RunnerOptions,
  RuntimeError,
  Task,
  toThread,
  WorkerPoolExecutor,
} from "../mod.ts";
import { captureReports, runVirtual } from "./_virtual.ts";
import { needsTypeScriptRuntime, runProgram } from "./_subprocess.ts";

/**
 * `run()` of an empty main with a default executor whose shutdown never
 * ends (a job that never finishes): the executor, the loop and its reports.
 */
async function runWithStuckExecutor(options: RunnerOptions = {}) {
  const executor = new ManualExecutor();
  executor.shutdown = () => new Promise(() => {});
  let reports!: ReturnType<typeof captureReports>;
  let loop!: ReturnType<typeof getRunningLoop>;
  await runVirtual(() => {
    loop = getRunningLoop();
    loop.setDefaultExecutor(executor);
    reports = captureReports(loop);
  }, options);
  return { executor, loop, reports };
}

/** An executor that runs nothing: jobs settle when the test says so. */
class ManualExecutor implements Executor {
  readonly jobs: { args: unknown[]; settle: (value: unknown) => void; cancelled: boolean }[] = [];
  readonly shutdowns: unknown[] = [];

  submit(_fn: unknown, ...args: unknown[]): ExecutorJob<never> {
    let settle!: (value: unknown) => void;
    const promise = new Promise((resolve) => (settle = resolve));
    const record = { args, settle, cancelled: false };
    this.jobs.push(record);
    return {
      then: (onFulfilled, onRejected) => promise.then(onFulfilled as never, onRejected),
      cancel: () => (record.cancelled = true),
    };
  }

  shutdown(options?: unknown): Promise<void> {
    this.shutdowns.push(options);
    return Promise.resolve();
  }
}

describe("loop.runInExecutor()", () => {
  it("returns a Future (not a Task, not in allTasks) of the job's result", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const executor = new ManualExecutor();
      const future = loop.runInExecutor(executor, (a: number, b: number) => a + b, 1, 2);
      assert.ok(future instanceof Future);
      assert.ok(!(future instanceof Task));
      assert.equal([...allTasks()].includes(future as never), false);
      assert.deepEqual(executor.jobs[0].args, [1, 2]);
      executor.jobs[0].settle(3);
      assert.equal(await future, 3);
    });
  });

  it("cancelling the Future cancels the job", async () => {
    await runVirtual(async () => {
      const executor = new ManualExecutor();
      const future = getRunningLoop().runInExecutor(executor, () => 1);
      assert.equal(future.cancel(), true);
      assert.equal(executor.jobs[0].cancelled, true);
      await assert.rejects(async () => await future, CancelledError);
    });
  });

  it("uses the default executor set with setDefaultExecutor(), and refuses a non-executor", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const executor = new ManualExecutor();
      loop.setDefaultExecutor(executor);
      const future = loop.runInExecutor(null, (s: string) => s, "x");
      executor.jobs[0].settle("done");
      assert.equal(await future, "done");
      // deno-lint-ignore no-explicit-any
      assert.throws(() => loop.setDefaultExecutor(1 as any), TypeError);
    });
  });

  it("after shutdownDefaultExecutor(), the default executor is refused", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const executor = new ManualExecutor();
      loop.setDefaultExecutor(executor);
      await loop.shutdownDefaultExecutor();
      assert.deepEqual(executor.shutdowns, [{ wait: true }]);
      assert.throws(() => loop.runInExecutor(null, () => 1), {
        name: "RuntimeError",
        message: "Executor shutdown has been called",
      });
    });
  });

  it("run() shuts the default executor down, waiting, before it closes the loop", async () => {
    const executor = new ManualExecutor();
    let loopClosedAtShutdown: boolean | undefined;
    executor.shutdown = (options?: unknown) => {
      executor.shutdowns.push(options);
      loopClosedAtShutdown = loop.isClosed();
      return Promise.resolve();
    };
    let loop!: ReturnType<typeof getRunningLoop>;
    await runVirtual(() => {
      loop = getRunningLoop();
      loop.setDefaultExecutor(executor);
    });
    assert.deepEqual(executor.shutdowns, [{ wait: true }]);
    assert.equal(loopClosedAtShutdown, false);
    assert.equal(loop.isClosed(), true);
  });

  it("run() waits for the default executor 300 s at most, then reports CPython's warning", async () => {
    const { executor, loop, reports } = await runWithStuckExecutor();
    assert.equal(loop.time(), 300);
    assert.deepEqual(reports.map((report) => report.message), [
      "The executor did not finishing joining its threads within 300 seconds.",
    ]);
    assert.equal(reports[0].executor, executor);
  });

  it("run() takes the bound from executorShutdownTimeout", async () => {
    const { loop, reports } = await runWithStuckExecutor({ executorShutdownTimeout: 5 });
    assert.equal(loop.time(), 5);
    assert.match(String(reports[0].message), /within 5 seconds/);
  });

  it("shutdownDefaultExecutor(timeout) warns only when the executor is not done in time", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const reports = captureReports(loop);
      await assert.rejects(loop.shutdownDefaultExecutor("5" as never), TypeError);
      const executor = new ManualExecutor();
      loop.setDefaultExecutor(executor);
      await loop.shutdownDefaultExecutor(3600);
      assert.equal(loop.time(), 0);
      assert.deepEqual(reports, []);
      assert.deepEqual(executor.shutdowns, [{ wait: true }]);
    });
  });

  it("a closed loop refuses it", () => {
    const executor = new ManualExecutor();
    let loop!: ReturnType<typeof getRunningLoop>;
    return run(() => {
      loop = getRunningLoop();
    }).then(() => {
      assert.throws(() => loop.runInExecutor(executor, () => 1), RuntimeError);
      assert.equal(executor.jobs.length, 0);
    });
  });
});

describe("toThread() and the default Worker pool", () => {
  it("runs a function on a Worker and gives back its result and errors", async () => {
    await run(async () => {
      assert.equal(await toThread((n: number) => n * 2, 21), 42);
      await assert.rejects(
        async () =>
          await toThread(() => {
            throw new RangeError("from the Worker");
          }),
        { name: "RangeError", message: "from the Worker" },
      );
    });
  });

  it("gives back exactly what the function threw, null included; undefined becomes an Error", async () => {
    await run(async () => {
      await assert.rejects(
        async () =>
          await toThread(() => {
            throw null;
          }),
        (thrown) => thrown === null,
      );
      await assert.rejects(
        async () =>
          await toThread(() => {
            throw undefined;
          }),
        { name: "Error", message: "Job failed with undefined" },
      );
    });
  });

  it("run() waits for a job nobody awaited, then leaves no Worker behind", async () => {
    const buffer = new SharedArrayBuffer(4);
    await run(() => {
      getRunningLoop().runInExecutor(null, (shared: SharedArrayBuffer) => {
        Atomics.wait(new Int32Array(shared), 0, 0, 50);
        Atomics.store(new Int32Array(shared), 0, 7);
      }, buffer);
    });
    assert.equal(Atomics.load(new Int32Array(buffer), 0), 7);
  });

  it("a custom pool works as the executor argument", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    await run(async () => {
      assert.equal(
        await getRunningLoop().runInExecutor(pool, (s: string) => s.toUpperCase(), "a"),
        "A",
      );
    });
  });

  it("toThread() needs a running loop", () => {
    assert.throws(() => toThread(() => 1), { message: "no running event loop" });
  });
});

describe("examples/quickstart_exe.ts", { skip: needsTypeScriptRuntime }, () => {
  it("prints Hello!, then Hello from a thread!, then Goodbye!, with no flags", async () => {
    const { code, stdout, stderr } = await runProgram("examples/quickstart_exe.ts");
    assert.equal(code, 0, stderr);
    const lines = stdout.trimEnd().split("\n").map((line) => line.replace(/^.{24} /, ""));
    assert.deepEqual(lines, ["Hello!", "Hello from a thread!", "Goodbye!"]);
  });
});
