// The CLI entry: parse arguments, print help, run one command, map errors to exit codes.
// Only bin/ringlock.js turns the returned code into the process's exit status.
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExitCode, InputError, RinglockError } from '../errors.js';
import { redact } from '../redact.js';
import { VERSION } from '../version.js';
import { formatDiagnostic, type Io, json, paint, processIo } from './output.js';
import { COMMANDS, type CommandSpec, GLOBAL_OPTIONS, type OptionSpec } from './spec.js';
import { nearest } from './suggest.js';

export { VERSION };

export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const wantsJson = argv.includes('--json');
  try {
    return await dispatch(argv, io);
  } catch (e) {
    return reportError(e, io, wantsJson);
  }
}

async function dispatch(argv: string[], io: Io): Promise<number> {
  const first = argv[0];
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    const topic = first === 'help' ? argv.slice(1).filter((a) => !a.startsWith('-')) : [];
    if (topic.length > 0) {
      const spec = findCommand(topic);
      if (!spec) throw usage(`unknown command "${topic.join(' ')}"${didYouMean(topic)}`);
      io.out(commandHelp(spec.spec));
      return ExitCode.Ok;
    }
    io.out(topLevelHelp(io));
    return first === undefined ? ExitCode.Input : ExitCode.Ok;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    io.out(`${VERSION}\n`);
    return ExitCode.Ok;
  }
  const found = findCommand(argv);
  if (!found) {
    const groups: Record<string, string> = {
      ring: 'ring list, or ring show <ring>',
      state: 'state schema [--apply], or state migrate --from file:<dir> --to postgres',
    };
    if (Object.hasOwn(groups, first)) {
      const sub = argv[1];
      throw usage(
        sub === undefined || sub.startsWith('-')
          ? `"${first}" needs a subcommand`
          : `unknown command "${first} ${sub}"${didYouMean(argv)}`,
        groups[first],
      );
    }
    throw usage(
      `unknown command "${first}"${didYouMean(argv)}`,
      'one of: ' + COMMANDS.map((c) => c.name).join(', '),
    );
  }
  const { spec, rest } = found;
  const options = { ...GLOBAL_OPTIONS, ...spec.options };
  // parseArgs would take "--ring --check" as ring "--check" or explain it at length; say it plainly.
  rest.forEach((arg, i) => {
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name && options[name]?.type === 'string') {
      const next = rest[i + 1];
      if (next === undefined)
        throw usage(
          `${spec.name}: --${name} needs a value`,
          `--${name} <${options[name]!.valueName ?? 'value'}>`,
        );
      if (next.startsWith('--')) {
        throw usage(
          `${spec.name}: --${name} needs a value, got the option "${next}"`,
          `--${name} <${options[name]!.valueName ?? 'value'}>`,
        );
      }
    }
  });
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: rest, options: toParseArgs(options), allowPositionals: true, strict: true });
  } catch (e) {
    const unknown = /^Unknown option '--([^'=]+)'/.exec((e as Error).message)?.[1];
    const near = unknown === undefined ? undefined : nearest(unknown, Object.keys(options));
    throw usage(
      `${spec.name}: ${(e as Error).message.replace(/\. To specify a positional.*$/s, '')}${near ? `; did you mean "--${near}"?` : ''}`,
      `see "ringlock ${spec.name} --help"`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | string[] | undefined>;
  if (values.help) {
    io.out(commandHelp(spec));
    return ExitCode.Ok;
  }
  const positionals = parsed.positionals;
  const required = spec.positionals.filter((p) => p.required).length;
  if (positionals.length < required) {
    throw usage(
      `${spec.name}: missing <${spec.positionals[positionals.length]!.name}>`,
      `ringlock ${usageLine(spec)}`,
    );
  }
  if (positionals.length > spec.positionals.length && !spec.positionals.at(-1)?.variadic) {
    throw usage(
      `${spec.name}: unexpected argument "${positionals[spec.positionals.length]}"`,
      `ringlock ${usageLine(spec)}`,
    );
  }
  for (const [name, opt] of Object.entries(options)) {
    const v = values[name];
    if (opt.type === 'string' && typeof v === 'string' && v.trim() === '')
      throw usage(`${spec.name}: --${name} needs a value`);
    if (opt.type === 'string' && typeof v === 'string' && v.startsWith('--')) {
      throw usage(`${spec.name}: --${name} needs a value, got the option "${v}"`);
    }
  }
  const mod = await spec.load();
  return mod.run({
    io,
    cwd: resolve(typeof values.cwd === 'string' ? values.cwd : process.cwd()),
    json: values.json === true,
    options: values,
    positionals,
  });
}

