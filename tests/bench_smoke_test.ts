// The benchmark workloads (scripts/bench, issue 7) at N/100, so that their
// code never rots: each side runs once and must pass its own validation
// (sums, holders, CancelledErrors, ...). Timings here mean nothing.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { measure } from "../scripts/bench/harness.ts";
import { newest, renderReport } from "../scripts/bench/report.ts";
import { workloadById, type WorkloadOptions, workloads } from "../scripts/bench/workloads.ts";
import { virtualLoop } from "./_virtual.ts";
import { needsDeno, runDeno } from "./_subprocess.ts";

/** Small sizes: N/100, the executor ones tinier still. */
const SMOKE: Record<string, { n: number; options?: WorkloadOptions }> = {
  B6: { n: 200 },
  B7: { n: 2, options: { fibN: 20 } },
  // Ours sleeps on a virtual clock; the floor's real timers last at most 2.5 ms.
  B3: { n: 500, options: { loopFactory: virtualLoop, sleepScale: 0.005 } },
};

describe("benchmark workloads at N/100", () => {
  for (const workload of workloads) {
    const { n, options } = SMOKE[workload.id] ?? { n: workload.n / 100 };
    it(`${workload.id} ${workload.name}: ours and the floor pass validation`, async () => {
      const sides = workload.prepare(n, options);
      try {
        const ours = await sides.ours();
        const floor = await sides.floor();
        assert.ok(Number.isFinite(ours.value) && Number.isFinite(floor.value));
      } finally {
        await sides.close();
      }
    });
  }
});

describe("benchmark harness and report", () => {
  it("measures a workload into a result line, and the report shows it", async () => {
    const line = await measure(workloadById("B1"), { n: 100, runs: 1 });
    assert.equal(line.workload, "B1");
    assert.equal(line.impl, "asyncio-ts");
    assert.match(line.runtime, /^(deno|node|bun) \d+\.\d+\.\d+$/);
    assert.equal(line.runs.length, 1);
    assert.ok(line.floor !== null && line.floor.median > 0);
    assert.equal(line.ratio, Number((line.median / line.floor.median).toPrecision(5)));
    assert.ok(line.rss_mb > 0);

    const older = { ...line, median: -1, date: "2000-01-01T00:00:00Z" };
    const report = renderReport(newest([older, line]));
    assert.match(report, /## B1 spawn-gather/);
    assert.match(report, /B1 spawn-gather within 2x of the floor/);
    assert.match(report, /\| floor \|/);
    assert.doesNotMatch(report, /\| -1\.00 \|/);
  });
});

describe("without_context.ts", () => {
  it("still patches the current-task module and runs B1 and B5 on the copy", {
    skip: needsDeno,
  }, async () => {
    const { code, stdout, stderr } = await runDeno([
      "run",
      "-A",
      "scripts/bench/without_context.ts",
      // More tasks than B5's 100 slots, so that some wait in with().
      "300",
    ]);
    assert.equal(code, 0, stderr);
    assert.match(
      stdout,
      /B5 semaphore\n.*floor.*\n.*asyncio-ts.*\n.*copy without context/,
    );
  });
});
