// An OCI registry (GHCR, Harbor, ECR, the CNCF distribution registry) as an ArtifactRegistry: a module version is one
// OCI artifact — an empty config, one layer (the reproducible tgz), artifactType application/vnd.ringlock.module.v1 —
// tagged with its version in `<prefix>/<module>`; it is pulled by the manifest digest the lock records, the manifest and
// the layer checked against it before a byte is kept.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import type http from 'node:http';
import { InputError, OperationFailed, TransientError } from '../../errors.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_MAX_SIZE } from './http.js';
import { defaultSleep, type RetryPolicy, retrying } from './http-retry.js';
import { downloadBlob, sha256File } from './oci-blob.js';
import { type Body, classify, expectStatus, OciClient, readLimited } from './oci-client.js';
import { buildManifest, checkManifest, EMPTY_CONFIG } from './oci-manifest.js';
import {
  fullRepository,
  MANIFEST_TYPE,
  moduleRepository,
  type OciLocation,
  parseOciUrl,
  pullTarget,
  versionTag,
} from './oci-ref.js';
import {
  type ArtifactRef,
  type ArtifactRegistry,
  checkPublish,
  type PublishFile,
  type PublishMeta,
} from './types.js';

export interface OciRegistryOptions {
  /** `oci://host[:port]/prefix`. */
  url: string;
  /** The variable holding the password or token (read on every request, never shown). */
  tokenEnv?: string;
  /** The variable holding the user name for the token service or Basic auth (default RINGLOCK_REGISTRY_USER). */
  userEnv?: string;
  /** Plain HTTP (true), https (false); unset: plain HTTP only for a loopback host. */
  insecure?: boolean;
  /** Whether the operator allows the credentials at a URL other than the registry's (its token service). */
  credentialsAllowed?: (url: string) => boolean;
  timeoutMs?: number;
  idleTimeoutMs?: number;
  maxSize?: number;
  deadlineMs?: number;
  retries?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
  agent?: http.Agent;
  ca?: string | Buffer | Array<string | Buffer>;
  env?: Record<string, string | undefined>;
}

const MANIFEST_MAX = 4 * 1024 * 1024;

export class OciRegistry implements ArtifactRegistry {
  readonly location: string;
  private readonly loc: OciLocation;
  private readonly client: OciClient;
  private readonly retry: RetryPolicy;
  private readonly maxSize: number;
  private readonly deadlineMs: number;
  private readonly idleMs: number;

  constructor(o: OciRegistryOptions) {
    this.loc = parseOciUrl(o.url, o.insecure);
    this.location = `oci://${this.loc.host}/${this.loc.prefix}`;
    const timeoutMs = o.timeoutMs ?? 30_000;
    this.client = new OciClient({
      loc: this.loc,
      tokenEnv: o.tokenEnv,
      userEnv: o.userEnv,
      env: o.env ?? process.env,
      insecure: this.loc.protocol === 'http:',
      credentialsAllowed: o.credentialsAllowed,
      timeoutMs,
      ca: o.ca,
      agent: o.agent,
    });
    this.retry = {
      retries: o.retries ?? 3,
      backoffBaseMs: o.backoffBaseMs ?? 200,
      backoffCapMs: o.backoffCapMs ?? 5_000,
      sleep: o.sleep ?? defaultSleep,
      random: o.random ?? Math.random,
    };
    this.maxSize = o.maxSize ?? DEFAULT_MAX_SIZE;
    this.deadlineMs = o.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.idleMs = o.idleTimeoutMs ?? timeoutMs;
  }

  async fetch(ref: ArtifactRef, dest: string, signal?: AbortSignal): Promise<void> {
    const what = `${ref.module}@${ref.version}`;
    const t = pullTarget(ref.module, ref.version, ref.artifact, ref.digest);
    const repo = fullRepository(this.loc, t.rel);
    const scope = `repository:${repo}:pull`;
    const ms = this.deadlineMs;
    const deadline = new AbortController();
    const timer =
      ms > 0 &&
      setTimeout(
        () =>
          deadline.abort(
            new TransientError(
              'registry/deadline',
              `${what}: ${this.location} not downloaded within ${ms} ms`,
              {
                expected: 'the download to finish within registry.deadline (raise it for a slow registry)',
              },
            ),
          ),
        ms,
      );
    const cancel = () => deadline.abort(signal?.reason);
    if (signal?.aborted) cancel();
    else signal?.addEventListener('abort', cancel, { once: true });
    try {
      const reference = t.digest ?? versionTag(ref.version);
      const manifest = await this.attempts(what, deadline.signal, () =>
        this.getManifest(repo, reference, scope, what, deadline.signal),
      );
      const layer = checkManifest(manifest, {
        what,
        digest: t.digest,
        module: ref.module,
        version: ref.version,
      });
      if (ref.size !== undefined && layer.size !== ref.size) {
        throw new OperationFailed('integrity/size', `${what}: the manifest's layer has ${layer.size} bytes`, {
          expected: `${ref.size} bytes (the lock's artifact_size)`,
        });
      }
      if (layer.size > this.maxSize && ref.size === undefined) {
        throw new OperationFailed('registry/too-large', `${what}: the layer has ${layer.size} bytes`, {
          expected: `at most registry.maxSize (${this.maxSize} bytes), or an artifact_size in the lock`,
        });
      }
      await this.attempts(what, deadline.signal, () =>
        downloadBlob({
          client: this.client,
          url: `/v2/${repo}/blobs/${layer.digest}`,
          digest: layer.digest,
          size: layer.size,
          scope,
          dest,
          what,
          signal: deadline.signal,
          idleMs: this.idleMs,
          location: this.location,
        }),
      );
    } finally {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', cancel);
    }
  }

