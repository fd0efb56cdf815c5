/**
 * A line-based chat over TCP. Each client first sends its name, then every
 * line it sends goes to every other client as `name: line`.
 *
 * Each client runs as a TaskGroup of two tasks: one reads its lines and
 * hands them to the other clients' queues, one sends what arrives in its own
 * queue. A client too slow to take its messages (its queue fills up) is
 * disconnected instead of slowing the others. Ctrl-C stops the server: each
 * client is told, its queue is drained, its connection closed, and the
 * program waits for every handler before it exits.
 *
 * Run: `deno run --allow-net=127.0.0.1 examples/chat_server.ts [port]`
 * (default port 8888; 0 picks a free one), then connect with
 * `nc 127.0.0.1 8888` from two terminals.
 *
 * @module
 */

import process from "node:process";
import {
  KeyboardInterrupt,
  Queue,
  QueueFull,
  run,
  startServer,
  type StreamReader,
  type StreamWriter,
  taskGroup,
} from "../mod.ts";

const decoder = new TextDecoder();
/** The queue of messages waiting to be sent to each client, by name. */
const subscribers = new Map<string, Queue<string>>();

/** Hand `message` to every client but `from`; drop a client whose queue is full. */
function broadcast(message: string, from: string | null): void {
  for (const [name, queue] of subscribers) {
    // A client on its way out (its queue shut down) gets nothing more.
    if (name === from || queue.state === "shutdown") continue;
    try {
      queue.putNowait(message);
    } catch (error) {
      if (!(error instanceof QueueFull)) throw error;
      console.log(`${name} is too slow: disconnecting`);
      queue.shutdown(true);
    }
  }
}

/** Send what arrives in `queue` until it is shut down, then close the connection. */
async function sendMessages(queue: Queue<string>, writer: StreamWriter): Promise<void> {
  try {
    for await (const message of queue) {
      writer.write(`${message}\n`);
      await writer.drain();
      queue.taskDone();
    }
  } finally {
    writer.close();
  }
}

async function handleClient(reader: StreamReader, writer: StreamWriter): Promise<void> {
  writer.write("Your name? ");
  const name = decoder.decode(await reader.readline()).trim();
  if (name === "" || subscribers.has(name)) {
    writer.write("That name is taken.\n");
    writer.close();
    return;
  }
  const queue = new Queue<string>(100);
  subscribers.set(name, queue);
  broadcast(`* ${name} joined`, name);
  console.log(`${name} joined`);
  try {
    await taskGroup((tg) => {
      tg.createTask(() => sendMessages(queue, writer));
      tg.createTask(async () => {
        for await (const line of reader) {
          broadcast(`${name}: ${decoder.decode(line).trimEnd()}`, name);
        }
        // The client hung up: stop sending to it.
        queue.shutdown(true);
      });
    });
  } finally {
    subscribers.delete(name);
    broadcast(`* ${name} left`, name);
    console.log(`${name} left`);
  }
}

async function main(): Promise<void> {
  const server = await startServer(handleClient, "127.0.0.1", Number(process.argv[2] ?? 8888));
  console.log(`Chat server on 127.0.0.1:${server.sockets[0].port}`);
  try {
    await server.serveForever();
  } finally {
    console.log("Shutting down");
    server.close();
    // Each sender sends what is queued, this message last, then closes its
    // connection; the client's reader then ends, and so does its handler.
    for (const queue of subscribers.values()) {
      queue.putNowait("* the server is shutting down");
      queue.shutdown();
    }
    await server.waitClosed();
  }
}

try {
  await run(main);
} catch (error) {
  if (!(error instanceof KeyboardInterrupt)) throw error;
  console.log("Chat server stopped");
}
