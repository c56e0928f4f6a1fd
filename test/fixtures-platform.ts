// A temp platform for end-to-end apply tests: a platform repo with small modules, a file registry and a target, all
// inside one temp dir; the real CLI run as child processes (async, so an HTTP server in the test can answer health
// checks while an apply runs); and the invariants every target must hold after any apply, crashed or not.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { expect } from 'vitest';
import type { HistoryRecord } from '../src/state/file-store.js';
import type { DeployedState, JournalEntry } from '../src/state/types.js';
import { BIN, type Tree, writeTree } from './helpers.js';
import { PgTargets, type StoreKind } from './support/platform-pg.js';

export { STORES, type StoreKind } from './support/platform-pg.js';

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  pid: number;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string | undefined>;
  /** Killed (SIGKILL) after this long; the test then fails on the signal. Default 60 s. */
  timeoutMs?: number;
}

/** The environment of a CLI child: ours without any RINGLOCK_* a developer may have set, no colors, plus `extra`. */
function childEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RINGLOCK_')) env[k] = v;
  Object.assign(env, { NO_COLOR: '1', FORCE_COLOR: '0', RINGLOCK_MODULE_ENV: HOOK_ENV });
  for (const [k, v] of Object.entries(extra)) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

/** Starts the built CLI; `done` settles when it exits (never rejects on a non-zero exit or a signal). */
export function startCli(args: string[], opts: RunOptions): { child: ChildProcess; done: Promise<Run> } {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: opts.cwd,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => {
    stdout += b.toString('utf8');
  });
  child.stderr!.on('data', (b: Buffer) => {
    stderr += b.toString('utf8');
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const done = new Promise<Run>((resolvePromise, reject) => {
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
  });
  return { child, done };
}

export function runCli(args: string[], opts: RunOptions): Promise<Run> {
  return startCli(args, opts).done;
}

/** What a run printed, for failure messages. */
export function show(r: Run): string {
  return `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}

export interface ModuleSpec {
  version: string;
  dependencies?: Record<string, string>;
  /** compatibility.platform; default ^2.0.0 (the fixture platform is 2.0.0). */
  platform?: string;
  lifecycle?: Record<string, string | string[] | { ref: string; runner?: string }>;
  healthCheck?: Record<string, unknown>;
  /** Extra files; every module also gets src/index.php and the test hook script hook.sh. */
  files?: Tree;
}

/**
 * The hook every fixture module carries (`sh ./hook.sh`). Driven by env vars given to the apply, so the module's
 * content (and its hash) never depends on a test's temp paths:
 *   RL_HOOK_OUT   dir where each run writes <module>-<hook>-<toVersion>.json (stdin) and .env (RINGLOCK_* vars)
 *   RL_HOOK_FAIL  space-separated modules whose hook exits 1
 *   RL_HOOK_SLOW  space-separated modules whose hook writes its pid to <module>.hook.pid, then sleeps RL_HOOK_SLEEP
 *                 seconds (default 30); with RL_HOOK_CHILD=1 it first starts `sleep 30 &` (pid in <module>.child.pid);
 *                 with RL_HOOK_GATE=1 it ends as soon as the test writes <module>.go (a wait that no load outlasts)
 */
/** The variables above, passed to module code by the operator's RINGLOCK_MODULE_ENV (module code gets no others). */
export const HOOK_ENV = 'RL_HOOK_OUT RL_HOOK_FAIL RL_HOOK_SLOW RL_HOOK_SLEEP RL_HOOK_CHILD RL_HOOK_GATE';

export const HOOK_SCRIPT = `#!/bin/sh
ctx=$(cat)
out="\${RL_HOOK_OUT:-}"
if [ -n "$out" ]; then
  mkdir -p "$out"
  n="$out/$RINGLOCK_MODULE-$RINGLOCK_HOOK-$RINGLOCK_TO_VERSION"
  printf '%s' "$ctx" > "$n.json"
  env | grep '^RINGLOCK_' | sort > "$n.env"
fi
case " \${RL_HOOK_FAIL:-} " in *" $RINGLOCK_MODULE "*) echo "hook refuses $RINGLOCK_MODULE" >&2; exit 1;; esac
case " \${RL_HOOK_SLOW:-} " in *" $RINGLOCK_MODULE "*)
  if [ -n "\${RL_HOOK_CHILD:-}" ]; then
    # The child holds none of the hook's pipes: only a kill of the hook's whole process group stops it.
    sleep 30 </dev/null >/dev/null 2>&1 &
    echo $! > "$out/$RINGLOCK_MODULE.child.pid"
  fi
  echo $$ > "$out/$RINGLOCK_MODULE.hook.pid"
  if [ -n "\${RL_HOOK_GATE:-}" ]; then
    i=0; while [ ! -e "$out/$RINGLOCK_MODULE.go" ] && [ $i -lt "\${RL_HOOK_SLEEP:-30}0" ]; do sleep 0.1; i=$((i+1)); done
  else
    sleep "\${RL_HOOK_SLEEP:-30}"
  fi;;
