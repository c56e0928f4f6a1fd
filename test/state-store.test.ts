// The file state store keeps the state it last read or wrote: every read must still show what is on disk now.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStateStore } from '../src/state/file-store.js';
import type { DeployedModule, DeployedState } from '../src/state/types.js';
import { testdir } from './helpers.js';

function mod(name: string, version: string): DeployedModule {
  return {
    name,
    active: { version, sha256: `sha256:${'a'.repeat(64)}`, storeDir: `.ringlock/store/${name}/${version}` },
    status: 'active',
    since: '2026-01-01T00:00:00.000Z',
    origin: 'lock',
  };
}

function state(...mods: DeployedModule[]): DeployedState {
  return { stateVersion: 1, modules: Object.fromEntries(mods.map((m) => [m.name, m])), quarantine: [] };
}

describe('FileStateStore', () => {
  it('reads what another store (another process) wrote after it', () => {
    const dir = testdir();
    const mine = new FileStateStore(dir);
    mine.write(state(mod('a', '1.0.0')));
    expect(mine.read().modules.a?.active.version).toBe('1.0.0');
    new FileStateStore(dir).write(state(mod('a', '2.0.0'), mod('b', '1.0.0')));
    const s = mine.read();
    expect(s.modules.a?.active.version).toBe('2.0.0');
    expect(Object.keys(s.modules)).toEqual(['a', 'b']);
  });

  it('reads a state.json edited in place, and an empty state once it is deleted', () => {
    const dir = testdir();
    const store = new FileStateStore(dir);
    store.write(state(mod('a', '1.0.0')));
    store.read();
    const file = join(dir, 'state.json');
    writeFileSync(file, readFileSync(file, 'utf8').replace('"1.0.0"', '"1.0.9"'));
    expect(store.read().modules.a?.active.version).toBe('1.0.9');
    writeFileSync(file, '{"stateVersion":');
    expect(() => store.read()).toThrow(/not a ringlock state file/);
    writeFileSync(file, `${JSON.stringify(state())}\n`);
    expect(store.read().modules).toEqual({});
  });

  it('gives every read its own modules and quarantine, so changing one read never changes the next', () => {
    const store = new FileStateStore(testdir());
    store.write(state(mod('a', '1.0.0')));
    const first = store.read();
    first.modules.b = mod('b', '1.0.0');
    delete first.modules.a;
    first.quarantine.push({ module: 'a', version: '1.0.0', reason: 'x', at: '2026-01-01T00:00:00.000Z' });
    const again = store.read();
    expect(Object.keys(again.modules)).toEqual(['a']);
    expect(again.quarantine).toEqual([]);
    // Entries are shared values: editing one in place instead of replacing it is refused.
    expect(() => {
      (again.modules.a as { status: string }).status = 'failed';
    }).toThrow(TypeError);
  });

  it('reads back exactly what a fresh store parses from the file', () => {
    const dir = testdir();
    const store = new FileStateStore(dir);
    const s = state(mod('a', '1.0.0'), mod('b', '2.0.0'));
    s.ring = 'canary';
    s.lockCommit = 'c'.repeat(40);
    store.write(s);
    expect(store.read()).toEqual(new FileStateStore(dir).read());
  });
});
