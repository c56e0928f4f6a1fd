// Hostile and malformed input, end to end through the built CLI: every bad input gets a clear message at
// file:line:column (where there is one), the documented exit code (2 for input errors, 1 for failed checks),
// and nothing is written. Fixtures are written as arrays of lines so that the expected positions can be read off.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BIN, type CliResult, cli, manifest, type Tree, testdir, writeTree } from './helpers.js';
import { publicCli } from './support/public-cli.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixture builders

/** Joins lines into a file text with a trailing newline: line N of the file is `l[N - 1]`. */
const lines = (...l: string[]): string => `${l.join('\n')}\n`;

const CONFIG = lines(
  'apiVersion: ringlock/v1', //  1
  'platform:', //                2
  '  versionFile: VERSION', //   3
  'modules:', //                 4
  '  dir: modules', //           5
  'rings:', //                   6
  '  - name: canary', //         7
  '    allowPrerelease: true', // 8
  '  - name: edge', //           9
  '    promoteFrom: canary', //  10
  '    minSoak: 24h', //         11
  '  - name: stable', //         12
  '    promoteFrom: edge', //    13
  '    minSoak: 72h', //         14
);

const SHA_A = `sha256:${'a'.repeat(64)}`;
const RINGS = 'one of: canary, edge, stable';

/** `text` with `from` replaced by `to`; throws when `from` is not there, so a fixture cannot silently stay valid. */
function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture edit: ${JSON.stringify(from)} not found`);
  return text.replace(from, to);
}

/** A module folder: a valid module.json (unless overridden) and one source file. */
function mod(name: string, version = '1.0.0', extra: Record<string, unknown> = {}): Tree {
  return {
    [`modules/${name}/module.json`]: manifest(name, version, extra),
    [`modules/${name}/src/index.php`]: `<?php // ${name}\n`,
  };
}

/** A platform repo (canary tracks the sources, then edge, then stable) with an empty rings/ folder. */
function repo(tree: Tree = {}, config = CONFIG): string {
  const dir = testdir({ 'ringlock.yaml': config, VERSION: '2.0.0\n', ...tree });
  mkdirSync(join(dir, 'rings'), { recursive: true });
  return dir;
}

/** A repo with module "orders" and a fresh canary lock. */
function lockedRepo(tree: Tree = {}): string {
  const dir = repo({ ...mod('orders'), ...tree });
  const r = run(dir, 'lock');
  expect(r.code, r.stderr).toBe(0);
  return dir;
}

function put(dir: string, tree: Tree): void {
  writeTree(dir, tree);
}

// ---------------------------------------------------------------------------------------------------------------
// Running the CLI

interface Diag {
  severity: string;
  rule: string;
  message: string;
  expected?: string;
  file?: string;
  line?: number;
  column?: number;
  pointer?: string;
}
interface JsonError {
  code: string;
  message: string;
  exitCode: number;
  diagnostics: Diag[];
}

function run(dir: string, ...args: string[]): CliResult {
  return cli(args, { cwd: dir });
}

/** Runs with --json and expects an error answer on stdout; returns the exit code and the error object. */
function runJson(dir: string, ...args: string[]): { code: number; error: JsonError } {
  const r = cli([...args, '--json'], { cwd: dir });
  let body: { ok?: boolean; error?: JsonError };
  try {
    body = JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not JSON (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  }
  expect(body.ok, r.stdout).toBe(false);
  return { code: r.code, error: body.error! };
}

/** Expects exit 2 with --json and returns the diagnostics. */
function inputError(dir: string, ...args: string[]): Diag[] {
  const { code, error } = runJson(dir, ...args);
  expect(code, JSON.stringify(error, null, 2)).toBe(2);
  expect(error.exitCode).toBe(2);
  expect(error.diagnostics.length).toBeGreaterThan(0);
  return error.diagnostics;
}

/** Expects exit 2 in human mode: nothing on stdout, and `line` among the stderr lines. */
function expectStderrLine(dir: string, args: string[], line: string | RegExp): string {
  const r = run(dir, ...args);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const got = r.stderr.split('\n');
  if (typeof line === 'string') expect(got).toContain(line);
  else
    expect(
      got.some((l) => line.test(l)),
      r.stderr,
    ).toBe(true);
  return r.stderr;
}

/** Runs with a short timeout: for inputs that might make the CLI hang. */
/** A hang is for ever: 10 s tells one from a slow start on a loaded machine. */
function runBounded(dir: string, args: readonly string[], ms = 10_000): CliResult & { timedOut: boolean } {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: dir,
    env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0' },
    encoding: 'utf8',
    timeout: ms,
    killSignal: 'SIGKILL',
  });
  return {
    code: r.status ?? -1,
    stdout: r.stdout ?? '',
    stderr: r.stderr ?? '',
    timedOut: (r.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT',
  };
}

