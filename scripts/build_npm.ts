/**
 * Builds the npm package from the Deno sources: `deno task build:npm [version]`.
 *
 * Output, in `npm/` (git-ignored), keeps the repository's layout so that every
 * relative URL still points where it did in the sources:
 *
 * - `mod.js`, `mod.d.ts`, `src/**` (ESM + declarations, with source and
 *   declaration maps): the package itself;
 * - `ts/`: a copy of `mod.ts` and `src/**`, shipped for the maps to point at
 *   (beside the `.d.ts` files they would be picked up by TypeScript instead);
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
 * The declarations leave out what is marked `@internal`, name the package
 * "asyncio-ts" in their examples, and must compile in a project that adds
 * nothing for them (no @types/node, the target's default library): the build
 * checks that last point.
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
    } else if (ts.isClassDeclaration(node) && hasInternalConstructor(node)) {
      // `stripInternal` drops an `@internal` constructor, which would leave
      // the implicit `new X()` with no arguments: users could then write a
      // call that fails at run time. A protected constructor keeps `new`
      // closed to them and still lets a shipped subclass extend the class.
      const visited = ts.visitEachChild(node, visit, context);
      const closed = factory.createConstructorDeclaration(
        [factory.createModifier(ts.SyntaxKind.ProtectedKeyword)],
        [],
        undefined,
      );
      return factory.updateClassDeclaration(
        visited,
        visited.modifiers,
        visited.name,
        visited.typeParameters,
        visited.heritageClauses,
        [closed, ...visited.members],
      );
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
  return (file) => {
    const result = ts.visitNode(file, visit) as ts.SourceFile | ts.Bundle;
    if (!ts.isSourceFile(result) || !usesDisposable(result)) return result;
    // `Disposable` and `Symbol.asyncDispose` are in TypeScript's
    // `esnext.disposable` library, which a project gets from `lib: ["esnext"]`
    // or from @types/node, but not from a target's default library: without
    // this reference such a project fails on our types (`skipLibCheck: false`).
    // `preserve` keeps the directive in the emitted declarations.
    const reference = { fileName: "esnext.disposable", pos: -1, end: -1, preserve: true };
    return factory.updateSourceFile(
      result,
      result.statements,
      result.isDeclarationFile,
      result.referencedFiles,
      result.typeReferenceDirectives,
      result.hasNoDefaultLib,
      [...result.libReferenceDirectives, reference],
    );
  };
};

/** Whether the source of a declared class has a constructor marked `@internal` (and so stripped). */
function hasInternalConstructor(node: ts.ClassDeclaration): boolean {
  if (node.members.some(ts.isConstructorDeclaration)) return false;
  const source = ts.getOriginalNode(node);
  if (!ts.isClassDeclaration(source)) return false;
  return source.members.some((member) =>
    ts.isConstructorDeclaration(member) &&
    ts.getJSDocTags(member).some((tag) => tag.tagName.text === "internal")
  );
}

/** Whether a declaration tree names a type of the `esnext.disposable` library. */
function usesDisposable(root: ts.Node): boolean {
  const names = /^(Async)?Disposable(Stack)?$|^SuppressedError$/;
  let found = false;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isIdentifier(node) && names.test(node.text)) found = true;
    else if (
      ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) &&
      node.expression.text === "Symbol" && /^(dispose|asyncDispose)$/.test(node.name.text)
    ) found = true;
    else ts.forEachChild(node, visit);
  };
  visit(root);
  return found;
}

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

/** README sections the npm package keeps, after its title and Node section. */
const NPM_README_SECTIONS = ["Python → TypeScript", "How it works", "FAQ", "License"];

/**
 * The npm package's README, made from the repository's: the title and
 * tagline, the "Using it" section's Node part (JavaScript that Node runs as
 * written; CI runs it from the packed tarball), then the sections that hold
 * on every runtime. The Deno and Bun parts, the examples, the benchmarks and
 * the commands for a clone stay in the repository's README.
 */