esac
exit 0
`;

/** Hooks for every operation, all running hook.sh. */
export const HOOKS = { onInstall: 'sh ./hook.sh', onUpgrade: 'sh ./hook.sh', onDowngrade: 'sh ./hook.sh' };

export const RING = 'canary';

function manifestText(name: string, m: ModuleSpec): string {
  const doc: Record<string, unknown> = {
    name,
    version: m.version,
    compatibility: { platform: m.platform ?? '^2.0.0' },
  };
  if (m.dependencies) doc.dependencies = m.dependencies;
  if (m.lifecycle) doc.lifecycle = m.lifecycle;
  if (m.healthCheck) doc.healthCheck = m.healthCheck;
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** A platform repo (ring canary tracks the sources), its file registry and its target, in one temp dir. */
export class Platform {
  readonly root: string;
  readonly repo: string;
  readonly registry: string;
  readonly target: string;
  /** Scratch space outside the target (hook output, pid files). */
  readonly out: string;

  constructor(
    root: string,
    repo = join(root, 'repo'),
    /** Where the state lives: files in `<target>/.ringlock`, or a schema per target on the test server. */
    readonly store: StoreKind = 'file',
    /** The platform's schemas and restricted role (store postgres). */
    readonly pg?: PgTargets,
  ) {
    this.root = root;
    this.repo = repo;
    this.registry = join(root, 'registry');
    this.target = join(root, 'target');
    this.out = join(root, 'out');
  }

  /** The target a command works on: its `--target`/`--dir`, else the platform's. */
  private targetOf(args: string[], cwd: string): string {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      for (const flag of ['--target', '--dir']) {
        if (a === flag && args[i + 1] !== undefined) return resolve(cwd, args[i + 1]!);
        if (a.startsWith(`${flag}=`)) return resolve(cwd, a.slice(flag.length + 1));
      }
    }
    return this.target;
  }

  /** On postgres: the environment naming the target's schema and the restricted role (opts.env wins). */
  private envFor(schema: string | undefined, opts: Partial<RunOptions>): Partial<RunOptions> {
    if (!this.pg || schema === undefined) return opts;
    return { ...opts, env: { ...this.pg.env(schema), ...opts.env } };
  }

  async cli(args: string[], opts: Partial<RunOptions> = {}): Promise<Run> {
    const cwd = opts.cwd ?? this.repo;
    const schema = this.pg ? await this.pg.schemaFor(this.targetOf(args, cwd)) : undefined;
    return runCli(args, { cwd, ...this.envFor(schema, opts) });
  }

  /** Starts the CLI without waiting (a target on postgres must have its schema: the platform's own has). */
  start(args: string[], opts: Partial<RunOptions> = {}): { child: ChildProcess; done: Promise<Run> } {
    const cwd = opts.cwd ?? this.repo;
    const target = this.targetOf(args, cwd);
    const schema = this.pg?.known(target);
    if (this.pg && !schema) throw new Error(`no schema for ${target} yet: run a command on it first`);
    return startCli(args, { cwd, ...this.envFor(schema, opts) });
  }

  /** Runs and expects exit 0. */
  async ok(args: string[], opts: Partial<RunOptions> = {}): Promise<Run> {
    const r = await this.cli(args, opts);
    if (r.code !== 0) throw new Error(`ringlock ${args.join(' ')}: ${show(r)}`);
    return r;
  }

  /** `ringlock apply --ring canary --yes …`. */
  apply(args: string[] = [], opts: Partial<RunOptions> = {}): Promise<Run> {
    return this.cli(['apply', '--ring', RING, '--yes', ...args], opts);
  }

  writeModule(name: string, m: ModuleSpec): void {
    const dir = join(this.repo, 'modules', name);
    rmSync(dir, { recursive: true, force: true });
    writeTree(dir, {
      'module.json': manifestText(name, m),
      'src/index.php': `<?php // ${name} ${m.version}\n`,
      'hook.sh': HOOK_SCRIPT,
      ...m.files,
    });
  }

  /**
   * Another workspace of the same platform (sibling of the repo, so registry and target resolve the same) holding only
   * the config and `lock` as the canary lock: lets tests apply different locks at the same time.
   */
  workspace(name: string, lock: string): Platform {
    const ws = new Platform(this.root, join(this.root, name), this.store, this.pg);
    writeTree(ws.repo, {
      'ringlock.yaml': readFileSync(join(this.repo, 'ringlock.yaml')),
      VERSION: readFileSync(join(this.repo, 'VERSION')),
      [`rings/${RING}.lock.json`]: lock,
    });
    return ws;
  }

  removeModule(name: string): void {
    rmSync(join(this.repo, 'modules', name), { recursive: true, force: true });
  }

  /** `ringlock lock`, then publish the named modules (default: every pin whose source is at the pinned version). */
  async release(names?: string[]): Promise<void> {
    await this.ok(['lock']);
    await this.ok(['publish', '--ring', RING, ...(names && names.length > 0 ? names : ['--all'])]);
  }

  get lockPath(): string {
    return join(this.repo, 'rings', `${RING}.lock.json`);
  }

  readLock(): string {
    return readFileSync(this.lockPath, 'utf8');
  }

  writeLock(text: string): void {
    writeFileSync(this.lockPath, text);
  }

  stateDir(target = this.target): string {
    return join(target, '.ringlock');
  }

  /** state.json, parsed strictly (a torn or invalid file fails the test); on postgres, read through the store. */
  state(target = this.target): DeployedState {
    if (this.pg) return this.pg.store(target)?.read() ?? { stateVersion: 1, modules: {}, quarantine: [] };
    const file = join(this.stateDir(target), 'state.json');
    if (!existsSync(file)) return { stateVersion: 1, modules: {}, quarantine: [] };
    return JSON.parse(readFileSync(file, 'utf8')) as DeployedState;
  }

  /** history.jsonl; strict: every line must parse. Lenient: torn lines are dropped. */
  history(target = this.target, strict = true): HistoryRecord[] {
    // A table has no torn lines: strict or not, every row is a record.
    if (this.pg) return this.pg.store(target)?.history() ?? [];
    const file = join(this.stateDir(target), 'history.jsonl');
    if (!existsSync(file)) return [];
    const out: HistoryRecord[] = [];
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line === '') continue;
      try {
        out.push(JSON.parse(line) as HistoryRecord);
      } catch (e) {
        if (strict) throw new Error(`history.jsonl has a line that is not JSON: ${line}`, { cause: e });
      }
    }
    return out;
  }

  /** The journal of an operation in flight (journal.json, or the ring's journal row), if any. */
  journal(target = this.target): JournalEntry | undefined {
    if (this.pg) return this.pg.store(target)?.readJournal();
    const file = join(this.stateDir(target), 'journal.json');
    return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as JournalEntry) : undefined;
  }

  /** Whether a writer holds the target: the lock file, or the ring's lease row has a holder. */
  async writerHeld(target = this.target): Promise<boolean> {
    if (this.pg) return Boolean((await this.pg.lease(target))?.holder);
    return existsSync(join(this.stateDir(target), 'lock'));
  }

  /** Where `<target>/<module>` links, relative to the target (undefined: no link). */
  link(module: string, target = this.target): string | undefined {
    const p = join(target, module);
    try {
      if (!lstatSync(p).isSymbolicLink()) return undefined;
    } catch {
      return undefined;
    }
    return relative(target, resolve(dirname(p), readlinkSync(p)));
  }

  /** Deletes the registry and the download cache: whatever runs next can only use the store. */
  dropRegistry(target = this.target): void {
    rmSync(this.registry, { recursive: true, force: true });
    rmSync(join(this.stateDir(target), 'cache'), { recursive: true, force: true });
  }

  /** A copy of `from` (links stay relative, so the copy is a target of its own), with its state on postgres. */
  async copyTarget(from: string, to: string): Promise<void> {
    cpSync(from, to, { recursive: true, verbatimSymlinks: true });
    await this.pg?.copy(from, to);
  }
}

