// Suspension in the file store: while <state>/suspended.json exists the daemon reports drift and pending changes but
// applies nothing. A file beside the state (not a flag in git) so an operator can stop a ring at once, without a merge.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, isErrnoException } from '../errors.js';
import { writeFileAtomic } from '../fsutil/atomic-write.js';

import type { Suspension } from './types.js';

const file = (stateDir: string) => join(stateDir, 'suspended.json');

export function readSuspension(stateDir: string): Suspension | undefined {
  let text: string;
  try {
    text = readFileSync(file(stateDir), 'utf8');
  } catch (e) {
    if (isErrnoException(e) && e.code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const s = JSON.parse(text) as Suspension;
    if (typeof s.ring !== 'string' || typeof s.at !== 'string') throw new Error('bad shape');
    return s;
  } catch (cause) {
    // Unreadable means someone meant to suspend: stay suspended, and say why.
    return {
      ring: '?',
      by: '?',
      at: new Date(0).toISOString(),
      reason: `unreadable ${file(stateDir)}: ${cause}`,
    };
  }
}

export function writeSuspension(stateDir: string, s: Suspension): void {
  if (s.reason !== undefined && s.reason.length > 500)
    throw new InputError('cli/reason', '--reason is longer than 500 characters', {
      expected: 'a short reason',
    });
  mkdirSync(stateDir, { recursive: true });
  writeFileAtomic(file(stateDir), `${JSON.stringify(s, null, 2)}\n`);
}

export function clearSuspension(stateDir: string): boolean {
  const had = readSuspension(stateDir) !== undefined;
  rmSync(file(stateDir), { force: true });
  return had;
}
