// ringlock.yaml: read it from a file source, validate it, and resolve ring policies and the platform version.
import { type Diagnostic, InputError } from '../errors.js';
import { parseDuration } from './duration.js';
import { type Reading, readText } from './file-source.js';
import { freezeDiagnostics } from './freeze.js';
import {
  DEFAULT_PLATFORM_DEPENDENCIES,
  MANIFEST_FILES,
  type ManifestMode,
  throwIfErrors,
} from './manifest.js';
import { validateSchema } from './schema.js';
import { diagAt, isSemver } from './semantics.js';
import { parseSource, type SourceDoc } from './source.js';
import type { RinglockConfig, RingPolicy } from './types.js';

export const CONFIG_FILES = ['ringlock.yaml', 'ringlock.yml'];

export interface LoadedConfig {
  root: string;
  file: string;
  doc: SourceDoc;
  config: RinglockConfig;
  rings: RingPolicy[];
  platformVersion: string;
  modulesDir: string;
  locksDir: string;
  tenantsFile: string;
  /** How module manifests are found and read (modules.* in ringlock.yaml, defaults filled in). */
  manifests: ManifestSettings;
}

export interface ManifestSettings {
  mode: ManifestMode;
  /** File names looked for in each module folder, first found wins. */
  files: string[];
  lockManifest: boolean;
  platformDependencies: string[];
  permissionsPolicy: boolean;
}

/** The manifest settings of a config (defaults for what it leaves out). */
export function manifestSettings(c: RinglockConfig['modules']): ManifestSettings {
  return {
    mode: c?.manifest ?? 'open',
    files: c?.manifestFile ?? [...MANIFEST_FILES],
    lockManifest: c?.lockManifest ?? false,
    platformDependencies: c?.platformDependencies ?? [...DEFAULT_PLATFORM_DEPENDENCIES],
    permissionsPolicy: c?.permissionsPolicy ?? false,
  };
}

export function configDiagnostics(doc: SourceDoc): Diagnostic[] {
  const schema = validateSchema('config', doc);
  if (schema.length > 0) return schema;
  const c = doc.value as RinglockConfig;
  const out: Diagnostic[] = [];
  const hasVersion = c.platform.version !== undefined;
  const hasFile = c.platform.versionFile !== undefined;
  if (hasVersion === hasFile) {
    out.push(
      diagAt(
        doc,
        '/platform',
        'config/platform-version',
        '/platform: give exactly one of "version" or "versionFile"',
        'platform.version: 2.0.0, or platform.versionFile: VERSION',
      ),
    );
  }
  const seen = new Map<string, number>();
  c.rings.forEach((r, i) => {
    const prev = seen.get(r.name);
    if (prev !== undefined) {
      out.push(
        diagAt(
          doc,
          `/rings/${i}/name`,
          'config/duplicate-ring',
          `ring "${r.name}" is defined twice (also at /rings/${prev})`,
          'unique ring names',
        ),
      );
    }
    if (r.promoteFrom !== undefined) {
      if (i === 0) {
        out.push(
          diagAt(
            doc,
            `/rings/0/promoteFrom`,
            'config/promote-from',
            `the first ring "${r.name}" cannot promote from another ring`,
            'no promoteFrom on the first ring',
          ),
        );
      } else if (!seen.has(r.promoteFrom)) {
        out.push(
          diagAt(
            doc,
            `/rings/${i}/promoteFrom`,
            'config/promote-from',
            `ring "${r.name}" promotes from "${r.promoteFrom}", which is not a ring defined before it`,
            `one of: ${[...seen.keys()].join(', ')}`,
          ),
        );
      }
    }
    seen.set(r.name, i);
  });
  const reg = c.registry as { type?: string; url?: string } | undefined;
  if ((reg?.type === 'http' || reg?.type === 'oci') && !reg.url) {
    out.push(
      diagAt(
        doc,
        '/registry',
        'config/registry',
        `/registry: type "${reg.type}" needs a "url"`,
        reg.type === 'oci' ? 'registry.url: oci://host/prefix' : 'registry.url: https://…',
      ),
    );
  }
  // The URL's scheme picks the driver: an oci:// URL is type oci, and type oci takes no other.
  if (reg?.url !== undefined && (reg.type === 'oci') !== /^oci:/i.test(reg.url)) {
    out.push(
      diagAt(
        doc,
        '/registry/url',
        'config/registry',
        `/registry/url: type "${reg.type ?? 'file'}" does not go with ${reg.url.slice(0, 80)}`,
        'type: oci with url: oci://host/prefix, or type: http with url: https://…',
      ),
    );
  }
  for (const key of ['reconcile', 'fullRehash'] as const) {
    const expr = (c.schedule as Record<string, unknown> | undefined)?.[key];
    if (typeof expr === 'string') {
      const n = expr.trim().split(/\s+/).length;
      if (n !== 5 && n !== 6) {
        out.push(
          diagAt(
            doc,
            `/schedule/${key}`,
            'config/cron',
            `/schedule/${key}: "${expr}" has ${n} fields`,
            'a cron expression with 5 or 6 fields',
          ),
        );
      }
    }
  }
  out.push(...ownCredentialDiagnostics(doc, c));
  out.push(
    ...freezeDiagnostics(
      doc,
      c.promotion?.freeze ?? [],
      c.rings.map((r) => r.name),
    ),
  );
  return out;
}

/**
 * ringlock's own credentials, which no `tokenEnv` / `secretEnv` in ringlock.yaml may name: the repository must not
 * be able to hand the git token or the webhook secret to a registry, a receiver or another API.
 */
export const OWN_CREDENTIAL_ENVS = ['RINGLOCK_GIT_TOKEN', 'RINGLOCK_WEBHOOK_SECRET', 'RINGLOCK_API_TOKEN'];