function npmReadme(readme: string): string {
  const [head, ...rest] = readme.split(/^## /m);
  const sections = new Map(rest.map((section) => {
    const newline = section.indexOf("\n");
    return [section.slice(0, newline).trim(), section.slice(newline + 1).trim()];
  }));
  const title = head.match(/^# .*\n\n(?:.+\n)+/)?.[0];
  const node = sections.get("Using it")?.match(/^### Node\n([\s\S]*?)(?=^### |$(?![\s\S]))/m)?.[1];
  const missing = [
    ...(title ? [] : ["the title and tagline"]),
    ...(node ? [] : ['"Using it" > "### Node"']),
    ...NPM_README_SECTIONS.filter((name) => !sections.has(name)).map((name) => `"${name}"`),
  ];
  if (missing.length > 0) {
    console.error(`Cannot build the npm README: README.md has no ${missing.join(", ")}`);
    Deno.exit(1);
  }
  const parts = [
    title!.trim(),
    "## Using it (Node)\n\n" + node!.trim(),
    ...NPM_README_SECTIONS.map((name) => `## ${name}\n\n${sections.get(name)}`),
  ];
  return parts.join("\n\n") + "\n";
}

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
  // Members and functions marked `@internal` stay out of the published types
  // (they still exist in the JavaScript, where the library itself uses them).
  stripInternal: true,
  // Maps point into `ts/`, the shipped copy of the sources: go-to-definition
  // and `node --enable-source-maps` stack traces land in the TypeScript.
  sourceMap: true,
  declarationMap: true,
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
/** Where the package ships its TypeScript sources, for the maps to point at. */
const SOURCES = path.join(OUT, "ts");
/** The sources of a map, moved from the repository to their copy in `ts/`. */
function shippedMap(mapFile: string, text: string): string {
  const map = JSON.parse(text);
  const dir = path.dirname(mapFile);
  map.sources = map.sources.map((source: string) => {
    const copy = path.join(SOURCES, path.relative(ROOT, path.resolve(dir, source)));
    return path.relative(dir, copy).split(path.sep).join("/");
  });
  return JSON.stringify(map);
}
// Declarations are written for the package only: tests and examples need none.
const writeFile: ts.WriteFileCallback = (file, text, bom, onError, sources, data) => {
  const rel = path.relative(OUT, file).split(path.sep).join("/");
  const inPackage = /^(mod\.|src\/)/.test(rel);
  if (/\.d\.ts(\.map)?$/.test(file) && !inPackage) return;
  if (inPackage) {
    if (file.endsWith(".map")) {
      text = shippedMap(file, text);
    } else {
      // The JSDoc examples import the package by its JSR name (or as
      // "./mod.ts"); npm users import it as "asyncio-ts". Same line count,
      // so the maps stay right.
      text = text.replaceAll(/from "(@asyncio-ts\/asyncio|\.\/mod\.ts)";/g, 'from "asyncio-ts";');
    }
  }
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
for (const file of inputs.filter(shipped)) {
  const target = path.join(SOURCES, path.relative(ROOT, file));
  await Deno.mkdir(path.dirname(target), { recursive: true });
  await Deno.copyFile(file, target);
}
await Deno.copyFile(path.join(ROOT, "LICENSE"), path.join(OUT, "LICENSE")).catch((e) => {
  if (!(e instanceof Deno.errors.NotFound)) throw e;
  console.warn("warning: LICENSE is missing; the package goes out without it");
});
await Deno.writeTextFile(
  path.join(OUT, "README.md"),
  npmReadme(await Deno.readTextFile(path.join(ROOT, "README.md"))),
);

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
  // ts/ holds the TypeScript sources the source and declaration maps point at.
  files: ["mod.js", "mod.js.map", "mod.d.ts", "mod.d.ts.map", "src/", "ts/"],
  // No module does anything on import beyond defining its own values.
  sideEffects: false,
  // 20.19 is the first Node 20 whose require() loads ES modules (for CommonJS users).
  engines: { node: ">=20.19.0" },
  keywords: ["asyncio", "async", "event-loop", "task", "cancellation", "taskgroup", "worker"],
};
await Deno.writeTextFile(
  path.join(OUT, "package.json"),
  JSON.stringify(packageJson, null, 2) + "\n",
);

// The shipped declarations must compile on their own in a user's project that
// has neither @types/node nor `lib: ["esnext"]`: a target's default library,
// strict, and `skipLibCheck` off. (scripts/ci/node.sh checks the same from the
// packed tarball with TypeScript 5 and 6.)
const declarations: string[] = [];
for (const tree of ["mod.d.ts", "src"]) {
  for await (const file of walk(path.join(OUT, tree))) {
    if (file.endsWith(".d.ts")) declarations.push(file);
  }
}
const typesCheck = ts.createProgram(declarations, {
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  target: ts.ScriptTarget.ES2022,
  strict: true,
  skipLibCheck: false,
  types: [],
  noEmit: true,
});
const typesErrors = ts.getPreEmitDiagnostics(typesCheck);
if (typesErrors.length > 0) {
  console.error(ts.formatDiagnostics(typesErrors, formatHost));
  console.error(
    `Cannot build the npm package: its declarations have ${typesErrors.length} error(s)`,
  );
  Deno.exit(1);
}

const count = (dir: string) => inputs.filter((f) => path.relative(ROOT, f).startsWith(dir)).length;
console.log(
  `Built asyncio-ts@${version} in npm/: ${count("src") + 1} package modules, ` +
    `${count("tests")} test modules, ${count("examples")} examples, ` +
    `${count("scripts")} benchmark modules, ${assets.length} assets`,
);
