import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import {
  allTasks,
  captureCallGraph,
  createTask,
  formatCallGraph,
  formatTaskTree,
  type Future,
  type FutureCallGraph,
  gather,
  getRunningLoop,
  KeyboardInterrupt,
  Lock,
  printCallGraph,
  Queue,
  shield,
  sleep,
  type Task,
  taskGroup,
  timeout,
  waitFor,
} from "../mod.ts";
import { heldExecutor, runVirtual } from "./_virtual.ts";

/** The names of the tasks on the path from `graph` up to its first root. */
function chain(graph: FutureCallGraph | null): string[] {
  const names: string[] = [];
  for (let node = graph; node !== null && node !== undefined; node = node.awaitedBy[0]) {
    const future = node.future as Task<unknown>;
    names.push(typeof future.getName === "function" ? future.getName() : String(future));
  }
  return names;
}

/** Let `count` loop iterations pass, so that started tasks reach their waits. */
async function settle(count = 3): Promise<void> {
  for (let i = 0; i < count; i++) await sleep(0);
}

describe("captureCallGraph()", () => {
  it("returns null outside every task", async () => {
    assert.equal(captureCallGraph(), null);
    assert.equal(formatCallGraph(), "");
    await runVirtual(() => {
      getRunningLoop().callSoon(() => assert.equal(captureCallGraph(), null));
      return sleep(0);
    });
  });

  it("follows a task awaiting a task awaiting a task up to the root", async () => {
    await runVirtual(async () => {
      const leaf = createTask({ name: "leaf" }, () => sleep(10));
      const middle = createTask({ name: "middle" }, async () => await leaf);
      const top = createTask({ name: "top" }, async () => await middle);
      await settle();
      assert.deepEqual(chain(captureCallGraph(leaf)), ["leaf", "middle", "top"]);
      top.cancel();
      await top.catch(() => {});
    });
  });

  it("sees through gather, shield, waitFor and a TaskGroup to the task that awaits them", async () => {
    await runVirtual(async () => {
      const leaves: Task<unknown>[] = [];
      const leaf = (name: string) => {
        const task = createTask({ name }, () => sleep(10));
        leaves.push(task);
        return task;
      };
      const viaGather = createTask({ name: "gatherer" }, () => gather(leaf("g1"), leaf("g2")));
      const viaShield = createTask({ name: "shielder" }, async () => await shield(leaf("s")));
      const viaWaitFor = createTask({ name: "waiter" }, async () => await waitFor(leaf("w"), 100));
      const viaTimeout = createTask(
        { name: "timer" },
        () => timeout(100, async () => await leaf("t")),
      );
      const viaGroup = createTask({ name: "grouper" }, () =>
        taskGroup((tg) => {
          tg.createTask({ name: "tg" }, () => sleep(10));
        }));
      await settle();
      const parents = new Map<string, string[]>();
      for (const task of leaves) parents.set(task.getName(), chain(captureCallGraph(task)));
      assert.deepEqual(Object.fromEntries(parents), {
        g1: ["g1", "gatherer"],
        g2: ["g2", "gatherer"],
        s: ["s", "shielder"],
        w: ["w", "waiter"],
        t: ["t", "timer"],
      });
      const groupChild = [...allTasks()].find((task) => task.getName() === "tg")!;
      assert.deepEqual(chain(captureCallGraph(groupChild)), ["tg", "grouper"]);
      for (const task of [viaGather, viaShield, viaWaitFor, viaTimeout, viaGroup]) task.cancel();
      for (const task of leaves) task.cancel();
      await gather([viaGather, viaShield, viaWaitFor, viaTimeout, viaGroup, ...leaves], {
        returnExceptions: true,
      });
    });
  });

  it("shows the task waiting on a queue's get, a lock's acquire and an executor's future", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const { executor, release } = heldExecutor();
      const queue = new Queue<number>();
      const lock = new Lock();
      await lock.acquire();
      const waits: Future<unknown>[] = [
        queue.get(),
        lock.acquire(),
        loop.runInExecutor(executor, () => 1),
      ];
      const names = ["getter", "acquirer", "runner"];
      const tasks = waits.map((wait, i) => createTask({ name: names[i] }, async () => await wait));
      await settle();
      for (let i = 0; i < waits.length; i++) {
        const graph = captureCallGraph(waits[i])!;
        assert.equal(graph.future, waits[i]);
        assert.deepEqual(graph.callStack, []);
        assert.deepEqual(graph.awaitedBy.map((node) => node.future), [tasks[i]]);
      }
      queue.putNowait(1);
      lock.release();
      release(1);
      await gather(tasks);
    });
  });

  it("gives the calling task's own stack, with depth and limit", async () => {
    await runVirtual(async function main() {
      const graph = captureCallGraph()!;
      assert.equal(graph.future, createTaskOf());
      assert.ok(graph.callStack.length >= 1);
      assert.match(graph.callStack[0].frame, /graph_test\.[jt]s:\d+:\d+/);
      assert.equal(captureCallGraph(null, { limit: 1 })!.callStack.length, 1);
      assert.equal(captureCallGraph(null, { limit: 0 })!.callStack.length, 0);
      assert.throws(() => captureCallGraph(null, { depth: -1 }), TypeError);
      assert.throws(() => captureCallGraph(42 as never), TypeError);
    });
  });
});

