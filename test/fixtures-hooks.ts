// The AutoCom-shaped fixture of the hook tests: lifecycle hooks as PHP classes, run through the operator's `php` runner,
// a fake `php` first on PATH that records its argv, the context file and where the module's link pointed.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildPlatform, HOOK_ENV, type Platform, type Run, scratch, show } from './fixtures-platform.js';

export type Ctx = { onTestFinished(fn: () => void): void };

/** Records `<RL_HOOK_OUT>/<hook>-<module>-<toVersion>[-<tenant>].{argv,ctx.json,mode}`; fails for RL_PHP_FAIL entries. */
export const FAKE_PHP = `#!/bin/sh
out="$RL_HOOK_OUT"
mkdir -p "$out"
n="$out/$RINGLOCK_HOOK-$RINGLOCK_MODULE-$RINGLOCK_TO_VERSION\${RINGLOCK_TENANT:+-$RINGLOCK_TENANT}"
: > "$n.argv"
for a in "$@"; do printf '%s\\n' "$a" >> "$n.argv"; done
cat "$RINGLOCK_CONTEXT_FILE" > "$n.ctx.json"
stat -c %a "$RINGLOCK_CONTEXT_FILE" > "$n.mode"
echo "$RINGLOCK_CONTEXT_FILE" > "$n.path"
echo "$(readlink "$RL_TARGET/$RINGLOCK_MODULE" 2>/dev/null)" > "$n.link"
key="$RINGLOCK_HOOK:$RINGLOCK_MODULE\${RINGLOCK_TENANT:+:$RINGLOCK_TENANT}"
case " \${RL_PHP_FAIL:-} " in *" $key "*) echo "php refuses $key" >&2; exit 1;; esac
exit 0
`;

const ns = (m: string) => `Modules\\${m[0]!.toUpperCase()}${m.slice(1)}\\App\\Lifecycle`;

/** AutoCom's lifecycle block, plus the hook points ringlock adds. */
export const lifecycle = (m: string) => ({
  onInstall: `${ns(m)}\\OnInstall`,
  onUpgrade: `${ns(m)}\\OnUpgrade`,
  onDowngrade: `${ns(m)}\\OnDowngrade`,
  afterSwitch: `${ns(m)}\\AfterSwitch`,
  onRemove: `${ns(m)}\\OnRemove`,
  onEnable: `${ns(m)}\\OnEnable`,
  onDisable: `${ns(m)}\\OnDisable`,
});

export interface Setup {
  p: Platform;
  /** apply with the operator config, the fake php first on PATH, and `extra` env. */
  apply(args?: string[], extra?: Record<string, string>): Promise<Run>;
  read(name: string): string | undefined;
  /** `plan --json` with the operator config, parsed. */
  plan(): Promise<{ actions: Array<Record<string, unknown>>; tenants?: unknown }>;
}

export async function setup(
  t: Ctx,
  runners = true,
  tenants?: Record<string, string>,
  targetConfig?: string,
): Promise<Setup> {
  const root = scratch(t, 'hook-runners');
  const p = await buildPlatform(
    root,
    { orders: { version: '1.0.0', lifecycle: lifecycle('orders') } },
    { targetConfig },
  );
  if (tenants) writeTenants(p, tenants);
  const bin = join(root, 'bin');
  mkdirSync(bin);
  writeFileSync(join(bin, 'php'), FAKE_PHP);
  chmodSync(join(bin, 'php'), 0o755);
  const op = join(root, 'operator.yaml');
  writeFileSync(
    op,
    `apiVersion: ringlock/v1
kind: OperatorConfig
${
  runners
    ? `hooks:
  runners:
    php: ["php", "artisan", "module:hook", "{hook}", "--context", "{contextFile}"]
`
    : ''
}`,
  );
  return {
    p,
    apply: (args = [], extra = {}) =>
      p.apply(['--operator-config', op, ...args], {
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          RL_HOOK_OUT: p.out,
          RL_TARGET: p.target,
          RINGLOCK_MODULE_ENV: `${HOOK_ENV} RL_PHP_FAIL RL_TARGET`,
          ...extra,
        },
      }),
    plan: async () =>
      JSON.parse((await p.ok(['plan', '--ring', 'canary', '--json', '--operator-config', op])).stdout),
    read: (name) => {
      const f = join(p.out, name);
      return existsSync(f) ? readFileSync(f, 'utf8') : undefined;
    },
  };
}

export const ok = (r: Run) => expect(r.code, show(r)).toBe(0);

/** rings/tenants.yaml: tenant → ring. */
export function writeTenants(p: Platform, tenants: Record<string, string>): void {
  writeFileSync(
    join(p.repo, 'rings', 'tenants.yaml'),
    `tenants:\n${Object.entries(tenants)
      .map(([t, r]) => `  ${t}: ${r}\n`)
      .join('')}`,
  );
}
