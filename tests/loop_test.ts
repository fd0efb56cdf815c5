import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ExceptionContext,
  getEventLoop,
  newEventLoop,
  RuntimeError,
  sleep,
  VirtualClock,
} from "../mod.ts";
import { captureReports, virtualLoop } from "./_virtual.ts";

describe("EventLoop.callSoon()", () => {
  it("runs callbacks in FIFO order with their arguments", async () => {
    const loop = virtualLoop();
    const seen: string[] = [];
    for (const name of ["a", "b", "c"]) {
      loop.callSoon((x: string, y: number) => seen.push(x + y), name, 1);
    }
    loop.callSoon(() => loop.stop());
    await loop.runForever();
    assert.deepEqual(seen, ["a1", "b1", "c1"]);
    loop.close();
  });

  it("runs a callback scheduled during an iteration in the next one", async () => {
    const loop = virtualLoop();
    const seen: string[] = [];
    loop.callSoon(() => {
      seen.push("first");
      loop.callSoon(() => seen.push("scheduled by first"));
    });
    loop.callSoon(() => seen.push("second"));
    loop.stop(); // stop before running: exactly one iteration
    await loop.runForever();
    assert.deepEqual(seen, ["first", "second"]);
    loop.stop();
    await loop.runForever();
    assert.deepEqual(seen, ["first", "second", "scheduled by first"]);
    loop.close();
  });

  it("does not run a cancelled handle, and cancel() is idempotent", async () => {
    const loop = virtualLoop();
    const seen: number[] = [];
    const handle = loop.callSoon(() => seen.push(1));
    loop.callSoon(() => seen.push(2));
    handle.cancel();
    handle.cancel();
    assert.equal(handle.cancelled(), true);
    loop.stop();
    await loop.runForever();
    assert.deepEqual(seen, [2]);
    loop.close();
  });

  it("reports a callback that throws and keeps running", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    const seen: string[] = [];
    function broken(): void {
      throw new Error("boom");
    }
    const handle = loop.callSoon(broken);
    loop.callSoon(() => seen.push("after"));
    loop.stop();
    await loop.runForever();
    assert.deepEqual(seen, ["after"]);
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Exception in callback broken()");
    assert.equal((reports[0].exception as Error).message, "boom");
    assert.equal(reports[0].handle, handle);
    loop.close();
  });

  it("reports the rejection of an async callback instead of leaving it unhandled", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    async function brokenLater(): Promise<void> {
      await null;
      throw new Error("later");
    }
    loop.callSoon(brokenLater);
    loop.callLater(1, brokenLater);
    loop.callAt(2, brokenLater);
    await loop.runUntilComplete(() => sleep(3));
    assert.deepEqual(
      reports.map((r) => [r.message, (r.exception as Error).message]),
      Array(3).fill(["Exception in callback brokenLater()", "later"]),
    );
    loop.close();
  });

  it("refuses a non-function", () => {
    const loop = virtualLoop();
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => loop.callSoon(1 as any),
      { name: "TypeError", message: "a callable object was expected by callSoon(), got 1" },
    );
    loop.close();
  });
});

describe("EventLoop.callLater() and callAt()", () => {
  it("runs timers by deadline, equal deadlines in scheduling order", async () => {
    const loop = virtualLoop();
    const seen: string[] = [];
    loop.callLater(2, () => seen.push("2s"));
    loop.callLater(1, () => seen.push("1s-a"));
    loop.callAt(1, () => seen.push("1s-b"));
    loop.callLater(0, () => seen.push("now"));
    loop.callLater(3, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(seen, ["now", "1s-a", "1s-b", "2s"]);
    assert.equal(loop.time(), 3);
    loop.close();
  });

  it("runs a past deadline at the next iteration", async () => {
    const loop = virtualLoop();
    const seen: string[] = [];
    loop.callAt(-5, () => seen.push("past"));
    loop.stop();
    await loop.runForever();
    assert.deepEqual(seen, ["past"]);
    loop.close();
  });

  it("gives TimerHandle.when() and honours cancel()", async () => {
    const loop = virtualLoop();
    const seen: string[] = [];
    const timer = loop.callLater(5, () => seen.push("never"));
    assert.equal(timer.when(), 5);
    timer.cancel();
    loop.callLater(1, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(seen, []);
    assert.equal(loop.time(), 1);
    loop.close();
  });

  it("keeps working when most of many timers are cancelled", async () => {
    const loop = virtualLoop();
    const seen: number[] = [];
    const timers = [];
    for (let i = 0; i < 1000; i++) timers.push(loop.callLater(i + 1, () => seen.push(i)));
    for (let i = 0; i < 1000; i++) if (i % 10 !== 0) timers[i].cancel();
    loop.callLater(2000, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, k) => k * 10));
    loop.close();
  });

  it("rejects NaN and non-numbers with clear errors", () => {
    const loop = virtualLoop();
    assert.throws(() => loop.callLater(NaN, () => {}), {
      name: "RangeError",
      message: "Invalid delay: NaN (not a number)",
    });
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => loop.callLater("1" as any, () => {}),
      { name: "TypeError", message: "Invalid delay: expected a number of seconds, received '1'" },
    );
    assert.throws(() => loop.callAt(NaN, () => {}), { name: "RangeError" });
    loop.close();
  });
});

