import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  RuntimeError,
  sleep,
  timeout,
  TimeoutError,
  withSignal,
} from "../mod.ts";
import { runVirtual, virtualLoop } from "./_virtual.ts";

describe("withSignal()", () => {
  it("returns the result when the signal stays quiet", async () => {
    const controller = new AbortController();
    assert.equal(await runVirtual(() => withSignal(sleep(1, "value"), controller.signal)), "value");
  });

  it("an abort cancels the await and throws signal.reason", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      getRunningLoop().callLater(2, () => controller.abort());
      const error = await withSignal(sleep(100), controller.signal).catch((e) => e);
      assert.equal(error, controller.signal.reason);
      assert.equal((error as DOMException).name, "AbortError");
      assert.equal(getRunningLoop().time(), 2);
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("throws the reason the aborter chose", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      const reason = new Error("client went away");
      getRunningLoop().callLater(1, () => controller.abort(reason));
      await assert.rejects(withSignal(() => sleep(10), controller.signal), (e) => e === reason);
    });
  });

  it("a function runs in the calling task and gets its cleanup", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      const caller = currentTask();
      const steps: string[] = [];
      getRunningLoop().callLater(1, () => controller.abort());
      await withSignal(async () => {
        assert.equal(currentTask(), caller);
        try {
          await sleep(10);
        } finally {
          await sleep(1);
          steps.push("cleaned up");
        }
      }, controller.signal).catch((e) => steps.push((e as DOMException).name));
      assert.deepEqual(steps, ["cleaned up", "AbortError"]);
    });
  });

  it("an abort cancels a task being awaited", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      const inner = createTask(() => sleep(10));
      getRunningLoop().callLater(1, () => controller.abort());
      await assert.rejects(withSignal(inner, controller.signal));
      assert.equal(inner.cancelled(), true);
    });
  });

  it("an already aborted signal: the function is never called, a task is cancelled", async () => {
    await runVirtual(async () => {
      const signal = AbortSignal.abort();
      let called = false;
      await assert.rejects(withSignal(() => (called = true), signal), (e) => e === signal.reason);
      assert.equal(called, false);
      const inner = createTask(() => sleep(10));
      await assert.rejects(withSignal(inner, signal));
      await sleep(0);
      assert.equal(inner.cancelled(), true);
    });
  });

  it("a promise is wrapped: the wait stops, the promise itself runs on", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      let settle: (value: string) => void = () => {};
      const slow = new Promise<string>((resolve) => (settle = resolve));
      getRunningLoop().callLater(1, () => controller.abort());
      await assert.rejects(withSignal(slow, controller.signal));
      settle("late");
      assert.equal(await slow, "late");
      assert.equal(
        await withSignal(Promise.resolve("quick"), controller.signal).catch(() => "x"),
        "x",
      );
    });
  });

  it("a cancel from elsewhere stays a CancelledError", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      const caller = createTask(() => withSignal(sleep(100), controller.signal));
      await sleep(1);
      caller.cancel();
      await assert.rejects(Promise.resolve(caller), CancelledError);
      controller.abort(); // too late to matter; no listener is left
      assert.equal(caller.cancelled(), true);
    });
  });

  it("inside a timeout, the deadline still raises TimeoutError", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      await assert.rejects(
        timeout(1, () => withSignal(sleep(100), controller.signal)),
        TimeoutError,
      );
    });
  });

  it("a body that swallows the abort returns normally", async () => {
    await runVirtual(async () => {
      const controller = new AbortController();
      getRunningLoop().callLater(1, () => controller.abort());
      const value = await withSignal(async () => {
        try {
          await sleep(10);
        } catch {
          return "handled";
        }
      }, controller.signal);
      assert.equal(value, "handled");
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("rejects outside a task and a non-signal", async () => {
    await runVirtual(async () => {
      await assert.rejects(withSignal(sleep(1), {} as AbortSignal), TypeError);
    });
    const loop = virtualLoop();
    try {
      const outcome = loop.createFuture<unknown>();
      loop.callSoon(() => {
        withSignal(Promise.resolve(1), new AbortController().signal).then(
          () => outcome.setResult(null),
          (e) => outcome.setResult(e),
        );
      });
      assert.deepEqual(
        await loop.runUntilComplete(outcome),
        new RuntimeError("withSignal() should be used inside a task"),
      );
    } finally {
      loop.close();
    }
  });
});

describe("task.signal", () => {
  it("is aborted with a CancelledError when the task is cancelled", async () => {
    await runVirtual(async () => {
      let signal: AbortSignal | undefined;
      const task = createTask(async () => {
        signal = currentTask()!.signal;
        await sleep(10);
      });
      await sleep(1);
      assert.equal(signal!.aborted, false);
      task.cancel("stop");
      assert.equal(signal!.aborted, true);
      assert.ok(signal!.reason instanceof CancelledError);
      await assert.rejects(Promise.resolve(task), CancelledError);
    });
  });

  it("passed to withSignal, a cancel of that task is not turned into the reason", async () => {
    await runVirtual(async () => {
      const task = createTask(() => withSignal(sleep(10), currentTask()!.signal));
      await sleep(1);
      task.cancel();
      await assert.rejects(Promise.resolve(task), CancelledError);
    });
  });
});
