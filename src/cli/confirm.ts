// One confirmation rule for the commands that change a target (apply, install, upgrade, rollback): on a terminal
// they ask; elsewhere --yes is required, checked before anything is read or locked.
import { createInterface } from 'node:readline/promises';
import { InputError } from '../errors.js';
import type { Io } from './output.js';
import type { CommandContext } from './spec.js';

/** Whether the user can be asked: stdin and stdout are terminals. */
export function canAsk(ctx: CommandContext): boolean {
  return process.stdin.isTTY === true && ctx.io.tty;
}

/** Off a terminal without --yes: refuse (exit 2, `cli/confirm`), naming the flag. */
export function requireConsent(ctx: CommandContext, what: string, alternative?: string): void {
  if (ctx.options.yes === true || canAsk(ctx)) return;
  throw new InputError(
    'cli/confirm',
    `${what}: pass --yes to go ahead without a prompt${alternative ? ` (or ${alternative})` : ''}`,
    { expected: '--yes' },
  );
}

/** Asks `question` on the terminal (on stderr); only "y" or "yes" consents. */
export async function ask(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    return /^y(es)?$/i.test(answer.trim());
  } finally {
    rl.close();
    void io;
  }
}
