/**
 * Driving another program: read its output line by line, each line with a
 * timeout, stop it when done; and a program that stays silent, timed out
 * and killed.
 *
 * Run: `deno run --allow-run=sh,sleep --allow-env examples/subprocess.ts`
 * (Deno's `node:child_process` reads the environment to pass it on).
 *
 * @module
 */

import { createSubprocessExec, PIPE, run, TimeoutError, waitFor } from "../mod.ts";

const decoder = new TextDecoder();

async function main(): Promise<void> {
  // A program that prints a line every 0.1 s, forever.
  const ticker = await createSubprocessExec(
    "sh",
    "-c",
    "i=0; while true; do echo tick $i; i=$((i+1)); sleep 0.1; done",
    { stdout: PIPE },
  );
  for (let i = 0; i < 5; i++) {
    const line = await waitFor(ticker.stdout!.readline(), 5);
    console.log(`got: ${decoder.decode(line).trimEnd()}`);
  }
  ticker.terminate();
  console.log(`ticker stopped, returncode ${await ticker.wait()}`); // -15: SIGTERM

  // A program that prints nothing: the read times out, then it is killed.
  const silent = await createSubprocessExec("sleep", "60", { stdout: PIPE });
  try {
    await waitFor(silent.stdout!.readline(), 0.5);
  } catch (error) {
    if (!(error instanceof TimeoutError)) throw error;
    console.log("silent program: no line within 0.5 s");
  }
  silent.kill();
  console.log(`silent program killed, returncode ${await silent.wait()}`); // -9: SIGKILL
}

await run(main);
