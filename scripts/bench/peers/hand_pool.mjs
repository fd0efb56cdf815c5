// The floor of B6 and B7 on Node: the smallest worker_threads pool that does
// the job. Every call is posted at once, round robin, with no queue of its
// own; results are matched to their calls by id.
import { Worker } from "node:worker_threads";

export class HandWrittenPool {
  #workers;
  #pending = new Map();
  #nextId = 0;

  constructor(size) {
    this.#workers = Array.from({ length: size }, () => {
      const worker = new Worker(new URL("./hand_worker.mjs", import.meta.url));
      worker.on("message", ([id, result]) => {
        this.#pending.get(id)(result);
        this.#pending.delete(id);
      });
      return worker;
    });
  }

  run(job, arg) {
    const id = this.#nextId++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#workers[id % this.#workers.length].postMessage([id, job, arg]);
    });
  }

  close() {
    return Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
