// ringlock promote: carry pins from one ring's lock to the next as a reviewed pull request, by hand (one module,
// several, --all) or on a schedule (--auto: every pin that has soaked long enough, outside freeze windows).
import { CheckFailed, InputError, RinglockError } from '../errors.js';
import { changelogBetween } from '../model/changelog.js';
import { type ActiveFreeze, activeFreezes } from '../model/freeze.js';
import { dependencyOrder } from '../model/graph.js';
import { MANIFEST_FILES } from '../model/manifest.js';
import { parseJsonLoose } from '../model/source.js';
import type { LockEntry, ModuleManifest, RingPolicy } from '../model/types.js';
import type { Finding } from '../rules/promotion.js';
import { type ModuleFacts, promotionBody, promotionMessage, promotionTitle } from './body.js';
import { editLockChecked } from './lock-edit.js';
import {
  differingModules,
  nextRing,
  type PinChange,
  type PromotionPlan,
  type PromotionRequest,
  planPromotion,
} from './plan.js';
import type { Outcome, Session } from './session.js';

export interface PromoteInput {
  from: string;
  to?: string;
  requests: PromotionRequest[];
  all?: boolean;
  force?: boolean;
  withDeps?: boolean;
  ignoreFreeze?: boolean;
  /** A scheduled run: leaves a pull request a reviewer closed without merging alone. */
  auto?: boolean;
  now: number;
}

export type PromoteResult =
  | { status: 'already-promoted'; from: string; to: string; modules: string[] }
  | { status: 'refused'; from: string; to: string; errors: Finding[]; plan?: PromotionPlan }
  | { status: 'frozen'; from: string; to: string; freezes: ActiveFreeze[] }
  | ({
      from: string;
      to: string;
      changes: PinChange[];
      overridden: Finding[];
      title: string;
      body: string;
    } & Outcome);

/** `@acme/analytics` → `acme/analytics`: a ref may not hold `@{`, and scoped names cannot collide with plain ones. */
export const slug = (module: string) => module.replace(/^@/, '');

export function branchName(to: string, changes: readonly PinChange[], all: boolean): string {
  if (all) return `ringlock/promote/${to}/all`;
  const main = changes.find((c) => !c.forDependency) ?? changes[0]!;
  return `ringlock/promote/${to}/${slug(main.module)}-${main.after.version}`;
}

/** Plans, checks and publishes one promotion. Refusals come back as results; the caller decides the exit code. */
export async function promote(s: Session, input: PromoteInput): Promise<PromoteResult> {
  const from = s.ring(input.from, '--from');
  const to = input.to !== undefined ? s.ring(input.to, '--to') : nextRing(s.config.rings, from);
  if (!to)
    throw new InputError('promote/no-next-ring', `no ring is promoted from ${from.name}`, {
      expected: `--to naming the ring, or promoteFrom: ${from.name} on a ring in ringlock.yaml`,
    });
  const freezes = activeFreezes(s.config.config.promotion?.freeze ?? [], to.name, input.now);
  if (freezes.length > 0 && !input.ignoreFreeze)
    return { status: 'frozen', from: from.name, to: to.name, freezes };
  const [source, target] = await Promise.all([s.lock(from.name), s.lock(to.name)]);
  if (!source.exists)
    throw new InputError('lock/not-found', `ring ${from.name} has no lock on ${s.base}`, {
      file: source.file,
    });
  const requests = input.all
    ? differingModules(source.lock, target.lock).map((module) => ({ module }))
    : input.requests;
  if (requests.length === 0) return { status: 'already-promoted', from: from.name, to: to.name, modules: [] };
  // Pin ages for everything the plan might carry: the asked-for modules, and with --with-deps what else differs.
  const candidates = new Set(requests.map((r) => r.module));
  if (input.withDeps) for (const m of differingModules(source.lock, target.lock)) candidates.add(m);
  const pins = new Map<string, LockEntry>();
  for (const m of candidates) if (source.lock.modules[m]) pins.set(m, source.lock.modules[m]!);
  // Exact (no early stop): the pull request names the commit each pin arrived with, the same on every rerun.
  const appearances = await s.appearances(from.name, pins);
  const plan = planPromotion({
    from,
    to,
    sourceLock: source.lock,
    targetLock: target.lock,
    requests,
    appearances,
    now: input.now,
    ...(input.force ? { force: true } : {}),
    ...(input.withDeps ? { withDeps: true } : {}),
  });
  if (plan.errors.length > 0)
    return { status: 'refused', from: from.name, to: to.name, errors: plan.errors, plan };
  if (plan.changes.length === 0)
    return { status: 'already-promoted', from: from.name, to: to.name, modules: plan.alreadyPromoted };

  const facts = await moduleFacts(s, plan.changes);
  const order = dependencyOrder(
    new Map(Object.entries(plan.result.modules).map(([n, e]) => [n, Object.keys(e.dependencies ?? {})])),
  );
  const title = promotionTitle(to.name, plan.changes);
  let body = promotionBody({
    from: from.name,
    to: to.name,
    platform: target.lock.platform,
    changes: plan.changes,
    overridden: plan.overridden,
    facts,
    order,
    ...(to.minSoak ? { minSoak: to.minSoak } : {}),
  });
  if (freezes.length > 0)
    body = `> **⚠️ Opened during a freeze with \`--ignore-freeze\`:** ${freezes.map((f) => f.reason).join('; ')}\n\n${body}`;
  const text = editLockChecked(
    target.file,
    to.name,
    target.text,
    new Map(plan.changes.map((c) => [c.module, ownEnabled(c.after, c.before)])),
    plan.result.modules,
  );
  const main = plan.changes.find((c) => !c.forDependency) ?? plan.changes[0]!;
  const outcome = await s.publish({
    branch: branchName(to.name, plan.changes, input.all === true),
    respectDeclined: input.auto === true,
    ...(input.all ? {} : { supersedes: `ringlock/promote/${to.name}/${slug(main.module)}-` }),
    files: new Map([[target.file, text]]),
    message: promotionMessage(from.name, to.name, plan.changes, plan.overridden.length > 0),
    title,
    body,
    labels: ['ringlock:promotion', `ring:${to.name}`, ...(s.config.config.promotion?.labels ?? [])],
    reviewers: to.reviewers,
  });
  return {
    from: from.name,
    to: to.name,
    changes: plan.changes,
    overridden: plan.overridden,
    title,
    body,
    ...outcome,
  };
}

