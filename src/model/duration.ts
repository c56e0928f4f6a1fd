const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Parses `30s`, `1h30m`, `7d`, `0` into milliseconds. The schema has already checked the shape. */
export function parseDuration(text: string): number {
  if (text === '0') return 0;
  let total = 0;
  for (const m of text.matchAll(/([0-9]+)(ms|s|m|h|d|w)/g)) total += Number(m[1]) * UNIT_MS[m[2]!]!;
  return total;
}
