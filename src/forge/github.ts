// Reports applied lock commits to GitHub as deployments (environment = ring), so PR and commit pages show what
// each ring runs.
import { InputError, InternalError } from '../errors.js';
import { type CallNeeds, GitHubClient, type GitHubOptions, truncate } from './client.js';

export { type GitHubLogger, type GitHubOptions, parseRepository, truncate } from './client.js';

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error' | 'inactive';

export interface DeploymentReport {
  /** The applied lock commit. */
  sha: string;
  /** The ring. */
  environment: string;
  state: DeploymentState;
  /** At most 140 characters (GitHub's limit); longer text is cut. */
  description: string;
  logUrl?: string;
  /** Default: environment === 'production'. */
  productionEnvironment?: boolean;
}

const NEEDS: CallNeeds = {
  permission: 'deployments: write',
  expected:
    'the "deployments: write" permission (fine-grained token or GitHub App) or the repo_deployment scope (classic token)',
  conflictCode: 'forge/deployment-conflict',
  conflict: 'a merge conflict, or required status checks of the commit failed',
  invalid: 'a commit that has been pushed to GitHub, and a valid ring name',
};

export class GitHubDeployments {
  private readonly client: GitHubClient;
  /** Deployment id per sha + environment: a commit is deployed to a ring once, then gets statuses. */
  private readonly deployments = new Map<string, Promise<number>>();

  constructor(opts: GitHubOptions) {
    this.client = new GitHubClient(opts, NEEDS);
  }

  async report(input: DeploymentReport): Promise<void> {
    if (!/^[0-9a-f]{7,64}$/i.test(input.sha)) {
      throw new InputError('forge/sha', `"${input.sha}" is not a commit id`, {
        expected: 'a hex commit sha',
      });
    }
    const key = `${input.sha}\u0000${input.environment}`;
    let id = this.deployments.get(key);
    if (!id) {
      id = this.deployment(input);
      this.deployments.set(key, id);
      // A failed creation is forgotten so that the next report tries again.
      id.catch(() => this.deployments.get(key) === id && this.deployments.delete(key));
    }
    const deploymentId = await id;
    await this.client.call(`post the ${input.state} status of deployment ${deploymentId}`, NEEDS, (octokit) =>
      octokit.rest.repos.createDeploymentStatus({
        owner: this.client.owner,
        repo: this.client.repo,
        deployment_id: deploymentId,
        state: input.state,
        environment: input.environment,
        description: truncate(input.description, 140),
        ...(input.logUrl ? { log_url: input.logUrl } : {}),
        auto_inactive: true,
      }),
    );
  }

  /** The deployment of sha to the environment: found (after a restart) or created. */
  private async deployment(input: DeploymentReport): Promise<number> {
    const { owner, repo } = this.client;
    const { sha, environment } = input;
    const found = await this.client.call(`list the deployments of ${sha.slice(0, 12)}`, NEEDS, (octokit) =>
      octokit.rest.repos.listDeployments({ owner, repo, sha, environment, per_page: 1 }),
    );
    const existing = found.data[0];
    if (existing) return existing.id;
    const created = await this.client.call(
      `create a deployment of ${sha.slice(0, 12)} to ${environment}`,
      NEEDS,
      (octokit) =>
        octokit.rest.repos.createDeployment({
          owner,
          repo,
          ref: sha,
          environment,
          auto_merge: false,
          required_contexts: [],
          transient_environment: false,
          production_environment: input.productionEnvironment ?? environment === 'production',
          description: truncate(input.description, 140),
          payload: { ring: environment, tool: 'ringlock' },
        }),
    );
    if (!('id' in created.data)) {
      // 202 is GitHub merging the default branch into the ref, which auto_merge: false rules out.
      throw new InternalError(
        'forge/deployment-not-created',
        `GitHub did not create the deployment of ${sha}`,
        {
          expected: 'a 201 answer',
        },
      );
    }
    return created.data.id;
  }
}