export interface BuildOptions {
  /** Extra ringlock.yaml lines under `target:` (e.g. `  keepVersions: 3`). */
  targetConfig?: string;
  /** Skip lock + publish. */
  unreleased?: boolean;
  /** Where the state lives (default file). postgres: a schema on the shared test server, a restricted role. */
  store?: StoreKind;
}

/** Builds the platform in `root` (a fresh temp dir: the caller owns its cleanup) and releases every module. */
export async function buildPlatform(
  root: string,
  modules: Record<string, ModuleSpec>,
  opts: BuildOptions = {},
): Promise<Platform> {
  const pg = opts.store === 'postgres' ? await PgTargets.create() : undefined;
  const p = new Platform(root, undefined, opts.store ?? 'file', pg);
  await pg?.schemaFor(p.target);
  mkdirSync(p.out, { recursive: true });
  writeTree(p.repo, {
    'ringlock.yaml': `apiVersion: ringlock/v1
platform:
  versionFile: VERSION
modules:
  dir: modules
registry:
  type: file
  path: ../registry
target:
  path: ../target
${opts.targetConfig ?? ''}
rings:
  - name: canary
    allowPrerelease: true
  - name: stable
    promoteFrom: canary
`,
    VERSION: '2.0.0\n',
  });
  for (const [name, m] of Object.entries(modules)) p.writeModule(name, m);
  if (!opts.unreleased) await p.release();
  return p;
}

