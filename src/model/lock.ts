// Ring lock files: validation and the byte-stable writer (sorted keys, 2-space indent, trailing newline).
import type { Diagnostic } from '../errors.js';
import { type Reading, readText } from './file-source.js';
import { throwIfErrors } from './manifest.js';
import { validateSchema } from './schema.js';
import { checkRanges, diagAt } from './semantics.js';
import { escapePointer, parseSource, type SourceDoc } from './source.js';
import type { LockEntry, RingLock } from './types.js';

export interface LockDoc {
  lock: RingLock;
  doc: SourceDoc;
}

export function lockDiagnostics(doc: SourceDoc, expectedRing?: string): Diagnostic[] {
  const schema = validateSchema('lock', doc);
  if (schema.length > 0) return schema;
  const lock = doc.value as RingLock;
  const out: Diagnostic[] = [];
  if (expectedRing !== undefined && lock.ring !== expectedRing) {
    out.push(
      diagAt(
        doc,
        '/ring',
        'lock/ring-mismatch',
        `/ring: the lock says "${lock.ring}" but the file is the lock of ring "${expectedRing}"`,
        `"${expectedRing}"`,
      ),
    );
  }
  const folded = new Map<string, string>();
  for (const [name, entry] of Object.entries(lock.modules)) {
    const esc = escapePointer(name);
    const other = folded.get(name.toLowerCase());
    if (other !== undefined) {
      out.push(
        diagAt(
          doc,
          `/modules/${esc}`,
          'module/name-collision',
          `module "${name}" collides with "${other}" (names must differ case-insensitively)`,
          undefined,
          'key',
        ),
      );
    }
    folded.set(name.toLowerCase(), name);
    // The deploy path is the name in its folder's case: it can neither leave the target nor take another module's path.
    if (entry.path !== undefined && entry.path.toLowerCase() !== name) {
      out.push(
        diagAt(
          doc,
          `/modules/${esc}/path`,
          'lock/module-path',
          `/modules/${name}/path: "${entry.path}" is not the module name "${name}" in other letter case`,
          `"${name}" in the case of its folder (e.g. ${name.replace(/(^|\/)([a-z])/g, (_, a: string, b: string) => a + b.toUpperCase())}), or no path`,
        ),
      );
    }
    // The digest is what an OCI registry pulls by, and the artifact is what reaches it: they must name the same manifest.
    if (entry.digest !== undefined && !entry.artifact?.endsWith(`@${entry.digest}`)) {
      out.push(
        diagAt(
          doc,
          `/modules/${esc}/digest`,
          'lock/digest',
          `/modules/${name}/digest: ${entry.digest} is not the manifest the artifact names (${entry.artifact ?? 'no artifact'})`,
          `artifact: "<repository>@${entry.digest}", as ringlock publish writes it (or no digest)`,
        ),
      );
    }
    if (entry.compatibility?.platform !== undefined) {
      out.push(
        ...checkRanges(doc, `/modules/${esc}/compatibility`, { platform: entry.compatibility.platform }),
      );
    }
    out.push(...checkRanges(doc, `/modules/${esc}/dependencies`, entry.dependencies));
  }
  return out;
}

export function parseLockDoc(doc: SourceDoc, expectedRing?: string): LockDoc {
  throwIfErrors(lockDiagnostics(doc, expectedRing));
  return { lock: doc.value as RingLock, doc };
}

/** The most a ring lock may be (the default cap of every reader). */
export const LOCK_MAX_BYTES = 16 * 1024 * 1024;

/** A ring's lock at `file` in a file source, validated; undefined when the file does not exist there. */
export function* readLock(
  file: string,
  expectedRing?: string,
): Reading<(LockDoc & { text: string; file: string }) | undefined> {
  const text = yield* readText(file, { what: 'ring lock', maxBytes: LOCK_MAX_BYTES });
  if (text === undefined) return undefined;
  return { ...parseLockDoc(parseSource(file, text), expectedRing), text, file };
}

/** The lock's entry for `name`, never an inherited property (a module may be called `constructor`). */
export function lockEntry(lock: RingLock | undefined, name: string): LockEntry | undefined {
  return lock && Object.hasOwn(lock.modules, name) ? lock.modules[name] : undefined;
}

/** The canonical bytes of a lock: the same state always gives the same text. */
export function serializeLock(lock: RingLock): string {
  const sorted = sortKeys({ ...lock, modules: {} }) as RingLock;
  for (const name of Object.keys(lock.modules).sort(byCodeUnit)) {
    const entry = lock.modules[name]!;
    const hasData = entry.manifest !== undefined;
    const out = sortKeys(hasData ? { ...entry, manifest: 0 } : entry) as LockEntry;
    // The platform's own manifest data keeps the manifest's key order: it is theirs, as they wrote it.
    if (hasData) out.manifest = entry.manifest;
    sorted.modules[name] = out;
  }
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

/** A copy with object keys in code-unit order, recursively. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort(byCodeUnit)) {
      const val = (v as Record<string, unknown>)[k];
      if (val !== undefined) out[k] = sortKeys(val);
    }
    return out;
  }
  return v;
}

function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
