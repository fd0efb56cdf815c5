// The executor's inner layers: the bootstrap's message protocol, the backend, the job queue.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { startWorker } from "../src/executor/backend.ts";
import { BOOTSTRAP_SOURCE } from "../src/executor/bootstrap.ts";
import * as messages from "../src/executor/messages.ts";
import type { FromWorker, ToWorker } from "../src/executor/messages.ts";
import { PIPELINE_DEPTH } from "../src/executor/pool.ts";
import { FifoQueue } from "../src/executor/queue.ts";

const { CANCEL, DONE, DROPPED, ERR, INIT, INIT_FAILED, OK, READY, RUN } = messages;

/** A bootstrap Worker driven by hand: send messages, await the replies. */
function rawWorker() {
  const inbox: FromWorker[] = [];
  let wake: (() => void) | undefined;
  let exited: unknown;
  const handle = startWorker({ kind: "worker_threads", name: "protocol-test" }, {
    message(data) {
      inbox.push(data);
      wake?.();
    },
    exit(reason) {
      exited = reason ?? "exit";
      wake?.();
    },
  });
  return {
    send: (message: ToWorker) => handle.post(message),
    async next(): Promise<FromWorker> {
      while (inbox.length === 0) {
        if (exited !== undefined) throw new Error(`the Worker exited: ${String(exited)}`);
        await new Promise<void>((resolve) => (wake = resolve));
      }
      return inbox.shift()!;
    },
    stop: () => handle.terminate(),
  };
}

describe("bootstrap protocol", () => {
  it("uses the tags of messages.ts", () => {
    for (
      const name of [
        "RUN",
        "CANCEL",
        "INIT",
        "READY",
        "OK",
        "ERR",
        "DROPPED",
        "CLOSING",
        "DONE",
        "CRASHED",
      ]
    ) {
      const value = (messages as Record<string, unknown>)[name];
      assert.match(BOOTSTRAP_SOURCE, new RegExp(`\\b${name} = ${value}\\b`), name);
    }
    assert.match(BOOTSTRAP_SOURCE, new RegExp(`\\bINIT_FAILED = ${INIT_FAILED}\\b`));
    assert.equal(BOOTSTRAP_SOURCE.includes("`"), false, "no backticks in the source");
  });

  it("has a cancel ring as long as a Worker's pipeline", () => {
    assert.ok(messages.CANCEL_RING >= PIPELINE_DEPTH);
  });

  it("answers INIT with READY, then runs a batch of jobs in order", async () => {
    const worker = rawWorker();
    try {
      worker.send([INIT, null, [], null]);
      assert.deepEqual(await worker.next(), [READY]);
      // Flat: id, fnId, hold, argCount, arguments.
      const jobs = [10, 1, 0, 2, 1, 2, 11, 1, 0, 2, 3, 4];
      worker.send([RUN, [[1, "source", "(a, b) => a + b"]], jobs]);
      const first = await worker.next();
      const second = await worker.next();
      assert.deepEqual(first.slice(0, 5), [DONE, 0, OK, 10, 3]);
      assert.deepEqual(second.slice(0, 5), [DONE, 0, OK, 11, 7]);
      assert.equal(typeof first[5], "number", "run time in ms");
    } finally {
      worker.stop();
    }
  });

  it("sends the outcomes of jobs marked hold together, and marks each job it starts", async () => {
    const worker = rawWorker();
    const cells = messages.SHARED_CANCELS + 1 + messages.CANCEL_RING;
    const started = new Int32Array(new SharedArrayBuffer(4 * cells));
    try {
      worker.send([INIT, null, [], started]);
      assert.deepEqual(await worker.next(), [READY]);
      worker.send([RUN, [[1, "source", "(x) => x * 2"]], [30, 1, 0, 1, 0]]);
      await worker.next(); // compiled: the next jobs need no loading
      const ids = Array.from({ length: 50 }, (_, i) => 100 + i);
      worker.send([RUN, null, [...ids.flatMap((id) => [id, 1, 1, 1, id]), 99, 1, 0, 1, 99]]);
      const outcomes: unknown[] = [];
      let messageCount = 0;
      for (;;) {
        const message = await worker.next();
        assert.equal(message[0], DONE);
        if (message[3] === 99) {
          assert.deepEqual(message.slice(0, 5), [DONE, 0, OK, 99, 198], "not held, alone");
          break;
        }
        messageCount++;
        for (let at = 2; at < message.length; at += messages.DONE_STRIDE) {
          outcomes.push(message.slice(at, at + 3));
        }
      }
      assert.deepEqual(outcomes, ids.map((id) => [OK, id, id * 2]));
      assert.ok(messageCount < ids.length / 2, `${messageCount} messages for ${ids.length} jobs`);
      assert.equal(Atomics.load(started, 0), 99, "the id of the job it started last");
    } finally {
      worker.stop();
    }
  });

  it("drops a queued job on CANCEL, and reports errors as ERR", async () => {
    const worker = rawWorker();
    try {
      // Jobs sent before INIT wait for it: CANCEL reaches the second one queued.
      const jobs = [20, 1, 0, 0, 21, 1, 0, 0];
      worker.send([RUN, [[1, "source", "() => { throw new RangeError('no') }"]], jobs]);
      worker.send([CANCEL, 21]);
      worker.send([INIT, null, [], null]);
      assert.deepEqual(await worker.next(), [READY]);
      const failed = await worker.next();
      assert.deepEqual(failed.slice(0, 4), [DONE, 0, ERR, 20]);
      assert.deepEqual(
        { ...(failed[4] as object), stack: undefined },
        { error: true, name: "RangeError", message: "no", stack: undefined },
      );
      assert.deepEqual(await worker.next(), [DONE, 0, DROPPED, 21, undefined, 0]);
    } finally {
      worker.stop();
    }
  });

  it("reports a failing initializer with INIT_FAILED", async () => {
    const worker = rawWorker();
    try {
      worker.send([INIT, [5, "source", "() => { throw new Error('setup') }"], [], null]);
      const reply = await worker.next();
      assert.equal(reply[0], INIT_FAILED);
      assert.equal((reply[1] as { message: string }).message, "setup");
    } finally {
      worker.stop();
    }
  });
});

