import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelledError,
  ConnectionRefusedError,
  ConnectionResetError,
  createSubprocessExec,
  createTask,
  Event,
  FileNotFoundError,
  GaiError,
  getRunningLoop,
  IncompleteReadError,
  isFuture,
  LimitOverrunError,
  openConnection,
  openUnixConnection,
  PIPE,
  type Process,
  run,
  RuntimeError,
  Server,
  sleep,
  startServer,
  startUnixServer,
  StreamReader,
  type StreamWriter,
  TimeoutError,
  waitFor,
} from "../mod.ts";
import { captureReports, failure, runVirtual, yields } from "./_virtual.ts";
import { programCommand, repositoryRoot } from "./_subprocess.ts";

const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null) => decoder.decode(bytes!);
const LOCAL = "127.0.0.1";

/** The port a server listens on. */
function portOf(server: Server): number {
  return server.sockets[0].port!;
}

/** A reader holding `data`, EOF fed if `eof`. */
function readerWith(data: string, eof = false, limit?: number): StreamReader {
  const reader = new StreamReader({ limit });
  if (data !== "") reader.feedData(data);
  if (eof) reader.feedEof();
  return reader;
}

describe("StreamReader", () => {
  it("read(n) returns at most n buffered bytes, and read() everything up to EOF", async () => {
    await run(async () => {
      const reader = readerWith("hello world", true);
      assert.equal(text(await reader.read(5)), "hello");
      assert.equal(text(await reader.read(0)), "");
      assert.equal(text(await reader.read()), " world");
      assert.equal((await reader.read()).length, 0);
      assert.equal(reader.atEof(), true);
    });
  });

  it("read(n) waits for data when the buffer is empty, and returns an empty array at EOF", async () => {
    await run(async () => {
      const reader = new StreamReader();
      const pending = reader.read(100);
      assert.equal(pending.done(), false);
      reader.feedData("abc");
      assert.equal(text(await pending), "abc");
      const atEnd = reader.read(100);
      reader.feedEof();
      assert.equal((await atEnd).length, 0);
    });
  });

  it("readline() returns each line with its newline, then what is left at EOF, then nothing", async () => {
    await run(async () => {
      const reader = readerWith("one\ntwo\nrest", true);
      assert.equal(text(await reader.readline()), "one\n");
      assert.equal(text(await reader.readline()), "two\n");
      assert.equal(text(await reader.readline()), "rest");
      assert.equal((await reader.readline()).length, 0);
    });
  });

  it("is an async iterable of its lines", async () => {
    await run(async () => {
      const lines: string[] = [];
      for await (const line of readerWith("a\nb\nc", true)) lines.push(text(line));
      assert.deepEqual(lines, ["a\n", "b\n", "c"]);
    });
  });

  it("readexactly(n) waits for n bytes, and fails with IncompleteReadError at an early EOF", async () => {
    await run(async () => {
      const reader = readerWith("12345");
      const pending = reader.readexactly(8);
      reader.feedData("678");
      assert.equal(text(await pending), "12345678");
      reader.feedData("ab");
      reader.feedEof();
      const error = await failure(reader.readexactly(3));
      assert.ok(error instanceof IncompleteReadError);
      assert.equal(text(error.partial), "ab");
      assert.equal(error.expected, 3);
      assert.equal(error.message, "2 bytes read on a total of 3 expected bytes");
      assert.equal(reader.buffered, 0);
    });
  });

  it("readuntil() with several separators returns the shortest chunk ending in any", async () => {
    await run(async () => {
      const reader = readerWith("a;b\r\nc");
      assert.equal(text(await reader.readuntil(["\r\n", ";"])), "a;");
      assert.equal(text(await reader.readuntil(["\r\n", ";"])), "b\r\n");
    });
  });

  it("readuntil() finds a separator that arrives split across two chunks", async () => {
    await run(async () => {
      const reader = readerWith("data\r");
      const pending = reader.readuntil("\r\n");
      await sleep(0);
      reader.feedData("\nmore");
      assert.equal(text(await pending), "data\r\n");
      assert.equal(reader.buffered, 4);
    });
  });

  it("readuntil() over the limit fails with LimitOverrunError and leaves the data in the buffer", async () => {
    await run(async () => {
      const reader = readerWith("0123456789\n", false, 4);
      const error = await failure(reader.readuntil("\n"));
      assert.ok(error instanceof LimitOverrunError);
      assert.equal(error.message, "Separator is found, but chunk is longer than limit");
      assert.equal(error.consumed, 10);
      assert.equal(text(await reader.read(11)), "0123456789\n");
    });
  });

  it("readuntil() at EOF without the separator fails with IncompleteReadError holding the rest", async () => {
    await run(async () => {
      const reader = readerWith("no end", true);
      const error = await failure(reader.readuntil("\n"));
      assert.ok(error instanceof IncompleteReadError);
      assert.equal(text(error.partial), "no end");
      assert.equal(error.expected, null);
    });
  });

  it("readline() drops a line over the limit and fails, and the next line reads fine", async () => {
    await run(async () => {
      const reader = readerWith("far too long a line\nok\n", false, 8);
      const error = await failure(reader.readline());
      assert.ok(error instanceof LimitOverrunError);
      assert.equal(text(await reader.readline()), "ok\n");
    });
  });

  it("a cancelled readline() leaves its bytes for the next read", async () => {
    await run(async () => {
      const reader = readerWith("hal");
      const first = reader.readline();
      assert.equal(first.cancel(), true);
      assert.equal(reader.buffered, 3);
      reader.feedData("f a line\n");
      assert.equal(text(await reader.readline()), "half a line\n");
    });
  });

  it("readline() under waitFor times out with nothing lost", async () => {
    await runVirtual(async () => {
      const reader = readerWith("partial");
      await assert.rejects(waitFor(reader.readline(), 5), TimeoutError);
      reader.feedData(" line\n");
      assert.equal(text(await reader.readline()), "partial line\n");
    });
  });

  it("a task cancelled in readline() gets CancelledError at once and the next read gets the data", async () => {
    await run(async () => {
      const reader = new StreamReader();
      const task = createTask(() => reader.readline());
      await yields(1);
      task.cancel();
      await assert.rejects(task, CancelledError);
      reader.feedData("x\n");
      assert.equal(text(await reader.readline()), "x\n");
    });
  });

  it("a task cancelled after its read finished, before it resumed, leaves the bytes for the next read", async () => {
    await run(async () => {
      const reader = new StreamReader();
      const task = createTask(() => reader.readline());
      await yields(1);
      reader.feedData("line\nmore");
      // The read is done; the task has not run since: the cancel wins.
      task.cancel();
      await assert.rejects(task, CancelledError);
      assert.equal(text(await reader.readline()), "line\n");
      assert.equal(text(await reader.read(4)), "more");
    });
  });

  it("a timeout that fires in the iteration the read finished loses no line", async () => {
    await runVirtual(async () => {
      const loop = getRunningLoop();
      const reader = new StreamReader();
      // Equal deadlines fire in scheduling order: the line arrives, then
      // the deadline cancels the task before it could resume with it.
      loop.callAt(loop.time() + 5, () => reader.feedData("late\n"));
      await assert.rejects(waitFor(reader.readline(), 5), TimeoutError);
      assert.equal(text(await reader.readline()), "late\n");
    });
  });

  it("every read returns a library Future", async () => {
    await run(async () => {
      const reader = readerWith("a\nbc", true);
      for (const future of [reader.readline(), reader.read(1), reader.readexactly(1)]) {
        assert.ok(isFuture(future));
        await future;
      }
      const failed = reader.readuntil("z");
      assert.ok(isFuture(failed));
      await assert.rejects(failed, IncompleteReadError);
    });
  });

  it("a second read while one waits fails with RuntimeError", async () => {
    await run(async () => {
      const reader = new StreamReader();
      const first = reader.readline();
      const error = await failure(reader.read(1));
      assert.ok(error instanceof RuntimeError);
      assert.equal(
        (error as Error).message,
        "read() called while another coroutine is already waiting for incoming data",
      );
      first.cancel();
    });
  });

  it("setException() fails the waiting read and every later one", async () => {
    await run(async () => {
      const reader = new StreamReader();
      const pending = reader.readline();
      const problem = new ConnectionResetError("gone");
      reader.setException(problem);
      assert.equal(await failure(pending), problem);
      assert.equal(await failure(reader.read()), problem);
    });
  });

  it("rejects bad arguments with clear errors", async () => {
    await run(async () => {
      const reader = new StreamReader();
      await assert.rejects(reader.readexactly(-1), {
        name: "RangeError",
        message: "readexactly size can not be less than zero",
      });
      await assert.rejects(reader.readuntil(""), {
        message: "Separator should be at least one-byte string",
      });
      await assert.rejects(reader.readuntil([]), {
        message: "Separator should contain at least one element",
      });
      await assert.rejects(reader.read(1.5), TypeError);
      assert.throws(() => new StreamReader({ limit: 0 }), RangeError);
      assert.throws(() => reader.feedData(42 as unknown as string), TypeError);
    });
  });

  it("pauses its transport above twice the limit and resumes once read down to the limit", async () => {
    await run(async () => {
      const reader = new StreamReader({ limit: 4 });
      const calls: string[] = [];
      reader._setTransport({
        pause: () => calls.push("pause"),
        resume: () => calls.push("resume"),
      });
      reader.feedData("12345678");
      assert.deepEqual(calls, []);
      reader.feedData("9");
      assert.deepEqual(calls, ["pause"]);
      await reader.read(5);
      assert.deepEqual(calls, ["pause", "resume"]);
    });
  });
});

