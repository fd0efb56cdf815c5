// Naming a job's function: by value (shipped source), moduleFunction(), withOptions().
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import {
  type ModuleFunction,
  moduleFunction,
  TimeoutError,
  UnshippableFunctionError,
  withOptions,
  WorkerPoolExecutor,
} from "../mod.ts";
import { fixture } from "./fixtures/run_script.ts";

describe("submit() with a function by value", () => {
  it("compiles the function once per Worker, not once per call", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    // A named function expression sees itself: state kept on it survives
    // between calls only if the Worker reuses the compiled function.
    const counter = function count(): number {
      const self = count as typeof count & { calls?: number };
      self.calls = (self.calls ?? 0) + 1;
      return self.calls;
    };
    assert.deepEqual(
      [await pool.submit(counter), await pool.submit(counter), await pool.submit(counter)],
      [1, 2, 3],
    );
  });

  it("reuses the compiled function for an inline arrow re-created per call", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(
        await pool.submit(() => {
          const g = globalThis as { calls?: number };
          g.calls = (g.calls ?? 0) + 1;
          return g.calls;
        }),
      );
    }
    assert.deepEqual(results, [1, 2, 3]);
  });

  it("names the outer variable a closure uses, and says what to do", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const OFFSET = 10;
    const job = pool.submit((x: number) => x + OFFSET, 1);
    await assert.rejects(Promise.resolve(job), (error: Error) => {
      assert.ok(error instanceof UnshippableFunctionError);
      assert.match(error.message, /uses OFFSET, which is not defined there/);
      assert.match(error.message, /pass OFFSET as an argument/);
      assert.match(error.message, /moduleFunction\(\)/);
      assert.equal((error.cause as Error).name, "ReferenceError");
      return true;
    });
    assert.equal(await pool.submit((x: number, k: number) => x + k, 1, OFFSET), 11);
  });

  it("refuses a bound function synchronously", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const add = (a: number, b: number) => a + b;
    assert.throws(() => pool.submit(add.bind(null, 1), 2), {
      name: "UnshippableFunctionError",
      message: /bound add\(\).*bound function.*Pass the bound values as arguments/,
    });
  });

  it("refuses a native function synchronously", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    assert.throws(() => pool.submit(Math.max, 1, 2), {
      name: "UnshippableFunctionError",
      message: /max\(\).*native function.*Wrap it in an arrow function/,
    });
  });

  it("refuses a method shorthand and a class synchronously", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const object = {
      double(x: number) {
        return x * 2;
      },
    };
    assert.throws(() => pool.submit(object.double, 2), {
      name: "UnshippableFunctionError",
      message: /double\(\).*method shorthand/,
    });
    class Point {}
    assert.throws(() => pool.submit(Point as unknown as () => void), /it is a class/);
    assert.equal(await pool.submit((x: number) => x * 2, 2), 4, "the pool still answers");
  });

  it("refuses something that is not a function", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    assert.throws(() => pool.submit(42 as unknown as () => void), TypeError);
  });
});

describe("moduleFunction()", () => {
  const fib = moduleFunction<typeof import("./fixtures/fib.ts"), "fib">(fixture("fib"), "fib");

  it("runs an export of a module, typed from the module", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const n: number = await pool.submit(fib, 20);
    assert.equal(n, 6765);
    // Type checks only (never called): arguments and result come from the module.
    const _typeChecks = () => {
      // @ts-expect-error fib takes a number
      pool.submit(fib, "20");
      // @ts-expect-error the result is a number
      const _s: Promise<string> = Promise.resolve(pool.submit(fib, 1));
      // @ts-expect-error no such export
      moduleFunction<typeof import("./fixtures/fib.ts"), "nope">(fixture("fib"), "nope");
      // @ts-expect-error answer is not a function
      moduleFunction<typeof import("./fixtures/fib.ts"), "answer">(fixture("fib"), "answer");
    };
  });

  it("lets the function use its module's top-level variables", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const addOffset = moduleFunction<typeof import("./fixtures/fib.ts"), "addOffset">(
      fixture("fib"),
      "addOffset",
    );
    assert.equal(await pool.submit(addOffset, 1, 2), 1003);
  });

  it("lets the function use its module's imports (the library's errors keep their class)", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const throwTimeout = moduleFunction<
      typeof import("./fixtures/throws_library_error.ts"),
      "throwTimeout"
    >(fixture("throws_library_error"), "throwTimeout");
    await assert.rejects(Promise.resolve(pool.submit(throwTimeout, "too slow")), (error) => {
      assert.ok(error instanceof TimeoutError);
      assert.equal(error.message, "too slow");
      assert.ok(error.cause instanceof RangeError);
      return true;
    });
  });

  it("rejects the job when the export is not a function", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    // The types refuse it (answer is a number); force it to check the Worker's answer.
    const answer = moduleFunction(fixture("fib"), "answer" as never) as unknown as ModuleFunction<
      () => unknown
    >;
    await assert.rejects(Promise.resolve(pool.submit(answer)), {
      name: "TypeError",
      message: /exports no function by that name/,
    });
  });

  it("rejects the job when the module fails to load; the pool still answers", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const broken = moduleFunction<typeof import("./fixtures/throws_on_import.ts"), "unreachable">(
      fixture("throws_on_import"),
      "unreachable",
    );
    await assert.rejects(Promise.resolve(pool.submit(broken)), /failed to load/);
    assert.equal(await pool.submit(fib, 10), 55);
  });

  it("refuses a relative URL", () => {
    assert.throws(() => moduleFunction("./fib.ts", "fib" as never), {
      name: "TypeError",
      message: /expected an absolute URL, received \.\/fib\.ts/,
    });
  });
});

describe("withOptions()", () => {
  it("keeps a function callable locally, with its name", () => {
    // A declaration, not `const add = () => ...`: Bun 1.4.5 gives an arrow
    // function declared inside another function in a .ts file no name.
    function add(a: number, b: number) {
      return a + b;
    }
    const configured = withOptions(add, { timeout: 1 });
    assert.equal(configured(1, 2), 3);
    assert.equal(configured.name, "add");
  });

  it("attaches options to a module function without changing it", () => {
    const fib = moduleFunction<typeof import("./fixtures/fib.ts"), "fib">(fixture("fib"), "fib");
    const configured = withOptions(fib, { terminate: true });
    assert.deepEqual(configured.options, { terminate: true });
    assert.equal(fib.options, undefined);
    assert.equal(configured.url, fib.url);
  });

  it("merges options given twice, the later ones winning", async () => {
    await using pool = new WorkerPoolExecutor({ maxWorkers: 1 });
    const f = withOptions(withOptions(() => "ok", { timeout: 0 }), { timeout: 30 });
    assert.equal(await pool.submit(f), "ok");
  });

  it("rejects invalid options up front", () => {
    const f = () => 1;
    assert.throws(() => withOptions(f, { timeout: -1 }), RangeError);
    assert.throws(() => withOptions(f, { timeout: NaN }), RangeError);
    assert.throws(() => withOptions(f, { transfer: {} as never }), TypeError);
    assert.throws(() => withOptions(f, { signal: {} as never }), TypeError);
  });
});
