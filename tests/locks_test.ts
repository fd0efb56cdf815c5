// Lock, Event, Condition, Semaphore, BoundedSemaphore: asyncio's behaviour,
// orderings counted in loop iterations (sleep(0)), on a virtual clock.
// Many cases follow CPython's Lib/test/test_asyncio/test_locks.py.
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  BoundedSemaphore,
  CancelledError,
  Condition,
  createTask,
  currentTask,
  Event,
  gather,
  getRunningLoop,
  Lock,
  RuntimeError,
  Semaphore,
  sleep,
  type Task,
} from "../mod.ts";
import { failure, runVirtual, yields } from "./_virtual.ts";

describe("Lock", () => {
  it("shows its state and waiters in toString", () =>
    runVirtual(async () => {
      const lock = new Lock();
      assert.equal(String(lock), "<Lock [unlocked]>");
      assert.equal(await lock.acquire(), true);
      assert.equal(String(lock), "<Lock [locked]>");
      createTask(() => lock.acquire());
      createTask(() => lock.acquire());
      await sleep(0);
      assert.equal(String(lock), "<Lock [locked, waiters:2]>");
    }));

  it("acquire resolves true and release unlocks", () =>
    runVirtual(async () => {
      const lock = new Lock();
      assert.equal(lock.locked(), false);
      assert.equal(await lock.acquire(), true);
      assert.equal(lock.locked(), true);
      lock.release();
      assert.equal(lock.locked(), false);
    }));

  it("release of an unlocked lock throws RuntimeError('Lock is not acquired.')", () => {
    const lock = new Lock();
    assert.throws(() => lock.release(), (e) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.message, "Lock is not acquired.");
      return true;
    });
  });

  it("serves waiters first in, first out, one release per waiter", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const result: number[] = [];
      await lock.acquire();
      const take = (n: number) => async () => {
        await lock.acquire();
        result.push(n);
        return true;
      };
      const t1 = createTask(take(1));
      const t2 = createTask(take(2));
      await sleep(0);
      assert.deepEqual(result, []);
      lock.release();
      await sleep(0);
      assert.deepEqual(result, [1]);
      await sleep(0);
      assert.deepEqual(result, [1]);
      const t3 = createTask(take(3));
      lock.release();
      await sleep(0);
      assert.deepEqual(result, [1, 2]);
      lock.release();
      await sleep(0);
      assert.deepEqual(result, [1, 2, 3]);
      for (const t of [t1, t2, t3]) assert.equal(t.result(), true);
    }));

  it("lets no newcomer barge past a woken waiter", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const order: (number | string)[] = [];
      await lock.acquire();
      const take = (n: number) => async () => {
        await lock.acquire();
        order.push(n);
        lock.release();
      };
      createTask(take(1));
      await sleep(0);
      lock.release();
      // Free, but the woken waiter has not run: a newcomer must queue.
      assert.equal(lock.locked(), false);
      assert.equal(String(lock), "<Lock [unlocked, waiters:1]>");
      createTask(take(2));
      await lock.acquire();
      order.push("main");
      lock.release();
      await yields(2);
      assert.deepEqual(order, [1, "main", 2]);
    }));

  it("a waiter cancelled while queued leaves no trace", () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const task = createTask(() => lock.acquire());
      getRunningLoop().callSoon(() => task.cancel());
      assert.ok(await failure(task) instanceof CancelledError);
      assert.equal(String(lock), "<Lock [locked]>");
      lock.release();
      assert.equal(lock.locked(), false);
    }));

  it("skips a waiter cancelled in the same iteration as the release", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const lockit = (blocker: PromiseLike<unknown> | null) => async () => {
        await lock.acquire();
        try {
          if (blocker !== null) await blocker;
        } finally {
          lock.release();
        }
      };
      const fa = getRunningLoop().createFuture();
      const ta = createTask(lockit(fa));
      await sleep(0);
      assert.ok(lock.locked());
      const tb = createTask(lockit(null));
      await sleep(0);
      const tc = createTask(lockit(null));
      await sleep(0);
      assert.equal(String(lock), "<Lock [locked, waiters:2]>");
      fa.setResult(null);
      tb.cancel();
      await sleep(0);
      assert.equal(lock.locked(), false);
      assert.ok(ta.done());
      assert.ok(tb.cancelled());
      await tc;
      assert.equal(lock.locked(), false);
    }));

  it("takes the lock once when a cancel and a release race (bpo-32734)", () =>
    runVirtual(async () => {
      const lock = new Lock();
      let locks = 0;
      let calls = 0;
      const lockit = async () => {
        calls++;
        await lock.acquire();
        locks++;
      };
      await lock.acquire();
      const t1 = createTask(lockit);
      const t2 = createTask(lockit);
      const t3 = createTask(lockit);
      await sleep(0);
      getRunningLoop().callSoon(() => {
        t1.cancel();
        lock.release();
      });
      assert.ok(await failure(t1) instanceof CancelledError);
      assert.equal(locks, 1);
      assert.equal(calls, 3);
      assert.ok(t1.cancelled() && t2.done());
      t3.cancel();
      await sleep(0);
      assert.ok(t3.cancelled());
    }));

  it("hands a lost wake-up to the next waiter", () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      const tb = createTask(() => lock.acquire());
      await sleep(0);
      const tc = createTask(() => lock.acquire());
      // Wake tb, then cancel it before it runs: tc must get the lock.
      tb.cancel();
      lock.release();
      await sleep(0);
      assert.ok(lock.locked());
      assert.ok(tb.cancelled());
      assert.equal(await tc, true);
    }));

  it("using hold() releases at the end of the block", () =>
    runVirtual(async () => {
      const lock = new Lock();
      {
        using _held = await lock.hold();
        assert.ok(lock.locked());
      }
      assert.equal(lock.locked(), false);
    }));

  it("await using hold() releases when the block throws", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const body = async () => {
        await using _held = await lock.hold();
        assert.ok(lock.locked());
        throw new Error("boom");
      };
      await assert.rejects(body(), { message: "boom" });
      assert.equal(lock.locked(), false);
    }));

  it("a Releaser releases at most once", () =>
    runVirtual(async () => {
      const lock = new Lock();
      {
        using held = await lock.hold();
        assert.equal(held.released, false);
        held.release();
        assert.equal(held.released, true);
        assert.equal(lock.locked(), false);
        await lock.acquire(); // someone else's hold: the disposal must not release it
      }
      assert.ok(lock.locked());
    }));

  it("with() returns the body's result and releases", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const value = await lock.with(async () => {
        assert.ok(lock.locked());
        await sleep(1);
        return 42;
      });
      assert.equal(value, 42);
      assert.equal(lock.locked(), false);
    }));

  it("with() releases when the body throws, and rethrows", () =>
    runVirtual(async () => {
      const lock = new Lock();
      await assert.rejects(
        lock.with(() => {
          throw new TypeError("bad");
        }),
        TypeError,
      );
      assert.equal(lock.locked(), false);
    }));

  it("with() awaits a Future the body returns; a cancel reaches it and releases", () =>
    runVirtual(async () => {
      const lock = new Lock();
      assert.equal(await lock.with(() => sleep(1, "slept")), "slept");
      const task = createTask(() => lock.with(() => sleep(3600)));
      await sleep(0);
      assert.ok(lock.locked());
      task.cancel();
      assert.ok(await failure(task) instanceof CancelledError);
      assert.equal(lock.locked(), false);
      assert.equal(getRunningLoop().time(), 1);
    }));

  it("with() that had to wait runs its body in the calling task, in its context", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const semaphore = new Semaphore(1);
      const user = new AsyncLocalStorage<string>();
      await lock.acquire();
      await semaphore.acquire();
      const seen: string[] = [];
      const body = (tag: string) => async () => {
        seen.push(`${tag} ${currentTask()?.getName()} ${user.getStore()}`);
        await sleep(1);
        seen.push(`${tag} after ${currentTask()?.getName()} ${user.getStore()}`);
        return tag;
      };
      const viaLock = user.run("L", () => createTask({ name: "a" }, () => lock.with(body("lock"))));
      const viaSemaphore = user.run(
        "S",
        () => createTask({ name: "b" }, () => semaphore.with(body("sem"))),
      );
      await sleep(0);
      lock.release();
      semaphore.release();
      assert.deepEqual(await gather(viaLock, viaSemaphore), ["lock", "sem"]);
      assert.deepEqual(seen, [
        "lock a L",
        "sem b S",
        "lock after a L",
        "sem after b S",
      ]);
      // A cancel while such a body runs reaches its await and releases.
      await lock.acquire();
      const waiting = createTask(() => lock.with(() => sleep(3600)));
      await sleep(0);
      lock.release();
      await sleep(0); // the grant step ran first: the body holds the lock
      assert.ok(lock.locked());
      waiting.cancel();
      assert.ok(await failure(waiting) instanceof CancelledError);
      assert.equal(lock.locked(), false);
    }));

  it("with() cancelled while waiting neither runs the body nor releases", () =>
    runVirtual(async () => {
      const lock = new Lock();
      await lock.acquire();
      let ran = false;
      const task = createTask(() => lock.with(() => (ran = true)));
      await sleep(0);
      task.cancel();
      assert.ok(await failure(task) instanceof CancelledError);
      assert.equal(ran, false);
      assert.equal(String(lock), "<Lock [locked]>");
    }));

  it("is bound to the first loop that makes a task wait", async () => {
    const lock = new Lock();
    await runVirtual(async () => {
      await lock.acquire();
      createTask(() => lock.acquire());
      await sleep(0);
    });
    await runVirtual(async () => {
      await assert.rejects(lock.acquire(), (e) => {
        assert.ok(e instanceof RuntimeError);
        assert.equal(e.message, "<Lock [locked]> is bound to a different event loop");
        return true;
      });
    });
  });

  it("is not bound by acquires that did not wait", async () => {
    const lock = new Lock();
    await runVirtual(async () => {
      await lock.with(() => {});
    });
    await runVirtual(async () => {
      await lock.acquire();
      const task = createTask(() => lock.acquire());
      await sleep(0);
      lock.release();
      assert.equal(await task, true);
    });
  });

  it("can be waited for by code outside every task, after the tasks queued first", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const sem = new Semaphore(0);
      await lock.acquire();
      const order: string[] = [];
      const queued = createTask(async () => {
        await lock.acquire();
        order.push("task");
        lock.release();
      });
      await sleep(0);
      // A plain callback's async function: no task to suspend or cancel.
      let outside!: Promise<void>;
      getRunningLoop().callSoon(() => {
        outside = (async () => {
          assert.equal(currentTask(), null);
          await lock.with(() => order.push("outside"));
          await sem.acquire();
          order.push("outside got a slot");
        })();
      });
      await sleep(0);
      lock.release();
      await queued;
      sem.release();
      await outside;
      assert.deepEqual(order, ["task", "outside", "outside got a slot"]);
      assert.equal(lock.locked(), false);
    }));
});

