// Pull requests on GitHub for promotion, rollback and tenant changes: find the open one for a branch, create or
// update it, label it, ask for reviews. One pull request per branch: a rerun updates, never duplicates.
import { type CallNeeds, GitHubClient, type GitHubOptions } from './client.js';

export interface PullRequest {
  number: number;
  url: string;
  title: string;
  body: string;
}

export interface PullRequestInput {
  head: string;
  base: string;
  title: string;
  body: string;
}

const PULLS: CallNeeds = {
  permission: 'pull-requests: write',
  expected:
    'the "pull-requests: write" permission (fine-grained token or GitHub App; GITHUB_TOKEN with permissions: pull-requests: write) or the repo scope (classic token)',
  invalid: 'a head branch that exists on GitHub and differs from the base',
};
const READ: CallNeeds = {
  permission: 'pull-requests: read',
  expected: 'a token that can read pull requests',
};

/** GitHub caps a pull request body at 65,536 characters. */
export const MAX_BODY = 65_536;

export class GitHubPulls {
  private readonly client: GitHubClient;

  constructor(opts: GitHubOptions) {
    this.client = new GitHubClient(opts, PULLS);
  }

  get repository(): string {
    return this.client.repoName;
  }

  /** The open pull request from `branch` (in this repository), if there is one. */
  async findOpen(branch: string): Promise<PullRequest | undefined> {
    const { owner, repo } = this.client;
    const res = await this.client.call(`list the open pull requests from ${branch}`, READ, (o) =>
      o.rest.pulls.list({ owner, repo, head: `${owner}:${branch}`, state: 'open', per_page: 10 }),
    );
    const pr = res.data.find((p) => p.head.ref === branch);
    return pr ? { number: pr.number, url: pr.html_url, title: pr.title, body: pr.body ?? '' } : undefined;
  }

  async create(input: PullRequestInput): Promise<PullRequest> {
    const { owner, repo } = this.client;
    const res = await this.client.call(`open a pull request from ${input.head}`, PULLS, (o) =>
      o.rest.pulls.create({
        owner,
        repo,
        head: input.head,
        base: input.base,
        title: input.title,
        body: clip(input.body),
        maintainer_can_modify: true,
      }),
    );
    const pr = res.data;
    return { number: pr.number, url: pr.html_url, title: pr.title, body: pr.body ?? '' };
  }

  async update(number: number, input: { title: string; body: string }): Promise<PullRequest> {
    const { owner, repo } = this.client;
    const res = await this.client.call(`update pull request #${number}`, PULLS, (o) =>
      o.rest.pulls.update({ owner, repo, pull_number: number, title: input.title, body: clip(input.body) }),
    );
    const pr = res.data;
    return { number: pr.number, url: pr.html_url, title: pr.title, body: pr.body ?? '' };
  }

  async addLabels(number: number, labels: string[]): Promise<void> {
    if (labels.length === 0) return;
    const { owner, repo } = this.client;
    await this.client.call(`label pull request #${number}`, PULLS, (o) =>
      o.rest.issues.addLabels({ owner, repo, issue_number: number, labels }),
    );
  }

  /** Users, and teams written org/team-slug. */
  async requestReviewers(number: number, reviewers: string[]): Promise<void> {
    if (reviewers.length === 0) return;
    const { owner, repo } = this.client;
    const teams = reviewers.filter((r) => r.includes('/')).map((r) => r.slice(r.indexOf('/') + 1));
    const users = reviewers.filter((r) => !r.includes('/'));
    await this.client.call(`request reviews on pull request #${number}`, PULLS, (o) =>
      o.rest.pulls.requestReviewers({
        owner,
        repo,
        pull_number: number,
        ...(users.length ? { reviewers: users } : {}),
        ...(teams.length ? { team_reviewers: teams } : {}),
      }),
    );
  }
}

function clip(body: string): string {
  if (body.length <= MAX_BODY) return body;
  const note = '\n\n… (cut: GitHub allows 65,536 characters)';
  return body.slice(0, MAX_BODY - note.length) + note;
}
