// The error hierarchy: every failure a user can see maps to one class, one code and one exit code.

export const ExitCode = {
  Ok: 0,
  CheckFailed: 1,
  Input: 2,
  OperationFailed: 3,
  Internal: 70,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Where in which file a problem is. Line and column are 1-based. */
export interface SourcePosition {
  file: string;
  line?: number;
  column?: number;
  /** JSON pointer of the offending value inside the file, when the file is structured. */
  pointer?: string;
}

export interface RinglockErrorOptions extends Partial<SourcePosition> {
  cause?: unknown;
  /** What would have been accepted. */
  expected?: string;
  /** Further problems of the same kind, reported together. */
  details?: Diagnostic[];
}

/** One finding in a file: the unit that the CLI prints and that the PR check turns into an annotation. */
export interface Diagnostic {
  severity: 'error' | 'warning' | 'info';
  /** Stable id of the rule, e.g. `schema/required`, `module/name-collision`. */
  rule: string;
  message: string;
  expected?: string;
  file?: string;
  line?: number;
  column?: number;
  pointer?: string;
}

export class RinglockError extends Error {
  readonly code: string;
  readonly exitCode: ExitCodeValue = ExitCode.Internal;
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
  readonly pointer?: string;
  readonly expected?: string;
  readonly details: Diagnostic[];

  constructor(code: string, message: string, options: RinglockErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.file = options.file;
    this.line = options.line;
    this.column = options.column;
    this.pointer = options.pointer;
    this.expected = options.expected;
    this.details = options.details ?? [];
  }

  /** The error as diagnostics: its details when it carries several, else itself. */
  diagnostics(): Diagnostic[] {
    if (this.details.length > 0) return this.details;
    return [
      {
        severity: 'error',
        rule: this.code,
        message: this.message,
        expected: this.expected,
        file: this.file,
        line: this.line,
        column: this.column,
        pointer: this.pointer,
      },
    ];
  }
}

/** The user must fix something: a bad file, a bad argument, an unknown ring. Exit 2. */
export class InputError extends RinglockError {
  override readonly exitCode = ExitCode.Input;
}

/** A check ran and found problems. Exit 1. */
export class CheckFailed extends RinglockError {
  override readonly exitCode = ExitCode.CheckFailed;
}

/** Network, registry 5xx, git remote down: worth retrying with backoff. */
export class TransientError extends RinglockError {
  override readonly exitCode = ExitCode.OperationFailed;
}

/** An operation failed and what it had changed was rolled back. Exit 3. */
export class OperationFailed extends RinglockError {
  override readonly exitCode = ExitCode.OperationFailed;
}

/** A bug in ringlock. */
export class InternalError extends RinglockError {}

/** `a.json:3:7` style prefix for a position. */
export function formatPosition(p: Partial<SourcePosition>): string {
  if (!p.file) return '';
  if (p.line === undefined) return p.file;
  return p.column === undefined ? `${p.file}:${p.line}` : `${p.file}:${p.line}:${p.column}`;
}

export function isErrnoException(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string';
}