describe("EventLoop run and stop", () => {
  it("runUntilComplete() resolves with the result of a function, a future or a promise", async () => {
    const loop = virtualLoop();
    assert.equal(await loop.runUntilComplete(async () => 7), 7);
    const future = loop.createFuture<string>();
    loop.callSoon(() => future.setResult("set"));
    assert.equal(await loop.runUntilComplete(future), "set");
    assert.equal(await loop.runUntilComplete(Promise.resolve("promise")), "promise");
    loop.close();
  });

  it("runUntilComplete() rejects with the exception", async () => {
    const loop = virtualLoop();
    await assert.rejects(
      loop.runUntilComplete(async () => {
        await sleep(1);
        throw new Error("bad");
      }),
      { message: "bad" },
    );
    loop.close();
  });

  it("a stopped loop can run again; nothing advances while it is stopped", async () => {
    const loop = virtualLoop();
    const seen: string[] = [];
    const task = loop.createTask(async () => {
      seen.push("started");
      await sleep(10);
      seen.push("woke");
      return "done";
    });
    loop.callLater(5, () => loop.stop());
    await loop.runForever();
    assert.deepEqual(seen, ["started"]);
    assert.equal(task.done(), false);
    assert.equal(loop.isRunning(), false);
    assert.equal(await loop.runUntilComplete(task), "done");
    assert.deepEqual(seen, ["started", "woke"]);
    loop.close();
  });

  it("raises when stopped before the future completed", async () => {
    const loop = virtualLoop();
    const future = loop.createFuture();
    loop.callSoon(() => loop.stop());
    await assert.rejects(loop.runUntilComplete(future), {
      name: "RuntimeError",
      message: "Event loop stopped before Future completed.",
    });
    loop.close();
  });

  it("refuses to run a running loop, or while another loop runs", async () => {
    const loop = virtualLoop();
    const other = virtualLoop();
    await loop.runUntilComplete(async () => {
      await assert.rejects(loop.runUntilComplete(async () => 1), {
        name: "RuntimeError",
        message: "This event loop is already running",
      });
      await assert.rejects(other.runForever(), {
        name: "RuntimeError",
        message: "Cannot run the event loop while another loop is running",
      });
      assert.equal(loop.isRunning(), true);
    });
    loop.close();
    other.close();
  });

  it("cannot close a running loop; close() is idempotent", async () => {
    const loop = virtualLoop();
    await loop.runUntilComplete(() => {
      assert.throws(() => loop.close(), {
        name: "RuntimeError",
        message: "Cannot close a running event loop",
      });
    });
    loop.close();
    loop.close();
    assert.equal(loop.isClosed(), true);
  });

  it("a closed loop refuses work but still makes futures", async () => {
    const loop = virtualLoop();
    loop.close();
    const closed = { name: "RuntimeError", message: "Event loop is closed" };
    assert.throws(() => loop.callSoon(() => {}), closed);
    assert.throws(() => loop.callLater(1, () => {}), closed);
    assert.throws(() => loop.callAt(1, () => {}), closed);
    assert.throws(() => loop.createTask(async () => {}), closed);
    await assert.rejects(loop.runForever(), closed);
    await assert.rejects(loop.runUntilComplete(async () => {}), closed);
    assert.equal(loop.createFuture().done(), false);
  });

  it("runs sleeps on the injected clock", async () => {
    const clock = new VirtualClock(100);
    const loop = newEventLoop({ clock });
    assert.equal(loop.time(), 100);
    await loop.runUntilComplete(() => sleep(3600));
    assert.equal(loop.time(), 3700);
    loop.close();
  });

  it("getEventLoop() at the top level gives a usable loop, the same one each time", async () => {
    const loop = getEventLoop();
    assert.equal(getEventLoop(), loop);
    assert.equal(await loop.runUntilComplete(async () => getEventLoop() === loop), true);
  });
});

describe("EventLoop exception handler", () => {
  it("passes the context to a custom handler", () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    const context: ExceptionContext = { message: "hello", exception: new Error("x") };
    loop.callExceptionHandler(context);
    assert.deepEqual(reports, [context]);
    loop.setExceptionHandler(null);
    assert.equal(loop.getExceptionHandler(), null);
    loop.close();
  });

  it("refuses a non-callable handler", () => {
    const loop = virtualLoop();
    assert.throws(
      // deno-lint-ignore no-explicit-any
      () => loop.setExceptionHandler(1 as any),
      { name: "TypeError", message: "A callable object or null is expected, got 1" },
    );
    loop.close();
  });

  it("logs a failing handler through the default handler", () => {
    const loop = virtualLoop();
    const logged: string[] = [];
    const original = console.error;
    console.error = (text: string) => logged.push(text);
    try {
      loop.setExceptionHandler(() => {
        throw new Error("handler broke");
      });
      loop.callExceptionHandler({ message: "original" });
    } finally {
      console.error = original;
    }
    assert.equal(logged.length, 1);
    assert.match(
      logged[0],
      /^Unhandled error in exception handler\ncontext: <Object>\nError: handler broke/,
    );
    loop.close();
  });

  it("the default handler prints the message, sorted keys, then the stack", () => {
    const loop = virtualLoop();
    const logged: string[] = [];
    const original = console.error;
    console.error = (text: string) => logged.push(text);
    try {
      loop.defaultExceptionHandler({
        message: "Something",
        zeta: "z",
        alpha: 1,
        exception: new Error("e"),
      });
      loop.defaultExceptionHandler({});
    } finally {
      console.error = original;
    }
    assert.match(logged[0], /^Something\nalpha: 1\nzeta: z\nError: e\n/);
    assert.equal(logged[1], "Unhandled exception in event loop");
    loop.close();
  });

  it("close() reports tasks destroyed while pending", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    const task = loop.createTask(() => sleep(10));
    loop.stop();
    await loop.runForever();
    loop.close();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Task was destroyed but it is pending!");
    assert.equal(reports[0].task, task);
  });

  it("raises RuntimeError for the loop's misuse with the class callers can catch", async () => {
    const loop = virtualLoop();
    loop.close();
    await assert.rejects(loop.runForever(), RuntimeError);
  });
});
