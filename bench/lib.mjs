// Shared by the benchmarks: paths, seeded data, running and timing commands, tables.
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const BENCH = dirname(fileURLToPath(import.meta.url));
export const ROOT = dirname(BENCH);
export const WORK = join(BENCH, '.work');
export const BIN = join(ROOT, 'bin', 'ringlock.js');

// ---------- deterministic data ----------

export function xorshift(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return s >>> 0;
  };
}

/** A buffer of seeded pseudo-random bytes; files are slices of it. */
export function pool(next, bytes) {
  const words = new Uint32Array(bytes / 4);
  for (let i = 0; i < words.length; i++) words[i] = next();
  return Buffer.from(words.buffer);
}

// ---------- running and timing ----------

export function timed(cmd, args, cwd, env) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, {
    cwd,
    env: env ? { ...process.env, ...env } : undefined,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return {
    ms,
    status: r.status,
    output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}`,
  };
}

export function mustPass(label, r) {
  if (r.status === 0) return r.ms;
  console.error(`\n${label} exited with ${r.status}:\n${r.output}`);
  process.exit(1);
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};

export const hasTool = (tool) =>
  spawnSync('bash', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
export const fmt = (x, digits = 0) => (x == null ? '-' : x.toFixed(digits));

export function printTable(header, rows) {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of rows) console.log(line(r));
}

/**
 * Bundles TypeScript of the repo (`exports`: the lines of an entry module, paths from the repo root; dependencies stay
 * external, resolved from node_modules) into bench/.work/<name>.bundle.mjs with esbuild, and imports it (a query per
 * load: a rebuilt bundle is never served from the module cache).
 */
export async function importTs(name, exports) {
  const out = join(WORK, `${name}.bundle.mjs`);
  mkdirSync(WORK, { recursive: true });
  await createRequire(join(ROOT, 'package.json'))('esbuild').build({
    stdin: { contents: exports.join('\n'), resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: out,
    logLevel: 'warning',
  });
  return import(`${pathToFileURL(out).href}?t=${Date.now()}`);
}
