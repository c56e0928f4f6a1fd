// `ringlock verify --target`: what the target holds checked against the ring's lock — every pinned module deployed at
// the pinned version and hash, and its stored tree (a folder target's store, a pointer target's bundles in the storage
// and the pointer in Redis) still what was recorded: the full drift check, read-only.
import { lockEntry } from '../model/lock.js';
import type { RingLock } from '../model/types.js';
import type { Runtime } from '../runtime/types.js';
import type { Finding } from '../verify/verify.js';

export async function verifyTarget(rt: Runtime, lock: RingLock): Promise<Finding[]> {
  const state = rt.store.read();
  const drift = await rt.target.observeDrift(state, false);
  const findings: Finding[] = [];
  for (const name of Object.keys(lock.modules).sort()) {
    const e = lockEntry(lock, name)!;
    const m = state.modules[name];
    const base = { module: name, locked: e.version };
    if (!m) {
      findings.push({
        ...base,
        status: 'failed',
        rule: 'verify/missing',
        message: 'not deployed on the target',
      });
      continue;
    }
    const actual = m.active.version;
    if (m.active.version !== e.version || m.active.sha256 !== e.sha256)
      findings.push({
        ...base,
        actual,
        status: 'failed',
        rule: 'verify/version',
        message: `deployed ${actual} (${m.active.sha256.slice(0, 19)}…), the lock pins ${e.version} (${e.sha256.slice(0, 19)}…)`,
      });
    else if (drift.has(name))
      findings.push({ ...base, actual, status: 'failed', rule: 'verify/drift', message: drift.get(name)! });
    else if (e.enabled !== false && m.status === 'disabled')
      findings.push({
        ...base,
        actual,
        status: 'failed',
        rule: 'verify/disabled',
        message: 'disabled on the target',
      });
    else
      findings.push({
        ...base,
        actual,
        status: 'ok',
        rule: 'verify/content',
        message: `stored at ${m.active.storeDir}`,
      });
  }
  for (const name of Object.keys(state.modules).sort())
    if (!lock.modules[name])
      findings.push({
        module: name,
        actual: state.modules[name]!.active.version,
        status: 'failed',
        rule: 'verify/unpinned',
        message: 'deployed, but the lock does not name it',
      });
  return findings;
}
