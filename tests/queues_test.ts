// Queue, PriorityQueue, LifoQueue: asyncio's behaviour (3.13 shutdown
// included), orderings counted in loop iterations, on a virtual clock.
// Many cases follow CPython's Lib/test/test_asyncio/test_queues.py.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  gather,
  getRunningLoop,
  LifoQueue,
  PriorityQueue,
  Queue,
  QueueEmpty,
  QueueFull,
  QueueShutDown,
  RuntimeError,
  sleep,
} from "../mod.ts";
import { failure, runVirtual, yields } from "./_virtual.ts";
import { needsTypeScriptRuntime, runProgram } from "./_subprocess.ts";

const isShutDown = (e: unknown) => e instanceof QueueShutDown;

describe("Queue", () => {
  it("shows maxsize, items, waiters, tasks and shutdown in toString", () =>
    runVirtual(async () => {
      const q = new Queue<number | string>();
      assert.equal(String(q), "<Queue maxsize=0>");
      const getter = createTask(() => q.get());
      await sleep(0);
      assert.equal(String(q), "<Queue maxsize=0 _getters[1]>");
      q.putNowait(0);
      assert.equal(await getter, 0);
      assert.equal(String(q), "<Queue maxsize=0 tasks=1>");

      const bounded = new Queue<number>(1);
      bounded.putNowait(1);
      createTask(() => bounded.put(2));
      await sleep(0);
      assert.equal(String(bounded), "<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>");
      q.putNowait("a");
      q.shutdown();
      assert.equal(String(q), "<Queue maxsize=0 _queue=['a'] tasks=2 shutdown>");
    }));

  it("reports empty, full, qsize and maxsize", () =>
    runVirtual(async () => {
      const q = new Queue<number>(2);
      assert.equal(q.maxsize, 2);
      assert.ok(q.empty());
      assert.equal(q.full(), false);
      await q.put(1);
      await q.put(2);
      assert.equal(q.qsize(), 2);
      assert.ok(q.full());
      assert.equal(q.empty(), false);
      const unbounded = new Queue<number>(-1);
      for (let i = 0; i < 100; i++) unbounded.putNowait(i);
      assert.equal(unbounded.full(), false);
    }));

  it("accepts a fractional maxsize as asyncio does", () =>
    runVirtual(async () => {
      const q = new Queue<number>(1.3);
      q.putNowait(1);
      q.putNowait(2);
      assert.ok(q.full());
      assert.throws(() => q.putNowait(3), QueueFull);
    }));

  it("rejects a maxsize that is not a number", () => {
    assert.throws(() => new Queue("5" as unknown as number), TypeError);
    assert.throws(() => new Queue(NaN), RangeError);
  });

  it("gives items out first in, first out", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [1, 3, 2]);
    }));

  it("getNowait() on an empty queue throws QueueEmpty, putNowait() on a full one QueueFull", () => {
    const q = new Queue<number>(1);
    assert.throws(() => q.getNowait(), QueueEmpty);
    q.putNowait(1);
    assert.throws(() => q.putNowait(2), QueueFull);
    assert.equal(q.getNowait(), 1);
  });

  it("put() waits while the queue is full", () =>
    runVirtual(async () => {
      const q = new Queue<number>(2);
      const havePut: number[] = [];
      const putter = createTask(async () => {
        for (let i = 0; i < 3; i++) {
          await q.put(i);
          havePut.push(i);
        }
        return true;
      });
      await yields(2);
      assert.deepEqual(havePut, [0, 1]);
      assert.equal(await q.get(), 0);
      await sleep(0);
      assert.deepEqual(havePut, [0, 1, 2]);
      assert.equal(await q.get(), 1);
      assert.equal(await q.get(), 2);
      assert.equal(putter.result(), true);
    }));

  it("get() waits until an item is put", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      const loop = getRunningLoop();
      loop.callLater(0.01, () => q.putNowait(1));
      const start = loop.time();
      assert.equal(await q.get(), 1);
      assert.equal(loop.time() - start, 0.01);
    }));

  it("serves blocked getters first come, first served", () =>
    runVirtual(async () => {
      const q = new Queue<string>();
      const getters = [1, 2, 3].map(() => createTask(() => q.get()));
      await sleep(0);
      q.putNowait("a");
      q.putNowait("b");
      q.putNowait("c");
      assert.equal(String(q), "<Queue maxsize=0 _queue=['a', 'b', 'c'] tasks=3>");
      assert.deepEqual(await gather(...getters), ["a", "b", "c"]);
    }));

  it("serves blocked putters first come, first served", () =>
    runVirtual(async () => {
      const q = new Queue<number>(1);
      q.putNowait(0);
      const order: number[] = [];
      [1, 2, 3].map((i) =>
        createTask(async () => {
          await q.put(i);
          order.push(i);
        })
      );
      await sleep(0);
      assert.equal(String(q), "<Queue maxsize=1 _queue=[0] _putters[3] tasks=1>");
      const got: number[] = [];
      for (let i = 0; i < 4; i++) got.push(await q.get());
      assert.deepEqual(got, [0, 1, 2, 3]);
      assert.deepEqual(order, [1, 2, 3]);
    }));

  it("get() on a queue with blocked putters takes the first item and wakes one", () =>
    runVirtual(async () => {
      const q = new Queue<string>(1);
      createTask(() => q.put("a"));
      createTask(() => q.put("b"));
      assert.equal(await q.get(), "a");
      assert.equal(await q.get(), "b");
    }));

  it("a getter cancelled while waiting leaves no trace", () =>
    runVirtual(async () => {
      const q = new Queue<string>();
      const t1 = createTask(() => q.get());
      const t2 = createTask(() => q.get());
      await sleep(0);
      t1.cancel();
      await sleep(0);
      assert.ok(t1.cancelled());
      assert.equal(String(q), "<Queue maxsize=0 _getters[1]>");
      await q.put("a");
      await sleep(0);
      assert.equal(await t2, "a");
    }));

  it("a getter woken then cancelled does not swallow the item", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      let reader = createTask(() => q.get());
      await sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      reader.cancel();
      assert.ok(await failure(reader) instanceof CancelledError);
      reader = createTask(() => q.get());
      assert.equal(await reader, 1); // 1 was not dropped
      assert.equal(q.qsize(), 1);
    }));

  it("a getter woken then cancelled passes the item to the next getter", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      const readers = [1, 2, 3].map(() => createTask(() => q.get()));
      await sleep(0);
      q.putNowait(1);
      q.putNowait(2);
      readers[0].cancel();
      assert.ok(await failure(readers[0]) instanceof CancelledError);
      assert.deepEqual(await gather(readers[1], readers[2]), [1, 2]);
      assert.ok(q.empty());
    }));

  it("a putter woken then cancelled hands the slot on", () =>
    runVirtual(async () => {
      const q = new Queue<string>(1);
      const putA = createTask(() => q.put("a"));
      const putB = createTask(() => q.put("b"));
      const putX = createTask(() => q.put("X"));
      await sleep(0);
      assert.ok(putA.done());
      assert.equal(putB.done(), false);
      putX.cancel();
      await sleep(0);
      assert.ok(putX.cancelled());
      assert.equal(q.getNowait(), "a");
      await sleep(0);
      assert.equal(q.getNowait(), "b");
      await putB;
      assert.ok(q.empty());
    }));

  it("a putter cancelled after its slot freed does not put, and leaves the slot", () =>
    runVirtual(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      let writer = createTask(() => q.put(2));
      await sleep(0);
      assert.equal(q.getNowait(), 1); // wakes the writer...
      writer.cancel(); // ...which is cancelled before it runs
      assert.ok(await failure(writer) instanceof CancelledError);
      assert.ok(q.empty());
      writer = createTask(() => q.put(2));
      await writer;
      assert.equal(q.getNowait(), 2);
      assert.equal(q.qsize(), 0);
    }));

  it("a putter cancelled while waiting leaves no trace", () =>
    runVirtual(async () => {
      const q = new Queue<number>(1);
      q.putNowait(1);
      const putter = createTask(() => q.put(1));
      await sleep(0);
      assert.equal(String(q), "<Queue maxsize=1 _queue=[1] _putters[1] tasks=1>");
      putter.cancel();
      assert.ok(await failure(putter) instanceof CancelledError);
      assert.equal(String(q), "<Queue maxsize=1 _queue=[1] tasks=1>");
    }));

  it("a producer and a consumer pass items through a queue of one", () =>
    runVirtual(async () => {
      const q = new Queue<number>(1);
      const got: number[] = [];
      await gather(
        async () => {
          for (let i = 0; i < 5; i++) await q.put(i);
        },
        async () => {
          for (let i = 0; i < 5; i++) got.push(await q.get());
        },
      );
      assert.deepEqual(got, [0, 1, 2, 3, 4]);
    }));

  it("taskDone() more often than put() throws RangeError", () => {
    const q = new Queue<number>();
    assert.throws(() => q.taskDone(), {
      name: "RangeError",
      message: "taskDone() called too many times",
    });
  });

  it("join() returns at once when nothing is unfinished", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      await q.join();
      await q.join();
      q.putNowait(1);
      q.getNowait();
      q.taskDone();
      await q.join();
    }));

  it("join() waits until every item is marked done", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      for (let i = 0; i < 100; i++) q.putNowait(i);
      let total = 0;
      const worker = async () => {
        for (;;) {
          const item = await q.get();
          await sleep(0.001);
          total += item;
          q.taskDone();
        }
      };
      const workers = [createTask(worker), createTask(worker)];
      await q.join();
      assert.equal(total, 4950);
      for (const w of workers) w.cancel();
      await gather(...workers, { returnExceptions: true });
    }));

  it("a cancelled join() leaves the queue unchanged", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      const joiner = createTask(() => q.join());
      await sleep(0);
      joiner.cancel();
      assert.ok(await failure(joiner) instanceof CancelledError);
      q.getNowait();
      q.taskDone();
      await q.join();
      assert.equal(String(q), "<Queue maxsize=0>");
    }));

  it("shutdown() of an empty queue fails blocked getters and every later call", () =>
    runVirtual(async () => {
      const q = new Queue<string>();
      const getTask = createTask(() => q.get());
      await sleep(0);
      q.shutdown();
      assert.equal(q.state, "shutdown");
      await q.join();
      await sleep(0);
      assert.ok(getTask.done());
      assert.ok(isShutDown(await failure(getTask)));
      await assert.rejects(q.put("data"), QueueShutDown);
      assert.throws(() => q.putNowait("data"), QueueShutDown);
      await assert.rejects(q.get(), QueueShutDown);
      assert.throws(() => q.getNowait(), QueueShutDown);
    }));

  it("shutdown() lets the items left be taken, and fails blocked putters", () =>
    runVirtual(async () => {
      const q = new Queue<string>(1);
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      const putTask = createTask(() => q.put("data2"));
      await sleep(0);
      assert.equal(putTask.done(), false);
      q.shutdown();
      assert.equal(q.qsize(), 1);
      await sleep(0);
      assert.ok(isShutDown(await failure(putTask)));
      assert.equal(await q.get(), "data");
      await sleep(0);
      assert.equal(joinTask.done(), false);
      await assert.rejects(q.put("data"), QueueShutDown);
      await assert.rejects(q.get(), QueueShutDown);
      assert.throws(() => q.getNowait(), QueueShutDown);
      q.taskDone();
      await sleep(0);
      assert.ok(joinTask.done());
      assert.throws(() => q.taskDone(), RangeError);
    }));

  it("shutdown(true) drops the items, releases join() and fails get() at once", () =>
    runVirtual(async () => {
      const q = new Queue<string>();
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      q.shutdown(true);
      assert.equal(q.qsize(), 0);
      await sleep(0);
      assert.ok(joinTask.done());
      await assert.rejects(q.put("data"), QueueShutDown);
      await assert.rejects(q.get(), QueueShutDown);
      assert.throws(() => q.getNowait(), QueueShutDown);
      assert.throws(() => q.taskDone(), RangeError);
    }));

  it("shutdown(true) still waits for items taken but not done", () =>
    runVirtual(async () => {
      const q = new Queue<string>();
      q.putNowait("data");
      q.putNowait("data");
      const joinTask = createTask(() => q.join());
      assert.equal(await q.get(), "data");
      q.shutdown(true);
      assert.equal(q.qsize(), 0);
      await sleep(0);
      assert.equal(joinTask.done(), false);
      q.taskDone();
      assert.throws(() => q.taskDone(), RangeError);
      await sleep(0);
      assert.ok(joinTask.done());
    }));

  it("shutdown() fails every blocked getter, and every blocked putter", () =>
    runVirtual(async () => {
      const empty = new Queue<number>();
      const getters = [1, 2, 3].map(() => createTask(() => empty.get()));
      const full = new Queue<number>(1);
      full.putNowait(0);
      const putters = [1, 2].map((i) => createTask(() => full.put(i)));
      await sleep(0);
      empty.shutdown();
      full.shutdown();
      const outcomes = await gather(...getters, ...putters, { returnExceptions: true });
      assert.ok(outcomes.every(isShutDown));
      assert.equal(String(full), "<Queue maxsize=1 _queue=[0] tasks=1 shutdown>");
    }));

  it("is bound to the first loop that makes a task wait", async () => {
    const q = new Queue<number>();
    await runVirtual(async () => {
      createTask(() => q.get());
      await sleep(0);
    });
    await runVirtual(async () => {
      await assert.rejects(q.get(), (e) => {
        assert.ok(e instanceof RuntimeError);
        assert.equal(e.message, "<Queue maxsize=0> is bound to a different event loop");
        return true;
      });
      q.putNowait(1); // the fast paths never wait, so they work anywhere
      assert.equal(await q.get(), 1);
    });
  });
});