/** Lifecycle hooks and changelog sections of each promoted version, read at the base commit. */
async function moduleFacts(s: Session, changes: readonly PinChange[]): Promise<Map<string, ModuleFacts>> {
  const out = new Map<string, ModuleFacts>();
  for (const c of changes) {
    const dir = c.after.source;
    if (!dir) {
      out.set(c.module, {
        changelogNote: 'The lock names no source folder for this module, so no changelog.',
      });
      continue;
    }
    let text: string | undefined;
    for (const f of MANIFEST_FILES) if (text === undefined) text = await s.read(s.path(`${dir}/${f}`));
    const manifest = parseJsonLoose<ModuleManifest>(text);
    const facts: ModuleFacts = {};
    if (manifest?.version === c.after.version) facts.hooks = Object.keys(manifest.lifecycle ?? {});
    const name = manifest?.changelog ?? 'CHANGELOG.md';
    const changelog =
      /^[^/\\][^\\]*$/.test(name) && !name.includes('..')
        ? await s.read(s.path(`${dir}/${name}`))
        : undefined;
    if (changelog === undefined) facts.changelogNote = `No ${name} in ${dir}.`;
    else facts.changelog = changelogBetween(changelog, c.before?.version, c.after.version);
    out.set(c.module, facts);
  }
  return out;
}

export interface AutoItem {
  ring: string;
  from: string;
  module?: string;
  result?: PromoteResult;
  skipped?: string;
  error?: RinglockError;
}

/**
 * Every ring with a promoteFrom: each module whose source pin has soaked long enough and differs downstream gets its
 * pull request opened or updated. Frozen rings are skipped with the reason; a module whose promotion the rules refuse
 * (a dependency not there yet) is skipped with the finding; one failing pull request does not stop the others.
 */
export async function promoteAuto(s: Session, now: number): Promise<AutoItem[]> {
  const items: AutoItem[] = [];
  for (const to of s.config.rings) {
    if (to.promoteFrom === undefined) continue;
    const from = s.ring(to.promoteFrom, 'promoteFrom');
    const freezes = activeFreezes(s.config.config.promotion?.freeze ?? [], to.name, now);
    if (freezes.length > 0) {
      items.push({
        ring: to.name,
        from: from.name,
        skipped: `frozen: ${freezes.map((f) => f.reason).join('; ')}`,
      });
      continue;
    }
    for (const module of await dueModules(s, from, to, now)) {
      try {
        const result = await promote(s, {
          from: from.name,
          to: to.name,
          requests: [{ module }],
          now,
          auto: true,
        });
        if (result.status === 'refused')
          items.push({
            ring: to.name,
            from: from.name,
            module,
            skipped: result.errors.map((e) => e.message).join('; '),
          });
        else items.push({ ring: to.name, from: from.name, module, result });
      } catch (e) {
        if (!(e instanceof RinglockError)) throw e;
        items.push({ ring: to.name, from: from.name, module, error: e });
      }
    }
  }
  return items;
}

/** Modules pinned differently downstream whose source pin has been on the base branch for the ring's minSoak. */
async function dueModules(s: Session, from: RingPolicy, to: RingPolicy, now: number): Promise<string[]> {
  const [source, target] = await Promise.all([s.lock(from.name), s.lock(to.name)]);
  const differ = differingModules(source.lock, target.lock);
  if (differ.length === 0) return [];
  const pins = new Map(differ.map((m) => [m, source.lock.modules[m]!]));
  const appeared = await s.appearances(from.name, pins, now - to.minSoakMs);
  return differ.filter((m) => {
    const a = appeared.get(m);
    return a !== undefined && now - a.time >= to.minSoakMs;
  });
}

/** The exit status a refused or frozen promotion gets. */
export function refusal(r: PromoteResult): CheckFailed | undefined {
  if (r.status === 'refused')
    return new CheckFailed(
      'promote/refused',
      `the promotion to ${r.to} is refused by ${r.errors.length} rule finding(s)`,
      {
        details: r.errors.map((f) => ({
          severity: 'error',
          rule: f.rule,
          message: f.message,
          ...(f.expected ? { expected: f.expected } : {}),
        })),
      },
    );
  if (r.status === 'frozen')
    return new CheckFailed(
      'promote/frozen',
      `ring ${r.to} is frozen: ${r.freezes.map((f) => `${f.reason} (until ${new Date(f.end).toISOString()})`).join('; ')}`,
      {
        expected: 'to wait until the freeze ends, or --ignore-freeze (the pull request says so)',
      },
    );
  return undefined;
}

/** Whether a module is on is each ring's own decision: a promotion carries the version, never the source's `enabled`. */
export function ownEnabled(after: LockEntry, before: LockEntry | undefined): LockEntry {
  const { enabled: _source, ...pin } = after;
  return before?.enabled === false ? { ...pin, enabled: false } : pin;
}
