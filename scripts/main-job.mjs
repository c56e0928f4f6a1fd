// `npm start`: ringlock's main job on the shipped example (ringlock.yaml → examples/platform, rings/).
// For now: list the rings, check every lock is fresh, verify the sources against every ring, and check compatibility.
// Each step is the real CLI, run as a child process; its output is shown as is.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'ringlock.js');
const extra = process.argv.slice(2);

const steps = [
  ['ring', 'list'],
  ['lock', '--check'],
  ['verify', '--ring', 'canary'],
  ['verify', '--ring', 'edge'],
  ['verify', '--ring', 'stable'],
  ['compat'],
];

const results = [];
for (const args of steps) {
  const shown = `ringlock ${args.join(' ')}`;
  process.stdout.write(`\n$ ${shown}\n`);
  const r = spawnSync(process.execPath, [bin, ...args, ...extra], { cwd: root, stdio: 'inherit' });
  const code = r.status ?? 70;
  results.push({ shown, code });
}

process.stdout.write('\nSummary\n');
for (const { shown, code } of results) {
  const meaning = code === 0 ? 'ok' : code === 1 ? 'found problems (see above)' : 'error';
  process.stdout.write(`  ${String(code).padStart(3)}  ${shown.padEnd(32)} ${meaning}\n`);
}
process.stdout.write(
  '\nThe example is built to show one failure: in ring canary (platform 2.0.0) "reports" still needs platform ^1.8.0,\n' +
    'so it is incompatible and "@acme/analytics", which needs reports, is blocked with the chain. edge and stable run 1.9.2.\n',
);
// Findings (exit 1) are the job's output; an error (exit 2 or more) means the job itself could not run.
process.exitCode = results.some((r) => r.code >= 2) ? 2 : 0;
