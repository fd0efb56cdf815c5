/**
 * The loop that is running right now, shared by the loop (which sets it) and
 * the functions that need it. JavaScript has one thread per realm, so one
 * variable plays the role of asyncio's per-thread running loop.
 *
 * @module
 */

import { RuntimeError } from "./errors.ts";
import type { EventLoop } from "./loop.ts";

let running: EventLoop | null = null;

/** The running loop, or `null`. */
export function runningLoopOrNull(): EventLoop | null {
  return running;
}

/**
 * The running loop.
 *
 * @throws {RuntimeError} `no running event loop` when none is running.
 */
export function requireRunningLoop(): EventLoop {
  if (running === null) throw new RuntimeError("no running event loop");
  return running;
}

/** Called by `EventLoop` when it starts (`loop`) and stops (`null`) running. */
export function setRunningLoop(loop: EventLoop | null): void {
  running = loop;
}
