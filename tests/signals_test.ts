import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import process from "node:process";
import {
  createTask,
  type EventLoop,
  getRunningLoop,
  RuntimeError,
  type SignalName,
  sleep,
} from "../mod.ts";
import { captureReports, runVirtual, virtualLoop } from "./_virtual.ts";
import { bunPath, denoPath } from "./_subprocess.ts";

// process.emit() calls the listeners as a real signal would; the child
// process tests below send real ones.
function emit(sig: SignalName): void {
  process.emit(sig as never);
}

describe("loop.addSignalHandler()", () => {
  it("runs the callback with its arguments in the loop, at the next iteration", async () => {
    const order: string[] = [];
    await runVirtual(async () => {
      const loop = getRunningLoop();
      loop.addSignalHandler(
        "SIGUSR2",
        (a: string, b: number) => order.push(`handler ${a} ${b}`),
        "x",
        1,
      );
      emit("SIGUSR2");
      order.push("after emit");
      await sleep(0);
      order.push("next iteration");
      assert.equal(loop.removeSignalHandler("SIGUSR2"), true);
    });
    assert.deepEqual(order, ["after emit", "handler x 1", "next iteration"]);
  });

  it("runs it each time the signal comes", async () => {
    let calls = 0;
    await runVirtual(async () => {
      getRunningLoop().addSignalHandler("SIGUSR2", () => calls++);
      emit("SIGUSR2");
      emit("SIGUSR2");
      await sleep(0);
      emit("SIGUSR2");
      await sleep(0);
    });
    assert.equal(calls, 3);
  });

  it("installs one host listener per signal; a second handler replaces the first", async () => {
    const seen: string[] = [];
    const before = process.listenerCount("SIGUSR2");
    await runVirtual(async () => {
      const loop = getRunningLoop();
      loop.addSignalHandler("SIGUSR2", () => seen.push("first"));
      loop.addSignalHandler("SIGUSR2", () => seen.push("second"));
      assert.equal(process.listenerCount("SIGUSR2"), before + 1);
      emit("SIGUSR2");
      await sleep(0);
    });
    assert.deepEqual(seen, ["second"]);
  });

  it("removeSignalHandler() removes the listener and says whether there was one", async () => {
    const before = process.listenerCount("SIGUSR2");
    await runVirtual(() => {
      const loop = getRunningLoop();
      assert.equal(loop.removeSignalHandler("SIGUSR2"), false);
      loop.addSignalHandler("SIGUSR2", () => {});
      assert.equal(process.listenerCount("SIGUSR2"), before + 1);
      assert.equal(loop.removeSignalHandler("SIGUSR2"), true);
      assert.equal(loop.removeSignalHandler("SIGUSR2"), false);
      assert.equal(process.listenerCount("SIGUSR2"), before);
    });
  });

  it("close() removes the loop's listeners, so they never keep or change the process", async () => {
    // The host may listen too (Node 22+'s test runner does): count ours only.
    const before = process.listenerCount("SIGTERM");
    const beforeUsr2 = process.listenerCount("SIGUSR2");
    let loop: EventLoop | undefined;
    await runVirtual(() => {
      loop = getRunningLoop();
      loop.addSignalHandler("SIGTERM", () => {});
      loop.addSignalHandler("SIGUSR2", () => {});
    });
    assert.equal(loop!.isClosed(), true);
    assert.equal(process.listenerCount("SIGTERM"), before);
    assert.equal(process.listenerCount("SIGUSR2"), beforeUsr2);
  });

  it("a signal that comes while the loop is stopped runs the callback at its next run", async () => {
    const loop = virtualLoop();
    try {
      const seen: string[] = [];
      loop.addSignalHandler("SIGUSR2", () => seen.push("handled"));
      emit("SIGUSR2");
      assert.deepEqual(seen, []);
      await loop.runUntilComplete(() => sleep(0));
      assert.deepEqual(seen, ["handled"]);
    } finally {
      loop.close();
    }
  });

  it("a callback that throws is reported and the loop goes on", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const reports = captureReports(loop);
      loop.addSignalHandler("SIGUSR2", () => {
        throw new Error("handler failed");
      });
      emit("SIGUSR2");
      await sleep(1);
      assert.equal(reports.length, 1);
      assert.match(String(reports[0].message), /^Exception in callback/);
      assert.equal((reports[0].exception as Error).message, "handler failed");
    });
  });

  it("the callback can cancel tasks (the usual shutdown)", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const worker = createTask(() => sleep(3600));
      loop.addSignalHandler("SIGTERM", () => worker.cancel());
      loop.callLater(1, emit, "SIGTERM");
      await worker.then(() => {}, () => {});
      assert.equal(worker.cancelled(), true);
      assert.equal(loop.time(), 1);
    });
  });

  it("another loop's handler replaces this one's; removing this one leaves it", async () => {
    const before = process.listenerCount("SIGUSR2");
    const other = virtualLoop();
    const seen: string[] = [];
    try {
      await runVirtual(async () => {
        const loop = getRunningLoop();
        loop.addSignalHandler("SIGUSR2", () => seen.push("running loop"));
        other.addSignalHandler("SIGUSR2", () => seen.push("other loop"));
        assert.equal(loop.removeSignalHandler("SIGUSR2"), true);
        emit("SIGUSR2");
        await sleep(0);
      });
      await other.runUntilComplete(() => sleep(0));
      assert.deepEqual(seen, ["other loop"]);
    } finally {
      other.close();
    }
    assert.equal(process.listenerCount("SIGUSR2"), before);
  });

  it("refuses async functions: 'coroutines cannot be used with addSignalHandler()'", async () => {
    await runVirtual(() => {
      assert.throws(
        () => getRunningLoop().addSignalHandler("SIGUSR2", async () => {}),
        new TypeError("coroutines cannot be used with addSignalHandler()"),
      );
      assert.throws(
        () => getRunningLoop().addSignalHandler("SIGUSR2", 42 as unknown as () => void),
        TypeError,
      );
    });
  });

  it("refuses unknown and uncatchable signals", async () => {
    await runVirtual(() => {
      const loop = getRunningLoop();
      assert.throws(
        () => loop.addSignalHandler("SIGFOO" as SignalName, () => {}),
        new RangeError("invalid signal SIGFOO"),
      );
      assert.throws(
        () => loop.addSignalHandler("SIGKILL" as SignalName, () => {}),
        new RuntimeError("sig SIGKILL cannot be caught"),
      );
      assert.throws(
        () => loop.addSignalHandler(2 as unknown as SignalName, () => {}),
        TypeError,
      );
      assert.throws(() => loop.removeSignalHandler("SIGFOO" as SignalName), RangeError);
    });
  });

  it("refuses a closed loop: 'Event loop is closed'", () => {
    const loop = virtualLoop();
    loop.close();
    assert.throws(
      () => loop.addSignalHandler("SIGUSR2", () => {}),
      new RuntimeError("Event loop is closed"),
    );
  });
});

