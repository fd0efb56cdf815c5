import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  CancelledError,
  createTask,
  getRunningLoop,
  shield,
  sleep,
  timeout,
  TimeoutError,
} from "../mod.ts";
import { captureReports, runVirtual } from "./_virtual.ts";

describe("shield()", () => {
  it("gives the inner result", async () => {
    assert.equal(await runVirtual(() => shield(sleep(1, "inner"))), "inner");
  });

  it("gives the inner error", async () => {
    await runVirtual(async () => {
      const inner = createTask(async () => {
        await sleep(1);
        throw new Error("inner failed");
      });
      await assert.rejects(Promise.resolve(shield(inner)), { message: "inner failed" });
    });
  });

  it("cancelling the awaiting task does not cancel the inner task", async () => {
    await runVirtual(async () => {
      const inner = createTask(() => sleep(5, "finished anyway"));
      const caller = createTask(() => shield(inner));
      await sleep(1);
      caller.cancel();
      await assert.rejects(Promise.resolve(caller), CancelledError);
      assert.equal(inner.cancelled(), false);
      assert.equal(await inner, "finished anyway");
      assert.equal(getRunningLoop().time(), 5);
    });
  });

  it("cancelling the outer future leaves the inner running", async () => {
    await runVirtual(async () => {
      const inner = createTask(() => sleep(2, "done"));
      const outer = shield(inner);
      assert.equal(outer.cancel(), true);
      assert.equal(outer.cancelled(), true);
      assert.equal(await inner, "done");
    });
  });

  it("the inner being cancelled cancels the outer", async () => {
    await runVirtual(async () => {
      const inner = createTask(() => sleep(10));
      const outer = shield(inner);
      await sleep(1);
      inner.cancel();
      await assert.rejects(Promise.resolve(outer), CancelledError);
      assert.equal(outer.cancelled(), true);
    });
  });

  it("a done awaitable is returned unchanged", async () => {
    await runVirtual(() => {
      const done = getRunningLoop().createFuture<number>();
      done.setResult(1);
      assert.equal(shield(done), done);
    });
  });

  it("starts a function as a task", async () => {
    await runVirtual(async () => {
      const outer = shield(() => sleep(1, "fn"));
      assert.notEqual(outer, undefined);
      assert.equal(await outer, "fn");
    });
  });

  it("under a timeout: the caller gets TimeoutError, the work completes", async () => {
    await runVirtual(async () => {
      const save = createTask(() => sleep(3, "saved"));
      await assert.rejects(timeout(1, () => shield(save)), TimeoutError);
      assert.equal(save.done(), false);
      assert.equal(await save, "saved");
    });
  });

  it("an inner error after the outer was cancelled is reported as never retrieved", async () => {
    const reports = await runVirtual(async () => {
      const reports = captureReports(getRunningLoop());
      const outer = shield(async () => {
        await sleep(1);
        throw new Error("nobody listens");
      });
      outer.cancel();
      await sleep(2);
      return reports;
    });
    const report = reports.find((r) => (r.exception as Error)?.message === "nobody listens");
    assert.equal(report?.message, "Task exception was never retrieved");
  });
});
