// Who hears about the daemon's runs of one commit: webhook receivers (signed events) and GitHub deployment statuses,
// from ringlock.yaml's notifications section. Every receiver the repository names is checked against the operator.
import type { Logger } from '../daemon/logger.js';
import { type NotificationEventName, Notifier } from '../daemon/notify.js';
import type { CommitRuntime, DeploymentReporter } from '../daemon/types.js';
import type { LoadedConfig } from '../model/config.js';
import { redactUrl } from '../redact.js';
import { githubApiUrl, requireAllowed, type TrustPolicy } from '../trust/policy.js';
import type { RuntimeInput } from './types.js';

export interface NotificationDeps {
  ring: string;
  logger: Logger;
  /** Takes every secret value out of a text (event data may quote a hook's output). */
  scrub: (text: string) => string;
}

/** Every notification webhook ringlock.yaml names must be at a host the operator allowed, or bound its secret to. */
function checkNotificationHosts(policy: TrustPolicy, config: LoadedConfig): void {
  (config.config.notifications?.webhooks ?? []).forEach((w, i) => {
    requireAllowed(
      policy,
      { url: w.url, doc: config.doc, pointer: `/notifications/webhooks/${i}/url` },
      w.secretEnv ? `events signed with $${w.secretEnv}` : 'events',
      w.secretEnv,
      'a receiver the operator allowed',
    );
  });
}

/** The notifier and deployment reporter for one commit's config (none before any config was read). */
export function commitNotifications(
  input: RuntimeInput,
  policy: TrustPolicy,
  config: LoadedConfig | undefined,
  deps: NotificationDeps,
): Pick<CommitRuntime, 'notifier' | 'deployments'> {
  const { ring, logger, scrub } = deps;
  const n = config?.config.notifications;
  const out: Pick<CommitRuntime, 'notifier' | 'deployments'> = {};
  if (config) checkNotificationHosts(policy, config);
  const targets = (n?.webhooks ?? []).flatMap((w) => {
    const secret = w.secretEnv ? input.env[w.secretEnv] : undefined;
    if (w.secretEnv && !secret) {
      // Never send unsigned what was meant to be signed: the receiver could not tell it from a forgery.
      logger.error(
        { url: redactUrl(w.url), secretEnv: w.secretEnv },
        'notification webhook skipped: its secret variable is not set',
      );
      return [];
    }
    return [{ url: w.url, secret, events: w.events as NotificationEventName[] | undefined }];
  });
  if (targets.length > 0) {
    const n = new Notifier({ targets, ring, logger });
    // Event data may quote a hook's output: no secret value leaves in it.
    out.notifier = {
      emit: (event, data) =>
        n.emit(event, JSON.parse(scrub(JSON.stringify(data))) as Record<string, unknown>),
      flush: (ms) => n.flush(ms),
    };
  }
  const gh = n?.github;
  if (gh) {
    const tokenEnv = gh.tokenEnv ?? 'GITHUB_TOKEN';
    const token = input.env[tokenEnv];
    const ghApi = githubApiUrl(
      policy,
      gh.baseUrl
        ? { url: gh.baseUrl, doc: config!.doc, pointer: '/notifications/github/baseUrl' }
        : undefined,
      tokenEnv,
    );
    if (!token) logger.error({ tokenEnv }, `GitHub deployment reporting is off: ${tokenEnv} is not set`);
    else {
      const [owner, name] = gh.repository.split('/') as [string, string];
      let client: Promise<DeploymentReporter> | undefined;
      out.deployments = {
        // @octokit loads only when the first deployment is reported.
        report: async (deployment) => {
          client ??= import('../forge/github.js').then(
            (m) => new m.GitHubDeployments({ token, baseUrl: ghApi, owner, repo: name, logger }),
          );
          return (await client).report(deployment);
        },
      };
    }
  }
  return out;
}
