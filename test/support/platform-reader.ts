// A stand-in for the platform of the sidecar layout: a child process that shares the modules folder with the daemon and
// reads a module continuously, the way a platform loads it — resolve `<modules>/<name>` once, then read every file of
// the tree it resolved to — judging each tree it read: complete and of one version. The judge is plain JavaScript so
// the same source runs in the child and, on crafted trees, in the tests of the judge itself.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A fixture module whose every version carries its own file list (MANIFEST.txt) and a marker `@@<version>@@` in every
 * file under lib/: a tree mixing two versions, or missing a file, or holding one too many, cannot pass the judge.
 */
export function markedFiles(version: string, count: number): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++)
    files[`lib/part-${String(i).padStart(3, '0')}.txt`] =
      `@@${version}@@ part ${i}\n${'x'.repeat(2048 + ((i * 97) % 1024))}\n@@${version}@@\n`;
  const all = [...Object.keys(files), 'MANIFEST.txt', 'module.json', 'src/index.php', 'hook.sh'].sort();
  files['MANIFEST.txt'] = `@@${version}@@\n${all.join('\n')}\n`;
  return files;
}

const JUDGE = String.raw`
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

function walk(dir, rel, out) {
  for (const e of readdirSync(join(dir, rel), { withFileTypes: true })) {
    const r = rel ? rel + '/' + e.name : e.name;
    if (e.isDirectory()) walk(dir, r, out);
    else out.push(r);
  }
  return out;
}

/** {version, files} for a complete tree of one version, else {error}. */
export function judge(tree) {
  const files = walk(tree, '', []).sort();
  const version = JSON.parse(readFileSync(join(tree, 'module.json'), 'utf8')).version;
  const manifest = readFileSync(join(tree, 'MANIFEST.txt'), 'utf8').trim().split('\n');
  if (manifest[0] !== '@@' + version + '@@') return { error: 'MANIFEST.txt is not of ' + version + ': ' + manifest[0] };
  const listed = manifest.slice(1);
  if (JSON.stringify(files) !== JSON.stringify(listed))
    return { error: version + ': ' + files.length + ' files, its manifest lists ' + listed.length };
  for (const f of files) {
    if (!f.startsWith('lib/')) continue;
    const text = readFileSync(join(tree, f), 'utf8');
    const markers = new Set(text.match(/@@[^@]+@@/g));
    if (markers.size !== 1 || !markers.has('@@' + version + '@@'))
      return { error: f + ' carries ' + [...markers].join(',') + ' in a tree of ' + version };
  }
  return { version, files: files.length };
}
`;

const LOOP = `
import { existsSync, realpathSync, writeFileSync } from 'node:fs';
import { judge } from './judge.mjs';

const [mode, a, b, c] = process.argv.slice(2);
if (mode === 'once') {
  process.stdout.write(JSON.stringify(judge(a)));
} else {
  // loop <link> <stop file> <result file>: until the stop file exists.
  const [link, stop, result] = [a, b, c];
  const r = { observations: 0, versions: {}, transitions: 0, errors: [], resolvedTo: [] };
  let last;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  while (!existsSync(stop)) {
    let tree;
    try {
      tree = realpathSync(link);
    } catch (e) {
      r.errors.push('the link does not resolve: ' + e.code);
      continue;
    }
    let v;
    try {
      v = judge(tree);
    } catch (e) {
      v = { error: 'reading ' + tree + ': ' + e.code + ' ' + e.message };
    }
    r.observations++;
    if (v.error) r.errors.push(v.error);
    else {
      r.versions[v.version] = (r.versions[v.version] ?? 0) + 1;
      if (last !== undefined && last !== v.version) r.transitions++;
      last = v.version;
      if (!r.resolvedTo.includes(tree)) r.resolvedTo.push(tree);
    }
    if (r.errors.length > 20) break;
    Atomics.wait(pause, 0, 0, 1); // let the daemon have the CPU between reads
  }
  writeFileSync(result, JSON.stringify(r));
}
`;

/** Writes the reader (judge.mjs, reader.mjs) into `dir`; returns reader.mjs's path. */
export function writeReader(dir: string): string {
  writeFileSync(join(dir, 'judge.mjs'), JUDGE);
  writeFileSync(join(dir, 'reader.mjs'), LOOP);
  return join(dir, 'reader.mjs');
}

export interface ReaderResult {
  observations: number;
  versions: Record<string, number>;
  transitions: number;
  errors: string[];
  resolvedTo: string[];
}

/** Judges one tree in a child process (what the loop does on every read). */
export function judgeOnce(
  reader: string,
  tree: string,
): Promise<{ version?: string; files?: number; error?: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [reader, 'once', tree], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', () => resolve(JSON.parse(out)));
  });
}
