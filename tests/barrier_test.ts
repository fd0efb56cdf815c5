// Barrier: phases (filling, draining, resetting, broken), arrival indexes,
// abort and reset, on a virtual clock. Many cases follow CPython's
// Lib/test/test_asyncio/test_locks.py (BarrierTests).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  BrokenBarrierError,
  CancelledError,
  createTask,
  gather,
  RuntimeError,
  sleep,
  type Task,
} from "../mod.ts";
import { runVirtual } from "./_virtual.ts";

function spawn<T>(n: number, body: (i: number) => Promise<T>): Task<T>[] {
  return Array.from({ length: n }, (_, i) => createTask(() => body(i)));
}

function isBroken(message: string) {
  return (e: unknown) => {
    assert.ok(e instanceof BrokenBarrierError);
    assert.ok(e instanceof RuntimeError);
    assert.equal(e.message, message);
    return true;
  };
}

describe("Barrier", () => {
  it("rejects parties below 1 or not integers", () => {
    for (const bad of [0, -4]) {
      assert.throws(() => new Barrier(bad), { name: "RangeError", message: "parties must be > 0" });
    }
    assert.throws(() => new Barrier(1.5), RangeError);
    assert.throws(() => new Barrier(NaN), RangeError);
    assert.throws(() => new Barrier("2" as never), TypeError);
    assert.equal(new Barrier(5).parties, 5);
  });

  it("shows its state and waiters in toString", () =>
    runVirtual(async () => {
      const barrier = new Barrier(3);
      assert.equal(String(barrier), "<Barrier [filling, waiters:0/3]>");
      const tasks = spawn(2, () => barrier.wait());
      await sleep(0);
      assert.equal(String(barrier), "<Barrier [filling, waiters:2/3]>");
      tasks.push(...spawn(1, () => barrier.wait()));
      await sleep(0);
      assert.equal(String(barrier), "<Barrier [draining, waiters:0/3]>");
      assert.equal(barrier.state, "draining");
      await gather(...tasks);
      assert.equal(String(barrier), "<Barrier [filling, waiters:0/3]>");
      tasks.push(...spawn(2, () => barrier.wait()));
      await sleep(0);
      await barrier.reset();
      assert.equal(String(barrier), "<Barrier [resetting, waiters:0/3]>");
      await gather(...tasks, { returnExceptions: true });
      await barrier.abort();
      assert.equal(String(barrier), "<Barrier [broken]>");
      assert.equal(barrier.broken, true);
    }));

  it("returns arrival indexes: the last arriver first, then the others in order", () =>
    runVirtual(async () => {
      const barrier = new Barrier(3);
      const order: [number, number][] = [];
      const tasks = spawn(3, async (n) => {
        order.push([n, await barrier.wait()]);
      });
      await gather(...tasks);
      assert.deepEqual(order, [[2, 2], [0, 0], [1, 1]]);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    }));

  it("makes tasks arriving while it drains wait for the next round", () =>
    runVirtual(async () => {
      const barrier = new Barrier(2);
      const order: [number, number, string][] = [];
      await gather(
        ...spawn(4, async (n) => {
          const index = await barrier.wait();
          order.push([n, index, barrier.state]);
        }),
      );
      assert.deepEqual(order, [
        [1, 1, "draining"],
        [0, 0, "filling"],
        [3, 1, "draining"],
        [2, 0, "filling"],
      ]);
    }));

  it("with() runs the body with the arrival index", () =>
    runVirtual(async () => {
      const barrier = new Barrier(3);
      const results = await gather(
        ...spawn(3, () => barrier.with(async (index) => `#${index}`)),
      );
      assert.deepEqual([...results].sort(), ["#0", "#1", "#2"]);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("with() passes the body's error on", () =>
    runVirtual(async () => {
      const barrier = new Barrier(1);
      await assert.rejects(barrier.with(() => Promise.reject(new Error("x"))), { message: "x" });
      assert.equal(barrier.broken, false);
    }));

  it("with one party never waits, round after round", () =>
    runVirtual(async () => {
      const barrier = new Barrier(1);
      const t1 = createTask(() => barrier.wait());
      await sleep(0);
      assert.equal(barrier.nWaiting, 0);
      const t2 = createTask(() => barrier.wait());
      await sleep(0);
      assert.equal(t1.result(), 0);
      assert.equal(t2.result(), 0);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("counts arrivals in nWaiting while it fills", () =>
    runVirtual(async () => {
      const barrier = new Barrier(3);
      const t1 = createTask(() => barrier.wait());
      await sleep(0);
      assert.equal(barrier.nWaiting, 1);
      const t2 = createTask(() => barrier.wait());
      await sleep(0);
      assert.equal(barrier.nWaiting, 2);
      const t3 = createTask(() => barrier.wait());
      await sleep(0);
      assert.equal(barrier.nWaiting, 0); // draining
      assert.deepEqual(await gather(t1, t2, t3), [0, 1, 2]);
    }));

  it("shows draining to every task but the last one out", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      const seen: boolean[] = [];
      await gather(
        ...spawn(5, () => barrier.with(() => seen.push(String(barrier).includes("draining")))),
      );
      assert.deepEqual(seen, [true, true, true, true, false]);
    }));

  it("can be passed twice in a row by the same tasks", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      const results: boolean[] = [];
      const indexes = await gather(
        ...spawn(5, () =>
          barrier.with(async () => {
            results.push(true);
            return await barrier.with((i) => {
              results.push(false);
              return i;
            });
          })),
      );
      assert.equal(results.filter((r) => r).length, 5);
      assert.equal(results.filter((r) => !r).length, 5);
      assert.deepEqual([...indexes].sort(), [0, 1, 2, 3, 4]);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.broken, false);
    }));

  it("blocks tasks that come back while it drains", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      const others = new Barrier(3);
      let rewait = 2;
      await gather(
        ...spawn(5, async () => {
          await barrier.wait();
          if (rewait > 0) {
            rewait--;
            await barrier.wait();
          } else {
            await others.wait();
            await barrier.wait();
          }
        }),
      );
      assert.equal(barrier.nWaiting, 0);
      assert.equal(others.nWaiting, 0);
    }));

  it("a task cancelled while waiting leaves the count", () =>
    runVirtual(async () => {
      const barrier = new Barrier(3);
      const results: boolean[] = [];
      const worker = async () => {
        await barrier.wait();
        results.push(true);
      };
      const t1 = createTask(worker);
      await sleep(0);
      const t2 = createTask(worker);
      await sleep(0);
      assert.equal(barrier.nWaiting, 2);
      t1.cancel();
      await sleep(0);
      assert.equal(barrier.nWaiting, 1);
      await assert.rejects(async () => await t1, CancelledError);
      const t3 = createTask(worker);
      await sleep(0);
      assert.equal(barrier.nWaiting, 2);
      const t4 = createTask(worker);
      await gather(t2, t3, t4);
      assert.equal(results.length, 3);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("reset() with nobody waiting leaves it filling", () =>
    runVirtual(async () => {
      const barrier = new Barrier(1);
      createTask(() => barrier.reset());
      await sleep(0);
      assert.equal(barrier.state, "filling");
      assert.equal(barrier.broken, false);
    }));

  it("reset() breaks the waiting tasks and refills", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      const errors: unknown[] = [];
      const tasks = spawn(4, async () => {
        try {
          await barrier.wait();
        } catch (error) {
          errors.push(error);
        }
      });
      await sleep(0);
      createTask(() => barrier.reset());
      await gather(...tasks);
      assert.equal(errors.length, 4);
      for (const e of errors) isBroken("Abort or reset of barrier")(e);
      assert.equal(barrier.nWaiting, 0);
      assert.equal(barrier.state, "filling");
    }));

  it("reset() while the round drains keeps it usable", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      let count = 0;
      let passedSecond = 0;
      let failedSecond = 0;
      let passedThird = 0;
      await gather(
        ...spawn(5, async () => {
          await barrier.wait();
          count++;
          if (count === 5) {
            await barrier.reset();
            await barrier.wait();
          } else {
            try {
              await barrier.wait();
              passedSecond++;
            } catch {
              failedSecond++;
            }
          }
          await barrier.wait();
          passedThird++;
        }),
      );
      assert.equal(passedSecond, 4);
      assert.equal(failedSecond, 0);
      assert.equal(passedThird, 5);
      assert.equal(barrier.broken, false);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("reset() by half the tasks breaks the other half, who wait again", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      const broken: boolean[] = [];
      const blockedBroken: boolean[] = [];
      let count = 0;
      await gather(
        ...spawn(5, async () => {
          try {
            await barrier.wait();
          } catch (error) {
            isBroken("Abort or reset of barrier")(error);
            broken.push(true);
            await barrier.wait();
            return;
          }
          count++;
          if (count > 2) {
            await barrier.reset();
            await barrier.wait();
          } else {
            try {
              await barrier.wait();
            } catch {
              blockedBroken.push(true);
            }
          }
        }),
      );
      assert.deepEqual(broken, [true, true]);
      assert.deepEqual(blockedBroken, []);
      assert.equal(barrier.state, "filling");
    }));

  it("abort() breaks waiting tasks and later arrivals", () =>
    runVirtual(async () => {
      const barrier = new Barrier(3);
      const waiting = spawn(2, () => barrier.wait());
      await sleep(0);
      await barrier.abort();
      assert.equal(barrier.broken, true);
      assert.equal(barrier.nWaiting, 0);
      for (const t of waiting) {
        await assert.rejects(async () => await t, isBroken("Abort or reset of barrier"));
      }
      await assert.rejects(barrier.wait(), isBroken("Barrier aborted"));
      assert.equal(String(barrier), "<Barrier [broken]>");
    }));

  it("abort() with nobody waiting breaks it", () =>
    runVirtual(async () => {
      const barrier = new Barrier(1);
      createTask(() => barrier.abort());
      await sleep(0);
      assert.equal(barrier.broken, true);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("abort() on an error breaks every other party", () =>
    runVirtual(async () => {
      const barrier = new Barrier(5);
      let passed = 0;
      let broken = 0;
      await gather(
        ...spawn(5, async () => {
          try {
            await barrier.with((i) => {
              if (i === 2) throw new TypeError("failed");
            });
            await barrier.with(() => passed++);
          } catch (error) {
            if (error instanceof BrokenBarrierError) broken++;
            else await barrier.abort();
          }
        }),
      );
      assert.equal(barrier.broken, true);
      assert.equal(passed, 0);
      assert.equal(broken, 4);
      assert.equal(barrier.nWaiting, 0);
    }));

  it("reset() after abort() makes it usable again", () =>
    runVirtual(async () => {
      const barrier1 = new Barrier(5);
      const barrier2 = new Barrier(5);
      let passed = 0;
      let broken = 0;
      let last = 0;
      await gather(
        ...spawn(5, async () => {
          try {
            const i = await barrier1.wait();
            if (i === 2) throw new TypeError("failed");
            await barrier1.wait();
            passed++;
          } catch (error) {
            if (error instanceof BrokenBarrierError) broken++;
            else await barrier1.abort();
          }
          // Everyone leaves barrier1 before the reset, and nobody enters it before.
          if (await barrier2.wait() === 2) await barrier1.reset();
          await barrier2.wait();
          await barrier1.wait();
          last++;
        }),
      );
      assert.equal(barrier1.broken, false);
      assert.equal(passed, 0);
      assert.equal(broken, 4);
      assert.equal(last, 5);
      assert.equal(barrier1.nWaiting, 0);
    }));

  it("is bound to the first loop that makes a task wait", async () => {
    const barrier = new Barrier(2);
    await runVirtual(async () => {
      createTask(() => barrier.wait()); // cancelled when the run ends
      await sleep(0);
    });
    await runVirtual(async () => {
      await assert.rejects(barrier.wait(), {
        name: "RuntimeError",
        message: "<Barrier [filling, waiters:0/2]> is bound to a different event loop",
      });
      assert.equal(barrier.nWaiting, 0);
    });
  });
});
