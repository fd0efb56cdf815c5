import assert from "node:assert/strict";
import process from "node:process";
import { describe, it } from "node:test";
import {
  CancelledError,
  createTask,
  type EventLoop,
  getRunningLoop,
  newEventLoop,
  Runner,
  sleep,
  type Task,
  VirtualClock,
} from "../mod.ts";
import { captureReports, runVirtual, virtualLoop } from "./_virtual.ts";
import { denoPath, needsDeno } from "./_subprocess.ts";

/** Send `loop`'s debug warnings to an array. */
function captureLog(loop: EventLoop): string[] {
  const lines: string[] = [];
  loop.setLogger((line) => lines.push(line));
  return lines;
}

/** Spend `seconds` of the loop's virtual time without yielding, as a blocking call would. */
function block(seconds: number): void {
  clockOf.get(getRunningLoop())!.advance(seconds);
}

const clockOf = new WeakMap<EventLoop, VirtualClock>();

/** A loop on a virtual clock that `block()` can advance. */
function blockableLoop(): EventLoop {
  const clock = new VirtualClock();
  const loop = newEventLoop({ clock });
  clockOf.set(loop, clock);
  return loop;
}

describe("debug mode", () => {
  it("is off by default and turned on by run(), Runner and setDebug()", async () => {
    assert.equal(virtualLoop().getDebug(), false);
    assert.equal(await runVirtual(() => getRunningLoop().getDebug(), { debug: true }), true);
    const runner = new Runner({ debug: true, loopFactory: virtualLoop });
    assert.equal(runner.getLoop().getDebug(), true);
    await runner.close();
    const loop = virtualLoop();
    loop.setDebug(true);
    assert.equal(loop.getDebug(), true);
    assert.match(String(loop), /debug=true/);
  });

  it("is turned on for new loops by ASYNCIO_TS_DEBUG, read without a prompt on Deno", {
    skip: needsDeno,
  }, async () => {
    const program = "tests/fixtures/debug_from_env.ts";
    const withEnv = { ...process.env, ASYNCIO_TS_DEBUG: "1", NO_COLOR: "1" };
    assert.equal(await output(["run", "--allow-env=ASYNCIO_TS_DEBUG", program], withEnv), "true");
    // Not granted: read as off, with no prompt (stdin is closed).
    assert.equal(await output(["run", "--no-prompt", program], withEnv), "false");
    const without: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
    delete without.ASYNCIO_TS_DEBUG;
    assert.equal(await output(["run", "--allow-env", program], without), "false");
  });
});

