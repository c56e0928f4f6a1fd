// Keeps ARCHITECTURE.md true: every import between src/ folders must be one its "may import" column allows, every
// folder must be listed there, and a source file over 400 lines must say at its top why it is that long.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
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

/** Every relative module a file imports (static, type-only, re-exports and dynamic import()). */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'";]*?from\s*(['"])([^'"]+)\1/g))
    specs.push(m[2] ?? '');
  for (const m of text.matchAll(/(?:^|\n)\s*import\s*(['"])([^'"]+)\1/g)) specs.push(m[2] ?? '');
  for (const m of text.matchAll(/\bimport\(\s*(['"])([^'"]+)\1\s*\)/g)) specs.push(m[2] ?? '');
  return specs.filter((s) => s.startsWith('.'));
}

const layers = parseLayers(readFileSync(join(REPO_ROOT, 'ARCHITECTURE.md'), 'utf8'));
const files = sourceFiles(SRC);

describe('ARCHITECTURE.md', () => {
  it('lists every folder and file directly under src/', () => {
    const units = new Set(files.map((f) => unitOf(f) as string));
    expect([...units].filter((u) => !layers.has(u)).sort()).toEqual([]);
    expect([...layers.keys()].filter((u) => !units.has(u)).sort()).toEqual([]);
  });

  it('parses the import forms the check relies on', () => {
    const text = [
      "import { a } from '../model/a.js';",
      "import type { B } from '../plan/types.js';",
      "export { c } from './c.js';",
      "export * from '../state/types.js';",
      "import '../fsutil/side-effect.js';",
      "const m = await import('../cli/main.js');",
      "import { readFileSync } from 'node:fs';",
      'import {\n  x,\n  y,\n} from "../daemon/double-quotes.js";',
    ].join('\n');
    expect(importsOf(text)).toEqual([
      '../model/a.js',
      '../plan/types.js',
      './c.js',
      '../state/types.js',
      '../daemon/double-quotes.js',
      '../fsutil/side-effect.js',
      '../cli/main.js',
    ]);
  });

  it('no folder imports one its row does not allow (no lower layer imports a higher one)', () => {
    const bad: string[] = [];
    for (const file of files) {
      const from = unitOf(file) as string;
      const allowed = layers.get(from) ?? new Set<string>();
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const to = unitOf(resolve(dirname(file), spec));
        if (to === undefined || to === from || allowed.has(to)) continue;
        bad.push(`${relative(REPO_ROOT, file)} imports ${spec} (${from} → ${to})`);
      }
    }
    expect(bad).toEqual([]);
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
