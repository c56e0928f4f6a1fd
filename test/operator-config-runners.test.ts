// The operator config's typed hook runners (argv, http, exec, job) and byHook: what is accepted, what is refused with
// the field named (exit 2 at load), and that only the operator config can say where a hook runs — a module.json names
// a runner, never an endpoint, and ringlock.yaml has no say.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRunners, RUNNER_FACTORIES } from '../src/apply/hook-runner.js';
import { InputError } from '../src/errors.js';
import { type HookRunnerConfig, parseOperatorConfig } from '../src/model/operator-config.js';
import { validateSchema } from '../src/model/schema.js';
import { parseJsonSource } from '../src/model/source.js';
import { buildPlatform, scratch, show } from './fixtures-platform.js';

const HEAD = { apiVersion: 'ringlock/v1', kind: 'OperatorConfig' };

/** The operator config with these hooks, parsed; a refusal's diagnostics as `pointer: message (expected)` lines. */
function load(hooks: unknown): { config?: HookRunnerConfig; errors: string[] } {
  try {
    const { config } = parseOperatorConfig('operator.json', JSON.stringify({ ...HEAD, hooks }, null, 2));
    return { config: config.hooks, errors: [] };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    const details = (e.details ?? []) as { message: string; expected?: string }[];
    const lines = details.length > 0 ? details : [{ message: e.message, expected: e.expected }];
    return { errors: lines.map((d) => `${d.message} (${d.expected ?? ''})`) };
  }
}

const http = (extra: Record<string, unknown> = {}) => ({
  type: 'http',
  url: 'https://app.internal/ringlock/hooks',
  secretEnv: 'HOOK_KEY',
  ...extra,
});
const exec = (extra: Record<string, unknown> = {}) => ({
  type: 'exec',
  container: 'app',
  argv: ['php', 'artisan', 'module:hook', '{hook}'],
  ...extra,
});
const job = (extra: Record<string, unknown> = {}) => ({
  type: 'job',
  image: 'registry.example.com/shop@sha256:abc',
  argv: ['php', 'artisan', 'module:hook', '{hook}'],
  ...extra,
});