function findCommand(argv: string[]): { spec: CommandSpec; rest: string[] } | undefined {
  const two = `${argv[0]} ${argv[1]}`;
  const byTwo = COMMANDS.find((c) => c.name === two);
  if (byTwo) return { spec: byTwo, rest: argv.slice(2) };
  const byOne = COMMANDS.find((c) => c.name === argv[0]);
  return byOne ? { spec: byOne, rest: argv.slice(1) } : undefined;
}

/** `; did you mean "lock"?` when the words typed are one typo away from a command (one or two words), else ''. */
function didYouMean(argv: string[]): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  const typed = (n: number) => words.slice(0, n).join(' ');
  let best: string | undefined;
  for (const n of [2, 1]) {
    if (words.length < n) continue;
    best = nearest(
      typed(n),
      COMMANDS.filter((c) => c.name.split(' ').length === n).map((c) => c.name),
    );
    if (best) break;
  }
  return best ? `; did you mean "${best}"?` : '';
}

function toParseArgs(options: Record<string, OptionSpec>) {
  const out: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, o] of Object.entries(options)) {
    out[name] = {
      type: o.type,
      ...(o.short ? { short: o.short } : {}),
      ...(o.multiple ? { multiple: true } : {}),
    };
  }
  return out;
}

function usage(message: string, expected?: string): InputError {
  return new InputError('cli/usage', message, { expected });
}

function usageLine(spec: CommandSpec): string {
  const pos = spec.positionals
    .map((p) => (p.required ? `<${p.name}>` : `[${p.name}${p.variadic ? '...' : ''}]`))
    .join(' ');
  return `${spec.name}${pos ? ` ${pos}` : ''} [options]`;
}

function optionLines(options: Record<string, OptionSpec>): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` <${o.valueName ?? 'value'}>` : ''}`;
    return [flag, o.description + (o.multiple ? ' (repeatable)' : '')] as const;
  });
  const w = Math.max(...rows.map((r) => r[0].length));
  return rows.map(([f, d]) => `  ${f.padEnd(w)}  ${d}`).join('\n');
}

export function commandHelp(spec: CommandSpec): string {
  let s = `Usage: ringlock ${usageLine(spec)}\n\n${spec.summary}.\n\n${spec.description}\n`;
  if (spec.positionals.length > 0) {
    s += `\nArguments:\n${spec.positionals.map((p) => `  <${p.name}>  ${p.description}`).join('\n')}\n`;
  }
  s += `\nOptions:\n${optionLines({ ...spec.options, ...GLOBAL_OPTIONS })}\n`;
  s += `\nExamples:\n${spec.examples.map((e) => `  ${e}`).join('\n')}\n`;
  s += `\nExit codes: 0 ok, 1 check failed, 2 usage, config or input error, 3 operation failed (see the README).\n`;
  return s;
}

function topLevelHelp(io: Io): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return (
    `${paint(io, 'bold', 'ringlock')} ${VERSION} — GitOps reconciler for modular platforms: ring locks, verification, compatibility.\n\n` +
    `Usage: ringlock <command> [options]\n\nCommands:\n` +
    COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`).join('\n') +
    `\n\nGlobal options:\n${optionLines({ ...GLOBAL_OPTIONS, version: { type: 'boolean', short: 'V', description: 'print the version' } })}\n\n` +
    `Run "ringlock <command> --help" for a command's options.\n` +
    `Exit codes: 0 ok · 1 a check failed / drift found · 2 usage, config or input error · 3 an operation failed and was rolled back.\n`
  );
}

function reportError(e: unknown, io: Io, asJson: boolean): number {
  const err =
    e instanceof RinglockError
      ? e
      : new RinglockError(
          'internal',
          `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`,
        );
  // The last line of defence: whatever a message quotes, no URL credential or auth header leaves in it.
  if (asJson) {
    io.out(
      redact(
        json({
          ok: false,
          error: {
            code: err.code,
            message: err.message,
            exitCode: err.exitCode,
            diagnostics: err.diagnostics(),
          },
        }),
      ),
    );
  } else {
    for (const d of err.diagnostics()) io.err(redact(formatDiagnostic(d, io)));
    if (err.exitCode === ExitCode.Internal)
      io.err('This is a bug in ringlock; please report it with the command you ran.\n');
  }
  return err.exitCode;
}
