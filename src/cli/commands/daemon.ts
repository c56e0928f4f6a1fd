// ringlock daemon: watch one ring's lock in git and converge the target on it, with an HTTP surface for probes,
// status, metrics and webhooks. Every setting has an environment variable, so a Kubernetes manifest needs no args.
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../../daemon/daemon.js';
import { startHttp } from '../../daemon/http.js';
import { createLogger } from '../../daemon/logger.js';
import { daemonMetrics } from '../../daemon/metrics.js';
import { checkCron } from '../../daemon/schedule.js';
import { ExitCode, InputError } from '../../errors.js';
import { createGitSource, defaultGitDriver, parseGitDriver } from '../../git/index.js';
import { redactUrl, scrub, urlCredentials } from '../../redact.js';
import { daemonRuntimeFor } from '../../runtime/daemon-runtime.js';
import { refuseFileInFlight } from '../../state/file-in-flight.js';
import { operatorPolicy } from '../operator.js';
import { intOpt, msOpt } from '../options.js';
import { json } from '../output.js';
import { pick, runtimeInput } from '../runtime.js';
import type { CommandContext } from '../spec.js';

/** Values of environment variables that look like secrets: kept out of every log line whatever their role. */
function secretValues(): string[] {
  return Object.entries(process.env)
    .filter(
      ([k, v]) =>
        /TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|API_KEY/i.test(k) && v !== undefined && v.length >= 4,
    )
    .map(([, v]) => v!);
}

