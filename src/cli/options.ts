// Flags several commands share: durations, bounded numbers, and the plan's policy (--prune, --platform, --adopt,
// --no-drift-check).
import { InputError } from '../errors.js';
import { parseDuration } from '../model/duration.js';
import { isSemver } from '../model/semantics.js';
import type { PlanOptions } from '../reconcile/types.js';
import { stringOpt } from './common.js';
import type { CommandContext } from './spec.js';

export function msOpt(ctx: CommandContext, name: string, fallback: number): number {
  const v = stringOpt(ctx, name);
  if (v === undefined) return fallback;
  if (!/^(?:0|(?:[0-9]+(?:ms|s|m|h|d|w))+)$/.test(v)) {
    throw new InputError('cli/duration', `--${name} ${v}: not a duration`, {
      expected: 'e.g. 30s, 5m, 1h30m',
    });
  }
  return parseDuration(v);
}

/** Longest `--reason`: a sentence or two for the audit record, not a document. */
export const MAX_REASON = 500;

/** `--reason TEXT`, the actor's why for the history: one line of printable text. */
export function reasonOpt(ctx: CommandContext): string | undefined {
  const v = stringOpt(ctx, 'reason');
  if (v === undefined) return undefined;
  const text = v.trim();
  if (text === '' || text.length > MAX_REASON || /[\u0000-\u001f\u007f]/.test(text)) {
    throw new InputError('cli/reason', `--reason: not one line of text of 1 to ${MAX_REASON} characters`, {
      expected: 'e.g. --reason "hotfix for INC-1234"',
    });
  }
  return text;
}

export function intOpt(
  ctx: CommandContext,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = stringOpt(ctx, name);
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new InputError('cli/number', `--${name} ${v}: not a whole number from ${min} to ${max}`, {
      expected: `${min}–${max}`,
    });
  }
  return n;
}

/** `--platform`, refused unless a semantic version. */
export function platformOpt(ctx: CommandContext): string | undefined {
  const platform = stringOpt(ctx, 'platform');
  if (platform !== undefined && !isSemver(platform)) {
    throw new InputError('cli/platform', `--platform ${platform}: not a semantic version`, {
      expected: 'a version like 2.0.0',
    });
  }
  return platform;
}

/** How `plan` and `apply` observe and plan (the platform flag is checked after the drift check, as always). */
export function planOptions(ctx: CommandContext): PlanOptions {
  return {
    quickDrift: ctx.options['no-drift-check'] === true,
    prune: ctx.options.prune === true,
    platform: () => platformOpt(ctx),
    adopt: ctx.options.adopt === true,
  };
}
