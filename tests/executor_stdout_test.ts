// console.log from a job reaches stdout before the job's result is delivered.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { runScript } from "./fixtures/run_script.ts";

describe("console output of a job", () => {
  it("is all written before the caller sees the result, even if it exits at once", async () => {
    const result = await runScript("logs_then_exits");
    assert.equal(result.timedOut, false);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2001);
    assert.equal(lines[0], "line 0");
    assert.equal(lines[1999], "line 1999");
    assert.equal(lines[2000], "RESULT 2000");
  });
});
