import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  ALL_COMPLETED,
  asCompleted,
  CancelledError,
  createTask,
  currentTask,
  ensureFuture,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  gather,
  getRunningLoop,
  type ReturnWhen,
  sleep,
  type Task,
  TimeoutError,
  wait,
  waitFor,
} from "../mod.ts";
import { captureReports, failure, runVirtual } from "./_virtual.ts";

function fail(after: number, message: string): () => Promise<never> {
  return async () => {
    await sleep(after);
    throw new Error(message);
  };
}

describe("wait()", () => {
  it("ALL_COMPLETED (the default) waits for every future", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(1, "a"));
      const b = createTask(() => sleep(3, "b"));
      const [done, pending] = await wait([a, b]);
      assert.deepEqual([...done].sort((x, y) => x.getName() < y.getName() ? -1 : 1), [a, b]);
      assert.equal(pending.size, 0);
      assert.equal(getRunningLoop().time(), 3);
    });
  });

  it("FIRST_COMPLETED returns when the first one finishes", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(1, "a"));
      const b = createTask(() => sleep(3, "b"));
      const [done, pending] = await wait([a, b], { returnWhen: FIRST_COMPLETED });
      assert.deepEqual([...done], [a]);
      assert.deepEqual([...pending], [b]);
      assert.equal(getRunningLoop().time(), 1);
      assert.equal(b.cancelled(), false, "wait never cancels");
      await b;
    });
  });

  it("FIRST_COMPLETED counts a cancelled future as completed", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(5));
      const b = createTask(() => sleep(10));
      getRunningLoop().callLater(1, () => a.cancel());
      const [done, pending] = await wait([a, b], { returnWhen: FIRST_COMPLETED });
      assert.deepEqual([...done], [a]);
      assert.deepEqual([...pending], [b]);
      b.cancel();
    });
  });

  it("FIRST_EXCEPTION returns at the first failure", async () => {
    await runVirtual(async () => {
      const ok = createTask(() => sleep(1, "ok"));
      const bad = createTask(fail(2, "bad"));
      const slow = createTask(() => sleep(10));
      const [done, pending] = await wait([ok, bad, slow], { returnWhen: FIRST_EXCEPTION });
      assert.equal(done.size, 2);
      assert.ok(done.has(ok) && done.has(bad));
      assert.deepEqual([...pending], [slow]);
      assert.equal(getRunningLoop().time(), 2);
      assert.equal((bad.exception() as Error).message, "bad");
      slow.cancel();
    });
  });

  it("FIRST_EXCEPTION does not stop at a cancellation", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(5));
      const b = createTask(() => sleep(3, "b"));
      getRunningLoop().callLater(1, () => a.cancel());
      const [done, pending] = await wait([a, b], { returnWhen: FIRST_EXCEPTION });
      assert.equal(done.size, 2);
      assert.equal(pending.size, 0);
      assert.equal(getRunningLoop().time(), 3);
    });
  });

  it("FIRST_EXCEPTION behaves like ALL_COMPLETED when nothing fails", async () => {
    await runVirtual(async () => {
      const tasks = [1, 2, 3].map((n) => createTask(() => sleep(n, n)));
      const [done, pending] = await wait(tasks, { returnWhen: FIRST_EXCEPTION });
      assert.equal(done.size, 3);
      assert.equal(pending.size, 0);
      assert.equal(getRunningLoop().time(), 3);
    });
  });

  it("a timeout returns what is done so far, without TimeoutError or cancelling", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(1, "a"));
      const b = createTask(() => sleep(10, "b"));
      const [done, pending] = await wait([a, b], { timeout: 5 });
      assert.deepEqual([...done], [a]);
      assert.deepEqual([...pending], [b]);
      assert.equal(getRunningLoop().time(), 5);
      assert.equal(await b, "b");
    });
  });

  it("returns before the timeout when everything finishes", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(1));
      await wait([a], { timeout: 100 });
      assert.equal(getRunningLoop().time(), 1);
    });
  });

  it("yields to the loop once even when everything is already done", async () => {
    await runVirtual(async () => {
      const done = getRunningLoop().createFuture<number>();
      done.setResult(1);
      const order: string[] = [];
      const other = createTask(() => order.push("other ran"));
      await wait([done]);
      order.push("wait returned");
      assert.deepEqual(order, ["other ran", "wait returned"]);
      await other;
    });
  });

  it("accepts plain Futures and keeps duplicates once", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const f = loop.createFuture<string>();
      loop.callLater(1, () => f.setResult("set"));
      const [done, pending] = await wait([f, f, f]);
      assert.equal(done.size, 1);
      assert.equal(pending.size, 0);
      assert.equal(f.result(), "set");
    });
  });

  it("accepts any iterable, such as a Set", async () => {
    await runVirtual(async () => {
      const tasks = new Set([createTask(() => sleep(1)), createTask(() => sleep(2))]);
      const [done] = await wait(tasks);
      assert.equal(done.size, 2);
    });
  });

  it("cancelling the caller leaves the futures running and detaches from them", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(10, "a"));
      const waiter = createTask(() => wait([a]));
      await sleep(1);
      waiter.cancel();
      await assert.rejects(Promise.resolve(waiter), CancelledError);
      assert.equal(a.done(), false);
      assert.equal(await a, "a");
    });
  });

  it("rejects an empty list: 'Set of Tasks/Futures is empty.'", async () => {
    await runVirtual(async () => {
      await assert.rejects(wait([]), new RangeError("Set of Tasks/Futures is empty."));
    });
  });

  it("rejects a bad returnWhen: 'Invalid returnWhen value: X'", async () => {
    await runVirtual(async () => {
      const t = createTask(() => 1);
      await assert.rejects(
        wait([t], { returnWhen: "FIRST" as ReturnWhen }),
        new RangeError("Invalid returnWhen value: FIRST"),
      );
      await t;
    });
  });

  it("rejects a single future: 'expect a list of futures, not Task'", async () => {
    await runVirtual(async () => {
      const t = createTask(() => 1);
      await assert.rejects(
        wait(t as unknown as Task<number>[]),
        new TypeError("expect a list of futures, not Task"),
      );
      const f = getRunningLoop().createFuture();
      await assert.rejects(
        wait(f as unknown as Future[]),
        new TypeError("expect a list of futures, not Future"),
      );
      await assert.rejects(
        wait((() => 1) as unknown as Future[]),
        new TypeError("expect a list of futures, not function"),
      );
      await t;
    });
  });

  it("rejects functions in the list: 'Passing coroutines is forbidden, use tasks explicitly.'", async () => {
    let called = false;
    await runVirtual(async () => {
      await assert.rejects(
        wait([(() => (called = true)) as unknown as Future]),
        new TypeError("Passing coroutines is forbidden, use tasks explicitly."),
      );
    });
    assert.equal(called, false);
  });

  it("rejects promises in the list, pointing at ensureFuture", async () => {
    await runVirtual(async () => {
      await assert.rejects(
        wait([Promise.resolve(1) as unknown as Future]),
        /Cannot wait for .*: expected a Future or Task \(wrap a promise with ensureFuture\(\)\)/,
      );
      const [done] = await wait([ensureFuture(Promise.resolve(1))]);
      assert.equal(done.size, 1);
    });
  });

  it("the constants have Python's values", () => {
    assert.equal(FIRST_COMPLETED, "FIRST_COMPLETED");
    assert.equal(FIRST_EXCEPTION, "FIRST_EXCEPTION");
    assert.equal(ALL_COMPLETED, "ALL_COMPLETED");
  });
});

