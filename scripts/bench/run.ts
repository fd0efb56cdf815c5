// `deno task bench`: every benchmark script of this folder, one process each
// (a workload's garbage must not slow the next one down), in sequence.
const scripts = ["core_bench.ts", "primitives_bench.ts", "executor_bench.ts"];
const deno = Deno.execPath();
let failed = 0;
for (const script of scripts) {
  const path = new URL(script, import.meta.url).pathname;
  const { code } = await new Deno.Command(deno, {
    args: ["run", "--allow-all", path, ...Deno.args],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(`${script} exited with ${code}`);
    failed++;
  }
}
if (failed > 0) Deno.exit(1);
