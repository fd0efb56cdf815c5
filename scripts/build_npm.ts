/**
 * Builds the npm package from the Deno sources: `deno task build:npm [version]`.
 *
 * Output, in `npm/` (git-ignored), keeps the repository's layout so that every
 * relative URL still points where it did in the sources:
 *
 * - `mod.js`, `mod.d.ts`, `src/**` (ESM + declarations): the package itself;
 * - `tests/**`, `examples/**`, `scripts/bench/**`: compiled the same way, for
 *   `node --test`, for trying the examples and for running the benchmarks on
 *   Node; kept out of the tarball by `files`.
 *
 * Relative `.ts` specifiers become `.js`: in import and export declarations
 * and `import()` (TypeScript's `rewriteRelativeImportExtensions`), and, by the
 * transformer below, in declaration files and in `new URL("./x.ts",
 * import.meta.url)` / `import.meta.resolve("./x.ts")`, which is how code names
 * a module for a Worker (executor module functions, test fixtures).
 *
 * No CommonJS build: a second copy of the modules would give CommonJS users
 * their own `CancelledError` class and running-loop registry, so `instanceof`
 * and `getRunningLoop()` would disagree across the two (the dual-package
 * hazard). Node 20.19+ and 22.12+ `require()` the ES modules directly, which
 * the CI consumer check exercises; that holds while no shipped module uses
 * top-level `await`.
 *
 * Type errors in `mod.ts` and `src/` fail the build (they would reach users
 * through the `.d.ts`); in the other trees they are listed but not fatal,
 * since those may use Deno-only APIs behind a runtime check.
 *
 * @module
 */

import ts from "npm:typescript@6.0.3";
// Node's types for `node:` imports. Imported only so that Deno fetches the
// package (and records it in deno.lock); the compiler reads it from disk.
import "npm:@types/node@20.19.43/package.json" with { type: "json" };
import { createRequire } from "node:module";
import * as path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const OUT = path.join(ROOT, "npm");
/** Source trees compiled; only the first two are shipped. */
const TREES = ["mod.ts", "src", "tests", "examples", "scripts/bench"];

const denoJson = JSON.parse(await Deno.readTextFile(path.join(ROOT, "deno.json")));
const version: string = Deno.args[0] ?? denoJson.version;
if (!/^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/.test(version)) {
  console.error(`Cannot build: version must look like 1.2.3 or 1.2.3-rc.1, received "${version}"`);
  Deno.exit(2);
}

/** `./a.ts` → `./a.js` (also `.mts` → `.mjs`, `.cts` → `.cjs`); anything else unchanged. */
function rewriteSpecifier(specifier: string): string {
  if (!specifier.startsWith("./") && !specifier.startsWith("../")) return specifier;
  if (specifier.endsWith(".d.ts")) return specifier;
  return specifier.replace(/\.(m|c)?tsx?$/, (_ext, kind: string | undefined) => `.${kind ?? ""}js`);
}

/** Whether `node` is `import.meta.<name>`. */
function isImportMeta(node: ts.Node, name: string): boolean {
  return ts.isPropertyAccessExpression(node) && ts.isMetaProperty(node.expression) &&
    node.expression.keywordToken === ts.SyntaxKind.ImportKeyword && node.name.text === name;
}

/** A string literal with its specifier rewritten, or `undefined` if nothing changes. */
function rewrittenLiteral(
  factory: ts.NodeFactory,
  node: ts.Node | undefined,
): ts.StringLiteral | undefined {
  if (!node || !ts.isStringLiteralLike(node)) return undefined;
  const next = rewriteSpecifier(node.text);
  return next === node.text ? undefined : factory.createStringLiteral(next);
}

/**
 * Runs on the JavaScript output: `new URL("./x.ts", import.meta.url)` and
 * `import.meta.resolve("./x.ts")`. Import declarations are left to the
 * compiler, because replacing those nodes here would defeat its elision of
 * type-only imports.
 */