/** Start an echo server (line by line), run `body` with its port, close it. */
async function withEchoServer(body: (port: number, server: Server) => Promise<void>) {
  const server = await startServer(
    async (reader, writer) => {
      for await (const line of reader) {
        writer.write(line);
        await writer.drain();
      }
      writer.close();
    },
    LOCAL,
    0,
  );
  try {
    await body(portOf(server), server);
  } finally {
    server.close();
    server.closeClients();
    await server.waitClosed();
  }
}

async function closeWriter(writer: StreamWriter): Promise<void> {
  writer.close();
  await writer.waitClosed();
}

describe("openConnection and startServer", () => {
  it("exchange lines over loopback, and name both ends", async () => {
    await run(async () => {
      await withEchoServer(async (port) => {
        const [reader, writer] = await openConnection(LOCAL, port);
        writer.writelines(["one\n", "two\n"]);
        await writer.drain();
        assert.equal(text(await reader.readline()), "one\n");
        assert.equal(text(await reader.readline()), "two\n");
        assert.deepEqual(writer.getExtraInfo("peername"), [LOCAL, port]);
        assert.equal((writer.getExtraInfo("sockname") as [string, number])[0], LOCAL);
        assert.equal(writer.getExtraInfo("peercert", "none"), "none");
        assert.equal(writer.canWriteEof(), true);
        await closeWriter(writer);
        assert.equal(writer.isClosing(), true);
      });
    });
  });

  it("writeEof() half-closes: the server sees EOF and can still answer", async () => {
    await run(async () => {
      const server = await startServer(
        async (reader, writer) => {
          const all = await reader.read();
          writer.write(`got ${all.length} bytes`);
          writer.close();
        },
        LOCAL,
        0,
      );
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      writer.write("12345");
      writer.writeEof();
      assert.equal(text(await reader.read()), "got 5 bytes");
      assert.throws(() => writer.write("more"), {
        message: "Cannot call write() after write_eof()",
      });
      await closeWriter(writer);
      server.close();
      await server.waitClosed();
    });
  });

  it("write() after close() throws RuntimeError", async () => {
    await run(async () => {
      await withEchoServer(async (port) => {
        const [, writer] = await openConnection(LOCAL, port);
        writer.close();
        assert.throws(() => writer.write("late"), RuntimeError);
        await writer.waitClosed();
      });
    });
  });

  it("drain() waits while the peer does not read, and returns once it does", async () => {
    await run(async () => {
      const go = new Event();
      let received = 0;
      const server = await startServer(
        async (reader, writer) => {
          await go.wait();
          received = (await reader.read()).length;
          writer.close();
        },
        LOCAL,
        0,
      );
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      // More than the kernel buffers while the server reads nothing (its reader
      // pauses reading at twice its limit).
      const chunk = new Uint8Array(24 * 1024 * 1024);
      writer.write(chunk);
      const drained = writer.drain();
      await yields(3);
      assert.equal(drained.done(), false);
      go.set();
      await drained;
      writer.writeEof();
      assert.equal((await reader.read()).length, 0);
      assert.equal(received, chunk.length);
      await closeWriter(writer);
      server.close();
      await server.waitClosed();
    });
  });

  it("a silent client makes the server's read time out, on a virtual clock", async () => {
    await runVirtual(async () => {
      const outcome: string[] = [];
      const server = await startServer(
        async (reader, writer) => {
          try {
            await waitFor(reader.readline(), 30);
          } catch (error) {
            outcome.push((error as Error).name);
          }
          writer.write("bye\n");
          writer.close();
        },
        LOCAL,
        0,
      );
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      assert.equal(text(await reader.readline()), "bye\n");
      assert.deepEqual(outcome, ["TimeoutError"]);
      await closeWriter(writer);
      server.close();
      await server.waitClosed();
    });
  });

  it("a peer that resets the connection gives the reader ConnectionResetError", async () => {
    await run(async () => {
      const connected = new Event();
      const server = await startServer(() => connected.set(), LOCAL, 0);
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      await connected.wait();
      const reading = reader.readline();
      server.abortClients();
      const error = await failure(reading);
      assert.ok(error instanceof ConnectionResetError, String(error));
      assert.equal(error.code, "ECONNRESET");
      await assert.rejects(writer.drain(), ConnectionResetError);
      writer.close();
      server.close();
      await server.waitClosed();
    });
  });

  it("a refused connection fails with ConnectionRefusedError naming the address", async () => {
    await run(async () => {
      const server = await startServer(() => {}, LOCAL, 0);
      const port = portOf(server);
      server.close();
      await server.waitClosed();
      const error = await failure(openConnection(LOCAL, port));
      assert.ok(error instanceof ConnectionRefusedError);
      assert.equal(error.code, "ECONNREFUSED");
      assert.equal(error.message, `[Errno 111] Connect call failed ('${LOCAL}', ${port})`);
    });
  });

  it("rejects a port out of range, and an unknown host with GaiError", async () => {
    await run(async () => {
      await assert.rejects(openConnection(LOCAL, 70000), {
        name: "RangeError",
        message: "Cannot connect: port must be an integer from 0 to 65535, received 70000",
      });
      await assert.rejects(startServer(() => {}, LOCAL, -1), RangeError);
      await assert.rejects(startServer("nope" as unknown as () => void, LOCAL, 0), TypeError);
      const error = await failure(openConnection("no-such-host.invalid", 80));
      assert.ok(error instanceof GaiError, String(error));
    });
  });

  it("a connect cancelled before it completes leaves no open socket", async () => {
    await run(async () => {
      const seen: number[] = [];
      const server = await startServer(
        async (reader) => {
          seen.push((await reader.read()).length);
        },
        LOCAL,
        0,
      );
      const connecting = openConnection(LOCAL, portOf(server));
      assert.equal(connecting.cancel(), true);
      await assert.rejects(connecting, CancelledError);
      server.close();
      // Whether or not the kernel accepted it first, the connection ends.
      await server.waitClosed();
      assert.ok(seen.every((length) => length === 0));
    });
  });

  it("a port already in use fails with an OSError carrying EADDRINUSE", async () => {
    await run(async () => {
      const server = await startServer(() => {}, LOCAL, 0);
      const error = await failure(startServer(() => {}, LOCAL, portOf(server)));
      assert.equal((error as { code?: string }).code, "EADDRINUSE");
      assert.match((error as Error).message, /error while attempting to bind on address/);
      server.close();
      await server.waitClosed();
    });
  });
});

