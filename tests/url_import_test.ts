/**
 * The library imported from a URL, as Deno users can: the repository is served
 * over a loopback HTTP server and the examples run with
 * `deno run http://127.0.0.1:PORT/examples/...`.
 *
 * No permission flag is needed: a remote main module may import from its own
 * origin (code from another host would need `--allow-import=HOST:PORT`), and
 * the executor starts its Workers from a `data:` URL, which needs none.
 *
 * The child runs in an empty directory with its own DENO_DIR, so that no
 * deno.json or deno.lock of ours applies and the shared cache is untouched.
 */

import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve, sep } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const SKIP = "Deno" in globalThis
  ? false
  : "runs `deno run` on an http: URL; Node and Bun cannot import modules from http: URLs";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const TYPES: Record<string, string> = {
  ".ts": "application/typescript; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
};
/** Bound for each example run; the server closes when the test ends anyway. */
const RUN_TIMEOUT_MS = 30_000;

interface Served {
  origin: string;
  /** Paths the child fetched, in order. */
  requests: string[];
  close(): Promise<void>;
}

/** Serves the repository's files read-only on 127.0.0.1 and an ephemeral port. */
async function serveRepository(): Promise<Served> {
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    const file = resolve(ROOT, `.${pathname}`);
    const type = TYPES[file.slice(file.lastIndexOf("."))];
    requests.push(pathname);
    if (req.method !== "GET" || !file.startsWith(ROOT.endsWith(sep) ? ROOT : ROOT + sep) || !type) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, { "content-type": type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  assert.ok(address && typeof address === "object");
  return {
    origin: `http://127.0.0.1:${address.port}`,
    requests,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `deno run <url>` with no flags, in an empty directory with a fresh DENO_DIR. */
async function denoRun(url: string): Promise<RunResult> {
  const dir = await mkdtemp(join(tmpdir(), "asyncio-ts-url-"));
  try {
    return await new Promise<RunResult>((ok) => {
      execFile(
        process.execPath, // the deno binary running this test
        ["run", url],
        {
          cwd: dir,
          env: { ...process.env, DENO_DIR: join(dir, "deno_dir"), NO_COLOR: "1" },
          timeout: RUN_TIMEOUT_MS,
        },
        (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : null) : 0;
          ok({ code, stdout, stderr });
        },
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The example's stdout lines without the leading `time.ctime()`-style timestamps. */
function messages(stdout: string): string[] {
  return stdout.trim().split("\n").map((line) => line.replace(/^.*?(?=Hello|Goodbye)/, ""));
}

function assertRan(result: RunResult): void {
  assert.equal(
    result.code,
    0,
    `deno run exited with ${result.code}\n--- stdout\n${result.stdout}\n--- stderr\n${result.stderr}`,
  );
}

describe("importing from a URL", () => {
  it("runs examples/quickstart.ts from http://127.0.0.1", { skip: SKIP }, async () => {
    const served = await serveRepository();
    try {
      const result = await denoRun(`${served.origin}/examples/quickstart.ts`);
      assertRan(result);
      assert.deepEqual(messages(result.stdout), ["Hello!", "Goodbye!"]);
      assert.ok(served.requests.includes("/mod.ts"), `mod.ts was not fetched: ${served.requests}`);
    } finally {
      await served.close();
    }
  });

  it(
    "runs examples/quickstart_exe.ts, whose job runs on a Worker",
    { skip: SKIP },
    async () => {
      const served = await serveRepository();
      try {
        const result = await denoRun(`${served.origin}/examples/quickstart_exe.ts`);
        assertRan(result);
        const lines = messages(result.stdout);
        assert.deepEqual(
          [...lines].sort(),
          ["Goodbye!", "Hello from a thread!", "Hello!"],
          `unexpected output:\n${result.stdout}`,
        );
        assert.equal(lines[0], "Hello!");
      } finally {
        await served.close();
      }
    },
  );
});
