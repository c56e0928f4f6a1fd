// The `$schema` of every file ringlock writes resolves outside this repository: the package's schema at this version
// on jsDelivr, which maps back to the schemas/ file the package ships. A real JSON Schema resolver (ajv, as editors'
// language servers do) fetches it by that URL, follows its relative $refs from there, and validates the written file.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { cli, manifest, platformRepo, REPO_ROOT, testdir } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const PREFIX = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/`;

/** What jsDelivr serves at `url`: a file the package ships (its `files`), read from this checkout; else a 404. */
function fetchShipped(url: string): object {
  const rel = url.startsWith(PREFIX) ? url.slice(PREFIX.length) : undefined;
  const shipped =
    rel !== undefined && (pkg.files as string[]).some((f) => rel === f || rel.startsWith(`${f}/`));
  if (!shipped) throw new Error(`404: ${url} is not a file of ${pkg.name}@${pkg.version}`);
  return JSON.parse(readFileSync(join(REPO_ROOT, rel), 'utf8'));
}

/** Resolves `$schema` the way an editor does (by its URL, $refs relative to it) and validates `doc` against it. */
async function validateBySchemaUrl(
  url: string,
  doc: unknown,
): Promise<{ valid: boolean; fetched: string[] }> {
  const fetched: string[] = [];
  const ajv = new Ajv2020({
    strict: false,
    allowUnionTypes: true,
    loadSchema: async (uri: string) => {
      fetched.push(uri);
      return fetchShipped(uri);
    },
  });
  const validate = await ajv.compileAsync({ $ref: url });
  const valid = validate(doc) as boolean;
  return { valid, fetched };
}

/** The schema a YAML file names in its first line for the YAML language server. */
function yamlSchema(text: string): string {
  const m = /^# yaml-language-server: \$schema=(\S+)\n/.exec(text);
  if (!m) throw new Error(`no yaml-language-server $schema comment at the top of:\n${text.slice(0, 200)}`);
  return m[1]!;
}

describe('$schema of a written lock', () => {
  it("is the package's URL at this version: it resolves to the shipped schema, $refs and all, and validates", async () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(cli(['--version']).stdout.trim()).toBe(pkg.version);
    const lock = JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8'));
    expect(lock.$schema).toBe(`${PREFIX}schemas/ring-lock.schema.json`);
    const { valid, fetched } = await validateBySchemaUrl(lock.$schema, lock);
    expect(valid).toBe(true);
    // The relative $refs were followed beside the URL (the shipped files carry no $id that would send them elsewhere).
    expect(fetched).toContain(`${PREFIX}schemas/defs.schema.json`);
    expect(fetched.every((u) => u.startsWith(PREFIX))).toBe(true);
    // And a lock the schema must reject is rejected through the same URL.
    expect((await validateBySchemaUrl(lock.$schema, { ...lock, lockfileVersion: 'one' })).valid).toBe(false);
    expect(cli(['lock', '--check', '--cwd', dir]).code).toBe(0);
    expect(cli(['verify', '--cwd', dir]).code).toBe(0);
  });

  it('is kept as the lock has it (a path into the repository, as in ringlock’s own rings/)', () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    const path = join(dir, 'rings/canary.lock.json');
    const lock = JSON.parse(readFileSync(path, 'utf8'));
    writeFileSync(
      path,
      `${JSON.stringify({ ...lock, $schema: '../schemas/ring-lock.schema.json' }, null, 2)}\n`,
    );
    writeFileSync(
      join(dir, 'modules/orders/module.json'),
      readFileSync(join(dir, 'modules/orders/module.json'), 'utf8').replace('1.0.0', '1.0.1'),
    );
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({
      $schema: '../schemas/ring-lock.schema.json',
      modules: { orders: { version: '1.0.1' } },
    });
  });
});

describe('files `ringlock init` writes', () => {
  it('name their schema by URL (JSON $schema, YAML language-server comment), and each validates through it', async () => {
    const dir = testdir({ VERSION: '2.0.0\n', 'modules/orders/module.json': manifest('orders', '1.0.0') });
    expect(cli(['init'], { cwd: dir }).code).toBe(0);
    const config = readFileSync(join(dir, 'ringlock.yaml'), 'utf8');
    expect(yamlSchema(config)).toBe(`${PREFIX}schemas/config.schema.json`);
    expect((await validateBySchemaUrl(yamlSchema(config), parse(config))).valid).toBe(true);
    const tenants = readFileSync(join(dir, 'rings/tenants.yaml'), 'utf8');
    expect(yamlSchema(tenants)).toBe(`${PREFIX}schemas/tenants.schema.json`);
    expect((await validateBySchemaUrl(yamlSchema(tenants), parse(tenants))).valid).toBe(true);
    for (const ring of ['canary', 'edge', 'stable']) {
      const lock = JSON.parse(readFileSync(join(dir, `rings/${ring}.lock.json`), 'utf8'));
      expect((await validateBySchemaUrl(lock.$schema, lock)).valid, ring).toBe(true);
    }
    // The config the schema accepts is the one ringlock accepts.
    expect(cli(['lock', '--check'], { cwd: dir }).code).toBe(0);
  });
});

describe('the shipped schemas', () => {
  it('carry no $id: a fetched copy resolves its $refs beside where it was fetched from', () => {
    for (const f of ['ring-lock', 'config', 'tenants', 'module', 'operator-config', 'defs', 'event'])
      expect(fetchShipped(`${PREFIX}schemas/${f}.schema.json`)).not.toHaveProperty('$id');
  });
});
