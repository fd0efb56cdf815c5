import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { needsTypeScriptRuntime, runProgram } from "./_subprocess.ts";

// `time.ctime()` form: "Sun Mar 13 16:57:56 2022".
const CTIME = String.raw`[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}`;

describe("the book's listings", { skip: needsTypeScriptRuntime }, () => {
  for (const example of ["quickstart", "hello_ish_world"]) {
    it(`examples/${example}.ts prints Hello! then Goodbye!, with no flags`, async () => {
      const { code, stdout, stderr } = await runProgram(`examples/${example}.ts`);
      assert.equal(stderr, "");
      assert.equal(code, 0);
      const lines = stdout.trimEnd().split("\n");
      assert.equal(lines.length, 2);
      assert.match(lines[0], new RegExp(`^${CTIME} Hello!$`));
      assert.match(lines[1], new RegExp(`^${CTIME} Goodbye!$`));
    });
  }
});

describe("errors no one retrieved", { skip: needsTypeScriptRuntime }, () => {
  it("are each reported once by the loop, and none is an unhandled rejection", async () => {
    const { code, stdout, stderr } = await runProgram("tests/fixtures/never_retrieved.ts");
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), "unhandled rejections: 0");
    const count = (firstLine: string) =>
      stderr.split("\n").filter((line) => line === firstLine).length;
    assert.equal(count("Task exception was never retrieved"), 2); // forgotten + wrapped promise
    assert.equal(count("Future exception was never retrieved"), 2); // the future + ensureFuture
    assert.equal(count("GatheringFuture exception was never retrieved"), 1);
    assert.equal(count("Error: task failed"), 1);
    assert.doesNotMatch(stderr, /Uncaught|gathered child failed\n.*gathered child failed/s);
  });
});
