/**
 * The echo servers of B9 on this runtime: `ours` (asyncio-ts streams) and
 * `floor` (a raw `node:net` server). Each prints its port, then serves until
 * it is killed; `echo.ts` measures its CPU time from outside.
 *
 *     deno run -A scripts/bench/echo_servers.ts ours|floor
 *     node npm/scripts/bench/echo_servers.js ours|floor
 *
 * Runtime-neutral, like the workloads.
 *
 * @module
 */

import net from "node:net";
import process from "node:process";
import { run, startServer, type StreamReader, type StreamWriter } from "../../mod.ts";

/** Python's echo loop: read what is there, write it back, drain. */
async function echo(reader: StreamReader, writer: StreamWriter): Promise<void> {
  for (;;) {
    const data = await reader.read(65536);
    if (data.length === 0) break;
    writer.write(data);
    await writer.drain();
  }
  writer.close();
}

const kind = process.argv[2];
if (kind === "ours") {
  await run(async () => {
    const server = await startServer(echo, "127.0.0.1", 0, { backlog: 1024 });
    console.log(server.sockets[0].port);
    await server.serveForever();
  });
} else if (kind === "floor") {
  const server = net.createServer((socket) => {
    socket.on("data", (data) => socket.write(data));
    socket.on("end", () => socket.end());
    socket.on("error", () => socket.destroy());
  });
  server.listen({ host: "127.0.0.1", port: 0, backlog: 1024 }, () => {
    console.log((server.address() as net.AddressInfo).port);
  });
} else {
  console.error("usage: echo_servers.(ts|js) ours|floor");
  process.exitCode = 2;
}
