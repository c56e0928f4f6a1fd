// The operator's trust policy for one command (src/runtime/operator.ts, given the command's input), read once.
import { operatorPolicy as operatorPolicyOf } from '../runtime/operator.js';
import type { TrustPolicy } from '../trust/policy.js';
import { runtimeInput } from './runtime.js';
import type { CommandContext } from './spec.js';

export function operatorPolicy(ctx: CommandContext): TrustPolicy {
  return operatorPolicyOf(runtimeInput(ctx));
}
