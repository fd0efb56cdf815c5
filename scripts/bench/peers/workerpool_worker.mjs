// A worker of workerpool's pool: the jobs of jobs.mjs, by name.
import { echo, fib } from "./jobs.mjs";

// Imported at run time: installed on demand, not needed by `deno check scripts/`.
const { default: workerpool } = await import("workerpool");

workerpool.worker({ echo, fib });
