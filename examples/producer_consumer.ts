// Producers and consumers around a bounded queue, with a graceful shutdown.
// Run: deno run examples/producer_consumer.ts
//
// Two producers put jobs into a Queue(3): when it is full, put() waits, so
// fast producers are slowed down to the consumers' pace (back-pressure).
// Three consumers read the queue with `for await` and call taskDone() once a
// job is finished. main() waits for the producers, then for queue.join()
// (every job done), then shuts the queue down: the consumers' loops end, and
// they report what they did.
import { createTask, gather, getRunningLoop, Queue, run, sleep } from "../mod.ts";

interface Job {
  id: string;
  cost: number; // seconds of "work"
}

const JOBS_PER_PRODUCER = 4;

let t0 = 0;

/** Seconds since main() started, on the loop's clock. */
function stamp(): string {
  return `[${(getRunningLoop().time() - t0).toFixed(2)}s]`.padEnd(8);
}

async function producer(name: string, queue: Queue<Job>, pause: number): Promise<void> {
  for (let i = 1; i <= JOBS_PER_PRODUCER; i++) {
    const job = { id: `${name}${i}`, cost: 0.02 * ((i % 3) + 1) };
    const waited = queue.full();
    await queue.put(job);
    console.log(
      `${stamp()} ${name} put ${job.id}${waited ? " (waited for room)" : ""}, ` +
        `queue size ${queue.qsize()}`,
    );
    await sleep(pause);
  }
  console.log(`${stamp()} ${name} is done producing`);
}

async function consumer(name: string, queue: Queue<Job>): Promise<string[]> {
  const handled: string[] = [];
  for await (const job of queue) {
    console.log(`${stamp()}   ${name} works on ${job.id}`);
    await sleep(job.cost);
    handled.push(job.id);
    queue.taskDone(); // the job is finished: join() counts it
  }
  console.log(`${stamp()}   ${name} sees the queue shut down`);
  return handled;
}

async function main(): Promise<void> {
  t0 = getRunningLoop().time();
  const queue = new Queue<Job>(3);
  const consumers = ["c1", "c2", "c3"].map((name) => createTask({ name }, consumer, name, queue));

  await gather(
    () => producer("A", queue, 0.01),
    () => producer("B", queue, 0.015),
  );
  console.log(`${stamp()} producers finished; waiting for the queue to drain`);
  await queue.join();
  console.log(`${stamp()} every job is done: ${queue}`);

  queue.shutdown(); // consumers waiting in get() wake up and their loops end
  const results = await gather(...consumers);
  results.forEach((handled, i) => {
    console.log(`${consumers[i].getName()} handled ${handled.length}: ${handled.join(" ")}`);
  });
  const total = results.reduce((n, handled) => n + handled.length, 0);
  console.log(`${stamp()} ${total} jobs done by ${consumers.length} consumers`);
}

await run(main);
