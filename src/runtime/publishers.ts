// The publishers of what a ring has active, built from the operator config's `publish` section by a list of
// factories: the file in the target (src/publish/), the ConfigMap (src/kube/) and the Redis keys (src/redis/). A setting the operator gave that no factory handles is refused at start, never silently ignored.
import { InputError } from '../errors.js';
import { configMapPublisherFactory } from '../kube/configmap-publisher.js';
import { filePublisherFactory } from '../publish/file.js';
import type { ActivePublisher, PublisherContext, PublisherFactory } from '../publish/types.js';
import { redisPublisherFactory } from '../redis/publisher.js';
import { PointerTarget } from '../targets/pointer/pointer-target.js';
import type { DeployTarget } from '../targets/types.js';
import { operatorConfigOf } from './operator.js';
import type { RuntimeInput } from './types.js';

/** One factory and the `publish` setting it answers to (`file`, `configMap`, `redis`). */
export interface PublisherEntry {
  setting: 'file' | 'configMap' | 'redis';
  factory: PublisherFactory;
}

export const PUBLISHER_FACTORIES: readonly PublisherEntry[] = [
  { setting: 'file', factory: filePublisherFactory },
  {
    setting: 'configMap',
    factory: (ctx) => configMapPublisherFactory({ ...ctx, operator: ctx.operator ?? {} }),
  },
  {
    setting: 'redis',
    factory: (ctx) => redisPublisherFactory({ operator: ctx.operator ?? {}, env: ctx.env, ring: ctx.ring }),
  },
];

/**
 * The publishers the operator enabled for this target and ring. Throws InputError (exit 2) when `publish.configMap`
 * or `publish.redis` is set and this build has no publisher for it.
 */
export function buildPublishers(
  ctx: PublisherContext,
  factories: readonly PublisherEntry[] = PUBLISHER_FACTORIES,
  /** The operator config's file, for the message. */
  file?: string,
): ActivePublisher[] {
  const p = ctx.operator?.publish;
  const wanted: PublisherEntry['setting'][] = [];
  if (p?.configMap !== undefined) wanted.push('configMap');
  if (p?.redis === true) wanted.push('redis');
  for (const w of wanted)
    if (!factories.some((f) => f.setting === w))
      throw new InputError(
        'operator/publish',
        `publish.${w} is set, but this ringlock has no ${w} publisher`,
        {
          ...(file !== undefined ? { file } : {}),
          expected: `a ringlock build with the ${w} publisher, or publish.${w} removed from the operator config`,
        },
      );
  // The pointer target writes the ring document and the tenant keys itself: a second writer of the same keys would
  // race it (and the Redis publisher names a folder path, not the bundle's URL).
  if (p?.redis === true && ctx.target instanceof PointerTarget)
    throw new InputError(
      'operator/publish',
      'publish.redis is set, but the pointer target already writes these keys (the ring document and every tenant key)',
      {
        ...(file !== undefined ? { file } : {}),
        expected: 'publish.redis removed from the operator config (it is for folder targets)',
      },
    );
  const out: ActivePublisher[] = [];
  for (const f of factories) {
    const built = f.factory(ctx);
    if (built) out.push(built);
  }
  return out;
}

/** The publishers for a command or the daemon: the operator config of `input`, its environment. */
export function publishersFor(input: RuntimeInput, target: DeployTarget, ring: string): ActivePublisher[] {
  const flag = input.options['operator-config'];
  const file = typeof flag === 'string' ? flag : input.env.RINGLOCK_OPERATOR_CONFIG || undefined;
  return buildPublishers(
    { operator: operatorConfigOf(input), target, ring, env: input.env },
    PUBLISHER_FACTORIES,
    file,
  );
}
