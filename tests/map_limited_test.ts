import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  allTasks,
  CancelledError,
  createTask,
  currentTask,
  ExceptionGroup,
  getRunningLoop,
  mapLimited,
  RuntimeError,
  sleep,
  timeout,
  TimeoutError,
} from "../mod.ts";
import { failure, runVirtual, yields } from "./_virtual.ts";

/** Counts the jobs running at once, and the most seen. */
class Meter {
  running = 0;
  most = 0;
  started: unknown[] = [];
  finished: unknown[] = [];

  /** A job that sleeps `seconds` (virtual) and returns its input. */
  job = async <T>(input: T, seconds = 1): Promise<T> => {
    this.started.push(input);
    this.most = Math.max(this.most, ++this.running);
    try {
      await sleep(seconds);
    } finally {
      this.running--;
    }
    this.finished.push(input);
    return input;
  };
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe("mapLimited() awaited", () => {
  it("gives the results in input order, whatever order the jobs finish in", async () => {
    await runVirtual(async () => {
      const durations = [5, 1, 4, 2, 3];
      const results = await mapLimited(async (s: number) => await sleep(s, s * 10), durations, {
        limit: 5,
      });
      assert.deepEqual(results, [50, 10, 40, 20, 30]);
    });
  });

  it("never runs more than `limit` jobs, and starts one as soon as a slot is free", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      const loop = getRunningLoop();
      const results = await mapLimited(meter.job, range(10), { limit: 3 });
      assert.deepEqual(results, range(10));
      assert.equal(meter.most, 3);
      // 10 jobs of 1 s, 3 at a time, no slot ever idle: 4 s.
      assert.equal(loop.time(), 4);
    });
  });

  it("runs each job in a task, never more tasks than the limit", async () => {
    await runVirtual(async () => {
      let mostTasks = 0;
      const tasks = new Set<unknown>();
      await mapLimited(
        async () => {
          const task = currentTask();
          assert.notEqual(task, null);
          tasks.add(task);
          mostTasks = Math.max(mostTasks, allTasks().size - 1); // less the caller
          await sleep(1);
        },
        range(20),
        { limit: 4 },
      );
      assert.equal(mostTasks, 4);
      assert.ok(tasks.size <= 4);
    });
  });

  it("takes arrays, Sets, generators and other iterables", async () => {
    await runVirtual(async () => {
      const double = async (x: number) => await sleep(0.1, 2 * x);
      function* numbers() {
        yield* [1, 2, 3];
      }
      assert.deepEqual(await mapLimited(double, [1, 2, 3], { limit: 2 }), [2, 4, 6]);
      assert.deepEqual(await mapLimited(double, new Set([1, 2, 3]), { limit: 2 }), [2, 4, 6]);
      assert.deepEqual(await mapLimited(double, numbers(), { limit: 2 }), [2, 4, 6]);
      assert.deepEqual(await mapLimited((x: number) => 3 * x, [1, 2], { limit: 1 }), [3, 6]);
    });
  });

  it("gives [] for no inputs and starts no job", async () => {
    await runVirtual(async () => {
      let calls = 0;
      const job = async () => calls++;
      assert.deepEqual(await mapLimited(job, [], { limit: 3 }), []);
      assert.deepEqual(await mapLimited(job, new Set(), { limit: 3 }), []);
      assert.deepEqual(await mapLimited(job, (async function* () {})(), { limit: 3 }), []);
      assert.equal(calls, 0);
    });
  });

  it("starts nothing until it is awaited, and gives the same results when awaited again", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      const map = mapLimited(meter.job, [1, 2], { limit: 2 });
      await yields(3);
      assert.deepEqual(meter.started, []);
      assert.deepEqual(await map, [1, 2]);
      assert.deepEqual(await map, [1, 2]);
      assert.deepEqual(meter.started, [1, 2]);
    });
  });

  it("pulls an async iterable only as fast as slots free up", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      let pulled = 0;
      let mostAhead = 0;
      let pullerTask: unknown = null;
      async function* inputs() {
        for (let i = 0; i < 12; i++) {
          await sleep(0.1);
          pullerTask ??= currentTask();
          pulled++;
          mostAhead = Math.max(mostAhead, pulled - meter.finished.length);
          yield i;
        }
      }
      const results = await mapLimited(meter.job, inputs(), { limit: 3 });
      assert.deepEqual(results, range(12));
      assert.equal(meter.most, 3);
      // Pulled inputs not finished yet: the running jobs, plus the one pulled
      // as a slot frees (its job starts right after).
      assert.ok(mostAhead <= 3, `pulled ${mostAhead} ahead`);
      // The async iterable's code runs in a task, so its waits can be cancelled.
      assert.notEqual(pullerTask, null);
    });
  });

  it("runs every job at once with an Infinity limit", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      assert.deepEqual(await mapLimited(meter.job, range(50), { limit: Infinity }), range(50));
      assert.equal(meter.most, 50);
      assert.equal(getRunningLoop().time(), 1);
    });
  });

  it("starts workers for an async iterable only as inputs come", async () => {
    await runVirtual(async () => {
      let mostTasks = 0;
      async function* two() {
        yield 1;
        yield 2;
      }
      const results = await mapLimited(
        async (x: number) => {
          mostTasks = Math.max(mostTasks, allTasks().size - 1); // less the caller
          await sleep(1);
          return x;
        },
        two(),
        { limit: 100 },
      );
      assert.deepEqual(results, [1, 2]);
      assert.ok(mostTasks <= 3, `${mostTasks} tasks for 2 inputs`);
    });
  });

  it("works through many inputs without growing the number of tasks", async () => {
    await runVirtual(async () => {
      function* many() {
        for (let i = 0; i < 200_000; i++) yield i;
      }
      let sum = 0;
      const results = await mapLimited(
        async (i: number) => {
          await sleep(0);
          sum += i;
          return i & 1;
        },
        many(),
        { limit: 100 },
      );
      assert.equal(results.length, 200_000);
      assert.equal(sum, (200_000 * 199_999) / 2);
      assert.equal(allTasks().size, 1);
    });
  });
});

