// Running Deno programs in a child process, for tests of whole programs.
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The Deno executable when the tests run under Deno, else undefined. */
export const denoPath: string | undefined = (globalThis as { Deno?: { execPath(): string } }).Deno
  ?.execPath();

/** Why a test that needs Deno is skipped on this runtime (false under Deno). */
export const needsDeno: string | false = denoPath === undefined
  ? "runs a program with the Deno executable; this runtime is not Deno"
  : false;

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `deno <args>` from the repository root and collect its output. */
export function runDeno(args: string[], timeoutMs = 60_000): Promise<Finished> {
  const root = new URL("..", import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(denoPath!, args, {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += chunk));
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/**
 * The command that runs one of the project's programs (`examples/x`,
 * without extension) on the runtime running the tests: `deno run <flags>
 * x.ts` under Deno (only the permissions in `denoFlags`), `node x.js` in the
 * npm build. Run it from `repositoryRoot`.
 */
export function programCommand(program: string, denoFlags: string[] = []): [string, string[]] {
  return denoPath !== undefined
    ? [denoPath, ["run", ...denoFlags, `${program}.ts`]]
    : [process.execPath, [`${program}.js`]];
}

/** The repository's root (the npm build's root under Node). */
export const repositoryRoot: string = fileURLToPath(new URL("..", import.meta.url));