describe('operator config: hook runners', () => {
  it('accepts every kind in its documented shape, and the argv forms of before', () => {
    const { config, errors } = load({
      runners: {
        php: ['php', 'artisan', 'module:hook', '{hook}', '--context', '{contextFile}'],
        local: { argv: ['sh', '-c', '{hook}'], cwd: '/srv/app' },
        typed: { type: 'argv', argv: ['sh', '-c', '{hook}'] },
        web: http({ timeout: '30s', headers: { 'X-Platform': 'shop' }, tokenEnv: 'HOOK_TOKEN' }),
        loop: http({ url: 'http://127.0.0.1:8080/hooks' }),
        plain: http({ url: 'http://app.shop.svc:8080/hooks', insecure: true }),
        inpod: exec({ pod: { labelSelector: 'app=shop' }, namespace: 'shop', targetMount: '/app/modules' }),
        batch: job({
          namespace: 'shop',
          serviceAccountName: 'shop-hooks',
          volumes: [{ name: 'modules', persistentVolumeClaim: { claimName: 'modules' } }],
          volumeMounts: [{ name: 'modules', mountPath: '/app/modules' }],
          targetMount: '/app/modules',
          env: { APP_ENV: 'production' },
          ttlSecondsAfterFinished: 600,
          activeDeadlineSeconds: 900,
          resources: { limits: { memory: '512Mi' } },
          podTemplate: { metadata: { labels: { team: 'shop' } } },
        }),
      },
      byHook: { onInstall: 'batch', onEnable: 'web' },
      defaultRunner: 'php',
    });
    expect(errors).toEqual([]);
    expect(Object.keys(config!.runners!)).toHaveLength(8);
  });

  it('refuses a byHook or defaultRunner naming a runner that is not defined, naming the field', () => {
    expect(load({ runners: { php: ['php'] }, byHook: { onUpgrade: 'web' } }).errors).toEqual([
      '/hooks/byHook/onUpgrade: "web" is not one of hooks.runners (php)',
    ]);
    expect(load({ runners: { php: ['php'] }, byHook: { onBoot: 'php' } }).errors[0]).toContain(
      '/hooks/byHook/onBoot: unknown property "onBoot"',
    );
  });

  it("an http runner's endpoint: https, or http to loopback or with insecure; no credentials in the URL or headers", () => {
    const one = (spec: unknown) => load({ runners: { web: spec } }).errors;
    expect(one(http({ url: 'http://app.shop.svc:8080/hooks' }))[0]).toContain(
      '/hooks/runners/web/url: plain http:// is allowed only to a loopback host',
    );
    expect(one(http({ url: 'http://[::1]:8080/hooks' }))).toEqual([]);
    expect(one(http({ url: 'https://user:pw@app.internal/hooks' })).join('\n')).toMatch(
      /\/hooks\/runners\/web\/url/,
    );
    expect(one(http({ url: 'ftp://app.internal/hooks' }))[0]).toContain('/hooks/runners/web/url');
    expect(one(http({ headers: { Authorization: 'Bearer x' } }))[0]).toContain(
      '/hooks/runners/web/headers/Authorization: ringlock sets this header itself or it carries a credential',
    );
    expect(one(http({ headers: { 'X-Ringlock-Signature': 'x' } }))[0]).toContain('X-Ringlock-Signature');
    expect(one(http({ secretEnv: undefined }))[0]).toContain('missing required property "secretEnv"');
    expect(one(http({ secretEnv: 'not a name' }))[0]).toContain('/hooks/runners/web/secretEnv');
    expect(one(http({ timeout: 'soon' }))[0]).toContain('/hooks/runners/web/timeout');
  });

  it('an unknown key of a typed runner lists the keys of its own kind', () => {
    const d = validateSchema(
      'operator',
      parseJsonSource(
        'operator.json',
        JSON.stringify({ ...HEAD, hooks: { runners: { k: exec({ image: 'x' }) } } }),
      ),
    );
    expect(d).toHaveLength(1);
    expect(d[0]!.pointer).toBe('/hooks/runners/k/image');
    expect(d[0]!.expected).toBe('one of: type, container, pod, namespace, argv, targetMount');
  });

  it('exec and job: the shape is strict, and {contextFile} (a path on ringlock’s side) is refused', () => {
    const one = (spec: unknown) => load({ runners: { k: spec } }).errors;
    expect(one(exec({ container: undefined }))[0]).toContain('missing required property "container"');
    expect(one(exec({ container: 'App_1' }))[0]).toContain('/hooks/runners/k/container');
    expect(one(exec({ pod: {} }))[0]).toContain('/hooks/runners/k/pod');
    expect(one(exec({ argv: ['php', '{contextFile}'] }))[0]).toContain(
      "/hooks/runners/k/argv/1: {contextFile} is a path on ringlock's side, which the exec runner's container cannot read (read the context from stdin)",
    );
    expect(one(job({ argv: ['php', '{contextFile}'] }))[0]).toContain('RINGLOCK_CONTEXT');
    expect(one(job({ image: 'has space' }))[0]).toContain('/hooks/runners/k/image');
    expect(one(job({ env: { 'BAD-NAME': 'x' } }))[0]).toContain('BAD-NAME');
    expect(one(job({ ttlSecondsAfterFinished: -1 }))[0]).toContain(
      '/hooks/runners/k/ttlSecondsAfterFinished',
    );
    expect(one(job({ volumeMounts: [{ name: 'm', mountPath: 'relative' }] }))[0]).toContain(
      '/hooks/runners/k/volumeMounts/0/mountPath',
    );
    expect(one({ type: 'lambda', argv: ['x'] })[0]).toContain('/hooks/runners/k/type');
  });

  it('a kind this build has no factory for is refused at start, naming the runner', () => {
    const { config } = load({ runners: { inpod: exec() } });
    expect(() => buildRunners(config, RUNNER_FACTORIES, {})).toThrow(
      'hooks.runners.inpod: this ringlock cannot build a runner of type exec',
    );
  });
});

describe('where a hook runs is the operator’s alone', () => {
  it('a module.json names a runner by name only: an endpoint or a runner definition there is refused', () => {
    const manifest = (runner: unknown) =>
      validateSchema(
        'module',
        parseJsonSource(
          'module.json',
          JSON.stringify({
            name: 'orders',
            version: '1.0.0',
            lifecycle: { onInstall: { ref: 'x', runner } },
          }),
        ),
      );
    expect(manifest('web')).toEqual([]);
    expect(manifest('https://evil.example/hooks').length).toBeGreaterThan(0);
    expect(
      manifest({ type: 'http', url: 'https://evil.example/hooks', secretEnv: 'K' }).length,
    ).toBeGreaterThan(0);
  });

  it('ringlock.yaml cannot define runners (exit 2, nothing applied)', async (t) => {
    const root = scratch(t, 'runner-config');
    const p = await buildPlatform(root, { orders: { version: '1.0.0' } });
    const cfg = join(p.repo, 'ringlock.yaml');
    const { readFileSync } = await import('node:fs');
    writeFileSync(
      cfg,
      `${readFileSync(cfg, 'utf8')}hooks:\n  runners:\n    web: {type: http, url: "https://evil.example/", secretEnv: K}\n`,
    );
    const r = await p.apply();
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('hooks');
    expect(p.state().modules).toEqual({});
  });

  it('an operator config naming an undefined runner in byHook stops apply at load (exit 2)', async (t) => {
    const root = scratch(t, 'runner-config');
    const p = await buildPlatform(root, { orders: { version: '1.0.0' } });
    const op = join(root, 'operator.json');
    writeFileSync(
      op,
      JSON.stringify({ ...HEAD, hooks: { runners: { r: ['sh'] }, byHook: { onInstall: 'php' } } }),
    );
    const r = await p.apply(['--operator-config', op]);
    expect(r.code, show(r)).toBe(2);
    expect(r.stderr).toContain('/hooks/byHook/onInstall');
    expect(p.state().modules).toEqual({});
  });
});
