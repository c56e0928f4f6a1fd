// Reading the platform repository at a commit for the pull-request check: config, locks, manifests, tenants and
// module trees, straight from git objects (no checkout of either side) through one `git cat-file --batch`.
// Parse and schema problems of the head side come back as RL001 findings at file:line:column.
import { posix } from 'node:path';
import { type Diagnostic, InputError } from '../errors.js';
import { type Capped, CommitTree } from '../git/commit-source.js';
import {
  CONFIG_FILES,
  CONFIG_MAX_BYTES,
  configDiagnostics,
  type LoadedConfig,
  resolveConfig,
  VERSION_FILE_MAX_BYTES,
  versionFileOf,
} from '../model/config.js';
import { LOCK_MAX_BYTES, lockDiagnostics } from '../model/lock.js';
import { MANIFEST_MAX_BYTES, manifestDiagnostics } from '../model/manifest.js';
import { validateSchema } from '../model/schema.js';
import { diagAt } from '../model/semantics.js';
import { parseSource, type SourceDoc } from '../model/source.js';
import type { ModuleManifest, RingLock, TenantsFile } from '../model/types.js';
import { RULE } from '../rules/promotion.js';
import type { CheckFinding } from './types.js';

/** Repo-relative path of `rel` under the config folder `dir`, or undefined when it leads outside the repository. */
export function under(dir: string, rel: string): string | undefined {
  const p = posix.normalize(posix.join(dir, rel));
  if (p === '..' || p.startsWith('../') || posix.isAbsolute(p)) return undefined;
  return p;
}

export function schemaFindings(diags: readonly Diagnostic[]): CheckFinding[] {
  return diags
    .filter((d) => d.severity !== 'info')
    .map((d) => ({
      rule: RULE.schema,
      severity: d.severity === 'warning' ? ('warning' as const) : ('error' as const),
      message: `${d.message} [${d.rule}]`,
      ...(d.expected ? { expected: d.expected } : {}),
      ...(d.file ? { file: d.file } : {}),
      ...(d.line !== undefined ? { line: d.line } : {}),
      ...(d.column !== undefined ? { column: d.column } : {}),
      ...(d.pointer !== undefined ? { pointer: d.pointer } : {}),
    }));
}

/** Parses a file's text; a syntax error becomes RL001 findings. */
export function parseOrFindings(file: string, text: string): { doc?: SourceDoc; findings: CheckFinding[] } {
  try {
    return { doc: parseSource(file, text), findings: [] };
  } catch (e) {
    if (e instanceof InputError) return { findings: schemaFindings(e.diagnostics()) };
    throw e;
  }
}

/** The most of each kind of file a check reads (the caps the daemon and the CLI apply when they read them). */
export const CAPS = {
  config: CONFIG_MAX_BYTES,
  versionFile: VERSION_FILE_MAX_BYTES,
  lock: LOCK_MAX_BYTES,
  manifest: MANIFEST_MAX_BYTES,
  tenants: 4 * 1024 * 1024,
  changelog: 16 * 1024 * 1024,
} as const;

/** The head or base side of the change: the commit's tree, read through one `git cat-file --batch`. */
export type CommitReader = CommitTree;
export { type Capped, CommitTree };

/** RL001 for a file over its cap: it is reported at the file, never read whole. */
export function tooLargeFinding(file: string, c: { size: number; max: number }, what: string): CheckFinding {
  return {
    rule: RULE.schema,
    severity: 'error',
    file,
    line: 1,
    message: `${file} is ${c.size} bytes, more than the ${c.max} bytes a ${what} may have: not read [file/too-large]`,
    expected: `a ${what} of at most ${c.max} bytes`,
  };
}

export interface ConfigAt {
  /** Repo-relative path of ringlock.yaml. */
  file: string;
  /** Repo-relative folder of ringlock.yaml ('.' at the top). */
  dir: string;
  cfg?: LoadedConfig;
  /** The parsed file, for positions of findings about it. */
  doc?: SourceDoc;
  findings: CheckFinding[];
  /** Repo-relative path of the platform version file, when one is used. */
  versionFile?: string;
}

/** The nearest ringlock.yaml at `commit`, from `startDir` (repo-relative) upwards. */
export async function findConfig(at: CommitReader, startDir: string): Promise<string | undefined> {
  let dir = startDir;
  for (;;) {
    for (const name of CONFIG_FILES) {
      const f = dir === '.' ? name : `${dir}/${name}`;
      if (await at.exists(f)) return f;
    }
    if (dir === '.') return undefined;
    dir = posix.dirname(dir);
  }
}

/** ringlock.yaml (and its platform version file) at a commit, resolved, or the RL001 findings that stop it. */
export async function loadConfigAt(at: CommitReader, file: string): Promise<ConfigAt> {
  const dir = posix.dirname(file);
  const read = await at.read(file, CAPS.config);
  if (read === undefined) return { file, dir, findings: [] };
  if (!('text' in read)) return { file, dir, findings: [tooLargeFinding(file, read, 'ringlock.yaml')] };
  const { doc, findings } = parseOrFindings(file, read.text);
  if (!doc) return { file, dir, findings };
  const diags = configDiagnostics(doc);
  if (diags.some((d) => d.severity === 'error')) return { file, dir, findings: schemaFindings(diags) };
  const versionRel = versionFileOf(doc);
  const versionFile = versionRel === undefined ? undefined : under(dir, versionRel);
  const versionRead = versionFile === undefined ? undefined : await at.read(versionFile, CAPS.versionFile);
  if (versionRead && !('text' in versionRead))
    return {
      file,
      dir,
      findings: [tooLargeFinding(versionFile!, versionRead, 'platform version file')],
      ...(versionFile ? { versionFile } : {}),
    };
  const versionText = versionRead?.text;
  try {
    const cfg = resolveConfig(dir, file, doc, (rel) => {
      if (versionText === undefined)
        throw new InputError('file/not-found', 'platform version file not found', { file: rel });
      return versionText;
    });
    return { file, dir, cfg, doc, findings: [], ...(versionFile ? { versionFile } : {}) };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const findings = schemaFindings(e.diagnostics()).map((f) =>
      f.file === versionRel && versionFile ? { ...f, file: versionFile } : f,
    );
    return { file, dir, findings, ...(versionFile ? { versionFile } : {}) };
  }
}