describe("debug mode: slow callbacks", () => {
  it("logs a task step that runs longer than slowCallbackDuration, in CPython's words", async () => {
    const loop = blockableLoop();
    loop.setDebug(true);
    const log = captureLog(loop);
    await loop.runUntilComplete(async function main() {
      await sleep(0);
      block(0.302);
      await sleep(0);
      block(0.05);
    });
    assert.deepEqual(log, [
      "Executing <Task pending name='Task-" + taskNumber(log[0]) +
      "' coro=<main()>> took 0.302 seconds",
    ]);
    loop.close();
  });

  it("times a step from the callback that resumed the task to the task's next await", async () => {
    const loop = blockableLoop();
    loop.setDebug(true);
    const log = captureLog(loop);
    await loop.runUntilComplete(async function main() {
      const worker = createTask(async function worker() {
        block(0.06);
        await Promise.resolve();
        block(0.06); // Still the same step: no library await in between.
        await sleep(1);
      });
      await sleep(0);
      await worker;
    });
    assert.equal(log.length, 1);
    assert.match(
      log[0],
      /^Executing <Task pending name='Task-\d+' coro=<worker\(\)>> took 0\.120 seconds$/,
    );
    loop.close();
  });

  it("logs a slow callback as its handle", async () => {
    const loop = blockableLoop();
    loop.setDebug(true);
    const log = captureLog(loop);
    await loop.runUntilComplete(async () => {
      loop.callSoon(function slowCallback() {
        block(0.25);
      });
      loop.callLater(1, function quick() {});
      await sleep(2);
    });
    assert.deepEqual(log, ["Executing <Handle slowCallback()> took 0.250 seconds"]);
    loop.close();
  });

  it("follows slowCallbackDuration and logs nothing with debug mode off", async () => {
    const loop = blockableLoop();
    const log = captureLog(loop);
    loop.slowCallbackDuration = 0.01;
    await loop.runUntilComplete(async () => {
      block(1);
      await sleep(0);
    });
    assert.deepEqual(log, []);
    loop.setDebug(true);
    await loop.runUntilComplete(async function again() {
      block(0.02);
      await sleep(0);
    });
    assert.equal(log.length, 1);
    assert.throws(() => (loop.slowCallbackDuration = -1), RangeError);
    assert.throws(() => (loop.slowCallbackDuration = Number.NaN), RangeError);
    loop.close();
  });

  it("logs with console.warn by default, and a logger that throws breaks nothing", async () => {
    const loop = blockableLoop();
    loop.setDebug(true);
    loop.setLogger(() => {
      throw new Error("broken logger");
    });
    assert.equal(
      await loop.runUntilComplete(async () => {
        block(1);
        await sleep(0);
        return "done";
      }),
      "done",
    );
    assert.throws(() => loop.setLogger(42 as never), TypeError);
    const warned: unknown[] = [];
    const original = console.warn;
    console.warn = (...args: unknown[]) => warned.push(args.join(" "));
    try {
      loop.setLogger(null);
      await loop.runUntilComplete(async () => {
        block(1);
        await sleep(0);
      });
    } finally {
      console.warn = original;
    }
    assert.equal(warned.length, 1);
    assert.match(String(warned[0]), /^Executing <Task .* took 1\.000 seconds$/);
    loop.close();
  });
});

