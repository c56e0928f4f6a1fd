// Handlers for GitHub's pull request API on the stand-in: pull requests, their labels and review requests kept in
// the stand-in's state, answered from the description's own examples with our values filled in (so every answer
// satisfies the published schemas, which the stand-in checks).
import { type GitHubStandin, githubDescription, githubError, type StandinHandler } from './github-standin.js';

export interface StoredPull {
  number: number;
  title: string;
  body: string;
  head: string;
  base: string;
  state: 'open' | 'closed';
  merged: boolean;
  labels: string[];
  reviewers: string[];
  teamReviewers: string[];
}
interface Store {
  next: number;
  pulls: StoredPull[];
}
const KEY = 'pulls';

function store(state: Map<string, unknown>): Store {
  let s = state.get(KEY) as Store | undefined;
  if (!s) {
    s = { next: 1, pulls: [] };
    state.set(KEY, s);
  }
  return s;
}

// biome-ignore lint/suspicious/noExplicitAny: examples are untyped JSON from the description
type Json = any;

/** The description's example answer of an operation (deep-copied). */
function example(operationId: string, status: string): Json {
  const route = githubDescription().byId.get(operationId);
  const content = route?.op.responses?.[status]?.content?.['application/json'];
  let ex = content?.examples ? (Object.values(content.examples)[0] as Json) : content?.example;
  if (ex && typeof ex.$ref === 'string') {
    ex = ex.$ref
      .slice(2)
      .split('/')
      .reduce((o: Json, k: string) => o?.[k], githubDescription().doc);
  }
  const value = ex?.value ?? ex;
  if (value === undefined) throw new Error(`no example answer for ${operationId} ${status}`);
  return JSON.parse(JSON.stringify(value));
}

function render(base: Json, p: StoredPull, owner: string, repo: string): Json {
  const out = JSON.parse(JSON.stringify(base));
  const html = `https://github.com/${owner}/${repo}/pull/${p.number}`;
  Object.assign(out, {
    id: 1000 + p.number,
    number: p.number,
    title: p.title,
    body: p.body,
    state: p.state,
    html_url: html,
    url: `https://api.github.com/repos/${owner}/${repo}/pulls/${p.number}`,
    labels: p.labels.map((name, i) => ({ ...(out.labels?.[0] ?? {}), id: 500 + i, name })),
  });
  if ('merged' in out) out.merged = p.merged;
  // The description's examples predate fields its schemas now require; reviewers are not what tests read here.
  if ('requested_teams' in out) out.requested_teams = [];
  if ('requested_reviewers' in out) out.requested_reviewers = [];
  out.head = { ...out.head, ref: p.head, label: `${owner}:${p.head}` };
  out.base = { ...out.base, ref: p.base, label: `${owner}:${p.base}` };
  return out;
}

export function pullHandlers(): Record<string, StandinHandler> {
  const find = (s: Store, n: string) => s.pulls.find((p) => p.number === Number(n));
  return {
    'pulls/list': ({ params, query }, state) => {
      const tpl = example('pulls/list', '200')[0];
      const [, head] = (query['head'] ?? '').split(':');
      const hits = store(state).pulls.filter(
        (p) => (query['state'] ?? 'open') === 'all' || p.state === (query['state'] ?? 'open'),
      );
      const body = hits
        .filter((p) => head === undefined || p.head === head)
        .map((p) => render(tpl, p, params['owner']!, params['repo']!));
      return { status: 200, body };
    },
    'pulls/create': ({ params, body }, state) => {
      const s = store(state);
      const b = body as { head: string; base: string; title: string; body?: string };
      if (s.pulls.some((p) => p.state === 'open' && p.head === b.head && p.base === b.base))
        return githubError(422, 'Validation Failed', {
          errors: [
            {
              resource: 'PullRequest',
              code: 'custom',
              message: `A pull request already exists for ${b.head}.`,
            },
          ],
        });
      const p: StoredPull = {
        number: s.next++,
        title: b.title,
        body: b.body ?? '',
        head: b.head,
        base: b.base,
        state: 'open',
        merged: false,
        labels: [],
        reviewers: [],
        teamReviewers: [],
      };
      s.pulls.push(p);
      return {
        status: 201,
        body: render(example('pulls/create', '201'), p, params['owner']!, params['repo']!),
      };
    },
    'pulls/update': ({ params, body }, state) => {
      const p = find(store(state), params['pull_number']!);
      if (!p) return githubError(404, 'Not Found');
      const b = body as { title?: string; body?: string };
      if (b.title !== undefined) p.title = b.title;
      if (b.body !== undefined) p.body = b.body;
      return {
        status: 200,
        body: render(example('pulls/update', '200'), p, params['owner']!, params['repo']!),
      };
    },
    'issues/add-labels': ({ params, body }, state) => {
      const p = find(store(state), params['issue_number']!);
      if (!p) return githubError(404, 'Not Found');
      const names = (body as { labels: string[] }).labels;
      for (const n of names) if (!p.labels.includes(n)) p.labels.push(n);
      const tpl = example('issues/add-labels', '200')[0];
      return { status: 200, body: p.labels.map((name, i) => ({ ...tpl, id: 500 + i, name })) };
    },
    'pulls/request-reviewers': ({ params, body }, state) => {
      const p = find(store(state), params['pull_number']!);
      if (!p) return githubError(404, 'Not Found');
      const b = body as { reviewers?: string[]; team_reviewers?: string[] };
      p.reviewers.push(...(b.reviewers ?? []));
      p.teamReviewers.push(...(b.team_reviewers ?? []));
      return {
        status: 201,
        body: render(example('pulls/request-reviewers', '201'), p, params['owner']!, params['repo']!),
      };
    },
  };
}

/** Registers the pull request API on the stand-in and returns a view of what it holds. */
export function servePulls(gh: GitHubStandin) {
  for (const [id, handler] of Object.entries(pullHandlers())) gh.on(id, handler);
  return {
    pulls: () => store(gh.state).pulls,
    /** Marks a pull request merged, as a reviewer merging it would. */
    merge: (n: number) => {
      const p = store(gh.state).pulls.find((x) => x.number === n);
      if (p) {
        p.state = 'closed';
        p.merged = true;
      }
    },
  };
}