describe("mapLimited() failures", () => {
  it("the first failure cancels the running jobs, starts no more, and raises an ExceptionGroup", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      const cleaned: number[] = [];
      const boom = new Error("boom");
      const loop = getRunningLoop();
      const error = await failure(
        mapLimited(
          async (i: number) => {
            meter.started.push(i);
            try {
              await sleep(i === 2 ? 1 : 10);
            } finally {
              cleaned.push(i);
            }
            if (i === 2) throw boom;
          },
          range(10),
          { limit: 3 },
        ),
      );
      assert.ok(error instanceof ExceptionGroup);
      assert.deepEqual(error.exceptions, [boom]);
      assert.equal(error.message, "unhandled errors in mapLimited (1 sub-exception)");
      assert.deepEqual(meter.started, [0, 1, 2]);
      // Every job's cleanup ran before the map raised.
      assert.deepEqual(cleaned.sort(), [0, 1, 2]);
      assert.equal(loop.time(), 1);
      assert.equal(allTasks().size, 1);
    });
  });

  it("keeps the errors that cancelled jobs raise in their cleanup", async () => {
    await runVirtual(async () => {
      const first = new Error("first");
      const inCleanup = new Error("in cleanup");
      const error = await failure(
        mapLimited(
          async (i: number) => {
            if (i === 0) {
              await sleep(1);
              throw first;
            }
            try {
              await sleep(10);
            } finally {
              // deno-lint-ignore no-unsafe-finally
              throw inCleanup;
            }
          },
          [0, 1],
          { limit: 2 },
        ),
      );
      assert.ok(error instanceof ExceptionGroup);
      assert.deepEqual(error.exceptions, [first, inCleanup]);
    });
  });

  it("closes a generator of inputs when a failure stops the map", async () => {
    await runVirtual(async () => {
      let closed = false;
      function* inputs() {
        try {
          for (let i = 0;; i++) yield i;
        } finally {
          closed = true;
        }
      }
      const error = await failure(
        mapLimited(
          async (i: number) => {
            await sleep(1);
            if (i === 4) throw new Error("stop");
          },
          inputs(),
          { limit: 2 },
        ),
      );
      assert.ok(error instanceof ExceptionGroup);
      assert.ok(closed);
    });
  });

  it("closes an async generator of inputs when a failure stops the map", async () => {
    await runVirtual(async () => {
      let closed = false;
      async function* inputs() {
        try {
          for (let i = 0;; i++) {
            await sleep(0.1);
            yield i;
          }
        } finally {
          closed = true;
        }
      }
      const error = await failure(
        mapLimited(
          async (i: number) => {
            await sleep(1);
            if (i === 4) throw new Error("stop");
          },
          inputs(),
          { limit: 2 },
        ),
      );
      assert.ok(error instanceof ExceptionGroup);
      assert.ok(closed);
      assert.equal(allTasks().size, 1);
    });
  });

  it("an iterator that throws stops the map, its error in the group", async () => {
    await runVirtual(async () => {
      const broken = new Error("broken input");
      function* inputs() {
        yield 1;
        yield 2;
        throw broken;
      }
      async function* asyncInputs() {
        yield 1;
        await sleep(1);
        throw broken;
      }
      const job = (x: number) => sleep(5, x);
      for (const source of [inputs(), asyncInputs()]) {
        const error = await failure(mapLimited(job, source, { limit: 5 }));
        assert.ok(error instanceof ExceptionGroup);
        assert.deepEqual(error.exceptions, [broken]);
      }
      assert.equal(allTasks().size, 1);
    });
  });

  it("with returnExceptions, errors take their places and the other jobs go on", async () => {
    await runVirtual(async () => {
      const boom = new Error("boom");
      const results = await mapLimited(
        async (i: number) => {
          await sleep(1);
          if (i === 1) throw boom;
          if (i === 2) currentTask()!.cancel();
          await sleep(1);
          return i;
        },
        range(5),
        { limit: 2, returnExceptions: true },
      );
      assert.equal(results.length, 5);
      assert.equal(results[0], 0);
      assert.equal(results[1], boom);
      assert.ok(results[2] instanceof CancelledError);
      assert.deepEqual(results.slice(3), [3, 4]);
    });
  });

  it("a job that cancels its own task does not cancel the next job run by that task", async () => {
    await runVirtual(async () => {
      const results = await mapLimited(
        async (i: number) => {
          if (i === 0) {
            currentTask()!.cancel();
            return "swallowed";
          }
          await sleep(1);
          return i;
        },
        range(3),
        { limit: 1, returnExceptions: true },
      );
      assert.deepEqual(results, ["swallowed", 1, 2]);
    });
  });

  it("a job's timeout() expires in that job only, even on a task shared with the next job", async () => {
    await runVirtual(async () => {
      const results = await mapLimited(
        async (s: number) => {
          return await timeout(1.5, () => sleep(s, s));
        },
        [2, 1, 3, 1],
        { limit: 1, returnExceptions: true },
      );
      assert.ok(results[0] instanceof TimeoutError);
      assert.equal(results[1], 1);
      assert.ok(results[2] instanceof TimeoutError);
      assert.equal(results[3], 1);
    });
  });

  it("a job cancelled on its own raises CancelledError without returnExceptions", async () => {
    await runVirtual(async () => {
      const error = await failure(
        mapLimited(
          async (i: number) => {
            if (i === 1) currentTask()!.cancel("by itself");
            await sleep(1);
          },
          range(4),
          { limit: 2 },
        ),
      );
      assert.ok(error instanceof CancelledError);
      assert.equal(error.message, "by itself");
    });
  });
});

