import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { CancelledError, createTask, Future, gather, getRunningLoop, sleep } from "../mod.ts";
import { failure, runVirtual } from "./_virtual.ts";

describe("gather()", () => {
  it("returns results in argument order, not completion order", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const results = await gather(
        sleep(3, "slow"),
        async () => {
          await sleep(1);
          return 2;
        },
        Promise.resolve(true),
      );
      const typed: [string, number, boolean] = results;
      assert.deepEqual(typed, ["slow", 2, true]);
      assert.equal(loop.time(), 3);
    });
  });

  it("awaits an awaitable given twice only once", async () => {
    await runVirtual(async () => {
      let runs = 0;
      const task = createTask(async () => ++runs);
      assert.deepEqual(await gather(task, task), [1, 1]);
      assert.equal(runs, 1);
      // A function or a promise given twice is started or wrapped once.
      const count = async () => ++runs;
      assert.deepEqual(await gather(count, task, count), [2, 1, 2]);
      const promise = Promise.resolve("p");
      assert.deepEqual(await gather(promise, promise), ["p", "p"]);
      // A failing child given twice fails the gather once, with its error.
      const failing = createTask(async () => {
        await sleep(1);
        throw new Error("once");
      });
      await assert.rejects(gather(failing, failing), { message: "once" });
      assert.deepEqual(await gather(failing, failing, { returnExceptions: true }), [
        failing.exception(),
        failing.exception(),
      ]);
    });
  });

  it("with no arguments resolves with []", async () => {
    await runVirtual(async () => {
      assert.deepEqual(await gather(), []);
    });
  });

  it("fails with the first error and leaves the other children running", async () => {
    await runVirtual(async () => {
      const slow = createTask(() => sleep(5, "finished"));
      const outer = gather(slow, async () => {
        await sleep(1);
        throw new Error("first");
      });
      await assert.rejects(async () => await outer, { message: "first" });
      assert.equal(slow.done(), false);
      assert.equal(outer.cancel(), false); // done already
      assert.equal(await slow, "finished");
    });
  });

  it("with returnExceptions puts errors in their slots", async () => {
    await runVirtual(async () => {
      const error = new Error("bad");
      const results = await gather(
        async () => 1,
        async () => {
          throw error;
        },
        { returnExceptions: true },
      );
      assert.equal(results[0], 1);
      assert.equal(results[1], error);
    });
  });

  it("a cancelled child fails the gather with CancelledError, but the gather is not cancelled", async () => {
    await runVirtual(async () => {
      const child = createTask(() => sleep(10));
      const outer = gather(child);
      await sleep(0);
      child.cancel();
      await assert.rejects(async () => await outer, CancelledError);
      assert.equal(outer.cancelled(), false);
    });
  });

  it("with returnExceptions a cancelled child's slot holds CancelledError('')", async () => {
    await runVirtual(async () => {
      const child = createTask(() => sleep(10));
      const outer = gather(child, async () => "ok", { returnExceptions: true });
      await sleep(0);
      child.cancel("a message");
      const [slot, ok] = await outer;
      assert.ok(slot instanceof CancelledError);
      assert.equal(slot.message, "");
      assert.equal(ok, "ok");
    });
  });

  it("cancelling the gather cancels the pending children and raises CancelledError even with returnExceptions", async () => {
    await runVirtual(async () => {
      const cleaned: string[] = [];
      const child = (name: string) => async () => {
        try {
          await sleep(10);
        } finally {
          await sleep(1);
          cleaned.push(name);
        }
      };
      const done = createTask(async () => "already");
      await done;
      const outer = gather(done, child("a"), child("b"), { returnExceptions: true });
      await sleep(0);
      assert.equal(outer.cancel("stop"), true);
      await assert.rejects(async () => await outer, CancelledError);
      assert.deepEqual(cleaned, ["a", "b"]);
      assert.equal(outer.cancelled(), false);
    });
  });

  it("cancelling the task that awaits the gather cancels the children", async () => {
    await runVirtual(async () => {
      const children = [createTask(() => sleep(10)), createTask(() => sleep(20))];
      const waiter = createTask(async () => await gather(...children));
      await sleep(0);
      waiter.cancel();
      await assert.rejects(async () => await waiter, CancelledError);
      assert.ok(children.every((child) => child.cancelled()));
    });
  });

  it("cancel() returns false when every child is done already", async () => {
    await runVirtual(async () => {
      const future = new Future<number>();
      const outer = gather(future);
      future.setResult(1);
      assert.equal(outer.cancel(), false);
      assert.deepEqual(await outer, [1]);
    });
  });

  it("of children all done already is done at once, so its awaiter does not suspend (3.12+)", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const future = new Future<number>();
      future.setResult(1);
      assert.equal(gather(future, future).done(), true);
      // Python 3.11 suspended here, so a cancel queued behind the task's
      // first step reached it; 3.12+ returns in that step.
      const waiter = createTask(async () => await gather(future));
      loop.callSoon(() => waiter.cancel());
      assert.deepEqual(await waiter, [1]);
    });
  });

  it("a cancelled gather raises the CancelledError of its last child in argument order", async () => {
    await runVirtual(async () => {
      const slowToStop = createTask(async () => {
        try {
          await sleep(3600);
        } catch {
          await sleep(1);
          throw new CancelledError("from the first child, last in time");
        }
      });
      const quick = createTask(() => sleep(3600));
      const outer = gather(slowToStop, quick);
      await sleep(0);
      outer.cancel("outer");
      const error = await failure(outer);
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "outer");
    });
  });

  it("takes a collection of any size: gather(iterable, options)", async () => {
    await runVirtual(async () => {
      const n = 300_000; // beyond what a spread call can pass
      const tasks = [];
      for (let i = 0; i < n; i++) tasks.push(createTask(() => sleep(0, i)));
      const results = await gather(tasks);
      assert.equal(results.length, n);
      assert.equal(results[n - 1], n - 1);
      const outcomes = await gather(new Set([sleep(0, "a"), Promise.reject(new Error("b"))]), {
        returnExceptions: true,
      });
      assert.equal(outcomes[0], "a");
      assert.equal((outcomes[1] as Error).message, "b");
      assert.deepEqual(await gather([]), []);
    });
  });

  it("does not report the errors of other children as never retrieved", async () => {
    const reports: unknown[] = [];
    await runVirtual(async () => {
      getRunningLoop().setExceptionHandler((_loop, context) => reports.push(context));
      const outer = gather(
        async () => {
          throw new Error("one");
        },
        async () => {
          await sleep(1);
          throw new Error("two");
        },
      );
      await assert.rejects(async () => await outer, { message: "one" });
      await sleep(2);
    });
    assert.deepEqual(reports, []);
  });
});