export interface LockAt {
  file: string;
  lock?: RingLock;
  doc?: SourceDoc;
  /** The file exists at this commit. */
  exists: boolean;
  findings: CheckFinding[];
}

/** A ring's lock: validated with positions (`strict`, for the head side of a changed lock) or read loosely. */
export async function readLockAt(
  at: CommitReader,
  file: string,
  ring: string,
  strict: boolean,
): Promise<LockAt> {
  const read = await at.read(file, CAPS.lock);
  if (read === undefined) return { file, exists: false, findings: [] };
  // Only the side being judged reports its size; an oversized lock on the other side is read as no lock.
  if (!('text' in read))
    return { file, exists: true, findings: strict ? [tooLargeFinding(file, read, 'ring lock')] : [] };
  const text = read.text;
  if (!strict) return { file, exists: true, lock: loose<RingLock>(text, (v) => isLock(v)), findings: [] };
  const { doc, findings } = parseOrFindings(file, text);
  if (!doc) return { file, exists: true, findings };
  const diags = lockDiagnostics(doc, ring);
  if (diags.some((d) => d.severity === 'error'))
    return { file, exists: true, doc, findings: schemaFindings(diags) };
  return { file, exists: true, doc, lock: doc.value as RingLock, findings: [] };
}

export interface ManifestAt {
  file: string;
  exists: boolean;
  manifest?: ModuleManifest;
  doc?: SourceDoc;
  findings: CheckFinding[];
}

/**
 * A module's manifest (the first of the config's manifest files in `dir`): validated with positions (`strict`) or
 * read loosely. `folder` is the folder path under the modules folder, as it is (Orders for the module "orders").
 */
export async function readManifestAt(
  at: CommitReader,
  dir: string,
  folder: string,
  cfg: Pick<LoadedConfig, 'modulesDir' | 'manifests'>,
  strict: boolean,
): Promise<ManifestAt> {
  const { files, mode, permissionsPolicy } = cfg.manifests;
  let file = `${dir}/${files[0]}`;
  let read: Awaited<ReturnType<CommitReader['read']>>;
  for (const name of files) {
    file = `${dir}/${name}`;
    read = await at.read(file, CAPS.manifest);
    if (read !== undefined) break;
  }
  if (read === undefined) return { file: `${dir}/${files[0]}`, exists: false, findings: [] };
  if (!('text' in read))
    return {
      file,
      exists: true,
      findings: strict ? [tooLargeFinding(file, read, posix.basename(file))] : [],
    };
  const text = read.text;
  if (!strict)
    return {
      file,
      exists: true,
      manifest: loose<ModuleManifest>(text, (v) => typeof (v as ModuleManifest).version === 'string'),
      findings: [],
    };
  const { doc, findings } = parseOrFindings(file, text);
  if (!doc) return { file, exists: true, findings };
  const diags = manifestDiagnostics(doc, { mode, permissionsPolicy });
  const m = doc.value as ModuleManifest;
  if (!diags.some((d) => d.severity === 'error') && m.name !== folder && m.name !== folder.toLowerCase()) {
    diags.push(
      diagAt(
        doc,
        '/name',
        'module/name-mismatch',
        `module name "${m.name}" does not match its directory "${folder}"`,
        `"${folder}" (the directory path under ${cfg.modulesDir}/)`,
      ),
    );
  }
  if (diags.some((d) => d.severity === 'error'))
    return { file, exists: true, doc, findings: schemaFindings(diags) };
  return { file, exists: true, doc, manifest: m, findings: [] };
}

/** rings/tenants.yaml at head: schema problems as RL001; undefined tenants when absent or invalid. */
export async function readTenantsAt(
  at: CommitReader,
  file: string,
): Promise<{ exists: boolean; tenants?: Record<string, string>; doc?: SourceDoc; findings: CheckFinding[] }> {
  const read = await at.read(file, CAPS.tenants);
  if (read === undefined) return { exists: false, findings: [] };
  if (!('text' in read)) return { exists: true, findings: [tooLargeFinding(file, read, 'tenants file')] };
  const { doc, findings } = parseOrFindings(file, read.text);
  if (!doc) return { exists: true, findings };
  const diags = validateSchema('tenants', doc);
  if (diags.length > 0) return { exists: true, doc, findings: schemaFindings(diags) };
  return { exists: true, doc, tenants: (doc.value as TenantsFile).tenants, findings: [] };
}

function loose<T>(text: string, ok: (v: unknown) => boolean): T | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === 'object' && v !== null && ok(v) ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

function isLock(v: unknown): boolean {
  const l = v as RingLock;
  return typeof l.platform === 'string' && typeof l.modules === 'object' && l.modules !== null;
}