describe("mapLimited() cancelled", () => {
  it("cancelling the caller cancels every running job, waits for them, and raises CancelledError", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      const cleaned: number[] = [];
      const caller = createTask(() =>
        mapLimited(
          async (i: number) => {
            meter.started.push(i);
            try {
              await sleep(10);
            } finally {
              await sleep(1); // cleanup that takes a while
              cleaned.push(i);
            }
          },
          range(100),
          { limit: 3 },
        )
      );
      await sleep(5);
      caller.cancel("stop");
      const error = await failure(caller);
      assert.ok(error instanceof CancelledError);
      assert.ok(caller.cancelled());
      assert.deepEqual(meter.started, [0, 1, 2]);
      assert.deepEqual(cleaned.sort(), [0, 1, 2]);
      assert.equal(getRunningLoop().time(), 6);
      assert.equal(allTasks().size, 1);
    });
  });

  it("a job failing in its cleanup after a cancel from outside gives the group, and the cancel stays pending", async () => {
    await runVirtual(async () => {
      const inCleanup = new Error("in cleanup");
      let afterwards: unknown = null;
      const caller = createTask(async () => {
        try {
          await mapLimited(
            async () => {
              try {
                await sleep(3600);
              } finally {
                // deno-lint-ignore no-unsafe-finally
                throw inCleanup;
              }
            },
            [1, 2],
            { limit: 2 },
          );
        } catch (error) {
          afterwards = error;
        }
        await sleep(1); // the cancel is delivered here
        return "not reached";
      });
      await sleep(1);
      caller.cancel();
      assert.ok((await failure(caller)) instanceof CancelledError);
      assert.ok(afterwards instanceof ExceptionGroup);
      assert.deepEqual(afterwards.exceptions, [inCleanup, inCleanup]);
    });
  });

  it("cancelling the caller interrupts an async iterable waiting for its next input", async () => {
    await runVirtual(async () => {
      let closed = false;
      async function* slow() {
        try {
          yield 1;
          await sleep(3600);
          yield 2;
        } finally {
          closed = true;
        }
      }
      const caller = createTask(() => mapLimited((x: number) => sleep(1, x), slow(), { limit: 2 }));
      await sleep(10);
      caller.cancel();
      assert.ok((await failure(caller)) instanceof CancelledError);
      assert.ok(closed);
      assert.equal(getRunningLoop().time(), 10);
    });
  });
});

