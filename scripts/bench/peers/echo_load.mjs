// B9's load generator, the same for every server under test: a raw
// node:net client. `load`: C connections, each sends a message of S bytes
// and waits for all of it to come back, R times; prints the elapsed time as
// JSON. `idle`: opens C connections, prints "open", holds them until stdin
// closes.
//
//   node echo_load.mjs load PORT C R S
//   node echo_load.mjs idle PORT C
import net from "node:net";
import process from "node:process";

const [mode, port, connections, rounds, size] = process.argv.slice(2).map((arg, i) =>
  i === 0 ? arg : Number(arg)
);

function connect() {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => resolve(socket));
    socket.once("error", reject);
  });
}

function roundTrips(socket, message, count) {
  return new Promise((resolve, reject) => {
    let received = 0;
    let left = count;
    socket.on("data", (chunk) => {
      received += chunk.length;
      while (received >= message.length) {
        received -= message.length;
        if (--left === 0) {
          socket.end();
          resolve();
          return;
        }
        socket.write(message);
      }
    });
    socket.on("error", reject);
    socket.write(message);
  });
}

const sockets = [];
for (let i = 0; i < connections; i++) sockets.push(await connect());
if (mode === "idle") {
  console.log("open");
  process.stdin.resume();
  process.stdin.on("end", () => {
    for (const socket of sockets) socket.destroy();
  });
} else {
  const message = Buffer.alloc(size, 120);
  const start = performance.now();
  await Promise.all(sockets.map((socket) => roundTrips(socket, message, rounds)));
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ seconds, roundTrips: connections * rounds }));
}
