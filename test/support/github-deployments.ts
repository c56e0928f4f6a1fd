// Handlers for GitHub's deployments API on the stand-in: deployments and their statuses kept in the stand-in's
// state, answered with objects that satisfy the description's schemas.
import { type GitHubStandin, githubError, type StandinHandler } from './github-standin.js';

export interface StoredDeployment {
  id: number;
  sha: string;
  ref: string;
  environment: string;
  description: string | null;
  payload: unknown;
  production_environment: boolean;
  transient_environment: boolean;
  [field: string]: unknown;
}
export interface StoredStatus {
  id: number;
  state: string;
  environment: string;
  description: string;
  log_url: string;
  [field: string]: unknown;
}
interface Store {
  nextId: number;
  deployments: StoredDeployment[];
  statuses: Map<number, StoredStatus[]>;
}

const KEY = 'deployments';

function store(state: Map<string, unknown>): Store {
  let s = state.get(KEY) as Store | undefined;
  if (!s) {
    s = { nextId: 1, deployments: [], statuses: new Map() };
    state.set(KEY, s);
  }
  return s;
}

/** A simple-user object as GitHub returns it for the token's owner. */
export function simpleUser(base: string, login = 'ringlock-bot', id = 4242) {
  const api = `${base}/users/${login}`;
  return {
    login,
    id,
    node_id: `U_${id}`,
    avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
    gravatar_id: '',
    url: api,
    html_url: `https://github.com/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: 'Bot',
    site_admin: false,
  };
}

/** Ready-made handlers for one stand-in; `base` is its URL (for the url fields of answers). */
export function deploymentHandlers(base: string): Record<string, StandinHandler> {
  const repoUrl = (p: Record<string, string>) => `${base}/repos/${p['owner']}/${p['repo']}`;
  const find = (s: Store, id: string) => s.deployments.find((d) => d.id === Number(id));
  return {
    'repos/list-deployments': ({ query }, state) => {
      const filters = (['sha', 'ref', 'task', 'environment'] as const).filter((k) => query[k] !== undefined);
      const hits = store(state)
        .deployments.filter((d) => filters.every((k) => d[k] === query[k]))
        .reverse();
      return { status: 200, body: hits.slice(0, Number(query['per_page'] ?? 30)) };
    },
    'repos/create-deployment': ({ params, body }, state) => {
      const s = store(state);
      const b = body as Record<string, unknown>;
      const id = s.nextId++;
      const now = new Date().toISOString();
      const environment = (b['environment'] as string | undefined) ?? 'production';
      const url = `${repoUrl(params)}/deployments/${id}`;
      const d: StoredDeployment = {
        url,
        id,
        node_id: `DE_${id}`,
        sha: b['ref'] as string,
        ref: b['ref'] as string,
        task: (b['task'] as string | undefined) ?? 'deploy',
        payload: b['payload'] ?? {},
        original_environment: environment,
        environment,
        description: (b['description'] as string | null | undefined) ?? '',
        creator: simpleUser(base),
        created_at: now,
        updated_at: now,
        statuses_url: `${url}/statuses`,
        repository_url: repoUrl(params),
        transient_environment: (b['transient_environment'] as boolean | undefined) ?? false,
        production_environment:
          (b['production_environment'] as boolean | undefined) ?? environment === 'production',
        performed_via_github_app: null,
      };
      s.deployments.push(d);
      s.statuses.set(id, []);
      return { status: 201, body: d };
    },
    'repos/list-deployment-statuses': ({ params }, state) => {
      const s = store(state);
      if (!find(s, params['deployment_id']!)) return githubError(404, 'Not Found');
      return { status: 200, body: [...(s.statuses.get(Number(params['deployment_id'])) ?? [])].reverse() };
    },
    'repos/create-deployment-status': ({ params, body }, state) => {
      const s = store(state);
      const d = find(s, params['deployment_id']!);
      if (!d)
        return githubError(422, 'Validation Failed', {
          errors: [{ resource: 'DeploymentStatus', code: 'invalid' }],
        });
      const b = body as Record<string, unknown>;
      const id = s.nextId++;
      const now = new Date().toISOString();
      const status: StoredStatus = {
        url: `${d['url']}/statuses/${id}`,
        id,
        node_id: `DES_${id}`,
        state: b['state'] as string,
        creator: simpleUser(base),
        description: (b['description'] as string | undefined) ?? '',
        environment: (b['environment'] as string | undefined) ?? d.environment,
        target_url: (b['target_url'] as string | undefined) ?? (b['log_url'] as string | undefined) ?? '',
        log_url: (b['log_url'] as string | undefined) ?? (b['target_url'] as string | undefined) ?? '',
        environment_url: (b['environment_url'] as string | undefined) ?? '',
        created_at: now,
        updated_at: now,
        deployment_url: d['url'],
        repository_url: d['repository_url'],
        performed_via_github_app: null,
      };
      // auto_inactive: earlier successful deployments to the environment become inactive, as on GitHub.
      if (status.state === 'success' && b['auto_inactive'] !== false) {
        for (const other of s.deployments) {
          const last = s.statuses.get(other.id)?.at(-1);
          if (other.id !== d.id && other.environment === status.environment && last?.state === 'success') {
            s.statuses.get(other.id)!.push({ ...last, id: s.nextId++, state: 'inactive', description: '' });
          }
        }
      }
      s.statuses.get(d.id)!.push(status);
      return { status: 201, body: status, headers: { location: status['url'] as string } };
    },
  };
}

/** Registers the deployments API on the stand-in and returns views of what it holds. */
export function serveDeployments(gh: GitHubStandin) {
  for (const [id, handler] of Object.entries(deploymentHandlers(gh.url))) gh.on(id, handler);
  return {
    deployments: () => store(gh.state).deployments,
    statuses: (deploymentId: number) => store(gh.state).statuses.get(deploymentId) ?? [],
  };
}
