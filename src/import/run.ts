// `ringlock import`'s plan and write: read the foreign locks, decide each one's ring, hash the module sources once,
// build each ring's lock (build.ts), refuse what must be refused, all before anything is written.
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { type Diagnostic, InputError, isErrnoException } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';
import { LOCK_MAX_BYTES, parseLockDoc, serializeLock } from '../model/lock.js';
import { throwIfErrors } from '../model/manifest.js';
import { lockSchemaRef } from '../model/schema-url.js';
import { diagAt } from '../model/semantics.js';
import { parseJsonSource, parseSource } from '../model/source.js';
import type { RingPolicy } from '../model/types.js';
import type { Workspace } from '../model/workspace.js';
import { hashSources } from '../verify/source-states.js';
import { type BuiltRing, buildRingLock } from './build.js';
import { sourcesAtVersions } from './history.js';
import type { ImportedLock, ImportFormat } from './types.js';

export interface ImportFile {
  /** As the user named it, for messages. */
  display: string;
  abs: string;
}

export interface ImportOptions {
  format: ImportFormat;
  files: readonly ImportFile[];
  /** `--ring R`: the ring of a lock that names none (default: the ring that tracks the sources). */
  ring?: string;
  /** `--ring A=R`: the foreign ring A becomes ringlock's ring R. */
  ringMap?: ReadonlyMap<string, string>;
  /** Replace a ring lock that already pins modules. */
  force?: boolean;
  partial?: boolean;
  onWalked?: (files: number) => void;
}

export interface PlannedRing extends BuiltRing {
  input: string;
  ring: string;
  /** How the ring was chosen: the lock's `ring` field, its file name, --ring, or the tracking ring. */
  ringFrom: string;
  /** The ring lock's path, root-relative, and absolute. */
  file: string;
  abs: string;
  text: string;
  /** The ring lock exists and pins modules (replaced only with --force). */
  replaces: boolean;
  /** The ring lock already has exactly these bytes. */
  unchanged: boolean;
}

export interface ImportPlan {
  rings: PlannedRing[];
  /** Lock files that exist and pin modules, which --force would replace (a dry run lists them instead of refusing). */
  refused: string[];
}

export async function planImport(ws: Workspace, opts: ImportOptions): Promise<ImportPlan> {
  const parsed = opts.files.map((f) => readImported(opts.format, f));
  const diags: Diagnostic[] = [];
  const rings = parsed.map((p, i) => chooseRing(ws, opts, p, opts.files[i]!, diags));
  if (opts.ring !== undefined && parsed.every((p) => p.ring))
    diags.push({
      severity: 'error',
      rule: 'cli/ring',
      message: `--ring ${opts.ring}: every lock given names its ring (${parsed.map((p) => p.ring!.name).join(', ')}); --ring R is for a lock that names none (${opts.format.name === 'autocom' ? 'manifest.lock.json' : 'a single-file lock'})`,
      expected: `--ring ${parsed[0]?.ring?.name ?? '<their ring>'}=${opts.ring} to import a lock into another ring`,
    });
  for (const [from, to] of opts.ringMap ?? [])
    if (!parsed.some((p) => p.ring?.name === from))
      diags.push({
        severity: 'error',
        rule: 'cli/ring',
        message: `--ring ${from}=${to}: no lock given names ring "${from}"`,
        expected: `one of: ${parsed.flatMap((p) => (p.ring ? [p.ring.name] : [])).join(', ') || '(none name a ring)'}`,
      });
  const seen = new Map<string, string>();
  rings.forEach((r, i) => {
    if (!r) return;
    const other = seen.get(r.ring.name);
    if (other !== undefined)
      diags.push({
        severity: 'error',
        rule: 'import/same-ring',
        message: `${opts.files[i]!.display} and ${other} are both imported into ring "${r.ring.name}"`,
        expected: 'one lock per ring: --ring <their ring>=<ring> maps a lock to another ring',
        file: opts.files[i]!.display,
      });
    seen.set(r.ring.name, opts.files[i]!.display);
  });
  throwIfErrors(diags);

  const sources = ws.modules();
  const workspace = new Map(
    [...sources].map(([n, m]) => [
      n,
      {
        version: m.manifest.version,
        relDir: m.relDir,
        manifestFile: m.manifestFile,
        ...(m.path !== undefined ? { path: m.path } : {}),
      },
    ]),
  );
  // Hash each source once, and only those some lock pins at the version they hold.
  const wanted = new Set(
    parsed.flatMap((p) =>
      p.modules.filter((m) => workspace.get(m.name)?.version === m.version).map((m) => m.name),
    ),
  );
  const states = await hashSources(
    [...sources.values()].filter((m) => wanted.has(m.name)),
    opts.onWalked,
  );

  // Rings that do not track the sources may pin older releases: hashed from the commit that last held them.
  const historic = await sourcesAtVersions(
    ws.root,
    parsed.flatMap((p, i) =>
      rings[i]!.ring.tracksSource
        ? []
        : p.modules.flatMap((m) => {
            const src = workspace.get(m.name);
            return src && src.version !== m.version
              ? [
                  {
                    name: m.name,
                    relDir: src.relDir,
                    version: m.version,
                    ...(src.path !== undefined ? { path: src.path } : {}),
                    platformDependencies: ws.cfg.manifests.platformDependencies,
                    lockManifest: ws.cfg.manifests.lockManifest,
                  },
                ]
              : [];
          }),
    ),
    ws.cfg.manifests.files,
  );

  const out: PlannedRing[] = [];
  for (const [i, p] of parsed.entries()) {
    const { ring, from } = rings[i]!;
    const previous = ws.readLock(ring.name);
    const built = buildRingLock({
      imported: p,
      ring,
      platformVersion: ws.platformVersion,
      workspace,
      states,
      historic,
      previous: previous?.lock,
      schema: lockSchemaRef(previous?.lock.$schema),
      partial: opts.partial === true,
    });
    diags.push(...built.diagnostics);
    const abs = ws.lockPath(ring.name);
    const text = serializeLock(built.lock);
    // What import writes, ringlock's own reader must take: checked here so a bad lock is never written.
    if (built.diagnostics.length === 0) parseLockDoc(parseSource(ws.display(abs), text), ring.name);
    // Through the workspace's source, not the disk: init could run this over the files it is about to write.
    const current = previous?.doc.text;
    out.push({
      ...built,
      input: opts.files[i]!.display,
      ring: ring.name,
      ringFrom: from,
      file: ws.display(abs),
      abs,
      text,
      replaces: previous !== undefined && Object.keys(previous.lock.modules).length > 0 && current !== text,
      unchanged: current === text,
    });
  }
  throwIfErrors(diags);
  return { rings: out, refused: opts.force ? [] : out.filter((r) => r.replaces).map((r) => r.file) };
}