describe("Event", () => {
  it("shows its state and waiters in toString", () =>
    runVirtual(async () => {
      const event = new Event();
      assert.equal(String(event), "<Event [unset]>");
      createTask(() => event.wait());
      await sleep(0);
      assert.equal(String(event), "<Event [unset, waiters:1]>");
      event.set();
      assert.equal(String(event), "<Event [set, waiters:1]>");
      await sleep(0);
      assert.equal(String(event), "<Event [set]>");
    }));

  it("wait() resolves true at once when set", () =>
    runVirtual(async () => {
      const event = new Event();
      event.set();
      assert.equal(event.isSet(), true);
      assert.equal(await event.wait(), true);
    }));

  it("set() wakes every waiter, in the order they waited", () =>
    runVirtual(async () => {
      const event = new Event();
      const result: number[] = [];
      const waitFor = (n: number) => async () => {
        if (await event.wait()) result.push(n);
      };
      const tasks = [createTask(waitFor(1)), createTask(waitFor(2))];
      await sleep(0);
      assert.deepEqual(result, []);
      const t3 = createTask(waitFor(3));
      event.set();
      await sleep(0);
      assert.deepEqual(result, [3, 1, 2]);
      await gather(...tasks, t3);
    }));

  it("clear() after set() does not take back a wake-up", () =>
    runVirtual(async () => {
      const event = new Event();
      const task = createTask(() => event.wait());
      await sleep(0);
      event.set();
      event.clear();
      assert.equal(event.isSet(), false);
      event.set();
      event.set();
      await sleep(0);
      assert.equal(task.result(), true);
      assert.equal(String(event), "<Event [set]>");
    }));

  it("a waiter cancelled while waiting leaves no trace", () =>
    runVirtual(async () => {
      const event = new Event();
      const task = createTask(() => event.wait());
      getRunningLoop().callSoon(() => task.cancel());
      assert.ok(await failure(task) instanceof CancelledError);
      assert.equal(String(event), "<Event [unset]>");
    }));
  it("is bound to the first loop that makes a task wait", async () => {
    const event = new Event();
    await runVirtual(async () => {
      createTask(() => event.wait());
      await sleep(0);
    });
    await runVirtual(async () => {
      await assert.rejects(event.wait(), {
        name: "RuntimeError",
        message: "<Event [unset]> is bound to a different event loop",
      });
      event.set();
      assert.equal(await event.wait(), true); // no wait, so no check
    });
  });
});

