// Taking over a stale writer lock is atomic: real `node` processes race for a lock left by a dead process, round after
// round, and at no moment do two of them hold it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { expect, it } from 'vitest';
import { processAlive, scratch } from './fixtures-platform.js';
import { REPO_ROOT } from './helpers.js';

const CONTENDERS = 6;
const ROUNDS = 100;

// One contender: on "go" it tries the lock once (no waiting: a live holder means "busy"); once it holds it, it logs
// "enter", keeps it until the test says "release", logs "exit" and lets go. The log is appended with O_APPEND.
const WORKER = `
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { acquireWriterLock } from './writer-lock.mjs';
const [dir, log] = process.argv.slice(2);
let held;
const say = (m) => process.stdout.write(m + '\\n');
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, round] = line.split(' ');
  if (cmd === 'go') {
    try {
      held = await acquireWriterLock(dir, 'contender', 0);
      appendFileSync(log, \`enter \${process.pid} \${round} \${process.hrtime.bigint()}\\n\`);
      say('got');
    } catch (e) {
      if (e.code !== 'target/locked') throw e;
      say('busy');
    }
  } else if (cmd === 'release') {
    appendFileSync(log, \`exit \${process.pid} \${round} \${process.hrtime.bigint()}\\n\`);
    held.release();
    held = undefined;
    say('released');
  }
}
`;

interface Contender {
  child: ChildProcess;
  next(): Promise<string>;
  send(line: string): void;
}

function start(script: string, dir: string, log: string): Contender {
  const child = spawn(process.execPath, [script, dir, log], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else lines.push(l);
  });
  return {
    child,
    next: () =>
      lines.length > 0 ? Promise.resolve(lines.shift()!) : new Promise<string>((r) => waiting.push(r)),
    send: (l) => child.stdin!.write(`${l}\n`),
  };
}

it(`${CONTENDERS} processes racing for a dead process's lock, ${ROUNDS} rounds: exactly one holder at every moment`, async (t) => {
  const root = scratch(t, 'writer-lock');
  await build({
    entryPoints: [join(REPO_ROOT, 'src/state/writer-lock.ts')],
    bundle: true,
    platform: 'node',
    format: 'esm',
    outfile: join(root, 'writer-lock.mjs'),
    logLevel: 'error',
  });
  writeFileSync(join(root, 'worker.mjs'), WORKER);
  const dir = join(root, 'state');
  mkdirSync(dir);
  const log = join(root, 'holders.log');
  writeFileSync(log, '');
  const dead = spawnSync(process.execPath, ['-e', '']).pid;
  expect(processAlive(dead)).toBe(false);
  const stale = JSON.stringify({
    pid: dead,
    host: hostname(),
    since: new Date().toISOString(),
    command: 'killed',
  });
  const all = Array.from({ length: CONTENDERS }, () => start(join(root, 'worker.mjs'), dir, log));
  t.onTestFinished(() => {
    for (const c of all) c.child.kill('SIGKILL');
  });
  const holdersPerRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    writeFileSync(join(dir, 'lock'), stale);
    for (const c of all) c.send(`go ${round}`);
    const answers = await Promise.all(all.map((c) => c.next()));
    const holders = all.filter((_, i) => answers[i] === 'got');
    holdersPerRound.push(holders.length);
    for (const c of holders) c.send(`release ${round}`);
    expect(await Promise.all(holders.map((c) => c.next()))).toEqual(holders.map(() => 'released'));
  }
  // The log, in the order the holders wrote it: never a second "enter" before the holder's "exit".
  let holder: string | undefined;
  const overlaps: string[] = [];
  for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
    const [what, pid, round] = line.split(' ');
    if (what === 'enter') {
      if (holder !== undefined) overlaps.push(`round ${round}: ${pid} entered while ${holder} held the lock`);
      holder = pid;
    } else {
      if (holder === pid) holder = undefined;
    }
  }
  expect(overlaps).toEqual([]);
  expect(holdersPerRound).toEqual(holdersPerRound.map(() => 1));
}, 120_000);
