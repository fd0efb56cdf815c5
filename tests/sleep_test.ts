import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, createTask, getRunningLoop, sleep } from "../mod.ts";
import { runVirtual } from "./_virtual.ts";

describe("sleep()", () => {
  it("waits on the loop's clock and resolves with the result", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      assert.equal(await sleep(1.5, "value"), "value");
      assert.equal(loop.time(), 1.5);
      assert.equal(await sleep(1), undefined);
      assert.equal(loop.time(), 2.5);
    });
  });

  it("sleep(0) yields for exactly one iteration", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      let iterations = 0;
      const tick = () => {
        iterations++;
        loop.callSoon(tick);
      };
      loop.callSoon(tick);
      await sleep(0); // the callback runs once in the iteration we yield to
      const before = iterations;
      await sleep(0);
      assert.equal(iterations - before, 1);
      await sleep(-1);
      assert.equal(iterations - before, 2);
      assert.equal(loop.time(), 0);
    });
  });

  it("a cancel during sleep(0) is delivered by the step already queued", async () => {
    // CPython 3.13 prints: tick 0, cb cancels, cancelled x, tick 1, tick 2.
    const trace: string[] = [];
    await runVirtual(async () => {
      const sleeper = createTask(async () => {
        getRunningLoop().callSoon(() => {
          trace.push("cb cancels");
          sleeper.cancel("x");
        });
        try {
          await sleep(0);
          trace.push("resumed");
        } catch (error) {
          trace.push(`cancelled ${(error as Error).message}`);
        }
      });
      await createTask(async () => {
        for (let i = 0; i < 3; i++) {
          trace.push(`tick ${i}`);
          await sleep(0);
        }
      });
    });
    assert.deepEqual(trace, ["tick 0", "cb cancels", "cancelled x", "tick 1", "tick 2"]);
  });

  it("two cancels during sleep(0): the last message wins, as in asyncio", async () => {
    await runVirtual(async () => {
      const sleeper = createTask(() => sleep(0));
      await sleep(0);
      sleeper.cancel("a");
      sleeper.cancel("b");
      const error = await sleeper.then(() => null, (e) => e);
      assert.equal((error as Error).message, "b");
    });
  });

  it("fails with a clear error for NaN or a non-number", async () => {
    await runVirtual(async () => {
      await assert.rejects(async () => await sleep(NaN), {
        name: "RangeError",
        message: "Invalid delay: NaN (not a number)",
      });
      await assert.rejects(
        // deno-lint-ignore no-explicit-any
        async () => await sleep("1" as any),
        { name: "TypeError", message: "Invalid delay: expected a number of seconds, received '1'" },
      );
    });
  });

  it("needs a running loop", () => {
    assert.throws(() => sleep(1), { name: "RuntimeError", message: "no running event loop" });
  });

  it("is cancelled with its task, and its timer goes with it", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const task = createTask(() => sleep(3600));
      await sleep(0);
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
      // Idle until a host timer fires: a live hour-long timer would make the
      // virtual clock jump to it meanwhile; a cancelled one does not count.
      const later = loop.createFuture();
      setTimeout(() => later.setResult(null), 1);
      await later;
      assert.equal(loop.time(), 0);
    });
  });

  it("an Infinity sleep waits until cancelled", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const task = createTask(() => sleep(Infinity));
      loop.callLater(5, () => task.cancel());
      await assert.rejects(async () => await task, CancelledError);
      assert.equal(loop.time(), 5);
    });
  });
});