describe("Queue async iteration", () => {
  it("yields items in order and ends when the queue is shut down and drained", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      const seen: number[] = [];
      const consumer = createTask(async () => {
        for await (const item of q) seen.push(item);
        return "ended";
      });
      for (const i of [1, 2, 3]) await q.put(i);
      q.shutdown(); // puts now fail; the items already in still come out
      assert.equal(await consumer, "ended");
      assert.deepEqual(seen, [1, 2, 3]);
    }));

  it("ends at once after shutdown(true)", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      q.shutdown(true);
      const seen: number[] = [];
      for await (const item of q) seen.push(item);
      assert.deepEqual(seen, []);
    }));

  it("does not call taskDone()", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      q.putNowait(1);
      q.putNowait(2);
      for await (const item of q) {
        if (item === 2) break;
      }
      assert.equal(String(q), "<Queue maxsize=0 tasks=2>");
      const joiner = createTask(() => q.join());
      await sleep(0);
      assert.equal(joiner.done(), false);
      q.taskDone();
      q.taskDone();
      await joiner;
    }));

  it("leaves the rest of the items after a break", () =>
    runVirtual(async () => {
      const q = new LifoQueue<number>();
      for (const i of [1, 2, 3]) q.putNowait(i);
      for await (const item of q) {
        assert.equal(item, 3);
        break;
      }
      assert.equal(q.qsize(), 2);
    }));

  it("adopts thenable items, as any promise does (getNowait() does not)", () =>
    runVirtual(async () => {
      const q = new Queue<Promise<number>>();
      const promise = Promise.resolve(7);
      q.putNowait(promise);
      q.putNowait(promise);
      assert.equal(q.getNowait(), promise);
      q.shutdown();
      for await (const item of q) assert.equal(item, 7);
    }));

  it("throws CancelledError when the iterating task is cancelled", () =>
    runVirtual(async () => {
      const q = new Queue<number>();
      const consumer = createTask(async () => {
        for await (const _ of q) {
          // waits forever: nothing is put
        }
      });
      await sleep(0);
      consumer.cancel();
      assert.ok(await failure(consumer) instanceof CancelledError);
      assert.equal(String(q), "<Queue maxsize=0>");
    }));
});

