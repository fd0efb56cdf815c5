import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  getRunningLoop,
  KeyboardInterrupt,
  RuntimeError,
  sleep,
  type Task,
  TaskGroup,
  taskGroup,
  timeout,
  TimeoutError,
} from "../mod.ts";
import { captureReports, runVirtual, virtualLoop } from "./_virtual.ts";
import { needsTypeScriptRuntime, runProgram } from "./_subprocess.ts";

function fail(after: number, error: unknown): () => Promise<never> {
  return async () => {
    await sleep(after);
    throw error;
  };
}

describe("taskGroup()", () => {
  it("waits for every task and returns the body's result", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const [a, b] = await taskGroup((tg) => {
        return [tg.createTask(() => sleep(1, "a")), tg.createTask(() => sleep(3, "b"))];
      });
      assert.deepEqual([a.result(), b.result()], ["a", "b"]);
      assert.equal(loop.time(), 3);
    });
  });

  it("runs the body in the calling task, which is the tasks' parent", async () => {
    await runVirtual(async () => {
      const caller = currentTask();
      await taskGroup((tg) => {
        assert.equal(currentTask(), caller);
        tg.createTask(async () => assert.notEqual(currentTask(), caller));
      });
    });
  });

  it("passes arguments and a name to createTask", async () => {
    await runVirtual(async () => {
      await taskGroup((tg) => {
        const t = tg.createTask({ name: "adder" }, async (x: number, y: number) => x + y, 2, 3);
        assert.equal(t.getName(), "adder");
        tg.createTask(async () => assert.equal(await t, 5));
      });
    });
  });

  it("tasks created by other tasks of the group are waited for too", async () => {
    await runVirtual(async () => {
      const order: string[] = [];
      await taskGroup((tg) => {
        tg.createTask(async () => {
          await sleep(1);
          tg.createTask(async () => {
            await sleep(5);
            order.push("grandchild");
          });
        });
      });
      order.push("after group");
      assert.deepEqual(order, ["grandchild", "after group"]);
      assert.equal(getRunningLoop().time(), 6);
    });
  });

  it("the first failure cancels the siblings and raises an ExceptionGroup", async () => {
    await runVirtual(async () => {
      const boom = new Error("boom");
      const cleanup: string[] = [];
      let sibling: Task<unknown> | undefined;
      const error = await taskGroup((tg) => {
        sibling = tg.createTask(async () => {
          try {
            await sleep(100);
          } finally {
            await sleep(1);
            cleanup.push("sibling cleaned up");
          }
        });
        tg.createTask(fail(2, boom));
      }).catch((e) => e);
      assert.ok(error instanceof ExceptionGroup);
      assert.equal(error.message, "unhandled errors in a TaskGroup (1 sub-exception)");
      assert.deepEqual(error.exceptions, [boom]);
      assert.equal(sibling!.cancelled(), true);
      assert.deepEqual(cleanup, ["sibling cleaned up"]);
      assert.equal(getRunningLoop().time(), 3);
    });
  });

  it("a failure interrupts the body; code after the group runs normally", async () => {
    await runVirtual(async () => {
      const steps: string[] = [];
      await taskGroup(async (tg) => {
        tg.createTask(fail(1, new Error("x")));
        try {
          await sleep(100);
          steps.push("never");
        } catch (e) {
          steps.push(`body got ${(e as Error).constructor.name}`);
          throw e;
        }
      }).catch((e) => steps.push(`group raised ${e.constructor.name}`));
      await sleep(1); // the parent task is not left cancelled
      steps.push("after");
      assert.deepEqual(steps, ["body got CancelledError", "group raised ExceptionGroup", "after"]);
      assert.equal(currentTask()!.cancelling(), 0);
    });
  });

  it("collects several failures in the order they happened", async () => {
    await runVirtual(async () => {
      const first = new Error("first");
      const second = new Error("second");
      const error = await taskGroup((tg) => {
        tg.createTask(fail(1, first));
        // Fails while being cancelled: its error is collected too.
        tg.createTask(async () => {
          try {
            await sleep(100);
          } catch {
            throw second;
          }
        });
      }).catch((e) => e);
      assert.equal(error.message, "unhandled errors in a TaskGroup (2 sub-exceptions)");
      assert.deepEqual(error.exceptions, [first, second]);
    });
  });

  it("an error of the body cancels the tasks and is added last", async () => {
    await runVirtual(async () => {
      const bodyError = new Error("body");
      let child: Task<unknown> | undefined;
      const error = await taskGroup(async (tg) => {
        child = tg.createTask(() => sleep(100));
        await sleep(1);
        throw bodyError;
      }).catch((e) => e);
      assert.ok(error instanceof ExceptionGroup);
      assert.deepEqual(error.exceptions, [bodyError]);
      assert.equal(child!.cancelled(), true);
    });
  });

  it("a body error and a child error are grouped: child first, body last", async () => {
    await runVirtual(async () => {
      const childError = new Error("child");
      const bodyError = new Error("body");
      const error = await taskGroup(async (tg) => {
        tg.createTask(fail(1, childError));
        try {
          await sleep(5);
        } catch {
          throw bodyError;
        }
      }).catch((e) => e);
      assert.deepEqual(error.exceptions, [childError, bodyError]);
    });
  });

  it("a body error before the tasks started: they are cancelled and never run", async () => {
    await runVirtual(async () => {
      const ran: string[] = [];
      const tasks: Task<unknown>[] = [];
      const error = await taskGroup((tg) => {
        tasks.push(tg.createTask(async () => ran.push("a")));
        tasks.push(tg.createTask(async () => ran.push("b")));
        throw new RangeError("body failed at once");
      }).catch((e) => e);
      assert.ok(error instanceof ExceptionGroup);
      assert.ok(error.exceptions[0] instanceof RangeError);
      assert.deepEqual(ran, []);
      assert.ok(tasks.every((task) => task.cancelled()));
    });
  });

  it("a failure while the body already finished cancels the others at exit", async () => {
    await runVirtual(async () => {
      let slow: Task<unknown> | undefined;
      const error = await taskGroup((tg) => {
        slow = tg.createTask(() => sleep(100));
        tg.createTask(async () => {
          await sleep(1);
          throw new Error("late failure");
        });
        return "body done";
      }).catch((e) => e);
      assert.deepEqual(error.exceptions.map(String), ["Error: late failure"]);
      assert.equal(slow!.cancelled(), true);
      assert.equal(currentTask()!.cancelling(), 0);
      assert.equal(getRunningLoop().time(), 1);
    });
  });

  it("a child cancelled on its own does not abort the group", async () => {
    await runVirtual(async () => {
      let loner: Task<unknown> | undefined;
      let other: Task<string> | undefined;
      await taskGroup(async (tg) => {
        loner = tg.createTask(() => sleep(100));
        other = tg.createTask(() => sleep(3, "other"));
        await sleep(1);
        loner.cancel();
      });
      assert.equal(loner!.cancelled(), true);
      assert.equal(other!.result(), "other");
    });
  });

  it("a cancel from outside cancels the tasks and raises CancelledError, not a group", async () => {
    await runVirtual(async () => {
      let child: Task<unknown> | undefined;
      const cleanup: string[] = [];
      const parent = createTask(() =>
        taskGroup((tg) => {
          child = tg.createTask(async () => {
            try {
              await sleep(100);
            } finally {
              cleanup.push("child cleaned up");
            }
          });
        })
      );
      await sleep(1);
      parent.cancel();
      const error = await parent.then(() => null, (e) => e);
      assert.ok(error instanceof CancelledError);
      assert.equal(parent.cancelled(), true);
      assert.equal(child!.cancelled(), true);
      assert.deepEqual(cleanup, ["child cleaned up"]);
    });
  });

  it("a cancel from outside while the body waits is not swallowed", async () => {
    await runVirtual(async () => {
      const parent = createTask(() =>
        taskGroup(async (tg) => {
          tg.createTask(() => sleep(100));
          await sleep(50);
        })
      );
      await sleep(1);
      parent.cancel();
      await assert.rejects(Promise.resolve(parent), CancelledError);
      assert.equal(parent.cancelling(), 1);
    });
  });

  // Python 3.13 (gh-116720); 3.12 loses the outside cancel here.
  it("errors win over a cancel from outside, and the cancel stays pending", async () => {
    await runVirtual(async () => {
      const childError = new Error("child");
      const steps: string[] = [];
      const parent = createTask(async () => {
        try {
          await taskGroup((tg) => {
            tg.createTask(async () => {
              try {
                await sleep(100);
              } catch {
                throw childError;
              }
            });
          });
        } catch (e) {
          steps.push(`group raised ${(e as Error).constructor.name}`);
        }
        try {
          await sleep(1);
          steps.push("never");
        } catch (e) {
          steps.push(`then ${(e as Error).constructor.name}`);
          throw e;
        }
      });
      await sleep(1);
      parent.cancel();
      await assert.rejects(Promise.resolve(parent), CancelledError);
      assert.deepEqual(steps, ["group raised ExceptionGroup", "then CancelledError"]);
    });
  });

  it("a timeout around the group cancels it and becomes TimeoutError", async () => {
    await runVirtual(async () => {
      let child: Task<unknown> | undefined;
      await assert.rejects(
        timeout(2, () =>
          taskGroup((tg) => {
            child = tg.createTask(() => sleep(100));
          })),
        TimeoutError,
      );
      assert.equal(child!.cancelled(), true);
      assert.equal(getRunningLoop().time(), 2);
    });
  });

  it("KeyboardInterrupt from a child is raised alone; other errors are reported", async () => {
    await runVirtual(async () => {
      const reports = captureReports(getRunningLoop());
      const interrupt = new KeyboardInterrupt();
      const other = new Error("lost in the interrupt");
      const error = await taskGroup((tg) => {
        tg.createTask(fail(1, other));
        tg.createTask(fail(1, interrupt));
      }).catch((e) => e);
      assert.equal(error, interrupt);
      assert.equal(reports.length, 1);
      assert.equal(reports[0].exception, other);
    });
  });

  it("createTask before the group runs: 'has not been entered'", () => {
    const tg = new TaskGroup();
    let called = false;
    assert.throws(
      () => tg.createTask(() => (called = true)),
      new RuntimeError("TaskGroup <TaskGroup> has not been entered"),
    );
    assert.equal(called, false);
  });

  it("createTask after the group finished: 'is finished'", async () => {
    await runVirtual(async () => {
      const tg = new TaskGroup();
      await tg.run(() => {});
      assert.throws(
        () => tg.createTask(() => 1),
        new RuntimeError("TaskGroup <TaskGroup finished> is finished"),
      );
    });
  });

  it("createTask while aborting: 'is shutting down', the function never runs", async () => {
    await runVirtual(async () => {
      let called = false;
      let message = "";
      await taskGroup(async (tg) => {
        tg.createTask(fail(1, new Error("x")));
        try {
          await sleep(10);
        } catch (e) {
          try {
            tg.createTask(() => (called = true));
          } catch (refused) {
            message = (refused as Error).message;
          }
          throw e;
        }
      }).catch(() => {});
      assert.equal(message, "TaskGroup <TaskGroup errors=1 cancelling> is shutting down");
      assert.equal(called, false);
    });
  });

  it("createTask while waiting at exit still works", async () => {
    await runVirtual(async () => {
      const order: string[] = [];
      await taskGroup((tg) => {
        tg.createTask(async () => {
          await sleep(1);
          tg.createTask(async () => {
            order.push("late child ran");
          });
        });
      });
      assert.deepEqual(order, ["late child ran"]);
    });
  });

  it("running a group twice: 'has already been entered'", async () => {
    await runVirtual(async () => {
      const tg = new TaskGroup();
      await tg.run(() => {});
      await assert.rejects(
        tg.run(() => {}),
        new RuntimeError("TaskGroup <TaskGroup finished> has already been entered"),
      );
    });
  });

  it("outside a task: 'cannot determine the parent task'", async () => {
    const loop = virtualLoop();
    try {
      const outcome = loop.createFuture<unknown>();
      loop.callSoon(() => {
        new TaskGroup().run(() => {}).then(
          () => outcome.setResult(null),
          (e) => outcome.setResult(e),
        );
      });
      assert.deepEqual(
        await loop.runUntilComplete(outcome),
        new RuntimeError("TaskGroup <TaskGroup> cannot determine the parent task"),
      );
    } finally {
      loop.close();
    }
  });

  it("toString shows tasks, errors and state", async () => {
    await runVirtual(async () => {
      const tg = new TaskGroup();
      assert.equal(String(tg), "<TaskGroup>");
      await tg.run(async () => {
        tg.createTask(() => sleep(1));
        tg.createTask(() => sleep(1));
        assert.equal(String(tg), "<TaskGroup tasks=2 entered>");
      });
      assert.equal(String(tg), "<TaskGroup finished>");
    });
  });

  it("nested groups: an inner failure reaches the outer group as a nested ExceptionGroup", async () => {
    await runVirtual(async () => {
      const inner = new Error("inner");
      let outerSibling: Task<unknown> | undefined;
      const error = await taskGroup((outer) => {
        outerSibling = outer.createTask(() => sleep(100));
        outer.createTask(() =>
          taskGroup((tg) => {
            tg.createTask(fail(1, inner));
          })
        );
      }).catch((e) => e);
      assert.ok(error instanceof ExceptionGroup);
      assert.ok(error.exceptions[0] instanceof ExceptionGroup);
      assert.deepEqual((error.exceptions[0] as ExceptionGroup).exceptions, [inner]);
      assert.equal(outerSibling!.cancelled(), true);
    });
  });

  it("a body that never suspends still waits for its tasks", async () => {
    await runVirtual(async () => {
      const value = await taskGroup((tg) => {
        tg.createTask(() => sleep(2));
        return "sync body";
      });
      assert.equal(value, "sync body");
      assert.equal(getRunningLoop().time(), 2);
    });
  });
});

describe("examples/taskgroup.ts", { skip: needsTypeScriptRuntime }, () => {
  it("runs with no flags and prints the group's story", async () => {
    const { code, stdout, stderr } = await runProgram("examples/taskgroup.ts");
    assert.equal(code, 0, stderr);
    assert.equal(stderr, "");
    assert.deepEqual(stdout.trimEnd().split("\n"), [
      "All pages:",
      "  downloaded b.html",
      "  downloaded c.html",
      "  downloaded a.html",
      "  results: <contents of a.html>, <contents of b.html>, <contents of c.html>",
      "One broken page:",
      "  slow.html: cancelled, closing its connection",
      "  other.html: cancelled, closing its connection",
      "  unhandled errors in a TaskGroup (1 sub-exception): Error: broken.html: 404",
    ]);
  });
});
