// module.json: read, validate against the schema, then check ranges and self-dependencies.
import { type Diagnostic, InputError } from '../errors.js';
import { type Reading, readText } from './file-source.js';
import { validateSchema } from './schema.js';
import { checkRanges, diagAt } from './semantics.js';
import { parseSource, type SourceDoc } from './source.js';
import type { ModuleManifest } from './types.js';

export const MANIFEST_FILE = 'module.json';
export const MANIFEST_MAX_BYTES = 64 * 1024;

export interface ManifestDoc {
  manifest: ModuleManifest;
  doc: SourceDoc;
}

export function manifestDiagnostics(doc: SourceDoc): Diagnostic[] {
  const schema = validateSchema('module', doc);
  if (schema.length > 0) return schema;
  const m = doc.value as ModuleManifest;
  const out: Diagnostic[] = [];
  if (m.compatibility?.platform !== undefined) {
    out.push(...checkRanges(doc, '/compatibility', { platform: m.compatibility.platform }));
  }
  out.push(...checkRanges(doc, '/dependencies', m.dependencies));
  if (m.dependencies && Object.hasOwn(m.dependencies, m.name)) {
    const ptr = `/dependencies/${m.name.replace(/\//g, '~1')}`;
    out.push(
      diagAt(
        doc,
        ptr,
        'module/self-dependency',
        `${m.name} depends on itself`,
        'dependencies on other modules only',
        'key',
      ),
    );
  }
  return out;
}

/** Validates a parsed module.json; throws an InputError carrying every problem found. */
export function parseManifestDoc(doc: SourceDoc): ManifestDoc {
  throwIfErrors(manifestDiagnostics(doc));
  return { manifest: doc.value as ModuleManifest, doc };
}

export const MANIFEST_CAP = { maxBytes: MANIFEST_MAX_BYTES, what: 'module manifest' };

/** A module.json at `file` in a file source, validated; undefined when it does not exist there. */
export function* readManifestIn(file: string): Reading<ManifestDoc | undefined> {
  const text = yield* readText(file, MANIFEST_CAP);
  return text === undefined ? undefined : parseManifestDoc(parseSource(file, text));
}

export function throwIfErrors(diags: Diagnostic[]): void {
  const errors = diags.filter((d) => d.severity === 'error');
  if (errors.length === 0) return;
  const first = errors[0]!;
  throw new InputError(first.rule, first.message, {
    file: first.file,
    line: first.line,
    column: first.column,
    pointer: first.pointer,
    expected: first.expected,
    details: errors,
  });
}
