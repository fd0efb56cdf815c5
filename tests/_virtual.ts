// Test helpers: loops on a virtual clock, and capturing what the loop reports.
import {
  type EventLoop,
  type ExceptionContext,
  newEventLoop,
  run,
  type RunnerOptions,
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
