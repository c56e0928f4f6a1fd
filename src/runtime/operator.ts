// The operator's trust policy for one caller: the operator config (--operator-config / RINGLOCK_OPERATOR_CONFIG)
// plus the environment (RINGLOCK_ALLOWED_HOSTS, RINGLOCK_DESTINATIONS, RINGLOCK_GITHUB_API_URL, GITHUB_API_URL,
// RINGLOCK_MODULE_ENV, RINGLOCK_MODULE_USER). Nothing here is read from the repository.
import { resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { OperatorConfig } from '../model/operator-config.js';
import { loadOperatorConfig } from '../source/operator-config.js';
import { type HostRule, parseHostRule, type TrustPolicy } from '../trust/policy.js';
import type { RuntimeInput } from './types.js';

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

function hostRules(values: string[], from: string): HostRule[] {
  return values.map((v) => {
    const r = parseHostRule(v);
    if (!r)
      throw new InputError('cli/env', `${from}: "${v.slice(0, 80)}" is not a host`, {
        expected:
          'host names or IPs, optionally :port, or *.domain, separated by commas (no scheme, no path)',
      });
    return r;
  });
}

function httpUrl(value: string | undefined, from: string): string | undefined {
  if (value === undefined || value === '') return undefined;
  let ok = false;
  try {
    ok = /^https?:$/.test(new URL(value).protocol);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new InputError('cli/env', `${from}: not an http(s) URL`, {
      expected: 'e.g. https://ghe.example.com/api/v3',
    });
  return value;
}

/** `NAME@host,NAME@host:port,…` → NAME → host rules. */
function credentialRules(value: string | undefined): [string, HostRule[]][] {
  return list(value).map((item) => {
    const at = item.indexOf('@');
    const name = at > 0 ? item.slice(0, at) : '';
    if (!ENV_NAME.test(name))
      throw new InputError('cli/env', `RINGLOCK_DESTINATIONS: "${item.slice(0, 80)}" is not NAME@host`, {
        expected: 'e.g. REGISTRY_TOKEN@registry.example.com,NOTIFY_SECRET@hooks.example.com:8443',
      });
    return [name, hostRules([item.slice(at + 1)], 'RINGLOCK_DESTINATIONS')];
  });
}

/** `uid:gid` (numbers) → the module user. */
function moduleUser(value: string | undefined): { uid: number; gid: number } | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(\d{1,10}):(\d{1,10})$/.exec(value.trim());
  if (!m || Number(m[1]) > 4294967294 || Number(m[2]) > 4294967294)
    throw new InputError('cli/env', `RINGLOCK_MODULE_USER=${value.slice(0, 40)}: not uid:gid`, {
      expected: 'numeric ids, e.g. 65534:65534',
    });
  return { uid: Number(m[1]), gid: Number(m[2]) };
}

const cache = new WeakMap<RuntimeInput, TrustPolicy>();
const configs = new WeakMap<RuntimeInput, OperatorConfig>();

/** The operator config itself (for settings the policy does not carry: `publish`), read once per input. */
export function operatorConfigOf(input: RuntimeInput): OperatorConfig | undefined {
  operatorPolicy(input);
  return configs.get(input);
}

/** The policy for this input (flags and environment), read once per input object. */
export function operatorPolicy(input: RuntimeInput): TrustPolicy {
  const hit = cache.get(input);
  if (hit) return hit;
  const env = input.env;
  const sources: string[] = [];
  const flag = input.options['operator-config'];
  const file = typeof flag === 'string' ? flag : env.RINGLOCK_OPERATOR_CONFIG || undefined;
  const op = file ? loadOperatorConfig(resolve(input.cwd, file), file).config : undefined;
  if (file) sources.push(file);
  const envHosts = list(env.RINGLOCK_ALLOWED_HOSTS);
  if (envHosts.length > 0) sources.push('RINGLOCK_ALLOWED_HOSTS');
  const passEnv = list(env.RINGLOCK_MODULE_ENV);
  const bad = passEnv.find((n) => !ENV_NAME.test(n));
  if (bad !== undefined)
    throw new InputError('cli/env', `RINGLOCK_MODULE_ENV: "${bad.slice(0, 80)}" is not a variable name`, {
      expected: 'names of environment variables separated by commas',
    });
  const credentials = new Map<string, HostRule[]>();
  const bind = (name: string, rules: HostRule[]) =>
    credentials.set(name, [...(credentials.get(name) ?? []), ...rules]);
  for (const [name, hosts] of Object.entries(op?.credentials ?? {}))
    bind(name, hostRules(hosts, `${file}: credentials.${name}`));
  const envCredentials = credentialRules(env.RINGLOCK_DESTINATIONS);
  if (envCredentials.length > 0) sources.push('RINGLOCK_DESTINATIONS');
  for (const [name, rules] of envCredentials) bind(name, rules);
  const policy: TrustPolicy = {
    allowedHosts: [
      ...(op?.allowedHosts ? hostRules(op.allowedHosts, `${file}: allowedHosts`) : []),
      ...hostRules(envHosts, 'RINGLOCK_ALLOWED_HOSTS'),
    ],
    credentials,
    registry: op?.registry,
    githubApiUrl:
      httpUrl(env.RINGLOCK_GITHUB_API_URL, 'RINGLOCK_GITHUB_API_URL') ?? op?.github?.apiUrl ?? undefined,
    githubApiUrlDefault: httpUrl(env.GITHUB_API_URL, 'GITHUB_API_URL'),
    moduleEnv: {
      pass: [...new Set([...(op?.moduleEnv?.pass ?? []), ...passEnv])],
      set: { ...(op?.moduleEnv?.set ?? {}) },
      user: moduleUser(env.RINGLOCK_MODULE_USER) ?? op?.moduleUser,
    },
    hooks: op?.hooks,
    redis: op?.redis,
    pointer: op?.pointer,
    sources,
  };
  cache.set(input, policy);
  if (op) configs.set(input, op);
  return policy;
}