describe("FifoQueue", () => {
  type Entry = { queued: boolean; n: number };
  const entry = (n: number): Entry => ({ queued: false, n });

  it("is first in, first out, and skips deleted entries", () => {
    const q = new FifoQueue<Entry>();
    const [a, b, c] = [entry(1), entry(2), entry(3)];
    q.push(a);
    q.push(b);
    q.push(c);
    assert.equal(q.delete(b), true);
    assert.equal(q.delete(b), false, "not queued any more");
    assert.equal(q.size, 2);
    assert.equal(q.peek(), a);
    assert.equal(q.shift(), a);
    assert.equal(q.shift(), c);
    assert.equal(q.shift(), undefined);
    assert.equal(q.size, 0);
  });

  it("puts entries back at the front in their order", () => {
    const q = new FifoQueue<Entry>();
    const [a, b, c, d] = [entry(1), entry(2), entry(3), entry(4)];
    q.push(a);
    q.push(b);
    q.shift();
    q.pushFront([c, d]);
    assert.deepEqual([q.shift(), q.shift(), q.shift()].map((e) => e?.n), [3, 4, 2]);
  });

  it("stays correct across compaction of a long queue", () => {
    const q = new FifoQueue<Entry>();
    const all = Array.from({ length: 5000 }, (_, i) => entry(i));
    for (const e of all) q.push(e);
    for (let i = 0; i < 5000; i += 3) q.delete(all[i]);
    const out: number[] = [];
    for (let e = q.shift(); e !== undefined; e = q.shift()) out.push(e.n);
    assert.deepEqual(out, all.filter((_, i) => i % 3 !== 0).map((e) => e.n));
  });
});
