import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { realpathSync } from "node:fs";
import process from "node:process";
import {
  BrokenPipeError,
  CancelledError,
  ConnectionResetError,
  createSubprocessExec,
  createSubprocessShell,
  createTask,
  DEVNULL,
  FileNotFoundError,
  isFuture,
  PIPE,
  ProcessLookupError,
  run,
  STDOUT,
  TimeoutError,
  waitFor,
} from "../mod.ts";
import { failure, runVirtual, yields } from "./_virtual.ts";
import { programCommand, repositoryRoot } from "./_subprocess.ts";

const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null) => decoder.decode(bytes!);

describe("createSubprocessExec", () => {
  it("runs a program and reads its output line by line", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("printf", "a\\nb\\n", { stdout: PIPE });
      assert.ok(proc.pid > 0);
      const lines: string[] = [];
      for await (const line of proc.stdout!) lines.push(text(line));
      assert.deepEqual(lines, ["a\n", "b\n"]);
      assert.equal(await proc.wait(), 0);
      assert.equal(proc.returncode, 0);
      assert.equal(proc.stdin, null);
      assert.equal(proc.stderr, null);
    });
  });

  it("returns Futures from the start, wait() and communicate()", async () => {
    await run(async () => {
      const starting = createSubprocessExec("true");
      assert.ok(isFuture(starting));
      const proc = await starting;
      const waiting = proc.wait();
      assert.ok(isFuture(waiting));
      assert.equal(await waiting, 0);
      const communicating = proc.communicate();
      assert.ok(isFuture(communicating));
      assert.deepEqual(await communicating, [null, null]);
    });
  });

  it("communicate() feeds stdin and collects both outputs", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("sh", "-c", "cat; echo problem >&2; exit 4", {
        stdin: PIPE,
        stdout: PIPE,
        stderr: PIPE,
      });
      const [out, err] = await proc.communicate("input text");
      assert.equal(text(out), "input text");
      assert.equal(text(err), "problem\n");
      assert.equal(proc.returncode, 4);
    });
  });

  it("communicate() moves a huge output through both pipes without deadlock", async () => {
    await run(async () => {
      const size = 8 * 1024 * 1024;
      const proc = await createSubprocessExec(
        "sh",
        "-c",
        `cat; head -c ${size} /dev/zero >&2`,
        { stdin: PIPE, stdout: PIPE, stderr: PIPE },
      );
      const [out, err] = await proc.communicate(new Uint8Array(size).fill(7));
      assert.equal(out!.length, size);
      assert.ok(out!.every((byte) => byte === 7));
      assert.equal(err!.length, size);
      assert.equal(proc.returncode, 0);
    });
  });

  it("stderr: STDOUT sends both streams to the stdout reader", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("sh", "-c", "echo out; echo err >&2", {
        stdout: PIPE,
        stderr: STDOUT,
      });
      assert.equal(proc.stderr, null);
      const [out, err] = await proc.communicate();
      assert.deepEqual(text(out).split("\n").sort(), ["", "err", "out"]);
      assert.equal(err, null);
    });
  });

  it("DEVNULL gives the child nothing to read and no reader", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("cat", { stdin: DEVNULL, stdout: PIPE });
      assert.equal(proc.stdin, null);
      const [out] = await proc.communicate();
      assert.equal(out!.length, 0);
      assert.equal(proc.returncode, 0);
    });
  });

  it("talks to a child through stdin and stdout, with writeEof() to finish", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("cat", { stdin: PIPE, stdout: PIPE });
      proc.stdin!.write("ping\n");
      await proc.stdin!.drain();
      assert.equal(text(await proc.stdout!.readline()), "ping\n");
      proc.stdin!.writeEof();
      assert.equal((await proc.stdout!.read()).length, 0);
      assert.equal(await proc.wait(), 0);
    });
  });

  it("drain() to a child that exited fails with a ConnectionError", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("true", { stdin: PIPE });
      assert.equal(await proc.wait(), 0);
      proc.stdin!.write(new Uint8Array(1024 * 1024));
      // BrokenPipeError if the write met the closed pipe while drain()
      // waited; ConnectionResetError("Connection lost") if the runtime had
      // closed the pipe already (the write is dropped then), as in Python.
      const error = await failure(proc.stdin!.drain());
      assert.ok(
        error instanceof BrokenPipeError ||
          (error instanceof ConnectionResetError && error.message === "Connection lost"),
        String(error),
      );
    });
  });

  it("communicate() with input for a child that never reads it is no error", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("true", { stdin: PIPE });
      assert.deepEqual(await proc.communicate(new Uint8Array(1024 * 1024)), [null, null]);
      assert.equal(proc.returncode, 0);
    });
  });

  it("passes cwd and env to the child", async () => {
    await run(async () => {
      const dir = realpathSync(tmpdir());
      const proc = await createSubprocessExec("sh", "-c", 'pwd; echo "$GREETING"', {
        stdout: PIPE,
        cwd: dir,
        env: { GREETING: "hi", PATH: process.env.PATH ?? "/usr/bin:/bin" },
      });
      const [out] = await proc.communicate();
      assert.equal(text(out), `${dir}\nhi\n`);
    });
  });

  it("fails with FileNotFoundError naming a program that does not exist", async () => {
    await run(async () => {
      const error = await failure(createSubprocessExec("no-such-program-here"));
      assert.ok(error instanceof FileNotFoundError, String(error));
      assert.equal(error.code, "ENOENT");
      assert.equal(error.message, "[Errno 2] No such file or directory: 'no-such-program-here'");
    });
  });

  it("gives -N as the return code of a process killed by signal N", async () => {
    await run(async () => {
      const killed = await createSubprocessExec("sleep", "100");
      killed.kill();
      assert.equal(await killed.wait(), -9);
      const terminated = await createSubprocessExec("sleep", "100");
      terminated.terminate();
      assert.equal(await terminated.wait(), -15);
      const signalled = await createSubprocessExec("sleep", "100");
      signalled.sendSignal("SIGUSR1");
      assert.equal(await signalled.wait(), -10);
    });
  });

  it("sendSignal() after the process finished throws ProcessLookupError", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("true");
      await proc.wait();
      assert.throws(() => proc.kill(), ProcessLookupError);
    });
  });

  it("rejects bad arguments with clear errors", async () => {
    await run(async () => {
      await assert.rejects(createSubprocessExec(""), TypeError);
      await assert.rejects(
        createSubprocessExec("echo", 42 as unknown as string),
        { message: "Cannot start a process: arguments must be strings, received 42" },
      );
      await assert.rejects(createSubprocessExec("echo", { stdout: -7 }), RangeError);
      await assert.rejects(createSubprocessExec("echo", { stdin: STDOUT }), RangeError);
      await assert.rejects(createSubprocessShell(""), TypeError);
      const proc = await createSubprocessExec("sleep", "100");
      assert.throws(() => proc.sendSignal("SIGNOPE" as "SIGINT"), { code: "ERR_UNKNOWN_SIGNAL" });
      proc.kill();
      await proc.wait();
    });
  });
});

