// asyncio-ts streams against real CPython asyncio (`python3` on PATH), both
// ways: a Python client driving an asyncio-ts server, and an asyncio-ts
// client talking to a Python server.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createSubprocessExec, openConnection, PIPE, run, startServer, waitFor } from "../mod.ts";

const decoder = new TextDecoder();
const text = (bytes: Uint8Array | null) => decoder.decode(bytes!);
const scripts = fileURLToPath(new URL("./fixtures/python/", import.meta.url));

// Checked once, synchronously, so that the suite can be skipped with the reason.
const probe = spawnSync("python3", ["--version"], { encoding: "utf8" });
const noPython = probe.error !== undefined || probe.status !== 0
  ? "python3 is not on PATH: the interoperability tests need CPython's asyncio"
  : false;
if (noPython) console.log(`skipping CPython interoperability tests: ${noPython}`);

describe("interoperability with CPython asyncio", { skip: noPython }, () => {
  it("a Python asyncio client drives an asyncio-ts server", async () => {
    await run(async () => {
      const server = await startServer(
        async (reader, writer) => {
          writer.write(await reader.readline());
          await writer.drain();
          const header = await reader.readexactly(4);
          const size = new DataView(header.buffer, header.byteOffset).getUint32(0);
          const body = await reader.readexactly(size);
          writer.write(createHash("sha256").update(body).digest());
          await writer.drain();
          const rest = await reader.read();
          writer.write(`got ${JSON.stringify(text(rest))} then EOF`);
          writer.close();
          await writer.waitClosed();
        },
        "127.0.0.1",
        0,
      );
      const client = await createSubprocessExec(
        "python3",
        `${scripts}client.py`,
        String(server.sockets[0].port),
        { stdout: PIPE, stderr: PIPE },
      );
      const [out, err] = await waitFor(client.communicate(), 60);
      assert.equal(text(err), "");
      assert.equal(client.returncode, 0);
      assert.deepEqual(JSON.parse(text(out)), {
        line: "hello from python\n",
        digest_matches: true,
        after_eof: 'got "the rest" then EOF',
      });
      server.close();
      await server.waitClosed();
    });
  });

  it("an asyncio-ts client talks to a Python asyncio server", async () => {
    await run(async () => {
      const python = await createSubprocessExec("python3", `${scripts}echo_upper_server.py`, {
        stdout: PIPE,
        stderr: PIPE,
      });
      const port = Number(text(await waitFor(python.stdout!.readline(), 60)));
      const [reader, writer] = await openConnection("127.0.0.1", port);
      const lines = ["first line\n", "x".repeat(50_000) + "\n", "last\n"];
      writer.writelines(lines);
      await writer.drain();
      assert.equal(text(await reader.readline()), "FIRST LINE\n");
      writer.writeEof();
      const rest = [];
      for await (const line of reader) rest.push(text(line));
      assert.deepEqual(rest, ["X".repeat(50_000) + "\n", "LAST\n", "END\n"]);
      writer.close();
      await writer.waitClosed();
      const [, err] = await waitFor(python.communicate(), 60);
      assert.equal(text(err), "");
      assert.equal(python.returncode, 0);
    });
  });
});