describe("waitFor()", () => {
  it("timeout <= 0 with a function: the task never runs, callbacks already queued run first", async () => {
    // CPython 3.12+: ['callback already scheduled', 'TimeoutError'] for 0 and -1.
    for (const limit of [0, -1]) {
      const trace: string[] = [];
      await runVirtual(async () => {
        getRunningLoop().callSoon(() => trace.push("callback already scheduled"));
        try {
          await waitFor(async () => trace.push("ran!"), limit);
        } catch (error) {
          trace.push((error as Error).constructor.name);
        }
      });
      assert.deepEqual(trace, ["callback already scheduled", "TimeoutError"]);
    }
  });

  it("can be handed to gather: cancelling the gather cancels the inner future", async () => {
    await runVirtual(async () => {
      const inner = createTask(() => sleep(3600));
      const outer = gather(waitFor(inner, 10));
      await sleep(0);
      outer.cancel();
      await failure(outer);
      assert.equal(inner.cancelled(), true);
    });
  });

  it("returns the result when it finishes in time", async () => {
    assert.equal(await runVirtual(() => waitFor(sleep(1, "fast"), 5)), "fast");
  });

  it("on timeout cancels the task, awaits its cleanup, then raises TimeoutError", async () => {
    const order: string[] = [];
    await runVirtual(async () => {
      const inner = createTask(async () => {
        try {
          await sleep(100);
        } finally {
          await sleep(2);
          order.push(`inner cleaned up at ${getRunningLoop().time()}`);
        }
      });
      const error = await waitFor(inner, 1).catch((e) => e);
      order.push(`waitFor raised ${error.constructor.name} at ${getRunningLoop().time()}`);
      assert.ok(error.cause instanceof CancelledError);
      assert.equal(inner.cancelled(), true);
    });
    assert.deepEqual(order, [
      "inner cleaned up at 3",
      "waitFor raised TimeoutError at 3",
    ]);
  });

  it("runs a function in the calling task (Python 3.12+)", async () => {
    await runVirtual(async () => {
      const caller = currentTask();
      const [seen] = await waitFor(async () => {
        await sleep(1);
        return [currentTask()];
      }, 5);
      assert.equal(seen, caller);
    });
  });

  it("a function that times out is interrupted in the calling task", async () => {
    await runVirtual(async () => {
      const steps: string[] = [];
      const error = await waitFor(async () => {
        steps.push("started");
        await sleep(10);
        steps.push("never");
      }, 1).catch((e) => e);
      assert.ok(error instanceof TimeoutError);
      assert.deepEqual(steps, ["started"]);
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("returns the value of an awaitable that swallows the cancellation", async () => {
    await runVirtual(async () => {
      const stubborn = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          return "ignored the cancel";
        }
      });
      assert.equal(await waitFor(stubborn, 1), "ignored the cancel");
    });
  });

  it("a function that swallows the cancellation returns its value", async () => {
    await runVirtual(async () => {
      const value = await waitFor(async () => {
        await assert.rejects(Promise.resolve(sleep(10)), CancelledError);
        return 1;
      }, 1);
      assert.equal(value, 1);
    });
  });

  it("an inner task that holds up two cancels and returns: its value wins (as CPython 3.12/3.13)", async () => {
    // Measured with CPython 3.12.1 and 3.13.0: wait_for returns 42 and the
    // caller is left with cancelling() == 1 (its own cancel went to the inner
    // task, which swallowed it).
    await runVirtual(async () => {
      const inner = createTask(async () => {
        try {
          await sleep(3);
        } catch {
          try {
            await sleep(3);
          } catch {
            await sleep(3);
          }
        }
        return 42;
      });
      const caller = createTask(() => waitFor(inner, 1));
      await sleep(2);
      caller.cancel();
      assert.equal(await caller, 42);
      assert.equal(caller.cancelling(), 1);
      assert.equal(getRunningLoop().time(), 5);
    });
  });

  it("a result that arrives before the deadline wins", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const future = loop.createFuture<string>();
      loop.callLater(1, () => future.setResult("ok"));
      assert.equal(await waitFor(future, 2), "ok");
    });
  });

  it("timeout null or undefined is a plain await", async () => {
    await runVirtual(async () => {
      assert.equal(await waitFor(sleep(1000, "a"), null), "a");
      assert.equal(await waitFor(() => sleep(1000, "b"), undefined), "b");
    });
  });

  it("timeout <= 0 with a done future gives its result", async () => {
    await runVirtual(async () => {
      const done = getRunningLoop().createFuture<string>();
      done.setResult("ready");
      assert.equal(await waitFor(done, 0), "ready");
      assert.equal(await waitFor(done, -1), "ready");
    });
  });

  it("timeout <= 0 never calls a function", async () => {
    await runVirtual(async () => {
      let called = false;
      const error = await waitFor(() => (called = true), 0).catch((e) => e);
      assert.ok(error instanceof TimeoutError);
      assert.ok(error.cause instanceof CancelledError);
      assert.equal(called, false);
    });
  });

  it("timeout <= 0 cancels a pending task and waits for it", async () => {
    await runVirtual(async () => {
      const order: string[] = [];
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } finally {
          await sleep(1);
          order.push("cleanup");
        }
      });
      await sleep(0);
      await assert.rejects(waitFor(inner, 0), TimeoutError);
      order.push("raised");
      assert.deepEqual(order, ["cleanup", "raised"]);
      assert.equal(inner.cancelled(), true);
    });
  });

  it("timeout <= 0 with a task that fails while cancelled raises its error", async () => {
    await runVirtual(async () => {
      const inner = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          throw new Error("cleanup failed");
        }
      });
      await sleep(0);
      await assert.rejects(waitFor(inner, 0), { message: "cleanup failed" });
    });
  });

  it("cancelling the caller cancels the inner task", async () => {
    await runVirtual(async () => {
      const inner = createTask(() => sleep(100));
      const caller = createTask(() => waitFor(inner, 50));
      await sleep(1);
      caller.cancel();
      await assert.rejects(Promise.resolve(caller), CancelledError);
      assert.equal(inner.cancelled(), true);
    });
  });

  it("a promise is wrapped: the wait for it times out", async () => {
    await runVirtual(async () => {
      const never = new Promise<never>(() => {});
      await assert.rejects(waitFor(never, 1), TimeoutError);
      assert.equal(await waitFor(Promise.resolve("p"), 1), "p");
    });
  });

  it("the inner error passes through unchanged", async () => {
    await runVirtual(async () => {
      await assert.rejects(waitFor(createTask(fail(1, "inner")), 5), { message: "inner" });
    });
  });

  it("rejects a timeout that is not a number", async () => {
    await runVirtual(async () => {
      await assert.rejects(waitFor(sleep(1), "1" as unknown as number), TypeError);
      await assert.rejects(waitFor(sleep(1), NaN), RangeError);
    });
  });
});

