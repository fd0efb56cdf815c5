// A worker of the hand-written pool (hand_pool.mjs): runs each [id, job, arg]
// message and answers [id, result].
import { parentPort } from "node:worker_threads";
import * as jobs from "./jobs.mjs";

parentPort.on(
  "message",
  ([id, job, arg]) => parentPort.postMessage([id, jobs[job](arg)]),
);
