/**
 * The TCP echo client of Python's asyncio streams documentation: send one
 * message to `examples/echo_server.ts` and print the answer.
 *
 * Run: `deno run --allow-net=127.0.0.1 examples/echo_client.ts [port] [message]`
 * (default port 8888).
 *
 * @module
 */

import process from "node:process";
import { openConnection, run } from "../mod.ts";

async function tcpEchoClient(message: string, port: number): Promise<void> {
  const [reader, writer] = await openConnection("127.0.0.1", port);

  console.log(`Send: ${JSON.stringify(message)}`);
  writer.write(message);
  await writer.drain();

  const data = await reader.read(100);
  console.log(`Received: ${JSON.stringify(new TextDecoder().decode(data))}`);

  console.log("Close the connection");
  writer.close();
  await writer.waitClosed();
}

await run(() => tcpEchoClient(process.argv[3] ?? "Hello World!", Number(process.argv[2] ?? 8888)));
