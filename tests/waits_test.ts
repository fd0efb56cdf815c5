// Every wait the library hands out is a Future whose cancellation cancels the
// wait itself: handed to waitFor, gather, wait or ensureFuture, then timed
// out or cancelled, it loses no item, no lock, no slot, no notification.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  Barrier,
  CancelledError,
  Condition,
  createTask,
  ensureFuture,
  Event,
  Future,
  gather,
  Lock,
  Queue,
  Semaphore,
  sleep,
  TimeoutError,
  wait,
  waitFor,
} from "../mod.ts";
import { failure, runVirtual, yields } from "./_virtual.ts";

/** The ways a combinator gives up on a wait it was handed. */
const giveUps: [string, (wait: Future<unknown>) => Promise<void>][] = [
  ["waitFor times out", async (w) => {
    assert.ok((await failure(waitFor(w, 0.01))) instanceof TimeoutError);
  }],
  ["a gather of it is cancelled", async (w) => {
    const gathered = gather(w, sleep(3600));
    await sleep(0);
    gathered.cancel();
    assert.ok((await failure(gathered)) instanceof CancelledError);
  }],
  ["the task awaiting ensureFuture of it is cancelled", async (w) => {
    const waiter = createTask(() => ensureFuture(w));
    await sleep(0);
    waiter.cancel();
    assert.ok((await failure(waiter)) instanceof CancelledError);
  }],
  ["wait() times out and the pending wait is cancelled", async (w) => {
    const [done, pending] = await wait([w], { timeout: 0.01 });
    assert.equal(done.size, 0);
    for (const left of pending) left.cancel();
  }],
];

describe("a wait handed to a combinator that gives up", () => {
  for (const [how, giveUp] of giveUps) {
    describe(`when ${how}`, () => {
      it("Queue.get() leaves the next item in the queue", () =>
        runVirtual(async () => {
          const queue = new Queue<string>();
          await giveUp(queue.get());
          queue.putNowait("x");
          assert.equal(queue.qsize(), 1);
          assert.equal(await queue.get(), "x");
        }));

      it("Queue.put() does not put its item", () =>
        runVirtual(async () => {
          const queue = new Queue<string>(1);
          queue.putNowait("first");
          await giveUp(queue.put("late"));
          assert.equal(queue.getNowait(), "first");
          await yields(2);
          assert.equal(queue.qsize(), 0);
        }));

      it("Queue.join() leaves no waiter behind", () =>
        runVirtual(async () => {
          const queue = new Queue<string>();
          queue.putNowait("x");
          await giveUp(queue.join());
          queue.getNowait();
          queue.taskDone();
          assert.equal(String(queue), "<Queue maxsize=0>");
        }));

      it("Lock.acquire() does not take the lock", () =>
        runVirtual(async () => {
          const lock = new Lock();
          await lock.acquire();
          await giveUp(lock.acquire());
          lock.release();
          await yields(2);
          assert.equal(lock.locked(), false);
          await lock.acquire(); // not held by nobody: free
        }));

      it("Lock.hold() does not take the lock", () =>
        runVirtual(async () => {
          const lock = new Lock();
          await lock.acquire();
          await giveUp(lock.hold());
          lock.release();
          await yields(2);
          assert.equal(lock.locked(), false);
        }));

      it("Semaphore.acquire() takes no slot", () =>
        runVirtual(async () => {
          const sem = new Semaphore(0);
          await giveUp(sem.acquire());
          sem.release();
          await yields(2);
          assert.equal(sem.locked(), false);
          assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
        }));

      it("Event.wait() leaves no waiter behind", () =>
        runVirtual(async () => {
          const event = new Event();
          await giveUp(event.wait());
          assert.equal(String(event), "<Event [unset]>");
        }));

      it("Condition.wait() takes the lock back and passes no notification to nobody", () =>
        runVirtual(async () => {
          const cond = new Condition();
          await cond.acquire();
          const other = createTask(async () => {
            await cond.acquire();
            await cond.wait();
            cond.release();
            return "notified";
          });
          const gaveUp = createTask(() => giveUp(cond.wait()));
          await yields(3);
          // The wait that gave up holds the lock again (asyncio's rule).
          await gaveUp;
          assert.equal(cond.locked(), true);
          cond.release();
          await yields(2);
          await cond.acquire();
          cond.notify();
          cond.release();
          assert.equal(await other, "notified");
        }));

      it("Barrier.wait() leaves the barrier", () =>
        runVirtual(async () => {
          const barrier = new Barrier(2);
          await giveUp(barrier.wait());
          await yields(3);
          assert.equal(barrier.nWaiting, 0);
          assert.equal(barrier.state, "filling");
        }));
    });
  }
});

describe("a wait cancelled after its primitive woke it, before it ran", () => {
  it("Queue.get() hands the item to the next getter", () =>
    runVirtual(async () => {
      const queue = new Queue<string>();
      const first = queue.get();
      const second = queue.get();
      queue.putNowait("x");
      first.cancel();
      assert.equal(await second, "x");
    }));

  it("Lock.acquire() hands the lock to the next waiter", () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const first = lock.acquire();
      const second = lock.acquire();
      lock.release();
      first.cancel();
      assert.equal(await second, true);
      assert.equal(lock.locked(), true);
    }));

  it("Semaphore.acquire() hands the slot to the next waiter", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const first = sem.acquire();
      const second = sem.acquire();
      sem.release();
      first.cancel();
      assert.equal(await second, true);
      assert.equal(sem._value, 0);
    }));
});

describe("cancelling waiters of one primitive", () => {
  it("in random order leaves the rest served in arrival order", () =>
    runVirtual(async () => {
      const queue = new Queue<number>();
      const getters = Array.from({ length: 200 }, () => queue.get());
      // A fixed shuffle: every odd one is cancelled, in a scrambled order.
      const odd = getters.filter((_, i) => i % 2 === 1);
      for (let i = 0; i < odd.length; i++) odd[(i * 37) % odd.length].cancel();
      for (let i = 0; i < 100; i++) queue.putNowait(i);
      const got = await Promise.all(getters.filter((_, i) => i % 2 === 0));
      assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => i));
      assert.equal(queue.qsize(), 0);
    }));
});

describe("Condition.wait() cancelled while it waits for the lock again", () => {
  it("takes the lock first, then raises the last CancelledError (CPython's trace)", () =>
    runVirtual(async () => {
      // CPython 3.13: main releases, locked=True / cancelled, locked=True /
      // task cancelled ('second',) / after: locked=False
      const cond = new Condition();
      const trace: string[] = [];
      const waiter = createTask(() =>
        cond.with(async () => {
          try {
            await cond.wait();
            trace.push("woke");
          } catch (error) {
            trace.push(`cancelled, locked=${cond.locked()}`);
            throw error;
          }
        })
      );
      await sleep(0);
      await cond.with(async () => {
        cond.notify();
        await sleep(0); // notified: now waiting for the lock
        waiter.cancel("first");
        await sleep(0);
        waiter.cancel("second");
        await sleep(0);
        trace.push(`main releases, locked=${cond.locked()}`);
      });
      const error = await failure(waiter);
      trace.push(`task cancelled ${(error as Error).message}`);
      trace.push(`after: locked=${cond.locked()}`);
      assert.deepEqual(trace, [
        "main releases, locked=true",
        "cancelled, locked=true",
        "task cancelled second",
        "after: locked=false",
      ]);
    }));
});