const rewriteUrls: ts.TransformerFactory<ts.SourceFile> = (context) => {
  const { factory } = context;
  const visit = (node: ts.Node): ts.Node => {
    if (
      ts.isNewExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "URL" && node.arguments?.length === 2 &&
      isImportMeta(node.arguments[1], "url")
    ) {
      const literal = rewrittenLiteral(factory, node.arguments[0]);
      if (literal) {
        return factory.updateNewExpression(node, node.expression, node.typeArguments, [
          literal,
          node.arguments[1],
        ]);
      }
    }
    if (
      ts.isCallExpression(node) && isImportMeta(node.expression, "resolve") &&
      node.arguments.length === 1
    ) {
      const literal = rewrittenLiteral(factory, node.arguments[0]);
      if (literal) {
        return factory.updateCallExpression(node, node.expression, node.typeArguments, [literal]);
      }
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (file) => ts.visitNode(file, visit) as ts.SourceFile;
};

/** Runs on the declaration output, where the compiler keeps `.ts` specifiers as written. */
const rewriteDeclarations: ts.TransformerFactory<ts.SourceFile | ts.Bundle> = (context) => {
  const { factory } = context;
  const visit = (node: ts.Node): ts.Node => {
    if (ts.isImportDeclaration(node)) {
      const literal = rewrittenLiteral(factory, node.moduleSpecifier);
      if (literal) {
        return factory.updateImportDeclaration(
          node,
          node.modifiers,
          node.importClause,
          literal,
          node.attributes,
        );
      }
    } else if (ts.isExportDeclaration(node)) {
      const literal = rewrittenLiteral(factory, node.moduleSpecifier);
      if (literal) {
        return factory.updateExportDeclaration(
          node,
          node.modifiers,
          node.isTypeOnly,
          node.exportClause,
          literal,
          node.attributes,
        );
      }
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = rewrittenLiteral(factory, node.argument.literal);
      if (literal) {
        return factory.updateImportTypeNode(
          node,
          factory.updateLiteralTypeNode(node.argument, literal),
          node.attributes,
          node.qualifier,
          node.typeArguments,
          node.isTypeOf,
        );
      }
    }
    return ts.visitEachChild(node, visit, context);
  };
  return (file) => ts.visitNode(file, visit) as ts.SourceFile | ts.Bundle;
};

/**
 * Every file under `tree` (a file or a directory), in a stable order. Left
 * out: installed packages, and the benchmark peers (Deno drives them and
 * their Node scripts run as they are, from their own `node_modules`).
 */
async function* walk(tree: string): AsyncGenerator<string> {
  const rel = path.relative(ROOT, tree).split(path.sep).join("/");
  if (path.basename(tree) === "node_modules" || rel === "scripts/bench/peers") return;
  const info = await Deno.stat(tree).catch(() => undefined);
  if (!info) return;
  if (info.isFile) {
    yield tree;
    return;
  }
  const entries = [];
  for await (const entry of Deno.readDir(tree)) entries.push(entry);
  entries.sort((a, b) => a.name < b.name ? -1 : 1);
  for (const entry of entries) yield* walk(path.join(tree, entry.name));
}

const isTs = (file: string) => /\.(m|c)?tsx?$/.test(file) && !file.endsWith(".d.ts");
/** Whether a source (or its output, mapped back to the source tree) belongs to the package. */
const shipped = (file: string) => {
  const rel = path.relative(ROOT, file).split(path.sep).join("/");
  return /^mod\.(d\.)?ts$/.test(rel) || rel.startsWith("src/");
};

const inputs: string[] = [];
const assets: string[] = [];
for (const tree of TREES) {
  for await (const file of walk(path.join(ROOT, tree))) (isTs(file) ? inputs : assets).push(file);
}

// @types/node pulls in undici-types by a bare import; the compiler cannot find
// it in Deno's npm cache layout, so point it there ourselves.
const typesNodeJson = fileURLToPath(import.meta.resolve("npm:@types/node@20.19.43/package.json"));
const typesNode = path.dirname(typesNodeJson);
const undiciTypes = path.dirname(
  createRequire(typesNodeJson).resolve("undici-types/package.json"),
);

const options: ts.CompilerOptions = {
  // Node 20 runs ES2022 syntax natively; newer syntax (`using`) is lowered.
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  allowImportingTsExtensions: true,
  rewriteRelativeImportExtensions: true,
  declaration: true,
  strict: true,
  skipLibCheck: true,
  rootDir: ROOT,
  outDir: OUT,
  newLine: ts.NewLineKind.LineFeed,
  // Deno's default library is the web platform plus the ES library; DOM is the closest match.
  lib: ["lib.esnext.d.ts", "lib.dom.d.ts", "lib.dom.iterable.d.ts", "lib.dom.asynciterable.d.ts"],
  types: [],
  paths: { "undici-types": [path.join(undiciTypes, "index.d.ts")] },
};

await Deno.remove(OUT, { recursive: true }).catch((e) => {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
});

const host = ts.createCompilerHost(options);
const program = ts.createProgram({
  rootNames: [...inputs, path.join(typesNode, "index.d.ts")],
  options,
  host,
});
// Declarations are written for the package only: tests and examples need none.
const writeFile: ts.WriteFileCallback = (file, text, bom, onError, sources, data) => {
  const source = path.join(ROOT, path.relative(OUT, file));
  if (file.endsWith(".d.ts") && !shipped(source)) return;
  host.writeFile(file, text, bom, onError, sources, data);
};
const emitted = program.emit(undefined, writeFile, undefined, false, {
  before: [rewriteUrls],
  afterDeclarations: [rewriteDeclarations],
});

const diagnostics = ts.sortAndDeduplicateDiagnostics([
  ...ts.getPreEmitDiagnostics(program),
  ...emitted.diagnostics,
]);
const inPackage = (d: ts.Diagnostic) => !d.file || shipped(d.file.fileName);
const fatal = diagnostics.filter(inPackage);
const notes = diagnostics.filter((d) => !inPackage(d));
const formatHost: ts.FormatDiagnosticsHost = {
  getCanonicalFileName: (f) => f,
  getCurrentDirectory: () => ROOT,
  getNewLine: () => "\n",
};
if (notes.length > 0) {
  console.warn(
    `${notes.length} type error(s) outside the package under tsc (not fatal; deno check governs them):`,
  );
  // The first few are enough to see what kind they are.
  console.warn(ts.formatDiagnostics(notes.slice(0, 20), formatHost));
  if (notes.length > 20) console.warn(`... and ${notes.length - 20} more`);
}
if (fatal.length > 0 || emitted.emitSkipped) {
  console.error(ts.formatDiagnostics(fatal, formatHost));
  console.error(`Cannot build the npm package: ${fatal.length} error(s) in mod.ts or src/`);
  Deno.exit(1);
}

for (const file of assets) {
  const target = path.join(OUT, path.relative(ROOT, file));
  await Deno.mkdir(path.dirname(target), { recursive: true });
  await Deno.copyFile(file, target);
}
for (const name of ["README.md", "LICENSE"]) {
  await Deno.copyFile(path.join(ROOT, name), path.join(OUT, name)).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
    console.warn(`warning: ${name} is missing; the package goes out without it`);
  });
}

