// Counts the leaf test cases of a `deno test --junit-path` report: with
// node:test under Deno, `describe` blocks and `it` cases are both reported as
// test cases, and only the cases (those with no nested case) should count.
// Prints "N passed, N failed".
const xml = await Deno.readTextFile(Deno.args[0]);
const cases = [...xml.matchAll(/<testcase name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)].map((
  [, name, body],
) => ({ name, failed: /<failure|<error/.test(body) }));
const names = cases.map((c) => c.name);
const leaves = cases.filter((c) => !names.some((other) => other.startsWith(`${c.name} &gt; `)));
const failed = leaves.filter((c) => c.failed).length;
console.log(`${leaves.length - failed} passed, ${failed} failed`);