describe("Condition", () => {
  it("wait() without the lock rejects with RuntimeError", () =>
    runVirtual(async () => {
      const cond = new Condition();
      await assert.rejects(cond.wait(), (e) => {
        assert.ok(e instanceof RuntimeError);
        assert.equal(e.message, "cannot wait on un-acquired lock");
        return true;
      });
    }));

  it("notify() and notifyAll() without the lock throw RuntimeError", () => {
    const cond = new Condition();
    const check = (e: unknown) => {
      assert.ok(e instanceof RuntimeError);
      assert.equal(e.message, "cannot notify on un-acquired lock");
      return true;
    };
    assert.throws(() => cond.notify(), check);
    assert.throws(() => cond.notifyAll(), check);
  });

  it("notified waiters return one at a time, as the lock frees", () =>
    runVirtual(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const waiter = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) result.push(n);
        return true;
      };
      const tasks = [createTask(waiter(1)), createTask(waiter(2)), createTask(waiter(3))];
      await sleep(0);
      assert.deepEqual(result, []);
      assert.equal(cond.locked(), false);

      assert.equal(await cond.acquire(), true);
      cond.notify();
      await sleep(0);
      assert.deepEqual(result, []);
      assert.ok(cond.locked());

      cond.release();
      await sleep(0);
      assert.deepEqual(result, [1]);
      assert.ok(cond.locked());

      cond.notify(2);
      await sleep(0);
      assert.deepEqual(result, [1]);

      cond.release();
      await sleep(0);
      assert.deepEqual(result, [1, 2]);

      cond.release();
      await sleep(0);
      assert.deepEqual(result, [1, 2, 3]);
      assert.ok(cond.locked());
      for (const t of tasks) assert.equal(t.result(), true);
    }));

  it("notify(n) wakes n waiters and notifyAll() the rest", () =>
    runVirtual(async () => {
      const cond = new Condition();
      const result: number[] = [];
      const waiter = (n: number) => async () => {
        await cond.acquire();
        if (await cond.wait()) {
          result.push(n);
          cond.release();
        }
      };
      const tasks = [1, 2, 3, 4].map((n) => createTask(waiter(n)));
      await sleep(0);
      await cond.acquire();
      cond.notify(1);
      cond.release();
      await sleep(0);
      assert.deepEqual(result, [1]);
      await cond.acquire();
      cond.notify(2);
      cond.release();
      await sleep(0);
      assert.deepEqual(result, [1, 2, 3]);
      await cond.acquire();
      assert.equal(String(cond), "<Condition [locked, waiters:1]>");
      cond.notifyAll();
      cond.release();
      await sleep(0);
      assert.deepEqual(result, [1, 2, 3, 4]);
      await gather(...tasks);
    }));

  it("waitFor() waits until the predicate holds and returns its value", () =>
    runVirtual(async () => {
      const cond = new Condition();
      let ready: string | null = null;
      const result: string[] = [];
      const task = createTask(async () => {
        await cond.acquire();
        const value = await cond.waitFor(() => ready);
        result.push(value!);
        cond.release();
        return value;
      });
      await sleep(0);
      await cond.acquire();
      cond.notify();
      cond.release();
      await sleep(0);
      assert.deepEqual(result, []);
      ready = "go";
      await cond.acquire();
      cond.notify();
      cond.release();
      await sleep(0);
      assert.deepEqual(result, ["go"]);
      assert.equal(task.result(), "go");
    }));

  it("waitFor() needs no lock when the predicate already holds", () =>
    runVirtual(async () => {
      const cond = new Condition();
      assert.deepEqual(await cond.waitFor(() => [1, 2, 3]), [1, 2, 3]);
      await assert.rejects(cond.waitFor(() => false), RuntimeError);
    }));

  it("a wait cancelled while waiting takes the lock back before it throws", () =>
    runVirtual(async () => {
      const cond = new Condition();
      await cond.acquire();
      let lockedWhenThrown: boolean | null = null;
      const task = createTask(async () => {
        try {
          await cond.wait();
        } catch (error) {
          lockedWhenThrown = cond.locked();
          throw error;
        }
      });
      await sleep(0);
      assert.equal(cond.locked(), false);
      await cond.acquire(); // held by us while the waiter is cancelled
      task.cancel();
      await yields(3);
      assert.equal(task.done(), false);
      assert.equal(String(cond), "<Condition [locked]>");
      cond.release();
      assert.ok(await failure(task) instanceof CancelledError);
      assert.equal(lockedWhenThrown, true);
      assert.ok(cond.locked()); // the cancelled task re-acquired and kept it
    }));

  it("a cancelled wait() leaves no waiter and holds the lock", () =>
    runVirtual(async () => {
      const cond = new Condition();
      await cond.acquire();
      const wait = createTask(() => cond.wait());
      getRunningLoop().callSoon(() => wait.cancel());
      assert.ok(await failure(wait) instanceof CancelledError);
      assert.equal(String(cond), "<Condition [locked]>");
    }));

  it("a cancel while the lock is contested is thrown after re-acquiring", () =>
    runVirtual(async () => {
      const cond = new Condition();
      await cond.acquire();
      const waitTask = createTask(() => cond.wait());
      await sleep(0);
      assert.equal(cond.locked(), false);
      await cond.acquire();
      cond.notify();
      getRunningLoop().callSoon(() => waitTask.cancel());
      getRunningLoop().callSoon(() => cond.release());
      assert.ok(await failure(waitTask) instanceof CancelledError); // as CPython 3.13
      assert.ok(cond.locked());
    }));

  it("a waiter cancelled after notify() is cancelled (bpo-32841)", () =>
    runVirtual(async () => {
      const cond = new Condition();
      let waited = false;
      const waiter = createTask(() =>
        cond.with(async () => {
          waited = true;
          await cond.wait();
        })
      );
      await sleep(0);
      await cond.acquire();
      cond.notify();
      await sleep(0);
      waiter.cancel();
      await sleep(0);
      cond.release();
      await sleep(0);
      assert.ok(waiter.cancelled());
      assert.ok(waited);
    }));

  it("rethrows the very CancelledError received while waiting", () =>
    runVirtual(async () => {
      const cond = new Condition();
      let raised: unknown = null;
      const task = createTask(() =>
        cond.with(async () => {
          try {
            await cond.waitFor(() => false);
          } catch (error) {
            raised = error;
            throw error;
          }
        })
      );
      await sleep(0);
      task.cancel("foo");
      const error = await failure(task);
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "foo");
      assert.equal(error, raised);
    }));

  it("rethrows the very CancelledError received while re-acquiring", () =>
    runVirtual(async () => {
      const cond = new Condition();
      let wake = false;
      let raised: unknown = null;
      const task = createTask(() =>
        cond.with(async () => {
          try {
            await cond.waitFor(() => wake);
          } catch (error) {
            raised = error;
            throw error;
          }
        })
      );
      await sleep(0);
      await cond.acquire();
      wake = true;
      cond.notify();
      await sleep(0);
      // The task now waits to re-acquire the lock: cancel it there.
      task.cancel("foo");
      cond.release();
      const error = await failure(task);
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "foo");
      assert.equal(error, raised);
    }));

  it("passes on a notification its cancelled waiter got", () =>
    runVirtual(async () => {
      const cond = new Condition();
      let state = 0;
      const consumer = () =>
        cond.with(async () => {
          for (;;) {
            await cond.waitFor(() => state !== 0);
            if (state < 0) return;
            state--;
          }
        });
      const consumers = [createTask(consumer), createTask(consumer)];
      await sleep(0);
      await cond.with(() => {
        state++;
        cond.notify(1);
        consumers[0].cancel(); // woken, then cancelled before it runs
      });
      await yields(3);
      assert.equal(state, 0); // the other consumer got the item
      assert.ok(consumers[0].cancelled());
      await cond.with(() => {
        state = -1;
        cond.notifyAll();
      });
      await consumers[1];
    }));

  it("passes on a notification when cancelled while re-locking", () =>
    runVirtual(async () => {
      const cond = new Condition();
      let state = 0;
      const consumer = () =>
        cond.with(async () => {
          for (;;) {
            await cond.waitFor(() => state !== 0);
            if (state < 0) return;
            state--;
          }
        });
      const consumers = [createTask(consumer), createTask(consumer)];
      await sleep(0);
      await cond.with(async () => {
        state++;
        cond.notify(1);
        await sleep(0); // consumer 0 wakes and waits for the lock
        consumers[0].cancel();
      });
      await yields(3);
      assert.equal(state, 0);
      assert.ok(consumers[0].cancelled());
      await cond.with(() => {
        state = -1;
        cond.notifyAll();
      });
      await consumers[1];
    }));

  it("shares an explicit lock", () =>
    runVirtual(async () => {
      const lock = new Lock();
      const cond = new Condition(lock);
      assert.equal(cond.locked(), false);
      await cond.with(() => {
        assert.ok(lock.locked());
        assert.ok(cond.locked());
      });
      assert.equal(lock.locked(), false);
      await lock.with(() => assert.ok(cond.locked()));
      assert.equal(cond.locked(), false);
    }));

  it("shows its lock state and waiters in toString", () =>
    runVirtual(async () => {
      const cond = new Condition();
      assert.equal(String(cond), "<Condition [unlocked]>");
      await cond.acquire();
      assert.equal(String(cond), "<Condition [locked]>");
      createTask(() => cond.with(() => cond.wait()));
      createTask(() => cond.with(() => cond.wait()));
      cond.release();
      await sleep(0);
      assert.equal(String(cond), "<Condition [unlocked, waiters:2]>");
    }));

  it("hold() and with() release the lock when the body throws", () =>
    runVirtual(async () => {
      const cond = new Condition();
      await assert.rejects(
        cond.with(() => Promise.reject(new Error("x"))),
        { message: "x" },
      );
      assert.equal(cond.locked(), false);
      const body = async () => {
        using _held = await cond.hold();
        assert.ok(cond.locked());
        throw new Error("y");
      };
      await assert.rejects(body(), { message: "y" });
      assert.equal(cond.locked(), false);
    }));

  it("is bound to one loop; wait() from another fails still holding the lock", async () => {
    const cond = new Condition();
    await runVirtual(async () => {
      createTask(() => cond.with(() => cond.wait())); // cancelled when the run ends
      await sleep(0);
    });
    assert.equal(cond.locked(), false);
    await runVirtual(async () => {
      await cond.acquire();
      await assert.rejects(cond.wait(), {
        name: "RuntimeError",
        message: "<Condition [locked]> is bound to a different event loop",
      });
      assert.ok(cond.locked());
    });
  });
});