/**
 * A temp dir removed when the test finishes. Safe in concurrent tests, unlike helpers.testdir (whose afterEach removes
 * every dir created so far, including those of tests still running).
 */
export function scratch(t: { onTestFinished(fn: () => void): void }, label = 'apply'): string {
  const { root, dispose } = tempRoot(label);
  t.onTestFinished(dispose);
  return root;
}

/** A temp dir the caller removes (for fixtures shared by several tests, which helpers.testdir would remove too early). */
export function tempRoot(label: string): { root: string; dispose(): void } {
  const root = mkdtempSync(join(tmpdir(), `ringlock-${label}-`));
  return { root, dispose: () => rmSync(root, { recursive: true, force: true }) };
}

/** `count` modules m01…mNN, each with `files` small files; every third depends on the one before it. */
export function manyModules(count: number, version: string, files = 3): Record<string, ModuleSpec> {
  const out: Record<string, ModuleSpec> = {};
  for (let i = 1; i <= count; i++) {
    const name = `m${String(i).padStart(2, '0')}`;
    const tree: Tree = {};
    for (let f = 0; f < files; f++)
      tree[`lib/f${f}.txt`] = `${name} ${version} file ${f}\n${'x'.repeat(512 + ((i * 31 + f) % 700))}\n`;
    out[name] = {
      version,
      ...(i % 3 === 0 ? { dependencies: { [`m${String(i - 1).padStart(2, '0')}`]: '>=1.0.0' } } : {}),
      files: tree,
    };
  }
  return out;
}

/** A process that is running and not a zombie (a container's pid 1 may never reap orphans). */
export function processAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** A health endpoint on 127.0.0.1: 200 for every path, 500 for `failing`, no answer at all for `hanging`. */
export interface HealthServer {
  url: string;
  failing: Set<string>;
  hanging: Set<string>;
  requests: Map<string, number>;
  count(path: string): number;
  close(): Promise<void>;
}

