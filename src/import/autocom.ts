// The AutoCom lock (`manifest.lock.json`, and its per-ring `modules/manifests/<ring>.lock.json`) read into the
// format-neutral ImportedLock: every field checked where it sits, every value ringlock cannot hold listed with why.
import { basename } from 'node:path';
import type { Diagnostic } from '../errors.js';
import { diagAt, isSemver } from '../model/semantics.js';
import { escapePointer } from '../model/source.js';
import type { ImportedLock, ImportedModule, ImportFormat, NotCarried } from './types.js';

const MODULE_NAME = /^(?!.*\.\.)(?:@[a-z0-9][a-z0-9._-]*\/)?[a-z0-9][a-z0-9._-]*$/;
const HASH = /^sha256:[0-9a-fA-F]{64}$/;
const NO_CONTROL = /^[^\u0000-\u001f\u007f]+$/;
/** The single-file lock; any other `<name>.lock.json` is the lock of ring <name>. */
export const AUTOCOM_SINGLE_FILE = 'manifest.lock.json';

const TOP_KNOWN = new Set(['$schema', 'lockfileVersion', 'ring', 'platform', 'generated_at', 'modules']);
const ENTRY_KNOWN = new Set([
  'version',
  'source',
  'artifact',
  'sha256',
  'file_count',
  'size_bytes',
  'released_at',
]);

const NO_DATES =
  'a ring lock records no dates (the same state always gives the same bytes): git records when a lock changed, and promotion measures soak from that history';