/** Refuses (exit 2, nothing written) when a lock that pins modules would be replaced without --force. */
export function assertNoRefusals(plan: ImportPlan): void {
  if (plan.refused.length === 0) return;
  const message = `${plan.refused.join(', ')} already pin${plan.refused.length === 1 ? 's' : ''} modules; import replaces a ring's whole lock (its pins, integrity and artifacts), so nothing was written`;
  const expected =
    '--force to replace it (pins whose version and content are unchanged keep their integrity and artifact), or --dry-run to see what would change';
  throw new InputError('import/exists', message, {
    file: plan.refused[0],
    expected,
    details: plan.refused.map((file) => ({
      severity: 'error' as const,
      rule: 'import/exists',
      message,
      expected,
      file,
    })),
  });
}

/** Writes every ring lock that changes; returns the paths written. */
export function writeImport(plan: ImportPlan): string[] {
  assertNoRefusals(plan);
  const written: string[] = [];
  for (const r of plan.rings) {
    if (r.unchanged) continue;
    mkdirSync(dirname(r.abs), { recursive: true });
    writeFileAtomic(r.abs, r.text, r.file);
    written.push(r.file);
  }
  return written;
}

function readImported(format: ImportFormat, f: ImportFile): ImportedLock {
  let text: string;
  try {
    const st = statSync(f.abs);
    // A FIFO or a device would block the read or never end: only a regular file is a lock.
    if (!st.isFile())
      throw new InputError(
        'import/not-a-file',
        `${f.display}: ${st.isDirectory() ? 'a directory' : 'not a regular file'}`,
        {
          file: f.display,
          expected: `the ${format.name} lock file to import`,
        },
      );
    const size = st.size;
    if (size > LOCK_MAX_BYTES)
      throw new InputError('import/too-large', `${f.display}: ${size} bytes, more than a lock may be`, {
        file: f.display,
        expected: `at most ${LOCK_MAX_BYTES} bytes`,
      });
    text = readFileSync(f.abs, 'utf8');
  } catch (e) {
    if (e instanceof InputError) throw e;
    const missing = isErrnoException(e) && e.code === 'ENOENT';
    throw new InputError(
      missing ? 'import/not-found' : 'import/unreadable',
      `${f.display}: ${missing ? 'no such file' : String(e)}`,
      {
        file: f.display,
        expected: `the ${format.name} lock file to import`,
        cause: e,
      },
    );
  }
  const { lock, diagnostics } = format.parse(parseJsonSource(f.display, text));
  throwIfErrors(diagnostics);
  return lock!;
}

function chooseRing(
  ws: Workspace,
  opts: ImportOptions,
  p: ImportedLock,
  f: ImportFile,
  diags: Diagnostic[],
): { ring: RingPolicy; from: string } | undefined {
  const names = ws.rings.map((r) => r.name);
  const byName = (n: string) => ws.rings.find((r) => r.name === n);
  if (p.ring) {
    const mapped = opts.ringMap?.get(p.ring.name);
    const target = byName(mapped ?? p.ring.name);
    if (target)
      return { ring: target, from: mapped ? `--ring ${p.ring.name}=${mapped}` : `its ${p.ring.from}` };
    const message = `${p.ring.from === 'field' ? '/ring: ' : ''}ring "${p.ring.name}" (from the lock's ${p.ring.from}) is not a ring of ${ws.cfg.file} (${names.join(', ')})`;
    const expected = `--ring ${p.ring.name}=<ring> to import it into one of: ${names.join(', ')}`;
    diags.push(
      p.ring.pointer
        ? diagAt(p.doc, p.ring.pointer, 'import/unknown-ring', message, expected)
        : { severity: 'error', rule: 'import/unknown-ring', message, expected, file: f.display },
    );
    return undefined;
  }
  if (opts.ring !== undefined) return { ring: ws.ring(opts.ring), from: `--ring ${opts.ring}` };
  return { ring: ws.trackingRing(), from: 'the ring that tracks the sources' };
}
