// Preloaded by scripts/ci/bun.sh into `bun test`: prints why each skipped
// `describe`/`it` is skipped, which Bun's reporter leaves out (it prints the
// name of a skipped `it` only, and nothing for a skipped `describe`).
// Lives outside scripts/ because `deno check` cannot resolve "bun:test".
import { mock } from "bun:test";
import * as nodeTest from "node:test";

type Suite = (name: string, options?: unknown, body?: unknown) => unknown;

function reportingSkips(original: Suite): Suite {
  const wrapped = (name: string, options?: unknown, body?: unknown) => {
    const skip = typeof options === "object" && options !== null
      ? (options as { skip?: unknown }).skip
      : undefined;
    if (skip) console.log(`skipped: ${name} -- ${skip === true ? "no reason given" : skip}`);
    return original(name, options, body);
  };
  return Object.assign(wrapped, original);
}

const describe = reportingSkips(nodeTest.describe as Suite);
const it = reportingSkips(nodeTest.it as Suite);
mock.module("node:test", () => ({ ...nodeTest, describe, it, test: it }));