describe("asCompleted()", () => {
  it("plain iteration yields the results in completion order", async () => {
    await runVirtual(async () => {
      const results: string[] = [];
      for (const next of asCompleted([sleep(3, "c"), sleep(1, "a"), sleep(2, "b")])) {
        results.push(await next);
      }
      assert.deepEqual(results, ["a", "b", "c"]);
    });
  });

  it("plain iteration throws the errors in completion order", async () => {
    await runVirtual(async () => {
      const outcomes: string[] = [];
      for (
        const next of asCompleted<string>([fail(2, "late"), sleep(1, "early"), fail(3, "last")])
      ) {
        outcomes.push(await next.then((v) => `ok ${v}`, (e) => `error ${(e as Error).message}`));
      }
      assert.deepEqual(outcomes, ["ok early", "error late", "error last"]);
    });
  });

  it("starts functions as tasks and takes an awaitable given twice once", async () => {
    await runVirtual(async () => {
      const shared = sleep(1, "shared");
      const iterator = asCompleted<string>([shared, shared, () => sleep(2, "fn")]);
      const yielded = [...iterator];
      assert.equal(yielded.length, 2);
      assert.deepEqual([await yielded[0], await yielded[1]], ["shared", "fn"]);
    });
  });

  it("for await yields the original futures and tasks in completion order", async () => {
    await runVirtual(async () => {
      const slow = createTask(() => sleep(2, "slow"));
      const fast = createTask(() => sleep(1, "fast"));
      const seen: unknown[] = [];
      for await (const done of asCompleted([slow, fast])) {
        seen.push(done);
        assert.equal(done.done(), true);
      }
      assert.deepEqual(seen, [fast, slow]);
    });
  });

  it("for await yields a failed task without throwing its error", async () => {
    await runVirtual(async () => {
      const bad = createTask(fail(1, "bad"));
      const good = createTask(() => sleep(2, "good"));
      const seen: string[] = [];
      for await (const earliest of asCompleted<string>([good, bad])) {
        // TypeScript types a for-await variable as awaited; it is the Future.
        const done = earliest as unknown as Future<string>;
        seen.push(done.exception() === null ? done.result() : (done.exception() as Error).message);
      }
      assert.deepEqual(seen, ["bad", "good"]);
    });
  });

  it("a timeout makes the remaining awaits raise TimeoutError, nothing is cancelled", async () => {
    await runVirtual(async () => {
      const slow = createTask(() => sleep(10, "slow"));
      const outcomes: string[] = [];
      for (const next of asCompleted([sleep(1, "fast"), slow], { timeout: 5 })) {
        outcomes.push(await next.then(String, (e) => (e as Error).constructor.name));
      }
      assert.deepEqual(outcomes, ["fast", "TimeoutError"]);
      assert.equal(getRunningLoop().time(), 5);
      assert.equal(slow.cancelled(), false);
      assert.equal(await slow, "slow");
    });
  });

  it("for await raises TimeoutError after the deadline", async () => {
    await runVirtual(async () => {
      const slow = createTask(() => sleep(10));
      const seen: unknown[] = [];
      const error = await (async () => {
        for await (const done of asCompleted<unknown>([sleep(1, 1), slow], { timeout: 2 })) {
          seen.push(done);
        }
      })().catch((e) => e);
      assert.ok(error instanceof TimeoutError);
      assert.equal(seen.length, 1);
      assert.equal(getRunningLoop().time(), 2);
      slow.cancel();
    });
  });

  it("hands out futures that finished before the iteration began", async () => {
    await runVirtual(async () => {
      const a = createTask(() => 1);
      const b = createTask(() => 2);
      await sleep(0);
      await sleep(0);
      const [first, second] = [...asCompleted([a, b])];
      // One iteration runs the completion callbacks, the next the waits
      // they woke.
      await sleep(0);
      await sleep(0);
      assert.equal(first.done() && second.done(), true);
      assert.deepEqual([await first, await second].sort(), [1, 2]);
    });
  });

  it("a cancelled member raises CancelledError in its turn", async () => {
    await runVirtual(async () => {
      const doomed = createTask(() => sleep(10));
      getRunningLoop().callLater(1, () => doomed.cancel());
      const outcomes: string[] = [];
      for (const next of asCompleted<unknown>([doomed, sleep(2, "ok")])) {
        outcomes.push(await next.then(String, (e) => (e as Error).constructor.name));
      }
      assert.deepEqual(outcomes, ["CancelledError", "ok"]);
    });
  });

  it("a cancelled for-await consumer does not lose a completion", async () => {
    await runVirtual(async () => {
      const a = createTask(() => sleep(2, "a"));
      const b = createTask(() => sleep(4, "b"));
      const iterable = asCompleted<string>([a, b]);
      const iterator = iterable[Symbol.asyncIterator]();
      const impatient = createTask(() => iterator.next());
      await sleep(1);
      impatient.cancel();
      await assert.rejects(Promise.resolve(impatient), CancelledError);
      // The hand-out the cancelled consumer took is gone (as in Python), the
      // completions are not: the next consumer gets the first one.
      const next = await iterator.next();
      assert.equal(next.value, a);
      assert.equal(getRunningLoop().time(), 2);
      assert.equal((await iterator.next()).done, true);
      await b;
    });
  });

  it("plain iteration: a cancelled await passes its completion to the next", async () => {
    await runVirtual(async () => {
      const [first, second] = [...asCompleted([sleep(2, "a"), sleep(4, "b")])];
      first.cancel();
      assert.equal(await second, "a");
    });
  });

  it("an empty iterable yields nothing", async () => {
    await runVirtual(async () => {
      assert.deepEqual([...asCompleted([])], []);
      for await (const _ of asCompleted([])) assert.fail("nothing to yield");
    });
  });

  it("throws at once for a single awaitable: 'expects an iterable of awaitables, not Task'", async () => {
    await runVirtual(async () => {
      const t = createTask(() => 1);
      assert.throws(
        () => asCompleted(t as unknown as Task<number>[]),
        new TypeError("expects an iterable of awaitables, not Task"),
      );
      await t;
    });
  });

  it("an error no one awaits is still reported by its task", async () => {
    const reports = await runVirtual(async () => {
      const reports = captureReports(getRunningLoop());
      const bad = createTask(fail(1, "unseen"));
      for (const next of asCompleted([sleep(0.5, "first"), bad])) {
        assert.equal(await next, "first");
        break;
      }
      await sleep(2);
      return reports;
    });
    assert.ok(reports.some((r) => (r.exception as Error)?.message === "unseen"));
  });
});
