// Ctrl-C handling of run() and Runner. The signal is simulated with
// process.emit("SIGINT"), which calls the listeners exactly as a real SIGINT
// does (signals_test.ts sends a real one to a child process).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import {
  CancelledError,
  currentTask,
  getRunningLoop,
  KeyboardInterrupt,
  Runner,
  sleep,
} from "../mod.ts";
import { runVirtual, virtualLoop } from "./_virtual.ts";

function sigintAt(delay: number): void {
  getRunningLoop().callLater(delay, () => process.emit("SIGINT" as never));
}

describe("run() and Ctrl-C", () => {
  it("the first SIGINT cancels main; a CancelledError let out becomes KeyboardInterrupt", async () => {
    const steps: string[] = [];
    const error = await runVirtual(async () => {
      sigintAt(1);
      try {
        await sleep(100);
      } catch (e) {
        steps.push(`main got ${(e as Error).constructor.name} at ${getRunningLoop().time()}`);
        throw e;
      }
    }).catch((e) => e);
    assert.ok(error instanceof KeyboardInterrupt, `got ${error}`);
    assert.deepEqual(steps, ["main got CancelledError at 1"]);
  });

  it("main that handles the cancellation returns normally", async () => {
    const value = await runVirtual(async () => {
      sigintAt(1);
      try {
        await sleep(100);
        return "not interrupted";
      } catch {
        await sleep(1);
        return "shut down cleanly";
      }
    });
    assert.equal(value, "shut down cleanly");
  });

  it("cleanup with awaits runs before KeyboardInterrupt leaves run()", async () => {
    const steps: string[] = [];
    await runVirtual(async () => {
      sigintAt(1);
      try {
        await sleep(100);
      } finally {
        await sleep(2);
        steps.push(`cleanup done at ${getRunningLoop().time()}`);
      }
    }).catch((e) => steps.push(`run raised ${e.constructor.name}`));
    assert.deepEqual(steps, ["cleanup done at 3", "run raised KeyboardInterrupt"]);
  });

  it("a second SIGINT interrupts at once; main is then cancelled again by the shutdown", async () => {
    const steps: string[] = [];
    const error = await runVirtual(async () => {
      sigintAt(1);
      sigintAt(5);
      try {
        await sleep(100);
      } catch {
        steps.push("first cancel ignored");
      }
      try {
        await sleep(100); // a slow shutdown that the second Ctrl-C cuts short
      } finally {
        steps.push(`main finally at ${getRunningLoop().time()}`);
      }
    }).catch((e) => e);
    assert.ok(error instanceof KeyboardInterrupt, `got ${error}`);
    assert.deepEqual(steps, ["first cancel ignored", "main finally at 5"]);
  });

  it("a CancelledError without any SIGINT stays a CancelledError", async () => {
    const error = await runVirtual(async () => {
      const main = currentTask()!;
      getRunningLoop().callLater(1, () => main.cancel());
      await sleep(10);
    }).catch((e) => e);
    assert.ok(error instanceof CancelledError, `got ${error}`);
  });

  it("listens for SIGINT only while main runs", async () => {
    const before = process.listenerCount("SIGINT");
    const during = await runVirtual(() => process.listenerCount("SIGINT"));
    assert.equal(during, before + 1);
    assert.equal(process.listenerCount("SIGINT"), before);
  });

  it("leaves SIGINT alone when other code listens for it", async () => {
    let othersCalls = 0;
    const other = () => othersCalls++;
    process.on("SIGINT", other);
    try {
      const value = await runVirtual(async () => {
        assert.equal(process.listenerCount("SIGINT"), 1);
        sigintAt(1);
        await sleep(2);
        return "not cancelled";
      });
      assert.equal(value, "not cancelled");
      assert.equal(othersCalls, 1);
    } finally {
      process.off("SIGINT", other);
    }
  });

  it("a SIGINT handler main installs replaces run()'s, and goes when the loop closes", async () => {
    const seen: string[] = [];
    const value = await runVirtual(async () => {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGINT", (what: string) => seen.push(what), "main's handler");
      assert.equal(process.listenerCount("SIGINT"), 1);
      sigintAt(1);
      await sleep(2);
      return "main kept running";
    });
    assert.equal(value, "main kept running");
    assert.deepEqual(seen, ["main's handler"]);
    assert.equal(process.listenerCount("SIGINT"), 0);
  });
});

describe("Runner and Ctrl-C", () => {
  it("each run() starts with a fresh count; the listener comes and goes per run", async () => {
    const runner = new Runner({ loopFactory: virtualLoop });
    try {
      const first = await runner.run(async () => {
        sigintAt(1);
        await sleep(10);
      }).catch((e) => e);
      assert.ok(first instanceof KeyboardInterrupt);
      assert.equal(process.listenerCount("SIGINT"), 0);
      const second = await runner.run(async () => {
        sigintAt(1);
        try {
          await sleep(10);
        } catch {
          return "second run handled it";
        }
      });
      assert.equal(second, "second run handled it");
    } finally {
      await runner.close();
    }
    assert.equal(process.listenerCount("SIGINT"), 0);
  });
});