describe("mapLimited() iterated with for await", () => {
  it("gives the results as the jobs complete", async () => {
    await runVirtual(async () => {
      const seen: number[] = [];
      for await (const s of mapLimited((s: number) => sleep(s, s), [3, 1, 2], { limit: 3 })) {
        seen.push(s);
      }
      assert.deepEqual(seen, [1, 2, 3]);
    });
  });

  it("a slow consumer holds the jobs back: results waiting count against the limit", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      let mostAhead = 0;
      let taken = 0;
      for await (const _ of mapLimited(meter.job, range(50), { limit: 4 })) {
        taken++;
        mostAhead = Math.max(mostAhead, meter.started.length - taken);
        await sleep(10); // much slower than a job
      }
      assert.equal(taken, 50);
      assert.equal(meter.most, 4);
      // At most 4 results wait for the consumer and 4 jobs run.
      assert.ok(mostAhead <= 8, `started ${mostAhead} ahead of the consumer`);
    });
  });

  it("breaking out cancels the running jobs and waits for them", async () => {
    await runVirtual(async () => {
      const meter = new Meter();
      const cleaned: number[] = [];
      let closed = false;
      function* inputs() {
        try {
          for (let i = 0;; i++) yield i;
        } finally {
          closed = true;
        }
      }
      for await (
        const i of mapLimited(
          async (i: number) => {
            meter.started.push(i);
            try {
              await sleep(i + 1);
            } finally {
              await sleep(0.5);
              cleaned.push(i);
            }
            return i;
          },
          inputs(),
          { limit: 3 },
        )
      ) {
        if (i === 1) break;
      }
      assert.ok(closed);
      assert.equal(cleaned.length, meter.started.length);
      assert.equal(allTasks().size, 1);
    });
  });

  it("a failure ends the loop with an ExceptionGroup after the results that came first", async () => {
    await runVirtual(async () => {
      const boom = new Error("boom");
      const seen: number[] = [];
      const error = await failure((async () => {
        for await (
          const i of mapLimited(
            async (i: number) => {
              await sleep(i + 1);
              if (i === 2) throw boom;
              return i;
            },
            range(10),
            { limit: 5 },
          )
        ) seen.push(i);
      })());
      assert.ok(error instanceof ExceptionGroup);
      assert.deepEqual(error.exceptions, [boom]);
      assert.deepEqual(seen, [0, 1]);
      assert.equal(allTasks().size, 1);
    });
  });

  it("with returnExceptions, errors come as values", async () => {
    await runVirtual(async () => {
      const boom = new Error("boom");
      const seen: unknown[] = [];
      for await (
        const x of mapLimited(
          async (i: number) => {
            await sleep(i);
            if (i === 1) throw boom;
            return i;
          },
          range(3),
          { limit: 3, returnExceptions: true },
        )
      ) seen.push(x);
      assert.deepEqual(seen, [0, boom, 2]);
    });
  });

  it("cancelling the consumer cancels the running jobs and waits for them", async () => {
    await runVirtual(async () => {
      const cleaned: number[] = [];
      const consumer = createTask(async () => {
        for await (
          const _ of mapLimited(
            async (i: number) => {
              try {
                await sleep(i === 0 ? 1 : 3600);
              } finally {
                await sleep(1);
                cleaned.push(i);
              }
            },
            range(3),
            { limit: 3 },
          )
        ) {
          // keep waiting for the next one
        }
      });
      await sleep(5);
      consumer.cancel();
      assert.ok((await failure(consumer)) instanceof CancelledError);
      assert.deepEqual(cleaned.sort(), [0, 1, 2]);
      assert.equal(allTasks().size, 1);
    });
  });

  it("gives nothing for no inputs", async () => {
    await runVirtual(async () => {
      let count = 0;
      for await (const _ of mapLimited(async () => 1, [], { limit: 1 })) count++;
      assert.equal(count, 0);
    });
  });
});

