// Keeps ARCHITECTURE.md true: every import between src/ folders must be one its "may import" column allows, every
// folder must be listed there, the pure folders import no I/O, and a source file over 400 lines must say at its top
// why it is that long.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './helpers.js';

const SRC = join(REPO_ROOT, 'src');
const MAX_LINES = 400;
const lineCount = (text: string) => text.split('\n').length - (text.endsWith('\n') ? 1 : 0);

/** The layer table of ARCHITECTURE.md: `| \`folder/\` | job | \`a\`, \`b\` |` → folder → allowed folders. */
function parseLayers(markdown: string): Map<string, Set<string>> {
  const section = markdown.split(/^## /m).find((s) => s.startsWith('Folders'));
  if (!section) throw new Error('ARCHITECTURE.md has no "## Folders" section');
  const layers = new Map<string, Set<string>>();
  for (const line of section.split('\n')) {
    const m = /^\|\s*`([a-z-]+(?:\.ts)?)\/?`\s*\|[^|]*\|([^|]*)\|\s*$/.exec(line);
    const [, unit = '', may = ''] = m ?? [];
    if (!m) continue;
    // "everything above": every row before this one.
    const allowed = /everything above/.test(may)
      ? new Set(layers.keys())
      : new Set([...may.matchAll(/`([a-z-]+(?:\.ts)?)\/?`/g)].map((x) => x[1] ?? ''));
    layers.set(unit, allowed);
  }
  return layers;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'generated' ? [] : sourceFiles(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** The src/ unit a file belongs to: its top folder, or the file name for files directly under src/. */
function unitOf(file: string): string | undefined {
  const rel = relative(SRC, file);
  if (rel.startsWith('..')) return undefined;
  const [top = '', ...rest] = rel.split(sep);
  // A file directly under src/ is its own unit; an import names it with .js.
  return rest.length === 0 ? top.replace(/\.js$/, '.ts') : top;
}

/** Every relative module a file imports: static, type-only, re-exports, `import x = require()` and import() of a literal. */
function importsOf(text: string): string[] {
  return ts
    .preProcessFile(text, true, true)
    .importedFiles.map((f) => f.fileName)
    .filter((s) => s.startsWith('.'));
}

/** Imports that go where the importing file's row does not allow, and import() of something not a literal. */
function violations(sources: { file: string; text: string }[], rows: Map<string, Set<string>>): string[] {
  const bad: string[] = [];
  for (const { file, text } of sources) {
    const from = unitOf(file) as string;
    const allowed = rows.get(from) ?? new Set<string>();
    for (const spec of importsOf(text)) {
      const to = unitOf(resolve(dirname(file), spec));
      if (to === undefined || to === from || allowed.has(to)) continue;
      bad.push(`${relative(REPO_ROOT, file)} imports ${spec} (${from} → ${to})`);
    }
    if (/\bimport\(\s*[^'"`\s)]/.test(text))
      bad.push(`${relative(REPO_ROOT, file)} imports a computed module name`);
  }
  return bad;
}

/** Folders that do no I/O: they may import (as values) only each other, errors.ts, these libraries and node:path. */
const PURE = ['model', 'plan', 'rules', 'compat', 'trust', 'lock'];
const PURE_LIBRARIES = new Set(['node:path', 'semver', 'yaml', 'jsonc-parser']);

/** Value imports (types are free) of a pure folder's file that can reach I/O. */
function impurities(sources: { file: string; text: string }[]): string[] {
  const bad: string[] = [];
  for (const { file, text } of sources) {
    const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
    const values: string[] = [];
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        const c = node.importClause;
        const named =
          c?.namedBindings && ts.isNamedImports(c.namedBindings) ? c.namedBindings.elements : undefined;
        const typeOnly =
          c?.isTypeOnly === true || (c?.name === undefined && named?.every((e) => e.isTypeOnly) === true);
        if (!typeOnly) values.push(node.moduleSpecifier.text);
      } else if (
        ts.isExportDeclaration(node) &&
        node.moduleSpecifier &&
        ts.isStringLiteral(node.moduleSpecifier)
      ) {
        if (!node.isTypeOnly) values.push(node.moduleSpecifier.text);
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const arg = node.arguments[0];
        values.push(arg && ts.isStringLiteralLike(arg) ? arg.text : '(computed)');
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
    for (const spec of values) {
      const relativeSpec = spec.startsWith('.');
      const unit = relativeSpec ? unitOf(resolve(dirname(file), spec)) : undefined;
      // Outside src/, only data: the JSON Schemas.
      const ok = !relativeSpec
        ? PURE_LIBRARIES.has(spec)
        : unit === undefined
          ? spec.endsWith('.json')
          : PURE.includes(unit) || unit === 'errors.ts' || unit === 'version.ts';
      if (!ok) bad.push(`${relative(REPO_ROOT, file)} imports ${spec}`);
    }
  }
  return bad;
}

const layers = parseLayers(readFileSync(join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8'));
const files = sourceFiles(SRC);

describe('ARCHITECTURE.md', () => {
  it('lists every folder and file directly under src/', () => {
    const units = new Set(files.map((f) => unitOf(f) as string));
    expect([...units].filter((u) => !layers.has(u)).sort()).toEqual([]);
    expect([...layers.keys()].filter((u) => !units.has(u)).sort()).toEqual([]);
  });

  it('catches an upward import in every form TypeScript allows', () => {
    const forms = [
      "import { a } from '../cli/a.js';",
      "import type { B } from '../cli/b.js';",
      "export { c } from '../cli/c.js';",
      "export * from '../cli/d.js';",
      "import '../cli/e.js';",
      "const f = await import('../cli/f.js');",
      'const g = await import(`../cli/g.js`);',
      "import h = require('../cli/h.js');",
      'import {\n  x, // don\'t; "quoted"\n  y,\n} from "../cli/i.js";',
      'const name = "../cli/j.js";\nawait import(name);',
    ];
    const file = join(SRC, 'model', 'synthetic.ts');
    const found = forms.map((text) => violations([{ file, text }], layers));
    expect(found.map((f) => f.length)).toEqual(forms.map(() => 1));
    const fine = "import { ok } from './sibling.js';\nimport { e } from '../errors.js';";
    expect(violations([{ file, text: fine }], layers)).toEqual([]);
  });

  it('no folder imports one its row does not allow (no lower layer imports a higher one)', () => {
    const sources = files.map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    expect(violations(sources, layers)).toEqual([]);
  });

  it('the pure folders import no I/O: only pure folders, parsers and node:path, or types', () => {
    const sources = files
      .filter((f) => PURE.includes(unitOf(f) as string))
      .map((file) => ({ file, text: readFileSync(file, 'utf8') }));
    expect(sources.length).toBeGreaterThan(10);
    expect(impurities(sources)).toEqual([]);
  });

  it('the purity check catches I/O in every form', () => {
    const file = join(SRC, 'plan', 'synthetic.ts');
    const impure = [
      "import { readFileSync } from 'node:fs';",
      "import { spawn } from 'child_process';",
      "import * as dns from 'node:dns';",
      "import { hashTree } from '../hash/tree-hash.js';",
      "export { FileStateStore } from '../state/file-store.js';",
      "import '../fsutil/atomic-write.js';",
      "const git = await import('simple-git');",
      "import { type A, b } from '../state/file-store.js';",
    ];
    expect(impure.map((text) => impurities([{ file, text }]).length)).toEqual(impure.map(() => 1));
    const pure = [
      "import { join } from 'node:path';",
      "import type { DeployedState } from '../state/types.js';",
      "import { type A, type B } from '../state/file-store.js';",
      "export type { X } from '../targets/types.js';",
      "import { parse } from 'yaml';",
      "import { dependencyOrder } from '../model/graph.js';",
      "import { InputError } from '../errors.js';",
    ];
    expect(impurities(pure.map((text) => ({ file, text })))).toEqual([]);
  });

  it('a row names only rows above it (the layers form no cycle)', () => {
    const order = [...layers.keys()];
    const upward = order.flatMap((unit, i) =>
      [...(layers.get(unit) ?? [])]
        .filter((to) => !order.slice(0, i).includes(to))
        .map((to) => `${unit} may import ${to}, which is not above it`),
    );
    expect(upward).toEqual([]);
  });

  it(`source files over ${MAX_LINES} lines say at their top why`, () => {
    const long = files
      .map((f) => ({ f, text: readFileSync(f, 'utf8') }))
      .filter(({ text }) => lineCount(text) > MAX_LINES)
      .filter(({ text }) => !/Over 400 lines:/.test(text.split('\n').slice(0, 10).join('\n')))
      .map(({ f, text }) => `${relative(REPO_ROOT, f)} (${lineCount(text)} lines)`);
    expect(long).toEqual([]);
  });
});