function ownCredentialDiagnostics(doc: SourceDoc, c: RinglockConfig): Diagnostic[] {
  const named: [string, string | undefined][] = [
    ['/registry/tokenEnv', (c.registry as { tokenEnv?: string } | undefined)?.tokenEnv],
    ['/promotion/github/tokenEnv', c.promotion?.github?.tokenEnv],
    ['/notifications/github/tokenEnv', c.notifications?.github?.tokenEnv],
    ...(c.notifications?.webhooks ?? []).map(
      (w, i) => [`/notifications/webhooks/${i}/secretEnv`, w.secretEnv] as [string, string | undefined],
    ),
  ];
  return named
    .filter(([, v]) => v !== undefined && OWN_CREDENTIAL_ENVS.includes(v))
    .map(([pointer, v]) =>
      diagAt(
        doc,
        pointer,
        'config/own-credential',
        `${pointer}: ${v} is ringlock's own credential and cannot be handed to another service`,
        'a variable of its own for that service (e.g. RINGLOCK_REGISTRY_TOKEN), set by the operator',
      ),
    );
}

export const CONFIG_MAX_BYTES = 1024 * 1024;
export const VERSION_FILE_MAX_BYTES = 1024;

/** The platform version file a parsed config names (read it before calling resolveConfig where reads are async). */
export function versionFileOf(doc: SourceDoc): string | undefined {
  const v = (doc.value as Partial<RinglockConfig> | undefined)?.platform?.versionFile;
  return typeof v === 'string' ? v : undefined;
}

/** Where a config reader looks and how it names what it cannot find. */
export interface ConfigPlace {
  /** `root` of the result: the absolute directory of a checkout, or the repo-relative folder at a commit. */
  root: string;
  /** Source paths to try in order (the first that exists is the config). */
  candidates: string[];
  /** Source path of the platform version file the config names as `rel`. */
  versionPath(rel: string): string;
  /** The error when no candidate exists. */
  notFound(): InputError;
}

/** ringlock.yaml (and its platform version file) from a file source, validated and resolved. */
export function* readConfig(place: ConfigPlace): Reading<LoadedConfig> {
  let file: string | undefined;
  let text: string | undefined;
  for (const candidate of place.candidates) {
    file = candidate;
    text = yield* readText(file, { what: 'config', maxBytes: CONFIG_MAX_BYTES });
    if (text !== undefined) break;
  }
  if (text === undefined || file === undefined) throw place.notFound();
  const doc = parseSource(file, text);
  throwIfErrors(configDiagnostics(doc));
  const versionRel = versionFileOf(doc);
  const versionText =
    versionRel === undefined
      ? undefined
      : yield* readText(place.versionPath(versionRel), {
          what: 'platform version file',
          maxBytes: VERSION_FILE_MAX_BYTES,
          // As before FileSource: an unreadable version file says why, not "not found".
          strict: true,
        });
  return resolveValid(place.root, file, doc, (rel) => {
    if (versionText === undefined)
      throw new InputError('file/not-found', 'platform version file not found', {
        file: place.versionPath(rel),
      });
    return versionText;
  });
}

/**
 * Validates a parsed ringlock.yaml and resolves its rings and platform version. `readVersionFile(rel)` returns the
 * text of the platform version file or throws InputError file/not-found. `check` calls it on the config it read at
 * a commit; the CLI and the daemon go through readConfig.
 */
export function resolveConfig(
  root: string,
  file: string,
  doc: SourceDoc,
  readVersionFile: (rel: string) => string,
): LoadedConfig {
  throwIfErrors(configDiagnostics(doc));
  return resolveValid(root, file, doc, readVersionFile);
}

/** resolveConfig for a document already validated (validation is the costly part: done once). */
function resolveValid(
  root: string,
  file: string,
  doc: SourceDoc,
  readVersionFile: (rel: string) => string,
): LoadedConfig {
  const config = doc.value as RinglockConfig;
  const rings: RingPolicy[] = config.rings.map((r, i) => ({
    name: r.name,
    description: r.description,
    promoteFrom: r.promoteFrom,
    minSoak: r.minSoak,
    minSoakMs: r.minSoak ? parseDuration(r.minSoak) : 0,
    allowPrerelease: r.allowPrerelease ?? false,
    tracksSource: r.tracksSource ?? i === 0,
    reviewers: r.reviewers ?? [],
  }));
  let platformVersion = config.platform.version;
  if (platformVersion === undefined) {
    const rel = config.platform.versionFile!;
    let text: string;
    try {
      text = readVersionFile(rel).trim();
    } catch (e) {
      if (!(e instanceof InputError) || e.code !== 'file/not-found') throw e;
      throw new InputError('config/platform-version', `platform version file ${rel} not found`, {
        file,
        ...doc.locate('/platform/versionFile'),
        expected: 'platform.versionFile to name an existing file holding a version like 2.0.0',
        cause: e,
      });
    }
    if (!isSemver(text)) {
      throw new InputError(
        'config/platform-version',
        `invalid platform version ${JSON.stringify(text.slice(0, 40))}`,
        {
          file: rel,
          line: 1,
          column: 1,
          expected: 'a semantic version like 2.0.0',
        },
      );
    }
    platformVersion = text;
  }
  return {
    root,
    file,
    doc,
    config,
    rings,
    platformVersion,
    modulesDir: config.modules?.dir ?? 'modules',
    locksDir: config.locks?.dir ?? 'rings',
    tenantsFile: config.locks?.tenants ?? `${config.locks?.dir ?? 'rings'}/tenants.yaml`,
    manifests: manifestSettings(config.modules),
  };
}
