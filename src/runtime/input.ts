// Reading one setting from a RuntimeInput: the flag wins, then the environment variable (an empty one counts as unset).
import { isAbsolute, resolve } from 'node:path';
import type { RuntimeInput } from './types.js';

export function pick(input: RuntimeInput, flag: string, env: string): string | undefined {
  const v = input.options[flag];
  if (typeof v === 'string') return v;
  const e = input.env[env];
  return e !== undefined && e !== '' ? e : undefined;
}

/** `p` as an absolute path, relative ones taken from `from`. */
export function rel(p: string, from: string): string {
  return isAbsolute(p) ? p : resolve(from, p);
}
