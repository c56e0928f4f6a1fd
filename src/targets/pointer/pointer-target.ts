// The micro-frontend target (ringlock.yaml `target.type: pointer`): each module version is a bundle uploaded to
// immutable storage at `{name}/{version}-{hash8}` (storage.ts; the `dir` driver a CDN origin directory), and what is
// active is a pointer in Valkey/Redis — per ring a document, per tenant `modules:active:{tenant}` → name → versioned
// entry URL — switched by one version-checked script (switch.ts). A local directory (the target path) keeps the
// state, the staging area and a verified copy of every uploaded bundle, so hooks, health and drift read files as on a
// folder target. Rollback is a pointer switch back: the old bundle is still there.
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { InputError, OperationFailed } from '../../errors.js';
import { fsyncDir } from '../../fsutil/atomic-write.js';
import { moveSync } from '../../fsutil/move.js';
import { kindOf, ownScratchDir, removeScratchDir } from '../../fsutil/safe-dirs.js';
import type { KeyLayout } from '../../redis/keys.js';
import { type PointerModule, type RingPointer, tenantValue } from '../../redis/pointer.js';
import type { DeployedModule, DeployedState } from '../../state/types.js';
import type { DeployTarget, DesiredContext, PathOwnership, PruneResult } from '../types.js';
import { pointerDrift } from './drift.js';
import { entryIn, healthUrlIn } from './entry.js';
import type { BundleStorage } from './storage.js';
import {
  isAhead,
  namedByRings,
  type PointerStore,
  readPointer,
  switchModule,
  writePointer,
} from './switch.js';

const rand = () => randomBytes(6).toString('hex');
const DIR = /^(.+)-([0-9a-f]{8})(?:\.[0-9a-f]+)?$/;

export interface PointerTargetOptions {
  /** The local directory: state, staging, the verified copies. */
  root: string;
  storage: BundleStorage;
  /** The URL the storage is served under (no trailing slash needed). */
  publicUrl: string;
  pointer: PointerStore;
}

export class PointerTarget implements DeployTarget {
  readonly root: string;
  readonly stateDir: string;
  readonly storage: BundleStorage;
  readonly publicUrl: string;
  private readonly pointer: PointerStore;
  /** The generation and document this writer last read or wrote (what its next switch expects). */
  private seen: { generation: number; doc: RingPointer | undefined } | undefined;
  /** The ring's tenants the current pass deploys, when the pass said (observeDrift). */
  private desiredTenants: string[] | undefined;
  /** Every tenant → ring, and the lock's order, when the pass read them at its commit (observeDrift). */
  private desiredMap: Readonly<Record<string, string>> | undefined;
  private desiredOrder: { at: number; commit: string } | undefined;
  /** What ringlock deployed (the state at the drift check, then each switch): the only source of the module set. */
  private deployed: Record<string, PointerModule> | undefined;
  /** Bundles the last drift check found altered in the storage: never reused, a repair uploads a fresh copy. */
  readonly damaged = new Set<string>();

  constructor(o: PointerTargetOptions) {
    this.root = resolve(o.root);
    this.stateDir = join(this.root, '.ringlock');
    this.storage = o.storage;
    this.publicUrl = o.publicUrl.replace(/\/+$/, '');
    // What the pass read at its commit (the daemon: no checkout) wins over what the workspace says.
    const base = o.pointer;
    this.pointer = Object.assign(Object.create(base) as PointerStore, {
      assigned: () => (this.desiredMap ? Object.keys(this.desiredMap).sort() : base.assigned()),
      lockOrder: () => this.desiredOrder ?? base.lockOrder(),
    });
  }

  get ring(): string {
    return this.pointer.ring;
  }

  /** The ring's tenants: the pass's, else rings/tenants.yaml's. */
  tenants(): string[] {
    return this.desiredTenants ?? this.pointer.tenants();
  }

  get keys(): KeyLayout {
    return this.pointer.keys;
  }