describe("Semaphore", () => {
  it("lets a task call acquire() and finish its step before the loop goes on, as a coroutine would", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const order: string[] = [];
      const caller = createTask(async () => {
        await sleep(0); // a resumed step, not the first one
        const acquired = sem.acquire(); // must wait; not awaited yet
        order.push("caller, after acquire()");
        await acquired;
        order.push("caller acquired");
      });
      await sleep(0);
      // Ready right behind the caller's wake-up, in the same iteration.
      getRunningLoop().callSoon(() => order.push("callback"));
      await sleep(0);
      sem.release();
      await caller;
      assert.deepEqual(order, ["caller, after acquire()", "callback", "caller acquired"]);
    }));

  it("rejects a negative or invalid initial value", () => {
    for (const bad of [-1, NaN]) {
      assert.throws(() => new Semaphore(bad), {
        name: "RangeError",
        message: "Semaphore initial value must be >= 0",
      });
    }
    assert.throws(() => new Semaphore(1.5), RangeError);
    assert.throws(() => new Semaphore("2" as unknown as number), TypeError);
  });

  it("starts with one slot, and a zero semaphore is locked", () =>
    runVirtual(async () => {
      assert.equal(new Semaphore(0).locked(), true);
      const sem = new Semaphore();
      assert.equal(sem.locked(), false);
      await sem.acquire();
      assert.equal(sem.locked(), true);
      sem.release();
      assert.equal(sem.locked(), false);
    }));

  it("shows its state, value and waiters in toString", () =>
    runVirtual(async () => {
      const sem = new Semaphore();
      assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
      await sem.acquire();
      assert.equal(String(sem), "<Semaphore [locked]>");
      createTask(() => sem.acquire());
      createTask(() => sem.acquire());
      await sleep(0);
      assert.equal(String(sem), "<Semaphore [locked, waiters:2]>");
    }));

  it("hands released slots straight to the waiters", () =>
    runVirtual(async () => {
      const sem = new Semaphore(3);
      const result: number[] = [];
      assert.equal(await sem.acquire(), true);
      assert.equal(await sem.acquire(), true);
      assert.equal(sem.locked(), false);
      const take = (n: number) => async () => {
        await sem.acquire();
        result.push(n);
        return true;
      };
      const t1 = createTask(take(1));
      const t2 = createTask(take(2));
      const t3 = createTask(take(3));
      await sleep(0);
      assert.deepEqual(result, [1]);
      assert.ok(sem.locked());
      assert.equal(String(sem), "<Semaphore [locked, waiters:2]>");
      const t4 = createTask(take(4));
      sem.release();
      sem.release();
      assert.equal(sem._value, 0);
      await sleep(0);
      assert.deepEqual(result, [1, 2, 3]);
      assert.equal(String(sem), "<Semaphore [locked, waiters:1]>");
      assert.ok(t1.done() && t2.done() && t3.done() && !t4.done());
      sem.release();
      await t4;
      assert.deepEqual(result, [1, 2, 3, 4]);
    }));

  it("a waiter cancelled while queued leaves no trace", () =>
    runVirtual(async () => {
      const sem = new Semaphore();
      await sem.acquire();
      const task = createTask(() => sem.acquire());
      getRunningLoop().callSoon(() => task.cancel());
      assert.ok(await failure(task) instanceof CancelledError);
      assert.equal(String(sem), "<Semaphore [locked]>");
      sem.release();
      assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
    }));

  it("skips waiters cancelled before the release", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const [t1, t2, t3, t4] = [1, 2, 3, 4].map(() => createTask(() => sem.acquire()));
      await sleep(0);
      t1.cancel();
      t2.cancel();
      sem.release();
      await yields(2);
      assert.ok(t3.done());
      assert.equal(t4.done(), false);
      assert.ok(t1.cancelled() && t2.cancelled());
      t4.cancel();
      await sleep(0);
    }));

  it("does not hang when the first waiter is cancelled as a slot frees", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const t1 = createTask(() => sem.acquire());
      const t2 = createTask(() => sem.acquire());
      await sleep(0);
      t1.cancel();
      sem.release();
      await yields(2);
      assert.ok(sem.locked());
      assert.ok(t2.done());
    }));

  it("a woken-then-cancelled waiter hands its slot on", () =>
    runVirtual(async () => {
      const sem = new Semaphore(1);
      const t1 = createTask(async () => {
        await sem.with(() => sleep(0));
        // The release woke t2 (queued meanwhile); cancel it before it runs.
        t2.cancel();
      });
      const t2 = createTask(() => sem.with(() => assert.fail("must not run")));
      const [r1, r2] = await gather(t1, t2, { returnExceptions: true });
      assert.equal(r1, undefined);
      assert.ok(r2 instanceof CancelledError);
      assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
      assert.equal(await sem.acquire(), true);
    }));

  it("a woken-then-cancelled waiter wakes as many waiters as slots allow", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const got: number[] = [];
      const tasks = [1, 2, 3].map((n) =>
        createTask(async () => {
          await sem.acquire();
          got.push(n);
        })
      );
      await sleep(0);
      sem.release();
      sem.release(); // tasks 1 and 2 are handed a slot
      tasks[0].cancel(); // task 1 loses it before it runs
      await yields(2);
      assert.deepEqual(got, [2, 3]);
      assert.ok(tasks[0].cancelled());
      assert.equal(String(sem), "<Semaphore [locked]>");
    }));

  it("releases in one iteration wake distinct waiters in order, skipping cancelled ones", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const got: number[] = [];
      const tasks = [1, 2, 3, 4, 5].map((n) =>
        createTask(async () => {
          await sem.acquire();
          got.push(n);
        })
      );
      await sleep(0);
      tasks[1].cancel();
      sem.release();
      sem.release();
      sem.release();
      await yields(2);
      assert.deepEqual(got, [1, 3, 4]);
      assert.equal(String(sem), "<Semaphore [locked, waiters:1]>");
      sem.release();
      await sleep(0);
      assert.deepEqual(got, [1, 3, 4, 5]);
      assert.equal(String(sem), "<Semaphore [locked]>");
    }));

  it("serves waiters in FIFO order across repeated acquires", () =>
    runVirtual(async () => {
      const sem = new Semaphore(1);
      const result: string[] = [];
      const worker = (tag: string) => async () => {
        await sem.acquire();
        result.push(`${tag}_1`);
        await sleep(0.01);
        sem.release();
        await sem.acquire();
        result.push(`${tag}_2`);
        await sleep(0.01);
        sem.release();
      };
      await gather(worker("c1"), worker("c2"), worker("c3"));
      assert.deepEqual(result, ["c1_1", "c2_1", "c3_1", "c1_2", "c2_2", "c3_2"]);
    }));

  it("a task releasing and re-acquiring queues behind earlier waiters", () =>
    runVirtual(async () => {
      const sem = new Semaphore(1);
      const result: number[] = [];
      const t1 = createTask(async () => {
        await sem.acquire();
        result.push(1);
      });
      const t2 = createTask(async () => {
        await sem.acquire();
        result.push(2);
        sem.release();
        await sem.acquire();
        result.push(4);
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        result.push(3);
      });
      await sleep(0);
      sem.release();
      sem.release();
      await gather(t1, t2, t3);
      assert.deepEqual(result, [1, 2, 3, 4]);
    }));

  it("a waiter cancelled before any release is skipped", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      const tasks = [1, 2, 3].map((n) =>
        createTask(async () => {
          await sem.acquire();
          result.push(n);
        })
      );
      await sleep(0);
      tasks[0].cancel();
      await sleep(0);
      sem.release();
      sem.release();
      await gather(...tasks, { returnExceptions: true });
      assert.deepEqual(result, [2, 3]);
    }));

  it("a successful acquire wakes the waiters queued behind it", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const result: number[] = [];
      let t4: Task<void> | null = null;
      const t1 = createTask(async () => {
        assert.equal(sem._value, 0);
        await sem.acquire();
        assert.equal(sem._value, 0); // everyone who could be woken was
        t4 = createTask(async () => {
          result.push(4);
        });
        result.push(1);
      });
      const t2 = createTask(async () => {
        sem.release();
        sem.release();
        sem.release();
        assert.equal(sem._value, 2);
        assert.ok(sem.locked()); // t1 was woken but has not run yet
        await sem.acquire();
        result.push(2);
      });
      const t3 = createTask(async () => {
        await sem.acquire();
        assert.ok(sem.locked());
        result.push(3);
      });
      await sleep(0);
      assert.equal(sem._value, 2);
      assert.equal(String(sem), "<Semaphore [locked, waiters:3]>");
      await sleep(0);
      await gather(t1, t2, t3, t4!);
      assert.deepEqual(result, [1, 2, 3, 4]);
    }));

  it("a Releaser from hold() gives back exactly one slot", () =>
    runVirtual(async () => {
      const sem = new Semaphore(2);
      const first = await sem.hold();
      const second = await sem.hold();
      assert.ok(sem.locked());
      first.release();
      first.release();
      first[Symbol.dispose]();
      assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
      await second[Symbol.asyncDispose]();
      assert.equal(String(sem), "<Semaphore [unlocked, value:2]>");
    }));

  it("with() cancelled while waiting, even after a slot was handed to it, runs no body and loses no slot", () =>
    runVirtual(async () => {
      const sem = new Semaphore(0);
      const ran: string[] = [];
      const waiting = createTask(() => sem.with(() => ran.push("waiting")));
      const woken = createTask(() => sem.with(() => ran.push("woken")));
      const next = createTask(() => sem.with(() => ran.push("next")));
      await sleep(0);
      waiting.cancel();
      sem.release(); // handed to `woken`, which is cancelled before it runs
      woken.cancel();
      assert.ok(await failure(waiting) instanceof CancelledError);
      assert.ok(await failure(woken) instanceof CancelledError);
      await next;
      assert.deepEqual(ran, ["next"]);
      assert.equal(String(sem), "<Semaphore [unlocked, value:1]>");
    }));

  it("hold() and with() give the slot back when the body throws", () =>
    runVirtual(async () => {
      const sem = new Semaphore(2);
      await assert.rejects(sem.with(() => Promise.reject(new Error("x"))), { message: "x" });
      assert.equal(String(sem), "<Semaphore [unlocked, value:2]>");
      const body = async () => {
        await using _held = await sem.hold();
        assert.equal(sem._value, 1);
        throw new Error("y");
      };
      await assert.rejects(body(), { message: "y" });
      assert.equal(sem._value, 2);
    }));

  it("is bound to the first loop that makes a task wait", async () => {
    const sem = new Semaphore(0);
    await runVirtual(async () => {
      createTask(() => sem.acquire());
      await sleep(0);
    });
    await runVirtual(async () => {
      await assert.rejects(sem.acquire(), {
        name: "RuntimeError",
        message: "<Semaphore [locked]> is bound to a different event loop",
      });
    });
  });
});