interface Child {
  code: number | null;
  signal: string | null;
  lines: string[];
  stderr: string;
}

/**
 * Run one of the project's programs (`examples/x`, without extension) with
 * the runtime running the tests: `deno run x.ts` under Deno, `bun x.ts` under
 * Bun, `node x.js` in the npm build. Each time its stdout prints a line in `triggers`, send the
 * signal paired with it. Resolves with what it printed.
 */
function runWithSignals(
  [program, ...programArgs]: string[],
  triggers: Record<string, NodeJS.Signals>,
  timeoutMs = 30_000,
): Promise<Child> {
  return new Promise((resolve, reject) => {
    const [exec, args] = denoPath !== undefined
      ? [denoPath, ["run", `${program}.ts`, ...programArgs]]
      : bunPath !== undefined
      ? [bunPath, [`${program}.ts`, ...programArgs]]
      : [process.execPath, [`${program}.js`, ...programArgs]];
    const child = spawn(exec, args, {
      cwd: new URL("..", import.meta.url),
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const lines: string[] = [];
    let partial = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      partial += chunk;
      const complete = partial.split("\n");
      partial = complete.pop()!;
      for (const line of complete) {
        lines.push(line);
        const sig = triggers[line];
        if (sig !== undefined) {
          delete triggers[line];
          // Not child.kill(): on Deno 2.9.6 its "close" event then reports
          // the signal instead of the real exit code (measured).
          process.kill(child.pid!, sig);
        }
      }
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (partial !== "") lines.push(partial);
      resolve({ code, signal, lines, stderr });
    });
  });
}

