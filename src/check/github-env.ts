// What a GitHub Actions job tells ringlock check through its environment: the event's base and head commits, the pull
// request's labels and number, where the step summary goes, and the API to comment through.
import { InputError } from '../errors.js';
import { parseJsonSource } from '../model/source.js';
import { readTextFile } from '../source/files.js';

export interface GitHubRun {
  /** GITHUB_ACTIONS=true. */
  actions: boolean;
  eventName?: string;
  /** Base commit from the event (a pull request's base branch, a push's before). */
  base?: string;
  /** Whether `base` is a branch tip to take the merge base with (pull requests, merge queues). */
  mergeBase: boolean;
  /** Head commits to try in order: the first the clone has wins. */
  heads: string[];
  /** A pull request's own head commit (`pull_request.head.sha`), which GITHUB_SHA's merge commit has as second parent. */
  pullRequestHead?: string;
  labels: string[];
  pullRequest?: number;
  repository?: string;
  apiUrl?: string;
  token?: string;
  summaryFile?: string;
}

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/i;
const ZERO = /^0+$/;

// biome-ignore lint/suspicious/noExplicitAny: the event payload is untyped JSON, checked field by field
type Json = any;

export function readGitHubRun(env: NodeJS.ProcessEnv): GitHubRun {
  const actions = env.GITHUB_ACTIONS === 'true';
  const run: GitHubRun = {
    actions,
    mergeBase: false,
    heads: [],
    labels: [],
    ...(env.GITHUB_EVENT_NAME ? { eventName: env.GITHUB_EVENT_NAME } : {}),
    ...(env.GITHUB_REPOSITORY ? { repository: env.GITHUB_REPOSITORY } : {}),
    ...(env.GITHUB_API_URL ? { apiUrl: env.GITHUB_API_URL } : {}),
    ...(env.GITHUB_TOKEN ? { token: env.GITHUB_TOKEN } : {}),
    ...(actions && env.GITHUB_STEP_SUMMARY ? { summaryFile: env.GITHUB_STEP_SUMMARY } : {}),
  };
  if (!actions || !env.GITHUB_EVENT_PATH) return run;
  const file = env.GITHUB_EVENT_PATH;
  const doc = parseJsonSource(
    file,
    readTextFile(file, file, { what: 'GitHub event payload', maxBytes: 64 * 1024 * 1024 }),
  );
  const ev = doc.value as Json;
  const bad = (pointer: string, what: string): never => {
    throw new InputError('github/event', `${pointer}: ${what}`, {
      file,
      ...doc.locate(pointer),
      pointer,
      expected: `the ${run.eventName ?? 'event'} payload GitHub Actions writes`,
    });
  };
  const sha = (v: unknown, pointer: string): string => {
    if (typeof v !== 'string' || !SHA.test(v))
      return bad(pointer, `expected a commit sha, got ${JSON.stringify(v)}`);
    return v;
  };
  if (typeof ev !== 'object' || ev === null || Array.isArray(ev)) return bad('', 'expected a JSON object');
  const pr = ev.pull_request;
  if (pr !== undefined && pr !== null) {
    run.base = sha(pr.base?.sha, '/pull_request/base/sha');
    run.mergeBase = true;
    const prHead = sha(pr.head?.sha, '/pull_request/head/sha');
    // On pull_request, GITHUB_SHA is the merge commit actions/checkout checks out: what merging produces.
    // On pull_request_target it is the base branch, never the change.
    if (run.eventName !== 'pull_request_target' && env.GITHUB_SHA && SHA.test(env.GITHUB_SHA))
      run.heads.push(env.GITHUB_SHA);
    run.heads.push(prHead);
    run.pullRequestHead = prHead;
    if (!Array.isArray(pr.labels) && pr.labels !== undefined)
      bad('/pull_request/labels', 'expected an array');
    run.labels = (pr.labels ?? [])
      .map((l: Json) => (typeof l?.name === 'string' ? l.name : undefined))
      .filter((n: unknown): n is string => n !== undefined);
    const n = pr.number ?? ev.number;
    if (Number.isInteger(n) && n > 0) run.pullRequest = n;
    return run;
  }
  const mg = ev.merge_group;
  if (mg !== undefined && mg !== null) {
    run.base = sha(mg.base_sha, '/merge_group/base_sha');
    run.heads.push(sha(mg.head_sha, '/merge_group/head_sha'));
    run.mergeBase = true;
    return run;
  }
  if (typeof ev.before === 'string' && typeof ev.after === 'string') {
    const after = sha(ev.after, '/after');
    if (!ZERO.test(ev.before)) run.base = sha(ev.before, '/before');
    if (!ZERO.test(after)) run.heads.push(after);
    return run;
  }
  if (env.GITHUB_SHA && SHA.test(env.GITHUB_SHA)) run.heads.push(env.GITHUB_SHA);
  return run;
}

/** `owner/name` from GITHUB_REPOSITORY. */
export function splitRepository(s: string): { owner: string; repo: string } {
  const m = /^([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))\/([A-Za-z0-9._-]{1,100})$/.exec(s);
  if (!m)
    throw new InputError('github/repository', `GITHUB_REPOSITORY "${s}" is not owner/name`, {
      expected: 'owner/name, as GitHub Actions sets it',
    });
  return { owner: m[1]!, repo: m[2]! };
}
