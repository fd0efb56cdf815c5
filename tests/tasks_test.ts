import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  ensureFuture,
  Future,
  gather,
  getRunningLoop,
  RuntimeError,
  shield,
  sleep,
  Task,
  wait,
  waitFor,
} from "../mod.ts";
import { captureReports, failure, runVirtual, virtualLoop } from "./_virtual.ts";

describe("createTask()", () => {
  it("calls the function with exactly its arguments, with or without options", async () => {
    await runVirtual(async () => {
      const got = (...args: unknown[]) => args;
      const loop = getRunningLoop();
      const tasks = [
        createTask(got),
        createTask(got, null),
        createTask(got, undefined),
        createTask(got, 1, 2),
        createTask(got, 1, 2, 3),
        createTask({ name: "named" }, got, "a"),
        createTask({ name: "named" }, got, "a", "b", "c"),
        loop.createTask(got, [1]),
        new Task(got, { args: [4, 5] }),
        new Task(got, { args: [] }),
      ];
      assert.deepEqual(await gather(...tasks), [
        [],
        [null],
        [undefined],
        [1, 2],
        [1, 2, 3],
        ["a"],
        ["a", "b", "c"],
        [[1]],
        [4, 5],
        [],
      ]);
    });
  });

  it("starts the function at the next iteration, never synchronously", async () => {
    await runVirtual(async () => {
      const seen: string[] = [];
      const task = createTask(
        async (a: number, b: string) => {
          seen.push(`body ${a}${b}`);
          return a;
        },
        1,
        "x",
      );
      seen.push("created");
      assert.equal(await task, 1);
      assert.deepEqual(seen, ["created", "body 1x"]);
    });
  });

  it("names tasks Task-N by default, or as given", async () => {
    await runVirtual(async () => {
      const a = createTask(async () => {});
      const b = createTask(async () => {});
      const named = createTask({ name: "worker" }, async (n: number) => n, 4);
      assert.match(a.getName(), /^Task-\d+$/);
      assert.equal(Number(b.getName().slice(5)), Number(a.getName().slice(5)) + 1);
      assert.equal(named.getName(), "worker");
      named.setName(42);
      assert.equal(named.getName(), "42");
      assert.equal(String(named), "<Task pending name='42' coro=<<anonymous>()>>");
      assert.equal(await named, 4);
    });
  });

  it("refuses a promise with a TypeError that shows the function form", async () => {
    await runVirtual(async () => {
      let ran = 0;
      const work = async () => {
        ran++;
        await sleep(1);
      };
      const started = work();
      for (const create of [() => createTask(started as never), () => new Task(started as never)]) {
        assert.throws(create, (error: Error) => {
          assert.ok(error instanceof TypeError);
          assert.match(error.message, /createTask\(work\)/);
          assert.match(error.message, /createTask\(\(\) => work\(x\)\)/);
          assert.match(error.message, /ensureFuture\(promise\)/);
          return true;
        });
      }
      assert.equal(allTasks().size, 1); // main only: nothing half-made was left behind
      await started;
      assert.equal(ran, 1);
    });
  });

  it("made for a closed loop throws and leaves no pending task in it", () => {
    const loop = virtualLoop();
    loop.close();
    assert.throws(() => new Task(async () => {}, { loop }), { message: "Event loop is closed" });
    assert.equal(allTasks(loop).size, 0);
  });

  it("turns a cancel message into a string", async () => {
    await runVirtual(async () => {
      const task = createTask(() => sleep(1));
      await sleep(0);
      task.cancel(123 as unknown as string);
      const error = await failure(task);
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "123");
    });
  });

  it("refuses what is not a function", async () => {
    await runVirtual(() => {
      assert.throws(
        // deno-lint-ignore no-explicit-any
        () => createTask(123 as any),
        { name: "TypeError", message: "a coroutine was expected, got 123" },
      );
    });
  });

  it("needs a running loop", () => {
    assert.throws(() => createTask(async () => {}), { message: "no running event loop" });
  });

  it("refuses setResult and setException", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => {});
      assert.throws(() => task.setResult(undefined), {
        name: "RuntimeError",
        message: "Task does not support set_result operation",
      });
      assert.throws(() => task.setException(new Error()), {
        message: "Task does not support set_exception operation",
      });
      await task;
    });
  });

  it("cannot await itself", async () => {
    await runVirtual(async () => {
      const task: Task<void> = createTask(async () => {
        await sleep(0);
        await task;
      });
      await assert.rejects(
        async () => await task,
        (error: Error) =>
          error.name === "RuntimeError" &&
          error.message.startsWith("Task cannot await on itself: <Task"),
      );
    });
  });
});