describe("Server", () => {
  it("waitClosed() waits until every handler task has ended", async () => {
    await run(async () => {
      const started = new Event();
      const release = new Event();
      const order: string[] = [];
      const server = await startServer(
        async (_reader, writer) => {
          started.set();
          await release.wait();
          order.push("handler done");
          writer.close();
        },
        LOCAL,
        0,
      );
      const [, writer] = await openConnection(LOCAL, portOf(server));
      await started.wait();
      server.close();
      assert.equal(server.isServing(), false);
      assert.deepEqual(server.sockets, []);
      const closed = server.waitClosed();
      await yields(3);
      assert.equal(closed.done(), false);
      release.set();
      await closed;
      order.push("closed");
      assert.deepEqual(order, ["handler done", "closed"]);
      await closeWriter(writer);
    });
  });

  it("closeClients() closes the open connections: the clients read EOF", async () => {
    await run(async () => {
      const connected = new Event();
      const server = await startServer(() => connected.set(), LOCAL, 0);
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      await connected.wait();
      server.close();
      server.closeClients();
      assert.equal((await reader.read()).length, 0);
      await server.waitClosed();
      await closeWriter(writer);
    });
  });

  it("serveForever() runs until cancelled, then the server is closed", async () => {
    await run(async () => {
      const server = await startServer(() => {}, LOCAL, 0, { startServing: false });
      assert.equal(server.isServing(), false);
      const serving = createTask(() => server.serveForever());
      await yields(2);
      assert.equal(server.isServing(), true);
      await assert.rejects(server.serveForever(), RuntimeError);
      serving.cancel();
      await assert.rejects(serving, CancelledError);
      assert.equal(server.isServing(), false);
      await server.waitClosed();
      await assert.rejects(server.serveForever(), { message: /is closed/ });
    });
  });

  it("with startServing false, holds clients until startServing()", async () => {
    await run(async () => {
      const served: string[] = [];
      const server = await startServer(
        async (reader, writer) => {
          served.push(text(await reader.readline()));
          writer.close();
        },
        LOCAL,
        0,
        { startServing: false },
      );
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      writer.write("early\n");
      await yields(5);
      assert.deepEqual(served, []);
      server.startServing();
      assert.equal((await reader.read()).length, 0);
      assert.deepEqual(served, ["early\n"]);
      await closeWriter(writer);
      server.close();
      await server.waitClosed();
    });
  });

  it("reports a handler's error and closes its connection", async () => {
    await run(async () => {
      const reports = captureReports(getRunningLoop());
      const server = await startServer(() => Promise.reject(new Error("handler broke")), LOCAL, 0);
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      assert.equal((await reader.read()).length, 0);
      server.close();
      await server.waitClosed();
      assert.equal(reports.length, 1);
      assert.equal(reports[0].message, "Unhandled exception in client_connected_cb");
      assert.equal((reports[0].exception as Error).message, "handler broke");
      await closeWriter(writer);
    });
  });

  it("await using closes it and waits for it", async () => {
    await run(async () => {
      let outside: Server;
      {
        await using server = await startServer(() => {}, LOCAL, 0);
        outside = server;
        assert.equal(server.isServing(), true);
      }
      assert.equal(outside.isServing(), false);
      assert.equal(String(outside), "<Server closed>");
    });
  });

  it("run() cancels handler tasks still running when main returns", async () => {
    let cancelled = false;
    const started = new Event();
    await run(async () => {
      const server = await startServer(
        async (reader) => {
          started.set();
          try {
            await reader.read();
          } catch (error) {
            cancelled = error instanceof CancelledError;
            throw error;
          }
        },
        LOCAL,
        0,
      );
      const [, writer] = await openConnection(LOCAL, portOf(server));
      await started.wait();
      server.close();
      writer.close();
    });
    assert.equal(cancelled, true);
  });
});

