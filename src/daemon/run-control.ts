// The control of one apply run: aborted when something newer is known (a newer commit, a shutdown); see Supersede.
import type { Supersede } from '../apply/engine.js';
import { lockEntry } from '../model/lock.js';
import type { LockEntry } from '../model/types.js';
import type { Desired } from './desired.js';

const sameEntry = (a: LockEntry | undefined, b: LockEntry) =>
  a !== undefined && a.version === b.version && a.sha256 === b.sha256 && a.integrity === b.integrity;

export class RunControl {
  constructor(readonly commit: string) {}
  readonly ac = new AbortController();
  readonly changed = new EventTarget();
  newer?: Desired;
  /** Shutdown deadline close: waiting health checks stop and put the old version back. */
  hurry = false;
  readonly supersede: Supersede = {
    signal: this.ac.signal,
    changed: this.changed,
    stillWanted: (m, e) =>
      !this.hurry && (this.newer === undefined || sameEntry(lockEntry(this.newer.lock, m), e)),
  };
  poke(): void {
    if (!this.ac.signal.aborted) this.ac.abort();
    this.changed.dispatchEvent(new Event('change'));
  }
}
