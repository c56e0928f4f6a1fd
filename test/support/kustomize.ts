// `kubectl kustomize` output of the examples/kubernetes overlays, parsed; and the selector and NetworkPolicy rules the
// manifest tests judge it by.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from '../helpers.js';

export const K8S = join(REPO_ROOT, 'examples', 'kubernetes');

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are untyped YAML.
export type Obj = Record<string, any>;

const kubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
export const hasKubectl = !kubectl.error && kubectl.status === 0;
if (!hasKubectl)
  console.warn('kubectl not found on PATH: skipping the kustomize render tests of examples/kubernetes');

const rendered = new Map<string, { objs: Obj[]; text: string }>();

/** The objects `kubectl kustomize overlays/<overlay>` renders (once per overlay and run). */
export function render(overlay: string): Obj[] {
  return renderOnce(overlay).objs;
}

/** The same output as text, for checks over every string in it. */
export function renderedText(overlay: string): string {
  return renderOnce(overlay).text;
}

function renderOnce(overlay: string): { objs: Obj[]; text: string } {
  const cached = rendered.get(overlay);
  if (cached) return cached;
  const r = spawnSync('kubectl', ['kustomize', join(K8S, 'overlays', overlay)], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize overlays/${overlay} failed:\n${r.stderr}`);
  const out = { objs: parseYaml(r.stdout, `overlays/${overlay}`), text: r.stdout };
  rendered.set(overlay, out);
  return out;
}

export function parseYaml(text: string, what: string): Obj[] {
  const docs = parseAllDocuments(text);
  const objs: Obj[] = [];
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    expect(d.errors, `YAML errors in ${what}`).toEqual([]);
    const o = d.toJS() as Obj | null;
    if (o) objs.push(o);
  }
  return objs;
}

export const one = (objs: Obj[], kind: string): Obj => {
  const found = objs.filter((o) => o.kind === kind);
  expect(found, `exactly one ${kind}`).toHaveLength(1);
  return found[0]!;
};

export const matches = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

/**
 * Whether the NetworkPolicies let a pod with `labels` open a connection to `port`, by the API's rules: egress is open
 * unless some policy selecting the pod lists Egress; then a port passes when any such policy's rule allows it (a rule
 * without ports allows all). Destinations (`to:`) are not judged.
 */
export function egressAllows(
  policies: Obj[],
  labels: Record<string, string>,
  port: number,
  protocol = 'TCP',
) {
  const selecting = policies.filter((p) => {
    const sel = (p.spec.podSelector?.matchLabels ?? {}) as Record<string, string>;
    return (Object.keys(sel).length === 0 || matches(sel, labels)) && p.spec.policyTypes?.includes('Egress');
  });
  if (selecting.length === 0) return true;
  return selecting.some((p) =>
    ((p.spec.egress ?? []) as Obj[]).some(
      (rule) =>
        !rule.ports ||
        (rule.ports as Obj[]).some(
          (pp) =>
            (pp.protocol ?? 'TCP') === protocol &&
            (pp.port === undefined ||
              pp.port === port ||
              (pp.endPort !== undefined && port >= pp.port && port <= pp.endPort)),
        ),
    ),
  );
}
