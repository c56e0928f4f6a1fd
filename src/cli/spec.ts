// The command table: every command's definition (name, options, help text, lazy load) lives beside it in
// commands/<command>.spec.ts; this file lists them in help order. Kept free of heavy imports so `--help` starts
// fast: each command's implementation is loaded only when it runs.

import { applySpec } from './commands/apply.spec.js';
import { checkSpec } from './commands/check.spec.js';
import { compatSpec } from './commands/compat.spec.js';
import { daemonSpec } from './commands/daemon.spec.js';
import { hashSpec } from './commands/hash.spec.js';
import { historySpec } from './commands/history.spec.js';
import { importSpec } from './commands/import.spec.js';
import { initSpec } from './commands/init.spec.js';
import { installSpec } from './commands/install.spec.js';
import { listSpec } from './commands/list.spec.js';
import { lockSpec } from './commands/lock.spec.js';
import { packSpec } from './commands/pack.spec.js';
import { planSpec } from './commands/plan.spec.js';
import { promoteSpec } from './commands/promote.spec.js';
import { publishSpec } from './commands/publish.spec.js';
import { resumeSpec } from './commands/resume.spec.js';
import { retrySpec } from './commands/retry.spec.js';
import { revertSpec } from './commands/revert.spec.js';
import { ringAssignSpec } from './commands/ring-assign.spec.js';
import { ringListSpec } from './commands/ring-list.spec.js';
import { ringShowSpec } from './commands/ring-show.spec.js';
import { rollbackSpec } from './commands/rollback.spec.js';
import { stateMigrateSpec } from './commands/state-migrate.spec.js';
import { stateSchemaSpec } from './commands/state-schema.spec.js';
import { statusSpec } from './commands/status.spec.js';
import { suspendSpec } from './commands/suspend.spec.js';
import { upgradeSpec } from './commands/upgrade.spec.js';
import { verifySpec } from './commands/verify.spec.js';
import { waitSpec } from './commands/wait.spec.js';
import type { CommandSpec } from './spec-types.js';

export { GLOBAL_OPTIONS } from './spec-options.js';
export type { CommandContext, CommandModule, CommandSpec, OptionSpec, PositionalSpec } from './spec-types.js';

export const COMMANDS: CommandSpec[] = [
  initSpec,
  importSpec,
  lockSpec,
  verifySpec,
  compatSpec,
  ringListSpec,
  ringShowSpec,
  ringAssignSpec,
  promoteSpec,
  revertSpec,
  planSpec,
  applySpec,
  listSpec,
  historySpec,
  statusSpec,
  installSpec,
  upgradeSpec,
  rollbackSpec,
  retrySpec,
  daemonSpec,
  suspendSpec,
  resumeSpec,
  stateSchemaSpec,
  stateMigrateSpec,
  waitSpec,
  packSpec,
  publishSpec,
  hashSpec,
  checkSpec,
];