describe("task steps", () => {
  it("interleave one step per iteration, even through nested async functions", async () => {
    await runVirtual(async () => {
      const seen: string[] = [];
      async function deep(level: number): Promise<void> {
        if (level === 0) await sleep(0);
        else await deep(level - 1);
      }
      const a = createTask(async () => {
        seen.push("a1");
        await deep(5);
        seen.push("a2");
        await deep(3);
        seen.push("a3");
      });
      const b = createTask(async () => {
        seen.push("b1");
        await sleep(0);
        seen.push("b2");
        await sleep(0);
        seen.push("b3");
      });
      await a;
      await b;
      assert.deepEqual(seen, ["a1", "b1", "a2", "b2", "a3", "b3"]);
    });
  });

  it("a step runs to its next await before the next callback", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const seen: string[] = [];
      const task = createTask(async () => {
        seen.push("step 1");
        await Promise.resolve(); // microtasks stay inside the step
        await null;
        seen.push("still step 1");
        await sleep(0);
        await Promise.resolve();
        seen.push("step 2");
      });
      // Runs in the iteration that resumes the task, right after the resume.
      loop.callSoon(() => loop.callSoon(() => seen.push("callback")));
      await task;
      assert.deepEqual(seen, ["step 1", "still step 1", "step 2", "callback"]);
    });
  });

  it("a step parked on a foreign promise lets the others run", async () => {
    await runVirtual(async () => {
      const seen: string[] = [];
      let release!: () => void;
      const foreign = new Promise<void>((resolve) => (release = resolve));
      const slow = createTask(async () => {
        await foreign;
        seen.push("foreign done");
      });
      const fast = createTask(async () => {
        for (let i = 0; i < 3; i++) await sleep(0);
        seen.push("fast done");
        release();
      });
      await slow;
      await fast;
      assert.deepEqual(seen, ["fast done", "foreign done"]);
    });
  });
});