const packageJson = {
  name: "asyncio-ts",
  version,
  description:
    "Python's asyncio for TypeScript: an event loop, cancellable tasks, TaskGroup, queues, locks and a Worker executor",
  license: "MIT",
  type: "module",
  main: "./mod.js",
  types: "./mod.d.ts",
  exports: {
    ".": { types: "./mod.d.ts", default: "./mod.js" },
    "./package.json": "./package.json",
  },
  // tests/, examples/ and scripts/bench/ are built next to the package but not shipped.
  files: ["mod.js", "mod.d.ts", "src/"],
  // 20.19 is the first Node 20 whose require() loads ES modules (for CommonJS users).
  engines: { node: ">=20.19.0" },
  keywords: ["asyncio", "async", "event-loop", "task", "cancellation", "taskgroup", "worker"],
};
await Deno.writeTextFile(
  path.join(OUT, "package.json"),
  JSON.stringify(packageJson, null, 2) + "\n",
);

const count = (dir: string) => inputs.filter((f) => path.relative(ROOT, f).startsWith(dir)).length;
console.log(
  `Built asyncio-ts@${version} in npm/: ${count("src") + 1} package modules, ` +
    `${count("tests")} test modules, ${count("examples")} examples, ` +
    `${count("scripts")} benchmark modules, ${assets.length} assets`,
);
