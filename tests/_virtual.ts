// Test helpers: loops on a virtual clock, and capturing what the loop reports.
import assert from "node:assert/strict";
import {
  type EventLoop,
  type ExceptionContext,
  type Executor,
  newEventLoop,
  run,
  type RunnerOptions,
  sleep,
  VirtualClock,
} from "../mod.ts";

/** A new loop on a virtual clock starting at 0. */
export function virtualLoop(): EventLoop {
  return newEventLoop({ clock: new VirtualClock() });
}

/** `run(main)` on a virtual-clock loop. */
export function runVirtual<T>(
  main: () => T | PromiseLike<T>,
  options: RunnerOptions = {},
): Promise<T> {
  return run(main, { loopFactory: virtualLoop, ...options });
}

/** Install a handler on `loop` that records every context it receives. */
export function captureReports(loop: EventLoop): ExceptionContext[] {
  const reports: ExceptionContext[] = [];
  loop.setExceptionHandler((_loop, context) => reports.push(context));
  return reports;
}

/** Await `awaitable` and return the error it failed with; fail if it did not. */
export async function failure(awaitable: PromiseLike<unknown>): Promise<unknown> {
  try {
    await awaitable;
  } catch (error) {
    return error;
  }
  assert.fail("expected a failure");
}

/** Yield `n` loop iterations. */
export async function yields(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await sleep(0);
}

/** An Executor whose every job finishes when `release(value)` is called. */
export function heldExecutor(): { executor: Executor; release: (value: number) => void } {
  let release!: (value: number) => void;
  const job = new Promise<number>((resolve) => (release = resolve));
  const executor: Executor = {
    submit: () => Object.assign(job.then((n) => n), { cancel: () => false }) as never,
    shutdown: () => Promise.resolve(),
  };
  return { executor, release };
}