describe("LifoQueue", () => {
  it("gives the last item put first", () =>
    runVirtual(async () => {
      const q = new LifoQueue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      assert.equal(String(q), "<LifoQueue maxsize=0 _queue=[1, 3, 2] tasks=3>");
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [2, 3, 1]);
    }));

  it("blocks put() when full and shuts down like Queue", () =>
    runVirtual(async () => {
      const q = new LifoQueue<number>(2);
      q.putNowait(1);
      q.putNowait(2);
      const putter = createTask(() => q.put(3));
      await sleep(0);
      assert.equal(q.getNowait(), 2);
      await putter;
      assert.equal(q.getNowait(), 3);
      q.shutdown(true);
      assert.throws(() => q.getNowait(), QueueShutDown);
    }));
});

describe("PriorityQueue", () => {
  it("gives the smallest number first", () =>
    runVirtual(async () => {
      const q = new PriorityQueue<number>();
      for (const i of [1, 3, 2]) await q.put(i);
      assert.deepEqual([await q.get(), await q.get(), await q.get()], [1, 2, 3]);
    }));

  it("orders [priority, item] arrays like Python tuples", () => {
    const q = new PriorityQueue<(number | string)[]>();
    for (const item of [[2, "b"], [1, "z"], [1, "a"], [2, "a"], [1]]) q.putNowait(item);
    const out = [];
    while (!q.empty()) out.push(q.getNowait());
    assert.deepEqual(out, [[1], [1, "a"], [1, "z"], [2, "a"], [2, "b"]]);
  });

  it("orders strings, booleans, bigints, Dates and nested arrays", () => {
    const drain = <T>(items: T[]) => {
      const q = new PriorityQueue<T>();
      for (const item of items) q.putNowait(item);
      const out: T[] = [];
      while (!q.empty()) out.push(q.getNowait());
      return out;
    };
    assert.deepEqual(drain(["pear", "apple", "fig"]), ["apple", "fig", "pear"]);
    assert.deepEqual(drain([2n, true, 0.5, false]), [false, 0.5, true, 2n]);
    const [d1, d2] = [new Date(2000, 0, 1), new Date(1999, 0, 1)];
    assert.deepEqual(drain([d1, d2]), [d2, d1]);
    assert.deepEqual(drain([[[1, 2], "x"], [[1, 1], "y"], [[0], "z"]]), [
      [[0], "z"],
      [[1, 1], "y"],
      [[1, 2], "x"],
    ]);
  });

  it("refuses items Python could not compare, leaving the queue as it was", () => {
    const q = new PriorityQueue<unknown>();
    q.putNowait(1);
    q.putNowait(2);
    assert.throws(() => q.putNowait("x"), {
      name: "TypeError",
      message: "'<' not supported between instances of 'string' and 'number'",
    });
    const obj = {};
    assert.throws(() => q.putNowait([0, obj]), TypeError);
    assert.equal(String(q), "<PriorityQueue maxsize=0 _queue=[1, 2] tasks=2>");
    assert.deepEqual([q.getNowait(), q.getNowait()], [1, 2]);
  });

  it("compares equal leading elements by identity for other objects", () => {
    const q = new PriorityQueue<[number, object]>();
    const shared = { name: "shared" };
    q.putNowait([1, shared]);
    q.putNowait([1, shared]); // equal tuples: the objects are never compared
    q.putNowait([0, {}]);
    assert.equal(q.getNowait()[0], 0);
    assert.equal(q.getNowait()[1], shared);
    assert.throws(() => q.putNowait([1, {}]), TypeError);
    assert.equal(q.qsize(), 1);
  });

  it("loses no item when a comparison fails while taking one", () => {
    const q = new PriorityQueue<[number, string | object]>();
    q.putNowait([1, "a"]);
    q.putNowait([2, {}]);
    q.putNowait([2, {}]); // each push compared only with [1, 'a']
    const before = String(q);
    // Taking [1, 'a'] must order the two objects (CPython loses one here).
    assert.throws(() => q.getNowait(), {
      name: "TypeError",
      message: "'<' not supported between instances of 'Object' and 'Object'",
    });
    assert.equal(q.qsize(), 3);
    assert.equal(String(q), before);
  });

  it("takes a custom comparator", () => {
    const q = new PriorityQueue<number>(0, { compare: (a, b) => b - a });
    for (const i of [5, 1, 9, 3]) q.putNowait(i);
    assert.deepEqual([q.getNowait(), q.getNowait(), q.getNowait(), q.getNowait()], [9, 5, 3, 1]);
    assert.throws(
      () => new PriorityQueue(0, { compare: 1 as unknown as () => number }),
      TypeError,
    );
  });

  it("gives equal items out in CPython's heap order", () => {
    // Expected order from CPython 3.13's asyncio.PriorityQueue with the
    // same puts and gets (items compared by priority only).
    type Item = { p: number; name: string };
    const q = new PriorityQueue<Item>(0, { compare: (a, b) => a.p - b.p });
    [3, 1, 3, 2, 1, 3, 2, 1, 2, 3, 1].forEach((p, i) =>
      q.putNowait({ p, name: String.fromCharCode(97 + i) })
    );
    const out: string[] = [];
    for (let i = 0; i < 3; i++) out.push(q.getNowait().name);
    q.putNowait({ p: 1, name: "x" });
    q.putNowait({ p: 2, name: "y" });
    while (!q.empty()) out.push(q.getNowait().name);
    assert.deepEqual(out, ["b", "e", "k", "h", "x", "g", "i", "y", "d", "c", "f", "j", "a"]);
  });

  it("is a real heap: 2,000 random numbers come out sorted", () => {
    let seed = 12345;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const q = new PriorityQueue<number>();
    const all: number[] = [];
    const out: number[] = [];
    for (let round = 0; round < 20; round++) {
      for (let i = 0; i < 100; i++) {
        const n = Math.floor(random() * 1000);
        all.push(n);
        q.putNowait(n);
      }
      for (let i = 0; i < 50; i++) out.push(q.getNowait());
    }
    while (!q.empty()) out.push(q.getNowait());
    assert.equal(out.length, 2000);
    // Each batch of gets is sorted, and the whole is a permutation of the input.
    assert.deepEqual([...out].sort((a, b) => a - b), [...all].sort((a, b) => a - b));
    const tail = out.slice(1000);
    assert.deepEqual(tail, [...tail].sort((a, b) => a - b));
  });

  it("shows its heap in toString and blocks put() when full", () =>
    runVirtual(async () => {
      const q = new PriorityQueue<[number, string]>(2);
      q.putNowait([1, "a"]);
      q.putNowait([0, "b"]);
      assert.equal(String(q), "<PriorityQueue maxsize=2 _queue=[[0, 'b'], [1, 'a']] tasks=2>");
      const putter = createTask(() => q.put([-1, "c"]));
      await sleep(0);
      assert.equal(putter.done(), false);
      assert.deepEqual(await q.get(), [0, "b"]);
      await putter;
      assert.deepEqual(q.getNowait(), [-1, "c"]);
    }));
});

describe("examples/producer_consumer.ts", { skip: needsTypeScriptRuntime }, () => {
  it("runs with no flags; every job is handled once, then the consumers stop", async () => {
    const { code, stdout, stderr } = await runProgram("examples/producer_consumer.ts");
    assert.equal(stderr, "");
    assert.equal(code, 0);
    const handled = [...stdout.matchAll(/^c\d handled \d+: (.*)$/gm)].flatMap((m) =>
      m[1].split(" ")
    );
    assert.deepEqual(handled.sort(), ["A1", "A2", "A3", "A4", "B1", "B2", "B3", "B4"]);
    const lines = stdout.split("\n");
    const drained = lines.findIndex((line) => line.includes("every job is done"));
    const stopped = lines.filter((line) => line.includes("sees the queue shut down"));
    assert.equal(stopped.length, 3);
    assert.ok(drained >= 0 && drained < lines.indexOf(stopped[0]));
    assert.match(stdout, /8 jobs done by 3 consumers/);
  });
});