  /** The verified local copy of a bundle: `<root>/.ringlock/store/{name}/{version}-{hash8}`. */
  abs(rel: string): string {
    const base = join(this.stateDir, 'store');
    const p = resolve(base, rel);
    if (p !== base && !p.startsWith(base + sep))
      throw new InputError('target/path', `${rel}: outside the target`, {
        expected: 'a path inside the target',
      });
    return p;
  }

  storeDirFor(module: string, version: string, sha256: string): string {
    const hex = sha256.startsWith('sha256:') ? sha256.slice(7) : sha256;
    return `${module}/${version}-${hex.slice(0, 8)}`;
  }

  /** Local copies of `rel` and its repair copies that are also in the storage and not found altered there. */
  storeCandidates(rel: string): string[] {
    const dir = dirname(this.abs(rel));
    const base = rel.split('/').pop()!;
    const prefix = rel.slice(0, rel.length - base.length);
    let names: string[] = [];
    try {
      names = readdirSync(dir).filter((n) => kindOf(join(dir, n)) === 'dir');
    } catch {
      return [];
    }
    const out = names.includes(base) ? [rel] : [];
    for (const n of names.sort()) if (n.startsWith(`${base}.`)) out.push(`${prefix}${n}`);
    return out.filter((c) => !this.damaged.has(c) && this.storage.has(c));
  }

  exists(rel: string): boolean {
    return kindOf(this.abs(rel)) !== 'absent';
  }

  /**
   * Whether `rel` is taken: a local copy (that did not verify, when asked by a preparation), or a bundle the drift check
   * found altered in the storage. A bundle that is only in the storage (uploaded by another ring or pod) is not: the
   * upload into it accepts its identical files, so rings and pods share one copy.
   */
  hasStore(rel: string): boolean {
    return this.exists(rel) || this.damaged.has(rel);
  }

  newStagingDir(label: string): string {
    return join(
      ownScratchDir(this.stateDir, 'staging'),
      `${label.replace(/[^a-zA-Z0-9._-]/g, '_')}-${rand()}`,
    );
  }

  /** Uploads the verified tree (never overwriting), then keeps it as the local copy. */
  commitToStore(staged: string, rel: string): void {
    this.assertEntry(staged, rel);
    this.storage.put(rel, staged);
    const dest = this.abs(rel);
    mkdirSync(dirname(dest), { recursive: true });
    if (kindOf(dest) !== 'absent') this.trash(dest);
    moveSync(staged, dest);
    fsyncDir(dirname(dest));
  }

  discardStore(rel: string): void {
    this.storage.remove(rel);
    if (this.exists(rel)) this.trash(this.abs(rel));
  }

  observeDrift(state: DeployedState, quick: boolean, desired?: DesiredContext): Promise<Map<string, string>> {
    // The pass's tenants, tenant map and lock order (the daemon reads them at its commit) win over the workspace's
    // for this target's life.
    if (desired?.tenants) this.desiredTenants = [...desired.tenants].sort();
    if (desired?.tenantMap) this.desiredMap = desired.tenantMap;
    if (desired?.lockOrder) this.desiredOrder = desired.lockOrder;
    const tenants = this.tenants();
    const obs = readPointer(this.pointer, tenants);
    this.seen = { generation: obs.generation, doc: obs.doc };
    this.deployed = {};
    for (const m of Object.values(state.modules))
      if (m.status !== 'disabled') this.deployed[m.name] = this.pointerEntry(m.active.storeDir);
    // The pointer was switched from a newer lock than this writer's: another writer is ahead, which is not drift (a
    // repair would move the pointer backwards; the switch script refuses that anyway).
    if (!this.pointer.override() && isAhead(obs.doc, this.pointer.lockOrder()))
      return Promise.resolve(new Map());
    return pointerDrift(this, state, quick, obs, tenants);
  }

  /** Nothing but ringlock writes the pointer of a module it records; an unrecorded module is free to install. */
  inspect(_module: string, recorded: boolean): PathOwnership {
    return recorded ? { kind: 'managed' } : { kind: 'absent' };
  }

  adoptedPathFor(module: string, at: Date): string {
    return `adopted/${module}-${at.getTime()}`;
  }

