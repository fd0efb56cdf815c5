import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  getRunningLoop,
  RuntimeError,
  sleep,
  type Task,
  Timeout,
  timeout,
  timeoutAt,
  TimeoutError,
} from "../mod.ts";
import { runVirtual, virtualLoop } from "./_virtual.ts";
import { needsTypeScriptRuntime, runProgram } from "./_subprocess.ts";

describe("timeout()", () => {
  it("returns the body's result when it finishes in time", async () => {
    const value = await runVirtual(() => timeout(10, async () => await sleep(1, "in time")));
    assert.equal(value, "in time");
  });

  it("raises TimeoutError at the deadline, caused by the CancelledError", async () => {
    const [error, at] = await runVirtual(async () => {
      const error = await timeout(2, () => sleep(3600)).catch((e) => e);
      return [error, getRunningLoop().time()];
    });
    assert.ok(error instanceof TimeoutError);
    assert.ok(error.cause instanceof CancelledError);
    assert.equal(at, 2);
  });

  it("lets the body clean up with awaits before TimeoutError leaves", async () => {
    const seen: string[] = [];
    await runVirtual(async () => {
      await assert.rejects(
        timeout(1, async () => {
          try {
            await sleep(10);
          } finally {
            await sleep(5);
            seen.push(`cleanup done at ${getRunningLoop().time()}`);
          }
        }),
        TimeoutError,
      );
      seen.push("after");
    });
    assert.deepEqual(seen, ["cleanup done at 6", "after"]);
  });

  it("runs the body in the calling task", async () => {
    await runVirtual(async () => {
      const outer = currentTask();
      // Boxed: a body returning a Task would await it, as any thenable.
      const [inner] = await timeout(1, () => [currentTask()]);
      assert.equal(inner, outer);
    });
  });

  it("gives the body the Timeout with its deadline", async () => {
    await runVirtual(async () => {
      await sleep(5);
      await timeout(3, (t) => {
        assert.ok(t instanceof Timeout);
        assert.equal(t.when(), 8);
        assert.equal(t.expired(), false);
        assert.equal(String(t), "<Timeout [active] when=8>");
      });
    });
  });

  it("null means no deadline", async () => {
    await runVirtual(async () => {
      const value = await timeout(null, async (t) => {
        assert.equal(t.when(), null);
        await sleep(1e6);
        return "never cut";
      });
      assert.equal(value, "never cut");
    });
  });

  it("leaves the task's cancelling() count as it found it", async () => {
    await runVirtual(async () => {
      const task = currentTask()!;
      await timeout(1, () => sleep(2)).catch(() => {});
      assert.equal(task.cancelling(), 0);
      await timeout(1, () => sleep(0.5));
      assert.equal(task.cancelling(), 0);
    });
  });

  it("a body that swallows the cancellation returns normally with expired() true", async () => {
    await runVirtual(async () => {
      let seen: Timeout | undefined;
      const value = await timeout(1, async (t) => {
        seen = t;
        try {
          await sleep(10);
        } catch (e) {
          assert.ok(e instanceof CancelledError);
        }
        return "swallowed";
      });
      assert.equal(value, "swallowed");
      assert.equal(seen!.expired(), true);
      assert.equal(String(seen), "<Timeout [expired]>");
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("a body that turns the cancellation into another error raises that error", async () => {
    await runVirtual(async () => {
      await assert.rejects(
        timeout(1, async () => {
          try {
            await sleep(10);
          } catch {
            throw new Error("converted");
          }
        }),
        { message: "converted" },
      );
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("a past deadline fires at the next iteration, not at once", async () => {
    const order: string[] = [];
    await runVirtual(async () => {
      await assert.rejects(
        timeout(-5, async () => {
          order.push("body starts");
          await sleep(0);
          order.push("never");
        }),
        TimeoutError,
      );
    });
    assert.deepEqual(order, ["body starts"]);
  });

  it("timeout(0) around code that never suspends does not expire", async () => {
    await runVirtual(async () => {
      let seen: Timeout | undefined;
      const value = await timeout(0, (t) => {
        seen = t;
        return 42;
      });
      assert.equal(value, 42);
      assert.equal(seen!.expired(), false);
      assert.equal(String(seen), "<Timeout [finished]>");
      await sleep(0); // the cancelled expiry must not fire later
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("nested: the inner deadline converts at the inner level only", async () => {
    await runVirtual(async () => {
      const outcome = await timeout(10, async (outer) => {
        const error = await timeout(1, () => sleep(5)).catch((e) => e);
        assert.ok(error instanceof TimeoutError);
        assert.equal(outer.expired(), false);
        await sleep(1);
        return "outer carried on";
      });
      assert.equal(outcome, "outer carried on");
    });
  });

  it("nested: the outer deadline passes through the inner block as CancelledError", async () => {
    const seen: string[] = [];
    await runVirtual(async () => {
      const error = await timeout(1, async () => {
        try {
          await timeout(10, () => sleep(5));
        } catch (e) {
          seen.push(e instanceof CancelledError ? "inner saw CancelledError" : "other");
          throw e;
        }
      }).catch((e) => e);
      assert.ok(error instanceof TimeoutError);
    });
    assert.deepEqual(seen, ["inner saw CancelledError"]);
  });

  it("nested: both deadlines in the same iteration: the outer one raises TimeoutError", async () => {
    await runVirtual(async () => {
      let innerError: unknown;
      const error = await timeout(1, async () => {
        innerError = await timeout(1, () => sleep(5)).catch((e) => e);
        throw innerError;
      }).catch((e) => e);
      // Two cancel requests, one CancelledError: the inner exit sees a
      // request that is not its own left over, so it lets the CancelledError
      // through; the outer one converts it.
      assert.ok(innerError instanceof CancelledError, `inner got ${innerError}`);
      assert.ok(error instanceof TimeoutError, `outer got ${error}`);
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("an outside cancel in the same iteration as the deadline wins", async () => {
    await runVirtual(async () => {
      let body: Task<unknown> | undefined;
      const child = createTask(async () => {
        body = currentTask()!;
        await timeout(1, () => sleep(10));
      });
      // A timer at the same deadline, scheduled after the timeout's.
      await sleep(0);
      getRunningLoop().callLater(1, () => child.cancel("outside"));
      const error = await child.then(() => null, (e) => e);
      assert.ok(error instanceof CancelledError, `got ${error}`);
      assert.equal(child.cancelled(), true);
      assert.equal(body!.cancelling(), 1);
    });
  });

  it("an outside cancel before the deadline propagates as CancelledError", async () => {
    await runVirtual(async () => {
      const child = createTask(() => timeout(10, () => sleep(100)));
      await sleep(1);
      child.cancel();
      await assert.rejects(Promise.resolve(child), CancelledError);
      assert.equal(child.cancelled(), true);
    });
  });

  it("a cancel of the task itself inside the block is not a timeout", async () => {
    await runVirtual(async () => {
      let seen: Timeout | undefined;
      await assert.rejects(
        timeout(10, async (t) => {
          seen = t;
          currentTask()!.cancel();
          await sleep(10);
        }),
        CancelledError,
      );
      assert.equal(seen!.expired(), false);
      currentTask()!.uncancel();
    });
  });

  it("an error raised by the body passes through unchanged", async () => {
    await runVirtual(async () => {
      const boom = new Error("boom");
      const error = await timeout(10, async () => {
        await sleep(1);
        throw boom;
      }).catch((e) => e);
      assert.equal(error, boom);
    });
  });

  it("an error raised after the deadline is not turned into TimeoutError", async () => {
    await runVirtual(async () => {
      const error = await timeout(1, async () => {
        try {
          await sleep(10);
        } catch {
          throw new RangeError("cleanup failed");
        }
      }).catch((e) => e);
      assert.ok(error instanceof RangeError);
    });
  });

  it("after a cancellation the task caught, a deadline still raises TimeoutError", async () => {
    await runVirtual(async () => {
      const task = currentTask()!;
      try {
        task.cancel();
        await sleep(1);
      } catch {
        // handled; cancelling() stays 1
      }
      assert.equal(task.cancelling(), 1);
      await assert.rejects(timeout(0, () => sleep(1)), TimeoutError);
      assert.equal(task.cancelling(), 1);
    });
  });

  it("after a caught cancellation, a new cancel inside the block stays CancelledError", async () => {
    await runVirtual(async () => {
      const task = currentTask()!;
      try {
        task.cancel();
        await sleep(1);
      } catch {
        // handled
      }
      await assert.rejects(
        timeout(1, async () => {
          task.cancel();
          await sleep(2);
        }),
        CancelledError,
      );
    });
  });

  it("a timeout inside the cleanup of an expired timeout converts on its own", async () => {
    await runVirtual(async () => {
      let innerError: unknown;
      await assert.rejects(
        timeout(1, async () => {
          try {
            await sleep(10);
          } finally {
            innerError = await timeout(1, () => sleep(10)).catch((e) => e);
          }
        }),
        TimeoutError,
      );
      assert.ok(innerError instanceof TimeoutError);
      assert.equal(getRunningLoop().time(), 2);
    });
  });

  it("a task whose timeout fired and that caught TimeoutError is not cancelled", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => {
        await timeout(1, () => sleep(10)).catch(() => {});
        return "carried on";
      });
      assert.equal(await task, "carried on");
      assert.equal(task.cancelled(), false);
    });
  });

  it("another task can move the deadline; a cancel then is not a timeout", async () => {
    await runVirtual(async () => {
      const entered = getRunningLoop().createFuture<Timeout>();
      const task = createTask(() =>
        timeoutAt(10, async (t) => {
          entered.setResult(t);
          await sleep(50);
        })
      );
      const t = await entered;
      assert.equal(t.when(), 10);
      t.reschedule(30);
      assert.equal(t.when(), 30);
      t.reschedule(null);
      assert.equal(t.when(), null);
      task.cancel();
      await assert.rejects(Promise.resolve(task), CancelledError);
      assert.equal(t.expired(), false);
    });
  });

  it("throws at once without a running loop", () => {
    assert.throws(() => timeout(1, () => 1), new RuntimeError("no running event loop"));
  });

  it("rejects outside a task: 'Timeout should be used inside a task'", async () => {
    const loop = virtualLoop();
    try {
      const failed = loop.createFuture<unknown>();
      loop.callSoon(() => {
        timeout(1, () => 1).then(
          () => failed.setResult(null),
          (e) => failed.setResult(e),
        );
      });
      const error = await loop.runUntilComplete(failed);
      assert.deepEqual(error, new RuntimeError("Timeout should be used inside a task"));
    } finally {
      loop.close();
    }
  });

  it("rejects a delay that is not a number", async () => {
    await runVirtual(() => {
      assert.throws(() => timeout("1" as unknown as number, () => 1), TypeError);
      assert.throws(() => timeout(NaN, () => 1), RangeError);
    });
  });
});

describe("timeoutAt()", () => {
  it("uses an absolute deadline on the loop's clock", async () => {
    await runVirtual(async () => {
      await sleep(10);
      const error = await timeoutAt(12, () => sleep(100)).catch((e) => e);
      assert.ok(error instanceof TimeoutError);
      assert.equal(getRunningLoop().time(), 12);
    });
  });

  it("null means no deadline", async () => {
    assert.equal(await runVirtual(() => timeoutAt(null, () => sleep(50, "ok"))), "ok");
  });

  it("a deadline already past fires at the next suspension", async () => {
    await runVirtual(async () => {
      await sleep(10);
      await assert.rejects(timeoutAt(3, () => sleep(1)), TimeoutError);
      assert.equal(getRunningLoop().time(), 10);
    });
  });
});

describe("Timeout", () => {
  it("states go created -> active -> finished", async () => {
    await runVirtual(async () => {
      const t = new Timeout(null);
      assert.equal(String(t), "<Timeout [created]>");
      await t.run(() => assert.equal(String(t), "<Timeout [active] when=null>"));
      assert.equal(String(t), "<Timeout [finished]>");
      assert.equal(t.expired(), false);
    });
  });

  it("states go created -> active -> expiring -> expired", async () => {
    await runVirtual(async () => {
      const t = new Timeout(getRunningLoop().time() + 1);
      const states: string[] = [];
      await t.run(async () => {
        states.push(String(t));
        try {
          await sleep(5);
        } catch (e) {
          states.push(String(t));
          assert.equal(t.expired(), true);
          throw e;
        }
      }).catch(() => {});
      states.push(String(t));
      assert.deepEqual(states, [
        "<Timeout [active] when=1>",
        "<Timeout [expiring]>",
        "<Timeout [expired]>",
      ]);
    });
  });

  it("reschedule() before entering: 'Timeout has not been entered'", async () => {
    await runVirtual(() => {
      const t = new Timeout(5);
      assert.throws(() => t.reschedule(10), new RuntimeError("Timeout has not been entered"));
    });
  });

  it("reschedule() while expiring: 'Cannot change state of expiring Timeout'", async () => {
    await runVirtual(async () => {
      await timeout(1, async (t) => {
        try {
          await sleep(5);
        } catch {
          assert.throws(
            () => t.reschedule(100),
            new RuntimeError("Cannot change state of expiring Timeout"),
          );
        }
      });
    });
  });

  it("reschedule() after the block: 'Cannot change state of finished/expired Timeout'", async () => {
    await runVirtual(async () => {
      const finished = new Timeout(null);
      await finished.run(() => {});
      assert.throws(
        () => finished.reschedule(1),
        new RuntimeError("Cannot change state of finished Timeout"),
      );
      const expired = new Timeout(getRunningLoop().time() + 1);
      await expired.run(() => sleep(2)).catch(() => {});
      assert.throws(
        () => expired.reschedule(1),
        new RuntimeError("Cannot change state of expired Timeout"),
      );
    });
  });

  it("running twice: 'Timeout has already been entered'", async () => {
    await runVirtual(async () => {
      const t = new Timeout(null);
      await t.run(() => {});
      await assert.rejects(t.run(() => {}), new RuntimeError("Timeout has already been entered"));
    });
  });

  it("reschedule() moves the deadline later", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      await timeout(1, async (t) => {
        t.reschedule(loop.time() + 10);
        assert.equal(t.when(), 10);
        await sleep(5);
      });
      assert.equal(loop.time(), 5);
    });
  });

  it("reschedule() moves the deadline earlier", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      await assert.rejects(
        timeout(100, async (t) => {
          t.reschedule(loop.time() + 2);
          await sleep(50);
        }),
        TimeoutError,
      );
      assert.equal(loop.time(), 2);
    });
  });

  it("reschedule(null) removes the deadline", async () => {
    await runVirtual(async () => {
      const value = await timeout(1, async (t) => {
        t.reschedule(null);
        assert.equal(t.when(), null);
        await sleep(10);
        return "kept going";
      });
      assert.equal(value, "kept going");
    });
  });

  it("reschedule() to a past time expires at the next iteration", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      await sleep(5);
      const order: string[] = [];
      await timeout(100, async (t) => {
        t.reschedule(loop.time() - 1);
        order.push("still running");
        await sleep(1);
        order.push("never");
      }).catch((e) => order.push(e.constructor.name));
      assert.deepEqual(order, ["still running", "TimeoutError"]);
      assert.equal(loop.time(), 5);
    });
  });

  it("rejects a deadline that is not a number", () => {
    assert.throws(() => new Timeout("soon" as unknown as number), TypeError);
    assert.throws(() => new Timeout(NaN), RangeError);
  });
});

describe("examples/timeout.ts", { skip: needsTypeScriptRuntime }, () => {
  it("runs with no flags; cleanup runs before each TimeoutError", async () => {
    const { code, stdout, stderr } = await runProgram("examples/timeout.ts");
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    assert.deepEqual(stdout.trimEnd().split("\n"), [
      "timeout() around a block:",
      "  query of 0.01 s: connection released",
      "  rows after 0.01 s",
      "  query of 1 s: connection released",
      "  TimeoutError: the block took too long",
      "reschedule() when more time is granted:",
      "  query of 0.05 s: connection released",
      "  expired: false",
      "  rows after 0.05 s",
      "waitFor() one awaitable:",
      "  query of 0.01 s: connection released",
      "  rows after 0.01 s",
      "  query of 1 s: connection released",
      "  TimeoutError after 0.02 s",
      "shield() keeps the work going:",
      "  stopped waiting for the save",
      "  query of 0.05 s: connection released",
      "  the save still finished: rows after 0.05 s",
    ]);
  });
});