  async publish(
    module: string,
    version: string,
    files: PublishFile[],
    meta: PublishMeta = {},
  ): Promise<{ artifact: string; digest: string }> {
    checkPublish(module, version, files);
    const rel = moduleRepository(module);
    const repo = fullRepository(this.loc, rel);
    const tag = versionTag(version);
    const scope = `repository:${repo}:pull,push`;
    const what = `${module}@${version}`;
    const archive = files[0]!;
    const layer = { digest: await sha256File(archive.path), size: statSync(archive.path).size };
    const body = buildManifest({ module, version, layer, title: archive.name, meta });
    const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
    // A release is immutable: the tag may already name this very manifest (published before), nothing else.
    const existing = await this.attempts(what, undefined, () => this.headManifest(repo, tag, scope, what));
    if (existing !== undefined && existing !== digest) {
      throw new InputError(
        'registry/immutable',
        `${what}: ${this.location} already has ${repo}:${tag} as ${existing}`,
        {
          expected: 'a new version number for changed content (releases are immutable)',
        },
      );
    }
    if (existing === undefined) {
      await this.pushBlob(repo, scope, EMPTY_CONFIG.digest, EMPTY_CONFIG.bytes, what);
      await this.pushBlob(repo, scope, layer.digest, { file: archive.path, size: layer.size }, what);
      await this.attempts(what, undefined, async () => {
        const res = await this.client.send({
          method: 'PUT',
          url: `/v2/${repo}/manifests/${tag}`,
          scope,
          headers: { 'content-type': MANIFEST_TYPE },
          body,
          what,
        });
        await expectStatus(res, [201], `PUT manifest ${repo}:${tag}`, what, this.location);
        const said = res.headers['docker-content-digest'];
        if (typeof said === 'string' && said !== digest) {
          throw new OperationFailed(
            'registry/digest',
            `${what}: the registry stored the manifest as ${said}`,
            {
              expected: digest,
            },
          );
        }
      });
    }
    return { artifact: `${rel}@${digest}`, digest };
  }

  private attempts<T>(what: string, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    return retrying(
      this.retry,
      signal,
      fn,
      (e) => classify(e, what, this.client.origin),
      (n, r) =>
        new TransientError(
          'registry/unavailable',
          `${what}: ${this.location} failed after ${n} attempt(s): ${r.message}`,
          {
            cause: r.cause ?? r,
            expected: 'the registry to answer; try again later',
          },
        ),
    );
  }

  private async getManifest(
    repo: string,
    reference: string,
    scope: string,
    what: string,
    signal: AbortSignal,
  ) {
    const res = await this.client.send({
      method: 'GET',
      url: `/v2/${repo}/manifests/${reference}`,
      scope,
      headers: { accept: MANIFEST_TYPE },
      what,
      signal,
    });
    if (res.statusCode !== 200)
      await expectStatus(res, [200], `GET manifest ${repo}@${reference}`, what, this.location);
    return readLimited(res, MANIFEST_MAX, `${what}: the manifest`);
  }

  /** The digest the tag names now, or undefined when there is no such tag. */
  private async headManifest(
    repo: string,
    tag: string,
    scope: string,
    what: string,
  ): Promise<string | undefined> {
    const res = await this.client.send({
      method: 'HEAD',
      url: `/v2/${repo}/manifests/${tag}`,
      scope,
      headers: { accept: MANIFEST_TYPE },
      what,
    });
    res.resume();
    if (res.statusCode === 404) return undefined;
    await expectStatus(res, [200], `HEAD manifest ${repo}:${tag}`, what, this.location);
    const d = res.headers['docker-content-digest'];
    return typeof d === 'string' ? d : 'an unknown digest';
  }

  /** HEAD to skip a blob the repository has, else POST an upload and PUT it whole. */
  private async pushBlob(repo: string, scope: string, digest: string, body: Body, what: string) {
    await this.attempts(what, undefined, async () => {
      const head = await this.client.send({
        method: 'HEAD',
        url: `/v2/${repo}/blobs/${digest}`,
        scope,
        what,
      });
      head.resume();
      if (head.statusCode === 200) return;
      if (head.statusCode !== 404)
        await expectStatus(head, [200], `HEAD blob ${digest}`, what, this.location);
      const post = await this.client.send({ method: 'POST', url: `/v2/${repo}/blobs/uploads/`, scope, what });
      await expectStatus(post, [202], `POST upload to ${repo}`, what, this.location);
      const location = post.headers.location;
      if (!location)
        throw new OperationFailed('registry/upload', `${what}: the registry gave no upload location`);
      const put = new URL(location, this.client.origin);
      if (put.origin !== this.client.origin) {
        throw new OperationFailed(
          'registry/upload',
          `${what}: the upload location is on ${put.host}, not the registry`,
        );
      }
      put.searchParams.set('digest', digest);
      const res = await this.client.send({
        method: 'PUT',
        url: put,
        scope,
        headers: { 'content-type': 'application/octet-stream' },
        body,
        what,
      });
      await expectStatus(res, [201], `PUT blob ${digest}`, what, this.location);
    });
  }
}