const NO_ARTIFACT =
  'ringlock installs an artifact only with its integrity, which the AutoCom lock does not record: "ringlock publish" packs the module, stores it and records both';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const autocom: ImportFormat = {
  name: 'autocom',
  describe: "AutoCom's manifest.lock.json and its per-ring modules/manifests/<ring>.lock.json",
  parse(doc) {
    const diags: Diagnostic[] = [];
    const bad = (pointer: string, rule: string, message: string, expected: string, key = false) =>
      diags.push(diagAt(doc, pointer, rule, message, expected, key ? 'key' : 'value'));
    const top = doc.value;
    if (!isObj(top) || !isObj(top.modules)) {
      bad(
        isObj(top) && 'modules' in top ? '/modules' : '',
        'import/shape',
        isObj(top)
          ? `/modules: ${'modules' in top ? 'not an object' : 'missing'}: not an AutoCom lock`
          : 'not an AutoCom lock: the file is not a JSON object',
        'an AutoCom manifest.lock.json: {"platform": …, "modules": {"<alias>": {"version": …, "sha256": …}}}',
      );
      return { diagnostics: diags };
    }
    const notCarried: NotCarried[] = [];
    for (const key of Object.keys(top)) {
      if (!TOP_KNOWN.has(key))
        notCarried.push({
          pointer: `/${escapePointer(key)}`,
          value: top[key],
          reason: 'not a field of the AutoCom lock ringlock knows',
        });
    }
    let platform: string | undefined;
    if (top.platform !== undefined) {
      if (typeof top.platform === 'string' && isSemver(top.platform)) platform = top.platform;
      else
        bad(
          '/platform',
          'import/platform',
          `/platform: ${JSON.stringify(top.platform)} is not a semantic version`,
          'the platform version, e.g. "2.0.0"',
        );
    }
    if (top.generated_at !== undefined && top.generated_at !== null) {
      if (typeof top.generated_at === 'string')
        notCarried.push({ pointer: '/generated_at', value: top.generated_at, reason: NO_DATES });
      else
        bad(
          '/generated_at',
          'import/shape',
          '/generated_at: not a string',
          'an ISO 8601 date string or null',
        );
    }
    let ring: ImportedLock['ring'];
    if (top.ring !== undefined) {
      if (typeof top.ring === 'string' && top.ring !== '')
        ring = { name: top.ring, from: 'field', pointer: '/ring' };
      else bad('/ring', 'import/shape', '/ring: not a ring name', 'the name of the ring this lock is for');
    } else {
      const base = basename(doc.file);
      if (base !== AUTOCOM_SINGLE_FILE && base.endsWith('.lock.json'))
        ring = { name: base.slice(0, -'.lock.json'.length), from: 'file name' };
    }
    const modules: ImportedModule[] = [];
    for (const [name, raw] of Object.entries(top.modules)) {
      const at = `/modules/${escapePointer(name)}`;
      if (!MODULE_NAME.test(name) || name.length > 214) {
        bad(
          at,
          'import/module-name',
          `${at}: "${name}" is not a ringlock module name`,
          'the module alias: lowercase letters, digits, ".", "_" or "-" (AutoCom keys its lock by alias, e.g. "orders")',
          true,
        );
        continue;
      }
      if (!isObj(raw)) {
        bad(at, 'import/shape', `${at}: not an object`, '{"version": "1.0.0", "sha256": "sha256:<hex>", …}');
        continue;
      }
      const before = diags.length;
      const field = (f: string) => `${at}/${f}`;
      const { version, sha256 } = raw;
      if (typeof version !== 'string' || !isSemver(version))
        bad(
          field('version'),
          'import/version',
          version === undefined
            ? `${at}: missing "version"`
            : `${field('version')}: ${JSON.stringify(version)} is not a semantic version`,
          'a semantic version like 1.4.2 (no leading "v", no range)',
        );
      if (typeof sha256 !== 'string' || !HASH.test(sha256))
        bad(
          field('sha256'),
          'import/sha256',
          sha256 === undefined
            ? `${at}: missing "sha256"`
            : `${field('sha256')}: ${JSON.stringify(sha256)} is not a content hash`,
          '"sha256:" followed by 64 hex digits',
        );
      const source = raw.source;
      if (
        source !== undefined &&
        source !== null &&
        (typeof source !== 'string' || !NO_CONTROL.test(source) || source.length > 2048)
      )
        bad(
          field('source'),
          'import/shape',
          `${field('source')}: not a source reference`,
          'a string like "gitlab:group/modules/orders", or null',
        );
      for (const f of ['file_count', 'size_bytes'] as const) {
        const v = raw[f];
        if (v !== undefined && v !== null && !(Number.isSafeInteger(v) && (v as number) >= 0))
          bad(
            field(f),
            'import/shape',
            `${field(f)}: ${JSON.stringify(v)} is not a count`,
            'a whole number ≥ 0, or null',
          );
      }
      const artifact = raw.artifact;
      if (artifact !== undefined && artifact !== null) {
        if (typeof artifact === 'string')
          notCarried.push({ pointer: field('artifact'), module: name, value: artifact, reason: NO_ARTIFACT });
        else
          bad(
            field('artifact'),
            'import/shape',
            `${field('artifact')}: not a string`,
            'an artifact URL or path, or null',
          );
      }
      const released = raw.released_at;
      if (released !== undefined && released !== null) {
        if (typeof released === 'string')
          notCarried.push({ pointer: field('released_at'), module: name, value: released, reason: NO_DATES });
        else
          bad(
            field('released_at'),
            'import/shape',
            `${field('released_at')}: not a string`,
            'an ISO 8601 date string or null',
          );
      }
      for (const key of Object.keys(raw)) {
        if (!ENTRY_KNOWN.has(key))
          notCarried.push({
            pointer: field(escapePointer(key)),
            module: name,
            value: raw[key],
            reason: 'not a field of the AutoCom lock ringlock knows',
          });
      }
      if (diags.length > before) continue;
      modules.push({
        name,
        version: version as string,
        sha256: (sha256 as string).toLowerCase(),
        ...(typeof source === 'string' ? { origin: source } : {}),
        ...(typeof raw.file_count === 'number' ? { fileCount: raw.file_count } : {}),
        ...(typeof raw.size_bytes === 'number' ? { sizeBytes: raw.size_bytes } : {}),
        pointer: at,
      });
    }
    if (diags.length > 0) return { diagnostics: diags };
    return { lock: { doc, ring, platform, modules, notCarried }, diagnostics: [] };
  },
};
