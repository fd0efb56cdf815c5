// Running whole programs in a child process: with Deno, or with the runtime
// running the tests when it runs TypeScript itself (Deno or Bun).
import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** The Deno executable when the tests run under Deno, else undefined. */
export const denoPath: string | undefined = (globalThis as { Deno?: { execPath(): string } }).Deno
  ?.execPath();

/** The Bun executable when the tests run under Bun, else undefined. */
export const bunPath: string | undefined = "Bun" in globalThis ? process.execPath : undefined;

/** Why a test that needs Deno is skipped on this runtime (false under Deno). */
export const needsDeno: string | false = denoPath === undefined
  ? "runs a program with the Deno executable; this runtime is not Deno"
  : false;

/** Why a test that runs a `.ts` program is skipped on this runtime (false under Deno and Bun). */
export const needsTypeScriptRuntime: string | false =
  denoPath === undefined && bunPath === undefined
    ? "runs a .ts program with this runtime's executable; this runtime is neither Deno nor Bun"
    : false;

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `deno <args>` from the repository root and collect its output. */
export function runDeno(args: string[], timeoutMs = 60_000): Promise<Finished> {
  return runFromRoot(denoPath!, args, timeoutMs);
}

/**
 * Run the TypeScript program `file` (relative to the repository root) with
 * no flags, on this runtime: `deno run <file>` under Deno, `bun <file>` under Bun.
 */
export function runProgram(file: string, timeoutMs = 60_000): Promise<Finished> {
  if (denoPath !== undefined) return runFromRoot(denoPath, ["run", file], timeoutMs);
  return runFromRoot(bunPath!, [file], timeoutMs);
}

function runFromRoot(executable: string, args: string[], timeoutMs: number): Promise<Finished> {
  const root = new URL("..", import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(executable, args, {
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
