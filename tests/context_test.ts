// Tasks and callbacks run in their creator's context, as Python's run in a
// copy of their creator's contextvars: two AsyncLocalStorage instances of
// the user's, independent of each other and of the library's own.
import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, it } from "node:test";
import process from "node:process";
import {
  CancelledError,
  createTask,
  currentTask,
  gather,
  getRunningLoop,
  run,
  sleep,
  type Task,
  taskGroup,
  timeout,
  TimeoutError,
} from "../mod.ts";
import { heldExecutor, runVirtual } from "./_virtual.ts";
import { contextTracking } from "../src/_current_task.ts";

const user = new AsyncLocalStorage<string>();
const request = new AsyncLocalStorage<number>();

/** The values of both storages where it is called. */
function seen(): string {
  return `${user.getStore()}/${request.getStore()}`;
}

describe("a task's context", () => {
  it("is its creator's, for both storages, whatever runs between", async () => {
    await runVirtual(async () => {
      const tasks = [];
      for (let i = 0; i < 3; i++) {
        tasks.push(user.run(`u${i}`, () =>
          request.run(i, () =>
            createTask(async () => {
              const before = seen();
              await sleep(0);
              await sleep(0.1);
              return `${before} ${seen()}`;
            }))));
      }
      assert.deepEqual(await gather(tasks), ["u0/0 u0/0", "u1/1 u1/1", "u2/2 u2/2"]);
      assert.equal(seen(), "undefined/undefined");
    });
  });

  it("is a copy: a task's own changes stay in it", async () => {
    await runVirtual(async () => {
      await user.run("outer", async () => {
        const child = createTask(async () => {
          user.enterWith("changed by the child");
          await sleep(0);
          return seen();
        });
        assert.equal(await child, "changed by the child/undefined");
        assert.equal(seen(), "outer/undefined");
      });
    });
  });

  it("reaches tasks started by gather, by a TaskGroup and inside a timeout", async () => {
    await runVirtual(async () => {
      const results = await request.run(7, () =>
        gather(
          async () => {
            await sleep(0);
            return `gather ${seen()}`;
          },
          () =>
            taskGroup(async (tg) => {
              const inner = user.run("group", () =>
                tg.createTask(async () => {
                  await sleep(0.5);
                  return `group ${seen()}`;
                }));
              return await inner;
            }),
          async () => {
            try {
              await timeout(0.1, async () => {
                await sleep(1);
              });
            } catch (error) {
              assert.ok(error instanceof TimeoutError);
              return `timeout ${seen()}`;
            }
          },
        ));
      assert.deepEqual(results, ["gather undefined/7", "group group/7", "timeout undefined/7"]);
    });
  });

  it("of run()'s main task is run()'s caller's", async () => {
    const value = await user.run("caller", () =>
      runVirtual(async () => {
        await sleep(0);
        return seen();
      }));
    assert.equal(value, "caller/undefined");
  });
});

describe("a callback's context", () => {
  it("is its scheduler's for callSoon, callLater and callAt", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const got: string[] = [];
      const done = loop.createFuture();
      user.run("soon", () => loop.callSoon(() => got.push(`soon ${seen()}`)));
      request.run(2, () => loop.callLater(0.5, () => got.push(`later ${seen()}`)));
      user.run("at", () =>
        loop.callAt(loop.time() + 1, () => {
          got.push(`at ${seen()}`);
          done.setResult(null);
        }));
      await done;
      assert.deepEqual(got, ["soon soon/undefined", "later undefined/2", "at at/undefined"]);
    });
  });

  it("is the adder's for a done callback, on an executor's future too", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const { executor, release } = heldExecutor();
      const future = loop.runInExecutor(executor, () => 1);
      const got: string[] = [];
      user.run("adder", () => future.addDoneCallback(() => got.push(`done ${seen()}`)));
      request.run(5, () => future.addDoneCallback(() => got.push(`also ${seen()}`)));
      release(1);
      assert.equal(await future, 1);
      await sleep(0);
      assert.deepEqual(got, ["done adder/undefined", "also undefined/5"]);
      // Added once done: through callSoon, in the adder's context as well.
      user.run("late", () => future.addDoneCallback(() => got.push(`late ${seen()}`)));
      await sleep(0);
      assert.equal(got[2], "late late/undefined");
    });
  });

  it("keeps the task current inside the user's own run() and enterWith()", async () => {
    await runVirtual(async () => {
      const task = createTask(async () => {
        const me = currentTask();
        const inRun = await user.run("inner", async () => {
          await sleep(0);
          // Awaits in here still suspend the task, so a cancel reaches them.
          const late = createTask(async () => `${seen()} ${currentTask() !== me}`);
          return `${seen()} ${currentTask() === me} ${await late}`;
        });
        request.enterWith(5);
        await sleep(0);
        assert.equal(currentTask(), me);
        try {
          await sleep(3600);
        } catch (error) {
          assert.ok(error instanceof CancelledError);
          return `${inRun} | ${seen()}`;
        }
      });
      await sleep(1);
      task.cancel();
      assert.equal(await task, "inner/undefined true inner/undefined true | undefined/5");
    });
  });

  it("lets the task disable a storage of its creator's", async () => {
    await runVirtual(async () => {
      const task: Task<string> = user.run("x", () =>
        createTask(async (): Promise<string> => {
          const before = user.getStore();
          await sleep(0);
          user.disable();
          const after = user.getStore();
          await sleep(0);
          return `${before} ${after} ${user.getStore()} ${currentTask() === task}`;
        }));
      assert.equal(await task, "x undefined undefined true");
    });
  });

  it("is tracked without an AsyncLocalStorage run per task on Deno and Node 24", () => {
    const deno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
    const bun = typeof (globalThis as { Bun?: unknown }).Bun === "object";
    // Node 24 keeps its async context in frames unless told not to; 22 if told to.
    const nodeFrames = Number(process.versions.node.split(".")[0]) >= 24
      ? !process.execArgv.includes("--no-async-context-frame")
      : process.execArgv.includes("--experimental-async-context-frame");
    // If this fails after an upgrade, tasks still work, on the slower path.
    const expected = deno
      ? "Deno frames"
      : !bun && nodeFrames
      ? "Node frames"
      : "AsyncLocalStorage";
    assert.equal(contextTracking, expected);
  });

  it("does not leak into the library's own callbacks or the next task", async () => {
    await run(async () => {
      await user.run("only here", () => sleep(0.001));
      const after = createTask(async () => seen());
      assert.equal(await after, "undefined/undefined");
    });
  });
});