  adopt(module: string): void {
    throw new OperationFailed(
      'target/adopt',
      `cannot adopt ${module}: a pointer target has no path to adopt`,
    );
  }

  /** What the ring's pointer names for a bundle: its version and versioned entry URL. */
  pointerEntry(rel: string): PointerModule {
    const m = DIR.exec(rel.split('/').pop() ?? '');
    return { version: m?.[1] ?? '', dir: rel, entry: `${this.publicUrl}/${rel}/${this.entryFile(rel)}` };
  }

  /** The entry URL of a deployed module (the publishers' and the read API's). */
  entryFor(_module: string, rec: DeployedModule): string | undefined {
    return this.pointerEntry(rec.active.storeDir).entry;
  }

  /** The manifest's `entry` file name (its last path segment), default remoteEntry.js. */
  private entryFile(rel: string): string {
    return entryIn(this.abs(rel)).name;
  }

  /**
   * Refuses a bundle whose entry file (what the pointer's URL will name) is not in it, or whose manifest names an
   * absolute health URL: on this target health goes through the platform, at the operator's base URL only.
   */
  private assertEntry(dir: string, rel: string): void {
    const hu = healthUrlIn(dir);
    if (hu !== undefined)
      throw new OperationFailed(
        'pointer/health-url',
        `${rel}: the manifest's healthCheck.http.url ${JSON.stringify(hu.slice(0, 200))} is refused on a pointer target: health is probed through the platform`,
        { expected: "healthCheck.http.path, probed at the operator config's pointer.healthBaseUrl" },
      );
    const e = entryIn(dir);
    if (kindOf(join(dir, e.name)) === 'file') return;
    throw new OperationFailed(
      'pointer/entry',
      `${rel}: the entry URL would name ${e.name}, which is not a file in the bundle (${e.from === undefined ? 'the default entry; the manifest names none' : `the manifest's entry ${JSON.stringify(e.from.slice(0, 200))}`})`,
      {
        expected: "the manifest's entry naming a file of the module's published tree (its last path segment)",
      },
    );
  }

  /** The pointer switch: the module at `rel` (or removed) in the ring's pointer and every tenant key, atomically. */
  activate(module: string, rel: string | undefined): void {
    if (rel !== undefined && !this.storage.has(rel))
      throw new OperationFailed('target/store', `${rel}: not in the bundle storage (${this.storage.name})`);
    if (rel !== undefined && this.exists(rel)) this.assertEntry(this.abs(rel), rel);
    this.seen ??= readPointer(this.pointer, []);
    const mod = rel === undefined ? undefined : this.pointerEntry(rel);
    try {
      this.seen = switchModule(
        this.pointer,
        this.seen.generation,
        this.seen.doc,
        this.tenants(),
        module,
        mod,
        this.moduleSet(this.seen.doc),
      );
      if (this.deployed) {
        if (mod) this.deployed[module] = mod;
        else delete this.deployed[module];
      }
    } catch (e) {
      // Stale or unknown: the next switch reads the pointer afresh.
      this.seen = undefined;
      throw e;
    }
  }

  /**
   * The ring's tenant set changed (rings/tenants.yaml): every tenant key is rewritten for the modules the pointer
   * names, in one switch, and the keys of tenants that left are deleted — no module is reinstalled for it.
   */
  syncTenants(tenants: readonly string[]): void {
    const want = [...tenants].sort();
    this.desiredTenants = want;
    const seen = readPointer(this.pointer, want);
    const modules = this.moduleSet(seen.doc);
    const value = tenantValue(modules);
    const same =
      seen.doc !== undefined &&
      JSON.stringify(seen.doc.tenants) === JSON.stringify(want) &&
      [...seen.tenantValues.values()].every((v) => v === value);
    if (same) {
      this.seen = seen;
      return;
    }
    try {
      this.seen = writePointer(this.pointer, seen.generation, seen.doc, want, modules);
    } catch (e) {
      this.seen = undefined;
      throw e;
    }
  }