describe("mapLimited() bad input", () => {
  it("refuses a limit that is not a positive integer", async () => {
    await runVirtual(() => {
      const job = async () => {};
      for (const limit of [0, -1, 1.5, NaN, -Infinity]) {
        assert.throws(
          () => mapLimited(job, [1], { limit }),
          (e: unknown) =>
            e instanceof RangeError &&
            e.message ===
              `Cannot map: limit must be a positive integer or Infinity, received ${limit}`,
        );
      }
      assert.throws(() => mapLimited(job, [1], { limit: "3" as unknown as number }), {
        name: "TypeError",
        message: "Cannot map: limit must be a number, received '3'",
      });
      assert.throws(() => mapLimited(job, [1], undefined as never), {
        name: "TypeError",
        message: "Cannot map: expected options with a limit, received undefined",
      });
      // Infinity is no limit.
      assert.ok(mapLimited(job, [1], { limit: Infinity }));
    });
  });

  it("refuses a function that is not one, and inputs that are not iterable", async () => {
    await runVirtual(() => {
      assert.throws(() => mapLimited(42 as never, [1], { limit: 1 }), {
        name: "TypeError",
        message: "Cannot map: expected an async function, received 42",
      });
      for (const [inputs, shown] of [[42, "42"], [null, "null"], ["abc", "'abc'"]]) {
        assert.throws(() => mapLimited(async () => {}, inputs as never, { limit: 1 }), {
          name: "TypeError",
          message:
            `Cannot map: expected an iterable or async iterable of inputs, received ${shown}`,
        });
      }
    });
  });

  it("runs once: awaiting it after iterating (or the reverse) is an error", async () => {
    await runVirtual(async () => {
      const awaited = mapLimited(async (x: number) => x, [1], { limit: 1 });
      await awaited;
      assert.throws(() => awaited[Symbol.asyncIterator](), RuntimeError);
      const iterated = mapLimited(async (x: number) => x, [1], { limit: 1 });
      for await (const _ of iterated) { /* drain */ }
      assert.ok((await failure(iterated)) instanceof RuntimeError);
    });
  });

  it("needs a running loop", () => {
    assert.throws(() => mapLimited(async () => {}, [1], { limit: 1 }), {
      name: "RuntimeError",
      message: "no running event loop",
    });
  });
});
