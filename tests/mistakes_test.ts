// Clear errors for the mistakes people make, tried as a new user would.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allTasks,
  Condition,
  createTask,
  currentTask,
  ensureFuture,
  Future,
  InvalidStateError,
  sleep,
  taskGroup,
  timeout,
  timeoutAt,
  VirtualClock,
} from "../mod.ts";
import { failure, runVirtual, virtualLoop } from "./_virtual.ts";

describe("mistakes", () => {
  it("timeout(1, sleep(1)) says what timeout takes and points to waitFor", async () => {
    await runVirtual(async () => {
      for (
        const call of [() => timeout(1, sleep(1) as never), () => timeoutAt(1, sleep(1) as never)]
      ) {
        assert.throws(call, (error: Error) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, /expected a function/);
          assert.match(error.message, /waitFor\(awaitable, delay\)/);
          return true;
        });
      }
    });
  });

  it("tg.createTask(work()) is refused before anything starts", async () => {
    await runVirtual(async () => {
      const work = async () => "done";
      await taskGroup((tg) => {
        assert.throws(
          () => tg.createTask(work() as never),
          /takes the async function, not a promise/,
        );
      });
      assert.equal(allTasks().size, 1);
    });
  });

  it("VirtualClock.advance() refuses a string instead of making time() a string", () => {
    const clock = new VirtualClock();
    assert.throws(() => clock.advance("1" as never), TypeError);
    assert.equal(clock.now(), 0);
  });

  it("ensureFuture(promise) with a closed loop throws instead of staying pending", () => {
    const loop = virtualLoop();
    loop.close();
    assert.throws(() => ensureFuture(Promise.resolve(1), { loop }), {
      message: "Event loop is closed",
    });
  });

  it("ensureFuture(42) says what CPython says", () => {
    assert.throws(() => ensureFuture(42 as never), {
      name: "TypeError",
      message: "An asyncio.Future, a coroutine or an awaitable is required",
    });
  });

  it("allTasks() and currentTask() name a wrong loop argument", () => {
    assert.throws(
      () => allTasks("x" as never),
      /Cannot list the tasks: expected an EventLoop, received 'x'/,
    );
    assert.throws(() => currentTask(5 as never), /expected an EventLoop, received 5/);
  });

  it("Condition.notify(NaN) is refused", async () => {
    await runVirtual(async () => {
      const cond = new Condition();
      await cond.acquire();
      assert.throws(() => cond.notify(NaN), RangeError);
      assert.throws(() => cond.notify("1" as never), TypeError);
      cond.release();
    });
  });

  it("setResult on a done Future says CPython's 'invalid state'", () => {
    const future = new Future(virtualLoop());
    future.setResult(1);
    assert.throws(() => future.setResult(2), new InvalidStateError("invalid state"));
  });

  it("awaiting a createTask of a promise cannot happen: the mistake throws at the call", async () => {
    await runVirtual(async () => {
      const error = await failure(Promise.resolve().then(() => createTask(sleep(1) as never)));
      assert.ok(error instanceof TypeError);
    });
  });
});
