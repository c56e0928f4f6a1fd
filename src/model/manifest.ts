// Module manifests (module.json, module.manifest.json): read, validate the fields ringlock interprets against the
// schema, then check ranges, self-dependencies and the opt-in permissions policy. Every other top-level field is the
// platform's own data: accepted as it is (open mode) or refused as an unknown property (strict mode).
import moduleSchema from '../../schemas/module.schema.json' with { type: 'json' };
import { type Diagnostic, InputError } from '../errors.js';
import { type Reading, readText } from './file-source.js';
import { validateSchema } from './schema.js';
import { checkRanges, diagAt } from './semantics.js';
import { escapePointer, parseSource, type SourceDoc } from './source.js';
import type { HealthCheckSpec, ModuleManifest } from './types.js';

export const MANIFEST_FILE = 'module.json';
/** The manifest file names ringlock recognises, in the default order it looks for them in a module folder. */
export const MANIFEST_FILES = ['module.json', 'module.manifest.json'] as const;
/** The most a manifest may be, platform data included (SeptemCore's limit for module.manifest.json). */
export const MANIFEST_MAX_BYTES = 64 * 1024;

/** The top-level fields ringlock interprets; any other is the platform's own. */
export const RINGLOCK_FIELDS: readonly string[] = Object.keys(moduleSchema.properties);
const INTERPRETED = new Set(RINGLOCK_FIELDS.filter((k) => k !== 'description'));

export type ManifestMode = 'open' | 'strict';

export interface ManifestOptions {
  /** open (default): other fields are the platform's data; strict: they are unknown properties. */
  mode?: ManifestMode;
  /** Check `permissions` against SeptemCore's rule (modules.permissionsPolicy). */
  permissionsPolicy?: boolean;
}

export interface ManifestDoc {
  manifest: ModuleManifest;
  doc: SourceDoc;
}

export function manifestDiagnostics(doc: SourceDoc, opts: ManifestOptions = {}): Diagnostic[] {
  const schema = validateSchema('module', doc);
  if (opts.mode === 'strict' && isObject(doc.value)) schema.push(...unknownFields(doc));
  if (schema.length > 0) return schema;
  const m = doc.value as ModuleManifest;
  const out: Diagnostic[] = [];
  if (m.compatibility?.platform !== undefined) {
    out.push(...checkRanges(doc, '/compatibility', { platform: m.compatibility.platform }));
  }
  out.push(...checkRanges(doc, '/dependencies', m.dependencies));
  const id = moduleIdOf(m);
  const self = [m.name, id].find((n) => m.dependencies && Object.hasOwn(m.dependencies, n));
  if (self !== undefined) {
    out.push(
      diagAt(
        doc,
        `/dependencies/${escapePointer(self)}`,
        'module/self-dependency',
        `${m.name} depends on itself`,
        'dependencies on other modules only',
        'key',
      ),
    );
  }
  if (m.alias !== undefined && m.alias !== m.name.toLowerCase()) {
    out.push(
      diagAt(
        doc,
        '/alias',
        'module/alias',
        `alias "${m.alias}" is not the lowercase of name "${m.name}"`,
        `"${m.name.toLowerCase()}" (the module's name in locks), or no alias`,
      ),
    );
  }
  if (opts.permissionsPolicy) out.push(...permissionDiagnostics(doc, m));
  return out;
}

/** Strict mode: every top-level field ringlock does not interpret is an unknown property, as the closed schema had it. */
function unknownFields(doc: SourceDoc): Diagnostic[] {
  const known = new Set(RINGLOCK_FIELDS);
  return Object.keys(doc.value as object)
    .filter((k) => !known.has(k))
    .map((k) =>
      diagAt(
        doc,
        `/${escapePointer(k)}`,
        'schema/additionalProperties',
        `/${escapePointer(k)}: unknown property "${k}"`,
        `one of: ${RINGLOCK_FIELDS.filter((f) => f !== '$schema').join(', ')} (modules.manifest is strict)`,
        'key',
      ),
    );
}

const PERMISSION_RE = /^[a-z0-9][a-z0-9_-]*(?:\.[a-z0-9][a-z0-9_-]*)+$/;
const RESERVED = ['system', 'platform'];

/**
 * SeptemCore's permission rule: at least one; lowercase.dot.notation; each starts with `<moduleId>.` (the module's
 * name without its scope: `@acme/crm` → `crm.`); `system.*` and `platform.*` are reserved.
 */
