// Where the Valkey/Redis is: a URL in the operator's environment (RINGLOCK_REDIS_URL, or the variable the operator
// config's redis.urlEnv names). It is never printed with its password: messages name host and port only.
import { InputError } from '../errors.js';
import type { RedisConfig } from '../model/operator-config.js';
import { redactUrl } from '../redact.js';
import { DEFAULT_URL_ENV } from './keys.js';

export function redisUrlFromEnv(env: NodeJS.ProcessEnv, cfg: RedisConfig | undefined): string {
  const name = cfg?.urlEnv ?? DEFAULT_URL_ENV;
  const url = env[name];
  if (url === undefined || url === '')
    throw new InputError('redis/url', `${name} is not set: the pointer target needs the Valkey/Redis URL`, {
      expected: `${name}=redis://host:6379/0 in ringlock's environment (the operator's; never in ringlock.yaml)`,
    });
  let ok = false;
  try {
    ok = /^rediss?:$/.test(new URL(url).protocol);
  } catch {
    ok = false;
  }
  if (!ok)
    throw new InputError(
      'redis/url',
      `${name}: not a redis:// or rediss:// URL (${redactUrl(url).slice(0, 80)})`,
      {
        expected: 'redis://[user:password@]host:port/db',
      },
    );
  return url;
}

/** host:port of a Redis URL, for messages. */
export function redisAddress(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname || 'localhost'}:${u.port || '6379'}`;
  } catch {
    return '(the Redis server)';
  }
}
