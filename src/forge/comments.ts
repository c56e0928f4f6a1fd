// One sticky comment per pull request: found again by a hidden marker and edited in place, so a pull request
// carries one up-to-date report instead of one comment per push.
import { type CallNeeds, GitHubClient, type GitHubOptions } from './client.js';

const NEEDS: CallNeeds = {
  permission: 'pull-requests: write',
  expected:
    'the "pull-requests: write" permission on the job that comments (fine-grained token or GitHub App), or the repo scope (classic token); pull requests from forks get a read-only token',
  invalid: 'a comment body of at most 65,536 characters',
};

export interface StickyResult {
  action: 'created' | 'updated' | 'unchanged';
  id: number;
  url: string;
}

export class StickyComments {
  private readonly client: GitHubClient;

  constructor(opts: GitHubOptions) {
    this.client = new GitHubClient(opts, NEEDS);
  }

  /**
   * Makes `body` the pull request's one comment carrying `marker` (an HTML comment, invisible when rendered):
   * edits the existing one written by a bot account, or creates it. A person's comment is never adopted, even when
   * it starts with the marker: editing it would put the report under their name (or fail on their comment).
   */
  async upsert(issueNumber: number, marker: string, body: string): Promise<StickyResult> {
    const { owner, repo } = this.client;
    const text = body.startsWith(marker) ? body : `${marker}\n${body}`;
    const comments = await this.client.call(`list the comments of pull request #${issueNumber}`, NEEDS, (o) =>
      o.paginate(o.rest.issues.listComments, { owner, repo, issue_number: issueNumber, per_page: 100 }),
    );
    const found = comments.find((c) => c.user?.type === 'Bot' && c.body?.startsWith(marker));
    if (found) {
      if (found.body === text) return { action: 'unchanged', id: found.id, url: found.html_url };
      const r = await this.client.call(
        `update comment ${found.id} on pull request #${issueNumber}`,
        NEEDS,
        (o) => o.rest.issues.updateComment({ owner, repo, comment_id: found.id, body: text }),
      );
      return { action: 'updated', id: r.data.id, url: r.data.html_url };
    }
    const r = await this.client.call(`comment on pull request #${issueNumber}`, NEEDS, (o) =>
      o.rest.issues.createComment({ owner, repo, issue_number: issueNumber, body: text }),
    );
    return { action: 'created', id: r.data.id, url: r.data.html_url };
  }
}
