// Effection (structured concurrency with generators) on the workloads of
// WORKLOADS.md that have an Effection form, each beside its raw-promise floor
// in the same process. Run: node effection.mjs <B1|B2|B3|B4|B5|B8> [--quick]
//
// B6 and B7 are skipped: Effection has no executor or worker pool.
// Effection's `sleep(0)` is a host setTimeout (it has no one-iteration yield),
// so B1 and B5 pay a host timer per task where the floor awaits null.
import process from "node:process";
import { fileURLToPath } from "node:url";
import {
  b8Child,
  b8Rounds,
  b8Side,
  checkMost,
  checkSum,
  emit,
  emitB8,
  rounds,
  sizeOf,
  workload,
} from "./common.mjs";
import * as floors from "./floors.mjs";

// Imported at run time, as every npm peer here: it is installed on demand into
// this folder's node_modules, which the repository's `deno check scripts/`
// must not need.
const { all, allSettled, createQueue, run, sleep, spawn, withResolvers } = await import(
  "effection"
);

const IMPL = "effection";

/** B1: N tasks each `sleep(0)` and return i, then `all` of them. */
function* spawnGather(n) {
  const start = performance.now();
  const tasks = [];
  for (let i = 0; i < n; i++) {
    tasks.push(
      yield* spawn(function* () {
        yield* sleep(0);
        return i;
      }),
    );
  }
  const results = yield* all(tasks);
  const elapsed = performance.now() - start;
  checkSum(results.reduce((a, b) => a + b, 0), n);
  return elapsed;
}

/**
 * B2: Effection's queue is unbounded and its channel has no buffer, so the
 * queue of 100 is two queues: the items, and one entry per free slot that
 * the producer takes before each put and the consumer gives back per get.
 */
function* queuePingPong(n) {
  const start = performance.now();
  const items = createQueue();
  const freeSlots = createQueue();
  for (let i = 0; i < 100; i++) freeSlots.add(true);
  const producer = yield* spawn(function* () {
    for (let i = 0; i < n; i++) {
      yield* freeSlots.next();
      items.add(i);
    }
  });
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += (yield* items.next()).value;
    freeSlots.add(true);
  }
  yield* producer;
  const elapsed = performance.now() - start;
  checkSum(sum, n);
  return elapsed;
}

/** B3: N tasks, task i sleeps (i % 500) ms; overhead = wall - 500 ms. */
function* timers(n) {
  const start = performance.now();
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(yield* spawn(() => sleep(i % 500)));
  yield* all(tasks);
  return performance.now() - start - 500;
}

/** B4: N tasks sleep an hour; after one yield, halt each and settle all (timed). */
function* cancelStorm(n) {
  const tasks = [];
  for (let i = 0; i < n; i++) tasks.push(yield* spawn(() => sleep(3_600_000)));
  yield* sleep(0);
  const start = performance.now();
  yield* all(tasks.map((task) => task.halt()));
  const results = yield* allSettled(tasks);
  const elapsed = performance.now() - start;
  if (
    !results.every((result) => !result.ok && result.error.message === "halted")
  ) {
    throw new Error("B4: a task was not halted");
  }
  return elapsed;
}

/**
 * B5: Effection has no semaphore; the idiomatic stand-in is a queue holding
 * one entry per free permit: take one to enter, give it back on the way out.
 */
function* semaphore(n) {
  const start = performance.now();
  const permits = createQueue();
  for (let i = 0; i < 100; i++) permits.add(true);
  let holders = 0;
  let most = 0;
  const tasks = [];
  for (let i = 0; i < n; i++) {
    tasks.push(
      yield* spawn(function* () {
        yield* permits.next();
        try {
          most = Math.max(most, ++holders);
          yield* sleep(0);
          holders--;
        } finally {
          permits.add(true);
        }
      }),
    );
  }
  yield* all(tasks);
  const elapsed = performance.now() - start;
  checkMost(most, 100);
  return elapsed;
}

/** B8: N tasks parked on one `withResolvers` operation (Effection's event). */
function park(n, parked) {
  return run(function* () {
    const event = withResolvers();
    const tasks = [];
    for (let i = 0; i < n; i++) {
      tasks.push(
        yield* spawn(function* () {
          yield* event.operation;
          return i;
        }),
      );
    }
    yield* sleep(0);
    parked();
    event.resolve();
    checkSum((yield* all(tasks)).reduce((a, b) => a + b, 0), n);
  });
}

const workloads = {
  B1: { name: "spawn-gather", n: 100_000, ours: spawnGather, floor: floors.spawnGather },
  B2: { name: "queue-pingpong", n: 200_000, ours: queuePingPong, floor: floors.queuePingPong },
  B3: { name: "timers", n: 50_000, ours: timers, floor: floors.timers },
  B4: { name: "cancel-storm", n: 100_000, ours: cancelStorm, floor: floors.cancelStorm },
  B5: { name: "semaphore", n: 100_000, ours: semaphore, floor: floors.semaphore },
};
/** What stands in for what the workload names, where Effection lacks it. */
const extras = {
  B1: { yield: "sleep(0) = setTimeout(0)" },
  B2: { queue: "createQueue() of items + createQueue() of free slots (no bounded queue)" },
  B3: {},
  B4: { cancel: "task.halt() each, then allSettled" },
  B5: { semaphore: "createQueue() of 100 permits (no semaphore)", yield: "sleep(0)" },
  B8: { event: "withResolvers()" },
};

if (workload === "B8") {
  const n = sizeOf(100_000);
  if (b8Side) {
    await b8Child(n, b8Side === "floor" ? floors.park : park);
  } else {
    const [peer, floor] = await b8Rounds(fileURLToPath(import.meta.url), ["peer", "floor"]);
    emitB8(IMPL, n, peer, floor, extras.B8);
  }
} else if (workloads[workload]) {
  const { name, n: full, ours, floor } = workloads[workload];
  const n = sizeOf(full);
  const [runs, floorRuns] = await rounds([() => run(() => ours(n)), () => floor(n)]);
  emit({ name, impl: IMPL, n, unit: "ms", runs, floorRuns, extra: extras[workload] });
} else {
  console.error(`usage: node effection.mjs <B1|B2|B3|B4|B5|B8> [--quick]; got ${workload}`);
  process.exit(2);
}
