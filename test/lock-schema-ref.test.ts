// The `$schema` a new lock gets resolves outside this repository: the package's schema at this version on jsDelivr,
// which maps back to the schemas/ file the package ships (and whose relative $refs ship beside it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, platformRepo, REPO_ROOT } from './helpers.js';

const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8'));
const PREFIX = `https://cdn.jsdelivr.net/npm/${pkg.name}@${pkg.version}/`;

/** The file in the package a jsDelivr npm URL serves, or undefined when the URL is not one of this package's. */
function packageFile(url: string): string | undefined {
  if (!url.startsWith(PREFIX)) return undefined;
  const rel = url.slice(PREFIX.length);
  const shipped = (pkg.files as string[]).some((f) => rel === f || rel.startsWith(`${f}/`));
  return shipped ? join(REPO_ROOT, rel) : undefined;
}

describe('$schema of a written lock', () => {
  it("is the package's URL at this version, serving the shipped ring-lock schema", () => {
    const dir = platformRepo({ orders: { version: '1.0.0' } });
    expect(cli(['lock', '--cwd', dir]).code).toBe(0);
    expect(cli(['--version']).stdout.trim()).toBe(pkg.version);
    const written = JSON.parse(readFileSync(join(dir, 'rings/canary.lock.json'), 'utf8')).$schema;
    expect(written).toBe(`${PREFIX}schemas/ring-lock.schema.json`);
    const file = packageFile(written);
    expect(file, `${written} is not a file the package ships`).toBeDefined();
    const schema = JSON.parse(readFileSync(file!, 'utf8'));
    expect(schema.$id).toMatch(/\/ring-lock\.schema\.json$/);
    expect(schema.properties.lockfileVersion).toBeDefined();
    // Its relative references are served beside it.
    const refs = [...JSON.stringify(schema).matchAll(/"\$ref":"([^"#]+)#/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(0);
    for (const ref of new Set(refs)) expect(existsSync(join(file!, '..', ref)), ref).toBe(true);
    // What ringlock wrote passes its own validation with that $schema in place.
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
