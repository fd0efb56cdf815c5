/**
 * The TCP echo server of Python's asyncio streams documentation: each
 * client sends one message, the server prints it and sends it back.
 *
 * Run: `deno run --allow-net=127.0.0.1 examples/echo_server.ts [port]`
 * (default port 8888; 0 picks a free one), then
 * `deno run --allow-net=127.0.0.1 examples/echo_client.ts [port]`.
 * Ctrl-C stops the server.
 *
 * @module
 */

import process from "node:process";
import {
  KeyboardInterrupt,
  run,
  startServer,
  type StreamReader,
  type StreamWriter,
} from "../mod.ts";

async function handleEcho(reader: StreamReader, writer: StreamWriter): Promise<void> {
  const data = await reader.read(100);
  const message = new TextDecoder().decode(data);
  const [host, port] = writer.getExtraInfo("peername") as [string, number];
  console.log(`Received ${JSON.stringify(message)} from ${host}:${port}`);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(data);
  await writer.drain();

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

async function main(): Promise<void> {
  const port = Number(process.argv[2] ?? 8888);
  await using server = await startServer(handleEcho, "127.0.0.1", port);
  const addresses = server.sockets.map(({ host, port }) => `${host}:${port}`).join(", ");
  console.log(`Serving on ${addresses}`);
  await server.serveForever();
}

try {
  await run(main);
} catch (error) {
  if (!(error instanceof KeyboardInterrupt)) throw error;
  console.log("Server stopped");
}