function listenAddress(ctx: CommandContext): { host: string; port: number } {
  // Outside a container only this machine may talk to the daemon; the image sets RINGLOCK_LISTEN=0.0.0.0:8080.
  const fallback = process.env.KUBERNETES_SERVICE_HOST ? '0.0.0.0:8080' : '127.0.0.1:8080';
  const v = pick(ctx, 'listen', 'RINGLOCK_LISTEN') ?? fallback;
  const m = /^(?:\[([0-9a-fA-F:]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(v);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port > 65535) {
    throw new InputError('cli/listen', `--listen ${v}: not host:port`, {
      expected: 'e.g. 127.0.0.1:8080, 0.0.0.0:8080 or [::1]:8080',
    });
  }
  return { host: m[1] ?? m[2]!, port };
}

function boolEnv(name: string): boolean | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  if (/^(1|true|yes|on)$/i.test(v)) return true;
  if (/^(0|false|no|off)$/i.test(v)) return false;
  throw new InputError('cli/env', `${name}=${v}: not a boolean`, { expected: 'true or false' });
}

export async function run(ctx: CommandContext): Promise<number> {
  const ring = pick(ctx, 'ring', 'RING_NAME');
  if (!ring)
    throw new InputError('cli/ring', 'daemon: which ring? give --ring or RING_NAME', {
      expected: '--ring canary',
    });
  if (!/^[a-z][a-z0-9-]{0,62}$/.test(ring))
    throw new InputError('cli/ring', `--ring ${ring}: not a ring name`, {
      expected: 'lowercase letters, digits and -',
    });
  const repo = pick(ctx, 'repo', 'RINGLOCK_REPO');
  if (!repo)
    throw new InputError('cli/repo', 'daemon: which repository? give --repo or RINGLOCK_REPO', {
      expected: '--repo https://github.com/acme/platform.git',
    });
  const credential = urlCredentials(repo);
  if (credential) {
    throw new InputError(
      'cli/repo',
      `--repo ${redactUrl(repo)}: credentials in the URL (${credential}) are refused (they would reach logs and the process list)`,
      {
        expected:
          'the URL without user:password@ or token query parameters, and the token in RINGLOCK_GIT_TOKEN',
      },
    );
  }
  const branch = pick(ctx, 'branch', 'RINGLOCK_BRANCH') ?? 'main';
  if (!/^[A-Za-z0-9._/-]{1,200}$/.test(branch) || branch.includes('..') || branch.startsWith('-'))
    throw new InputError('cli/branch', `--branch ${branch}: not a branch name`, { expected: 'e.g. main' });
  const path = pick(ctx, 'path', 'RINGLOCK_PATH') ?? '.';
  const driverName = pick(ctx, 'git-driver', 'RINGLOCK_GIT_DRIVER');
  const driver = driverName ? parseGitDriver(driverName) : defaultGitDriver();
  const listen = listenAddress(ctx);
  const schedule = pick(ctx, 'schedule', 'RINGLOCK_SCHEDULE');
  const fullRehash = pick(ctx, 'full-rehash', 'RINGLOCK_FULL_REHASH');
  if (schedule) checkCron(schedule, '--schedule');
  if (fullRehash) checkCron(fullRehash, '--full-rehash');
  const selfHeal = ctx.options['no-self-heal'] === true ? false : boolEnv('RINGLOCK_SELF_HEAL');
  const serveApi = ctx.options['serve-api'] === true || boolEnv('RINGLOCK_SERVE_API') === true;
  const envMs = (flag: string, env: string, fallback: number) => {
    const v = pick(ctx, flag, env);
    return msOpt({ ...ctx, options: { ...ctx.options, [flag]: v } }, flag, fallback);
  };
  const maxBackoffMs = envMs('max-backoff', 'RINGLOCK_MAX_BACKOFF', 300_000);
  if (maxBackoffMs < 1000)
    throw new InputError(
      'cli/duration',
      '--max-backoff must be at least 1s (0 would retry a failing git or module on every tick)',
      {
        expected: 'e.g. 30s, 5m',
      },
    );
  const shutdownMs = envMs('shutdown-timeout', 'RINGLOCK_SHUTDOWN_TIMEOUT', 25_000);
  const hookTimeoutMs = msOpt(ctx, 'hook-timeout', 600_000);
  const runForMs = typeof ctx.options['run-for'] === 'string' ? msOpt(ctx, 'run-for', 0) : undefined;
  const concurrency = intOpt(ctx, 'concurrency', 4, 1, 32);

  const secrets = secretValues();
  const scrubSecrets = (text: string) => scrub(text, secrets);
  const logger = createLogger({ level: process.env.LOG_LEVEL, secrets, base: { ring } });
  const policy = operatorPolicy(ctx);
  const runtimeFor = daemonRuntimeFor(runtimeInput(ctx), { ring, logger, scrub: scrubSecrets });
  const first = runtimeFor(undefined);
  const store = first.rt.store;
  // With a shared store, replicas of this ring elect one writer (the lease); this one's name: pod hostname and pid.
  const replica = store.kind === 'postgres' ? `${hostname()}:${process.pid}` : undefined;
  if (replica) {
    refuseFileInFlight(first.rt.stateDir, 'the daemon');
    store.open?.();
  }
  const cacheDir = pick(ctx, 'cache-dir', 'RINGLOCK_CACHE_DIR') ?? join(first.rt.stateDir, 'git');
  const source = await createGitSource(driver, {
    url: repo,
    branch,
    cacheDir,
    token: process.env.RINGLOCK_GIT_TOKEN || undefined,
    username: process.env.RINGLOCK_GIT_USERNAME || undefined,
  });
  const metrics = daemonMetrics();
  const daemon = new Daemon({
    ring,
    repo: redactUrl(repo),
    branch,
    path,
    source,
    logger,
    metrics,
    runtimeFor,
    skipHooks: ctx.options['skip-hooks'] === true,
    hookTimeoutMs,
    concurrency,
    schedule,
    fullRehash,
    selfHeal,
    maxBackoffMs,
    replica,
  });
  const http = await startHttp(
    {
      ready: () => daemon.ready,
      synced: () => daemon.synced,
      status: () => daemon.status(),
      trigger: (t, o) => daemon.trigger(t, o),
      branch,
      repo,
      scrub: scrubSecrets,
      ring,
      published: () => daemon.publication.published,
    },
    {
      ...listen,
      serveApi,
      webhookSecret: process.env.RINGLOCK_WEBHOOK_SECRET || undefined,
      apiToken: process.env.RINGLOCK_API_TOKEN || undefined,
      maxBodyBytes: 25 * 1024 * 1024,
      logger,
      metrics,
    },
  ).catch((e: NodeJS.ErrnoException) => {
    throw new InputError(
      'cli/listen',
      `cannot listen on ${listen.host}:${listen.port}: ${e.code ?? e.message}`,
      {
        expected: 'a free port (--listen host:port)',
      },
    );
  });
  logger.info(
    {
      repo: redactUrl(repo),
      branch,
      path,
      gitDriver: driver,
      listen: http.address,
      target: first.rt.target.root,
      state: store.kind === 'file' ? first.rt.stateDir : store.describe(),
      replica,
      cacheDir,
      operator: policy.sources,
      serveApi,
      publishers: first.publishers?.map((p) => p.name),
    },
    'daemon started',
  );
  // Health commands run even with --skip-hooks: module code may run whenever the operator has not set a module user.
  if (!policy.moduleEnv.user)
    logger.warn(
      { uid: process.getuid?.() },
      "module code (hooks, health commands) runs as ringlock's own user: it gets no secret in its environment, but it could read ringlock's through /proc; set moduleUser in the operator config (or RINGLOCK_MODULE_USER) to run it as another user",
    );
  if (!ctx.json) ctx.io.err(`ringlock daemon: ring ${ring}, listening on http://${http.address}\n`);
  daemon.start();

  const signal = await new Promise<string>((resolve) => {
    const on = (s: NodeJS.Signals) => resolve(s);
    process.once('SIGTERM', on);
    process.once('SIGINT', on);
    if (runForMs !== undefined) setTimeout(() => resolve('run-for'), runForMs).unref();
    void daemon.lost.then(() => resolve('lease-lost'));
  });
  if (signal === 'lease-lost') {
    // Another replica leads: stop at once (the fence refuses this one's writes), and let Kubernetes restart it.
    http.drain();
    await daemon.stop(1_000);
    await http.close();
    logger.error(
      { replica },
      'stopped: this replica lost the writer lease (exit 3; it starts again as a standby)',
    );
    return ExitCode.OperationFailed;
  }
  logger.info(
    { signal, timeoutMs: shutdownMs },
    'stopping: no new webhooks; finishing the module operation in flight',
  );
  http.drain();
  await daemon.stop(shutdownMs);
  await http.close();
  logger.info({ appliedCommit: daemon.status().appliedCommit }, 'stopped');
  if (ctx.json) ctx.io.out(json({ ok: true, status: daemon.status() }));
  return ExitCode.Ok;
}