/** Every entry under `dir` (dot files included) with its bytes, or the link target for a symlink. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const name of readdirSync(abs).sort()) {
      const a = join(abs, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(a);
      if (st.isDirectory()) walk(a, r);
      else if (st.isFile()) out[r] = readFileSync(a).toString('base64');
      else out[r] = `(${st.mode.toString(8)})`;
    }
  };
  walk(dir, '');
  return out;
}

function mkfifo(path: string): void {
  execFileSync('mkfifo', [path]);
}

// ---------------------------------------------------------------------------------------------------------------

describe('malformed JSON', () => {
  it('module.json with a missing closing quote: exit 2 at the opening quote', () => {
    const dir = repo({
      'modules/orders/module.json': lines(
        '{', //                       1
        '  "name": "orders,', //      2  ← col 11
        '  "version": "1.0.0"', //    3
        '}', //                       4
      ),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'json/syntax',
      file: 'modules/orders/module.json',
      line: 2,
      column: 11,
    });
    expect(d[0]!.message).toContain('closing double quote');
    expectStderrLine(
      dir,
      ['lock'],
      /^error modules\/orders\/module\.json:2:11: invalid JSON: expected a closing double quote.*\[json\/syntax\]$/,
    );
  });

  it('module.json with a trailing comma: one diagnostic, at the comma, saying "trailing comma"', () => {
    const dir = repo({
      'modules/orders/module.json': lines(
        '{', //                       1
        '  "name": "orders",', //     2
        '  "version": "1.0.0",', //   3  ← the comma is col 21
        '}', //                       4
      ),
    });
    const d = inputError(dir, 'lock');
    expect(d).toHaveLength(1);
    expect(d[0]).toMatchObject({
      rule: 'json/syntax',
      file: 'modules/orders/module.json',
      line: 3,
      column: 21,
    });
    expect(d[0]!.message).toMatch(/trailing comma/i);
  });

  it('module.json with a trailing comma: exit 2, json/syntax, on the right file', () => {
    const dir = repo({
      'modules/orders/module.json': lines('{', '  "name": "orders",', '  "version": "1.0.0",', '}'),
    });
    const d = inputError(dir, 'lock');
    expect(d.every((x) => x.rule === 'json/syntax' && x.file === 'modules/orders/module.json')).toBe(true);
  });

  it('a ring lock with an unquoted value: exit 2 at the bad token', () => {
    const dir = repo({
      ...mod('orders'),
      'rings/canary.lock.json': lines(
        '{', //                                  1
        '  "lockfileVersion": 1,', //            2
        '  "modules": {', //                     3
        '    "orders": {', //                    4
        `      "sha256": "${SHA_A}",`, //        5
        '      "version": "1.0.0"', //           6
        '    }', //                              7
        '  },', //                               8
        '  "platform": "2.0.0",', //             9
        '  "ring": canary', //                   10 ← col 11
        '}', //                                  11
      ),
    });
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({ rule: 'json/syntax', file: 'rings/canary.lock.json', line: 10, column: 11 });
    expect(d[0]!.message).toContain('canary');
    expectStderrLine(
      dir,
      ['verify'],
      /^error rings\/canary\.lock\.json:10:11: invalid JSON: .*\[json\/syntax\]$/,
    );
  });

  it('a duplicate key in module.json: exit 2 at the second key, naming the first line', () => {
    const dir = repo({
      'modules/orders/module.json': lines(
        '{', //                       1
        '  "name": "orders",', //     2
        '  "version": "1.0.0",', //   3
        '  "name": "orders"', //      4 ← col 3
        '}',
      ),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'json/duplicate-key',
      file: 'modules/orders/module.json',
      line: 4,
      column: 3,
    });
    expect(d[0]!.message).toBe('duplicate key "name" (first defined at line 2)');
    expectStderrLine(
      dir,
      ['lock'],
      'error modules/orders/module.json:4:3: duplicate key "name" (first defined at line 2) [json/duplicate-key]',
    );
  });

  it('a duplicate module key in a ring lock: exit 2 at the second key', () => {
    const dir = repo({
      ...mod('orders'),
      'rings/canary.lock.json': lines(
        '{', //                                                  1
        '  "lockfileVersion": 1,', //                            2
        '  "modules": {', //                                     3
        `    "orders": { "sha256": "${SHA_A}", "version": "1.0.0" },`, // 4
        `    "orders": { "sha256": "${SHA_A}", "version": "1.0.1" }`, //  5 ← col 5
        '  },',
        '  "platform": "2.0.0",',
        '  "ring": "canary"',
        '}',
      ),
    });
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({
      rule: 'json/duplicate-key',
      file: 'rings/canary.lock.json',
      line: 5,
      column: 5,
    });
    expect(d[0]!.message).toContain('"orders"');
  });

  it('an empty module.json: exit 2 at 1:1', () => {
    const dir = repo({ 'modules/orders/module.json': '' });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'json/syntax',
      file: 'modules/orders/module.json',
      line: 1,
      column: 1,
    });
    expect(d[0]!.message).toMatch(/end of file|empty/);
  });

  it('an empty ring lock: exit 2 at 1:1', () => {
    const dir = repo({ ...mod('orders'), 'rings/canary.lock.json': '' });
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({ rule: 'json/syntax', file: 'rings/canary.lock.json', line: 1, column: 1 });
  });

  it('a comment in module.json: exit 2 at the comment', () => {
    const dir = repo({
      'modules/orders/module.json': lines('{', '  "name": "orders",', '  "version": "1.0.0" // hi', '}'),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'json/syntax', line: 3, column: 22 });
    expect(d[0]!.message).toContain('no comments');
  });

  it('module.json that is not UTF-8: exit 2 naming the file', () => {
    const dir = repo({
      'modules/orders/module.json': Buffer.from(
        '{\n  "name": "or\xffders",\n  "version": "1.0.0"\n}\n',
        'latin1',
      ),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'file/encoding', file: 'modules/orders/module.json' });
  });

  it('a ring lock that is an array, not an object: exit 2 at 1:1', () => {
    const dir = repo({ ...mod('orders'), 'rings/canary.lock.json': '[1]\n' });
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({ rule: 'schema/type', file: 'rings/canary.lock.json', line: 1, column: 1 });
    expect(d[0]!.message).toBe('must be an object, got an array');
  });

  it('module.json nested 5000 levels deep (10 KB): exit 2, not an internal error', () => {
    const depth = 5000;
    const dir = repo({
      'modules/orders/module.json': `{"name": "orders", "version": "1.0.0", "x": ${'['.repeat(depth)}${']'.repeat(depth)}}\n`,
    });
    const r = run(dir, 'lock');
    expect(r.stderr).not.toContain('internal error');
    expect(r.code).toBe(2);
  });
});

describe('malformed YAML', () => {
  it('ringlock.yaml with a key indented one space too little: exit 2 on that line', () => {
    const dir = repo(mod('orders'), edit(CONFIG, '    promoteFrom: canary', '   promoteFrom: canary'));
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file: 'ringlock.yaml', line: 10, column: 1 });
    expectStderrLine(dir, ['lock'], /^error ringlock\.yaml:10:1: invalid YAML: .*\[yaml\/syntax\]$/);
  });

  it('ringlock.yaml indented with a tab: exit 2 at the tab', () => {
    const dir = repo(mod('orders'), edit(CONFIG, '    minSoak: 24h', '\tminSoak: 24h'));
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file: 'ringlock.yaml', line: 11, column: 1 });
    expect(d[0]!.message).toBe('invalid YAML: Tabs are not allowed as indentation');
    expectStderrLine(
      dir,
      ['ring', 'list'],
      'error ringlock.yaml:11:1: invalid YAML: Tabs are not allowed as indentation [yaml/syntax]',
    );
  });

  it('an unclosed quote in ringlock.yaml: exit 2, yaml/syntax', () => {
    const dir = repo(mod('orders'), edit(CONFIG, '  - name: edge', '  - name: "edge'));
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file: 'ringlock.yaml' });
    expect(d[0]!.message).toMatch(/quote/);
  });

  it.each([
    ['ringlock.yaml', edit(CONFIG, '  - name: edge', '  - name: "edge'), 9, 11, ['ring', 'list']],
    ['rings/tenants.yaml', lines('tenants:', '  acme: "canary', '  globex: edge'), 2, 9, ['ring', 'list']],
  ] as const)(
    'an unclosed quote in %s is reported where the quote opens',
    (file, text, line, column, args) => {
      const dir = repo(mod('orders'));
      put(dir, { [file]: text });
      const d = inputError(dir, ...args);
      expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file, line, column });
    },
  );

  it('a duplicate key in ringlock.yaml: exit 2 at the second key', () => {
    const dir = repo(
      mod('orders'),
      edit(CONFIG, '    minSoak: 24h\n', '    minSoak: 24h\n    minSoak: 12h\n'),
    );
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'yaml/duplicate-key', file: 'ringlock.yaml', line: 12, column: 5 });
  });

  it('a duplicate tenant in rings/tenants.yaml: exit 2 at the second key', () => {
    const dir = repo(mod('orders'));
    put(dir, { 'rings/tenants.yaml': lines('tenants:', '  acme: canary', '  acme: edge') });
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({
      rule: 'yaml/duplicate-key',
      file: 'rings/tenants.yaml',
      line: 3,
      column: 3,
    });
    expectStderrLine(
      dir,
      ['ring', 'show', 'canary'],
      /^error rings\/tenants\.yaml:3:3: duplicate key "acme" \[yaml\/duplicate-key\]$/,
    );
  });

  it('rings/tenants.yaml with a key indented one space too little: exit 2 on that line', () => {
    const dir = repo(mod('orders'));
    put(dir, { 'rings/tenants.yaml': lines('tenants:', '  acme: canary', ' globex: edge') });
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file: 'rings/tenants.yaml', line: 3, column: 1 });
  });

  it('an empty ringlock.yaml: exit 2 at 1:1', () => {
    const dir = repo(mod('orders'), '');
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ file: 'ringlock.yaml', line: 1, column: 1 });
  });

  it('an alias bomb in rings/tenants.yaml is refused quickly with exit 2', () => {
    let text = 'a: &a [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 10; i++) {
      const n = String.fromCharCode(97 + i);
      const prev = String.fromCharCode(96 + i);
      text += `${n}: &${n} [${Array(10).fill(`*${prev}`).join(', ')}]\n`;
    }
    const dir = repo(mod('orders'));
    put(dir, { 'rings/tenants.yaml': `${text}tenants:\n  acme: canary\n` });
    const started = Date.now();
    const d = inputError(dir, 'ring', 'list');
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file: 'rings/tenants.yaml' });
    expect(d[0]!.message).toMatch(/alias/i);
  });

  it('an unresolved alias is reported at its line and column, naming the file once', () => {
    const dir = repo(mod('orders'));
    put(dir, { 'rings/tenants.yaml': lines('tenants:', '  acme: canary', '  x: *a') });
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]!.message).not.toContain('rings/tenants.yaml');
    expect(d[0]).toMatchObject({ rule: 'yaml/syntax', file: 'rings/tenants.yaml', line: 3, column: 6 });
  });
});

describe('schema violations', () => {
  it('with modules.manifest: strict, an unknown property in module.json is reported at the key, listing the allowed ones', () => {
    const dir = repo(
      {
        'modules/orders/module.json': lines(
          '{', //                       1
          '  "name": "orders",', //     2
          '  "version": "1.0.0",', //   3
          '  "colour": "blue"', //      4 ← key at col 3
          '}',
        ),
      },
      CONFIG.replace('  dir: modules\n', '  dir: modules\n  manifest: strict\n'),
    );
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'schema/additionalProperties',
      file: 'modules/orders/module.json',
      line: 4,
      column: 3,
      pointer: '/colour',
    });
    expect(d[0]!.expected).toContain('name, version, description');
    const err = expectStderrLine(
      dir,
      ['lock'],
      'error modules/orders/module.json:4:3: /colour: unknown property "colour" [schema/additionalProperties]',
    );
    expect(err).toContain('  expected: one of: name, version,');
  });

  it('a version given as a number: exit 2 at the value', () => {
    const dir = repo({
      'modules/orders/module.json': lines('{', '  "name": "orders",', '  "version": 2', '}'),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'schema/type', line: 3, column: 14, pointer: '/version' });
    expect(d[0]!.message).toBe('/version: must be a string, got integer 2');
  });

  it('a missing required property: exit 2, naming it, with what was expected', () => {
    const dir = repo({ 'modules/orders/module.json': lines('{', '  "name": "orders"', '}') });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'schema/required',
      file: 'modules/orders/module.json',
      line: 1,
      column: 1,
    });
    expect(d[0]!.message).toBe('missing required property "version"');
    expect(d[0]!.expected).toContain('semantic version');
  });

  it('a malformed sha256 in a lock: exit 2 at the value', () => {
    const dir = repo({
      ...mod('orders'),
      'rings/canary.lock.json': lines(
        '{', //                                  1
        '  "lockfileVersion": 1,', //            2
        '  "modules": {', //                     3
        '    "orders": {', //                    4
        '      "sha256": "sha256:XYZ",', //      5 ← col 17
        '      "version": "1.0.0"', //           6
        '    }',
        '  },',
        '  "platform": "2.0.0",',
        '  "ring": "canary"',
        '}',
      ),
    });
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({
      rule: 'schema/pattern',
      file: 'rings/canary.lock.json',
      line: 5,
      column: 17,
      pointer: '/modules/orders/sha256',
    });
    expect(d[0]!.expected).toContain('64 lowercase hex digits');
    expectStderrLine(
      dir,
      ['verify'],
      'error rings/canary.lock.json:5:17: /modules/orders/sha256: invalid value "sha256:XYZ" [schema/pattern]',
    );
  });

  it('lockfileVersion 2: exit 2 at the value', () => {
    const dir = lockedRepo();
    const p = join(dir, 'rings/canary.lock.json');
    writeFileSync(p, edit(readFileSync(p, 'utf8'), '"lockfileVersion": 1', '"lockfileVersion": 2'));
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({ rule: 'schema/const', file: 'rings/canary.lock.json', line: 3, column: 22 });
    expect(d[0]!.message).toBe('/lockfileVersion: must be 1, got 2');
  });

  it('a lock whose "ring" is not its file name: exit 2 at the value', () => {
    const dir = lockedRepo();
    const p = join(dir, 'rings/canary.lock.json');
    const text = edit(readFileSync(p, 'utf8'), '"ring": "canary"', '"ring": "edge"');
    writeFileSync(p, text);
    const line = text.split('\n').findIndex((l) => l.includes('"ring": "edge"')) + 1;
    const d = inputError(dir, 'verify');
    expect(d[0]).toMatchObject({
      rule: 'lock/ring-mismatch',
      file: 'rings/canary.lock.json',
      line,
      column: 11,
    });
  });

  it('a ring name with an uppercase letter in ringlock.yaml: exit 2 at the name', () => {
    const dir = repo(mod('orders'), edit(CONFIG, '  - name: edge', '  - name: Edge'));
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({
      rule: 'schema/pattern',
      file: 'ringlock.yaml',
      line: 9,
      column: 11,
      pointer: '/rings/1/name',
    });
    expect(d[0]!.expected).toContain('lowercase');
    expectStderrLine(
      dir,
      ['ring', 'list'],
      'error ringlock.yaml:9:11: /rings/1/name: invalid value "Edge" [schema/pattern]',
    );
  });

  it('promoteFrom naming a later ring: exit 2 at the value, listing the earlier rings', () => {
    const dir = repo(mod('orders'), edit(CONFIG, 'promoteFrom: canary', 'promoteFrom: stable'));
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({
      rule: 'config/promote-from',
      file: 'ringlock.yaml',
      line: 10,
      column: 18,
      expected: 'one of: canary',
    });
    expect(d[0]!.message).toBe('ring "edge" promotes from "stable", which is not a ring defined before it');
  });

  it('promoteFrom naming an unknown ring: exit 2 at the value', () => {
    const dir = repo(mod('orders'), edit(CONFIG, 'promoteFrom: edge', 'promoteFrom: nope'));
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'config/promote-from', line: 13, column: 18 });
    expect(d[0]!.message).toContain('"nope"');
    expectStderrLine(
      dir,
      ['lock'],
      /^error ringlock\.yaml:13:18: ring "stable" promotes from "nope".*\[config\/promote-from\]$/,
    );
  });

  it('promoteFrom on the first ring: exit 2', () => {
    const dir = repo(mod('orders'), edit(CONFIG, '    allowPrerelease: true', '    promoteFrom: edge'));
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'config/promote-from', line: 8, column: 18 });
  });

  it('platform with both version and versionFile: exit 2 at /platform', () => {
    const dir = repo(
      mod('orders'),
      edit(CONFIG, '  versionFile: VERSION', '  version: 2.0.0\n  versionFile: VERSION'),
    );
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'config/platform-version',
      file: 'ringlock.yaml',
      line: 3,
      column: 3,
    });
    expect(d[0]!.message).toContain('exactly one of "version" or "versionFile"');
  });

  it('an unknown top-level key in ringlock.yaml is reported at the key', () => {
    const dir = repo(mod('orders'), `${CONFIG}colour: blue\n`);
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'schema/additionalProperties',
      file: 'ringlock.yaml',
      line: 15,
      column: 1,
    });
  });

  it('a tenant assigned to a ring name with an uppercase letter: exit 2 at the value', () => {
    const dir = repo(mod('orders'));
    put(dir, { 'rings/tenants.yaml': lines('tenants:', '  acme: Canary') });
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({ rule: 'schema/pattern', file: 'rings/tenants.yaml', line: 2, column: 9 });
  });
});

describe('unknown ring', () => {
  it.each([
    ['verify', '--ring', 'nope'],
    ['lock', '--ring', 'nope'],
    ['compat', '--ring', 'nope'],
    ['lock', '--ring', 'Canary'],
  ])('%s %s %s: exit 2, naming the ring and listing the known ones', (...args) => {
    const dir = lockedRepo();
    const before = snapshot(join(dir, 'rings'));
    const d = inputError(dir, ...args);
    expect(d[0]).toMatchObject({ rule: 'cli/ring', expected: RINGS });
    expect(d[0]!.message).toBe(`--ring ${args[2]}: unknown ring`);
    const err = expectStderrLine(dir, args, `error: --ring ${args[2]}: unknown ring [cli/ring]`);
    expect(err).toContain(`  expected: ${RINGS}`);
    expect(snapshot(join(dir, 'rings'))).toEqual(before);
  });

  it('ring show nope: exit 2, naming the ring and listing the known ones', () => {
    const dir = lockedRepo();
    const d = inputError(dir, 'ring', 'show', 'nope');
    expect(d[0]).toMatchObject({
      rule: 'cli/ring',
      message: 'ring show nope: unknown ring',
      expected: RINGS,
    });
    expectStderrLine(dir, ['ring', 'show', 'nope'], 'error: ring show nope: unknown ring [cli/ring]');
  });

  it('a tenant assigned to a ring that does not exist: exit 2 at the value', () => {
    const dir = lockedRepo({
      'rings/tenants.yaml': lines(
        'tenants:', //          1
        '  acme: canary', //    2
        '  globex: nope', //    3 ← col 11
      ),
    });
    const d = inputError(dir, 'ring', 'list');
    expect(d[0]).toMatchObject({
      rule: 'tenants/unknown-ring',
      file: 'rings/tenants.yaml',
      line: 3,
      column: 11,
      expected: RINGS,
    });
    expect(d[0]!.message).toBe('tenant "globex" is assigned to unknown ring "nope"');
    const err = expectStderrLine(
      dir,
      ['ring', 'show', 'canary'],
      'error rings/tenants.yaml:3:11: tenant "globex" is assigned to unknown ring "nope" [tenants/unknown-ring]',
    );
    expect(err).toContain(`  expected: ${RINGS}`);
  });
});

describe('module names', () => {
  it('modules/orders and modules/Orders collide case-insensitively: exit 2 naming both', () => {
    const dir = repo({ ...mod('orders'), ...mod('Orders') });
    const d = inputError(dir, 'lock');
    const c = d.find((x) => x.rule === 'module/name-collision');
    expect(c, JSON.stringify(d)).toBeDefined();
    expect(c!.message).toContain('"orders"');
    expect(c!.message).toContain('"Orders"');
    expect(c!.file).toMatch(/^modules\/(orders|Orders)\/module\.json$/);
    expect(run(dir, 'lock').stderr).toMatch(
      /modules "Orders" and "orders" collide.*\[module\/name-collision\]/,
    );
  });

  it.each([
    ['a/b', 'a path separator'],
    ['or..ders', "'..'"],
    ['../orders', 'a parent-directory path'],
    // "Orders" is AutoCom's PascalCase name: valid in Modules/Orders, a name mismatch in modules/orders
    // (test/platform-shapes.test.ts).
    ['my orders', 'a space'],
    ['orders!', "a '!'"],
    ['-orders', "a leading '-'"],
    ['@acme/../orders', 'a scope with ..'],
  ])('the name %j (%s): exit 2 at the name', (name) => {
    const dir = repo({
      'modules/orders/module.json': lines(
        '{',
        `  "name": ${JSON.stringify(name)},`,
        '  "version": "1.0.0"',
        '}',
      ),
      'modules/orders/src/index.php': '<?php\n',
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'schema/pattern',
      file: 'modules/orders/module.json',
      line: 2,
      column: 11,
      pointer: '/name',
    });
    expect(d[0]!.message).toBe(`/name: invalid value ${JSON.stringify(name)}`);
    expect(d[0]!.expected).toContain("lowercase letters, digits, '.', '_' or '-'");
  });

  it('a name that does not match its directory: exit 2 at the name, expecting the directory', () => {
    const dir = repo({ 'modules/orders/module.json': manifest('billing', '1.0.0') });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'module/name-mismatch',
      file: 'modules/orders/module.json',
      line: 2,
      column: 11,
      expected: '"orders" (the directory path under modules/)',
    });
    expectStderrLine(
      dir,
      ['lock'],
      'error modules/orders/module.json:2:11: module name "billing" does not match its directory "orders" [module/name-mismatch]',
    );
  });

  it('a dependency with an invalid name is reported at the key', () => {
    const dir = repo({
      'modules/orders/module.json': lines(
        '{',
        '  "name": "orders",',
        '  "version": "1.0.0",',
        '  "dependencies": {', //      4
        '    "Bad/Name": "^1.0.0"', // 5 ← key at col 5
        '  }',
        '}',
      ),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'schema/pattern',
      line: 5,
      column: 5,
      pointer: '/dependencies/Bad~1Name',
    });
    expect(d[0]!.message).toContain('invalid name "Bad/Name"');
  });

  it('a module that depends on itself: exit 2 at the key', () => {
    const dir = repo({
      'modules/orders/module.json': manifest('orders', '1.0.0', { dependencies: { orders: '^1.0.0' } }),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'module/self-dependency', line: 8, column: 5 });
  });

  it('problems in several manifests are reported together', () => {
    const dir = repo({
      'modules/a/module.json': lines('{', '  "name": "a",', '  "version": "1.2"', '}'),
      'modules/b/module.json': lines('{', '  "name": "b"', '  "version": "1.0.0"', '}'),
    });
    const d = inputError(dir, 'lock');
    expect(d.map((x) => x.file)).toEqual(
      expect.arrayContaining(['modules/a/module.json', 'modules/b/module.json']),
    );
  });

  it('a source module named "constructor" missing from the tracking lock fails verify', () => {
    const dir = lockedRepo();
    put(dir, mod('constructor'));
    const r = cli(['verify', '--json'], { cwd: dir });
    expect(r.code, r.stdout).toBe(1);
    expect(JSON.parse(r.stdout).findings).toContainEqual(
      expect.objectContaining({ module: 'constructor', rule: 'verify/not-locked' }),
    );
  });

  it('a deployed module named "constructor" that the lock does not name is drift', () => {
    const dir = lockedRepo();
    put(dir, { ...prefix('deploy/', mod('orders')), ...prefix('deploy/', mod('constructor')) });
    const r = cli(['verify', '--dir', 'deploy', '--json'], { cwd: dir });
    expect(r.code, r.stdout).toBe(1);
    expect(JSON.parse(r.stdout).findings).toContainEqual(
      expect.objectContaining({ module: 'constructor', rule: 'verify/unexpected' }),
    );
  });

  it('lock --check lists a new module named "constructor" as added', () => {
    const dir = lockedRepo();
    put(dir, mod('constructor'));
    const r = run(dir, 'lock', '--check');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('+ constructor 1.0.0');
  });
});

function prefix(p: string, tree: Tree): Tree {
  return Object.fromEntries(Object.entries(tree).map(([k, v]) => [`${p}${k.replace(/^modules\//, '')}`, v]));
}

describe('versions and ranges', () => {
  it.each(['1.2', 'v1.2.3', '01.0.0', '1.0.0.0', '1.0.0-', ' 1.0.0', ''])(
    'version %j: exit 2 at the value',
    (v) => {
      const dir = repo({
        'modules/orders/module.json': lines(
          '{',
          '  "name": "orders",',
          `  "version": ${JSON.stringify(v)}`,
          '}',
        ),
      });
      const d = inputError(dir, 'lock');
      expect(d[0]).toMatchObject({ rule: 'schema/pattern', line: 3, column: 14, pointer: '/version' });
      expect(d[0]!.expected).toContain("no leading 'v'");
    },
  );

  it('an invalid version in a lock entry: exit 2 with the human line', () => {
    const dir = lockedRepo();
    const p = join(dir, 'rings/canary.lock.json');
    const text = edit(readFileSync(p, 'utf8'), '"version": "1.0.0"', '"version": "1.2"');
    writeFileSync(p, text);
    const line = text.split('\n').findIndex((l) => l.includes('"version": "1.2"')) + 1;
    const err = expectStderrLine(
      dir,
      ['verify'],
      `error rings/canary.lock.json:${line}:18: /modules/orders/version: invalid value "1.2" [schema/pattern]`,
    );
    expect(err).toContain(
      "  expected: a semantic version like 1.4.2 or 2.0.0-rc.1 (no leading 'v', no ranges)",
    );
  });

  it('a VERSION file that is not a semantic version: exit 2 at VERSION:1:1', () => {
    const dir = repo(mod('orders'));
    put(dir, { VERSION: 'v2.0.0\n' });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'config/platform-version', file: 'VERSION', line: 1, column: 1 });
  });

  it('an invalid range in compatibility.platform: exit 2 at the value', () => {
    const dir = repo({
      'modules/orders/module.json': lines(
        '{',
        '  "name": "orders",',
        '  "version": "1.0.0",',
        '  "compatibility": { "platform": "^^1" }', // 4 ← col 34
        '}',
      ),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'semver/range',
      line: 4,
      column: 34,
      pointer: '/compatibility/platform',
    });
    expectStderrLine(
      dir,
      ['lock'],
      'error modules/orders/module.json:4:34: /compatibility/platform: invalid semver range "^^1" [semver/range]',
    );
  });

  it.each(['>=foo', '1.2.3.4', 'latest', '=>1.0.0'])(
    'the dependency range %j: exit 2 at the value',
    (range) => {
      const dir = repo({
        'modules/orders/module.json': lines(
          '{',
          '  "name": "orders",',
          '  "version": "1.0.0",',
          '  "dependencies": {',
          `    "billing": ${JSON.stringify(range)}`, // 5 ← col 16
          '  }',
          '}',
        ),
      });
      const d = inputError(dir, 'lock');
      expect(d[0]).toMatchObject({
        rule: 'semver/range',
        line: 5,
        column: 16,
        pointer: '/dependencies/billing',
      });
      expect(d[0]!.message).toBe(`/dependencies/billing: invalid semver range ${JSON.stringify(range)}`);
    },
  );

  it.each(['>=x', '^1.0.0 || ', '  '])('the dependency range %j is refused, not read as "*"', (range) => {
    const dir = repo({
      ...mod('orders', '1.0.0', { dependencies: { billing: range } }),
      ...mod('billing'),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'semver/range', pointer: '/dependencies/billing' });
  });

  it('an invalid range in a lock entry: exit 2 at the value', () => {
    const dir = repo({
      ...mod('orders'),
      'rings/canary.lock.json': lines(
        '{',
        '  "lockfileVersion": 1,',
        '  "modules": {',
        '    "orders": {',
        '      "compatibility": { "platform": ">=foo" },', // 5 ← col 38
        `      "sha256": "${SHA_A}",`,
        '      "version": "1.0.0"',
        '    }',
        '  },',
        '  "platform": "2.0.0",',
        '  "ring": "canary"',
        '}',
      ),
    });
    const d = inputError(dir, 'compat', '--ring', 'canary');
    expect(d[0]).toMatchObject({
      rule: 'semver/range',
      file: 'rings/canary.lock.json',
      line: 5,
      column: 38,
      pointer: '/modules/orders/compatibility/platform',
    });
  });
});

describe('dependency cycles', () => {
  const dependsOn = (name: string, dep: string) =>
    lines(
      '{', //                              1
      `  "name": "${name}",`, //           2
      '  "version": "1.0.0",', //          3
      '  "dependencies": {', //            4
      `    "${dep}": "^1.0.0"`, //         5 ← key at col 5
      '  }',
      '}',
    );

  it('a → b → c → a across module sources: exit 2 naming the cycle at the dependency in a', () => {
    const dir = repo({
      'modules/a/module.json': dependsOn('a', 'b'),
      'modules/b/module.json': dependsOn('b', 'c'),
      'modules/c/module.json': dependsOn('c', 'a'),
    });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'module/dependency-cycle',
      message: 'dependency cycle: a → b → c → a',
      file: 'modules/a/module.json',
      line: 5,
      column: 5,
    });
    expectStderrLine(
      dir,
      ['lock'],
      'error modules/a/module.json:5:5: dependency cycle: a → b → c → a [module/dependency-cycle]',
    );
  });

  it('a cycle inside a lock: compat exits 2 naming the cycle at the dependency', () => {
    const entry = (dep: string) => [
      '      "dependencies": {',
      `        "${dep}": "^1.0.0"`,
      '      },',
      `      "sha256": "${SHA_A}",`,
      '      "version": "1.0.0"',
    ];
    const dir = repo({
      ...mod('orders'),
      'rings/canary.lock.json': lines(
        '{', //                          1
        '  "lockfileVersion": 1,', //    2
        '  "modules": {', //             3
        '    "a": {', //                 4
        ...entry('b'), //                5-9; "b" at 6:9
        '    },',
        '    "b": {',
        ...entry('a'),
        '    }',
        '  },',
        '  "platform": "2.0.0",',
        '  "ring": "canary"',
        '}',
      ),
    });
    const d = inputError(dir, 'compat', '--ring', 'canary');
    expect(d[0]).toMatchObject({
      rule: 'module/dependency-cycle',
      message: 'dependency cycle: a → b → a',
      file: 'rings/canary.lock.json',
      line: 6,
      column: 9,
    });
    expectStderrLine(
      dir,
      ['compat'],
      'error rings/canary.lock.json:6:9: dependency cycle: a → b → a [module/dependency-cycle]',
    );
  });
});

describe('a lock naming a module with no source', () => {
  /** A repo whose `ring` lock is the canary lock of "orders" plus an entry for "ghost", which has no source. */
  function withGhost(ring: string): string {
    const dir = lockedRepo();
    const lock = JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8'));
    lock.ring = ring;
    lock.modules.ghost = { sha256: SHA_A, source: 'modules/ghost', version: '1.0.0' };
    writeFileSync(join(dir, `rings/${ring}.lock.json`), `${JSON.stringify(lock, null, 2)}\n`);
    return dir;
  }

  it('verify on the tracking ring: exit 1, naming the module', () => {
    const dir = withGhost('canary');
    const r = cli(['verify', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const body = JSON.parse(r.stdout);
    expect(body.ok).toBe(false);
    expect(body.findings).toContainEqual(
      expect.objectContaining({ module: 'ghost', status: 'failed', rule: 'verify/no-source' }),
    );
    const h = run(dir, 'verify');
    expect(h.code).toBe(1);
    expect(h.stdout).toMatch(
      /FAIL\s+ghost\s+1\.0\.0\s+-\s+the lock names "ghost" but there is no module source for it/,
    );
  });

  it('verify on a ring that does not track the sources: a warning, exit 0', () => {
    const dir = withGhost('edge');
    const r = cli(['verify', '--ring', 'edge', '--json'], { cwd: dir });
    expect(r.code, r.stdout).toBe(0);
    const body = JSON.parse(r.stdout);
    expect(body.findings).toContainEqual(
      expect.objectContaining({ module: 'ghost', status: 'warning', rule: 'verify/no-source' }),
    );
    expect(body.findings).toContainEqual(expect.objectContaining({ module: 'orders', status: 'ok' }));
    expect(run(dir, 'verify', '--ring', 'edge').stdout).toMatch(/warn\s+ghost/);
  });
});