describe("createSubprocessShell", () => {
  it("runs a command line in the shell, exit status included", async () => {
    await run(async () => {
      const proc = await createSubprocessShell("echo $((6 * 7)); exit 3", { stdout: PIPE });
      const [out] = await proc.communicate();
      assert.equal(text(out), "42\n");
      assert.equal(proc.returncode, 3);
    });
  });

  it("reports a command the shell cannot find as return code 127", async () => {
    await run(async () => {
      const proc = await createSubprocessShell("no-such-command-here", { stderr: DEVNULL });
      assert.equal(await proc.wait(), 127);
    });
  });
});

describe("cancelling process waits", () => {
  it("a cancelled wait() leaves the process running", async () => {
    await run(async () => {
      const proc = await createSubprocessExec("sleep", "100");
      const waiter = createTask(() => proc.wait());
      await yields(1);
      waiter.cancel();
      await assert.rejects(waiter, CancelledError);
      assert.equal(proc.returncode, null);
      proc.kill();
      assert.equal(await proc.wait(), -9);
    });
  });

  it("communicate() under waitFor times out, and the output read so far stays in the reader", async () => {
    await runVirtual(async () => {
      const proc = await createSubprocessExec(
        "sh",
        "-c",
        "echo partial; echo written >&2; exec sleep 100",
        { stdout: PIPE, stderr: PIPE },
      );
      // Once stderr says so, "partial" is in the stdout pipe: it cannot be
      // lost to the kill below, only to a communicate() that took it.
      assert.equal(text(await proc.stderr!.readline()), "written\n");
      await assert.rejects(waitFor(proc.communicate(), 5), TimeoutError);
      proc.kill();
      assert.equal(text(await proc.stdout!.read()), "partial\n");
      assert.equal(await proc.wait(), -9);
    });
  });

  it("readline() on a silent child times out under waitFor", async () => {
    await runVirtual(async () => {
      const proc = await createSubprocessExec("sleep", "100", { stdout: PIPE });
      await assert.rejects(waitFor(proc.stdout!.readline(), 5), TimeoutError);
      proc.kill();
      await proc.wait();
    });
  });
});

describe("examples/subprocess.ts", () => {
  it("reads five lines, stops the ticker, and times out and kills the silent program", async () => {
    await run(async () => {
      const [exec, args] = programCommand("examples/subprocess", [
        "--allow-run=sh,sleep",
        "--allow-env",
      ]);
      const proc = await createSubprocessExec(exec, ...args, {
        stdout: PIPE,
        stderr: PIPE,
        cwd: repositoryRoot,
      });
      const [out, err] = await waitFor(proc.communicate(), 60);
      assert.equal(text(err), "");
      assert.deepEqual(text(out).trimEnd().split("\n"), [
        "got: tick 0",
        "got: tick 1",
        "got: tick 2",
        "got: tick 3",
        "got: tick 4",
        "ticker stopped, returncode -15",
        "silent program: no line within 0.5 s",
        "silent program killed, returncode -9",
      ]);
      assert.equal(proc.returncode, 0);
    });
  });
});