describe("Task.cancel()", () => {
  it("throws CancelledError at the await; finally blocks with awaits run before the awaiter resumes", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const seen: string[] = [];
      const task = createTask(async () => {
        try {
          await sleep(3600);
        } catch (error) {
          seen.push(`caught ${(error as Error).name}: ${(error as Error).message}`);
          throw error;
        } finally {
          await sleep(2);
          seen.push(`cleanup done at ${loop.time()}`);
        }
      });
      await sleep(0);
      assert.equal(task.cancel("enough"), true);
      await assert.rejects(async () => await task, { name: "CancelledError", message: "enough" });
      seen.push("awaiter resumed");
      assert.equal(task.cancelled(), true);
      assert.deepEqual(seen, [
        "caught CancelledError: enough",
        "cleanup done at 2",
        "awaiter resumed",
      ]);
    });
  });

  it("the CancelledError thrown at the await is a CancelledError like any other, with a short stack", async () => {
    await runVirtual(async () => {
      let caught: unknown;
      const task = createTask(async () => {
        try {
          await sleep(3600);
        } catch (error) {
          caught = error;
          throw error;
        }
      });
      await sleep(0);
      task.cancel("stop");
      await gather(task, { returnExceptions: true });
      assert.ok(caught instanceof CancelledError);
      assert.ok(caught instanceof Error);
      assert.equal(caught.name, "CancelledError");
      assert.equal(caught.message, "stop");
      assert.equal(String(caught), "CancelledError: stop");
      // The loop makes it without capturing its own frames: the stack is just the headline.
      assert.equal(caught.stack, "CancelledError: stop");
      caught.stack = "rewritten";
      assert.equal(caught.stack, "rewritten");
      // A CancelledError made by user code keeps a real stack.
      assert.match(String(new CancelledError("mine").stack), /CancelledError: mine\n\s+at /);
    });
  });

  it("before the first step: the body never runs", async () => {
    await runVirtual(async () => {
      let ran = false;
      const task = createTask(async () => {
        ran = true;
      });
      task.cancel("early");
      await assert.rejects(async () => await task, { name: "CancelledError", message: "early" });
      assert.equal(ran, false);
      assert.equal(task.cancelled(), true);
    });
  });

  it("returns false once the task is done", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => 1);
      await task;
      assert.equal(task.cancel(), false);
      assert.equal(task.cancelling(), 0);
    });
  });

  it("a task that swallows the cancel finishes normally, cancelling() stays 1", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          return "swallowed";
        }
        return "not cancelled";
      });
      await sleep(0);
      task.cancel();
      assert.equal(await task, "swallowed");
      assert.equal(task.cancelled(), false);
      assert.equal(task.cancelling(), 1);
    });
  });

  it("the first retrieval re-raises the original CancelledError, later ones a fresh one without message", async () => {
    await runVirtual(async () => {
      let original: unknown;
      const task = createTask(async () => {
        try {
          await sleep(10);
        } catch (error) {
          original = error;
          throw error;
        }
      });
      await sleep(0);
      task.cancel("msg");
      await sleep(0);
      await sleep(0);
      assert.equal(task.done(), true);
      let first: unknown;
      try {
        task.result();
      } catch (error) {
        first = error;
      }
      assert.equal(first, original);
      assert.throws(
        () => task.result(),
        (error: Error) => error !== original && error.message === "",
      );
    });
  });

  it("cancels the task it awaits", async () => {
    await runVirtual(async () => {
      const inner = createTask(() => sleep(100));
      const outer = createTask(async () => await inner);
      await sleep(0);
      await sleep(0);
      outer.cancel("both");
      await assert.rejects(async () => await outer, CancelledError);
      assert.equal(inner.cancelled(), true);
    });
  });

  it("a cancel during a foreign await is delivered at the next library await; the signal aborts at once", async () => {
    await runVirtual(async () => {
      const seen: string[] = [];
      let signal: AbortSignal | undefined;
      let release!: () => void;
      const foreign = new Promise<void>((resolve) => (release = resolve));
      const task = createTask(async () => {
        signal = currentTask()!.signal;
        await foreign;
        seen.push(`after foreign, aborted=${signal.aborted}`);
        await sleep(1000);
        seen.push("never");
      });
      await sleep(0);
      task.cancel("later");
      assert.equal(signal!.aborted, true);
      release();
      assert.ok(signal!.reason instanceof CancelledError);
      await assert.rejects(async () => await task, { message: "later" });
      assert.deepEqual(seen, ["after foreign, aborted=true"]);
    });
  });

  it("a cancel that finds the body finishing still cancels the task", async () => {
    await runVirtual(async () => {
      let release!: () => void;
      const foreign = new Promise<void>((resolve) => (release = resolve));
      const task = createTask(async () => {
        await foreign;
        return "finished anyway";
      });
      await sleep(0);
      task.cancel();
      release();
      await assert.rejects(async () => await task, CancelledError);
      assert.equal(task.cancelled(), true);
    });
  });

  it("a cancel after the awaited future completed, before the wake-up, wins over the result", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const future = new Future<string>();
      const task = createTask(async () => await future);
      await sleep(0);
      loop.callSoon(() => {
        future.setResult("late");
        task.cancel("won");
      });
      await assert.rejects(async () => await task, { name: "CancelledError", message: "won" });
    });
  });

  it("a cancel that arrives while a CancelledError is being delivered does not replace it", async () => {
    // CPython 3.13: outer got ('a',).
    await runVirtual(async () => {
      const inner = createTask(() => sleep(10));
      const outer = createTask(async () => {
        try {
          await inner;
        } catch (error) {
          return (error as Error).message;
        }
      });
      await sleep(0);
      inner.cancel("a");
      await sleep(0); // inner ends; outer's wake-up is queued
      outer.cancel("b");
      assert.equal(await outer, "a");
    });
  });

  it("awaiting a future of another loop fails at once with asyncio's RuntimeError", async () => {
    const other = virtualLoop();
    const foreign = other.createFuture<string>();
    await runVirtual(async () => {
      const error = await failure(createTask(async () => await foreign));
      assert.ok(error instanceof RuntimeError);
      assert.match(
        (error as Error).message,
        /^Task <Task .*> got Future <Future pending> attached to a different loop$/,
      );
      // Also through the combinators that follow a future.
      for (
        const wrapped of [
          () => waitFor(foreign, 0.05),
          () => shield(foreign),
          () => gather(foreign),
        ]
      ) {
        assert.ok((await failure(createTask(async () => await wrapped()))) instanceof RuntimeError);
      }
      const waited = await failure(wait([foreign]));
      assert.ok(waited instanceof RangeError);
      assert.equal(foreign.done(), false);
    });
    other.close();
  });

  it("ensureFuture() makes a foreign promise's await cancellable at once", async () => {
    await runVirtual(async () => {
      const never = new Promise<never>(() => {});
      const task = createTask(async () => await ensureFuture(never));
      await sleep(0);
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
    });
  });
});

