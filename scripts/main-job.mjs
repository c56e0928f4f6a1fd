// `npm start`: ringlock's main job on the shipped example, end to end, with the built-in defaults (file registry,
// filesystem target, file state store). It works on a scratch copy in .ringlock/demo/ so the repository's own rings/
// stay as committed: check the rings, publish the canary ring's modules into a local file registry, apply the canary
// ring onto a local target, then show what is deployed and the audit history. Every step is the real CLI.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'ringlock.js');
const demo = join(root, '.ringlock', 'demo');

if (existsSync(demo)) {
  const old = `${demo}.old-${process.pid}`;
  renameSync(demo, old);
  rmSync(old, { recursive: true, force: true });
}
mkdirSync(demo, { recursive: true });
for (const p of ['ringlock.yaml', 'rings', 'examples'])
  cpSync(join(root, p), join(demo, p), { recursive: true });

const target = '.ringlock/target';
const steps = [
  ['ring', 'list'],
  ['lock', '--check'],
  ['verify', '--ring', 'canary'],
  ['verify', '--ring', 'stable'],
  ['compat'],
  ['publish', '--ring', 'canary', '--all'],
  ['plan', '--ring', 'canary'],
  // The example's hooks run `php artisan …`, which this machine does not have.
  ['apply', '--ring', 'canary', '--yes', '--skip-hooks'],
  ['list'],
  ['history'],
  ['verify', '--ring', 'canary', '--dir', target],
];

const results = [];
for (const args of steps) {
  const shown = `ringlock ${args.join(' ')}`;
  process.stdout.write(`\n$ ${shown}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: demo, stdio: 'inherit' });
  results.push({ shown, code: r.status ?? 70 });
}

process.stdout.write(`\nSummary (in ${demo})\n`);
for (const { shown, code } of results) {
  const meaning =
    code === 0
      ? 'ok'
      : code === 1
        ? 'found problems (see above)'
        : code === 3
          ? 'an operation failed'
          : 'error';
  process.stdout.write(`  ${String(code).padStart(3)}  ${shown.padEnd(56)} ${meaning}\n`);
}
process.stdout.write(
  '\nThe example shows one failure on purpose: in ring canary (platform 2.0.0) "reports" still needs platform ^1.8.0, so\n' +
    'compat reports it incompatible and "@acme/analytics", which needs it, blocked with the chain; apply leaves both\n' +
    `uninstalled, and verify --dir says they are not deployed. Everything else is installed under ${join(demo, target)}.\n`,
);
// Findings (exit 1) are the job's output; anything else means the job itself did not work.
process.exitCode = results.some((r) => r.code >= 2) ? 2 : 0;