describe("Unix sockets", () => {
  it("startUnixServer and openUnixConnection exchange bytes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "asyncio-ts-"));
    try {
      await run(async () => {
        const path = join(dir, "echo.sock");
        const server = await startUnixServer(async (reader, writer) => {
          writer.write(await reader.readexactly(4));
          writer.close();
        }, path);
        assert.deepEqual(server.sockets, [{ path }]);
        const [reader, writer] = await openUnixConnection(path);
        writer.write("ping");
        assert.equal(text(await reader.read()), "ping");
        await closeWriter(writer);
        server.close();
        await server.waitClosed();
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("openUnixConnection to a missing path fails with FileNotFoundError", async () => {
    await run(async () => {
      const error = await failure(openUnixConnection(join(tmpdir(), "asyncio-ts-missing.sock")));
      assert.ok(error instanceof FileNotFoundError, String(error));
      assert.equal(error.code, "ENOENT");
    });
  });
});

describe("TLS", () => {
  const fixtures = new URL("./fixtures/tls/", import.meta.url);
  const key = readFileSync(new URL("key.pem", fixtures));
  const cert = readFileSync(new URL("cert.pem", fixtures));

  it("a TLS client talks to a TLS server and sees its certificate", async () => {
    await run(async () => {
      const server = await startServer(
        async (reader, writer) => {
          writer.write(await reader.readline());
          writer.close();
        },
        LOCAL,
        0,
        { ssl: { key, cert } },
      );
      const [reader, writer] = await openConnection("localhost", portOf(server), {
        ssl: { ca: cert },
      });
      assert.equal(writer.canWriteEof(), false);
      writer.write("secret\n");
      assert.equal(text(await reader.readline()), "secret\n");
      const peer = writer.getExtraInfo("peercert") as { subject: { CN: string } };
      assert.equal(peer.subject.CN, "localhost");
      await closeWriter(writer);
      server.close();
      await server.waitClosed();
    });
  });

  it("a certificate the client does not trust fails the connect", async () => {
    await run(async () => {
      const server = await startServer(() => {}, LOCAL, 0, { ssl: { key, cert } });
      await assert.rejects(openConnection("localhost", portOf(server), { ssl: true }));
      server.close();
      server.abortClients();
      await server.waitClosed();
    });
  });

  it("startTls() upgrades a plain connection on both sides", async () => {
    await run(async () => {
      const server = await startServer(
        async (reader, writer) => {
          assert.equal(text(await reader.readline()), "STARTTLS\n");
          writer.write("GO\n");
          await writer.startTls({ serverSide: true, key, cert });
          writer.write(await reader.readline());
          writer.close();
        },
        LOCAL,
        0,
      );
      const [reader, writer] = await openConnection(LOCAL, portOf(server));
      writer.write("STARTTLS\n");
      assert.equal(text(await reader.readline()), "GO\n");
      await writer.startTls({ ca: cert, serverHostname: "localhost" });
      writer.write("inside\n");
      assert.equal(text(await reader.readline()), "inside\n");
      assert.ok(writer.getExtraInfo("cipher"));
      await closeWriter(writer);
      server.close();
      await server.waitClosed();
    });
  });
});

describe("the stream examples", () => {
  const NET = ["--allow-net=127.0.0.1"];

  /** Start `examples/<name>` with port 0 and read the port from its first line. */
  async function startExample(name: string) {
    const [exec, args] = programCommand(`examples/${name}`, NET);
    const proc = await createSubprocessExec(exec, ...args, "0", {
      stdout: PIPE,
      stderr: PIPE,
      cwd: repositoryRoot,
    });
    const first = text(await waitFor(proc.stdout!.readline(), 60));
    const port = Number(/127\.0\.0\.1:(\d+)/.exec(first)?.[1]);
    assert.ok(port > 0, first);
    return { proc, port };
  }

  /** Stop `proc` with SIGINT; return what it printed after and its return code. */
  async function interrupt(proc: Process): Promise<[string[], number]> {
    proc.sendSignal("SIGINT");
    const [out, err] = await waitFor(proc.communicate(), 60);
    assert.equal(text(err), "");
    return [text(out).trimEnd().split("\n"), proc.returncode!];
  }

  it("echo_server.ts answers echo_client.ts, and stops cleanly on SIGINT", async () => {
    await run(async () => {
      const { proc: server, port } = await startExample("echo_server");
      const [exec, args] = programCommand("examples/echo_client", NET);
      const client = await createSubprocessExec(exec, ...args, String(port), "Hello World!", {
        stdout: PIPE,
        cwd: repositoryRoot,
      });
      const [clientOut] = await waitFor(client.communicate(), 60);
      assert.deepEqual(text(clientOut).trimEnd().split("\n"), [
        'Send: "Hello World!"',
        'Received: "Hello World!"',
        "Close the connection",
      ]);
      assert.equal(client.returncode, 0);
      // The server printed its three lines before the client saw the answer.
      const [lines, code] = await interrupt(server);
      assert.match(lines[0], /^Received "Hello World!" from 127\.0\.0\.1:\d+$/);
      assert.deepEqual(lines.slice(1), [
        'Send: "Hello World!"',
        "Close the connection",
        "Server stopped",
      ]);
      assert.equal(code, 0);
    });
  });

  it("chat_server.ts relays lines between clients and says goodbye on SIGINT", async () => {
    await run(async () => {
      const { proc: server, port } = await startExample("chat_server");
      const join = async (name: string) => {
        const [reader, writer] = await openConnection(LOCAL, port);
        assert.equal(text(await reader.readuntil("? ")), "Your name? ");
        writer.write(`${name}\n`);
        return [reader, writer] as const;
      };
      const [alice, aliceWriter] = await join("alice");
      assert.equal(text(await server.stdout!.readline()), "alice joined\n");
      const [bob, bobWriter] = await join("bob");
      assert.equal(text(await alice.readline()), "* bob joined\n");
      bobWriter.write("hi all\n");
      assert.equal(text(await alice.readline()), "bob: hi all\n");
      const [lines, code] = await interrupt(server);
      assert.equal(text(await alice.read()), "* the server is shutting down\n");
      assert.equal(text(await bob.read()), "* the server is shutting down\n");
      assert.deepEqual(lines.slice(0, 2), ["bob joined", "Shutting down"]);
      assert.equal(lines.at(-1), "Chat server stopped");
      assert.equal(code, 0);
      await closeWriter(aliceWriter);
      await closeWriter(bobWriter);
    });
  });
});
