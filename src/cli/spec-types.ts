// The shape of the command table (src/cli/spec.ts) and of what a command receives when it runs.
import type { Io } from './output.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  description: string;
  valueName?: string;
  multiple?: boolean;
}

export interface PositionalSpec {
  name: string;
  required: boolean;
  description: string;
  /** Takes any number of values (last positional only). */
  variadic?: boolean;
}

export interface CommandContext {
  io: Io;
  cwd: string;
  json: boolean;
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
}

export interface CommandModule {
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandSpec {
  name: string;
  summary: string;
  description: string;
  options: Record<string, OptionSpec>;
  positionals: PositionalSpec[];
  examples: string[];
  load(): Promise<CommandModule>;
}