describe("Task.cancelling() and uncancel()", () => {
  it("count the pending cancel requests", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => {
        try {
          await sleep(10);
        } catch {
          // swallowed
        }
        await sleep(10);
      });
      await sleep(0);
      task.cancel();
      task.cancel();
      assert.equal(task.cancelling(), 2);
      assert.equal(task.uncancel(), 1);
      assert.equal(task.uncancel(), 0);
      assert.equal(task.uncancel(), 0);
      await sleep(0); // the task swallows the first cancel and sleeps again
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
    });
  });

  it("uncancel() to zero before the first step lets the task run (Python 3.13)", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => "ran");
      task.cancel();
      task.uncancel();
      assert.equal(await task, "ran");
    });
  });

  it("uncancel() to zero gives the task a fresh signal", async () => {
    await runVirtual(async () => {
      const task = createTask(() => sleep(10));
      const first = task.signal;
      task.cancel();
      assert.equal(first.aborted, true);
      task.uncancel();
      assert.equal(task.signal.aborted, false);
      task.cancel();
      await assert.rejects(async () => await task, CancelledError);
    });
  });
});

describe("currentTask() and allTasks()", () => {
  it("allTasks() lists the live tasks in creation order while they finish in any order", async () => {
    await runVirtual(async () => {
      const main = currentTask()!;
      // Durations that finish tasks out of creation order, in waves.
      const durations = [5, 1, 4, 1, 3, 9, 2, 1, 6, 2, 7, 1, 8, 3, 2, 5];
      const tasks = durations.map((seconds, i) =>
        createTask({ name: `t${i}` }, () => sleep(seconds))
      );
      await sleep(0.5); // checks between the deadlines
      for (let now = 0.5; now <= 10; now++) {
        const expected = tasks.filter((_task, i) => durations[i] > now).map((t) => t.getName());
        const listed = [...allTasks()].filter((task) => task !== main).map((t) => t.getName());
        assert.deepEqual(listed, expected, `after ${now} s`);
        await sleep(1);
      }
      assert.deepEqual([...allTasks()], [main]);
      const late = createTask({ name: "late" }, () => sleep(1));
      assert.deepEqual([...allTasks()].map((t) => t.getName()), [main.getName(), "late"]);
      await late;
    });
  });

  it("currentTask() is the running task, and null in a plain callback", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const main = currentTask();
      assert.ok(main instanceof Task);
      const inner: Task<boolean> = createTask(async () => currentTask() === inner);
      assert.equal(await inner, true);
      const fromCallback = new Future<unknown>();
      loop.callSoon(() => fromCallback.setResult(currentTask()));
      assert.equal(await fromCallback, null);
      assert.equal(currentTask(), main);
    });
  });

  it("currentTask() is null in a callback that runs after a task's first step in the same iteration", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const gate = loop.createFuture();
      const parked = createTask(async () => await gate);
      createTask(() => 5); // a body that returns at once, inside the same batch
      const fromCallback = new Future<unknown>();
      loop.callSoon(() => fromCallback.setResult(currentTask()));
      assert.equal(await fromCallback, null);
      gate.setResult(1);
      await parked;
    });
  });

  it("allTasks() holds the tasks not done yet", async () => {
    await runVirtual(async () => {
      const main = currentTask()!;
      const sleeper = createTask(() => sleep(10));
      const quick = createTask(async () => {});
      await quick;
      assert.deepEqual(allTasks(), new Set([main, sleeper]));
      sleeper.cancel();
      await assert.rejects(async () => await sleeper);
      assert.deepEqual(allTasks(), new Set([main]));
    });
  });

  it("allTasks(loop) and currentTask(loop) work on a loop that is not running", () => {
    const loop = virtualLoop();
    const task = loop.createTask(async () => {});
    assert.deepEqual(allTasks(loop), new Set([task]));
    assert.equal(currentTask(loop), null);
    assert.throws(() => allTasks(), { message: "no running event loop" });
    assert.throws(() => currentTask(), { message: "no running event loop" });
  });
});

describe("Task exception never retrieved", () => {
  it("is reported once, through the handler, when the loop closes", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    const error = new Error("oops");
    async function bad(): Promise<never> {
      throw error;
    }
    const task = loop.createTask(bad);
    await loop.runUntilComplete(() => sleep(1));
    loop.close();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Task exception was never retrieved");
    assert.equal(reports[0].exception, error);
    assert.equal(reports[0].future, task);
    assert.match(
      String(task),
      /^<Task finished name='Task-\d+' coro=<bad\(\)> exception=Error\('oops'\)>$/,
    );
  });

  it("is not reported for an awaited or cancelled task", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    await loop.runUntilComplete(async () => {
      const awaited = createTask(async () => {
        throw new Error("seen");
      });
      await assert.rejects(async () => await awaited);
      const cancelled = createTask(() => sleep(5));
      await sleep(0);
      cancelled.cancel();
      await sleep(0);
    });
    loop.close();
    assert.deepEqual(reports, []);
  });
});
