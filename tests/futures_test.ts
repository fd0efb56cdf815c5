import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  Future,
  getRunningLoop,
  InvalidStateError,
  isFuture,
  RuntimeError,
  sleep,
} from "../mod.ts";
import { captureReports, runVirtual, virtualLoop } from "./_virtual.ts";

describe("Future", () => {
  it("starts pending; result() and exception() say it is not set", () => {
    const future = virtualLoop().createFuture();
    assert.equal(future.done(), false);
    assert.equal(future.cancelled(), false);
    assert.throws(() => future.result(), {
      name: "InvalidStateError",
      message: "Result is not set.",
    });
    assert.throws(() => future.exception(), InvalidStateError);
    assert.throws(() => future.exception(), { message: "Exception is not set." });
  });

  it("holds a result; exception() is then null", () => {
    const future = virtualLoop().createFuture<number>();
    future.setResult(5);
    assert.equal(future.done(), true);
    assert.equal(future.result(), 5);
    assert.equal(future.exception(), null);
    assert.equal(String(future), "<Future finished result=5>");
  });

  it("holds an exception, thrown by result()", () => {
    const future = virtualLoop().createFuture();
    const error = new TypeError("bad");
    future.setException(error);
    assert.equal(future.exception(), error);
    assert.throws(() => future.result(), (thrown) => thrown === error);
    assert.equal(String(future), "<Future finished exception=TypeError('bad')>");
  });

  it("refuses to be set twice with InvalidStateError", () => {
    const future = virtualLoop().createFuture();
    future.setResult(1);
    assert.throws(() => future.setResult(2), InvalidStateError);
    assert.throws(() => future.setException(new Error("x")), /invalid state/);
    assert.equal(future.cancel(), false);
  });

  it("refuses undefined as an exception", () => {
    const future = virtualLoop().createFuture();
    assert.throws(() => future.setException(undefined), TypeError);
    assert.equal(future.done(), false);
  });

  it("cancel() returns true once; result() then raises CancelledError with the message", () => {
    const future = virtualLoop().createFuture();
    assert.equal(future.cancel("stop it"), true);
    assert.equal(future.cancel(), false);
    assert.equal(future.cancelled(), true);
    assert.throws(() => future.result(), { name: "CancelledError", message: "stop it" });
    assert.throws(() => future.exception(), CancelledError);
    assert.equal(String(future), "<Future cancelled>");
  });

  it("schedules done callbacks with callSoon, in registration order, never synchronously", async () => {
    await runVirtual(async () => {
      const future = new Future<number>();
      const seen: string[] = [];
      future.addDoneCallback((f) => seen.push(`a${f.result()}`));
      future.addDoneCallback(() => seen.push("b"));
      future.setResult(1);
      assert.deepEqual(seen, []);
      await null;
      assert.deepEqual(seen, []);
      assert.equal(await future, 1); // done already: does not suspend
      assert.deepEqual(seen, []);
      await sleep(0);
      assert.deepEqual(seen, ["a1", "b"]);
    });
  });

  it("schedules a callback added after completion at once", async () => {
    await runVirtual(async () => {
      const future = new Future<string>();
      future.setResult("x");
      const seen: string[] = [];
      future.addDoneCallback((f) => seen.push(f.result()));
      assert.deepEqual(seen, []);
      const waiter = new Future();
      future.addDoneCallback(() => waiter.setResult(null));
      await waiter;
      assert.deepEqual(seen, ["x"]);
    });
  });

  it("removeDoneCallback() removes every registration and returns the count", () => {
    const future = virtualLoop().createFuture();
    const callback = () => {};
    future.addDoneCallback(callback);
    future.addDoneCallback(() => {});
    future.addDoneCallback(callback);
    assert.equal(future.removeDoneCallback(callback), 2);
    assert.equal(future.removeDoneCallback(callback), 0);
  });

  it("is awaitable and works with Promise helpers", async () => {
    await runVirtual(async () => {
      const future = new Future<number>();
      setTimeout(() => future.setResult(3), 0);
      assert.equal(await future, 3);
      assert.equal(await Promise.resolve(future), 3);
      const failed = new Future();
      failed.setException(new Error("no"));
      await assert.rejects(Promise.resolve(failed), { message: "no" });
      assert.equal(await future.then((n) => n * 2), 6);
    });
  });

  it("then() returns a promise that follows the handler, used before or after the future is done", async () => {
    await runVirtual(async () => {
      const future = new Future<number>();
      const early = future.then((n) => n + 1);
      const late = future.then((n) => n + 2);
      // Handled at once, as a native promise's rejection must be.
      const throwing = assert.rejects(
        future.then(() => {
          throw new Error("handler failed");
        }),
        { message: "handler failed" },
      );
      const adopting = future.then((n) => sleep(1, n + 3));
      future.setResult(1);
      await sleep(0);
      await sleep(0);
      assert.equal(await early, 2);
      assert.equal(await late.then((n) => n * 10), 30);
      await throwing;
      assert.equal(await adopting, 4);
      assert.equal(Object.prototype.toString.call(early), "[object Promise]");
    });
  });

  it("has catch() and finally(), so TypeScript takes it where a Promise is expected", async () => {
    await runVirtual(async () => {
      const failed = new Future<number>();
      failed.setException(new Error("no"));
      assert.equal(await failed.catch((error) => (error as Error).message), "no");
      const seen: string[] = [];
      const done = new Future<number>();
      done.setResult(5);
      assert.equal(await done.finally(() => seen.push("finally")), 5);
      await assert.rejects(failed.finally(() => seen.push("finally again")), { message: "no" });
      assert.deepEqual(seen, ["finally", "finally again"]);
      const asPromise: Promise<number> = done;
      assert.equal(await asPromise, 5);
      assert.equal(Object.prototype.toString.call(done), "[object Future]");
    });
  });

  it("then(callback) called by a task's own code neither suspends the task nor splits its step", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const log: string[] = [];
      const watched = new Future<number>();
      const task = createTask(async () => {
        await sleep(0);
        log.push("step starts");
        watched.then((n) => log.push(`watched ${n}`));
        log.push("step ends");
        await sleep(3600);
      });
      await sleep(0); // the task sleeps; its wake-up is queued before the callback below
      loop.callSoon(() => log.push("next callback"));
      await sleep(0);
      await sleep(0);
      // asyncio's order: the whole step, then the next callback.
      assert.deepEqual(log, ["step starts", "step ends", "next callback"]);
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.equal(watched.cancelled(), false);
      watched.setResult(7);
      await sleep(0);
      assert.deepEqual(log.slice(3), ["watched 7"]);
    });
  });

  it("catch() and finally() called inside a task do not make the future the task's waiter", async () => {
    await runVirtual(async () => {
      const watched = new Future<number>();
      let openGate = () => {};
      const gate = new Promise<void>((resolve) => openGate = resolve);
      const task = createTask(async () => {
        watched.catch(() => {});
        watched.finally(() => {});
        await gate; // a foreign promise: no waiter, a cancel waits for the next library await
        await sleep(3600);
      });
      await sleep(0);
      task.cancel();
      openGate();
      await assert.rejects(task, CancelledError);
      // The cancel went to the sleep after the gate, not to the future the task watched.
      assert.equal(watched.cancelled(), false);
      watched.setResult(1);
    });
  });

  it("needs a running loop when made without one", () => {
    assert.throws(() => new Future(), { name: "RuntimeError", message: "no running event loop" });
    assert.throws(() => new Future(), RuntimeError);
  });

  it("isFuture() tells futures and tasks from promises", async () => {
    const loop = virtualLoop();
    assert.equal(isFuture(loop.createFuture()), true);
    assert.equal(isFuture(Promise.resolve()), false);
    assert.equal(isFuture(loop.createTask(async () => {})), true);
    await loop.runUntilComplete(async () => {});
    loop.close();
  });
});

describe("Future exception never retrieved", () => {
  it("is reported once through the exception handler when the loop closes", () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    const future = loop.createFuture();
    const error = new Error("lost");
    future.setException(error);
    loop.close();
    loop.close();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Future exception was never retrieved");
    assert.equal(reports[0].exception, error);
    assert.equal(reports[0].future, future);
  });

  it("is not reported once result(), exception() or an await looked at it", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    const a = loop.createFuture();
    a.setException(new Error("a"));
    a.exception();
    const b = loop.createFuture();
    b.setException(new Error("b"));
    assert.throws(() => b.result());
    const c = loop.createFuture();
    c.setException(new Error("c"));
    await loop.runUntilComplete(async () => {
      await assert.rejects(async () => await c);
    });
    loop.close();
    assert.deepEqual(reports, []);
  });
});
