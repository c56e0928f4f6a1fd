// What `ringlock init` finds in a platform repository before writing anything: the modules folder (modules/, an
// AutoCom-style Modules/, or --modules) with its manifests (module.json, SeptemCore's module.manifest.json), the
// platform's version and name.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { InputError } from '../errors.js';
import { MANIFEST_FILES } from '../model/manifest.js';
import { isSemver } from '../model/semantics.js';

/** The folders init looks in, in order, when --modules is not given. */
export const MODULE_DIRS = ['modules', 'Modules'];

export interface FoundModules {
  /** Root-relative, '/'-separated. */
  dir: string;
  /** Root-relative paths of the manifests found (module.json, else module.manifest.json), sorted. */
  manifests: string[];
  /** Looks like an AutoCom (Laravel) platform: a Modules/ folder, PascalCase folders, or manifests with an alias. */
  autocom: boolean;
}

const slash = (p: string) => p.split(sep).join('/');
const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** The modules folder and the manifests in it; InputError (exit 2) when there is none or it holds no module. */
export function findModules(root: string, given?: string): FoundModules {
  if (!isDir(root)) {
    throw new InputError('cli/cwd', `--cwd ${root}: no such directory`, {
      expected: "the platform repository's root folder",
    });
  }
  let dir: string;
  if (given !== undefined) {
    const abs = resolve(root, given);
    const rel = relative(root, abs);
    if (rel === '' || rel.startsWith('..') || isAbsolute(rel)) {
      throw new InputError('cli/modules', `--modules ${given}: not a folder inside ${root}`, {
        expected: 'the modules folder, relative to the repository root (e.g. --modules packages/modules)',
      });
    }
    if (!isDir(abs)) {
      throw new InputError(
        'cli/modules',
        `--modules ${given}: ${existsSync(abs) ? 'not a directory' : 'no such directory'}`,
        { expected: 'an existing folder holding one <name>/module.json per module' },
      );
    }
    dir = slash(rel);
  } else {
    const found = MODULE_DIRS.find((d) => isDir(join(root, d)));
    if (found === undefined) {
      throw new InputError(
        'init/no-modules',
        `no modules found: ${root} has no modules/ or Modules/ folder`,
        {
          expected: '--modules DIR naming the folder that holds one <name>/module.json per module',
        },
      );
    }
    dir = found;
  }
  const base = join(root, dir);
  const manifests: string[] = [];
  const names: string[] = [];
  for (const e of readdirSync(base, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const subs = e.name.startsWith('@')
      ? readdirSync(join(base, e.name), { withFileTypes: true })
          .filter((s) => s.isDirectory())
          .map((s) => `${e.name}/${s.name}`)
          .sort()
      : [e.name];
    for (const name of subs) {
      const file = MANIFEST_FILES.find((f) => existsSync(join(base, name, f)));
      if (file !== undefined) {
        manifests.push(`${dir}/${name}/${file}`);
        names.push(name);
      }
    }
  }
  if (manifests.length === 0) {
    throw new InputError(
      'init/no-modules',
      `no modules found: no ${dir}/<name>/${MANIFEST_FILES.join(' or ')}`,
      {
        file: dir,
        expected: `one folder per module under ${dir}/, each with a ${MANIFEST_FILES.join(' or ')} (name, version), or --modules DIR`,
      },
    );
  }
  const autocom =
    dir.split('/').pop() === 'Modules' ||
    names.some((n) => /[A-Z]/.test(n)) ||
    manifests.some((m) => hasAlias(join(root, m)));
  return { dir, manifests, autocom };
}

function hasAlias(file: string): boolean {
  try {
    const v = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    return typeof v === 'object' && v !== null && Object.hasOwn(v, 'alias');
  } catch {
    return false;
  }
}

export interface PlatformVersion {
  version: string;
  /** `versionFile: VERSION` in ringlock.yaml, or an inline version. */
  versionFile?: string;
  /** Where it came from, for the comment in ringlock.yaml and the report. */
  from: string;
}

/** --platform-version, else a VERSION file, else composer.json's or package.json's version; InputError if none. */
export function findPlatformVersion(root: string, given?: string): PlatformVersion {
  if (given !== undefined) {
    if (!isSemver(given)) {
      throw new InputError('cli/platform-version', `--platform-version ${given}: not a semantic version`, {
        expected: 'a version like 2.0.0',
      });
    }
    return { version: given, from: '--platform-version' };
  }
  const versionFile = join(root, 'VERSION');
  if (existsSync(versionFile)) {
    const text = readFileSync(versionFile, 'utf8').trim();
    if (!isSemver(text)) {
      throw new InputError(
        'init/platform-version',
        `invalid platform version ${JSON.stringify(text.slice(0, 40))}`,
        {
          file: 'VERSION',
          line: 1,
          column: 1,
          expected: 'a semantic version like 2.0.0 in VERSION, or --platform-version',
        },
      );
    }
    return { version: text, versionFile: 'VERSION', from: 'VERSION' };
  }
  for (const f of ['composer.json', 'package.json']) {
    const v = packageField(root, f, 'version');
    if (v !== undefined && isSemver(v)) return { version: v, from: f };
  }
  throw new InputError('init/platform-version', 'no platform version found', {
    expected:
      '--platform-version 1.0.0, or a VERSION file (or a "version" in composer.json or package.json) at the repository root',
  });
}

/** --name, else composer.json's or package.json's name, else the folder's name. */
export function findPlatformName(root: string, given?: string): string {
  if (given !== undefined) return given;
  for (const f of ['composer.json', 'package.json']) {
    const v = packageField(root, f, 'name');
    if (v !== undefined && v.length > 0) return v.slice(0, 200);
  }
  return basename(resolve(root)).slice(0, 200);
}

function packageField(root: string, file: string, field: string): string | undefined {
  const p = join(root, file);
  if (!existsSync(p)) return undefined;
  try {
    const v = (JSON.parse(readFileSync(p, 'utf8')) as Record<string, unknown>)[field];
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