describe("signals in a real process", () => {
  it("graceful_shutdown: SIGINT cancels the tasks, cleanup runs, the executor job finishes", async () => {
    const { code, lines, stderr } = await runWithSignals(["examples/graceful_shutdown"], {
      "<Your app is running>": "SIGINT",
    });
    assert.equal(code, 0, stderr);
    const shutdownAt = lines.indexOf("Got signal: SIGINT, shutting down.");
    assert.ok(shutdownAt >= 1, lines.join("\n"));
    assert.deepEqual(lines.slice(shutdownAt + 1), [
      "<Your app is shutting down...>",
      "<Your app is shutting down...>",
      "<Your app is shutting down...>",
      "<Report written after 1.5 s of blocking work>",
      "<Shut down cleanly>",
    ]);
  });

  it("graceful_shutdown: SIGTERM does the same; a Ctrl-C during cleanup is ignored", async () => {
    const { code, lines, stderr } = await runWithSignals(["examples/graceful_shutdown"], {
      "<Your app is running>": "SIGTERM",
      "<Your app is shutting down...>": "SIGINT",
    });
    assert.equal(code, 0, stderr);
    assert.ok(lines.includes("Got signal: SIGTERM, shutting down."), lines.join("\n"));
    assert.ok(lines.includes("<Still shutting down, please wait>"), lines.join("\n"));
    assert.equal(lines.filter((l) => l === "<Your app is shutting down...>").length, 3);
    assert.equal(lines.at(-1), "<Shut down cleanly>");
  });

  it("graceful_shutdown: without a signal it shuts itself down after 3 s", async () => {
    const { code, lines, stderr } = await runWithSignals(["examples/graceful_shutdown"], {});
    assert.equal(code, 0, stderr);
    assert.ok(lines.includes("Got no signal for 3 s, shutting down."), lines.join("\n"));
    assert.equal(lines.at(-1), "<Shut down cleanly>");
  });

  it("run(): Ctrl-C cancels main, main cleans up, run raises KeyboardInterrupt", async () => {
    const { code, lines, stderr } = await runWithSignals(["tests/fixtures/ctrl_c_main"], {
      ready: "SIGINT",
    });
    assert.deepEqual(lines, [
      "ready",
      "main cancelled",
      "main cleaned up",
      "main finally",
      "run raised KeyboardInterrupt",
    ]);
    assert.equal(code, 130, stderr);
  });

  it("run(): a deadlocked program ends, on Deno as on Node, instead of hanging", {
    skip: bunPath !== undefined &&
      "Bun waits forever on a top-level await that never settles, with or without listeners",
  }, async () => {
    const { code, lines } = await runWithSignals(["tests/fixtures/deadlocked_main"], {}, 20_000);
    assert.deepEqual(lines, ["waiting forever"]);
    assert.notEqual(code, 0); // ended by the host: Deno 1, Node 13
    assert.notEqual(code, null); // not killed by the test's time limit
  });

  it("run(): a second Ctrl-C ends a main that ignores the first", async () => {
    const { code, lines, stderr } = await runWithSignals(
      ["tests/fixtures/ctrl_c_main", "stubborn"],
      { ready: "SIGINT", "ignoring it": "SIGINT" },
    );
    assert.deepEqual(lines, [
      "ready",
      "main cancelled",
      "ignoring it",
      "main finally", // cancelled again by run()'s shutdown of leftover work
      "run raised KeyboardInterrupt",
    ]);
    assert.equal(code, 130, stderr);
  });
});
