import assert from "node:assert/strict";
import { AsyncLocalStorage } from "node:async_hooks";
import { describe, it } from "node:test";
import {
  CancelledError,
  createTask,
  currentTask,
  eagerTaskFactory,
  gather,
  getRunningLoop,
  sleep,
  Task,
  type TaskFactory,
  taskGroup,
} from "../mod.ts";
import { runVirtual, virtualLoop } from "./_virtual.ts";

describe("loop.setTaskFactory()", () => {
  it("makes the tasks of createTask, loop.createTask and TaskGroup.createTask", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const made: string[] = [];
      const factory: TaskFactory = (owner, coro, options) => {
        assert.equal(owner, loop);
        made.push(`${options.name ?? "?"} ${options.args?.length}`);
        return new Task(coro, { ...options, loop: owner });
      };
      loop.setTaskFactory(factory);
      assert.equal(loop.getTaskFactory(), factory);
      const a = createTask({ name: "a" }, async (x: number, y: number) => x + y, 1, 2);
      const b = loop.createTask(async () => "b");
      let c!: Task<string>;
      await taskGroup((tg) => {
        c = tg.createTask({ name: "c" }, async () => "c");
      });
      assert.deepEqual(await gather(a, b, c), [3, "b", "c"]);
      assert.deepEqual(made, ["a 2", "? 0", "c 0"]);
      loop.setTaskFactory(null);
      assert.equal(loop.getTaskFactory(), null);
      await createTask(async () => {});
      assert.equal(made.length, 3);
    });
  });

  it("refuses what is not a function, and a factory that returns no Task", async () => {
    const loop = virtualLoop();
    assert.throws(() => loop.setTaskFactory(42 as never), {
      name: "TypeError",
      message: "task factory must be a function or null, received 42",
    });
    loop.setTaskFactory(() => ({}) as never);
    assert.throws(() => loop.createTask(async () => {}), TypeError);
    loop.close();
  });
});

describe("eagerTaskFactory", () => {
  it("runs the body at once until its first suspension", async () => {
    await runVirtual(async () => {
      getRunningLoop().setTaskFactory(eagerTaskFactory);
      const order: string[] = [];
      const task = createTask(async () => {
        order.push(`body starts in ${currentTask()?.getName()}`);
        await sleep(0);
        order.push("body resumes");
      });
      order.push("after createTask");
      await task;
      assert.deepEqual(order, [
        `body starts in ${task.getName()}`,
        "after createTask",
        "body resumes",
      ]);
    });
  });

  it("finishes a body that never suspends without a loop iteration", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      loop.setTaskFactory(eagerTaskFactory);
      const sync = createTask(() => 42);
      assert.equal(sync.done(), true);
      assert.equal(sync.result(), 42);
      const asyncBody = createTask(async () => 7);
      await Promise.resolve();
      assert.equal(asyncBody.done(), true);
      assert.equal(asyncBody.result(), 7);
      const failing = createTask(() => {
        throw new Error("at once");
      });
      assert.equal(failing.done(), true);
      assert.equal((failing.exception() as Error).message, "at once");
    });
  });

  it("is cancellable at its first suspension, and keeps its creator's context", async () => {
    const storage = new AsyncLocalStorage<string>();
    await runVirtual(async () => {
      getRunningLoop().setTaskFactory(eagerTaskFactory);
      const task = storage.run("creator", () =>
        createTask(async () => {
          const before = storage.getStore();
          await sleep(10);
          return before;
        }));
      const seen = storage.run("other", () => createTask(async () => storage.getStore()));
      assert.equal(await seen, "other");
      task.cancel();
      await assert.rejects(task, CancelledError);
      const kept = storage.run("kept", () =>
        createTask(async () => {
          await sleep(0);
          return storage.getStore();
        }));
      assert.equal(await kept, "kept");
    });
  });

  it("starts lazily on a loop that is not running, as Python's", async () => {
    const loop = virtualLoop();
    loop.setTaskFactory(eagerTaskFactory);
    let started = false;
    const task = loop.createTask(async () => {
      started = true;
    });
    assert.equal(started, false);
    await loop.runUntilComplete(task);
    assert.equal(started, true);
    loop.close();
  });
});

describe("Task.getCoro()", () => {
  it("is the function until the first step, then null", async () => {
    await runVirtual(async () => {
      const body = async () => {};
      const task = createTask(body);
      assert.equal(task.getCoro(), body);
      await task;
      assert.equal(task.getCoro(), null);
    });
  });
});