describe('oversized manifest', () => {
  /** A valid module.json padded with spaces to exactly `size` bytes. */
  const sized = (size: number) => {
    const base = manifest('orders', '1.0.0');
    return base.replace(/\n$/, `${' '.repeat(size - base.length)}\n`);
  };

  it('a module.json over 64 KB: exit 2 naming the file and the limit', () => {
    const dir = repo({ ...mod('orders'), 'modules/orders/module.json': sized(65_537) });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'file/too-large',
      file: 'modules/orders/module.json',
      line: 1,
      message: 'module manifest is 65537 bytes, larger than the limit of 65536 bytes',
      expected: 'at most 65536 bytes',
    });
    expectStderrLine(
      dir,
      ['lock'],
      // At its first line, as every other manifest problem has a line.
      'error modules/orders/module.json:1:1: module manifest is 65537 bytes, larger than the limit of 65536 bytes [file/too-large]',
    );
  });

  it('a module.json of exactly 64 KB is accepted', () => {
    const dir = repo({ ...mod('orders'), 'modules/orders/module.json': sized(65_536) });
    expect(statSync(join(dir, 'modules/orders/module.json')).size).toBe(65_536);
    const r = run(dir, 'lock');
    expect(r.code, r.stderr).toBe(0);
  });
});

describe('hazards inside a module tree', () => {
  it('a symlink loop (a → b, b → a): exit 2 naming the link', () => {
    const dir = repo({
      ...mod('orders'),
      'modules/orders/src/a': { symlink: 'b' },
      'modules/orders/src/b': { symlink: 'a' },
    });
    const d = inputError(dir, 'lock');
    expect(d[0]!.rule).toBe('hash/symlink-loop');
    expect(d[0]!.file).toMatch(/^modules\/orders\/src\/[ab]$/);
    expectStderrLine(
      dir,
      ['lock'],
      /^error modules\/orders\/src\/[ab]: symlink loop \(-> [ab]\) \[hash\/symlink-loop\]$/,
    );
  });

  it('a symlink pointing outside the module (../../etc): exit 2 naming the link', () => {
    const dir = repo({ ...mod('orders'), 'modules/orders/src/etc': { symlink: '../../etc' } });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({
      rule: 'hash/symlink-escape',
      file: 'modules/orders/src/etc',
      message: 'symlink points outside the module (-> ../../etc)',
    });
  });

  it('an absolute symlink: exit 2 naming the link', () => {
    const dir = repo({ ...mod('orders'), 'modules/orders/passwd': { symlink: '/etc/passwd' } });
    expectStderrLine(
      dir,
      ['lock'],
      'error modules/orders/passwd: symlink points outside the module (-> /etc/passwd) [hash/symlink-escape]',
    );
  });

  it('a FIFO inside a module tree: exit 2 naming it', () => {
    const dir = repo(mod('orders'));
    mkfifo(join(dir, 'modules/orders/src/pipe'));
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'hash/special-file', file: 'modules/orders/src/pipe' });
    expect(d[0]!.message).toContain('FIFO');
  });

  it.each([
    ['modules/orders/module.json', ['lock']],
    ['rings/canary.lock.json', ['verify']],
    ['rings/tenants.yaml', ['ring', 'list']],
  ])('a FIFO as %s: exit 2 "not a regular file", no hang', (file, args) => {
    const dir = repo(mod('orders'));
    const abs = join(dir, file);
    rmSync(abs, { force: true });
    mkfifo(abs);
    const r = runBounded(dir, args);
    expect(r.timedOut).toBe(false);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: `);
  });

  it('a directory where module.json should be: exit 2', () => {
    const dir = repo({ 'modules/orders/module.json/x': 'x' });
    const d = inputError(dir, 'lock');
    expect(d[0]).toMatchObject({ rule: 'file/not-a-file', file: 'modules/orders/module.json' });
  });

  it('a module folder that is a symlink out of the repository is reported, not skipped', () => {
    const outside = testdir(mod('x'));
    const dir = repo({ ...mod('orders'), 'modules/x': { symlink: join(outside, 'modules/x') } });
    const r = run(dir, 'lock');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('modules/x');
  });

  describe('unreadable files', () => {
    const asRoot = process.getuid?.() === 0;
    const NOBODY = 65534;
    /** Runs as an unprivileged user when we are root (root reads anything), from a copy of the CLI that user can
     *  read: the checkout itself may be private. */
    const runAs = (dir: string, ...args: string[]) =>
      asRoot
        ? cli(args, { cwd: dir, uid: NOBODY, gid: NOBODY, bin: publicCli().bin })
        : cli(args, { cwd: dir });
    /** Dirs 755, files 644, then `chmod 000` on `locked`. */
    const lockDown = (dir: string, locked: string) => {
      const walk = (abs: string) => {
        const st = lstatSync(abs);
        if (st.isSymbolicLink()) return;
        chmodSync(abs, st.isDirectory() ? 0o755 : 0o644);
        if (st.isDirectory()) for (const n of readdirSync(abs)) walk(join(abs, n));
      };
      walk(dir);
      chmodSync(join(dir, locked), 0o000);
    };

    it('precondition: the CLI runs as the unprivileged user', () => {
      const copy = publicCli();
      const r = asRoot
        ? cli(['--version'], { cwd: copy.root, uid: NOBODY, gid: NOBODY, bin: copy.bin })
        : cli(['--version']);
      expect(r.code, `${r.stderr}\n${copy.root} must be readable by uid ${NOBODY}`).toBe(0);
    });

    it('an unreadable file in a module tree: exit 2 naming the file', () => {
      const dir = lockedRepo({ 'modules/orders/src/secret.php': '<?php\n' });
      const before = snapshot(join(dir, 'rings'));
      lockDown(dir, 'modules/orders/src/secret.php');
      for (const args of [['lock'], ['verify'], ['hash', 'modules/orders']]) {
        const r = runAs(dir, ...args, '--json');
        expect(r.code, r.stdout + r.stderr).toBe(2);
        expect(JSON.parse(r.stdout).error.diagnostics[0]).toMatchObject({
          rule: 'hash/unreadable',
          file: 'modules/orders/src/secret.php',
          message: 'cannot be read (permission denied)',
        });
      }
      const h = runAs(dir, 'lock');
      expect(h.stderr).toBe(
        'error modules/orders/src/secret.php: cannot be read (permission denied) [hash/unreadable]\n',
      );
      expect(snapshot(join(dir, 'rings'))).toEqual(before);
    });

    it('an unreadable module.json: exit 2 naming the file', () => {
      const dir = repo(mod('orders'));
      lockDown(dir, 'modules/orders/module.json');
      const r = runAs(dir, 'lock');
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(
        'error modules/orders/module.json: module manifest cannot be read (permission denied) [file/unreadable]',
      );
    });

    it('an unreadable directory in a module tree: exit 2 naming it', () => {
      const dir = repo({ ...mod('orders'), 'modules/orders/private/x.php': '<?php\n' });
      lockDown(dir, 'modules/orders/private');
      const r = runAs(dir, 'lock');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /^error modules\/orders\/private: directory cannot be read .*\[hash\/unreadable\]$/m,
      );
    });
  });
});

describe('CLI usage', () => {
  it('an unknown command: exit 2 listing the commands', () => {
    const d = inputError(repo(), 'frobnicate');
    expect(d[0]).toMatchObject({ rule: 'cli/usage', message: 'unknown command "frobnicate"' });
    expect(d[0]!.expected).toContain(
      'lock, verify, compat, ring list, ring show, ring assign, promote, revert, plan, apply',
    );
    expectStderrLine(repo(), ['frobnicate'], 'error: unknown command "frobnicate" [cli/usage]');
  });

  it('an unknown option: exit 2 naming it', () => {
    const dir = lockedRepo();
    const before = snapshot(join(dir, 'rings'));
    expectStderrLine(dir, ['lock', '--bogus'], "error: lock: Unknown option '--bogus' [cli/usage]");
    expect(snapshot(join(dir, 'rings'))).toEqual(before);
  });

  it('ring show without a ring: exit 2', () => {
    const d = inputError(repo(), 'ring', 'show');
    expect(d[0]).toMatchObject({
      rule: 'cli/usage',
      message: 'ring show: missing <ring>',
      expected: 'ringlock ring show <ring> [options]',
    });
  });

  it('--ring with no value: exit 2', () => {
    const d = inputError(repo(), 'verify', '--ring');
    expect(d[0]!.rule).toBe('cli/usage');
    expect(d[0]!.message).toContain('--ring');
  });

  it('--ring with an empty value: exit 2', () => {
    const d = inputError(repo(), 'verify', '--ring=');
    expect(d[0]).toMatchObject({ rule: 'cli/usage', message: 'verify: --ring needs a value' });
  });

  it('--ring followed by another option: exit 2, nothing written', () => {
    const dir = lockedRepo({ 'modules/orders/src/new.php': '<?php\n' });
    const before = snapshot(join(dir, 'rings'));
    const r = run(dir, 'lock', '--ring', '--check');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--ring');
    expect(snapshot(join(dir, 'rings'))).toEqual(before);
  });

  it('an unexpected extra argument: exit 2', () => {
    const d = inputError(repo(), 'ring', 'show', 'canary', 'extra');
    expect(d[0]).toMatchObject({ rule: 'cli/usage', message: 'ring show: unexpected argument "extra"' });
  });

  it.each(['notaversion', 'v2.0.0', '2.0', '^2.0.0'])('compat --platform %s: exit 2', (v) => {
    const dir = lockedRepo();
    const d = inputError(dir, 'compat', '--platform', v);
    expect(d[0]).toMatchObject({
      rule: 'cli/platform',
      message: `--platform ${v}: not a semantic version`,
      expected: 'a version like 2.0.0',
    });
  });

  it('lock --module naming no module: exit 2 listing the modules', () => {
    const d = inputError(lockedRepo(), 'lock', '--module', 'nope');
    expect(d[0]).toMatchObject({ rule: 'cli/module', expected: 'one of: orders' });
  });

  it('--cwd that does not exist: exit 2', () => {
    const d = inputError(repo(), 'verify', '--cwd', '/nonexistent/ringlock-test');
    expect(d[0]).toMatchObject({ rule: 'cli/cwd' });
  });
});

describe('nothing written', () => {
  const cases: [string, (dir: string) => void, string[]?][] = [
    ['malformed module.json', (d) => put(d, { 'modules/orders/module.json': '{\n  "name": "orders",\n}\n' })],
    [
      'a schema violation in module.json',
      (d) => put(d, { 'modules/orders/module.json': manifest('orders', '1.2') }),
    ],
    ['a case-insensitive name collision', (d) => put(d, mod('Orders'))],
    [
      'a name with a path separator',
      (d) => put(d, { 'modules/orders/module.json': manifest('a/b', '1.0.1') }),
    ],
    [
      'a name that does not match its directory',
      (d) => put(d, { 'modules/orders/module.json': manifest('billing', '1.0.1') }),
    ],
    [
      'an invalid range',
      (d) =>
        put(d, {
          'modules/orders/module.json': manifest('orders', '1.0.1', { compatibility: { platform: '^^1' } }),
        }),
    ],
    [
      'a dependency cycle',
      (d) =>
        put(d, {
          ...mod('a', '1.0.0', { dependencies: { b: '^1.0.0' } }),
          ...mod('b', '1.0.0', { dependencies: { a: '^1.0.0' } }),
        }),
    ],
    [
      'an oversized manifest',
      (d) =>
        put(d, {
          'modules/orders/module.json': manifest('orders', '1.0.1', { description: 'x'.repeat(70_000) }),
        }),
    ],
    [
      'a symlink loop',
      (d) => put(d, { 'modules/orders/src/a': { symlink: 'b' }, 'modules/orders/src/b': { symlink: 'a' } }),
    ],
    ['a symlink out of the module', (d) => put(d, { 'modules/orders/src/etc': { symlink: '../../etc' } })],
    ['a FIFO in the module tree', (d) => mkfifo(join(d, 'modules/orders/src/pipe'))],
    [
      'malformed ringlock.yaml',
      (d) => put(d, { 'ringlock.yaml': edit(CONFIG, '    minSoak: 24h', '\tminSoak: 24h') }),
    ],
    ['an invalid VERSION', (d) => put(d, { VERSION: '2.1\n' })],
    ['an unknown --ring', () => {}, ['lock', '--ring', 'nope']],
    ['an unknown --ring with --check', () => {}, ['lock', '--ring', 'nope', '--check']],
    [
      'a corrupt lock',
      (d) => {
        const p = join(d, 'rings/canary.lock.json');
        writeFileSync(
          p,
          readFileSync(p, 'utf8').replace(/"sha256": "sha256:[0-9a-f]{4}/, '"sha256": "sha256:ZZZZ'),
        );
      },
    ],
    ['an unknown --module', () => {}, ['lock', '--module', 'nope']],
  ];

  it.each(cases)('lock with %s: exit 2, rings/ unchanged, no temp file', (_what, mutate, args = ['lock']) => {
    const dir = lockedRepo();
    // Also change a source file, so that a lock written despite the error would differ.
    put(dir, { 'modules/orders/src/index.php': '<?php // changed\n' });
    mutate(dir);
    const before = snapshot(join(dir, 'rings'));
    const r = run(dir, ...args);
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stderr).toMatch(/^error/);
    const after = snapshot(join(dir, 'rings'));
    expect(after).toEqual(before);
    expect(Object.keys(after).filter((n) => n.startsWith('.') || n.endsWith('.tmp'))).toEqual([]);
  });

  it('lock with bad input in a repo with no lock yet creates no file', () => {
    const dir = repo({
      ...mod('orders'),
      'modules/orders/src/a': { symlink: 'b' },
      'modules/orders/src/b': { symlink: 'a' },
    });
    expect(run(dir, 'lock').code).toBe(2);
    expect(readdirSync(join(dir, 'rings'))).toEqual([]);
  });

  it('lock --check on a stale lock: exit 1, nothing written, the difference listed', () => {
    const dir = lockedRepo();
    put(dir, { 'modules/orders/src/index.php': '<?php // changed\n' });
    const before = snapshot(join(dir, 'rings'));
    const r = cli(['lock', '--check', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, upToDate: false, written: false });
    const h = run(dir, 'lock', '--check');
    expect(h.code).toBe(1);
    expect(h.stdout).toContain('rings/canary.lock.json: stale');
    expect(h.stdout).toContain('~ orders 1.0.0');
    expect(snapshot(join(dir, 'rings'))).toEqual(before);
  });
});
