// The container image without a Docker engine: the Dockerfile parsed by dockerfile-ast (the parser behind VS Code's
// Dockerfile language server), the runtime paths it copies run from a copy with no node_modules, and every image
// name the repository shows checked against the OCI reference grammar.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { REPO_ROOT } from './helpers.js';

const TEXT = readFileSync(join(REPO_ROOT, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(TEXT);
const DATA_MOUNT = '/var/lib/ringlock';

interface Stage {
  image: string;
  name: string | undefined;
  instructions: Instruction[];
}
const stages: Stage[] = [];
for (const i of dockerfile.getInstructions()) {
  if (i.getKeyword() === 'FROM') {
    const [image, as, name] = i.getArguments().map((a) => a.getValue());
    expect(as?.toUpperCase(), `line ${i.getRange().start.line + 1}: FROM … AS <name>`).toBe('AS');
    stages.push({ image: image!, name, instructions: [] });
  } else stages.at(-1)?.instructions.push(i);
}
const names = stages.map((s) => s.name);
const runtime = stages.at(-1)!;
const build = stages.find((s) => argsOf(s, 'RUN').some((r) => /scripts\/build\.mjs/.test(r)))!;

/** The argument text of each `op` instruction of a stage (continuation lines joined). */
function argsOf(stage: Stage, op: string): string[] {
  return stage.instructions.filter((i) => i.getKeyword() === op).map((i) => i.getArgumentsContent() ?? '');
}
/** An exec-form instruction's JSON array, parsed by the parser (not JSON.parse on the line). */
function execForm(stage: Stage, op: string): string[] {
  const i = stage.instructions.filter((x) => x.getKeyword() === op).at(-1) as unknown as {
    getJSONStrings(): { getJSONValue(): string }[];
  };
  return i.getJSONStrings().map((s) => s.getJSONValue());
}
/** Name → value of a stage's ENV or LABEL properties. */
function propertiesOf(stage: Stage, op: 'ENV' | 'LABEL'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const i of stage.instructions.filter((x) => x.getKeyword() === op))
    for (const p of (
      i as unknown as { getProperties(): { getName(): string; getValue(): string | null }[] }
    ).getProperties())
      out[p.getName()] = p.getValue() ?? '';
  return out;
}
/** COPY's --from and its sources/destination. */
function copies(stage: Stage): { from: string | undefined; sources: string[]; dest: string }[] {
  return stage.instructions
    .filter((i) => i.getKeyword() === 'COPY')
    .map((i) => {
      const c = i as unknown as { getFromFlag(): { getValue(): string | null } | null };
      const words = i
        .getArguments()
        .map((a) => a.getValue())
        .filter((w) => !w.startsWith('--'));
      return {
        from: c.getFromFlag()?.getValue() ?? undefined,
        sources: words.slice(0, -1),
        dest: words.at(-1)!,
      };
    });
}

describe('Dockerfile', () => {
  it('parses with no parser directive: no `# syntax=` frontend image to pull at build time', () => {
    expect(dockerfile.getDirectives()).toEqual([]);
    expect(TEXT).not.toMatch(/^#\s*syntax\s*=/im);
  });

  it('is multi-stage, every stage named, on a pinned node:24 slim image (no latest, no untagged base)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const s of stages) {
      expect(s.name, `FROM ${s.image} needs AS <name>`).toMatch(/^[a-z][a-z0-9_-]*$/);
      if (names.includes(s.image)) continue;
      expect(s.image).toMatch(/^node:24[\w.-]*-slim(@sha256:[0-9a-f]{64})?$/);
    }
    for (const f of dockerfile.getFROMs()) expect(f.getImageTag()).not.toBe('latest');
    expect(new Set(names).size).toBe(names.length);
  });

  it('builds with npm ci (devDependencies included) and the build script, from files that exist', () => {
    const runs = argsOf(build, 'RUN');
    const ci = runs.findIndex((r) => /\bnpm ci\b/.test(r));
    expect(ci).toBeGreaterThanOrEqual(0);
    expect(runs[ci]).not.toMatch(/--omit=dev|--production/);
    expect(ci).toBeLessThan(runs.findIndex((r) => /scripts\/build\.mjs/.test(r)));
    const ignored = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const copied = copies(build).flatMap((c) => c.sources);
    for (const need of ['package.json', 'package-lock.json', 'scripts/', 'schemas/', 'src/', 'bin/'])
      expect(copied).toContain(need);
    for (const src of copied) {
      expect(existsSync(join(REPO_ROOT, src)), `${src} exists`).toBe(true);
      expect(ignored, `${src} is not dockerignored`).not.toContain(src.replace(/\/$/, ''));
    }
  });

  it('ships no source maps and no node_modules: only package.json, bin, dist and schemas from the build', () => {
    expect(argsOf(build, 'RUN').find((r) => /scripts\/build\.mjs/.test(r))).toMatch(
      /^node scripts\/build\.mjs --no-source-maps && rm -rf dist\/action$/,
    );
    const runtimeCopies = copies(runtime);
    expect(runtimeCopies.every((c) => c.from === build.name)).toBe(true);
    expect(runtimeCopies.flatMap((c) => c.sources).sort()).toEqual(
      ['/src/bin', '/src/dist', '/src/package.json', '/src/schemas'].sort(),
    );
    expect(argsOf(runtime, 'RUN').join('\n')).not.toMatch(/\bnpm (ci|install|run)\b/);
    // The base image's npm and corepack are removed: nothing in the image installs packages.
    const apt = argsOf(runtime, 'RUN').find((r) => /apt-get install/.test(r)) ?? '';
    for (const p of [
      '/usr/local/lib/node_modules/npm',
      '/usr/local/lib/node_modules/corepack',
      '/usr/local/bin/npx',
    ])
      expect(apt).toContain(p);
    expect(TEXT).not.toMatch(/enable-source-maps"/);
  });

  it('installs git, ca-certificates and tini from Debian in the runtime stage, without recommends, lists removed', () => {
    const apt = argsOf(runtime, 'RUN').find((r) => /apt-get install/.test(r));
    expect(apt).toMatch(/apt-get update/);
    expect(apt).toMatch(/--no-install-recommends/);
    for (const pkg of ['git', 'ca-certificates', 'tini']) expect(apt).toMatch(new RegExp(`\\b${pkg}\\b`));
    expect(apt).toMatch(/rm -rf \/var\/lib\/apt\/lists/);
  });

  it('starts tini as PID 1, exec form, with the daemon as its child', () => {
    expect(execForm(runtime, 'ENTRYPOINT')).toEqual(['/usr/bin/tini', '--', 'node', '/app/bin/ringlock.js']);
    expect(execForm(runtime, 'CMD')).toEqual(['daemon']);
  });

  it('carries the OCI labels, version and revision from build arguments', () => {
    const labels = propertiesOf(runtime, 'LABEL');
    for (const k of ['title', 'description', 'licenses', 'source', 'version', 'revision'])
      expect(labels[`org.opencontainers.image.${k}`], k).toBeTruthy();
    expect(labels['org.opencontainers.image.licenses']).toBe(
      JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')).license,
    );
    expect(labels['org.opencontainers.image.version']).toBe(`\${VERSION}`);
    expect(labels['org.opencontainers.image.revision']).toBe(`\${REVISION}`);
    const args = argsOf(runtime, 'ARG').map((a) => a.split('=')[0]);
    expect(args).toEqual(expect.arrayContaining(['VERSION', 'REVISION']));
  });

  it('runs as a numeric non-root user, from /app, listening on 0.0.0.0:8080', () => {
    const user = argsOf(runtime, 'USER').at(-1)!;
    expect(user).toBe('10001:10001');
    const lastUser = runtime.instructions.findLastIndex((i) => i.getKeyword() === 'USER');
    expect(runtime.instructions.slice(lastUser + 1).filter((i) => i.getKeyword() === 'RUN')).toEqual([]);
    expect(argsOf(runtime, 'WORKDIR').at(-1)).toBe('/app');
    const env = propertiesOf(runtime, 'ENV');
    expect(env['NODE_ENV']).toBe('production');
    expect(env['RINGLOCK_LISTEN']).toBe('0.0.0.0:8080');
    expect(argsOf(runtime, 'EXPOSE').join(' ').split(' ')).toContain('8080');
    expect(argsOf(runtime, 'VOLUME').join(' ')).toContain(DATA_MOUNT);
    for (const v of Object.values(env))
      if (v.startsWith('/var/')) expect(`${v}/`.startsWith(`${DATA_MOUNT}/`), v).toBe(true);
  });

  it('.dockerignore keeps local state, builds and secrets out of the context', () => {
    const lines = readFileSync(join(REPO_ROOT, '.dockerignore'), 'utf8').split('\n');
    for (const p of ['node_modules', 'dist', '.git', '.ringlock', 'bench/.work', 'coverage', '.env'])
      expect(lines).toContain(p);
  });
});

describe('the runtime paths the image copies', () => {
  const root = mkdtempSync(join(tmpdir(), 'ringlock-image-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  // As the Dockerfile's build stage leaves dist/: no source maps, no Action bundle (it runs when imported).
  for (const part of ['package.json', 'bin', 'dist', 'schemas'])
    cpSync(join(REPO_ROOT, part), join(root, part), {
      recursive: true,
      filter: (s) => !s.endsWith('.map') && !s.includes(join('dist', 'action')),
    });

  it('load every file of the bundle with no node_modules anywhere above them', () => {
    for (let d = root; ; d = dirname(d)) {
      expect(existsSync(join(d, 'node_modules')), `${d}/node_modules`).toBe(false);
      if (dirname(d) === d) break;
    }
    const files = (readdirSync(join(root, 'dist'), { recursive: true }) as string[])
      .filter((f) => f.endsWith('.js') && !f.includes('extract-worker'))
      .map((f) => pathToFileURL(join(root, 'dist', f)).href);
    expect(files.length).toBeGreaterThan(5);
    const r = spawnSync(
      process.execPath,
      ['--input-type=module', '-e', `for (const f of ${JSON.stringify(files)}) await import(f);`],
      { cwd: root, encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const v = spawnSync(process.execPath, [join(root, 'bin', 'ringlock.js'), '--version'], {
      encoding: 'utf8',
    });
    expect(v.stdout.trim()).toContain(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version);
    expect(existsSync(join(root, 'dist', 'cli.js.map'))).toBe(false);
  });
});

// ---- image names ------------------------------------------------------------------------------------------------

// The OCI distribution spec's repository name: lowercase components separated by `/`.
const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const REGISTRY_IMAGE = /\bghcr\.io\/[^\s:@"'`)\]]+/gi;

function textFiles(dir: string): string[] {
  return (readdirSync(join(REPO_ROOT, dir), { recursive: true }) as string[])
    .filter((f) => /\.(md|ya?ml)$/.test(f))
    .map((f) => join(dir, f));
}

describe('image names', () => {
  it('are valid lowercase references wherever the repository shows one', () => {
    const files = ['Dockerfile', 'README.md', ...textFiles('examples'), ...textFiles('.github')];
    let seen = 0;
    for (const f of files) {
      for (const m of readFileSync(join(REPO_ROOT, f), 'utf8').matchAll(REGISTRY_IMAGE)) {
        seen++;
        // A shell expansion lower-cased at run time (`${GITHUB_REPOSITORY_OWNER,,}`) is a valid component then.
        for (const c of m[0].split('/').slice(1))
          if (!/^\$\{[A-Z_]+,,\}$/.test(c)) expect(c, `${f}: ${m[0]}`).toMatch(COMPONENT);
      }
    }
    expect(seen).toBeGreaterThan(3);
  });

  it('the kustomization sets a lowercase image name with a pinned tag', () => {
    const k = parseYaml(
      readFileSync(join(REPO_ROOT, 'examples/kubernetes/base/kustomization.yaml'), 'utf8'),
    ) as {
      images: { name: string; newName: string; newTag: string }[];
    };
    const img = k.images.find((i) => i.name === 'ringlock')!;
    const [registry, ...path] = img.newName.split('/');
    expect(registry).toMatch(/^[a-z0-9.-]+(:\d+)?$/);
    for (const c of path) expect(c, img.newName).toMatch(COMPONENT);
    expect(String(img.newTag)).not.toBe('latest');
  });

  it('a name with an uppercase placeholder is refused by the same check', () => {
    expect('OWNER').not.toMatch(COMPONENT);
    expect([...'docker build -t ghcr.io/OWNER/ringlock:0.1.0 .'.matchAll(REGISTRY_IMAGE)][0]?.[0]).toBe(
      'ghcr.io/OWNER/ringlock',
    );
  });
});