  /**
   * The modules the ring's pointer should name besides the one being switched: what ringlock deployed (the state), or
   * — before any drift check, in recovery — the document's entries that name a bundle of their own module of which
   * this target keeps a verified copy, their URL recomputed. An entry added out of band is never copied on.
   */
  private moduleSet(doc: RingPointer | undefined): Record<string, PointerModule> {
    if (this.deployed) return { ...this.deployed };
    const out: Record<string, PointerModule> = {};
    for (const [name, m] of Object.entries(doc?.modules ?? {})) {
      const dir = typeof m?.dir === 'string' ? m.dir : '';
      if (!dir.startsWith(`${name}/`) || !DIR.test(dir.slice(name.length + 1))) continue;
      try {
        if (this.exists(dir)) out[name] = this.pointerEntry(dir);
      } catch {
        // a dir outside the store: not ringlock's
      }
    }
    return out;
  }

  /** The ring's pointer document as last read or written (for `verify --target` and tests). */
  observed(): RingPointer | undefined {
    return this.seen?.doc;
  }

  trash(p: string): void {
    const dir = ownScratchDir(this.stateDir, 'trash', 0o755);
    moveSync(p, join(dir, `${p.split(sep).pop()}-${rand()}`), { discard: true });
  }

  emptyTrash(): string[] {
    const warnings: string[] = [];
    for (const d of ['trash', 'staging']) {
      try {
        removeScratchDir(join(this.stateDir, d));
      } catch (e) {
        warnings.push(`could not delete ${d} (${(e as Error).message}); tried again next time`);
      }
    }
    return warnings;
  }

  /** Bundles of a module, newest first: the storage's and the local copies'. */
  private bundles(module: string): string[] {
    const byDir = new Map<string, number>();
    for (const b of this.storage.list(module)) byDir.set(b.dir, b.mtimeMs);
    try {
      for (const n of readdirSync(this.abs(module)))
        if (!byDir.has(n) && DIR.test(n)) byDir.set(n, lstatSync(join(this.abs(module), n)).mtimeMs);
    } catch {
      // no local copies
    }
    return [...byDir.entries()]
      .filter(([d]) => DIR.test(d))
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? 1 : -1))
      .map(([d]) => `${module}/${d}`);
  }

  /** The bundles of `module` some ring's pointer names (the storage is shared by every ring of ringlock.yaml). */
  private inUse(module: string): Set<string> {
    return namedByRings(this.pointer, this.pointer.rings()).get(module) ?? new Set();
  }

  prune(module: string, keep: number, protect: readonly (string | undefined)[]): PruneResult {
    const removed: string[] = [];
    const warnings: string[] = [];
    const all = this.bundles(module);
    // Another ring may still serve an older bundle: it is kept whatever its age (read before anything is removed).
    const named = this.inUse(module);
    let kept = 0;
    for (const rel of all) {
      if (named.has(rel) || protect.includes(rel) || kept < keep) {
        kept++;
        continue;
      }
      try {
        this.discardStore(rel);
        removed.push(rel);
      } catch (e) {
        warnings.push(`could not remove bundle ${rel} (${(e as Error).message}); tried again next time`);
      }
    }
    return { removed, warnings };
  }

  storeModules(): string[] {
    const local: string[] = [];
    const base = join(this.stateDir, 'store');
    try {
      for (const n of readdirSync(base)) {
        if (n.startsWith('@')) for (const m of readdirSync(join(base, n))) local.push(`${n}/${m}`);
        else local.push(n);
      }
    } catch {
      // none
    }
    return [...new Set([...this.storage.modules(), ...local])].sort();
  }

  dropModuleStore(module: string): boolean {
    const dir = this.abs(module);
    // Another ring still deploys the module: its bundles stay in the shared storage; only this ring's local copies go.
    if (this.inUse(module).size > 0) {
      if (existsSync(dir)) this.trash(dir);
      return false;
    }
    const all = this.bundles(module);
    for (const rel of all) this.discardStore(rel);
    if (this.storage.list(module).length === 0) this.storage.remove(module);
    if (existsSync(dir)) this.trash(dir);
    return all.length > 0;
  }

  close(): void {
    this.pointer.bridge.close();
  }
}