export async function startHealthServer(): Promise<HealthServer> {
  const failing = new Set<string>();
  const hanging = new Set<string>();
  const requests = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.set(path, (requests.get(path) ?? 0) + 1);
    if (hanging.has(path)) return;
    res.statusCode = failing.has(path) ? 500 : 200;
    res.end(failing.has(path) ? 'unhealthy\n' : 'ok\n');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    failing,
    hanging,
    requests,
    count: (path) => requests.get(path) ?? 0,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** The health path of a module version, as fixture modules declare it. */
export const healthPath = (module: string, version: string) => `/health/${module}/${version}`;

export interface ConsistencyOptions {
  /** Torn history lines are tolerated (kill -9 from outside can tear an append). */
  lenientHistory?: boolean;
  /** Run `ringlock verify --dir` and expect these modules to be reported ok. Default: every module in the state. */
  verified?: string[];
  /**
   * Hash every active store dir with `ringlock hash` (default). When false, a module that verify reported ok and whose
   * recorded sha256 is the one the lock pins is not hashed a second time (verify just did): for large targets.
   */
  hashAll?: boolean;
}

/** writeFileAtomic's temp file. */
export const TEMP_FILE = /^\.[^/]+\.[0-9]+\.[0-9a-f]{12}\.tmp$/;

/** The temp link FilesystemTarget.activate creates beside `<module>` before renaming it over the link. */
export const TEMP_LINK = /^\.[^/]+\.rl-[0-9a-f]{12}$/;

/**
 * The invariants of a target at rest: the state (state.json, or the target's schema) is valid; every module in it has its link pointing at its recorded
 * store dir, which exists and hashes (`ringlock hash`) to the recorded sha256; no module link exists that the state does
 * not record; no staging, trash, journal or temp link is left; history parses and ids are unique; `ringlock verify
 * --dir` reports the modules ok.
 */
export async function expectConsistent(
  p: Platform,
  target = p.target,
  opts: ConsistencyOptions = {},
): Promise<DeployedState> {
  const stateDir = p.stateDir(target);
  const state = p.state(target);
  expect(state.stateVersion).toBe(1);
  const modules = Object.values(state.modules);
  for (const m of modules) {
    expect(p.link(m.name, target), `${m.name}: link`).toBe(m.active.storeDir);
    expect(
      existsSync(join(target, m.active.storeDir, 'module.json')),
      `${m.name}: ${m.active.storeDir} is complete`,
    ).toBe(true);
  }
  const entries = readdirSync(target).filter((n) => n !== '.ringlock');
  const stray = entries.filter((n) => !Object.hasOwn(state.modules, n));
  expect(stray, 'entries in the target the state does not record (links or temp links)').toEqual([]);
  // On postgres the state, history and journal are tables: `.ringlock` keeps the store, the cache and what is
  // published for the platform (active.json) only.
  const known = new Set(
    p.pg
      ? ['store', 'cache', 'active.json']
      : ['state.json', 'history.jsonl', 'store', 'cache', 'active.json'],
  );
  const leftovers = existsSync(stateDir) ? readdirSync(stateDir).filter((n) => !known.has(n)) : [];
  expect(leftovers, 'leftovers in .ringlock (staging, trash, journal, lock, temp files)').toEqual([]);
  if (p.pg) expect(await p.pg.journalRows(target), 'the ring has no journal row left').toBe(0);
  const history = p.history(target, !opts.lenientHistory);
  const ids = history.map((h) => h.id);
  expect(new Set(ids).size, 'history ids are unique').toBe(ids.length);

  const verified = opts.verified ?? Object.keys(state.modules);
  const ok = new Set<string>();
  if (verified.length > 0) {
    const v = await p.cli(['verify', '--ring', RING, '--dir', target, '--json']);
    const findings = (JSON.parse(v.stdout) as { findings: { module: string; status: string }[] }).findings;
    for (const m of verified) {
      expect(findings.find((f) => f.module === m)?.status, `verify --dir: ${m}\n${v.stdout}`).toBe('ok');
      ok.add(m);
    }
  }
  const pinned = (JSON.parse(p.readLock()) as { modules: Record<string, { sha256: string }> }).modules;
  const toHash = modules.filter(
    (m) => opts.hashAll !== false || !ok.has(m.name) || pinned[m.name]?.sha256 !== m.active.sha256,
  );
  const hashes = await Promise.all(
    toHash.map(async (m) => {
      const r = await runCli(['hash', join(target, m.active.storeDir), '--json'], { cwd: target });
      expect(r.code, show(r)).toBe(0);
      return {
        module: m.name,
        want: m.active.sha256,
        got: (JSON.parse(r.stdout) as { sha256: string }).sha256,
      };
    }),
  );
  for (const h of hashes) expect(h.got, `${h.module}: content hash of the active store dir`).toBe(h.want);
  return state;
}