describe("BoundedSemaphore", () => {
  it("throws RangeError when released more than acquired", () =>
    runVirtual(async () => {
      const sem = new BoundedSemaphore(2);
      assert.throws(() => sem.release(), {
        name: "RangeError",
        message: "BoundedSemaphore released too many times",
      });
      await sem.acquire();
      sem.release();
      assert.throws(() => sem.release(), RangeError);
      assert.equal(String(sem), "<BoundedSemaphore [unlocked, value:2]>");
    }));

  it("works as a semaphore, with() and hold() included", () =>
    runVirtual(async () => {
      const sem = new BoundedSemaphore();
      assert.ok(sem instanceof Semaphore);
      let inside = 0;
      let most = 0;
      const worker = () =>
        sem.with(async () => {
          most = Math.max(most, ++inside);
          await sleep(0.1);
          inside--;
        });
      await gather(worker, worker, worker);
      assert.equal(most, 1);
      {
        using _held = await sem.hold();
        assert.ok(sem.locked());
      }
      assert.throws(() => sem.release(), RangeError);
    }));

  it("rejects invalid initial values as Semaphore does", () => {
    assert.throws(() => new BoundedSemaphore(-1), {
      name: "RangeError",
      message: "Semaphore initial value must be >= 0",
    });
  });
});