describe("debug mode: creation sites", () => {
  it("records where futures and tasks were created, the caller's frames only", async () => {
    await runVirtual(async function main() {
      const future = getRunningLoop().createFuture();
      const task = createTask(async () => {});
      await task;
      for (const site of [future.sourceTraceback!, task.sourceTraceback!]) {
        assert.ok(site.length > 0);
        assert.match(site[site.length - 1], /debug_test\.[jt]s:\d+:\d+/);
        assert.ok(site.every((frame) => !/\/src\/[a-z_]+\.ts/.test(frame)), site.join("\n"));
      }
    }, { debug: true });
    await runVirtual(() => {
      assert.equal(getRunningLoop().createFuture().sourceTraceback, undefined);
    });
  });

  it("shows the creation site in 'Task exception was never retrieved'", async () => {
    const loop = virtualLoop();
    loop.setDebug(true);
    const reports = captureReports(loop);
    await loop.runUntilComplete(async () => {
      createTask(async function failing() {
        throw new Error("boom");
      });
      await sleep(0);
    });
    loop.close();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Task exception was never retrieved");
    const site = reports[0].sourceTraceback as string[];
    assert.match(site[site.length - 1], /debug_test\.[jt]s/);
  });

  it("shows the creation site in 'Task was destroyed but it is pending!' and the default handler prints it", async () => {
    const loop = virtualLoop();
    loop.setDebug(true);
    let pending: Task<unknown> | undefined;
    await loop.runUntilComplete(async () => {
      pending = createTask(() => sleep(3600));
      await sleep(0);
    });
    const printed: string[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => printed.push(args.join(" "));
    try {
      loop.close();
    } finally {
      console.error = original;
    }
    assert.equal(printed.length, 1);
    const lines = printed[0].split("\n");
    assert.equal(lines[0], "Task was destroyed but it is pending!");
    assert.equal(lines[1], "sourceTraceback: Object created at (most recent call last):");
    assert.match(lines[lines.length - 2], /^ {2}at .*debug_test\.[jt]s:\d+:\d+/);
    assert.equal(lines[lines.length - 1], `task: ${pending}`);
  });

  it("shows where a handle was made when its callback throws", async () => {
    const loop = virtualLoop();
    loop.setDebug(true);
    const reports = captureReports(loop);
    await loop.runUntilComplete(async () => {
      loop.callSoon(function throws() {
        throw new Error("boom");
      });
      await sleep(0);
    });
    loop.close();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Exception in callback throws()");
    const site = reports[0].handleTraceback as string[];
    assert.match(site[site.length - 1], /debug_test\.[jt]s/);
  });
});

describe("debug mode: async callbacks", () => {
  it("refuses an async function in callSoon, callLater and callAt", async () => {
    const loop = virtualLoop();
    loop.setDebug(true);
    const body = async () => {};
    assert.throws(() => loop.callSoon(body), {
      name: "TypeError",
      message: "coroutines cannot be used with callSoon()",
    });
    assert.throws(() => loop.callLater(1, body), {
      message: "coroutines cannot be used with callLater()",
    });
    assert.throws(() => loop.callAt(1, body), {
      message: "coroutines cannot be used with callAt()",
    });
    loop.close();
  });

  it("takes one outside debug mode, and its rejection goes to the exception handler", async () => {
    const loop = virtualLoop();
    const reports = captureReports(loop);
    await loop.runUntilComplete(async () => {
      loop.callSoon(async function rejects() {
        throw new Error("later");
      });
      await sleep(0.1);
    });
    loop.close();
    assert.equal(reports.length, 1);
    assert.equal(reports[0].message, "Exception in callback rejects()");
  });
});

describe("debug mode: a cancel a foreign promise holds up", () => {
  it("is reported once after slowCallbackDuration, naming the task", async () => {
    const loop = virtualLoop();
    loop.setDebug(true);
    const log = captureLog(loop);
    let release!: () => void;
    const foreign = new Promise<void>((resolve) => (release = resolve));
    await loop.runUntilComplete(async () => {
      const task = createTask({ name: "fetcher" }, async () => {
        await foreign;
        await sleep(0);
      });
      await sleep(0);
      task.cancel();
      task.cancel();
      await sleep(0.05);
      assert.deepEqual(log, []);
      await sleep(1);
      assert.equal(log.length, 1);
      assert.match(log[0], /^<Task pending name='fetcher' coro=<<anonymous>\(\)>> was cancelled/);
      assert.match(log[0], /task\.signal/);
      assert.match(log[0], /ensureFuture/);
      release();
      await assert.rejects(task, CancelledError);
    });
    loop.close();
  });

  it("is not reported for a task the cancel reached, or outside debug mode", async () => {
    for (const debug of [true, false]) {
      const loop = virtualLoop();
      loop.setDebug(debug);
      const log = captureLog(loop);
      await loop.runUntilComplete(async () => {
        const sleeper = createTask(() => sleep(10));
        const foreign = createTask(() => new Promise((resolve) => setTimeout(resolve, 1)));
        await sleep(0);
        sleeper.cancel();
        if (!debug) foreign.cancel();
        await sleep(1);
        await foreign.catch(() => {});
      });
      loop.close();
      assert.deepEqual(log, []);
    }
  });
});

function taskNumber(line: string | undefined): string {
  return /Task-(\d+)/.exec(line ?? "")?.[1] ?? "?";
}

// Deno.Command, not node:child_process: Deno's node:child_process gives a
// Deno child its parent's permissions, and this test needs a child without.
async function output(args: string[], env: Record<string, string | undefined>): Promise<string> {
  const deno = (globalThis as unknown as { Deno: DenoCommand }).Deno;
  const clean: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) clean[key] = value;
  const child = new deno.Command(denoPath!, {
    args,
    cwd: new URL("..", import.meta.url),
    env: clean,
    clearEnv: true,
    stdin: "null",
  });
  const { code, stdout, stderr } = await child.output();
  const text = new TextDecoder();
  if (code !== 0) throw new Error(`deno ${args.join(" ")} failed: ${text.decode(stderr)}`);
  return text.decode(stdout).trim();
}

interface DenoCommand {
  Command: new (path: string, options: {
    args: string[];
    cwd: URL;
    env: Record<string, string>;
    clearEnv: boolean;
    stdin: "null";
  }) => { output(): Promise<{ code: number; stdout: Uint8Array; stderr: Uint8Array }> };
}