function permissionDiagnostics(doc: SourceDoc, m: ModuleManifest): Diagnostic[] {
  const rule = 'module/permissions';
  const prefix = `${moduleIdOf(m).replace(/^@[^/]+\//, '')}.`;
  const list = (m as unknown as { permissions?: unknown }).permissions;
  if (!Array.isArray(list) || list.length === 0) {
    const at = list === undefined ? '' : '/permissions';
    return [
      diagAt(
        doc,
        at,
        rule,
        `${at || '/'}: ${list === undefined ? 'no permissions' : 'permissions must be a non-empty array of strings'} (modules.permissionsPolicy)`,
        `"permissions": ["${prefix}read", …]`,
      ),
    ];
  }
  const out: Diagnostic[] = [];
  list.forEach((p: unknown, i) => {
    const ptr = `/permissions/${i}`;
    const bad = (why: string, expected: string) =>
      out.push(diagAt(doc, ptr, rule, `${ptr}: permission ${JSON.stringify(p)} ${why}`, expected));
    if (typeof p !== 'string' || !PERMISSION_RE.test(p))
      bad('is not lowercase.dot.notation', `lowercase.dot.notation like "${prefix}read"`);
    else if (RESERVED.some((r) => p.startsWith(`${r}.`)))
      bad(
        'uses a reserved prefix',
        `a permission of the module's own, "${prefix}…" (system.* and platform.* are reserved)`,
      );
    else if (!p.startsWith(prefix)) bad(`does not start with "${prefix}"`, `"${prefix}…"`);
  });
  return out;
}

/** Validates a parsed manifest; throws an InputError carrying every problem found. */
export function parseManifestDoc(doc: SourceDoc, opts: ManifestOptions = {}): ManifestDoc {
  throwIfErrors(manifestDiagnostics(doc, opts));
  return { manifest: doc.value as ModuleManifest, doc };
}

export const MANIFEST_CAP = { maxBytes: MANIFEST_MAX_BYTES, what: 'module manifest' };

/** A manifest at `file` in a file source, validated; undefined when it does not exist there (a file source's
 * too-large error comes from the runner: pass it through atFirstLine). */
export function* readManifestIn(file: string, opts: ManifestOptions = {}): Reading<ManifestDoc | undefined> {
  const text = yield* readText(file, MANIFEST_CAP);
  return text === undefined ? undefined : parseManifestDoc(parseSource(file, text), opts);
}

/** A too-large manifest is reported at its first line, as every other manifest problem has a line. */
export function atFirstLine(e: unknown): unknown {
  if (!(e instanceof InputError) || e.code !== 'file/too-large' || e.line !== undefined) return e;
  return new InputError(e.code, e.message, {
    file: e.file,
    line: 1,
    column: 1,
    expected: e.expected ?? `at most ${MANIFEST_MAX_BYTES} bytes`,
    cause: e,
  });
}

/**
 * A folder of lock files, not a module (AutoCom keeps its per-ring locks in Modules/manifests/): it holds at least one
 * `*.lock.json` and nothing but `*.lock.json` files and their `*.lock.schema.json`. Skipped without a warning.
 */
export function isLockFolder(entries: readonly { name: string; kind: string }[]): boolean {
  const shown = entries.filter((e) => !e.name.startsWith('.'));
  return (
    shown.some((e) => e.name.endsWith('.lock.json')) &&
    shown.every((e) => e.kind === 'file' && /\.lock(?:\.schema)?\.json$/.test(e.name))
  );
}

/** The module's name in locks and state: `alias` when given (AutoCom), else `name` lowercased (`Orders` → `orders`). */
export function moduleIdOf(m: Pick<ModuleManifest, 'name' | 'alias'>): string {
  return m.alias ?? m.name.toLowerCase();
}

/** The platform's own fields of a manifest, in the manifest's order, values untouched. Empty object when none. */
export function platformData(m: ModuleManifest): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) if (!INTERPRETED.has(k)) out[k] = v;
  return out;
}

/** The object form of a manifest's health check: a string is a path (starts with '/') or a URL. */
export function healthCheckOf(m: ModuleManifest): HealthCheckSpec | undefined {
  const hc = m.healthCheck;
  if (typeof hc !== 'string') return hc;
  return hc.startsWith('/') ? { http: { path: hc } } : { http: { url: hc } };
}

export const DEFAULT_PLATFORM_DEPENDENCIES = ['@platform/*'];

/** Whether a dependency is the platform's (`@platform/sdk` under the default `@platform/*`), not a module. */
export function isPlatformDependency(name: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith('/*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** A manifest's dependencies on modules: those on the platform's packages left out. */
export function moduleDependencies(m: ModuleManifest, patterns: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.dependencies ?? {}))
    if (!isPlatformDependency(k, patterns)) out[k] = v;
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
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
