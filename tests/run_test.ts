import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  Event,
  type EventLoop,
  getEventLoop,
  getRunningLoop,
  Lock,
  newEventLoop,
  Queue,
  run,
  Runner,
  setEventLoop,
  sleep,
  timeout,
  TimeoutError,
  VirtualClock,
  waitFor,
} from "../mod.ts";
import { captureReports, failure, runVirtual, virtualLoop } from "./_virtual.ts";

describe("run()", () => {
  it("runs the function as the main task and returns its result", async () => {
    assert.equal(await runVirtual(async () => (await sleep(1, 20)) + 1), 21);
  });

  it("refuses a promise, showing the function form", async () => {
    const main = async () => "p";
    await assert.rejects(run(main() as never), (error: Error) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^run\(\) takes the async function, not a promise/);
      assert.match(error.message, /run\(work\)/);
      return true;
    });
  });

  it('with clock "virtual" runs a day of sleeps, timeouts and waits in no real time', async () => {
    const seen = await run(async () => {
      const loop = getRunningLoop();
      const queue = new Queue<number>();
      const lock = new Lock();
      const ready = new Event();
      const worker = createTask(async () => {
        for (let hour = 1; hour <= 24; hour++) {
          await sleep(3600);
          await lock.with(() => queue.putNowait(hour));
        }
        ready.set();
      });
      let got = 0;
      while (got < 24) {
        got = await queue.get();
        // A deadline that never hits, and one that does.
        await timeout(7200, () => sleep(1));
        await assert.rejects(waitFor(sleep(10), 0.5), TimeoutError);
      }
      await ready.wait();
      await worker;
      return loop.time();
    }, { clock: "virtual" });
    assert.ok(seen >= 86_400 && seen < 86_400 + 60, String(seen));
  });

  it("with a signal: an abort cancels main, and the run rejects with signal.reason", async () => {
    const controller = new AbortController();
    const cleaned: string[] = [];
    const error = await failure(run(async () => {
      getRunningLoop().callLater(5, () => controller.abort(new Error("enough")));
      try {
        await sleep(3600);
      } finally {
        cleaned.push("main cleaned up");
      }
    }, { clock: "virtual", signal: controller.signal }));
    assert.equal((error as Error).message, "enough");
    assert.deepEqual(cleaned, ["main cleaned up"]);
  });

  it("with a signal already aborted: main never runs", async () => {
    let ran = false;
    const error = await failure(run(async () => (ran = true), { signal: AbortSignal.abort() }));
    assert.equal((error as DOMException).name, "AbortError");
    assert.equal(ran, false);
  });

  it("with a signal: a main that handles the cancellation returns its value", async () => {
    const controller = new AbortController();
    const value = await run(async () => {
      getRunningLoop().callLater(5, () => controller.abort());
      try {
        await sleep(3600);
      } catch {
        return "handled";
      }
    }, { clock: "virtual", signal: controller.signal });
    assert.equal(value, "handled");
  });

  it("cancels and cleans up every leftover task, at any count", async () => {
    // 200,000 is past what a JavaScript spread can pass (about 124,000).
    const n = 200_000;
    let cleaned = 0;
    const loops: EventLoop[] = [];
    let reports: unknown[] = [];
    await runVirtual(async () => {
      loops.push(getRunningLoop());
      reports = captureReports(getRunningLoop());
      for (let i = 0; i < n; i++) {
        createTask(async () => {
          try {
            await sleep(3600);
          } finally {
            cleaned++;
          }
        });
      }
      await sleep(0);
    });
    assert.equal(cleaned, n);
    assert.equal(reports.length, 0);
    assert.equal(loops[0].isClosed(), true);
  });

  it("rejects with main's error after the leftover tasks cleaned up", async () => {
    const seen: string[] = [];
    await assert.rejects(
      runVirtual(async () => {
        createTask(async () => {
          try {
            await sleep(3600);
          } finally {
            await sleep(1);
            seen.push("leftover cleaned up");
          }
        });
        await sleep(0);
        throw new Error("main failed");
      }),
      { message: "main failed" },
    );
    assert.deepEqual(seen, ["leftover cleaned up"]);
  });

  it("cancels leftover tasks, awaits them, and closes its loop", async () => {
    let loop: EventLoop | undefined;
    let leftover: ReturnType<typeof createTask> | undefined;
    await runVirtual(async () => {
      loop = getRunningLoop();
      leftover = createTask(() => sleep(10));
      await sleep(0);
    });
    assert.equal(leftover!.cancelled(), true);
    assert.equal(loop!.isClosed(), true);
  });

  it("reports leftover tasks that fail while being cancelled", async () => {
    const error = new Error("failed in cleanup");
    let reports: unknown[] = [];
    await runVirtual(async () => {
      reports = captureReports(getRunningLoop());
      createTask(async () => {
        try {
          await sleep(10);
        } finally {
          // deno-lint-ignore no-unsafe-finally
          throw error;
        }
      });
      await sleep(0);
    });
    assert.equal(reports.length, 1);
    const [report] = reports as { message: string; exception: unknown }[];
    assert.equal(report.message, "unhandled exception during run() shutdown");
    assert.equal(report.exception, error);
  });

  it("cannot be called from a running loop", async () => {
    await runVirtual(async () => {
      await assert.rejects(run(async () => {}), {
        name: "RuntimeError",
        message: "run() cannot be called from a running event loop",
      });
    });
  });

  it("refuses what is not a coroutine", async () => {
    // deno-lint-ignore no-explicit-any
    await assert.rejects(run(123 as any), {
      name: "TypeError",
      message: "a coroutine was expected, got 123",
    });
  });

  it("a main task cancelled from inside ends run() with CancelledError", async () => {
    await assert.rejects(
      runVirtual(async () => {
        const main = currentTask()!;
        createTask(async () => main.cancel());
        await sleep(10);
      }),
      CancelledError,
    );
  });

  it("with the default loop factory, leaves no current loop behind", async () => {
    await run(async () => {});
    assert.throws(() => getEventLoop(), {
      name: "RuntimeError",
      message: "There is no current event loop",
    });
    setEventLoop(newEventLoop());
    getEventLoop().close();
    setEventLoop(null);
  });
});

describe("Runner", () => {
  it("runs several mains on one loop, then closes it", async () => {
    const runner = new Runner({ loopFactory: virtualLoop });
    const loop = runner.getLoop();
    assert.equal(await runner.run(() => sleep(1, "one")), "one");
    assert.equal(await runner.run(async () => getRunningLoop() === loop), true);
    assert.equal(loop.time(), 1);
    await runner.close();
    await runner.close();
    assert.equal(loop.isClosed(), true);
    await assert.rejects(runner.run(async () => {}), {
      name: "RuntimeError",
      message: "Runner is closed",
    });
    assert.throws(() => runner.getLoop(), { message: "Runner is closed" });
  });

  it("closes at the end of an await using block", async () => {
    let loop: EventLoop;
    {
      await using runner = new Runner({
        loopFactory: () => newEventLoop({ clock: new VirtualClock() }),
      });
      loop = runner.getLoop();
      await runner.run(async () => {});
    }
    assert.equal(loop.isClosed(), true);
  });

  it("applies the debug option", async () => {
    const runner = new Runner({ debug: true, loopFactory: virtualLoop });
    assert.equal(runner.getLoop().getDebug(), true);
    await runner.close();
  });
});