describe("formatCallGraph()", () => {
  it("lays the graph out as Python 3.14 does, the function's name where no await site was recorded", async () => {
    await runVirtual(async () => {
      const child = createTask({ name: "child" }, async function child() {
        await sleep(10);
      });
      const parent = createTask({ name: "parent" }, async function parent() {
        await child;
      });
      await settle();
      assert.equal(
        formatCallGraph(child),
        [
          "* Task(name='child')",
          "+ Call stack:",
          "|   async child()",
          "+ Awaited by:",
          "   * Task(name='parent')",
          "      + Call stack:",
          "      |   async parent()",
        ].join("\n"),
      );
      parent.cancel();
      await parent.catch(() => {});
    });
  });

  it("shows each task's await site in debug mode", async () => {
    await runVirtual(async () => {
      const child = createTask({ name: "child" }, async function child() {
        await sleep(10);
      });
      await settle();
      const text = formatCallGraph(child);
      // Deno records the async frames of an await; a runtime that does not
      // shows the function's name instead.
      if ("Deno" in globalThis) {
        assert.match(text, /\| {3}async child \(.*graph_test\.[jt]s:\d+:\d+\)/);
      } else assert.match(text, /\| {3}async child/);
      child.cancel();
      await child.catch(() => {});
    }, { debug: true });
  });

  it("printCallGraph prints it", async () => {
    const printed: unknown[] = [];
    const original = console.log;
    await runVirtual(async () => {
      console.log = (...args: unknown[]) => printed.push(args.join(" "));
      try {
        printCallGraph();
      } finally {
        console.log = original;
      }
    });
    assert.equal(printed.length, 1);
    assert.match(String(printed[0]), /^\* Task\(name='Task-\d+'\)\n\+ Call stack:\n\| {3}/);
  });
});

describe("formatTaskTree()", () => {
  it("draws every live task under the task that waits for it, with what it waits on", async () => {
    await runVirtual(async function main() {
      const held = new Lock();
      await held.acquire();
      const worker = createTask({ name: "worker" }, async function work() {
        await gather(
          createTask({ name: "a" }, async function fetchA() {
            await sleep(10);
          }),
          createTask({ name: "b" }, async function fetchB() {
            await held.acquire();
          }),
        );
      });
      const idle = createTask({ name: "idle" }, async function idle() {
        await sleep(5);
      });
      await settle();
      assert.equal(
        formatTaskTree(),
        [
          `├── Task(name='${currentName()}') main (running: printing this tree)`,
          "├── Task(name='worker') work",
          "│   ├── waits on <GatheringFuture pending>",
          "│   ├── Task(name='a') fetchA",
          "│   │   └── waits on <SleepFuture pending>",
          "│   └── Task(name='b') fetchB",
          "│       └── waits on <Waiter pending>",
          "└── Task(name='idle') idle",
          "    └── waits on <SleepFuture pending>",
        ].join("\n"),
      );
      worker.cancel();
      idle.cancel();
      await gather([worker, idle], { returnExceptions: true });
    });
  });
});

function createTaskOf(): Task<unknown> {
  return captureCallGraph()!.future as Task<unknown>;
}

function currentName(): string {
  return (captureCallGraph()!.future as Task<unknown>).getName();
}

describe("run() in debug mode and Ctrl-C", () => {
  it("prints the tree of the tasks to stderr at the first SIGINT, then cancels main", async () => {
    const printed: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      const error = await runVirtual(async function main() {
        getRunningLoop().callLater(1, () => process.emit("SIGINT" as never));
        await sleep(100);
      }, { debug: true }).catch((e) => e);
      assert.ok(error instanceof KeyboardInterrupt);
    } finally {
      console.error = original;
    }
    assert.equal(printed.length, 1);
    const lines = printed[0].split("\n");
    assert.match(lines[0], /^KeyboardInterrupt: the tasks of <EventLoop running debug=true>:$/);
    assert.match(lines[1], /^└── Task\(name='Task-\d+'\) (async )?main/);
    assert.equal(lines[2], "    └── waits on <SleepFuture pending>");
  });
});
